/* IKEv2 cookies (RFC 7296 §2.6): a stateless proof that an IKE_SA_INIT
 * really comes from the address it claims, asked for when many IKE_SAs
 * are half open.
 *
 * COOKIE = version | HMAC-SHA-256(secret[version], SPIi | family |
 *          address (16 bytes, IPv4 zero-padded) | length(Ni) | Ni)
 * Every field but the last has a fixed length and the nonce is
 * length-prefixed, so no two inputs share an encoding; the HMAC makes the
 * length extension of a plain hash useless. The secret changes every
 * period; a cookie made with the previous secret is accepted for one more
 * period (a client that got a cookie just before the change). */
#ifndef CYGNET_COOKIE_H
#define CYGNET_COOKIE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

#define COOKIE_LEN 33
#define COOKIE_PERIOD 120          /* seconds between secret changes */

struct cookie_jar {
	uint8_t secret[2][32];         /* indexed by version & 1 */
	uint8_t version;               /* the current secret's */
	bool have_prev;                /* secret of version - 1 still accepted */
	bool ready;
	uint64_t rotated;              /* monotonic seconds of the last change */
};

/* the cookie for this request, made with the current secret */
void cookie_make(struct cookie_jar *j, uint64_t now, const uint8_t spi_i[8],
                 const struct sockaddr *peer, const uint8_t *ni, size_t ni_len,
                 uint8_t out[COOKIE_LEN]);
/* true when cookie (len bytes, from the peer's COOKIE notify) was made by
 * us for exactly this SPIi, address and nonce, with the current or the
 * previous secret. Constant time in the cookie's contents. */
bool cookie_check(struct cookie_jar *j, uint64_t now, const uint8_t spi_i[8],
                  const struct sockaddr *peer, const uint8_t *ni, size_t ni_len,
                  const uint8_t *cookie, size_t len);
/* wipes the secrets */
void cookie_jar_clear(struct cookie_jar *j);

#endif
