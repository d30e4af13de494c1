/* Certificates: a root CA (RSA), an intermediate (EC) and server
 * certificates (EC and RSA) made here; chain building, identities, key
 * matching, SPKI hash, subject text, loading from PEM/DER files. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509v3.h>

#include "crypto/cert.h"
#include "tests/unit/check.h"

static X509_NAME *make_name(const char *c, const char *o, const char *cn)
{
	X509_NAME *n = X509_NAME_new();
	X509_NAME_add_entry_by_txt(n, "C", MBSTRING_ASC, (const unsigned char *)c, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "O", MBSTRING_ASC, (const unsigned char *)o, -1, -1, 0);
	X509_NAME_add_entry_by_txt(n, "CN", MBSTRING_ASC, (const unsigned char *)cn, -1, -1, 0);
	return n;
}

static void add_ext(X509 *x, X509 *issuer, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509V3_set_ctx(&ctx, issuer, x, NULL, NULL, 0);
	X509_EXTENSION *e = X509V3_EXT_conf_nid(NULL, &ctx, nid, value);
	X509_add_ext(x, e, -1);
	X509_EXTENSION_free(e);
}

/* issuer NULL: self-signed */
static X509 *make_cert(X509_NAME *subject, EVP_PKEY *key, X509 *issuer, EVP_PKEY *ikey,
                       bool ca, const char *san, long serial)
{
	X509 *x = X509_new();
	X509_set_version(x, 2);
	ASN1_INTEGER_set(X509_get_serialNumber(x), serial);
	X509_gmtime_adj(X509_getm_notBefore(x), -3600);
	X509_gmtime_adj(X509_getm_notAfter(x), 86400);
	X509_set_subject_name(x, subject);
	X509_set_issuer_name(x, issuer ? X509_get_subject_name(issuer) : subject);
	X509_set_pubkey(x, key);
	add_ext(x, issuer ? issuer : x, NID_subject_key_identifier, "hash");
	add_ext(x, issuer ? issuer : x, NID_authority_key_identifier, "keyid:always");
	add_ext(x, NULL, NID_basic_constraints, ca ? "critical,CA:TRUE" : "CA:FALSE");
	if (san)
		add_ext(x, NULL, NID_subject_alt_name, san);
	X509_sign(x, ikey ? ikey : key, EVP_sha256());
	return x;
}

static char dir[] = "/tmp/cygnet-cert-XXXXXX";

static const char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

static void write_pem(const char *name, X509 *a, X509 *b)
{
	FILE *f = fopen(path_of(name), "w");
	PEM_write_X509(f, a);
	if (b)
		PEM_write_X509(f, b);
	fclose(f);
}

static uint8_t *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = malloc(65536);
	*len = 0;
	if (f && buf)
		*len = fread(buf, 1, 65536, f);
	if (f)
		fclose(f);
	return buf;
}

static void write_der(const char *name, X509 *a)
{
	FILE *f = fopen(path_of(name), "wb");
	i2d_X509_fp(f, a);
	fclose(f);
}

