/* MSS clamping of TCP SYNs crossing the tunnel: src/dp/mss.h has the
 * contract. TCP options: RFC 9293 §3.1 and §3.7.1; the checksum update:
 * RFC 1624 eqn. 3. */
#include "src/dp/mss.h"

#define TCP_SYN 0x02
#define TCP_RST 0x04
#define OPT_EOL 0
#define OPT_NOP 1
#define OPT_MSS 2
#define OPT_MSS_LEN 4
#define TCP_MAX_OPTS 40         /* option bytes: a data offset of 15 words */

static uint16_t rd16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static void wr16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint16_t swap16(uint16_t v)
{
	return (uint16_t)(v << 8 | v >> 8);
}

void mss_limits(unsigned mtu, int mssfix, uint16_t *mss4, uint16_t *mss6)
{
	unsigned fit4 = mtu > MSS_V4_OVERHEAD ? mtu - MSS_V4_OVERHEAD : 0;
	unsigned fit6 = mtu > MSS_V6_OVERHEAD ? mtu - MSS_V6_OVERHEAD : 0;
	unsigned m4 = fit4, m6 = fit6;
	if (mssfix == 0) {
		m4 = m6 = 0;
	} else if (mssfix > 0) {
		/* the same packet size for both families */
		unsigned n = (unsigned)mssfix;
		m4 = n < fit4 ? n : fit4;
		m6 = n > 20 && n - 20 < fit6 ? n - 20 : fit6;
	}
	*mss4 = (uint16_t)(m4 > 65535 ? 65535 : m4);
	*mss6 = (uint16_t)(m6 > 65535 ? 65535 : m6);
}

/* RFC 1624 eqn. 3: HC' = ~(~HC + ~m + m'), for the 16-bit word m of the
 * summed data that became m' */
static void csum_replace(uint8_t *csum, uint16_t m, uint16_t m2)
{
	uint32_t s = (uint32_t)(uint16_t)~rd16(csum) + (uint16_t)~m + m2;
	s = (s & 0xffff) + (s >> 16);
	s = (s & 0xffff) + (s >> 16);
	wr16(csum, (uint16_t)~s);
}

enum mss_result mss_clamp(uint8_t *pkt, size_t len, uint16_t mss4, uint16_t mss6)
{
	size_t ihl, tot;
	uint16_t limit;
	if (len < 20)
		return MSS_PASS;
	if ((pkt[0] >> 4) == 4) {
		ihl = (size_t)(pkt[0] & 15) * 4;
		tot = rd16(pkt + 2);
		/* a fragment (MF or an offset) has no whole TCP header to trust */
		if (ihl < 20 || tot < ihl || tot > len || pkt[9] != 6 || (pkt[6] & 0x3f) || pkt[7])
			return MSS_PASS;
		limit = mss4;
	} else if ((pkt[0] >> 4) == 6) {
		if (len < 40)
			return MSS_PASS;
		ihl = 40;
		tot = 40 + (size_t)rd16(pkt + 4);
		if (tot > len || pkt[6] != 6)
			return MSS_PASS;        /* extension headers, or not TCP */
		limit = mss6;
	} else {
		return MSS_PASS;
	}
	if (limit == 0 || tot < ihl + 20)
		return MSS_PASS;
	uint8_t *th = pkt + ihl;
	if ((th[13] & (TCP_SYN | TCP_RST)) != TCP_SYN)
		return MSS_PASS;
	size_t doff = (size_t)(th[12] >> 4) * 4;
	if (doff < 20 || ihl + doff > tot)
		return MSS_BAD;
	/* the whole walk first: a malformed option anywhere leaves the
	 * packet as it came */
	size_t at[TCP_MAX_OPTS / OPT_MSS_LEN];
	int n = 0;
	for (size_t i = 20; i < doff;) {
		uint8_t kind = th[i];
		if (kind == OPT_EOL)
			break;
		if (kind == OPT_NOP) {
			i++;
			continue;
		}
		if (i + 2 > doff)
			return MSS_BAD;
		size_t olen = th[i + 1];
		if (olen < 2 || i + olen > doff)
			return MSS_BAD;
		if (kind == OPT_MSS) {
			if (olen != OPT_MSS_LEN)
				return MSS_BAD;
			at[n++] = i + 2;        /* at most 10 fit in 40 bytes */
		}
		i += olen;
	}
	enum mss_result r = MSS_PASS;
	for (int k = 0; k < n; k++) {
		uint8_t *v = th + at[k];
		uint16_t old = rd16(v);
		if (old <= limit)
			continue;
		wr16(v, limit);
		/* the checksum sums 16-bit words from the TCP header's start
		 * (ihl is a multiple of 4): a value at an odd offset is summed
		 * byte-swapped across two words (RFC 1071's byte-order
		 * independence) */
		if (at[k] & 1)
			csum_replace(th + 16, swap16(old), swap16(limit));
		else
			csum_replace(th + 16, old, limit);
		r = MSS_CLAMPED;
	}
	return r;
}
