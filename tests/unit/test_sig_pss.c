/* RSASSA-PSS in AUTH method 14 (RFC 7427 with RFC 8017 / RFC 4055
 * parameters): sign/verify round trips for SHA-256/384/512 with RSA-2048
 * keys made here, the RFC 7427 A.4.3 identifier bytes, signatures and
 * identifiers made by OpenSSL's own PSS code as a peer would make them,
 * RSA-PSS keys (unrestricted and restricted), and identifiers with
 * parameters we refuse (SHA-1, mismatched MGF1 hash, bad salt or trailer,
 * trailing garbage, truncation, bit flips) refused without crashing. */
#include <stdio.h>
#include <string.h>
#include <openssl/bio.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/sig.h"
#include "tests/unit/check.h"

#define H(x) (1u << (x))
#define ALL (H(SIGHASH_SHA1) | H(SIGHASH_SHA2_256) | H(SIGHASH_SHA2_384) | H(SIGHASH_SHA2_512))

static const uint8_t msg[] = "IKE_SA_INIT message | Nr | prf(SK_pi, IDi')";

/* RFC 7427 Appendix A.4.3, "RSASSA-PSS with SHA-256": id-RSASSA-PSS with
 * hashAlgorithm SHA-256, maskGenAlgorithm MGF1 with SHA-256, saltLength
 * 32, trailerField 1 (left out, the default). Length = 67, as listed. */
static const char rfc7427_a43[] =
	"3041" "06092a864886f70d01010a"
	"3034"
	"a00f" "300d06096086480165030402010500"
	"a11c" "301a" "06092a864886f70d010108" "300d06096086480165030402010500"
	"a203" "020120";
/* the same for SHA-384 / salt 48 and SHA-512 / salt 64 */
static const char pss384[] =
	"304106092a864886f70d01010a3034a00f300d06096086480165030402020500"
	"a11c301a06092a864886f70d010108300d06096086480165030402020500a203020130";
static const char pss512[] =
	"304106092a864886f70d01010a3034a00f300d06096086480165030402030500"
	"a11c301a06092a864886f70d010108300d06096086480165030402030500a203020140";

/* ---- a tiny DER builder for hand-made identifiers ---- */

struct der { uint8_t b[512]; size_t n; };

static void der_raw(struct der *d, const char *hex)
{
	d->n += check_unhex(hex, d->b + d->n);
}

/* tag, then the content in c (short or one-byte long length) */
static void der_tlv(struct der *d, uint8_t tag, const struct der *c)
{
	d->b[d->n++] = tag;
	if (c->n >= 0x80)
		d->b[d->n++] = 0x81;
	d->b[d->n++] = (uint8_t)c->n;
	memcpy(d->b + d->n, c->b, c->n);
	d->n += c->n;
}

#define OID_PSS    "06092a864886f70d01010a"
#define OID_MGF1   "06092a864886f70d010108"
#define OID_SHA1   "06052b0e03021a"
#define OID_SHA256 "0609608648016503040201"
#define OID_SHA384 "0609608648016503040202"
#define OID_SHA512 "0609608648016503040203"

/* AlgorithmIdentifier { oid, params } with hex parts; NULL leaves out */
static struct der alg_id(const char *oid, const char *param)
{
	struct der c = { .n = 0 }, d = { .n = 0 };
	der_raw(&c, oid);
	if (param)
		der_raw(&c, param);
	der_tlv(&d, 0x30, &c);
	return d;
}

static const char *hexof(const struct der *d)
{
	static char s[1100];
	for (size_t i = 0; i < d->n; i++)
		sprintf(s + 2 * i, "%02x", d->b[i]);
	s[2 * d->n] = 0;
	return s;
}

/* id-RSASSA-PSS with RSASSA-PSS-params made of the given parts (hex,
 * each NULL to leave the field out); extra is appended inside the params
 * SEQUENCE */
