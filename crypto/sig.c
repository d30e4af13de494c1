/* Private key loading and IKEv2 AUTH signatures: RSA PKCS#1 v1.5 with
 * SHA-1 (AUTH method 1), ECDSA with the raw r|s encoding (methods 9-11,
 * RFC 4754) and Digital Signature (method 14, RFC 7427). */
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
	if (EVP_PKEY_is_a(key, "RSA")) {
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
		snprintf(err, errlen, "%s: unsupported key type %s (RSA or ECDSA only)",
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
	if (EVP_PKEY_is_a(key, "RSA"))
		return "RSA";
	if (EVP_PKEY_is_a(key, "EC"))
		return "ECDSA";
	return "";
}

/* ---- algorithms ---- */

enum key_kind { KK_NONE, KK_RSA, KK_EC256, KK_EC384, KK_EC521 };

static enum key_kind key_kind(const EVP_PKEY *key)
{
	char name[64];
	size_t n = 0;

	if (EVP_PKEY_is_a(key, "RSA"))
		return KK_RSA;
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

/* RFC 7427 method 14 signature algorithms, with the AlgorithmIdentifier
 * DER we send (RFC 7427 Appendix A: RSA with NULL parameters, ECDSA
 * without parameters). */
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

/* The AlgorithmIdentifier a peer sent: the OID must be one we know and
 * the parameters absent or NULL (RSA) / absent (ECDSA). */
static const struct sig_alg *sig_alg_parse(const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509_ALGOR *alg = d2i_X509_ALGOR(NULL, &p, (long)len);
	const struct sig_alg *found = NULL;
	const ASN1_OBJECT *obj;
	const void *pval;
	int ptype, nid;

	if (!alg || p != der + len)
		goto out;
	X509_ALGOR_get0(&obj, &ptype, &pval, alg);
	nid = OBJ_obj2nid(obj);
	for (size_t i = 0; i < sizeof(sig_algs) / sizeof(sig_algs[0]); i++) {
		if (sig_algs[i].nid != nid)
			continue;
		if (ptype == V_ASN1_UNDEF || (sig_algs[i].rsa && ptype == V_ASN1_NULL))
			found = &sig_algs[i];
		break;
	}
out:
	X509_ALGOR_free(alg);
	return found;
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

/* EVP signature over data with the given digest; sig is malloc'd. */
static int do_sign(EVP_PKEY *key, const char *md, const uint8_t *data, size_t len,
                   uint8_t **sig, size_t *siglen)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int rc = -1;

	*sig = NULL;
	if (!mctx || EVP_DigestSignInit_ex(mctx, NULL, md, NULL, NULL, key, NULL) != 1)
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

static int do_verify(EVP_PKEY *key, const char *md, const uint8_t *sig, size_t siglen,
                     const uint8_t *data, size_t len)
{
	EVP_MD_CTX *mctx = EVP_MD_CTX_new();
	int rc = -1;

	if (!mctx || EVP_DigestVerifyInit_ex(mctx, NULL, md, NULL, NULL, key, NULL) != 1)
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

int sig_sign(EVP_PKEY *key, uint32_t hashes, const uint8_t *data, size_t len,
             uint8_t *method, uint8_t *out, size_t *outlen)
{
	enum key_kind kind = key ? key_kind(key) : KK_NONE;
	const struct sig_alg *alg = NULL;
	uint8_t *sig = NULL;
	size_t siglen = 0, flen = 0;
	uint8_t ec_hash = 0, ec_method = 0;
	const char *ec_md = NULL;
	int rc = -1;

	if (kind == KK_NONE)
		goto out;
	if (kind != KK_RSA)
		ec_md = ec_params(kind, &ec_hash, &flen, &ec_method);

	/* RFC 7427: among the SHA-2 hashes the peer announced, RSA
	 * prefers SHA-256, ECDSA the curve's own hash */
	if (hashes) {
		uint8_t order[4] = { SIGHASH_SHA2_256, SIGHASH_SHA2_384, SIGHASH_SHA2_512, 0 };
		if (kind != KK_RSA) {
			order[0] = ec_hash;
			for (int i = 0, j = 1; i < 3; i++) {
				uint8_t h = (uint8_t)(SIGHASH_SHA2_256 + i);
				if (h != ec_hash)
					order[j++] = h;
			}
		}
		for (int i = 0; i < 3 && !alg; i++)
			if (hashes & (1u << order[i]))
				alg = sig_alg_find(kind == KK_RSA, order[i]);
	}

	if (alg) {
		if (do_sign(key, alg->md, data, len, &sig, &siglen) != 0)
			goto out;
		if (*outlen < 1 + (size_t)alg->der_len + siglen)
			goto out;
		out[0] = alg->der_len;
		memcpy(out + 1, alg->der, alg->der_len);
		memcpy(out + 1 + alg->der_len, sig, siglen);
		*outlen = 1 + alg->der_len + siglen;
		*method = AUTHM_DIGITAL_SIGNATURE;
	} else if (kind == KK_RSA) {
		if (do_sign(key, "SHA1", data, len, &sig, &siglen) != 0 || *outlen < siglen)
			goto out;
		memcpy(out, sig, siglen);
		*outlen = siglen;
		*method = AUTHM_RSA;
	} else {
		if (do_sign(key, ec_md, data, len, &sig, &siglen) != 0 || *outlen < 2 * flen)
			goto out;
		if (ecdsa_der_to_raw(sig, siglen, flen, out) != 0)
			goto out;
		*outlen = 2 * flen;
		*method = ec_method;
	}
	rc = 0;
out:
	free(sig);
	return rc;
}

int sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth,
               size_t authlen, const uint8_t *data, size_t len)
{
	enum key_kind kind = pub ? key_kind(pub) : KK_NONE;
	const struct sig_alg *alg;
	uint8_t *der = NULL;
	size_t derlen = 0, flen = 0;
	uint8_t ec_hash = 0, ec_method = 0;
	const char *ec_md;
	int rc = -1;

	if (kind == KK_NONE || !auth)
		goto out;
	switch (method) {
	case AUTHM_RSA:
		if (kind != KK_RSA)
			goto out;
		rc = do_verify(pub, "SHA1", auth, authlen, data, len);
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
		rc = do_verify(pub, ec_md, der, derlen, data, len);
		break;
	case AUTHM_DIGITAL_SIGNATURE:
		if (authlen < 1 || authlen < 1 + (size_t)auth[0])
			goto out;
		alg = sig_alg_parse(auth + 1, auth[0]);
		if (!alg || alg->rsa != (kind == KK_RSA))
			goto out;
		rc = do_verify(pub, alg->md, auth + 1 + auth[0], authlen - 1 - auth[0], data, len);
		break;
	default:
		break;
	}
out:
	OPENSSL_free(der);
	ERR_clear_error();
	return rc;
}
