/* AUTH signatures: every method with RSA-2048 and EC P-256/P-384/P-521
 * keys made here, the RFC 7427 AlgorithmIdentifier bytes, hash choice,
 * tamper and key-mismatch rejection, private key loading in each
 * encoding. */
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <openssl/bio.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/rsa.h>
#include <openssl/x509.h>

#include "crypto/sig.h"
#include "tests/unit/check.h"

#define H(x) (1u << (x))

static const uint8_t msg[] = "IKE_SA_INIT message | Nr | prf(SK_pi, IDi')";

static void sign_verify(const char *tag, EVP_PKEY *key, uint32_t hashes,
                        uint8_t want_method, const char *want_prefix_hex,
                        size_t want_len)
{
	uint8_t out[1024], bad[1024], m = 0;
	size_t outlen = sizeof(out);
	char name[128];
	int rc = sig_sign(key, hashes, msg, sizeof(msg), &m, out, &outlen);

	snprintf(name, sizeof(name), "%s sign method %u", tag, want_method);
	CHECK(name, rc == 0 && m == want_method);
	if (rc != 0)
		return;
	if (want_prefix_hex) {
		size_t pl = strlen(want_prefix_hex) / 2;
		snprintf(name, sizeof(name), "%s algorithm identifier (RFC 7427 App. A)", tag);
		CHECK(name, outlen > pl && check_hex_eq(out, pl, want_prefix_hex));
	}
	if (want_len) {
		snprintf(name, sizeof(name), "%s length %zu", tag, want_len);
		CHECK(name, outlen == want_len);
	}
	snprintf(name, sizeof(name), "%s verify", tag);
	CHECK(name, sig_verify(key, m, out, outlen, msg, sizeof(msg)) == 0);

	snprintf(name, sizeof(name), "%s tampered data", tag);
	uint8_t msg2[sizeof(msg)];
	memcpy(msg2, msg, sizeof(msg));
	msg2[5] ^= 1;
	CHECK(name, sig_verify(key, m, out, outlen, msg2, sizeof(msg2)) != 0);

	snprintf(name, sizeof(name), "%s tampered signature", tag);
	memcpy(bad, out, outlen);
	bad[outlen - 3] ^= 0x10;
	CHECK(name, sig_verify(key, m, bad, outlen, msg, sizeof(msg)) != 0);

	snprintf(name, sizeof(name), "%s truncated", tag);
	CHECK(name, sig_verify(key, m, out, outlen - 1, msg, sizeof(msg)) != 0 &&
	            sig_verify(key, m, out, 0, msg, sizeof(msg)) != 0);

	snprintf(name, sizeof(name), "%s wrong method", tag);
	CHECK(name, sig_verify(key, m == AUTHM_DIGITAL_SIGNATURE ? AUTHM_RSA :
	                            AUTHM_DIGITAL_SIGNATURE, out, outlen, msg, sizeof(msg)) != 0);

	snprintf(name, sizeof(name), "%s buffer too small", tag);
	/* ECDSA DER signatures vary in length by a few bytes */
	size_t small = want_len ? outlen - 1 : outlen / 2;
	CHECK(name, sig_sign(key, hashes, msg, sizeof(msg), &m, out, &small) != 0);
}

#define ALG_RSA256 "0f300d06092a864886f70d01010b0500"
#define ALG_RSA384 "0f300d06092a864886f70d01010c0500"
#define ALG_RSA512 "0f300d06092a864886f70d01010d0500"
#define ALG_EC256  "0c300a06082a8648ce3d040302"
#define ALG_EC384  "0c300a06082a8648ce3d040303"
#define ALG_EC512  "0c300a06082a8648ce3d040304"