static struct der pss_id(const char *hash_oid, const char *hash_param,
                         const char *mgf_oid, const char *mgf_hash_oid,
                         const char *salt_int, const char *trailer_int, const char *extra)
{
	struct der params = { .n = 0 }, t, id = { .n = 0 }, out = { .n = 0 };

	if (hash_oid) {
		t = alg_id(hash_oid, hash_param);
		der_tlv(&params, 0xa0, &t);
	}
	if (mgf_oid) {
		struct der h = alg_id(mgf_hash_oid, "0500");
		struct der m = { .n = 0 };
		der_raw(&m, mgf_oid);
		memcpy(m.b + m.n, h.b, h.n);
		m.n += h.n;
		t.n = 0;
		der_tlv(&t, 0x30, &m);
		der_tlv(&params, 0xa1, &t);
	}
	if (salt_int) {
		t.n = 0;
		der_raw(&t, salt_int);
		der_tlv(&params, 0xa2, &t);
	}
	if (trailer_int) {
		t.n = 0;
		der_raw(&t, trailer_int);
		der_tlv(&params, 0xa3, &t);
	}
	if (extra)
		der_raw(&params, extra);
	der_raw(&id, OID_PSS);
	der_tlv(&id, 0x30, &params);
	der_tlv(&out, 0x30, &id);
	return out;
}

/* ---- signatures the way a peer makes them ---- */

/* PSS signature over msg with OpenSSL's own API: hash md, MGF1 mgf,
 * salt saltlen. 0 on success. */
static int peer_sign(EVP_PKEY *key, const char *md, const char *mgf, int saltlen,
                     uint8_t *sig, size_t *siglen)
{
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int ok = m && EVP_DigestSignInit_ex(m, &pctx, md, NULL, NULL, key, NULL) == 1 &&
	         EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	         EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, mgf, NULL) == 1 &&
	         EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1 &&
	         EVP_DigestSign(m, sig, siglen, msg, sizeof(msg)) == 1;
	EVP_MD_CTX_free(m);
	return ok ? 0 : -1;
}

/* The AlgorithmIdentifier OpenSSL itself writes for a PSS signature (as
 * in a certificate request it signs with these settings). */
static struct der openssl_pss_id(EVP_PKEY *key, const char *md, int saltlen)
{
	struct der d = { .n = 0 };
	X509_REQ *req = X509_REQ_new();
	EVP_MD_CTX *m = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	const X509_ALGOR *alg = NULL;
	unsigned char *p = d.b;

	if (req && m && X509_REQ_set_pubkey(req, key) == 1 &&
	    EVP_DigestSignInit_ex(m, &pctx, md, NULL, NULL, key, NULL) == 1 &&
	    EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
	    EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, md, NULL) == 1 &&
	    EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, saltlen) == 1 &&
	    X509_REQ_sign_ctx(req, m) > 0) {
		X509_REQ_get0_signature(req, NULL, &alg);
		int n = i2d_X509_ALGOR(alg, NULL);
		if (n > 0 && (size_t)n <= sizeof(d.b))
			d.n = (size_t)i2d_X509_ALGOR(alg, &p);
	}
	EVP_MD_CTX_free(m);
	X509_REQ_free(req);
	return d;
}

/* AUTH payload data: length byte, identifier, signature */
static size_t auth_of(const struct der *id, const uint8_t *sig, size_t siglen, uint8_t *out)
{
	out[0] = (uint8_t)id->n;
	memcpy(out + 1, id->b, id->n);
	memcpy(out + 1 + id->n, sig, siglen);
	return 1 + id->n + siglen;
}

/* ---- tests ---- */

