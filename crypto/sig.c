/* Private key loading and IKEv2 AUTH signatures: RSA PKCS#1 v1.5 with
 * SHA-1 (AUTH method 1), ECDSA with the raw r|s encoding (methods 9-11,
 * RFC 4754) and Digital Signature (method 14, RFC 7427) with RSA
 * PKCS#1 v1.5, RSASSA-PSS (RFC 8017, RFC 4055) or ECDSA. */
#include "crypto/sig.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/decoder.h>
#include <openssl/ec.h>
#include <openssl/err.h>
#include <openssl/obj_mac.h>
#include <openssl/objects.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#define MAX_KEY_FILE (1 << 20)

/* ---- key loading ---- */

struct pass_probe { bool asked; };

/* Decoder passphrase callback: never supplies one, only notes that the
 * key is encrypted. */
static int no_passphrase(char *buf, size_t size, size_t *len,
                         const OSSL_PARAM params[], void *arg)
{
	struct pass_probe *p = arg;

	p->asked = true;
	*len = 0;
	return 0;
}

static uint8_t *read_file(const char *path, size_t *len, char *err, size_t errlen)
{
	FILE *f = fopen(path, "rb");
	uint8_t *buf = NULL;
	size_t n = 0;

	if (!f) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return NULL;
	}
	buf = malloc(MAX_KEY_FILE);
	if (!buf) {
		snprintf(err, errlen, "%s: out of memory", path);
		goto out;
	}
	n = fread(buf, 1, MAX_KEY_FILE, f);
	if (ferror(f) || n == MAX_KEY_FILE) {
		snprintf(err, errlen, "%s: %s", path, ferror(f) ? "read error" : "file too large");
		OPENSSL_cleanse(buf, MAX_KEY_FILE);
		free(buf);
		buf = NULL;
		goto out;
	}
	*len = n;
out:
	fclose(f);
	return buf;
}

static bool ec_curve_ok(const EVP_PKEY *key)
{
	char name[64];
	size_t n = 0;

	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	                                    name, sizeof(name), &n))
		return false;
	return OBJ_txt2nid(name) == NID_X9_62_prime256v1 ||
	       OBJ_txt2nid(name) == NID_secp384r1 ||
	       OBJ_txt2nid(name) == NID_secp521r1;
}

EVP_PKEY *privkey_parse(const uint8_t *buf, size_t len, const char *path, char *err,
                        size_t errlen)
{
	OSSL_DECODER_CTX *dctx = NULL;
	struct pass_probe probe = { false };
	EVP_PKEY *key = NULL;
	const unsigned char *p;
	size_t left;
	bool ok = false;

	/* any input format (PEM, DER), any structure (PKCS#8, PKCS#1,
	 * SEC1), any key type; checked below */
	dctx = OSSL_DECODER_CTX_new_for_pkey(&key, NULL, NULL, NULL,
	                                     EVP_PKEY_KEYPAIR, NULL, NULL);
	if (!dctx || !OSSL_DECODER_CTX_set_passphrase_cb(dctx, no_passphrase, &probe)) {
		snprintf(err, errlen, "%s: cannot set up key decoder", path);
		goto out;
	}
	p = buf;
	left = len;
	if (!OSSL_DECODER_from_data(dctx, &p, &left) || !key) {
		if (probe.asked)
			snprintf(err, errlen, "%s: private key is encrypted; "
			         "passphrase-protected keys are not supported, "
			         "store it unencrypted (e.g. openssl pkey -in KEY -out KEY)", path);
		else
			snprintf(err, errlen, "%s: not a private key in PEM or DER", path);
		goto out;
	}
	if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS")) {
		if (EVP_PKEY_get_bits(key) < 1024)
			snprintf(err, errlen, "%s: RSA key shorter than 1024 bits", path);
		else
			ok = true;
	} else if (EVP_PKEY_is_a(key, "EC")) {
		if (!ec_curve_ok(key))
			snprintf(err, errlen, "%s: EC key on a curve other than "
			         "P-256, P-384, P-521", path);
		else
			ok = true;
	} else {
		snprintf(err, errlen, "%s: unsupported key type %s (RSA, RSA-PSS or ECDSA only)",
		         path, EVP_PKEY_get0_type_name(key));
	}
