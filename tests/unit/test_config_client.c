/* src/config.c for client conns: a config dir made here (an EC CA and a
 * client certificate), ipsec.conf/ipsec.secrets written per case and
 * loaded with config_load: EAP and PSK client conns without leftcert, a
 * pubkey client with one, rightca resolution (and %same), the errors with
 * file:line, config_conn_initiates, and config_psk's ranking (strongSwan's
 * credential manager: peer match first, then own match; no selectors =
 * %any, the lowest). Server conns keep their checks (test_two_daemons and
 * the daemon tests load them as before). */
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/cert.h"
#include "src/config.h"
#include "src/log.h"
#include "tests/unit/check.h"

static char dir[] = "/tmp/cygnet-cfgcl-XXXXXX";
static char err[1024];

static X509_NAME *name_of(const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)"CH", -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)o, -1, -1, 0);
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

/* issuer NULL: a self-signed CA */
static X509 *cert_new(X509_NAME *subj, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
                      const char *san)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), issuer ? 2 : 1);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_subject_name(x, subj);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subj);
	X509_set_pubkey(x, key);
	ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	ext(x, NULL, NID_basic_constraints, issuer ? "CA:FALSE" : "critical,CA:TRUE");
	if (san)
		ext(x, NULL, NID_subject_alt_name, san);
	X509_sign(x, issuer ? ikey : key, EVP_sha256());
	return x;
}

static const char *at(const char *name)
{
	static char p[4][512];
	static int k;
	char *b = p[k++ % 4];
	snprintf(b, 512, "%s/%s", dir, name);
	return b;
}

static void put(const char *name, const char *text)
{
	FILE *f = fopen(at(name), "w");
	if (f) {
		fputs(text, f);
		fclose(f);
	}
}

/* writes both files and loads; NULL with err set on failure */
static struct config *load(const char *conf, const char *secrets)
{
	put("ipsec.conf", conf);
	put("ipsec.secrets", secrets);
	err[0] = '\0';
	return config_load(dir, err, sizeof(err));
}

