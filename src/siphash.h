/* SipHash-2-4 (Aumasson and Bernstein, "SipHash: a fast short-input PRF",
 * 2012): the keyed hash for tables whose keys a peer chooses (IKE SPIs,
 * source addresses), so that nobody can aim entries at one bucket. */
#ifndef CYGNET_SIPHASH_H
#define CYGNET_SIPHASH_H

#include <stddef.h>
#include <stdint.h>

struct sipkey {
	uint64_t k0, k1;
};

uint64_t siphash24(const struct sipkey *k, const void *data, size_t len);
/* a random key (getrandom); all-zero only if the kernel has no entropy */
void sipkey_random(struct sipkey *k);

#endif
