/* src/config.c for server conns, in a config dir made here (an EC CA, an
 * RSA server certificate as seed 003 names it, client certificates, CRLs):
 * seed 003's six-way ipsec.conf as written (pubkey, eap-tls and
 * eap-mschapv2 clients, rightcert=, rightid=), psk and rightauth2, the
 * errors with file:line, CRLs from ipsec.d/crls, the startup warnings
 * (short PSK, server certificate without the server name in its SANs or
 * without serverAuth), seed 000's per-user address (its
 * "static-ip-for-putin" conn, reserved in the shared pool), dns1/nbns1
 * with rightdns overriding them, and config_eap_cred with NTLM entries.
 * Warnings are read from stderr, where the log writes in the foreground. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <arpa/inet.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/cert.h"
#include "src/config.h"
#include "src/log.h"
#include "src/pool.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/cygnet-cfgsrv-XXXXXX";
static char dir2[] = "/tmp/cygnet-cfgsrv2-XXXXXX";   /* no cacerts */
static char err[1024];
static char logbuf[32768];
static EVP_PKEY *cakey;
static X509 *ca;

static X509_NAME *name_of(const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"CH", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)"Cygnet", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static void ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* issued by ca (self-signed when ca is NULL); san, eku may be NULL */
static X509 *cert_new(const char *cn, EVP_PKEY *key, const char *san, const char *eku, long serial)
{
	X509 *x = X509_new();
	X509_NAME *n = name_of(cn);
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_subject_name(x, n);
	X509_set_issuer_name(x, ca ? X509_get_subject_name(ca) : n);
	X509_set_pubkey(x, key);
	ext(x, ca ? ca : x, NID_subject_key_identifier, "hash");
	ext(x, NULL, NID_basic_constraints, ca ? "CA:FALSE" : "critical,CA:TRUE");
	if (san)
		ext(x, NULL, NID_subject_alt_name, san);
	if (eku)
		ext(x, NULL, NID_ext_key_usage, eku);
	X509_sign(x, ca ? cakey : key, EVP_sha256());
	X509_NAME_free(n);
	return x;
}

static const char *at(const char *d, const char *name)
{
	static char p[4][512];
	static int k;
	char *b = p[k++ % 4];
	snprintf(b, 512, "%s/%s", d, name);
	return b;
}