/* the load fails with exactly want (after "DIR/") */
static int load_fails(const char *conf, const char *secrets, const char *want)
{
	struct config *cfg = load(conf, secrets);
	char full[1024];

	snprintf(full, sizeof(full), want, dir, dir);   /* want holds one or two %s */
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

static void eap_client(void)
{
	struct config *cfg = load(
		"conn home\n  auto=start\n  right=vpn.example.com\n  rightsubnet=0.0.0.0/0,::/0\n"
		"  leftauth=eap-mschapv2\n  eap_identity=alice\n  leftsourceip=%config4,%config6\n"
		"  keyingtries=%forever\n  closeaction=restart\n"
		"conn office\n  auto=add\n  right=198.18.0.1\n  rightid=@gw.example.com\n"
		"  leftid=bob\n  leftauth=eap\n",
		"alice : EAP \"alice-pw\"\nbob : EAP \"bob-pw\"\n");
	const struct peer_cfg *h = peer(cfg, "home"), *o = peer(cfg, "office");

	CHECK("eap client loads without leftcert", cfg && h && o);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	CHECK("eap client: a client, no certificate", h->client && !h->cert && !h->key && !h->chain &&
	      o->client && !o->cert);
	CHECK("eap client initiates", config_conn_initiates(h) && config_conn_initiates(o));
	CHECK("eap client: local id defaults to the address", ident_is_any(&h->local_id) &&
	      id_is(&o->local_id, "bob"));
	CHECK("eap client: remote id defaults to right= (FQDN)", h->remote_id.type == ID_FQDN &&
	      id_is(&h->remote_id, "vpn.example.com"));
	CHECK("eap client: rightid wins", id_is(&o->remote_id, "@gw.example.com"));
	CHECK("eap client: keywords", h->conn->autostart == AUTO_START && h->conn->keyingtries == 0 &&
	      h->conn->closeaction == DPD_RESTART && h->conn->left.want_vip4 &&
	      h->conn->left.want_vip6 && h->conn->right.n_subnet == 2 && h->conn->n_pending == 0 &&
	      !h->pool4 && !h->pool6 && !h->remote_ca);
	size_t len = 0;
	const char *pw = config_eap_secret(cfg, h->conn->eap_identity, &len);
	CHECK("eap client: password by eap_identity", pw && len == 8 && memcmp(pw, "alice-pw", 8) == 0);
	pw = config_eap_secret(cfg, o->conn->left.id, &len);
	CHECK("eap client: password by leftid", pw && len == 6 && memcmp(pw, "bob-pw", 6) == 0);
	config_free(cfg);

	CHECK("err eap client without secret", load_fails(
		"conn home\n  auto=start\n  right=vpn.example.com\n  leftauth=eap-mschapv2\n"
		"  eap_identity=carol\n", "alice : EAP \"pw\"\n",
		"%s/ipsec.conf:1: conn 'home': no EAP secret for 'carol' in ipsec.secrets "
		"(carol : EAP \"password\")"));
	CHECK("err eap client without user name", load_fails(
		"conn home\n  auto=start\n  right=vpn.example.com\n  leftauth=eap-mschapv2\n", "",
		"%s/ipsec.conf:1: conn 'home': leftauth=eap-mschapv2 needs the user name in "
		"eap_identity= or leftid="));
	CHECK("err client rightauth eap is a server conn", load_fails(
		"conn x\n  auto=add\n  right=198.18.0.1\n  rightauth=eap-mschapv2\n", "",
		"%s/ipsec.conf:1: conn 'x': leftcert= is missing (the server authenticates with "
		"its certificate)"));
	CHECK("err server conn keeps its checks", load_fails(
		"conn x\n  auto=add\n  right=%any\n  leftauth=eap-mschapv2\n  rightauth=eap-mschapv2\n", "",
		"%s/ipsec.conf:1: conn 'x': leftauth must be pubkey or psk (how the server "
		"authenticates; eap-mschapv2 is for clients)"));
	CHECK("err client leftauth=eap-tls", load_fails(
		"conn x\n  auto=start\n  right=198.18.0.1\n  leftauth=eap-tls\n", "",
		"%s/ipsec.conf:1: conn 'x': leftauth=eap-tls: as a client cygnet authenticates with "
		"pubkey, psk or eap-mschapv2"));
	CHECK("err client with only an NTLM hash", load_fails(
		"conn home\n  auto=start\n  right=vpn.example.com\n  leftauth=eap-mschapv2\n"
		"  leftid=carol\n", "carol : NTLM 0x44EBBA8D5312B8D611474411F56989AE\n",
		"%s/ipsec.conf:1: conn 'home': 'carol' has an NTLM hash in ipsec.secrets "
		"(%s/ipsec.secrets:1); as a client cygnet needs the password (carol : EAP \"password\")"));
	/* strongSwan's default rightauth is pubkey (authby=pubkey) */
	struct config *cfg2 = load("conn x\n  auto=add\n  leftcert=client.pem\n", ": ECDSA client.key\n");
	CHECK("server conn without rightauth: pubkey clients", cfg2 && !cfg2->peers[0].client &&
	      cfg2->peers[0].cert && cfg2->peers[0].conn->right.auth == AUTH_UNSET);
	if (!cfg2)
		printf("# %s\n", err);
	config_free(cfg2);
}

static void psk_client(void)
{
	struct config *cfg = load(
		"conn p\n  auto=start\n  right=198.18.0.1\n  authby=psk\n  leftid=@me.example\n",
		"@me.example @198.18.0.1 : PSK \"both\"\n: PSK 0x616e79\n");
	const struct peer_cfg *p = peer(cfg, "p");

	CHECK("psk client loads", p && p->client && !p->cert && p->conn->left.auth == AUTH_PSK &&
	      p->conn->right.auth == AUTH_PSK && p->remote_id.type == ID_IPV4_ADDR);
	if (!cfg)
		printf("# %s\n", err);
	config_free(cfg);
	CHECK("err psk client without a PSK", load_fails(
		"conn p\n  auto=start\n  right=198.18.0.1\n  leftauth=psk\n  rightauth=pubkey\n",
		"u : EAP \"pw\"\n",
		"%s/ipsec.conf:1: conn 'p': leftauth=psk but ipsec.secrets has no PSK entry"));
	CHECK("err psk selector", load_fails(
		"conn p\n  auto=start\n  right=198.18.0.1\n  leftauth=psk\n",
		"\n\"C=CH, =x\" : PSK \"s\"\n",
		"%s/ipsec.secrets:2: PSK selector 'C=CH, =x' is not a valid identity"));
}

static void pubkey_client(void)
{
	struct config *cfg = load(
		"conn c\n  auto=start\n  right=vpn.example.com\n  leftcert=client.pem\n"
		"  rightca=\"C=CH, O=Cygnet Test, CN=Test CA\"\n"
		"conn dn\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
		"  leftid=\"C=CH, O=Cygnet Test, CN=client\"\n  rightca=\"C=ch, O=cygnet  test,CN=TEST CA\"\n",
		": ECDSA client.key\n");
	const struct peer_cfg *c = peer(cfg, "c"), *s, *d = peer(cfg, "dn");

	CHECK("pubkey client loads", c && d);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	CHECK("pubkey client: certificate and key", c->client && c->cert && c->key &&
	      cert_key_matches(c->cert, c->key) && c->local_id.type == ID_DER_ASN1_DN &&
	      id_is(&c->local_id, "C=CH, O=Cygnet Test, CN=client"));
	X509 *ca = sk_X509_value(cfg->cacerts, 0);
	CHECK("rightca resolved", c->remote_ca && X509_cmp(c->remote_ca, ca) == 0);
	CHECK("rightca as X.509 names (case, spaces)", d->remote_ca && X509_cmp(d->remote_ca, ca) == 0 &&
	      id_is(&d->local_id, "C=CH, O=Cygnet Test, CN=client"));
	config_free(cfg);

	cfg = load("conn same\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
	           "  leftca=\"C=CH, O=Cygnet Test, CN=Test CA\"\n  rightca=%same\n"
	           "conn none\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
	           "  rightca=%same\n",
	           ": ECDSA client.key\n");
	s = peer(cfg, "same");
	const struct peer_cfg *n = peer(cfg, "none");
	CHECK("rightca=%same", s && s->remote_ca && n && !n->remote_ca);
	if (!cfg)
		printf("# %s\n", err);
	config_free(cfg);

	CHECK("err rightca unknown", load_fails(
		"conn c\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
		"  rightca=\"C=CH, O=Other, CN=Other CA\"\n", ": ECDSA client.key\n",
		"%s/ipsec.conf:5: rightca: no CA certificate in %s/ipsec.d/cacerts has the subject "
		"'C=CH, O=Other, CN=Other CA'"));
	CHECK("err rightca %same with an unknown leftca", load_fails(
		"conn c\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
		"  leftca=\"CN=Nobody\"\n  rightca=%same\n", ": ECDSA client.key\n",
		"%s/ipsec.conf:6: rightca: no CA certificate in %s/ipsec.d/cacerts has the subject "
		"'CN=Nobody'"));
	CHECK("err rightca not a DN", load_fails(
		"conn c\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
		"  rightca=myca\n", ": ECDSA client.key\n",
		"%s/ipsec.conf:5: rightca: 'myca' is not a distinguished name "
		"(\"C=CH, O=Example, CN=Example CA\")"));
	CHECK("err pubkey client without leftcert", load_fails(
		"conn c\n  auto=add\n  right=vpn.example.com\n", "",
		"%s/ipsec.conf:1: conn 'c': leftcert= is missing (leftauth=pubkey, the default, "
		"signs with a certificate)"));
	CHECK("err pubkey client without key", load_fails(
		"conn c\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n", "",
		"%s/ipsec.conf:1: conn 'c': no private key in ipsec.secrets matches certificate "
		"%s/ipsec.d/certs/client.pem"));
	CHECK("err rightca: RDNs in another order are another name", load_fails(
		"conn c\n  auto=add\n  right=vpn.example.com\n  leftcert=client.pem\n"
		"  rightca=\"CN=Test CA, O=Cygnet Test, C=CH\"\n", ": ECDSA client.key\n",
		"%s/ipsec.conf:5: rightca: no CA certificate in %s/ipsec.d/cacerts has the subject "
		"'CN=Test CA, O=Cygnet Test, C=CH'"));
}

/* config_psk: the entry chosen for (me, peer) */
static void psk_ranking(void)
{
	struct config *cfg = load(
		"conn p\n  auto=add\n  right=198.18.0.1\n  authby=psk\n",
		": PSK \"any\"\n"
		"moon : PSK \"moon-only\"\n"
		"sun : PSK \"sun-only\"\n"
		"moon sun : PSK \"moon-sun\"\n"
		"*.example.org : PSK \"wild\"\n"
		"carol@example.org : PSK 0sY2Fyb2w=\n"
		"198.18.0.7 : PSK \"addr\"\n"
		"dave : PSK \"dave-1\"\n"
		"dave : PSK \"dave-2\"\n"
		"* : PSK \"star\"\n"
		"u : EAP \"not a psk\"\n");
	struct ident moon, sun, venus, host, carol, addr, any, dave;
	size_t len = 0;

	CHECK("psk ranking loads", cfg != NULL);
	if (!cfg) {
		printf("# %s\n", err);
		return;
	}
	ident_parse("moon", &moon);
	ident_parse("sun", &sun);
	ident_parse("venus", &venus);
	ident_parse("host.example.org", &host);
	ident_parse("carol@example.org", &carol);
	ident_parse("198.18.0.7", &addr);
	ident_parse("%any", &any);
	ident_parse("dave", &dave);
#define PSK(name, me, peer, want) do { \
		const uint8_t *k = config_psk(cfg, me, peer, &len); \
		CHECK(name, (want) ? k && len == strlen(want ? want : "") && \
		                     memcmp(k, want ? want : "", len) == 0 : k == NULL); \
		if (k && (want) && (len != strlen(want ? want : "") || memcmp(k, want ? want : "", len))) \
			printf("# got '%.*s'\n", (int)len, (const char *)k); \
	} while (0)
	PSK("psk both perfect", &moon, &sun, "moon-sun");
	PSK("psk both perfect, either order", &sun, &moon, "moon-sun");
	/* "sun" and "moon sun" both match the peer perfectly and me not at all */
	PSK("psk peer perfect, tie: the last written wins", &venus, &sun, "moon-sun");
	PSK("psk a peer match (wildcard) beats a perfect me match", &moon, &host, "wild");
	/* strongSwan ranks the peer first: "moon" (peer NONE) loses to ": PSK" and "*" (peer ANY) */
	PSK("psk only me named: %any entries win, the last of them", &moon, &venus, "star");
	PSK("psk wildcard suffix", &venus, &host, "wild");
	PSK("psk RFC822", &venus, &carol, "carol");
	PSK("psk address", &venus, &addr, "addr");
	PSK("psk tie: the last written wins", &venus, &dave, "dave-2");
	PSK("psk peer not known yet", &sun, NULL, "moon-sun");
	PSK("psk %any peer: only a %any owner matches it (perfectly), '*' does not", &venus, &any,
	    "any");
	PSK("psk no ids", NULL, NULL, NULL);
#undef PSK
	config_free(cfg);

	cfg = load("conn p\n  auto=add\n  right=198.18.0.1\n  authby=psk\n",
	           "moon sun : PSK \"moon-sun\"\n");
	CHECK("psk no match without catch-all", cfg && !config_psk(cfg, &venus, &host, &len) &&
	      config_psk(cfg, &venus, &moon, &len));
	config_free(cfg);
}

