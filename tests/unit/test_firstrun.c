/* First-run bootstrap (src/firstrun.c) and the CA behind it (crypto/pki.c):
 * creates configurations in a temporary directory and checks the files,
 * their modes, the certificates (chain, SAN, EKU, key match) and the
 * generated ipsec.conf / ipsec.secrets. */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE   /* nftw */
#endif
#include <errno.h>
#include <ftw.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <signal.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "crypto/pki.h"
#include "src/firstrun.h"
#include "tests/unit/check.h"
#include "tests/unit/dir_files.h"

/* PARSE CHECK: the generated files are also read back with the conf/
 * parsers (ipsec_conf_load, secrets_load). Those were being written while
 * this test was, so each half switches itself on once its source is in
 * the tree (the Makefile links all of conf/ into libcygnet.a); define
 * FIRSTRUN_TEST_NO_CONF to force both off. */
#if !defined(FIRSTRUN_TEST_NO_CONF) && __has_include("conf/ipsec_conf.c")
#define PARSE_IPSEC_CONF 1
#include "conf/ipsec_conf.h"
#endif
#if !defined(FIRSTRUN_TEST_NO_CONF) && __has_include("conf/secrets.c")
#define PARSE_SECRETS 1
#include "conf/secrets.h"
#endif

#define SERVER_NAME "vpn.cygnet.test"
#define POOL4 "10.77.0.0/24"
#define POOL6 "fd00:abcd:1234:5678::/112"

static char base[64];

static int mode_of(const char *dir, const char *rel)
{
	char p[PATH_MAX];
	struct stat st;

	path_in(p, sizeof p, dir, rel);
	if (stat(p, &st) < 0)
		return -1;
	return (int)(st.st_mode & 07777);
}

/* chain check the way a client does it: CA as the only trust anchor,
 * TLS-server purpose (serverAuth EKU required) */
static bool verifies(X509 *ca, X509 *cert)
{
	X509_STORE *st = X509_STORE_new();
	X509_STORE_CTX *ctx = X509_STORE_CTX_new();
	bool ok = false;

	if (st && ctx && X509_STORE_add_cert(st, ca) == 1 &&
	    X509_STORE_CTX_init(ctx, st, cert, NULL) == 1 &&
	    X509_STORE_CTX_set_purpose(ctx, X509_PURPOSE_SSL_SERVER) == 1)
		ok = X509_verify_cert(ctx) == 1;
	X509_STORE_CTX_free(ctx);
	X509_STORE_free(st);
	return ok;
}

static bool has_eku(X509 *c, const char *oid)
{
	EXTENDED_KEY_USAGE *eku = X509_get_ext_d2i(c, NID_ext_key_usage, NULL, NULL);
	bool found = false;
	char txt[64];

	for (int i = 0; eku && i < sk_ASN1_OBJECT_num(eku); i++) {
		OBJ_obj2txt(txt, sizeof txt, sk_ASN1_OBJECT_value(eku, i), 1);
		if (strcmp(txt, oid) == 0)
			found = true;
	}
	EXTENDED_KEY_USAGE_free(eku);
	return found;
}

static int serial_len(X509 *c)
{
	return ASN1_STRING_length(X509_get0_serialNumber(c));
}

/* days from now to t (negative: in the past) */
static int days_from_now(const ASN1_TIME *t)
{
	int days = 0, secs = 0;

	ASN1_TIME_diff(&days, &secs, NULL, t);
	return days;
}

static bool in_alphabet(const char *pw)
{
	for (; *pw; pw++)
		if (!((*pw >= 'a' && *pw <= 'z') || (*pw >= 'A' && *pw <= 'Z') ||
		      (*pw >= '0' && *pw <= '9')))
			return false;
	return true;
}

static bool exists(const char *path)
{
	struct stat st;

	return stat(path, &st) == 0;
}

