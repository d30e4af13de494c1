/* Private keys and IKEv2 AUTH signatures: RSA (AUTH method 1, PKCS#1 v1.5
 * with SHA-1), ECDSA (methods 9/10/11, RFC 4754) and Digital Signature
 * (method 14, RFC 7427) with an ASN.1 AlgorithmIdentifier prefix. */
#ifndef CYGNET_SIG_H
#define CYGNET_SIG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/evp.h>

enum auth_method {
	AUTHM_RSA = 1,
	AUTHM_PSK = 2,
	AUTHM_DSS = 3,
	AUTHM_ECDSA_256 = 9,
	AUTHM_ECDSA_384 = 10,
	AUTHM_ECDSA_521 = 11,
	AUTHM_DIGITAL_SIGNATURE = 14,
};

/* RFC 7427 hash algorithm identifiers (SIGNATURE_HASH_ALGORITHMS notify) */
enum sig_hash {
	SIGHASH_SHA1 = 1,
	SIGHASH_SHA2_256 = 2,
	SIGHASH_SHA2_384 = 3,
	SIGHASH_SHA2_512 = 4,
	SIGHASH_IDENTITY = 5,
};

/* Loads an unencrypted private key, PEM or DER, RSA or EC (any of the
 * usual encodings: PKCS#1, SEC1, PKCS#8). On failure returns NULL and
 * writes a one-line reason to err. */
EVP_PKEY *privkey_load(const char *path, char *err, size_t errlen);
/* the same from the file's contents; path names it in the reason */
EVP_PKEY *privkey_parse(const uint8_t *buf, size_t len, const char *path, char *err,
                        size_t errlen);
/* "RSA", "ECDSA" or "" — for matching ": RSA" / ": ECDSA" secrets */
const char *privkey_type(const EVP_PKEY *key);

/* Signs data for an IKE AUTH payload.
 * hashes: bitmask of (1 << enum sig_hash) the peer announced in
 * SIGNATURE_HASH_ALGORITHMS, 0 when it sent none.
 * With hashes != 0, uses method 14 with the strongest common of SHA-256,
 * SHA-384, SHA-512 (RSA: PKCS#1 v1.5; EC: the curve's natural hash first),
 * else method 1 for RSA (SHA-1) or 9/10/11 for ECDSA by curve.
 * out receives the AUTH payload's data after the 4-byte AUTH header (for
 * method 14 that is the AlgorithmIdentifier length byte, the identifier,
 * then the signature; ECDSA methods 9-11 use the raw r|s encoding,
 * method 14 with ECDSA uses DER). *method receives the AUTH method.
 * *outlen is the buffer size in, bytes written out. 0 on success. */
int sig_sign(EVP_PKEY *key, uint32_t hashes, const uint8_t *data, size_t len,
             uint8_t *method, uint8_t *out, size_t *outlen);
/* Verifies an AUTH payload's data (as above) against a public key. 0 when
 * the signature is good. */
int sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth,
               size_t authlen, const uint8_t *data, size_t len);

#endif