static void test_rfc7427_bytes(EVP_PKEY *rsa, EVP_PKEY *ec)
{
	/* RFC 7427 Appendix A.1.3 sha256WithRSAEncryption and A.3.1
	 * ecdsa-with-sha256, as listed there (byte-for-byte) */
	static const uint8_t a13[] = {
		0x30, 0x0d, 0x06, 0x09, 0x2a, 0x86, 0x48, 0x86, 0xf7, 0x0d,
		0x01, 0x01, 0x0b, 0x05, 0x00 };
	static const uint8_t a31[] = {
		0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04,
		0x03, 0x02 };
	uint8_t out[1024], m;
	size_t n = sizeof(out);

	CHECK("rfc7427 A.1.3 sha256WithRSAEncryption",
	      sig_sign(rsa, H(SIGHASH_SHA2_256), msg, sizeof(msg), &m, out, &n) == 0 &&
	      out[0] == sizeof(a13) && memcmp(out + 1, a13, sizeof(a13)) == 0);
	n = sizeof(out);
	CHECK("rfc7427 A.3.1 ecdsa-with-sha256",
	      sig_sign(ec, H(SIGHASH_SHA2_256), msg, sizeof(msg), &m, out, &n) == 0 &&
	      out[0] == sizeof(a31) && memcmp(out + 1, a31, sizeof(a31)) == 0);
}

/* A method 14 payload with an AlgorithmIdentifier of one key type and a
 * signature made by the other kind must fail, and so must an identifier
 * with parameters that do not belong there. */
static void test_mismatch(EVP_PKEY *rsa, EVP_PKEY *ec256, EVP_PKEY *ec384)
{
	uint8_t out[1024], m;
	size_t n = sizeof(out);

	sig_sign(rsa, H(SIGHASH_SHA2_256), msg, sizeof(msg), &m, out, &n);
	CHECK("rsa method 14 against ec key", sig_verify(ec256, m, out, n, msg, sizeof(msg)) != 0);
	/* claim ecdsa-with-SHA256 over an RSA signature, verify with RSA */
	uint8_t forged[1024];
	uint8_t ecalg[] = { 0x0c, 0x30, 0x0a, 0x06, 0x08, 0x2a, 0x86, 0x48, 0xce, 0x3d, 0x04, 0x03, 0x02 };
	memcpy(forged, ecalg, sizeof(ecalg));
	memcpy(forged + sizeof(ecalg), out + 16, n - 16);
	CHECK("ecdsa identifier with rsa key rejected",
	      sig_verify(rsa, 14, forged, sizeof(ecalg) + n - 16, msg, sizeof(msg)) != 0);
	CHECK("rsa method 1 against ec key", sig_verify(ec256, AUTHM_RSA, out + 16, n - 16,
	                                                msg, sizeof(msg)) != 0);

	n = sizeof(out);
	sig_sign(ec256, 0, msg, sizeof(msg), &m, out, &n);
	CHECK("ecdsa-256 raw against p-384 key",
	      sig_verify(ec384, AUTHM_ECDSA_256, out, n, msg, sizeof(msg)) != 0);
	CHECK("ecdsa-256 raw claimed as method 10",
	      sig_verify(ec256, AUTHM_ECDSA_384, out, n, msg, sizeof(msg)) != 0);
	CHECK("ecdsa raw against rsa key",
	      sig_verify(rsa, AUTHM_ECDSA_256, out, n, msg, sizeof(msg)) != 0);

	/* sha256WithRSAEncryption with a non-NULL parameter */
	n = sizeof(out);
	sig_sign(rsa, H(SIGHASH_SHA2_256), msg, sizeof(msg), &m, out, &n);
	out[14] = 0x04; /* 05 00 (NULL) -> 04 00 (empty OCTET STRING) */
	CHECK("rsa identifier with bad parameters", sig_verify(rsa, 14, out, n, msg, sizeof(msg)) != 0);
	/* identifier length byte pointing past the end */
	uint8_t shortp[4] = { 0x40, 0x30, 0x0d, 0x06 };
	CHECK("identifier longer than payload", sig_verify(rsa, 14, shortp, 4, msg, sizeof(msg)) != 0);
	CHECK("unknown method", sig_verify(rsa, AUTHM_PSK, out, n, msg, sizeof(msg)) != 0);
	CHECK("no key", sig_verify(NULL, 14, out, n, msg, sizeof(msg)) != 0);
}

/* ---- privkey_load ---- */

static char dir[] = "/tmp/cygnet-sig-XXXXXX";