static void initiates(void)
{
	struct conf_conn cc;
	struct peer_cfg pc;
	const char *hosts[] = { "198.18.0.1", "2001:db8::1", "vpn.example.com" };
	const char *no[] = { "%any", "%any4", "%any6", "" };

	memset(&pc, 0, sizeof(pc));
	memset(&cc, 0, sizeof(cc));
	pc.conn = &cc;
	CHECK("initiates: no right=", !config_conn_initiates(&pc) && !config_conn_initiates(NULL));
	for (size_t i = 0; i < sizeof(hosts) / sizeof(hosts[0]); i++) {
		cc.right.host = (char *)hosts[i];
		CHECK(hosts[i], config_conn_initiates(&pc));
	}
	for (size_t i = 0; i < sizeof(no) / sizeof(no[0]); i++) {
		cc.right.host = (char *)no[i];
		CHECK(no[i][0] ? no[i] : "initiates: empty", !config_conn_initiates(&pc));
	}
}

static int make_pki(void)
{
	EVP_PKEY *cakey = EVP_EC_gen("P-256"), *key = EVP_EC_gen("P-256");
	X509_NAME *can = name_of("Cygnet Test", "Test CA"), *cn = name_of("Cygnet Test", "client");
	X509 *ca = cakey && can ? cert_new(can, cakey, NULL, NULL, NULL) : NULL;
	X509 *crt = ca && key && cn ? cert_new(cn, key, ca, cakey, "email:client@example.org") : NULL;
	FILE *f;
	int rc = -1;

	if (!crt || mkdir(at("ipsec.d"), 0700) || mkdir(at("ipsec.d/cacerts"), 0700) ||
	    mkdir(at("ipsec.d/certs"), 0700) || mkdir(at("ipsec.d/private"), 0700))
		goto out;
	if ((f = fopen(at("ipsec.d/cacerts/ca.pem"), "w"))) {
		PEM_write_X509(f, ca);
		fclose(f);
	}
	if ((f = fopen(at("ipsec.d/certs/client.pem"), "w"))) {
		PEM_write_X509(f, crt);
		fclose(f);
	}
	if ((f = fopen(at("ipsec.d/private/client.key"), "w"))) {
		PEM_write_PrivateKey(f, key, NULL, NULL, 0, NULL, NULL);
		fclose(f);
		rc = 0;
	}
out:
	X509_free(ca);
	X509_free(crt);
	X509_NAME_free(can);
	X509_NAME_free(cn);
	EVP_PKEY_free(cakey);
	EVP_PKEY_free(key);
	return rc;
}

int main(void)
{
	char cmd[128];

	log_set_level(-1, -1);
	if (!mkdtemp(dir) || make_pki() != 0) {
		printf("not ok setup: cannot make %s\n", dir);
		return 1;
	}
	eap_client();
	psk_client();
	pubkey_client();
	psk_ranking();
	initiates();
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
	CHECK_DONE();
}