static void put(const char *d, const char *name, const char *text)
{
	FILE *f = fopen(at(d, name), "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

static void put_cert(const char *name, X509 *x)
{
	FILE *f = fopen(at(dir, name), "w");
	if (f) {
		PEM_write_X509(f, x);
		fclose(f);
	}
}

/* writes both files into d and loads, the log (stderr) in logbuf */
static struct config *load_in(const char *d, const char *conf, const char *secrets)
{
	put(d, "ipsec.conf", conf);
	put(d, "ipsec.secrets", secrets);
	err[0] = '\0';
	fflush(stderr);
	int saved = dup(2);
	FILE *tmp = tmpfile();
	dup2(fileno(tmp), 2);
	struct config *cfg = config_load(d, err, sizeof(err));
	fflush(stderr);
	dup2(saved, 2);
	close(saved);
	rewind(tmp);
	size_t n = fread(logbuf, 1, sizeof(logbuf) - 1, tmp);
	logbuf[n] = '\0';
	fclose(tmp);
	return cfg;
}

static struct config *load(const char *conf, const char *secrets)
{
	return load_in(dir, conf, secrets);
}

/* the load fails with exactly want (its %s: the dir) */
static int load_fails(const char *conf, const char *secrets, const char *want)
{
	struct config *cfg = load(conf, secrets);
	char full[1024];

	snprintf(full, sizeof(full), want, dir, dir);
	if (cfg) {
		config_free(cfg);
		printf("# loaded: %s\n", conf);
		return 0;
	}
	if (strcmp(err, full) != 0) {
		printf("# got  '%s'\n# want '%s'\n", err, full);
		return 0;
	}
	return 1;
}

static int lines(const char *needle)
{
	int n = 0;
	for (const char *p = logbuf; (p = strstr(p, needle)); p++)
		n++;
	return n;
}

static const struct peer_cfg *peer(const struct config *cfg, const char *name)
{
	for (int i = 0; cfg && i < cfg->n_peers; i++)
		if (strcmp(cfg->peers[i].name, name) == 0)
			return &cfg->peers[i];
	return NULL;
}

static bool id_is(const struct ident *id, const char *text)
{
	struct ident want;
	return ident_parse(text, &want) == 0 && ident_eq(id, &want);
}

/* seed 003's ipsec.conf as written (tests/unit/data/seed003.conf, the
 * guide's text) with its file names */
static void seed003(void)
{
	size_t len = 0;
	char reason[128];
	FILE *f = fopen("tests/unit/data/seed003.conf", "r");
	char text[8192];
	len = f ? fread(text, 1, sizeof(text) - 1, f) : 0;
	text[len] = '\0';
	if (f)
		fclose(f);
	(void)reason;
	struct config *cfg = load(text, ": RSA serverKey_myvpnserver.dyndns.org.pem\n"
	                          "remoteusername : EAP \"secretpassword\"\n");
	CHECK("seed003 loads", cfg && cfg->n_peers == 5);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	const struct peer_cfg *pk = peer(cfg, "rwPUBKEY"), *ios = peer(cfg, "rwPUBKEYIOS"),
	                      *tls = peer(cfg, "rwEAPTLS"), *ms = peer(cfg, "rwEAPMSCHAPV2");
	CHECK("seed003 server conns", pk && ios && tls && ms && !pk->client && !ios->client &&
	      !tls->client && !ms->client && pk->cert && pk->key);
	CHECK("seed003 rightcert loaded", pk && pk->remote_cert && tls->remote_cert &&
	      ios->remote_cert && !ms->remote_cert);
	CHECK("seed003 remote ids: rightcert's subject, rightid", pk &&
	      id_is(&pk->remote_id, "C=CH, O=Cygnet, CN=myvpnclient") &&
	      id_is(&tls->remote_id, "C=CH, O=Cygnet, CN=myvpnclient") &&
	      id_is(&ios->remote_id, "myVpnClients") && ms->remote_id.type == 0);
	CHECK("seed003 local id", pk && id_is(&pk->local_id, "myvpnserver.dyndns.org"));
	CHECK("seed003 warns about ';' only", lines("[cfg]") == 1 &&
	      lines("ipsec.conf:11: leftsubnet=0.0.0.0/0;::/0: ';' read as a list separator") == 1);
	if (lines("[cfg]") != 1)
		printf("# log:\n%s", logbuf);
	config_free(cfg);
}

static void server_auth(void)
{
	struct config *cfg;
	const char *base = "conn %default\n  auto=add\n  leftcert=srv-good.pem\n"
	                   "  leftid=vpn.example.org\n";
	char conf[2048];

	snprintf(conf, sizeof(conf), "%sconn md5\n  rightauth=eap-md5\nconn two\n  rightauth=pubkey\n"
	         "  rightauth2=eap-mschapv2\nconn any\n  rightauth=eap\n", base);
	cfg = load(conf, ": ECDSA srv.key\n");
	CHECK("eap-md5, two rounds, eap load", cfg && cfg->n_peers == 3 &&
	      peer(cfg, "two")->conn->right.auth2 == AUTH_EAP_MSCHAPV2 && lines("[cfg]") == 0);
	if (!cfg)
		printf("# %s\n", err);
	config_free(cfg);

	CHECK("err rightauth=psk without a PSK", load_fails(
		"conn p\n  auto=add\n  leftcert=srv-good.pem\n  rightauth=psk\n", ": ECDSA srv.key\n",
		"%s/ipsec.conf:1: conn 'p': rightauth=psk but ipsec.secrets has no PSK entry"));
	CHECK("err rightauth2=psk without a PSK", load_fails(
		"conn p\n  auto=add\n  leftcert=srv-good.pem\n  rightauth=pubkey\n  rightauth2=psk\n",
		": ECDSA srv.key\n",
		"%s/ipsec.conf:1: conn 'p': rightauth2=psk but ipsec.secrets has no PSK entry"));
	CHECK("err leftauth=eap-tls on a server", load_fails(
		"conn p\n  auto=add\n  leftauth=eap-tls\n  rightauth=pubkey\n", "",
		"%s/ipsec.conf:1: conn 'p': leftauth must be pubkey or psk (how the server "
		"authenticates; eap-tls is for clients)"));
	CHECK("err rightcert missing", load_fails(
		"conn p\n  auto=add\n  leftcert=srv-good.pem\n  rightcert=nope.pem\n", ": ECDSA srv.key\n",
		"%s/ipsec.conf:1: conn 'p': rightcert: %s/ipsec.d/certs/nope.pem: No such file or directory"));

	/* a PSK server needs no certificate; a short PSK is worth a line */
	cfg = load("conn p\n  auto=add\n  authby=psk\nconn q\n  auto=add\n  leftauth=psk\n"
	           "  rightauth=eap-mschapv2\nconn r\n  auto=add\n  leftcert=srv-good.pem\n"
	           "  rightauth=eap-mschapv2\n",
	           ": PSK \"short\"\nvpn.example.org : PSK \"0123456789abcdefghij\"\n: ECDSA srv.key\n");
	CHECK("psk server conns", cfg && cfg->n_peers == 3 && !peer(cfg, "p")->cert &&
	      peer(cfg, "p")->local_id.type == 0);
	CHECK("short PSK: one line naming the line and the conns", lines("[cfg]") == 1 &&
	      lines("ipsec.secrets:1: this PSK has only 5 characters: anyone who records one "
	            "IKE_AUTH exchange can try to guess it offline; use 20 or more random "
	            "characters (conns 'p', 'q' use PSKs)") == 1);
	if (lines("[cfg]") != 1)
		printf("# log:\n%s", logbuf);
	config_free(cfg);
	cfg = load("conn r\n  auto=add\n  leftcert=srv-good.pem\n  rightauth=eap-mschapv2\n",
	           ": PSK \"short\"\n: ECDSA srv.key\n");
	CHECK("short PSK no conn uses: no line", cfg && lines("PSK") == 0);
	config_free(cfg);

	/* client certificates need a CA to check them against */
	mkdir(at(dir2, "ipsec.d"), 0700);
	mkdir(at(dir2, "ipsec.d/certs"), 0700);
	cfg = load_in(dir2, "conn p\n  auto=add\n  authby=psk\n  rightauth=eap-tls\n", ": PSK \"0123456789abcdefghijk\"\n");
	CHECK("err eap-tls without CA", !cfg && strstr(err, "conn 'p': rightauth=eap-tls but ") &&
	      strstr(err, "/ipsec.d/cacerts holds no CA certificate (and rightcert= pins none) to "
	             "check clients' certificates against"));
	config_free(cfg);
}

/* the two mistakes the seed guides say break Windows and macOS clients */
static void server_cert_checks(void)
{
	struct config *cfg = load(
		"conn %default\n  auto=add\n  rightauth=eap-mschapv2\n"
		"conn a\n  leftcert=srv-plain.pem\n  leftid=vpn.example.org\n"
		"conn b\n  leftcert=srv-plain.pem\n  leftid=vpn.example.org\n"
		"conn c\n  leftcert=srv-ikeint.pem\n"
		"conn d\n  leftcert=srv-good.pem\n  leftid=vpn.example.org\n"
		"conn e\n  leftcert=srv-good.pem\n  leftid=198.18.0.1\n",
		": ECDSA srv.key\n");
	CHECK("cert checks load", cfg != NULL);
	CHECK("SAN missing: one line for conns a and b", lines("ipsec.conf:4: conn 'a', 'b': "
	      "leftid 'vpn.example.org' is not a subjectAltName of certificate 'C=CH, O=Cygnet, "
	      "CN=plain' (srv-plain.pem): Windows and macOS clients match the server name against "
	      "the SANs, not the CN, and will refuse the server") == 1);
	CHECK("EKU missing: one line for conns a and b", lines("ipsec.conf:4: conn 'a', 'b': "
	      "certificate 'C=CH, O=Cygnet, CN=plain' (srv-plain.pem) lacks the serverAuth "
	      "extended key usage: macOS and iOS clients refuse it, and Windows needs serverAuth "
	      "or ikeIntermediate") == 1);
	CHECK("ikeIntermediate only", lines("ipsec.conf:10: conn 'c': certificate 'C=CH, O=Cygnet, "
	      "CN=ikeint' (srv-ikeint.pem) lacks the serverAuth extended key usage: macOS and iOS "
	      "clients refuse it (Windows accepts its ikeIntermediate)") == 1);
	CHECK("leftid as an IP address not in the SANs", lines("ipsec.conf:15: conn 'e': leftid "
	      "'198.18.0.1' is not a subjectAltName") == 1);
	CHECK("nothing else", lines("[cfg]") == 4);
	if (lines("[cfg]") != 4)
		printf("# log:\n%s", logbuf);
	config_free(cfg);
	cfg = load("conn a\n  auto=add\n  rightauth=eap-mschapv2\n  leftcert=srv-plain.pem\n",
	           ": ECDSA srv.key\n");
	CHECK("no SAN at all, leftid the DN", cfg && lines("conn 'a': certificate 'C=CH, O=Cygnet, "
	      "CN=plain' (srv-plain.pem) has no DNS or IP subjectAltName") == 1);
	config_free(cfg);
}

static X509_CRL *crl_new(EVP_PKEY *signer, long next_days, long revoked_serial)
{
	X509_CRL *crl = X509_CRL_new();
	X509_CRL_set_version(crl, 1);
	X509_CRL_set_issuer_name(crl, X509_get_subject_name(ca));
	ASN1_TIME *t = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
	X509_CRL_set1_lastUpdate(crl, t);
	ASN1_TIME_adj(t, time(NULL), (int)next_days, next_days < 0 ? 0 : 0);
	X509_CRL_set1_nextUpdate(crl, t);
	ASN1_TIME_free(t);
	X509_REVOKED *r = X509_REVOKED_new();
	ASN1_INTEGER *sn = ASN1_INTEGER_new();
	ASN1_INTEGER_set(sn, revoked_serial);
	X509_REVOKED_set_serialNumber(r, sn);
	ASN1_TIME *rt = ASN1_TIME_adj(NULL, time(NULL), -1, 0);
	X509_REVOKED_set_revocationDate(r, rt);
	X509_CRL_add0_revoked(crl, r);
	ASN1_INTEGER_free(sn);
	ASN1_TIME_free(rt);
	X509_CRL_sort(crl);
	X509_CRL_sign(crl, signer, EVP_sha256());
	return crl;
}

static void crls(void)
{
	EVP_PKEY *other = EVP_EC_gen("P-256");
	X509_CRL *good = crl_new(cakey, 30, 7), *forged = crl_new(other, 30, 8),
	         *stale = crl_new(cakey, -2, 9);
	FILE *f;
	mkdir(at(dir, "ipsec.d/crls"), 0700);
	if ((f = fopen(at(dir, "ipsec.d/crls/ca.crl"), "w"))) {
		PEM_write_X509_CRL(f, good);
		fclose(f);
	}
	if ((f = fopen(at(dir, "ipsec.d/crls/ca-der.crl"), "w"))) {
		i2d_X509_CRL_fp(f, good);
		fclose(f);
	}
	if ((f = fopen(at(dir, "ipsec.d/crls/forged.pem"), "w"))) {
		PEM_write_X509_CRL(f, forged);
		fclose(f);
	}
	put(dir, "ipsec.d/crls/junk.crl", "not a CRL\n");
	struct config *cfg = load("config setup\n  strictcrlpolicy=yes\nconn a\n  auto=add\n"
	                          "  leftcert=srv-good.pem\n  leftid=vpn.example.org\n"
	                          "  rightauth=pubkey\n", ": ECDSA srv.key\n");
	CHECK("CRLs: PEM and DER kept", cfg && sk_X509_CRL_num(cfg->crls) == 2 &&
	      cfg->conf->strictcrlpolicy == CRL_POLICY_YES);
	CHECK("CRLs: forged one dropped", lines("ipsec.d/crls/forged.pem: the CRL of '/C=CH/O=Cygnet/"
	      "CN=Test CA' is not signed by that CA's key: ignored") == 1);
	CHECK("CRLs: junk named", lines("ipsec.d/crls/junk.crl: not a CRL (PEM or DER): ignored") == 1);
	config_free(cfg);
	unlink(at(dir, "ipsec.d/crls/forged.pem"));
	unlink(at(dir, "ipsec.d/crls/junk.crl"));
	if ((f = fopen(at(dir, "ipsec.d/crls/stale.crl"), "w"))) {
		PEM_write_X509_CRL(f, stale);
		fclose(f);
	}
	cfg = load("config setup\n  strictcrlpolicy=yes\nconn a\n  auto=add\n"
	           "  leftcert=srv-good.pem\n  leftid=vpn.example.org\n  rightauth=pubkey\n",
	           ": ECDSA srv.key\n");
	CHECK("CRLs: stale one kept with a line", cfg && sk_X509_CRL_num(cfg->crls) == 3 &&
	      lines("stale.crl: the CRL of '/C=CH/O=Cygnet/CN=Test CA' is past its nextUpdate: "
	            "with strictcrlpolicy the certificates of that CA are refused") == 1);
	config_free(cfg);
	unlink(at(dir, "ipsec.d/crls/stale.crl"));
	unlink(at(dir, "ipsec.d/crls/ca.crl"));
	unlink(at(dir, "ipsec.d/crls/ca-der.crl"));
	cfg = load("conn a\n  auto=add\n  leftcert=srv-good.pem\n  leftid=vpn.example.org\n"
	           "  rightauth=eap-mschapv2\n", ": ECDSA srv.key\n");
	CHECK("CRLs: none", cfg && cfg->crls && sk_X509_CRL_num(cfg->crls) == 0);
	config_free(cfg);
	X509_CRL_free(good);
	X509_CRL_free(forged);
	X509_CRL_free(stale);
	EVP_PKEY_free(other);
}

/* seed 000 with its "static-ip-for-putin" conn uncommented */
static const char *seed000 =
	"config setup\n  uniqueids=no\n"
	"conn %default\n  keyexchange=ikev2\n  auto=add\n  leftcert=srv-good.pem\n"
	"  leftsendcert=always\n  leftsubnet=0.0.0.0/0,::/0\n  eap_identity=%identity\n"
	"  rightsourceip=10.1.1.0/24,2a00:1450:400c:c05::/112\n"
	"  rightdns=8.8.8.8,2001:4860:4860::8888\n"
	"conn ikev2-mschapv2\n  rightauth=eap-mschapv2\n"
	"conn ikev2-mschapv2-apple\n  rightauth=eap-mschapv2\n  leftid=vpn.example.org\n"
	"conn static-ip-for-putin\n  also=\"ikev2-mschapv2-apple\"\n  rightid=putin\n"
	"  rightsourceip=10.1.1.99,2a00:1450:400c:c05::1337\n"
	"  rightdns=8.8.8.8,2001:4860:4860::8888\n";

static bool addr_is(int family, const uint8_t *a, const char *text)
{
	char buf[INET6_ADDRSTRLEN];
	return inet_ntop(family, a, buf, sizeof(buf)) && strcmp(buf, text) == 0;
}

static void per_user(void)
{
	struct config *cfg = load(seed000, ": ECDSA srv.key\nputin : EAP \"putin-password\"\n");
	CHECK("seed000 static-ip-for-putin loads", cfg && cfg->n_peers == 3);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	const struct peer_cfg *win = peer(cfg, "ikev2-mschapv2"), *apple = peer(cfg, "ikev2-mschapv2-apple"),
	                      *putin = peer(cfg, "static-ip-for-putin");
	CHECK("putin: rightid, single-address pools", putin && id_is(&putin->remote_id, "putin") &&
	      putin->pool4 && pool_size(putin->pool4) == 1 && putin->pool6 &&
	      pool_size(putin->pool6) == 1 && putin->pool4 != win->pool4);
	CHECK("the big pools are shared", win->pool4 == apple->pool4 && win->pool6 == apple->pool6 &&
	      pool_size(win->pool4) == 254);
	uint8_t a[16];
	const char *id = NULL;
	bool online = false;
	CHECK("10.1.1.99 reserved in the shared pool", pool_online(win->pool4) == 1 &&
	      pool_lease_at(win->pool4, 0, a, &id, &online) == 0 && online &&
	      strcmp(id, "%reserved:static-ip-for-putin") == 0 && addr_is(AF_INET, a, "10.1.1.99"));
	CHECK("...and ::1337 in the IPv6 one", pool_online(win->pool6) == 1 &&
	      pool_lease_at(win->pool6, 0, a, &id, &online) == 0 &&
	      addr_is(AF_INET6, a, "2a00:1450:400c:c05::1337"));
	/* everyone else: 253 addresses, never .99 */
	bool never = true;
	int got = 0;
	char user[32];
	for (int i = 0; i < 300; i++) {
		snprintf(user, sizeof(user), "user%d", i);
		if (pool_acquire(win->pool4, user, a) != 0)
			break;
		got++;
		never &= !addr_is(AF_INET, a, "10.1.1.99");
	}
	CHECK("the shared pool never hands out putin's address", never && got == 253);
	CHECK("putin's own pool gives it", pool_acquire(putin->pool4, "putin", a) == 0 &&
	      addr_is(AF_INET, a, "10.1.1.99"));
	/* a reload adopts the pools with their leases and the reservation */
	struct config *next = load(seed000, ": ECDSA srv.key\nputin : EAP \"putin-password\"\n");
	CHECK("reload loads", next != NULL);
	if (next) {
		config_adopt_pools(next, cfg);
		const struct peer_cfg *w2 = peer(next, "ikev2-mschapv2");
		CHECK("reload: same pool, one reservation", w2->pool4 == win->pool4 &&
		      pool_online(w2->pool4) == 254 && peer(next, "static-ip-for-putin")->pool4 ==
		      putin->pool4);
		config_free(next);
	}
	config_free(cfg);

	cfg = load("conn %default\n  auto=add\n  leftcert=srv-good.pem\n  rightauth=eap-mschapv2\n"
	           "conn a\n  rightsourceip=10.1.1.0/24\nconn b\n  rightsourceip=10.1.1.128/25\n",
	           ": ECDSA srv.key\n");
	CHECK("overlapping pools: a line", cfg && lines("pools 10.1.1.1-10.1.1.254 and "
	      "10.1.1.129-10.1.1.254 overlap: both may hand out the same address") == 1);
	config_free(cfg);
}

/* RADIUS's Framed-Pool: pools by conn name (ipsec.conf) or range, shared
 * pools only; the same through swanctl.conf's pool names */
static void pool_names(void)
{
	struct config *cfg = load(seed000, ": ECDSA srv.key\nputin : EAP \"putin-password\"\n");
	CHECK("pool names: seed000 loads", cfg != NULL);
	if (!cfg)
		return;
	const struct peer_cfg *win = peer(cfg, "ikev2-mschapv2");
	int why = 0;
	CHECK("pool named after its conn (IPv4, IPv6)",
	      config_pool_named(cfg, "ikev2-mschapv2", AF_INET, &why) == win->pool4 &&
	      config_pool_named(cfg, "ikev2-mschapv2-apple", AF_INET6, &why) == win->pool6);
	CHECK("pool named by its range as written", config_pool_named(cfg, "10.1.1.0/24", AF_INET,
	      &why) == win->pool4 && config_pool_named(cfg, "10.1.1.1-10.1.1.254", AF_INET, &why) ==
	      win->pool4);
	why = 0;
	CHECK("unknown name", !config_pool_named(cfg, "nope", AF_INET, &why) &&
	      why == CFG_POOL_UNKNOWN);
	why = 0;
	CHECK("a range that is no pool", !config_pool_named(cfg, "10.1.2.0/24", AF_INET, &why) &&
	      why == CFG_POOL_UNKNOWN);
	why = 0;
	CHECK("putin's own address is never picked", !config_pool_named(cfg,
	      "static-ip-for-putin", AF_INET, &why) && why == CFG_POOL_PRIVATE);
	why = 0;
	CHECK("...nor by its range", !config_pool_named(cfg, "10.1.1.99", AF_INET, &why) &&
	      why == CFG_POOL_PRIVATE);
	char names[256];
	config_pool_names(cfg, names, sizeof(names));
	CHECK("names for the log: shared ones", strcmp(names, "ikev2-mschapv2, "
	      "ikev2-mschapv2-apple") == 0);
	config_pool_names(cfg, names, 20);
	CHECK("names for the log: cut", strcmp(names, "ikev2-mschapv2...") == 0);
	config_free(cfg);
	cfg = load("conn %default\n  auto=add\n  leftcert=srv-good.pem\n  rightauth=eap-mschapv2\n"
	           "conn a\n  rightsourceip=10.1.1.0/24\n", ": ECDSA srv.key\n");
	why = 0;
	CHECK("a name without a pool of the family", cfg && !config_pool_named(cfg, "a", AF_INET6,
	      &why) && why == CFG_POOL_FAMILY);
	config_free(cfg);
}

static void attributes(void)
{
	struct conf_addr out[4];
	struct config *cfg = load("config setup\n  dns1=10.0.0.1\n  dns2=2001:db8::53\n"
	                          "  nbns1=10.0.0.2\nconn %default\n  auto=add\n"
	                          "  leftcert=srv-good.pem\n  rightauth=eap-mschapv2\n"
	                          "conn a\nconn b\n  rightdns=8.8.8.8\n", ": ECDSA srv.key\n");
	CHECK("attributes load", cfg != NULL);
	if (!cfg)
		return;
	const struct peer_cfg *a = peer(cfg, "a"), *b = peer(cfg, "b");
	int n = config_conn_dns(a, out, 4);
	CHECK("dns1, dns2", n == 2 && out[0].family == AF_INET && addr_is(AF_INET, out[0].addr,
	      "10.0.0.1") && addr_is(AF_INET6, out[1].addr, "2001:db8::53"));
	CHECK("dns max", config_conn_dns(a, out, 1) == 1);
	n = config_conn_dns(b, out, 4);
	CHECK("rightdns overrides dns1/dns2", n == 1 && addr_is(AF_INET, out[0].addr, "8.8.8.8"));
	n = config_conn_nbns(b, out, 4);
	CHECK("nbns1", n == 1 && addr_is(AF_INET, out[0].addr, "10.0.0.2"));
	config_free(cfg);
}

static void eap_creds(void)
{
	struct config *cfg = load("conn a\n  auto=add\n  leftcert=srv-good.pem\n"
	                          "  rightauth=eap-mschapv2\n",
	                          ": ECDSA srv.key\nalice : EAP \"alice-pw\"\n"
	                          "bob : NTLM 0x44EBBA8D5312B8D611474411F56989AE\n"
	                          "alice : NTLM 0x00112233445566778899aabbccddeeff\n");
	struct eap_cred c;
	size_t len;
	CHECK("eap creds load", cfg != NULL);
	if (!cfg)
		return;
	CHECK("password entry", config_eap_cred(cfg, "alice", &c) && c.password &&
	      c.password_len == 8 && !c.nt_hash && strcmp(c.account, "alice") == 0 &&
	      c.entry->line == 2);
	CHECK("NTLM entry", config_eap_cred(cfg, "bob", &c) && !c.password && c.nt_hash &&
	      check_hex_eq(c.nt_hash, 16, "44EBBA8D5312B8D611474411F56989AE"));
	CHECK("no entry", !config_eap_cred(cfg, "carol", &c) && !c.account);
	CHECK("config_eap_secret: passwords only", config_eap_secret(cfg, "alice", &len) &&
	      !config_eap_secret(cfg, "bob", &len));
	config_free(cfg);
}

static int make_pki(void)
{
	EVP_PKEY *srv = EVP_EC_gen("P-256"), *cl = EVP_EC_gen("P-256");
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	FILE *f;
	int rc = -1;

	cakey = EVP_EC_gen("P-256");
	ca = cert_new("Test CA", cakey, NULL, NULL, 1);
	if (!srv || !cl || !rsa || !ca || mkdir(at(dir, "ipsec.d"), 0700) ||
	    mkdir(at(dir, "ipsec.d/cacerts"), 0700) || mkdir(at(dir, "ipsec.d/certs"), 0700) ||
	    mkdir(at(dir, "ipsec.d/private"), 0700))
		goto out;
	X509 *good = cert_new("vpn.example.org", srv, "DNS:vpn.example.org", "serverAuth", 2);
	X509 *plain = cert_new("plain", srv, NULL, NULL, 3);
	X509 *ikeint = cert_new("ikeint", srv, "DNS:other.example.org", "1.3.6.1.5.5.8.2.2", 4);
	X509 *seed = cert_new("myvpnserver.dyndns.org", rsa, "DNS:myvpnserver.dyndns.org",
	                      "serverAuth", 5);
	X509 *client = cert_new("myvpnclient", cl, "DNS:myVpnClients", "clientAuth", 6);
	put_cert("ipsec.d/cacerts/ca.pem", ca);
	put_cert("ipsec.d/certs/srv-good.pem", good);
	put_cert("ipsec.d/certs/srv-plain.pem", plain);
	put_cert("ipsec.d/certs/srv-ikeint.pem", ikeint);
	put_cert("ipsec.d/certs/serverCert_myvpnserver.dyndns.org.pem", seed);
	put_cert("ipsec.d/certs/clientCert_myvpnclient.pem", client);
	X509_free(good);
	X509_free(plain);
	X509_free(ikeint);
	X509_free(seed);
	X509_free(client);
	if ((f = fopen(at(dir, "ipsec.d/private/srv.key"), "w"))) {
		PEM_write_PrivateKey(f, srv, NULL, NULL, 0, NULL, NULL);
		fclose(f);
	}
	if ((f = fopen(at(dir, "ipsec.d/private/serverKey_myvpnserver.dyndns.org.pem"), "w"))) {
		PEM_write_PrivateKey(f, rsa, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		rc = 0;
	}
out:
	EVP_PKEY_free(srv);
	EVP_PKEY_free(cl);
	EVP_PKEY_free(rsa);
	return rc;
}

/* rightauth=eap-radius needs strongswan.conf's eap-radius servers;
 * rightsourceip=%radius needs eap-radius, and keeps its ranges as pools */
static void radius(void)
{
	const char *base = "conn %default\n  auto=add\n  leftcert=srv-good.pem\n"
	                   "  leftid=vpn.example.org\n";
	char conf[2048], path[600];
	snprintf(conf, sizeof(conf), "%sconn r\n  rightauth=eap-radius\n"
	         "  rightsourceip=%%radius,10.9.0.0/24\n  eap_identity=%%identity\n", base);
	CHECK("err eap-radius without strongswan.conf", load_fails(conf, ": ECDSA srv.key\n",
	      "%s/ipsec.conf:5: conn 'r': rightauth=eap-radius but %s/strongswan.conf names no "
	      "RADIUS server (charon { plugins { eap-radius { servers { NAME { address, secret } } "
	      "} } })"));
	put(dir, "strongswan.conf", "charon {\n plugins {\n  eap-radius {\n   servers {\n"
	    "    a {\n     address = 192.0.2.5\n     secret = s3cret-s3cret\n    }\n   }\n"
	    "  }\n }\n}\n");
	struct config *cfg = load(conf, ": ECDSA srv.key\n");
	const struct peer_cfg *pc = cfg ? peer(cfg, "r") : NULL;
	CHECK("eap-radius with a server loads", pc && pc->conn->right.auth == AUTH_EAP_RADIUS &&
	      pc->conn->right.sourceip_radius && pc->pool4 && !pc->pool6 && cfg->radius->enabled);
	if (!cfg)
		printf("# %s\n", err);
	config_free(cfg);
	snprintf(conf, sizeof(conf), "%sconn r\n  rightauth=eap-radius\n  rightsourceip=%%radius\n",
	         base);
	cfg = load(conf, ": ECDSA srv.key\n");
	pc = cfg ? peer(cfg, "r") : NULL;
	CHECK("%radius alone: no pool", pc && pc->conn->right.sourceip_radius && !pc->pool4 &&
	      !pc->pool6);
	config_free(cfg);
	snprintf(conf, sizeof(conf), "%sconn m\n  rightauth=eap-mschapv2\n"
	         "  rightsourceip=10.9.0.0/24, %%radius\n", base);
	CHECK("err %radius without eap-radius", load_fails(conf, ": ECDSA srv.key\n",
	      "%s/ipsec.conf:5: conn 'm': rightsourceip=%%radius takes addresses from RADIUS, but "
	      "the conn authenticates its clients with eap-mschapv2, not eap-radius"));
	snprintf(path, sizeof(path), "%s/strongswan.conf", dir);
	unlink(path);
}

int main(void)
{
	char cmd[160];

	log_set_level(-1, 0);
	if (!mkdtemp(dir) || !mkdtemp(dir2) || make_pki() != 0) {
		printf("not ok setup: cannot make %s\n", dir);
		return 1;
	}
	seed003();
	server_auth();
	server_cert_checks();
	crls();
	per_user();
	pool_names();
	attributes();
	eap_creds();
	radius();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s' '%s'", dir, dir2);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	X509_free(ca);
	EVP_PKEY_free(cakey);
	CHECK_DONE();
}