out:
	if (!ok) {
		EVP_PKEY_free(key);
		key = NULL;
	}
	ERR_clear_error();
	OSSL_DECODER_CTX_free(dctx);
	return key;
}

EVP_PKEY *privkey_load(const char *path, char *err, size_t errlen)
{
	size_t len = 0;
	uint8_t *buf = read_file(path, &len, err, errlen);
	EVP_PKEY *key;

	if (!buf)
		return NULL;
	key = privkey_parse(buf, len, path, err, errlen);
	OPENSSL_cleanse(buf, len);
	free(buf);
	return key;
}

const char *privkey_type(const EVP_PKEY *key)
{
	if (!key)
		return "";
	if (EVP_PKEY_is_a(key, "RSA") || EVP_PKEY_is_a(key, "RSA-PSS"))
		return "RSA";
	if (EVP_PKEY_is_a(key, "EC"))
		return "ECDSA";
	return "";
}

/* ---- algorithms ---- */

enum key_kind { KK_NONE, KK_RSA, KK_RSA_PSS, KK_EC256, KK_EC384, KK_EC521 };

static enum key_kind key_kind(const EVP_PKEY *key)
{
	char name[64];
	size_t n = 0;

	if (EVP_PKEY_is_a(key, "RSA"))
		return KK_RSA;
	if (EVP_PKEY_is_a(key, "RSA-PSS"))
		return KK_RSA_PSS;
	if (!EVP_PKEY_is_a(key, "EC") ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_GROUP_NAME,
	                                    name, sizeof(name), &n))
		return KK_NONE;
	switch (OBJ_txt2nid(name)) {
	case NID_X9_62_prime256v1: return KK_EC256;
	case NID_secp384r1:        return KK_EC384;
	case NID_secp521r1:        return KK_EC521;
	default:                   return KK_NONE;
	}
}

static bool kind_rsa(enum key_kind k)
{
	return k == KK_RSA || k == KK_RSA_PSS;
}

/* How one signature is made and checked: AUTH method 1 is PKCS#1 v1.5
 * with SHA-1, methods 9-11 ECDSA, and each method 14 AlgorithmIdentifier
 * names one of the three with its hash (and, for PSS, its salt). */
enum sig_pad { PAD_ECDSA, PAD_PKCS1, PAD_PSS };

struct sig_scheme {
	enum sig_pad pad;
	uint8_t hash;      /* enum sig_hash */
	const char *md;    /* OpenSSL digest name; for PSS also the MGF1 hash */
	int saltlen;       /* PAD_PSS: salt length in bytes (RFC 8017 sLen) */
};

/* Whether a key of this kind may make or check signatures of s: an
 * RSA-PSS key (id-RSASSA-PSS, RFC 4055 §1.2) is for PSS only. */
static bool scheme_fits(const struct sig_scheme *s, enum key_kind k)
{
	switch (s->pad) {
	case PAD_PKCS1: return k == KK_RSA;
	case PAD_PSS:   return kind_rsa(k);
	case PAD_ECDSA: return k == KK_EC256 || k == KK_EC384 || k == KK_EC521;
	}
	return false;
}

/* RFC 7427 method 14 signature algorithms with fixed identifiers, with
 * the AlgorithmIdentifier DER we send (RFC 7427 Appendix A: RSA with NULL
 * parameters, ECDSA without parameters). RSASSA-PSS is below. */
struct sig_alg {
	int nid;           /* signature algorithm OID */
	bool rsa;
	uint8_t hash;      /* enum sig_hash */
	const char *md;
	uint8_t der_len;
	uint8_t der[16];
};

