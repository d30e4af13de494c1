/* The Internet checksum (RFC 1071): the ones'-complement sum of 16-bit
 * big-endian words, for IPv4 headers and the TCP/UDP checksum over the
 * pseudo-header (RFC 9293 §3.1, RFC 8200 §8.1). Inline: the data plane
 * sums every segment it cuts or coalesces (src/dp/tso.c, src/dp/dp_io.c);
 * the unit tests check their packets with the same pair. */
#ifndef CYGNET_DP_CSUM_H
#define CYGNET_DP_CSUM_H

#include <stddef.h>
#include <stdint.h>

/* sum plus the n bytes at p as big-endian 16-bit words, an odd last byte
 * padded with a zero byte; not folded (a 64-bit sum cannot overflow for
 * any packet). p may be NULL when n is 0. */
static inline uint64_t csum_add(uint64_t sum, const uint8_t *p, size_t n)
{
	size_t i = 0;
	for (; i + 1 < n; i += 2)
		sum += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (i < n)
		sum += (uint32_t)p[i] << 8;
	return sum;
}

/* sum folded to 16 bits, end-around carries added, not complemented:
 * the checksum field takes (uint16_t)~csum_fold(...); a packet whose
 * checksum verifies folds to 0xffff */
static inline uint16_t csum_fold(uint64_t sum)
{
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return (uint16_t)sum;
}

#endif