int main(void)
{
	EVP_PKEY *cakey = EVP_RSA_gen(2048), *ikey = EVP_EC_gen("P-256");
	EVP_PKEY *skey = EVP_EC_gen("P-384"), *rkey = EVP_RSA_gen(2048);
	EVP_PKEY *fakekey = EVP_EC_gen("P-256");
	X509_NAME *ca_n = make_name("CH", "strongSwan", "strongSwan Root CA");
	X509_NAME *int_n = make_name("CH", "strongSwan", "Intermediate CA");
	X509_NAME *srv_n = make_name("CH", "strongSwan", "moon");
	X509_NAME *rsa_n = make_name("DE", "cygnet", "sun.example.org");
	char err[512];

	X509 *ca = make_cert(ca_n, cakey, NULL, NULL, true, NULL, 1);
	X509 *inter = make_cert(int_n, ikey, ca, cakey, true, NULL, 2);
	/* same subject name as the intermediate, other key, self-issued by
	 * the root: names match but it did not sign the server cert */
	X509 *fake = make_cert(int_n, fakekey, ca, cakey, true, NULL, 3);
	X509 *srv = make_cert(srv_n, skey, inter, ikey, false,
	                      "DNS:moon.strongswan.org,DNS:vpn.example.com,IP:198.18.0.1,"
	                      "IP:2001:db8::1,email:admin@example.com", 4);
	X509 *rsrv = make_cert(rsa_n, rkey, ca, cakey, false, "DNS:sun.example.org", 5);

	CHECK("certs built", ca && inter && fake && srv && rsrv);

	/* chain: fake first in the pool so the signature check matters */
	STACK_OF(X509) *pool = sk_X509_new_null();
	sk_X509_push(pool, fake);
	sk_X509_push(pool, ca);
	sk_X509_push(pool, inter);
	STACK_OF(X509) *chain = cert_chain(srv, pool);
	CHECK("chain srv -> intermediate (root excluded)",
	      chain && sk_X509_num(chain) == 1 && sk_X509_value(chain, 0) == inter);
	sk_X509_pop_free(chain, X509_free);
	chain = cert_chain(rsrv, pool);
	CHECK("chain directly under root is empty", chain && sk_X509_num(chain) == 0);
	sk_X509_pop_free(chain, X509_free);
	chain = cert_chain(ca, pool);
	CHECK("chain of self-signed is empty", chain && sk_X509_num(chain) == 0);
	sk_X509_pop_free(chain, X509_free);
	STACK_OF(X509) *pool2 = sk_X509_new_null();
	sk_X509_push(pool2, fake);
	chain = cert_chain(srv, pool2);
	CHECK("chain: name-only match is not an issuer", chain && sk_X509_num(chain) == 0);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_free(pool2);

	/* a longer chain: root -> i1 -> i2 -> i3 -> leaf */
	EVP_PKEY *k1 = EVP_EC_gen("P-256"), *k2 = EVP_EC_gen("P-256"), *k3 = EVP_EC_gen("P-256");
	X509_NAME *n1 = make_name("CH", "x", "i1"), *n2 = make_name("CH", "x", "i2"),
	          *n3 = make_name("CH", "x", "i3"), *nl = make_name("CH", "x", "leaf");
	X509 *i1 = make_cert(n1, k1, ca, cakey, true, NULL, 10);
	X509 *i2 = make_cert(n2, k2, i1, k1, true, NULL, 11);
	X509 *i3 = make_cert(n3, k3, i2, k2, true, NULL, 12);
	X509 *leaf = make_cert(nl, skey, i3, k3, false, NULL, 13);
	STACK_OF(X509) *pool3 = sk_X509_new_null();
	sk_X509_push(pool3, i3);
	sk_X509_push(pool3, ca);
	sk_X509_push(pool3, i1);
	sk_X509_push(pool3, i2);
	chain = cert_chain(leaf, pool3);
	CHECK("chain of three intermediates in order",
	      chain && sk_X509_num(chain) == 3 && sk_X509_value(chain, 0) == i3 &&
	      sk_X509_value(chain, 1) == i2 && sk_X509_value(chain, 2) == i1);
	sk_X509_pop_free(chain, X509_free);
	sk_X509_free(pool3);

	/* identities */
	const char *fq = "vpn.example.com";
	CHECK("has_id fqdn", cert_has_id(srv, ID_FQDN, (const uint8_t *)fq, strlen(fq)));
	CHECK("has_id fqdn case-insensitive",
	      cert_has_id(srv, ID_FQDN, (const uint8_t *)"MOON.strongSwan.ORG", 19));
	CHECK("has_id fqdn prefix is not a match",
	      !cert_has_id(srv, ID_FQDN, (const uint8_t *)"vpn.example.co", 14));
	CHECK("has_id fqdn not present",
	      !cert_has_id(srv, ID_FQDN, (const uint8_t *)"sun.example.org", 15));
	CHECK("has_id fqdn is not the CN",
	      !cert_has_id(srv, ID_FQDN, (const uint8_t *)"moon", 4));
	CHECK("has_id email", cert_has_id(srv, ID_RFC822_ADDR, (const uint8_t *)"admin@example.com", 17));
	CHECK("has_id email not as fqdn",
	      !cert_has_id(srv, ID_FQDN, (const uint8_t *)"admin@example.com", 17));
	uint8_t v4[4], v6[16];
	inet_pton(AF_INET, "198.18.0.1", v4);
	inet_pton(AF_INET6, "2001:db8::1", v6);
	CHECK("has_id ipv4", cert_has_id(srv, ID_IPV4_ADDR, v4, 4));
	CHECK("has_id ipv6", cert_has_id(srv, ID_IPV6_ADDR, v6, 16));
	v4[3] = 2;
	CHECK("has_id other ipv4", !cert_has_id(srv, ID_IPV4_ADDR, v4, 4));
	CHECK("has_id ipv6 as ipv4", !cert_has_id(srv, ID_IPV4_ADDR, v6, 16));
	size_t dnlen = 0;
	uint8_t *dn = cert_subject_der(srv, &dnlen);
	CHECK("has_id der dn", dn && cert_has_id(srv, ID_DER_ASN1_DN, dn, dnlen));
	CHECK("has_id der dn of another cert", dn && !cert_has_id(rsrv, ID_DER_ASN1_DN, dn, dnlen));
	CHECK("has_id truncated dn", dn && !cert_has_id(srv, ID_DER_ASN1_DN, dn, dnlen - 1));
	/* the same DN built independently encodes the same */
	unsigned char *dn2 = NULL;
	int dn2len = i2d_X509_NAME(srv_n, &dn2);
	CHECK("subject der = independent encoding",
	      dn && dn2len == (int)dnlen && memcmp(dn, dn2, dnlen) == 0);
	OPENSSL_free(dn2);
	free(dn);
	CHECK("has_id key id never", !cert_has_id(srv, ID_KEY_ID, (const uint8_t *)"abc", 3));

	/* subject text */
	char text[256];
	CHECK("subject text", cert_subject_text(srv, text, sizeof(text)) == 0 &&
	      strcmp(text, "C=CH, O=strongSwan, CN=moon") == 0);
	CHECK("subject text too small", cert_subject_text(srv, text, 10) != 0);

	/* keys */
	CHECK("key matches (EC)", cert_key_matches(srv, skey));
	CHECK("key matches (RSA)", cert_key_matches(rsrv, rkey));
	CHECK("key mismatch same type", !cert_key_matches(srv, ikey) && !cert_key_matches(rsrv, cakey));
	CHECK("key mismatch other type", !cert_key_matches(srv, rkey));

	/* SPKI SHA-1 against an independent computation: SHA-1 over the
	 * DER SubjectPublicKeyInfo of the public key */
	uint8_t got[20], want[20];
	unsigned char *spki = NULL;
	int spkilen = i2d_PUBKEY(cakey, &spki);
	unsigned int wl = 0;
	EVP_Digest(spki, (size_t)spkilen, want, &wl, EVP_sha1(), NULL);
	OPENSSL_free(spki);
	CHECK("spki sha1", cert_spki_sha1(ca, got) == 0 && wl == 20 && memcmp(got, want, 20) == 0);
	cert_spki_sha1(inter, got);
	CHECK("spki sha1 differs per key", memcmp(got, want, 20) != 0);

	/* DER of the cert */
	size_t derlen = 0;
	uint8_t *der = cert_der(srv, &derlen);
	const unsigned char *dp = der;
	X509 *back = der ? d2i_X509(NULL, &dp, (long)derlen) : NULL;
	CHECK("cert der round trip", back && X509_cmp(back, srv) == 0);
	X509_free(back);
	free(der);

	/* files */
	if (!mkdtemp(dir)) {
		CHECK("mkdtemp", 0);
		CHECK_DONE();
	}
	write_pem("srv.pem", srv, NULL);
	write_der("srv.der", srv);
	X509 *lp = cert_load(path_of("srv.pem"), err, sizeof(err));
	X509 *ld = cert_load(path_of("srv.der"), err, sizeof(err));
	CHECK("load pem", lp && X509_cmp(lp, srv) == 0);
	CHECK("load der", ld && X509_cmp(ld, srv) == 0);
	X509_free(lp);
	X509_free(ld);
	FILE *f = fopen(path_of("junk"), "w");
	fputs("hello\n", f);
	fclose(f);
	err[0] = 0;
	CHECK("load junk fails", !cert_load(path_of("junk"), err, sizeof(err)) && err[0]);
	err[0] = 0;
	CHECK("load missing fails", !cert_load(path_of("nope"), err, sizeof(err)) &&
	      strstr(err, "No such file"));

	/* cert_parse: a PEM bundle of two, then one DER, then junk */
	write_pem("bundle.pem", ca, inter);
	size_t blen = 0;
	uint8_t *bundle = slurp(path_of("bundle.pem"), &blen);
	STACK_OF(X509) *loaded = sk_X509_new_null();
	CHECK("parse PEM bundle", bundle && cert_parse(bundle, blen, "b", loaded, err, sizeof(err)) == 0 &&
	      sk_X509_num(loaded) == 2);
	free(bundle);
	write_der("one.der", rsrv);
	bundle = slurp(path_of("one.der"), &blen);
	CHECK("parse DER appends", bundle && cert_parse(bundle, blen, "d", loaded, err, sizeof(err)) == 0 &&
	      sk_X509_num(loaded) == 3);
	free(bundle);
	err[0] = 0;
	CHECK("parse junk fails and names it",
	      cert_parse((const uint8_t *)"junk", 4, "zz-junk", loaded, err, sizeof(err)) != 0 &&
	      strstr(err, "zz-junk") && sk_X509_num(loaded) == 3);
	sk_X509_pop_free(loaded, X509_free);
	unlink(path_of("bundle.pem"));
	unlink(path_of("one.der"));
	unlink(path_of("srv.pem"));
	unlink(path_of("srv.der"));
	unlink(path_of("junk"));
	rmdir(dir);

	sk_X509_free(pool);
	X509 *all[] = { ca, inter, fake, srv, rsrv, i1, i2, i3, leaf };
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		X509_free(all[i]);
	X509_NAME *names[] = { ca_n, int_n, srv_n, rsa_n, n1, n2, n3, nl };
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		X509_NAME_free(names[i]);
	EVP_PKEY *keys[] = { cakey, ikey, skey, rkey, fakekey, k1, k2, k3 };
	for (size_t i = 0; i < sizeof(keys) / sizeof(keys[0]); i++)
		EVP_PKEY_free(keys[i]);
	CHECK_DONE();
}