static const struct sig_alg sig_algs[] = {
	{ NID_sha256WithRSAEncryption, true, SIGHASH_SHA2_256, "SHA256", 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0b, 0x05, 0x00 } },
	{ NID_sha384WithRSAEncryption, true, SIGHASH_SHA2_384, "SHA384", 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0c, 0x05, 0x00 } },
	{ NID_sha512WithRSAEncryption, true, SIGHASH_SHA2_512, "SHA512", 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0d, 0x05, 0x00 } },
	{ NID_sha1WithRSAEncryption, true, SIGHASH_SHA1, "SHA1", 15,
	  { 0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x05, 0x05, 0x00 } },
	{ NID_ecdsa_with_SHA256, false, SIGHASH_SHA2_256, "SHA256", 12,
	  { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 } },
	{ NID_ecdsa_with_SHA384, false, SIGHASH_SHA2_384, "SHA384", 12,
	  { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x03 } },
	{ NID_ecdsa_with_SHA512, false, SIGHASH_SHA2_512, "SHA512", 12,
	  { 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x04 } },
	{ NID_ecdsa_with_SHA1, false, SIGHASH_SHA1, "SHA1", 11,
	  { 0x30, 0x09, 0x06, 0x07, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x01 } },
};

static const struct sig_alg *sig_alg_find(bool rsa, uint8_t hash)
{
	for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++)
		if (sig_algs[i].rsa == rsa && sig_algs[i].hash == hash)
			return &sig_algs[i];
	return NULL;
}

/* ---- RSASSA-PSS (RFC 8017 §8.1, RFC 4055 §3.1) ----
 * The hashes PSS may use here, for the message and for MGF1 alike. SHA-1
 * is not among them: RFC 8247 §3.2 says SHA-1 SHOULD NOT be used for new
 * signatures, cygnet never announces it in SIGNATURE_HASH_ALGORITHMS,
 * and strongSwan, the one peer known to send PSS, uses SHA-2. So the
 * RFC 7427 A.4.1/A.4.2 forms (empty or default parameters, i.e. SHA-1)
 * are refused. */
static const struct pss_hash {
	uint8_t hash;      /* enum sig_hash */
	int nid;
	const char *md;
	uint8_t len;       /* output bytes: the salt length we sign with */
	uint8_t oid_last;  /* 2.16.840.1.101.3.4.2.N */
} pss_hashes[] = {
	{ SIGHASH_SHA2_256, NID_sha256, "SHA256", 32, 1 },
	{ SIGHASH_SHA2_384, NID_sha384, "SHA384", 48, 2 },
	{ SIGHASH_SHA2_512, NID_sha512, "SHA512", 64, 3 },
};

/* A peer's salt length is taken as stated, up to this: no modulus below
 * 32768 bits has room for more (RFC 8017 §9.1.1: emLen >= hLen + sLen + 2). */
#define PSS_MAX_SALT 4096

static const struct pss_hash *pss_hash_by_id(uint8_t hash)
{
	for (size_t i = 0; i < sizeof(pss_hashes) / sizeof(pss_hashes[0]); i++)
		if (pss_hashes[i].hash == hash)
			return &pss_hashes[i];
	return NULL;
}

/* A hash AlgorithmIdentifier inside RSASSA-PSS-params: one of pss_hashes,
 * its parameters absent or NULL (RFC 4055 §2.1: both occur). NULL for
 * anything else, and for an absent identifier (the default is SHA-1). */
static const struct pss_hash *pss_hash_of(const X509_ALGOR *a)
{
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, nid;

	if (!a)
		return NULL;
	X509_ALGOR_get0(&obj, &ptype, &pval, a);
	if (ptype != V_ASN1_UNDEF && ptype != V_ASN1_NULL)
		return NULL;
	nid = OBJ_obj2nid(obj);
	for (size_t i = 0; i < sizeof(pss_hashes) / sizeof(pss_hashes[0]); i++)
		if (pss_hashes[i].nid == nid)
			return &pss_hashes[i];
	return NULL;
}