static void test_pools(void)
{
	static const char *bad[] = {
		"10.0.0.0", "10.0.0.1/24", "10.0.0.0/31", "10.0.0.0/32", "fd00::/127",
		"300.1.1.0/24", "10.0.0.0/x", "10.0.0.0/", "10.0.0.0/024x", "224.0.0.0/24",
		"127.0.0.0/8", "fe80::/64", "ff02::/112", "fd00::1/112", "/24", "",
	};
	char err[256];

	for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
		char name[80];

		snprintf(name, sizeof name, "pool rejected: '%s'", bad[i]);
		CHECK(name, firstrun_check_pool(bad[i], err, sizeof err) < 0 && err[0]);
	}
	CHECK("pool v4 /30 ok", firstrun_check_pool("10.0.0.0/30", err, sizeof err) == AF_INET);
	CHECK("pool v4 /16 ok", firstrun_check_pool("172.16.0.0/16", err, sizeof err) == AF_INET);
	CHECK("pool v6 /126 ok", firstrun_check_pool("fd00::/126", err, sizeof err) == AF_INET6);
	CHECK("pool v6 /64 ok", firstrun_check_pool("2001:db8:1:2::/64", err, sizeof err) == AF_INET6);
}

static void test_dns_names(void)
{
	CHECK("dns name ok", pki_valid_dns_name(SERVER_NAME));
	CHECK("dns name single label ok", pki_valid_dns_name("gateway"));
	CHECK("dns name: empty label", !pki_valid_dns_name("vpn..test"));
	CHECK("dns name: trailing dash", !pki_valid_dns_name("vpn-.test"));
	CHECK("dns name: leading dash", !pki_valid_dns_name("-vpn.test"));
	CHECK("dns name: bad char", !pki_valid_dns_name("vpn,DNS:evil.test"));
	CHECK("dns name: numeric tld", !pki_valid_dns_name("1.2.3.4"));
	CHECK("dns name: empty", !pki_valid_dns_name(""));
}

static void test_refusals(void)
{
	struct firstrun_opts o = { .server_id = SERVER_NAME };
	struct firstrun_result res;
	char dir[PATH_MAX], path[PATH_MAX], err[512];
	FILE *f;

	/* bad options: nothing is created */
	static const struct { const char *name; const char *pools[3]; int n; } cases[] = {
		{ "create refuses bad pool", { "10.0.0.1/24" }, 1 },
		{ "create refuses two v4 pools", { "10.1.0.0/24", "10.2.0.0/24" }, 2 },
		{ "create refuses two v6 pools", { "fd00:1::/112", "fd00:2::/112" }, 2 },
		{ "create refuses /31", { "10.1.0.0/31" }, 1 },
		{ "create refuses 5 pools", { "10.1.0.0/24" }, 5 },
	};
	path_in(dir, sizeof dir, base, "refused");
	for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		struct firstrun_opts b = o;

		for (int j = 0; j < 3; j++)
			b.pools[j] = cases[i].pools[j];
		b.n_pools = cases[i].n;
		err[0] = '\0';
		CHECK(cases[i].name, firstrun_create(dir, &b, &res, err, sizeof err) < 0 &&
		      err[0] && !exists(dir));
	}
	o.users[0].name = "bad user";
	o.n_users = 1;
	CHECK("create refuses bad user", firstrun_create(dir, &o, &res, err, sizeof err) < 0 &&
	      !exists(dir));
	o.users[0].name = "alice";
	o.users[0].password = "short";
	CHECK("create refuses short password",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && !exists(dir) &&
	      !strstr(err, "short"));
	o.users[0].password = "with\"quote";
	CHECK("create refuses quote in password",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && !exists(dir));
	o.users[0].password = NULL;
	o.users[1].name = "alice";
	o.n_users = 2;
	CHECK("create refuses a user twice",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && !exists(dir));
	o.n_users = 0;
	o.pools[0] = "fd00:1::/112";
	o.n_pools = 1;
	o.ipv6 = FIRSTRUN_IPV6_NO;
	CHECK("create refuses an IPv6 pool with IPv6 off",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && !exists(dir) &&
	      strstr(err, "IPv6"));
	o.n_pools = 0;
	o.ipv6 = FIRSTRUN_IPV6_AUTO;
	o.dns[0] = "one.one.one.one";
	o.n_dns = 1;
	CHECK("create refuses a DNS name as resolver",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && !exists(dir));
	o.n_dns = 0;
	o.server_id = "not a name";
	CHECK("create refuses bad server id",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && !exists(dir));
	o.server_id = SERVER_NAME;

	/* a non-empty directory without ipsec.conf: refused, left alone */
	CHECK("mkdir", mkdir(dir, 0755) == 0);
	path_in(path, sizeof path, dir, "keep.me");
	f = fopen(path, "w");
	if (f)
		fclose(f);
	CHECK("firstrun needed: non-empty dir without ipsec.conf", firstrun_needed(dir));
	CHECK("create refuses non-empty dir",
	      firstrun_create(dir, &o, &res, err, sizeof err) < 0 && strstr(err, "not empty"));
	CHECK("non-empty dir left alone", exists(path) && mode_of(dir, ".") == 0755);
	path_in(path, sizeof path, dir, "ipsec.d");
	CHECK("non-empty dir: nothing added", !exists(path));
}

