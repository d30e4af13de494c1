/* IKEv2 cookies: rotating secrets and the HMAC (see cookie.h). */
#include "src/cookie.h"

#include <string.h>
#include <netinet/in.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/algs.h"
#include "crypto/prf.h"
#include "src/natd.h"

static void fresh(uint8_t s[32])
{
	if (RAND_bytes(s, 32) != 1)
		RAND_priv_bytes(s, 32);
}

/* the secrets as of now: a new one once a period has passed since the
 * last change; the one it replaces was current until now, so cookies made
 * with it stay good for one more period */
static void rotate(struct cookie_jar *j, uint64_t now)
{
	if (!j->ready) {
		fresh(j->secret[j->version & 1]);
		j->ready = true;
		j->have_prev = false;
		j->rotated = now;
		return;
	}
	uint64_t age = now - j->rotated;
	if (age < COOKIE_PERIOD)
		return;
	j->version++;
	fresh(j->secret[j->version & 1]);
	j->have_prev = true;
	j->rotated = now;
}

static int mac(const uint8_t secret[32], const uint8_t spi_i[8], const struct sockaddr *peer,
               const uint8_t *ni, size_t ni_len, uint8_t out[32])
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes(peer, &ip, &iplen, &port);
	uint8_t fixed[8 + 1 + 16 + 2] = { 0 };
	memcpy(fixed, spi_i, 8);
	fixed[8] = peer->sa_family == AF_INET ? 4 : 6;
	memcpy(fixed + 9, ip, iplen > 16 ? 16 : iplen);
	fixed[25] = (uint8_t)(ni_len >> 8);
	fixed[26] = (uint8_t)ni_len;
	struct prf_piece parts[2] = { { fixed, sizeof(fixed) }, { ni, ni_len } };
	return prf_compute(PRF_HMAC_SHA2_256, secret, 32, parts, 2, out);
}

void cookie_make(struct cookie_jar *j, uint64_t now, const uint8_t spi_i[8],
                 const struct sockaddr *peer, const uint8_t *ni, size_t ni_len,
                 uint8_t out[COOKIE_LEN])
{
	rotate(j, now);
	out[0] = j->version;
	if (mac(j->secret[j->version & 1], spi_i, peer, ni, ni_len, out + 1) != 0)
		fresh(out + 1);   /* unverifiable: the client just has to try again */
}

bool cookie_check(struct cookie_jar *j, uint64_t now, const uint8_t spi_i[8],
                  const struct sockaddr *peer, const uint8_t *ni, size_t ni_len,
                  const uint8_t *cookie, size_t len)
{
	rotate(j, now);
	if (len != COOKIE_LEN)
		return false;
	uint8_t v = cookie[0];
	if (v != j->version && !(j->have_prev && v == (uint8_t)(j->version - 1)))
		return false;
	uint8_t expect[32];
	if (mac(j->secret[v & 1], spi_i, peer, ni, ni_len, expect) != 0)
		return false;
	bool ok = CRYPTO_memcmp(expect, cookie + 1, 32) == 0;
	OPENSSL_cleanse(expect, sizeof(expect));
	return ok;
}

void cookie_jar_clear(struct cookie_jar *j)
{
	OPENSSL_cleanse(j, sizeof(*j));
}
