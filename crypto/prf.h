/* IKEv2 pseudo-random functions and prf+ (RFC 7296 §2.13, §2.14). */
#ifndef CYGNET_PRF_H
#define CYGNET_PRF_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PRF_MAX_OUT 64

bool prf_supported(uint16_t prf);
/* output length (= preferred key length) in bytes; 0 if unsupported */
size_t prf_out_len(uint16_t prf);

/* out = prf(key, data[0] | data[1] | ... ), prf_out_len() bytes.
 * n pieces of data are concatenated; 0 on success. */
struct prf_piece { const uint8_t *p; size_t len; };
int prf_compute(uint16_t prf, const uint8_t *key, size_t keylen,
                const struct prf_piece *data, size_t n, uint8_t *out);
/* out = HMAC with OpenSSL digest md ("MD5", "SHA256", ...) over the pieces,
 * outlen bytes: exactly the digest's length. 0 on success, -1 for an
 * unknown digest or a wrong outlen. */
int hmac_compute(const char *md, const uint8_t *key, size_t keylen,
                 const struct prf_piece *data, size_t n, uint8_t *out, size_t outlen);
/* out = first outlen bytes of prf+(key, seed) = T1 | T2 | ... with
 * T1 = prf(K, S | 0x01), Tn = prf(K, Tn-1 | S | n). outlen <= 255 * prf
 * output length. 0 on success. */
int prf_plus(uint16_t prf, const uint8_t *key, size_t keylen,
             const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen);

#endif