static void test_create_name(void)
{
	struct firstrun_opts o = {
		.server_id = SERVER_NAME, .pools = { POOL6, POOL4 }, .n_pools = 2,
	};
	struct firstrun_result res, res2;
	char dir[PATH_MAX], err[512] = "", line[128], *conf = NULL, *secrets = NULL, *keypem = NULL;
	X509 *ca = NULL, *srv = NULL;
	EVP_PKEY *key = NULL, *cakey = NULL;
	char *out = NULL;
	size_t outlen = 0;
	FILE *mem;
	int rc;

	path_in(dir, sizeof dir, base, "etc-cygnet");
	CHECK("firstrun needed: missing dir", firstrun_needed(dir));
	rc = firstrun_create(dir, &o, &res, err, sizeof err);
	if (rc != 0)
		printf("# firstrun_create: %s\n", err);
	CHECK("create", rc == 0);
	if (rc != 0)
		return;
	CHECK("firstrun not needed afterwards", !firstrun_needed(dir));
	CHECK("result dir absolute", res.dir[0] == '/');
	CHECK("result server id", strcmp(res.server_id, SERVER_NAME) == 0 &&
	      !res.server_id_detected && !res.server_id_is_ip);
	CHECK("result user default", strcmp(res.user, "vpnuser") == 0);
	CHECK("result pools v4 first", res.n_pools == 2 && strcmp(res.pools[0], POOL4) == 0 &&
	      strcmp(res.pools[1], POOL6) == 0);
	CHECK("password 20 chars", strlen(res.password) == FIRSTRUN_PASSWORD_LEN);
	CHECK("password alphabet", in_alphabet(res.password));

	/* layout and modes */
	CHECK("mode dir 0700", mode_of(dir, ".") == 0700);
	CHECK("mode ipsec.conf 0644", mode_of(dir, "ipsec.conf") == 0644);
	CHECK("mode ipsec.secrets 0600", mode_of(dir, "ipsec.secrets") == 0600);
	CHECK("mode ipsec.d/private 0700", mode_of(dir, "ipsec.d/private") == 0700);
	CHECK("mode ipsec.d/certs 0755", mode_of(dir, "ipsec.d/certs") == 0755);
	CHECK("mode ipsec.d/cacerts 0755", mode_of(dir, "ipsec.d/cacerts") == 0755);
	CHECK("mode ca 0700", mode_of(dir, "ca") == 0700);
	CHECK("mode server.key 0600", mode_of(dir, "ipsec.d/private/server.key") == 0600);
	CHECK("mode ca.key 0600", mode_of(dir, "ca/ca.key") == 0600);
	CHECK("mode server.pem 0644", mode_of(dir, "ipsec.d/certs/server.pem") == 0644);
	CHECK("mode ca.pem 0644", mode_of(dir, "ipsec.d/cacerts/ca.pem") == 0644);
	CHECK("no temporary left", mode_of(dir, "ipsec.conf.tmp") == -1);
	CHECK("result ca_cert path", strcmp(res.ca_cert + strlen(res.dir),
	                                    "/ipsec.d/cacerts/ca.pem") == 0);

	/* certificates */
	ca = load_cert(dir, "ipsec.d/cacerts/ca.pem");
	srv = load_cert(dir, "ipsec.d/certs/server.pem");
	key = load_key(dir, "ipsec.d/private/server.key");
	cakey = load_key(dir, "ca/ca.key");
	keypem = slurp(dir, "ipsec.d/private/server.key");
	CHECK("load CA cert", ca != NULL);
	CHECK("load server cert", srv != NULL);
	CHECK("load server key", key != NULL);
	CHECK("load CA key", cakey != NULL);
	if (!ca || !srv || !key || !cakey)
		goto out;
	CHECK("key is PKCS#8", keypem && strncmp(keypem, "-----BEGIN PRIVATE KEY-----", 27) == 0);
	CHECK("server key matches cert", X509_check_private_key(srv, key) == 1);
	CHECK("CA key matches cert", X509_check_private_key(ca, cakey) == 1);
	CHECK("server key RSA-3072", EVP_PKEY_get_base_id(key) == EVP_PKEY_RSA &&
	      EVP_PKEY_get_bits(key) == 3072);
	CHECK("CA key RSA-3072", EVP_PKEY_get_bits(cakey) == 3072);
	CHECK("server cert verifies against CA (sslserver purpose)", verifies(ca, srv));
	CHECK("CA is a CA", X509_check_ca(ca) == 1);
	CHECK("CA self-signed", X509_check_issued(ca, ca) == X509_V_OK);
	CHECK("CA keyUsage", (X509_get_key_usage(ca) & (KU_KEY_CERT_SIGN | KU_CRL_SIGN)) ==
	      (KU_KEY_CERT_SIGN | KU_CRL_SIGN));
	CHECK("CA has SKI", X509_get0_subject_key_id(ca) != NULL);
	CHECK("server is no CA", X509_check_ca(srv) == 0);
	CHECK("server SAN DNS", X509_check_host(srv, SERVER_NAME, 0, X509_CHECK_FLAG_NO_WILDCARDS,
	                                        NULL) == 1);
	CHECK("server SAN no other name", X509_check_host(srv, "other.cygnet.test", 0, 0, NULL) != 1);
	CHECK("server EKU serverAuth", has_eku(srv, "1.3.6.1.5.5.7.3.1"));
	CHECK("server EKU ikeIntermediate", has_eku(srv, "1.3.6.1.5.5.8.2.2"));
	CHECK("server keyUsage RSA", (X509_get_key_usage(srv) &
	      (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)) == (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT));
	CHECK("server has AKI = CA SKI", X509_get0_authority_key_id(srv) &&
	      ASN1_OCTET_STRING_cmp(X509_get0_authority_key_id(srv), X509_get0_subject_key_id(ca)) == 0);
	CHECK("sha256WithRSA", X509_get_signature_nid(srv) == NID_sha256WithRSAEncryption &&
	      X509_get_signature_nid(ca) == NID_sha256WithRSAEncryption);
	CHECK("serial 16 bytes", serial_len(srv) == 16 && serial_len(ca) == 16);
	CHECK("serials differ", ASN1_INTEGER_cmp(X509_get0_serialNumber(srv),
	                                         X509_get0_serialNumber(ca)) != 0);
	CHECK("server notBefore a day back", days_from_now(X509_get0_notBefore(srv)) == -1 ||
	      days_from_now(X509_get0_notBefore(srv)) == 0);
	CHECK("server valid 5 years", days_from_now(X509_get0_notAfter(srv)) >= 1825 &&
	      days_from_now(X509_get0_notAfter(srv)) <= 1826);
	CHECK("CA valid 10 years", days_from_now(X509_get0_notAfter(ca)) >= 3651 &&
	      days_from_now(X509_get0_notAfter(ca)) <= 3652);

	/* ipsec.conf and ipsec.secrets */
	conf = slurp(dir, "ipsec.conf");
	secrets = slurp(dir, "ipsec.secrets");
	CHECK("read ipsec.conf", conf != NULL);
	CHECK("read ipsec.secrets", secrets != NULL);
	if (!conf || !secrets)
		goto out;
	CHECK("conf pools", strstr(conf, "\trightsourceip=" POOL4 "," POOL6 "\n") != NULL);
	CHECK("conf leftid @name", strstr(conf, "\tleftid=@" SERVER_NAME "\n") != NULL);
	CHECK("conf leftcert", strstr(conf, "\tleftcert=server.pem\n") != NULL);
	CHECK("conf eap", strstr(conf, "\trightauth=eap-mschapv2\n") != NULL);
	CHECK("conf dns both families",
	      strstr(conf, "\trightdns=1.1.1.1,2606:4700:4700::1111\n") != NULL);
	CHECK("conf subnets both families", strstr(conf, "\tleftsubnet=0.0.0.0/0,::/0\n") != NULL);
	CHECK("conf has no password", strstr(conf, res.password) == NULL);
	CHECK("secrets RSA line", strstr(secrets, "\n: RSA server.key\n") != NULL);
	snprintf(line, sizeof line, "\nvpnuser : EAP \"%s\"\n", res.password);
	CHECK("secrets EAP line", strstr(secrets, line) != NULL);

#ifdef PARSE_IPSEC_CONF   /* PARSE CHECK, see the top */
	{
		char path[PATH_MAX], cerr[512] = "";
		struct ipsec_conf *ic;

		path_in(path, sizeof path, dir, "ipsec.conf");
		ic = ipsec_conf_load(path, cerr, sizeof cerr);
		if (!ic)
			printf("# ipsec_conf_load: %s\n", cerr);
		CHECK("parse ipsec.conf", ic != NULL);
		if (ic) {
			const struct conf_conn *c = ic->n_conns == 1 ? &ic->conns[0] : NULL;

			CHECK("parsed uniqueids=no", ic->uniqueids == UNIQUE_NO);
			CHECK("parsed one conn", c && strcmp(c->name, "ikev2-eap") == 0 && c->auto_add);
			if (c) {
				CHECK("parsed leftid", c->left.id &&
				      strcmp(c->left.id, "@" SERVER_NAME) == 0);
				CHECK("parsed leftcert", c->left.cert &&
				      strcmp(c->left.cert, "server.pem") == 0);
				CHECK("parsed sendcert", c->left.sendcert == SENDCERT_ALWAYS);
				CHECK("parsed auth", c->left.auth == AUTH_PUBKEY &&
				      c->right.auth == AUTH_EAP_MSCHAPV2);
				CHECK("parsed eap_identity", c->eap_identity &&
				      strcmp(c->eap_identity, "%identity") == 0);
				CHECK("parsed pools", c->right.n_sourceip == 2 &&
				      c->right.sourceip[0].family == AF_INET &&
				      c->right.sourceip[1].family == AF_INET6 &&
				      memcmp(c->right.sourceip[0].from, "\x0a\x4d\x00\x01", 4) == 0);
				CHECK("parsed dns", c->right.n_dns == 2);
				CHECK("parsed subnets", c->left.n_subnet == 2);
				CHECK("parsed proposals", c->ike_set && c->esp_set &&
				      c->ike.strict && c->esp.strict && c->ike.n == 3 && c->esp.n == 2);
			}
			ipsec_conf_free(ic);
		}
	}
#else
	printf("# PARSE CHECK ipsec.conf skipped: no conf/ipsec_conf.c\n");
#endif
#ifdef PARSE_SECRETS   /* PARSE CHECK, see the top */
	{
		char path[PATH_MAX], cerr[512] = "";
		struct secrets *sc;

		path_in(path, sizeof path, dir, "ipsec.secrets");
		sc = secrets_load(path, cerr, sizeof cerr);
		if (!sc)
			printf("# secrets_load: %s\n", cerr);
		CHECK("parse ipsec.secrets", sc != NULL);
		if (sc) {
			CHECK("parsed secrets count", sc->n == 2);
			CHECK("parsed RSA", sc->n == 2 && sc->s[0].type == SECRET_RSA &&
			      strcmp(sc->s[0].value, "server.key") == 0);
			CHECK("parsed EAP", sc->n == 2 && sc->s[1].type == SECRET_EAP &&
			      sc->s[1].n_ids == 1 && strcmp(sc->s[1].ids[0], "vpnuser") == 0 &&
			      sc->s[1].value_len == FIRSTRUN_PASSWORD_LEN &&
			      memcmp(sc->s[1].value, res.password, FIRSTRUN_PASSWORD_LEN) == 0);
			secrets_free(sc);
		}
	}
#else
	printf("# PARSE CHECK ipsec.secrets skipped: no conf/secrets.c\n");
#endif

	/* the operator's block */
	mem = open_memstream(&out, &outlen);
	if (mem) {
		firstrun_print(mem, &res);
		fclose(mem);
	}
	CHECK("print has password", out && strstr(out, res.password));
	CHECK("print has CA path", out && strstr(out, res.ca_cert));
	CHECK("print has remote id", out && strstr(out, "Remote ID       " SERVER_NAME "\n"));
	CHECK("print has platforms", out && strstr(out, "Windows") && strstr(out, "macOS") &&
	      strstr(out, "iOS") && strstr(out, "Android") && strstr(out, "Linux"));

	/* a second run over the same directory refuses and changes nothing */
	CHECK("second create refuses", firstrun_create(dir, &o, &res2, err, sizeof err) < 0);
	CHECK("second create left files", mode_of(dir, "ipsec.conf") == 0644 &&
	      mode_of(dir, "ca/ca.key") == 0600);
	CHECK("second create wiped result", res2.password[0] == '\0');
out:
	firstrun_result_wipe(&res);
	CHECK("wipe", res.password[0] == '\0');
	free(out);
	free(conf);
	free(secrets);
	free(keypem);
	X509_free(ca);
	X509_free(srv);
	EVP_PKEY_free(key);
	EVP_PKEY_free(cakey);
}

