/* Encryption + integrity, keyed once, shared by the IKE SK payload
 * (RFC 7296 §3.14, RFC 5282 for AEAD) and ESP (RFC 4303, RFC 4106).
 *
 * Both protocols have the same shape:
 *     prefix | IV | ciphertext(plaintext | padding | trailer) | ICV
 * - cipher + HMAC: ICV = HMAC(prefix | IV | ciphertext), truncated;
 * - AEAD (AES-GCM, ChaCha20-Poly1305): AAD = prefix, nonce = salt | IV.
 * For ESP the prefix is SPI | sequence number; for IKE it is the IKE
 * header through the Encrypted payload header. The caller builds the
 * plaintext with its padding and trailer (the two protocols pad
 * differently) and calls seal/open in place. */
#ifndef CYGNET_XFORM_H
#define CYGNET_XFORM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct xform;

/* is this encr (enum encr_id, keybits: 128/192/256, 0 for 3DES/ChaCha)
 * and integ (enum integ_id; AUTH_NONE for AEAD) combination usable? */
bool xform_supported(uint16_t encr, uint16_t keybits, uint16_t integ);
bool xform_is_aead(uint16_t encr);
/* key material needed, in bytes: encryption key (AEAD: key + salt, 4 bytes
 * for GCM and ChaCha20-Poly1305) and integrity key (0 for AEAD) */
size_t xform_encr_keylen(uint16_t encr, uint16_t keybits);
size_t xform_integ_keylen(uint16_t integ);

/* ekey/akey lengths must be the ones above. NULL on failure. */
struct xform *xform_new(uint16_t encr, uint16_t keybits, uint16_t integ,
                        const uint8_t *ekey, const uint8_t *akey);
/* NULL-safe; wipes keys and contexts */
void xform_free(struct xform *x);

size_t xform_iv_len(const struct xform *x);    /* 16 CBC, 8 3DES/GCM/ChaCha */
size_t xform_block_len(const struct xform *x); /* padding unit: 16, 8, or 4 for AEAD */
size_t xform_icv_len(const struct xform *x);   /* 12, 16, 24, 32 */

/* Encrypts buf[0..len) in place. len must be a multiple of
 * xform_block_len(). Writes a fresh IV (random for CBC, a per-context
 * counter mixed with a random start for AEAD) to iv and the ICV to icv.
 * prefix is authenticated, not encrypted. 0 on success. */
int xform_seal(struct xform *x, const uint8_t *prefix, size_t prefixlen,
               uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv);
/* xform_seal for ESP: with AEAD the IV is seq, 8 bytes big-endian (RFC
 * 4106 §3.1 and RFC 7634 §2 allow a counter; the ESP sequence number is
 * one that never repeats under a key, since it never wraps), so any
 * number of contexts with the same key (one per thread) stay unique
 * without sharing a counter. The caller must never pass one seq twice
 * for one key. CBC gets a random IV as from xform_seal. 0 on success. */
int xform_seal_seq(struct xform *x, uint64_t seq, const uint8_t *prefix, size_t prefixlen,
                   uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv);
/* FOR TESTS ONLY (known-answer tests): xform_seal with a caller-chosen
 * IV. Reusing an IV breaks AEAD security; real code uses xform_seal. */
int xform_seal_iv(struct xform *x, const uint8_t *prefix, size_t prefixlen,
                  const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv);
/* Verifies icv (constant time) and decrypts buf[0..len) in place. -1 on
 * ICV mismatch or a length that is not a multiple of the block length
 * (CBC only: the AEAD ciphers accept any length, since IKE peers may pad
 * AEAD-protected payloads to 1 byte); buf is then unspecified. 0 on
 * success. */
int xform_open(struct xform *x, const uint8_t *prefix, size_t prefixlen,
               const uint8_t *iv, uint8_t *buf, size_t len, const uint8_t *icv);

#endif