static void test_round_trips(EVP_PKEY *rsa, EVP_PKEY *ec)
{
	static const struct { const char *tag; uint32_t hashes; const char *want; } cases[] = {
		{ "pss sha256 (all announced)", ALL, rfc7427_a43 },
		{ "pss sha384", H(SIGHASH_SHA2_384) | H(SIGHASH_SHA2_512), pss384 },
		{ "pss sha512", H(SIGHASH_SHA2_512), pss512 },
	};
	uint8_t out[1024], bad[1024], m = 0;
	size_t n;
	char name[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		n = sizeof(out);
		int rc = sig_sign_opts(rsa, cases[i].hashes, SIG_PSS, msg, sizeof(msg), &m, out, &n);
		snprintf(name, sizeof(name), "%s sign method 14", cases[i].tag);
		CHECK(name, rc == 0 && m == AUTHM_DIGITAL_SIGNATURE && n == 1 + 67 + 256);
		if (rc != 0)
			continue;
		snprintf(name, sizeof(name), "%s identifier", cases[i].tag);
		CHECK(name, out[0] == 67 && check_hex_eq(out + 1, 67, cases[i].want));
		snprintf(name, sizeof(name), "%s verify", cases[i].tag);
		CHECK(name, sig_verify(rsa, m, out, n, msg, sizeof(msg)) == 0);
		snprintf(name, sizeof(name), "%s tampered data", cases[i].tag);
		CHECK(name, sig_verify(rsa, m, out, n, msg, sizeof(msg) - 1) != 0);
		snprintf(name, sizeof(name), "%s tampered signature", cases[i].tag);
		memcpy(bad, out, n);
		bad[n - 7] ^= 0x01;
		CHECK(name, sig_verify(rsa, m, bad, n, msg, sizeof(msg)) != 0);
		snprintf(name, sizeof(name), "%s verified as PKCS#1 v1.5 fails", cases[i].tag);
		static const char v15[] = "300d06092a864886f70d01010b0500";
		struct der id = { .n = 0 };
		der_raw(&id, v15);
		n = auth_of(&id, out + 68, 256, bad);
		CHECK(name, sig_verify(rsa, m, bad, n, msg, sizeof(msg)) != 0);
		snprintf(name, sizeof(name), "%s against an EC key", cases[i].tag);
		CHECK(name, sig_verify(ec, AUTHM_DIGITAL_SIGNATURE, out, 1 + 67 + 256, msg,
		                       sizeof(msg)) != 0);
	}

	/* the RFC's bytes once more, compared byte for byte */
	uint8_t a43[67];
	n = sizeof(out);
	CHECK("rfc7427 A.4.3 RSASSA-PSS with SHA-256 (67 bytes)",
	      check_unhex(rfc7427_a43, a43) == 67 &&
	      sig_sign_opts(rsa, H(SIGHASH_SHA2_256), SIG_PSS, msg, sizeof(msg), &m, out, &n) == 0 &&
	      out[0] == 67 && memcmp(out + 1, a43, 67) == 0);
	/* OpenSSL writes the same identifier for these settings */
	struct der os = openssl_pss_id(rsa, "SHA256", 32);
	CHECK("rfc7427 A.4.3 equals OpenSSL's encoding", os.n == 67 && memcmp(os.b, a43, 67) == 0);

	/* PSS signatures differ each time (random salt) and both verify */
	uint8_t out2[1024];
	size_t n2 = sizeof(out2);
	sig_sign_opts(rsa, H(SIGHASH_SHA2_256), SIG_PSS, msg, sizeof(msg), &m, out2, &n2);
	CHECK("pss salted: two signatures differ, both verify",
	      n == n2 && memcmp(out, out2, n) != 0 &&
	      sig_verify(rsa, m, out2, n2, msg, sizeof(msg)) == 0);

	n = 1 + 67 + 255;
	CHECK("pss buffer too small", sig_sign_opts(rsa, ALL, SIG_PSS, msg, sizeof(msg), &m,
	                                            out, &n) != 0);

	/* without the flag: PKCS#1 v1.5 as before; without hashes: method 1 */
	n = sizeof(out);
	CHECK("no flag: sha256WithRSAEncryption",
	      sig_sign_opts(rsa, ALL, 0, msg, sizeof(msg), &m, out, &n) == 0 &&
	      out[0] == 15 && out[13] == 0x0b);
	n = sizeof(out);
	CHECK("pss flag, no hashes announced: method 1",
	      sig_sign_opts(rsa, 0, SIG_PSS, msg, sizeof(msg), &m, out, &n) == 0 &&
	      m == AUTHM_RSA && n == 256 && sig_verify(rsa, m, out, n, msg, sizeof(msg)) == 0);
	n = sizeof(out);
	CHECK("pss flag, only sha1 announced: method 1",
	      sig_sign_opts(rsa, H(SIGHASH_SHA1), SIG_PSS, msg, sizeof(msg), &m, out, &n) == 0 &&
	      m == AUTHM_RSA);
	n = sizeof(out);
	CHECK("pss flag on an EC key: ecdsa-with-SHA256",
	      sig_sign_opts(ec, ALL, SIG_PSS, msg, sizeof(msg), &m, out, &n) == 0 &&
	      m == AUTHM_DIGITAL_SIGNATURE && out[0] == 12 &&
	      sig_verify(ec, m, out, n, msg, sizeof(msg)) == 0);
	n = sizeof(out);
	CHECK("sign with NULL key", sig_sign_opts(NULL, ALL, SIG_PSS, msg, sizeof(msg), &m,
	                                          out, &n) != 0);
}