/* an address as server id: IP SAN (and DNS SAN with the same text),
 * leftid without '@', default pools */
static void test_create_ip(const char *name, const char *ip)
{
	struct firstrun_opts o = { .server_id = ip, .users = { { "alice@example", NULL } },
	                           .n_users = 1, .ipv6 = FIRSTRUN_IPV6_YES };
	struct firstrun_result res;
	char dir[PATH_MAX], err[512] = "", want[192], check[96], *conf = NULL;
	X509 *ca = NULL, *srv = NULL;
	int rc;

	path_in(dir, sizeof dir, base, name);
	CHECK("mkdir empty", mkdir(dir, 0750) == 0);
	rc = firstrun_create(dir, &o, &res, err, sizeof err);
	if (rc != 0)
		printf("# firstrun_create: %s\n", err);
	snprintf(check, sizeof check, "%s: create into empty dir", name);
	CHECK(check, rc == 0);
	if (rc != 0)
		return;
	snprintf(check, sizeof check, "%s: existing dir mode kept", name);
	CHECK(check, mode_of(dir, ".") == 0750);
	ca = load_cert(dir, "ipsec.d/cacerts/ca.pem");
	srv = load_cert(dir, "ipsec.d/certs/server.pem");
	conf = slurp(dir, "ipsec.conf");
	snprintf(check, sizeof check, "%s: IP SAN", name);
	CHECK(check, srv && X509_check_ip_asc(srv, ip, 0) == 1);
	snprintf(check, sizeof check, "%s: DNS SAN with the address", name);
	CHECK(check, srv && X509_check_host(srv, ip, 0, 0, NULL) == 1);
	snprintf(check, sizeof check, "%s: verifies", name);
	CHECK(check, ca && srv && verifies(ca, srv));
	snprintf(want, sizeof want, "\tleftid=%s\n", ip);
	snprintf(check, sizeof check, "%s: leftid plain address", name);
	CHECK(check, conf && strstr(conf, want));
	snprintf(check, sizeof check, "%s: default pools", name);
	CHECK(check, res.n_pools == 2 &&
	      firstrun_check_pool(res.pools[0], err, sizeof err) == AF_INET &&
	      strncmp(res.pools[0], "10.", 3) == 0 && strstr(res.pools[0], ".0/24") &&
	      firstrun_check_pool(res.pools[1], err, sizeof err) == AF_INET6 &&
	      strncmp(res.pools[1], "fd", 2) == 0 && strstr(res.pools[1], "::/112"));
	snprintf(want, sizeof want, "\trightsourceip=%s,%s\n", res.pools[0], res.pools[1]);
	snprintf(check, sizeof check, "%s: default pools in conf", name);
	CHECK(check, conf && strstr(conf, want));
	snprintf(check, sizeof check, "%s: user", name);
	CHECK(check, strcmp(res.user, "alice@example") == 0);
	firstrun_result_wipe(&res);
	free(conf);
	X509_free(ca);
	X509_free(srv);
}