static const char *path_of(const char *name)
{
	static char p[256];
	snprintf(p, sizeof(p), "%s/%s", dir, name);
	return p;
}

enum enc { PEM_PKCS8, PEM_TRAD, DER_PKCS8, DER_TRAD, PEM_PKCS8_ENC, PEM_TRAD_ENC, DER_PKCS8_ENC };

static void write_key(EVP_PKEY *key, const char *name, enum enc e)
{
	BIO *b = BIO_new_file(path_of(name), "wb");
	switch (e) {
	case PEM_PKCS8: PEM_write_bio_PrivateKey(b, key, NULL, NULL, 0, NULL, NULL); break;
	case PEM_TRAD: PEM_write_bio_PrivateKey_traditional(b, key, NULL, NULL, 0, NULL, NULL); break;
	case DER_PKCS8: i2d_PKCS8PrivateKey_bio(b, key, NULL, NULL, 0, NULL, NULL); break;
	case DER_TRAD: i2d_PrivateKey_bio(b, key); break;
	case PEM_PKCS8_ENC:
		PEM_write_bio_PKCS8PrivateKey(b, key, EVP_aes_128_cbc(), "secret", 6, NULL, NULL);
		break;
	case PEM_TRAD_ENC:
		PEM_write_bio_PrivateKey_traditional(b, key, EVP_aes_128_cbc(),
		                                     (unsigned char *)"secret", 6, NULL, NULL);
		break;
	case DER_PKCS8_ENC:
		i2d_PKCS8PrivateKey_bio(b, key, EVP_aes_128_cbc(), "secret", 6, NULL, NULL);
		break;
	}
	BIO_free(b);
}

static void test_load(EVP_PKEY *rsa, EVP_PKEY *ec)
{
	static const struct { const char *name; enum enc e; bool ok; } forms[] = {
		{ "pem-pkcs8", PEM_PKCS8, true },
		{ "pem-trad", PEM_TRAD, true },   /* PKCS#1 / SEC1 */
		{ "der-pkcs8", DER_PKCS8, true },
		{ "der-trad", DER_TRAD, true },
		{ "pem-pkcs8-enc", PEM_PKCS8_ENC, false },
		{ "pem-trad-enc", PEM_TRAD_ENC, false },
		{ "der-pkcs8-enc", DER_PKCS8_ENC, false },
	};
	EVP_PKEY *keys[2] = { rsa, ec };
	const char *kn[2] = { "rsa", "ec" };
	char name[128], fname[64], err[256];

	if (!mkdtemp(dir)) {
		CHECK("mkdtemp", 0);
		return;
	}
	for (int k = 0; k < 2; k++) {
		for (size_t i = 0; i < sizeof(forms) / sizeof(forms[0]); i++) {
			snprintf(fname, sizeof(fname), "%s-%s", kn[k], forms[i].name);
			write_key(keys[k], fname, forms[i].e);
			err[0] = 0;
			EVP_PKEY *got = privkey_load(path_of(fname), err, sizeof(err));
			snprintf(name, sizeof(name), "load %s", fname);
			if (forms[i].ok)
				CHECK(name, got && EVP_PKEY_eq(got, keys[k]) == 1 &&
				            strcmp(privkey_type(got), k ? "ECDSA" : "RSA") == 0);
			else
				CHECK(name, !got && strstr(err, "encrypted") != NULL);
			EVP_PKEY_free(got);
			unlink(path_of(fname));
		}
	}

	FILE *f = fopen(path_of("garbage"), "w");
	fputs("-----BEGIN PRIVATE KEY-----\nnot base64 at all\n-----END PRIVATE KEY-----\n", f);
	fclose(f);
	err[0] = 0;
	CHECK("load garbage", !privkey_load(path_of("garbage"), err, sizeof(err)) &&
	      strstr(err, "not a private key") != NULL);
	unlink(path_of("garbage"));
	err[0] = 0;
	CHECK("load missing", !privkey_load(path_of("missing"), err, sizeof(err)) &&
	      strstr(err, "No such file") != NULL);

	/* Ed25519 keys load as keys but are not RSA/ECDSA */
	EVP_PKEY *ed = EVP_PKEY_Q_keygen(NULL, NULL, "ED25519");
	write_key(ed, "ed", PEM_PKCS8);
	err[0] = 0;
	CHECK("load ed25519 refused", !privkey_load(path_of("ed"), err, sizeof(err)) &&
	      strstr(err, "unsupported key type") != NULL);
	CHECK("privkey_type other", strcmp(privkey_type(ed), "") == 0);
	EVP_PKEY_free(ed);
	unlink(path_of("ed"));
	rmdir(dir);
}