/* Signatures made with OpenSSL's PSS API, with identifiers OpenSSL or we
 * write, as strongSwan or another peer would send them. */
static void test_peer(EVP_PKEY *rsa)
{
	static const struct { const char *md; int salt; } cases[] = {
		{ "SHA256", 32 }, { "SHA384", 48 }, { "SHA512", 64 },
		{ "SHA256", 0 }, { "SHA256", 20 }, { "SHA512", 190 },
		{ "SHA256", 222 },     /* the largest salt a 2048-bit key holds with SHA-256 */
	};
	uint8_t sig[512], auth[1024];
	size_t siglen, n;
	char name[128];

	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		siglen = sizeof(sig);
		struct der id = openssl_pss_id(rsa, cases[i].md, cases[i].salt);
		int rc = peer_sign(rsa, cases[i].md, cases[i].md, cases[i].salt, sig, &siglen);
		snprintf(name, sizeof(name), "peer pss %s salt %d verifies", cases[i].md,
		         cases[i].salt);
		CHECK(name, rc == 0 && id.n > 0 &&
		      sig_verify(rsa, AUTHM_DIGITAL_SIGNATURE, auth, auth_of(&id, sig, siglen, auth),
		                 msg, sizeof(msg)) == 0);
		/* the same signature under an identifier stating another salt */
		struct der other = openssl_pss_id(rsa, cases[i].md, cases[i].salt == 32 ? 33 : 32);
		snprintf(name, sizeof(name), "peer pss %s salt %d, identifier says other salt",
		         cases[i].md, cases[i].salt);
		CHECK(name, other.n > 0 &&
		      sig_verify(rsa, AUTHM_DIGITAL_SIGNATURE, auth, auth_of(&other, sig, siglen, auth),
		                 msg, sizeof(msg)) != 0);
	}

	/* an explicit trailerField 1 (BER-ish but harmless) is accepted;
	 * hash parameters absent (RFC 4055 §2.1 allows it) too */
	siglen = sizeof(sig);
	peer_sign(rsa, "SHA256", "SHA256", 32, sig, &siglen);
	struct der id = pss_id(OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120", "020101", NULL);
	CHECK("explicit trailerField 1 accepted",
	      sig_verify(rsa, 14, auth, auth_of(&id, sig, siglen, auth), msg, sizeof(msg)) == 0);
	id = pss_id(OID_SHA256, NULL, OID_MGF1, OID_SHA256, "020120", NULL, NULL);
	CHECK("hash parameters absent accepted",
	      sig_verify(rsa, 14, auth, auth_of(&id, sig, siglen, auth), msg, sizeof(msg)) == 0);
	/* saltLength absent means 20 (RFC 8017 A.2.3) */
	siglen = sizeof(sig);
	peer_sign(rsa, "SHA256", "SHA256", 20, sig, &siglen);
	id = pss_id(OID_SHA256, "0500", OID_MGF1, OID_SHA256, NULL, NULL, NULL);
	CHECK("saltLength absent: 20",
	      sig_verify(rsa, 14, auth, auth_of(&id, sig, siglen, auth), msg, sizeof(msg)) == 0);
	/* the test's builder and the RFC agree */
	id = pss_id(OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120", NULL, NULL);
	CHECK("test DER builder matches A.4.3", strcmp(hexof(&id), rfc7427_a43) == 0);

	/* a signature whose MGF1 hash differs from its hash: refused even
	 * though it is a valid RSASSA-PSS signature */
	siglen = sizeof(sig);
	n = 0;
	if (peer_sign(rsa, "SHA256", "SHA384", 32, sig, &siglen) == 0) {
		id = pss_id(OID_SHA256, "0500", OID_MGF1, OID_SHA384, "020120", NULL, NULL);
		n = auth_of(&id, sig, siglen, auth);
	}
	CHECK("valid signature, MGF1 hash differs: refused",
	      n && sig_verify(rsa, 14, auth, n, msg, sizeof(msg)) != 0);

	/* SHA-1 PSS, valid signatures, refused (RFC 8247) */
	siglen = sizeof(sig);
	peer_sign(rsa, "SHA1", "SHA1", 20, sig, &siglen);
	struct der a41 = { .n = 0 }, a41n = { .n = 0 };
	der_raw(&a41, "300b" OID_PSS);                  /* RFC 7427 A.4.1: empty parameters */
	der_raw(&a41n, "300d" OID_PSS "0500");          /* parameters NULL */
	struct der a42 = pss_id(OID_SHA1, "0500", OID_MGF1, OID_SHA1, "020114", "020101", NULL);
	struct der def = pss_id(NULL, NULL, NULL, NULL, NULL, NULL, NULL); /* "3000" */
	struct der sha1 = openssl_pss_id(rsa, "SHA1", 20);
	CHECK("sha1 pss A.4.1 empty parameters refused",
	      sig_verify(rsa, 14, auth, auth_of(&a41, sig, siglen, auth), msg, sizeof(msg)) != 0);
	CHECK("sha1 pss NULL parameters refused",
	      sig_verify(rsa, 14, auth, auth_of(&a41n, sig, siglen, auth), msg, sizeof(msg)) != 0);
	CHECK("sha1 pss A.4.2 default parameters refused",
	      a42.n == 64 &&
	      sig_verify(rsa, 14, auth, auth_of(&a42, sig, siglen, auth), msg, sizeof(msg)) != 0);
	CHECK("sha1 pss empty SEQUENCE refused",
	      sig_verify(rsa, 14, auth, auth_of(&def, sig, siglen, auth), msg, sizeof(msg)) != 0);
	CHECK("sha1 pss as OpenSSL writes it refused",
	      sha1.n > 0 &&
	      sig_verify(rsa, 14, auth, auth_of(&sha1, sig, siglen, auth), msg, sizeof(msg)) != 0);
}

/* Identifiers that must be refused; each with a real SHA-256/salt-32
 * signature behind it, so only the identifier decides. */
static void test_refused(EVP_PKEY *rsa)
{
	static const struct {
		const char *tag, *hash, *hparam, *mgf, *mhash, *salt, *trailer, *extra;
	} bad[] = {
		{ "mgf1 hash sha384", OID_SHA256, "0500", OID_MGF1, OID_SHA384, "020120", NULL, NULL },
		{ "mgf1 hash sha1", OID_SHA256, "0500", OID_MGF1, OID_SHA1, "020120", NULL, NULL },
		{ "mask function not mgf1", OID_SHA256, "0500", "06092a864886f70d010109", OID_SHA256,
		  "020120", NULL, NULL },
		{ "mgf absent (mgf1SHA1)", OID_SHA256, "0500", NULL, NULL, "020120", NULL, NULL },
		{ "hash absent (sha1)", NULL, NULL, OID_MGF1, OID_SHA256, "020120", NULL, NULL },
		{ "hash parameters not NULL", OID_SHA256, "0400", OID_MGF1, OID_SHA256, "020120",
		  NULL, NULL },
		{ "hash sha224", "0609608648016503040204", "0500", OID_MGF1,
		  "0609608648016503040204", "02011c", NULL, NULL },
		{ "salt negative", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "0201e0", NULL, NULL },
		{ "salt huge", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020900ffffffffffffffff",
		  NULL, NULL },
		{ "salt 4097", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "02021001", NULL, NULL },
		{ "salt 223: more than the key holds", OID_SHA256, "0500", OID_MGF1, OID_SHA256,
		  "020200df", NULL, NULL },
		{ "salt 33: not the signature's", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020121",
		  NULL, NULL },
		{ "salt not an INTEGER", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "040120", NULL, NULL },
		{ "salt empty INTEGER", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "0200", NULL, NULL },
		{ "trailer 2", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120", "020102", NULL },
		{ "trailer 0", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120", "020100", NULL },
		{ "trailing NULL inside params", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120",
		  NULL, "0500" },
		{ "unknown [4] field", OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120", NULL,
		  "a403020101" },
	};
	uint8_t sig[512], auth[1024], a[1024];
	size_t siglen = sizeof(sig), n;
	char name[160];

	CHECK("peer signature made", peer_sign(rsa, "SHA256", "SHA256", 32, sig, &siglen) == 0);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct der id = pss_id(bad[i].hash, bad[i].hparam, bad[i].mgf, bad[i].mhash,
		                       bad[i].salt, bad[i].trailer, bad[i].extra);
		snprintf(name, sizeof(name), "refused: %s", bad[i].tag);
		CHECK(name, sig_verify(rsa, 14, auth, auth_of(&id, sig, siglen, auth),
		                       msg, sizeof(msg)) != 0);
	}

	struct der good = pss_id(OID_SHA256, "0500", OID_MGF1, OID_SHA256, "020120", NULL, NULL);
	n = auth_of(&good, sig, siglen, auth);
	CHECK("control: the good identifier verifies",
	      sig_verify(rsa, 14, auth, n, msg, sizeof(msg)) == 0);

	/* garbage after the identifier, counted in the length byte */
	struct der g = good;
	g.b[g.n++] = 0x00;
	CHECK("trailing garbage after identifier",
	      sig_verify(rsa, 14, a, auth_of(&g, sig, siglen, a), msg, sizeof(msg)) != 0);
	/* an outer SEQUENCE length longer than the length byte allows */
	g = good;
	g.n--;
	CHECK("identifier cut inside its SEQUENCE",
	      sig_verify(rsa, 14, a, auth_of(&g, sig, siglen, a), msg, sizeof(msg)) != 0);

	/* every truncation of the identifier (length byte saying so) and of
	 * the payload as a whole: refused, no crash (ASan in the fuzz replay) */
	int fails = 0;
	for (size_t k = 0; k < good.n; k++) {
		struct der t = good;
		t.n = k;
		if (sig_verify(rsa, 14, a, auth_of(&t, sig, siglen, a), msg, sizeof(msg)) == 0)
			fails++;
	}
	for (size_t k = 0; k < n; k++)
		if (sig_verify(rsa, 14, auth, k, msg, sizeof(msg)) == 0)
			fails++;
	CHECK("every truncation refused", fails == 0);

	/* every single-bit flip inside the identifier or its length byte */
	fails = 0;
	for (size_t k = 0; k < 1 + good.n; k++)
		for (int bit = 0; bit < 8; bit++) {
			memcpy(a, auth, n);
			a[k] ^= (uint8_t)(1u << bit);
			if (sig_verify(rsa, 14, a, n, msg, sizeof(msg)) == 0)
				fails++;
		}
	CHECK("every bit flip in the identifier refused", fails == 0);
}

/* An RSA-PSS key of 2048 bits; md NULL: unrestricted, else restricted to
 * md, MGF1 with md and salts of at least minsalt (RFC 4055 §1.2) */
static EVP_PKEY *pss_keygen(const char *md, int minsalt)
{
	EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA-PSS", NULL);
	EVP_PKEY *k = NULL;

	if (ctx && EVP_PKEY_keygen_init(ctx) == 1 &&
	    EVP_PKEY_CTX_set_rsa_keygen_bits(ctx, 2048) == 1 &&
	    (!md || (EVP_PKEY_CTX_set_rsa_pss_keygen_md_name(ctx, md, NULL) == 1 &&
	             EVP_PKEY_CTX_set_rsa_pss_keygen_mgf1_md_name(ctx, md) == 1 &&
	             EVP_PKEY_CTX_set_rsa_pss_keygen_saltlen(ctx, minsalt) == 1)))
		EVP_PKEY_keygen(ctx, &k);
	EVP_PKEY_CTX_free(ctx);
	return k;
}

/* RSA-PSS keys (id-RSASSA-PSS SubjectPublicKeyInfo / PKCS#8): PSS only. */
static void test_pss_keys(EVP_PKEY *ec)
{
	EVP_PKEY *pk = pss_keygen(NULL, 0);
	EVP_PKEY *plain = NULL, *restricted = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	OSSL_PARAM *params = NULL;
	uint8_t out[1024], m;
	size_t n;
	char err[256];

	CHECK("rsa-pss key generated", pk != NULL);
	if (!pk)
		return;
	n = sizeof(out);
	CHECK("rsa-pss key signs pss without the flag",
	      sig_sign(pk, ALL, msg, sizeof(msg), &m, out, &n) == 0 &&
	      m == AUTHM_DIGITAL_SIGNATURE && out[0] == 67 &&
	      check_hex_eq(out + 1, 67, rfc7427_a43) &&
	      sig_verify(pk, m, out, n, msg, sizeof(msg)) == 0);
	n = sizeof(out);
	CHECK("rsa-pss key with no hashes announced: fails",
	      sig_sign(pk, 0, msg, sizeof(msg), &m, out, &n) != 0);
	n = sizeof(out);
	CHECK("rsa-pss key with only sha1 announced: fails",
	      sig_sign(pk, H(SIGHASH_SHA1), msg, sizeof(msg), &m, out, &n) != 0);
	CHECK("privkey_type of rsa-pss", strcmp(privkey_type(pk), "RSA") == 0);

	/* the same modulus as a plain RSA key: its PSS signatures verify
	 * under the RSA-PSS key, its PKCS#1 v1.5 ones do not */
	ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
	if (EVP_PKEY_todata(pk, EVP_PKEY_KEYPAIR, &params) == 1 && ctx &&
	    EVP_PKEY_fromdata_init(ctx) == 1)
		EVP_PKEY_fromdata(ctx, &plain, EVP_PKEY_KEYPAIR, params);
	OSSL_PARAM_free(params);
	EVP_PKEY_CTX_free(ctx);
	CHECK("plain twin made", plain && strcmp(EVP_PKEY_get0_type_name(plain), "RSA") == 0);
	if (plain) {
		n = sizeof(out);
		sig_sign_opts(plain, ALL, SIG_PSS, msg, sizeof(msg), &m, out, &n);
		CHECK("pss by rsa key verifies under rsa-pss key",
		      sig_verify(pk, m, out, n, msg, sizeof(msg)) == 0);
		n = sizeof(out);
		sig_sign(plain, ALL, msg, sizeof(msg), &m, out, &n);
		CHECK("v1.5 method 14 under rsa-pss key refused",
		      sig_verify(plain, m, out, n, msg, sizeof(msg)) == 0 &&
		      sig_verify(pk, m, out, n, msg, sizeof(msg)) != 0);
		n = sizeof(out);
		sig_sign(plain, 0, msg, sizeof(msg), &m, out, &n);
		CHECK("method 1 under rsa-pss key refused",
		      m == AUTHM_RSA && sig_verify(plain, m, out, n, msg, sizeof(msg)) == 0 &&
		      sig_verify(pk, m, out, n, msg, sizeof(msg)) != 0);
		n = sizeof(out);
		sig_sign(pk, ALL, msg, sizeof(msg), &m, out, &n);
		CHECK("rsa-pss key's signature verifies under the plain twin",
		      sig_verify(plain, m, out, n, msg, sizeof(msg)) == 0);
	}
	n = sizeof(out);
	sig_sign(pk, ALL, msg, sizeof(msg), &m, out, &n);
	CHECK("rsa-pss signature against an EC key refused",
	      sig_verify(ec, m, out, n, msg, sizeof(msg)) != 0);

	/* loads from PEM (PKCS#8 with the id-RSASSA-PSS OID) */
	BIO *b = BIO_new(BIO_s_mem());
	char *pem = NULL;
	long pemlen = 0;
	if (b && PEM_write_bio_PrivateKey(b, pk, NULL, NULL, 0, NULL, NULL) == 1)
		pemlen = BIO_get_mem_data(b, &pem);
	EVP_PKEY *loaded = pemlen > 0 ? privkey_parse((const uint8_t *)pem, (size_t)pemlen,
	                                               "pss.pem", err, sizeof(err)) : NULL;
	CHECK("privkey_parse rsa-pss pem", loaded && EVP_PKEY_eq(loaded, pk) == 1 &&
	      EVP_PKEY_is_a(loaded, "RSA-PSS"));
	EVP_PKEY_free(loaded);
	BIO_free(b);

	/* a key restricted to SHA-384, MGF1-SHA-384, salt >= 50 */
	restricted = pss_keygen("SHA384", 50);
	CHECK("restricted rsa-pss key generated", restricted != NULL);
	if (restricted) {
		n = sizeof(out);
		CHECK("restricted key signs with its hash and salt",
		      sig_sign(restricted, ALL, msg, sizeof(msg), &m, out, &n) == 0 &&
		      m == AUTHM_DIGITAL_SIGNATURE && out[0] == 67 &&
		      out[1 + 66] == 50 && out[1 + 29] == 0x02 /* SHA-384 OID */ &&
		      sig_verify(restricted, m, out, n, msg, sizeof(msg)) == 0);
		n = sizeof(out);
		CHECK("restricted key, its hash not announced: fails",
		      sig_sign(restricted, H(SIGHASH_SHA2_256) | H(SIGHASH_SHA2_512), msg,
		               sizeof(msg), &m, out, &n) != 0);
		/* a SHA-256 PSS signature claimed for the restricted key */
		n = sizeof(out);
		if (plain)
			sig_sign_opts(plain, ALL, SIG_PSS, msg, sizeof(msg), &m, out, &n);
		CHECK("sha256 pss under a sha384-restricted key refused",
		      sig_verify(restricted, AUTHM_DIGITAL_SIGNATURE, out, n, msg, sizeof(msg)) != 0);
	}
	EVP_PKEY_free(restricted);
	EVP_PKEY_free(plain);
	EVP_PKEY_free(pk);
}

int main(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_PKEY *ec = EVP_EC_gen("P-256");

	CHECK("keys generated", rsa && ec);
	if (!rsa || !ec)
		CHECK_DONE();
	test_round_trips(rsa, ec);
	test_peer(rsa);
	test_refused(rsa);
	test_pss_keys(ec);
	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec);
	CHECK_DONE();
}
