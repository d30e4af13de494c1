/* What a TUN device with offloads (IFF_VNET_HDR, TUNSETOFFLOAD TUN_F_CSUM
 * | TUN_F_TSO4 | TUN_F_TSO6) hands to userspace, made into plain IP
 * packets: a partial checksum completed, a TCP super-segment of up to
 * 64 KiB cut into segments of gso_size payload bytes each, as a NIC's TCP
 * segmentation would (the virtio-net header's meaning: the virtio 1.x
 * specification, "Packet Transmission"; the segment rules: RFC 793 / RFC
 * 9293 sequence numbers, FIN and PSH on the last segment only, CWR on the
 * first only, as Linux's own software segmentation does).
 * The reader trusts nothing: every offset is checked against the packet. */
#include <string.h>
#include "src/dp/tso.h"
#include "src/dp/csum.h"

#define NEEDS_CSUM 1            /* VIRTIO_NET_HDR_F_NEEDS_CSUM */
#define GSO_NONE 0
#define GSO_TCPV4 1
#define GSO_TCPV6 4
#define GSO_ECN 0x80

void tso_hdr_read(const uint8_t *p, struct tso_hdr *h)
{
	/* little-endian: a TUN device's legacy header is in the host's
	 * order, and cygnet runs on little-endian hosts (x86, arm64) */
	h->flags = p[0];
	h->gso_type = p[1];
	h->hdr_len = (uint16_t)(p[2] | p[3] << 8);
	h->gso_size = (uint16_t)(p[4] | p[5] << 8);
	h->csum_start = (uint16_t)(p[6] | p[7] << 8);
	h->csum_offset = (uint16_t)(p[8] | p[9] << 8);
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int tso_csum(uint8_t *pkt, size_t len, const struct tso_hdr *h)
{
	if (!(h->flags & NEEDS_CSUM))
		return 0;
	size_t start = h->csum_start, at = start + h->csum_offset;
	if (start >= len || at + 2 > len)
		return -1;
	/* the field holds the pseudo-header's sum already */
	uint16_t c = (uint16_t)~csum_fold(csum_add(0, pkt + start, len - start));
	put16(pkt + at, c);
	return 0;
}

/* the TCP checksum of a segment: pseudo-header, then header and data */
static void tcp_csum(uint8_t *seg, size_t toff, size_t len, bool v4)
{
	uint8_t *th = seg + toff;
	size_t tlen = len - toff;
	th[16] = th[17] = 0;
	uint64_t sum = v4 ? csum_add(0, seg + 12, 8) : csum_add(0, seg + 8, 32);
	sum += 6 + (uint64_t)tlen;
	sum = csum_add(sum, th, tlen);
	uint16_t c = (uint16_t)~csum_fold(sum);
	put16(th + 16, c);
}

static void ip4_csum(uint8_t *ip, size_t ihl)
{
	ip[10] = ip[11] = 0;
	put16(ip + 10, (uint16_t)~csum_fold(csum_add(0, ip, ihl)));
}

int tso_split(const uint8_t *pkt, size_t len, const struct tso_hdr *h, uint8_t *seg,
              size_t room, tso_fn *fn, void *arg)
{
	uint8_t type = h->gso_type & (uint8_t)~GSO_ECN;
	if (type == GSO_NONE)
		return -1;
	if ((type != GSO_TCPV4 && type != GSO_TCPV6) || len < 20)
		return -1;
	bool v4 = type == GSO_TCPV4;
	if ((pkt[0] >> 4) != (v4 ? 4 : 6))
		return -1;
	/* where TCP starts: the checksum's start (the kernel sets it for
	 * every TSO packet), which also skips IPv6 extension headers */
	size_t toff = h->csum_start;
	size_t ihl = v4 ? (size_t)(pkt[0] & 15) * 4 : 40;
	if (!(h->flags & NEEDS_CSUM) || toff < ihl || toff + 20 > len ||
	    (v4 && (ihl < 20 || pkt[9] != 6)))
		return -1;
	size_t thl = (size_t)(pkt[toff + 12] >> 4) * 4;
	size_t hdrs = toff + thl;
	size_t mss = h->gso_size;
	if (thl < 20 || hdrs > len || mss == 0 || hdrs + mss > room)
		return -1;
	size_t data = len - hdrs;
	uint32_t seq0 = get32(pkt + toff + 4);
	uint16_t id0 = v4 ? (uint16_t)(pkt[4] << 8 | pkt[5]) : 0;
	uint8_t flags = pkt[toff + 13];
	int n = 0;
	size_t off = 0;
	do {
		size_t chunk = data - off < mss ? data - off : mss;
		bool last = off + chunk >= data;
		size_t slen = hdrs + chunk;
		memcpy(seg, pkt, hdrs);
		memcpy(seg + hdrs, pkt + hdrs + off, chunk);
		if (v4) {
			put16(seg + 2, (uint16_t)slen);
			put16(seg + 4, (uint16_t)(id0 + n));
			ip4_csum(seg, ihl);
		} else {
			put16(seg + 4, (uint16_t)(slen - 40));
		}
		uint8_t *th = seg + toff;
		uint32_t seq = seq0 + (uint32_t)off;
		th[4] = (uint8_t)(seq >> 24);
		th[5] = (uint8_t)(seq >> 16);
		th[6] = (uint8_t)(seq >> 8);
		th[7] = (uint8_t)seq;
		uint8_t f = flags;
		if (!last)
			f &= (uint8_t)~(0x01 | 0x08);   /* FIN, PSH: the last segment's */
		if (n > 0)
			f &= (uint8_t)~0x80;            /* CWR: the first one's */
		th[13] = f;
		tcp_csum(seg, toff, slen, v4);
		fn(arg, seg, slen);
		n++;
		off += chunk;
	} while (off < data);
	return n;
}