int main(void)
{
	EVP_PKEY *rsa = EVP_RSA_gen(2048);
	EVP_PKEY *ec256 = EVP_EC_gen("P-256");
	EVP_PKEY *ec384 = EVP_EC_gen("P-384");
	EVP_PKEY *ec521 = EVP_EC_gen("P-521");
	uint32_t all = H(SIGHASH_SHA1) | H(SIGHASH_SHA2_256) | H(SIGHASH_SHA2_384) |
	               H(SIGHASH_SHA2_512);

	CHECK("keys generated", rsa && ec256 && ec384 && ec521);
	if (!rsa || !ec256 || !ec384 || !ec521)
		CHECK_DONE();

	/* legacy methods when the peer announced no hashes, or only SHA-1 */
	sign_verify("rsa method 1", rsa, 0, AUTHM_RSA, NULL, 256);
	sign_verify("rsa only sha1 announced", rsa, H(SIGHASH_SHA1), AUTHM_RSA, NULL, 256);
	sign_verify("p256 method 9", ec256, 0, AUTHM_ECDSA_256, NULL, 64);
	sign_verify("p384 method 10", ec384, 0, AUTHM_ECDSA_384, NULL, 96);
	sign_verify("p521 method 11", ec521, 0, AUTHM_ECDSA_521, NULL, 132);

	/* method 14: RSA prefers SHA-256, EC its curve's hash */
	sign_verify("rsa m14 all", rsa, all, AUTHM_DIGITAL_SIGNATURE, ALG_RSA256, 1 + 15 + 256);
	sign_verify("rsa m14 384+512", rsa, H(SIGHASH_SHA2_384) | H(SIGHASH_SHA2_512),
	            AUTHM_DIGITAL_SIGNATURE, ALG_RSA384, 1 + 15 + 256);
	sign_verify("rsa m14 512", rsa, H(SIGHASH_SHA2_512), AUTHM_DIGITAL_SIGNATURE,
	            ALG_RSA512, 1 + 15 + 256);
	sign_verify("p256 m14 all", ec256, all, AUTHM_DIGITAL_SIGNATURE, ALG_EC256, 0);
	sign_verify("p384 m14 all", ec384, all, AUTHM_DIGITAL_SIGNATURE, ALG_EC384, 0);
	sign_verify("p384 m14 256 only", ec384, H(SIGHASH_SHA2_256), AUTHM_DIGITAL_SIGNATURE,
	            ALG_EC256, 0);
	sign_verify("p521 m14 all", ec521, all, AUTHM_DIGITAL_SIGNATURE, ALG_EC512, 0);
	sign_verify("p256 m14 identity+512", ec256, H(SIGHASH_IDENTITY) | H(SIGHASH_SHA2_512),
	            AUTHM_DIGITAL_SIGNATURE, ALG_EC512, 0);

	test_rfc7427_bytes(rsa, ec256);
	test_mismatch(rsa, ec256, ec384);

	/* a signature made by another key of the same kind fails */
	EVP_PKEY *rsa2 = EVP_RSA_gen(2048);
	uint8_t out[1024], m;
	size_t n = sizeof(out);
	sig_sign(rsa2, all, msg, sizeof(msg), &m, out, &n);
	CHECK("other rsa key", sig_verify(rsa, m, out, n, msg, sizeof(msg)) != 0);
	EVP_PKEY_free(rsa2);

	test_load(rsa, ec384);

	EVP_PKEY_free(rsa);
	EVP_PKEY_free(ec256);
	EVP_PKEY_free(ec384);
	EVP_PKEY_free(ec521);
	CHECK_DONE();
}