/* The full DER encoding held by an ASN.1 ANY of type SEQUENCE. */
static bool any_seq(int ptype, const void *pval, const unsigned char **p, long *len)
{
	const ASN1_STRING *s = pval;

	if (ptype != V_ASN1_SEQUENCE || !s || ASN1_STRING_length(s) <= 0)
		return false;
	*p = ASN1_STRING_get0_data(s);
	*len = ASN1_STRING_length(s);
	return true;
}

/* The parameters of an id-RSASSA-PSS AlgorithmIdentifier (ptype, pval
 * from X509_ALGOR_get0), which the peer sent: RSASSA-PSS-params with a
 * hash of pss_hashes, MGF1 with the same hash, a salt length 0 ..
 * PSS_MAX_SALT (20 when absent), a trailerField absent or 1. Each nested
 * DER value must fill its container exactly. 0 and s filled on success. */
static int pss_params_parse(int ptype, const void *pval, struct sig_scheme *s)
{
	RSA_PSS_PARAMS *pp = NULL;
	X509_ALGOR *mgf_hash = NULL;
	const struct pss_hash *h;
	const ASN1_OBJECT *obj;
	const unsigned char *p, *end;
	const void *mval;
	int64_t salt = 20, trailer = 1;
	long len;
	int mtype, rc = -1;

	if (!any_seq(ptype, pval, &p, &len))
		goto out;
	end = p + len;
	pp = d2i_RSA_PSS_PARAMS(NULL, &p, len);
	if (!pp || p != end)
		goto out;
	h = pss_hash_of(pp->hashAlgorithm);
	if (!h || !pp->maskGenAlgorithm)
		goto out;
	X509_ALGOR_get0(&obj, &mtype, &mval, pp->maskGenAlgorithm);
	if (OBJ_obj2nid(obj) != NID_mgf1 || !any_seq(mtype, mval, &p, &len))
		goto out;
	end = p + len;
	mgf_hash = d2i_X509_ALGOR(NULL, &p, len);
	if (!mgf_hash || p != end || pss_hash_of(mgf_hash) != h)
		goto out;
	if (pp->saltLength && !ASN1_INTEGER_get_int64(&salt, pp->saltLength))
		goto out;
	if (pp->trailerField && !ASN1_INTEGER_get_int64(&trailer, pp->trailerField))
		goto out;
	if (salt < 0 || salt > PSS_MAX_SALT || trailer != 1)
		goto out;
	s->pad = PAD_PSS;
	s->hash = h->hash;
	s->md = h->md;
	s->saltlen = (int)salt;
	rc = 0;
out:
	X509_ALGOR_free(mgf_hash);
	RSA_PSS_PARAMS_free(pp);
	return rc;
}

static uint8_t *put(uint8_t *p, const void *b, size_t n)
{
	memcpy(p, b, n);
	return p + n;
}

/* The AlgorithmIdentifier we send for PSS: id-RSASSA-PSS with explicit
 * RSASSA-PSS-params (RFC 4055 §3.1): hashAlgorithm h with NULL
 * parameters, maskGenAlgorithm MGF1 with h, saltLength saltlen,
 * trailerField left out (DER omits the default 1). For SHA-256 and salt
 * 32 these are the bytes of RFC 7427 Appendix A.4.3. Writes to out
 * (cap bytes); returns the length, 0 when it does not fit. */