static void test_only_v4_pool(void)
{
	struct firstrun_opts o = { .server_id = SERVER_NAME, .pools = { POOL4 }, .n_pools = 1 };
	struct firstrun_result res;
	char dir[PATH_MAX], err[512] = "", *conf = NULL;
	int rc;

	path_in(dir, sizeof dir, base, "v4only");
	rc = firstrun_create(dir, &o, &res, err, sizeof err);
	if (rc != 0)
		printf("# firstrun_create: %s\n", err);
	CHECK("v4 only: create", rc == 0);
	conf = rc == 0 ? slurp(dir, "ipsec.conf") : NULL;
	CHECK("v4 only: pool", conf && strstr(conf, "\trightsourceip=" POOL4 "\n"));
	CHECK("v4 only: dns", conf && strstr(conf, "\trightdns=1.1.1.1\n"));
	CHECK("v4 only: subnet", conf && strstr(conf, "\tleftsubnet=0.0.0.0/0\n"));
	firstrun_result_wipe(&res);
	free(conf);
}

static void test_pki_direct(void)
{
	char err[256] = "";
	EVP_PKEY *k = pki_keygen(PKI_KEY_RSA, 1024, err, sizeof err), *ec = NULL, *ca_key = NULL;
	X509 *ca = NULL, *srv = NULL;

	CHECK("pki refuses RSA-1024", k == NULL && err[0]);
	ec = pki_keygen(PKI_KEY_EC_P256, 0, err, sizeof err);
	ca_key = pki_keygen(PKI_KEY_EC_P256, 0, err, sizeof err);
	CHECK("pki EC keygen", ec && ca_key);
	if (!ec || !ca_key)
		goto out;
	ca = pki_ca_create(ca_key, "test CA", 30, err, sizeof err);
	CHECK("pki EC CA", ca != NULL);
	srv = ca ? pki_server_issue(ca, ca_key, ec, "gw.cygnet.test", 30, err, sizeof err) : NULL;
	CHECK("pki EC server", srv != NULL);
	CHECK("pki EC server keyUsage digitalSignature only", srv &&
	      (X509_get_key_usage(srv) & (KU_DIGITAL_SIGNATURE | KU_KEY_ENCIPHERMENT)) ==
	      KU_DIGITAL_SIGNATURE);
	CHECK("pki EC signature ecdsa-with-SHA256", srv &&
	      X509_get_signature_nid(srv) == NID_ecdsa_with_SHA256);
	CHECK("pki EC verifies", ca && srv && verifies(ca, srv));
	CHECK("pki refuses wrong CA key", ca &&
	      pki_server_issue(ca, ec, ec, "gw.cygnet.test", 30, err, sizeof err) == NULL);
	CHECK("pki refuses injected SAN", ca &&
	      pki_server_issue(ca, ca_key, ec, "a.test,IP:1.2.3.4", 30, err, sizeof err) == NULL);
	CHECK("pki write refuses existing file",
	      srv && pki_write_cert("/dev/null", srv, err, sizeof err) < 0);
out:
	EVP_PKEY_free(k);
	EVP_PKEY_free(ec);
	EVP_PKEY_free(ca_key);
	X509_free(ca);
	X509_free(srv);
}

