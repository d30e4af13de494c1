/* Diffie-Hellman and ECDH groups for IKE KE payloads (RFC 7296 §3.4,
 * RFC 3526 MODP groups, RFC 5903 ECP groups, RFC 8031 Curve25519). */
#ifndef CYGNET_DH_H
#define CYGNET_DH_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct dh;

/* true when the group (enum dh_id) is implemented */
bool dh_supported(uint16_t group);
/* length in bytes of a public value / of the shared secret in IKE encoding:
 * MODP: the prime's length; ECP: x|y, 2 * field length; Curve25519: 32.
 * 0 for an unsupported group. */
size_t dh_pub_len(uint16_t group);
size_t dh_secret_len(uint16_t group);

/* Generates a fresh key pair. NULL on unsupported group or failure. */
struct dh *dh_new(uint16_t group);
uint16_t dh_group(const struct dh *dh);
/* Our public value in IKE encoding, dh_pub_len() bytes, into out. */
int dh_public(const struct dh *dh, uint8_t *out, size_t outlen);
/* Computes the shared secret from the peer's public value (IKE encoding,
 * exactly dh_pub_len() bytes, validated: range checks for MODP, point on
 * curve for ECP). out gets dh_secret_len() bytes (MODP: left-padded with
 * zeros to the prime's length; ECP: the x coordinate). 0 on success, -1 on
 * a bad public value or failure. */
int dh_shared(struct dh *dh, const uint8_t *peer, size_t peerlen,
              uint8_t *out, size_t outlen);
/* FOR TESTS ONLY (known-answer tests): a key pair from a fixed private
 * value (big-endian integer for MODP/ECP, the 32 raw bytes for
 * Curve25519). Never use it for real exchanges; use dh_new(). */
struct dh *dh_new_from_private(uint16_t group, const uint8_t *priv, size_t len);
/* NULL-safe; wipes the private key */
void dh_free(struct dh *dh);

#endif