static size_t pss_alg_der(const struct pss_hash *h, int saltlen, uint8_t *out, size_t cap)
{
	static const uint8_t pss_oid[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x0a };
	static const uint8_t mgf1_oid[] = {
		0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d, 0x01, 0x01, 0x08 };
	uint8_t hash_alg[] = { 0x30, 0x0d, 0x06, 0x09, 0x60, 0x86, 0x48, 0x01, 0x65,
	                       0x03, 0x04, 0x02, h->oid_last, 0x05, 0x00 };
	uint8_t salt[2];
	size_t sn, plen, total;
	uint8_t *p = out;

	if (saltlen < 0 || saltlen > PSS_MAX_SALT)
		return 0;
	/* INTEGER content: minimal, big-endian, positive */
	if (saltlen < 0x80) {
		salt[0] = (uint8_t)saltlen;
		sn = 1;
	} else {
		salt[0] = (uint8_t)(saltlen >> 8);
		salt[1] = (uint8_t)saltlen;
		sn = 2;
	}
	/* [0] hash, [1] SEQUENCE { mgf1, hash }, [2] INTEGER; all short lengths */
	plen = (2 + sizeof(hash_alg)) + (4 + sizeof(mgf1_oid) + sizeof(hash_alg)) + (4 + sn);
	total = 2 + sizeof(pss_oid) + 2 + plen;
	if (total > cap)
		return 0;
	*p++ = 0x30, *p++ = (uint8_t)(total - 2);
	p = put(p, pss_oid, sizeof(pss_oid));
	*p++ = 0x30, *p++ = (uint8_t)plen;
	*p++ = 0xa0, *p++ = (uint8_t)sizeof(hash_alg);
	p = put(p, hash_alg, sizeof(hash_alg));
	*p++ = 0xa1, *p++ = (uint8_t)(2 + sizeof(mgf1_oid) + sizeof(hash_alg));
	*p++ = 0x30, *p++ = (uint8_t)(sizeof(mgf1_oid) + sizeof(hash_alg));
	p = put(p, mgf1_oid, sizeof(mgf1_oid));
	p = put(p, hash_alg, sizeof(hash_alg));
	*p++ = 0xa2, *p++ = (uint8_t)(2 + sn);
	*p++ = 0x02, *p++ = (uint8_t)sn;
	p = put(p, salt, sn);
	return (size_t)(p - out);
}

/* The restrictions an RSA-PSS key may carry in its own parameters (RFC
 * 4055 §1.2; OpenSSL: rsa_pss_keygen_md and friends): one hash, one MGF1
 * hash, a minimum salt length. *hash receives the one hash allowed (0:
 * any), *minsalt the minimum salt (0: none). -1 for a restriction we
 * cannot sign under (a hash outside pss_hashes, MGF1 with another hash). */
static int pss_key_limits(const EVP_PKEY *key, uint8_t *hash, int *minsalt)
{
	char md[64], mgf[64];
	size_t n = 0;
	EVP_MD *m = NULL, *g = NULL;
	const struct pss_hash *h = NULL;
	int rc = -1;

	*hash = 0;
	*minsalt = 0;
	if (!EVP_PKEY_is_a(key, "RSA-PSS") ||
	    !EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_RSA_DIGEST, md, sizeof(md), &n))
		return 0; /* unrestricted */
	if (!EVP_PKEY_get_utf8_string_param(key, OSSL_PKEY_PARAM_RSA_MGF1_DIGEST, mgf,
	                                    sizeof(mgf), &n))
		snprintf(mgf, sizeof(mgf), "%s", md);
	m = EVP_MD_fetch(NULL, md, NULL);
	g = EVP_MD_fetch(NULL, mgf, NULL);
	if (!m || !g || EVP_MD_get_type(m) != EVP_MD_get_type(g))
		goto out;
	for (size_t i = 0; i < sizeof(pss_hashes) / sizeof(pss_hashes[0]); i++)
		if (pss_hashes[i].nid == EVP_MD_get_type(m))
			h = &pss_hashes[i];
	if (!h)
		goto out;
	*hash = h->hash;
	if (!EVP_PKEY_get_int_param(key, OSSL_PKEY_PARAM_RSA_PSS_SALTLEN, minsalt) ||
	    *minsalt < 0)
		*minsalt = 0;
	rc = 0;
out:
	EVP_MD_free(m);
	EVP_MD_free(g);
	return rc;
}

/* The AlgorithmIdentifier a peer sent, into s: an OID of sig_algs with
 * parameters absent or NULL (RSA) / absent (ECDSA), or id-RSASSA-PSS
 * with parameters pss_params_parse accepts. The whole of der must be the
 * one AlgorithmIdentifier. 0 on success. */
