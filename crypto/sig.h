/* Private keys and IKEv2 AUTH signatures: RSA (AUTH method 1, PKCS#1 v1.5
 * with SHA-1), ECDSA (methods 9/10/11, RFC 4754) and Digital Signature
 * (method 14, RFC 7427) with an ASN.1 AlgorithmIdentifier prefix: RSA
 * PKCS#1 v1.5 (sha*WithRSAEncryption), RSASSA-PSS (id-RSASSA-PSS, RFC 8017
 * §8.1 with the parameters of RFC 4055 §3.1) and ECDSA (ecdsa-with-SHA*).
 *
 * RSASSA-PSS here means SHA-256, SHA-384 or SHA-512 for the message and
 * MGF1 alike (equal), any salt length the parameters state (0..4096),
 * trailerField 1. PSS with SHA-1 (RFC 7427 A.4.1/A.4.2: empty or default
 * parameters) is refused: RFC 8247 §3.2 says SHA-1 SHOULD NOT be used for
 * new signatures and cygnet never announces SHA-1. */
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

/* Loads an unencrypted private key, PEM or DER, RSA, RSA-PSS (a PKCS#8
 * key with the id-RSASSA-PSS OID, e.g. openssl genpkey -algorithm RSA-PSS)
 * or EC (any of the usual encodings: PKCS#1, SEC1, PKCS#8). On failure
 * returns NULL and writes a one-line reason to err. */
EVP_PKEY *privkey_load(const char *path, char *err, size_t errlen);
/* the same from the file's contents; path names it in the reason */
EVP_PKEY *privkey_parse(const uint8_t *buf, size_t len, const char *path, char *err,
                        size_t errlen);
/* "RSA" (RSA and RSA-PSS keys), "ECDSA" or "" — for matching ": RSA" /
 * ": ECDSA" secrets */
const char *privkey_type(const EVP_PKEY *key);

/* sig_sign_opts flags */
enum sig_flags {
	/* RSA keys: RSASSA-PSS instead of PKCS#1 v1.5 under method 14
	 * (strongSwan's rsa/pss, charon.rsa_pss). RSA-PSS keys always use
	 * PSS; EC keys ignore it. */
	SIG_PSS = 1u << 0,
};

/* Signs data for an IKE AUTH payload.
 * hashes: bitmask of (1 << enum sig_hash) the peer announced in
 * SIGNATURE_HASH_ALGORITHMS, 0 when it sent none.
 * With hashes != 0, uses method 14 with the preferred common of SHA-256,
 * SHA-384, SHA-512 (RSA: SHA-256 first; EC: the curve's natural hash
 * first), else method 1 for RSA (SHA-1) or 9/10/11 for ECDSA by curve.
 * Under method 14 an RSA key signs with PKCS#1 v1.5, or with RSASSA-PSS
 * when flags has SIG_PSS or the key is an RSA-PSS key: the hash for
 * message and MGF1, salt length = hash length (or the key's minimum salt
 * if larger), sent as id-RSASSA-PSS with explicit parameters (RFC 7427
 * A.4.3 for SHA-256). With no common SHA-2 hash, SIG_PSS on an RSA key
 * still falls back to method 1 (v1.5, as strongSwan's rsa_pss applies
 * to RFC 7427 only); an RSA-PSS key cannot, and signing fails. An RSA-PSS
 * key restricted to one hash (RFC 4055 §1.2) signs only with that hash,
 * and fails when the peer did not announce it.
 * out receives the AUTH payload's data after the 4-byte AUTH header (for
 * method 14 that is the AlgorithmIdentifier length byte, the identifier,
 * then the signature; ECDSA methods 9-11 use the raw r|s encoding,
 * method 14 with ECDSA uses DER). *method receives the AUTH method.
 * *outlen is the buffer size in, bytes written out (an RSA-2048 PSS
 * payload is 1 + 67 + 256 bytes). 0 on success, -1 on failure (NULL or
 * unusable key, buffer too small, no usable scheme). */
int sig_sign_opts(EVP_PKEY *key, uint32_t hashes, unsigned flags, const uint8_t *data,
                  size_t len, uint8_t *method, uint8_t *out, size_t *outlen);
/* sig_sign_opts with flags 0: PKCS#1 v1.5 for plain RSA keys */
int sig_sign(EVP_PKEY *key, uint32_t hashes, const uint8_t *data, size_t len,
             uint8_t *method, uint8_t *out, size_t *outlen);
/* Verifies an AUTH payload's data (as above) against a public key. 0 when
 * the signature is good. Method 14's AlgorithmIdentifier comes from the
 * peer and is parsed strictly: it must fill its length byte exactly, name
 * a scheme listed at the top of this file, and match the key: PKCS#1
 * v1.5 and method 1 need an RSA key, PSS an RSA or RSA-PSS key (whose own
 * restrictions OpenSSL enforces), ECDSA an EC key. A PSS signature is
 * checked with the salt length the parameters state. */
int sig_verify(EVP_PKEY *pub, uint8_t method, const uint8_t *auth,
               size_t authlen, const uint8_t *data, size_t len);

#endif
