/* libFuzzer target for MSS clamping (src/dp/mss.h): the TCP option walk
 * of a SYN crossing the tunnel. Input: two bytes of IPv4 limit, two of
 * IPv6 limit (big-endian), then the packet. Checked on a copy of exactly
 * the packet's size (ASan sees any read past it): a packet not clamped is
 * unchanged; a clamped one keeps its length, its bytes before the TCP
 * header, and the ones' complement sum over its pseudo-header and
 * segment (the incremental checksum update is exact); mss_syn never says
 * no to what mss_clamp clamped. Seeds: tests/fuzz/corpus/mss. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/dp/mss.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint64_t sum(uint64_t s, const uint8_t *p, size_t n)
{
	for (size_t i = 0; i + 1 < n; i += 2)
		s += (uint32_t)(p[i] << 8 | p[i + 1]);
	if (n & 1)
		s += (uint32_t)p[n - 1] << 8;
	return s;
}

static uint16_t fold(uint64_t s)
{
	while (s >> 16)
		s = (s & 0xffff) + (s >> 16);
	return (uint16_t)(s % 0xffff);  /* +0 and -0 alike */
}

/* the TCP checksum's sum over what mss_clamp accepted as the segment */
static uint16_t tcp_sum(const uint8_t *ip, size_t ihl, size_t tot, bool v4)
{
	uint64_t s = v4 ? sum(0, ip + 12, 8) : sum(0, ip + 8, 32);
	return fold(sum(s + 6 + (tot - ihl), ip + ihl, tot - ihl));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < 4)
		return 0;
	uint16_t m4 = (uint16_t)(data[0] << 8 | data[1]), m6 = (uint16_t)(data[2] << 8 | data[3]);
	size_t len = size - 4;
	uint8_t *pkt = malloc(len ? len : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + 4, len);
	enum mss_result r = mss_clamp(pkt, len, m4, m6);
	if (r != MSS_CLAMPED) {
		if ((r != MSS_PASS && r != MSS_BAD) || memcmp(pkt, data + 4, len) != 0)
			abort();
		free(pkt);
		return 0;
	}
	/* clamped: it was a well-formed IPv4 or IPv6 TCP SYN */
	const uint8_t *orig = data + 4;
	bool v4 = (orig[0] >> 4) == 4;
	size_t ihl = v4 ? (size_t)(orig[0] & 15) * 4 : 40;
	size_t tot = v4 ? (size_t)(orig[2] << 8 | orig[3]) : 40 + (size_t)(orig[4] << 8 | orig[5]);
	if (tot > len || ihl + 20 > tot || !mss_syn(orig, len) ||
	    memcmp(pkt, orig, ihl + 16) != 0 ||
	    tcp_sum(pkt, ihl, tot, v4) != tcp_sum(orig, ihl, tot, v4))
		abort();
	free(pkt);
	return 0;
}