static int sig_alg_parse(const uint8_t *der, size_t len, struct sig_scheme *s)
{
	const unsigned char *p = der;
	X509_ALGOR *alg = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, nid, rc = -1;

	if (len == 0 || len > 255)
		goto out;
	alg = d2i_X509_ALGOR(NULL, &p, (long)len);
	if (!alg || p != der + len)
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	if (nid == NID_rsassaPss) {
		rc = pss_params_parse(ptype, pval, s);
		goto out;
	}
	for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++) {
		const struct sig_alg *a = &sig_algs[i];
		if (a->nid != nid)
			continue;
		if (ptype == V_ASN1_UNDEF || (a->rsa && ptype == V_ASN1_NULL)) {
			s->pad = a->rsa ? PAD_PKCS1 : PAD_ECDSA;
			s->hash = a->hash;
			s->md = a->md;
			s->saltlen = 0;
			rc = 0;
		}
		break;
	}
out:
	X509_ALGOR_free(alg);
	return rc;
}

/* the curve's natural hash and field length for ECDSA methods 9-11 */
static const char *ec_params(enum key_kind k, uint8_t *hash, size_t *flen, uint8_t *method)
{
	switch (k) {
	case KK_EC256:
		*hash = SIGHASH_SHA2_256, *flen = 32, *method = AUTHM_ECDSA_256;
		return "SHA256";
	case KK_EC384:
		*hash = SIGHASH_SHA2_384, *flen = 48, *method = AUTHM_ECDSA_384;
		return "SHA384";
	case KK_EC521:
		*hash = SIGHASH_SHA2_512, *flen = 66, *method = AUTHM_ECDSA_521;
		return "SHA512";
	default:
		return NULL;
	}
}

/* ---- raw signing / verification ---- */

/* The padding of s on an RSA signing or verification context. */
static int scheme_ctx(EVP_PKEY_CTX *pctx, const struct sig_scheme *s)
{
	switch (s->pad) {
	case PAD_PKCS1:
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PADDING) == 1 ? 0 : -1;
	case PAD_PSS:
		return EVP_PKEY_CTX_set_rsa_padding(pctx, RSA_PKCS1_PSS_PADDING) == 1 &&
		       EVP_PKEY_CTX_set_rsa_mgf1_md_name(pctx, s->md, NULL) == 1 &&
		       EVP_PKEY_CTX_set_rsa_pss_saltlen(pctx, s->saltlen) == 1 ? 0 : -1;
	case PAD_ECDSA:
		break;
	}
	return 0;
}

/* EVP signature over data as s says; sig is malloc'd. */
static int do_sign(EVP_PKEY *key, const struct sig_scheme *s, const uint8_t *data,
                   size_t len, uint8_t **sig, size_t *siglen)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -1;

	*sig = NULL;
	if (!mctx || EVP_DigestSignInit_ex(mctx, &pctx, s->md, NULL, NULL, key, NULL) != 1 ||
	    scheme_ctx(pctx, s) != 0)
		goto out;
	if (EVP_DigestSign(mctx, NULL, siglen, data, len) != 1)
		goto out;
	*sig = malloc(*siglen);
	if (!*sig || EVP_DigestSign(mctx, *sig, siglen, data, len) != 1)
		goto out;
	rc = 0;
out:
	if (rc != 0) {
		free(*sig);
		*sig = NULL;
	}
	EVP_MD_CTX_free(mctx);
	return rc;
}

static int do_verify(EVP_PKEY *key, const struct sig_scheme *s, const uint8_t *sig,
                     size_t siglen, const uint8_t *data, size_t len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	EVP_PKEY_CTX *pctx = NULL;
	int rc = -1;

	if (!mctx || EVP_DigestVerifyInit_ex(mctx, &pctx, s->md, NULL, NULL, key, NULL) != 1 ||
	    scheme_ctx(pctx, s) != 0)
		goto out;
	if (EVP_DigestVerify(mctx, sig, siglen, data, len) == 1)
		rc = 0;
out:
	EVP_MD_CTX_free(mctx);
	return rc;
}