/* a write that fails half-way (file size limit: the first key file is
 * too big) must leave nothing behind */
static void test_rollback(void)
{
	struct firstrun_opts o = { .server_id = SERVER_NAME };
	struct firstrun_result res;
	struct rlimit old, lim;
	char dir[PATH_MAX], err[512] = "";
	int rc1 = 0, rc2 = 0;
	bool empty = false;

	if (getrlimit(RLIMIT_FSIZE, &old) < 0) {
		CHECK("getrlimit", 0);
		return;
	}
	signal(SIGXFSZ, SIG_IGN);
	lim = old;
	lim.rlim_cur = 1000;
	if (setrlimit(RLIMIT_FSIZE, &lim) == 0) {
		path_in(dir, sizeof dir, base, "rollback-new");
		rc1 = firstrun_create(dir, &o, &res, err, sizeof err);
		path_in(dir, sizeof dir, base, "rollback-existing");
		if (mkdir(dir, 0700) == 0)
			rc2 = firstrun_create(dir, &o, &res, err, sizeof err);
		setrlimit(RLIMIT_FSIZE, &old);
	}
	signal(SIGXFSZ, SIG_DFL);
	printf("# rollback reason: %s\n", err);
	CHECK("rollback: create fails", rc1 < 0 && rc2 < 0 && strstr(err, "ca.key"));
	path_in(dir, sizeof dir, base, "rollback-new");
	CHECK("rollback: created dir removed", !exists(dir));
	path_in(dir, sizeof dir, base, "rollback-existing");
	empty = rmdir(dir) == 0;   /* succeeds only when empty */
	CHECK("rollback: existing dir emptied, kept", empty);
	CHECK("rollback: result wiped", res.password[0] == '\0');
}

static void test_detect(void)
{
	char id[256], err[256] = "";
	bool pub = false;
	int rc = firstrun_detect_server_id(id, sizeof id, &pub, err, sizeof err);

	if (rc != 0)
		printf("# detect: %s\n", err);
	else
		printf("# detected server id: %s (%s)\n", id, pub ? "public" : "private");
	CHECK("detect server id", rc == 0 && id[0]);
}

int main(void)
{
	snprintf(base, sizeof base, "/tmp/cygnet-firstrun-XXXXXX");
	if (!mkdtemp(base)) {
		printf("not ok mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	test_pools();
	test_dns_names();
	test_pki_direct();
	test_refusals();
	test_create_name();
	test_create_ip("ip4", "198.18.0.1");
	test_create_ip("ip6", "2001:db8::1");
	test_only_v4_pool();
	test_rollback();
	test_detect();
	rm_tree(base);
	CHECK_DONE();
}