/* DER ECDSA-Sig-Value -> r|s, each left-padded to flen */
static int ecdsa_der_to_raw(const uint8_t *der, size_t derlen, size_t flen, uint8_t *out)
{
	const unsigned char *p = der;
	ECDSA_SIG *es = d2i_ECDSA_SIG(NULL, &p, (long)derlen);
	int rc = -1;

	if (!es)
		return -1;
	if (BN_bn2binpad(ECDSA_SIG_get0_r(es), out, (int)flen) == (int)flen &&
	    BN_bn2binpad(ECDSA_SIG_get0_s(es), out + flen, (int)flen) == (int)flen)
		rc = 0;
	ECDSA_SIG_free(es);
	return rc;
}

/* r|s -> DER, malloc'd */
static int ecdsa_raw_to_der(const uint8_t *raw, size_t flen, uint8_t **der, size_t *derlen)
{
	ECDSA_SIG *es = ECDSA_SIG_new();
	BIGNUM *r = BN_bin2bn(raw, (int)flen, NULL), *s = BN_bin2bn(raw + flen, (int)flen, NULL);
	unsigned char *p = NULL;
	int n, rc = -1;

	if (!es || !r || !s || !ECDSA_SIG_set0(es, r, s))
		goto out;
	r = s = NULL; /* owned by es */
	n = i2d_ECDSA_SIG(es, &p);
	if (n <= 0)
		goto out;
	*der = p;
	*derlen = (size_t)n;
	rc = 0;
out:
	BN_free(r);
	BN_free(s);
	ECDSA_SIG_free(es);
	return rc;
}

/* ---- AUTH payloads ---- */

/* RFC 7427: among the SHA-2 hashes in the mask, RSA prefers SHA-256,
 * ECDSA the curve's own hash (ec_hash). 0 when none is there. */
static uint8_t pick_hash(enum key_kind kind, uint8_t ec_hash, uint32_t hashes)
{
	uint8_t order[3] = { SIGHASH_SHA2_256, SIGHASH_SHA2_384, SIGHASH_SHA2_512 };

	if (!kind_rsa(kind)) {
		order[0] = ec_hash;
		for (int i = 0, j = 1; i < 3; i++) {
			uint8_t h = (uint8_t)(SIGHASH_SHA2_256 + i);
			if (h != ec_hash)
				order[j++] = h;
		}
	}
	for (int i = 0; i < 3; i++)
		if (hashes & (1u << order[i]))
			return order[i];
	return 0;
}

int sig_sign_opts(EVP_PKEY *key, uint32_t hashes, unsigned flags, const uint8_t *data,
                  size_t len, uint8_t *method, uint8_t *out, size_t *outlen)
{
	enum key_kind kind = key ? key_kind(key) : KK_NONE;
	bool pss = kind == KK_RSA_PSS || (kind == KK_RSA && (flags & SIG_PSS));
	struct sig_scheme s = { PAD_PKCS1, SIGHASH_SHA1, "SHA1", 0 };
	const struct sig_alg *alg;
	const struct pss_hash *ph;
	uint8_t der[96], *sig = NULL;
	size_t derlen = 0, siglen = 0, flen = 0;
	uint8_t ec_hash = 0, ec_method = 0, only = 0, hash = 0;
	const char *ec_md = NULL;
	int minsalt = 0, rc = -1;

	if (kind == KK_NONE || !out || !outlen || !method)
		goto out;
	if (!kind_rsa(kind))
		ec_md = ec_params(kind, &ec_hash, &flen, &ec_method);
	if (pss && pss_key_limits(key, &only, &minsalt) != 0)
		goto out;
	if (hashes)
		hash = pick_hash(kind, ec_hash, only ? hashes & (1u << only) : hashes);

	if (hash && pss) {
		ph = pss_hash_by_id(hash);
		if (!ph)
			goto out;
		s = (struct sig_scheme){ PAD_PSS, hash, ph->md,
		                         minsalt > ph->len ? minsalt : ph->len };
		derlen = pss_alg_der(ph, s.saltlen, der, sizeof(der));
		if (!derlen)
			goto out;
	} else if (hash) {
		alg = sig_alg_find(kind_rsa(kind), hash);
		if (!alg)
			goto out;
		s = (struct sig_scheme){ kind_rsa(kind) ? PAD_PKCS1 : PAD_ECDSA, hash, alg->md, 0 };
		derlen = alg->der_len;
		memcpy(der, alg->der, derlen);
	}

	if (derlen) {
		if (do_sign(key, &s, data, len, &sig, &siglen) != 0)
			goto out;
		if (*outlen < 1 + derlen + siglen)
			goto out;
		out[0] = (uint8_t)derlen;
		memcpy(out + 1, der, derlen);
		memcpy(out + 1 + derlen, sig, siglen);
		*outlen = 1 + derlen + siglen;
		*method = AUTHM_DIGITAL_SIGNATURE;
	} else if (kind == KK_RSA) {
		/* method 1 is PKCS#1 v1.5 with SHA-1, even when asked for PSS */
		if (do_sign(key, &s, data, len, &sig, &siglen) != 0 || *outlen < siglen)
			goto out;
		memcpy(out, sig, siglen);
		*outlen = siglen;
		*method = AUTHM_RSA;
	} else if (kind == KK_RSA_PSS) {
		goto out; /* PSS needs method 14: no common hash */
	} else {
		s = (struct sig_scheme){ PAD_ECDSA, ec_hash, ec_md, 0 };
		if (do_sign(key, &s, data, len, &sig, &siglen) != 0 || *outlen < 2 * flen)
			goto out;
		if (ecdsa_der_to_raw(sig, siglen, flen, out) != 0)
			goto out;
		*outlen = 2 * flen;
		*method = ec_method;
	}
	rc = 0;
out:
	free(sig);
	ERR_clear_error();
	return rc;
}

int sig_sign(EVP_PKEY *key, uint32_t hashes, const uint8_t *data, size_t len,
             uint8_t *method, uint8_t *out, size_t *outlen)
{
	return sig_sign_opts(key, hashes, 0, data, len, method, out, outlen);
}

int sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth,
               size_t authlen, const uint8_t *data, size_t len)
{
	enum key_kind kind = pub ? key_kind(pub) : KK_NONE;
	struct sig_scheme s = { PAD_PKCS1, SIGHASH_SHA1, "SHA1", 0 };
	uint8_t *der = NULL;
	size_t derlen = 0, flen = 0, alen;
	uint8_t ec_hash = 0, ec_method = 0;
	const char *ec_md;
	int rc = -1;

	if (kind == KK_NONE || !auth)
		goto out;
	switch (method) {
	case AUTHM_RSA:
		if (kind != KK_RSA)
			goto out;
		rc = do_verify(pub, &s, auth, authlen, data, len);
		break;
	case AUTHM_ECDSA_256:
	case AUTHM_ECDSA_384:
	case AUTHM_ECDSA_521:
		ec_md = ec_params(kind, &ec_hash, &flen, &ec_method);
		/* the method names the curve: the key must be on it */
		if (!ec_md || ec_method != method || authlen != 2 * flen)
			goto out;
		if (ecdsa_raw_to_der(auth, flen, &der, &derlen) != 0)
			goto out;
		s = (struct sig_scheme){ PAD_ECDSA, ec_hash, ec_md, 0 };
		rc = do_verify(pub, &s, der, derlen, data, len);
		break;
	case AUTHM_DIGITAL_SIGNATURE:
		if (authlen < 1 || authlen < 1 + (size_t)auth[0])
			goto out;
		alen = auth[0];
		if (sig_alg_parse(auth + 1, alen, &s) != 0 || !scheme_fits(&s, kind))
			goto out;
		rc = do_verify(pub, &s, auth + 1 + alen, authlen - 1 - alen, data, len);
		break;
	default:
		break;
	}
out:
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}
