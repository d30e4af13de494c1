/* TCP super-segments and partial checksums from a TUN device with offloads
 * (src/dp/tso.c): segments carry the right lengths, sequence numbers,
 * flags (FIN/PSH last, CWR first), IPv4 ids and header checksums, and TCP
 * checksums that verify (RFC 1071 sum over the RFC 793 / RFC 8200
 * pseudo-header); their data put together is the original; a partial
 * checksum is completed so the packet verifies; malformed headers are
 * refused with nothing handed over. */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include "src/dp/csum.h"
#include "src/dp/tso.h"

/* a packet whose transport checksum verifies: the sum over the
 * pseudo-header and the segment is 0xffff */
static bool l4_ok(const uint8_t *ip, size_t len, size_t toff, uint8_t proto, bool v4)
{
	uint64_t s = v4 ? csum_add(0, ip + 12, 8) : csum_add(0, ip + 8, 32);
	s += proto + (uint64_t)(len - toff);
	return csum_fold(csum_add(s, ip + toff, len - toff)) == 0xffff;
}

static struct {
	int n;
	size_t len[64];
	uint8_t seg[64][1600];
} got;

static void collect(void *arg, uint8_t *seg, size_t len)
{
	(void)arg;
	if (got.n < 64 && len <= sizeof(got.seg[0])) {
		memcpy(got.seg[got.n], seg, len);
		got.len[got.n] = len;
	}
	got.n++;
}

static void put_hdr(uint8_t *h, uint8_t flags, uint8_t type, uint16_t gso, uint16_t cs,
                    uint16_t co)
{
	memset(h, 0, TSO_HDR_LEN);
	h[0] = flags;
	h[1] = type;
	h[4] = (uint8_t)gso;
	h[5] = (uint8_t)(gso >> 8);
	h[6] = (uint8_t)cs;
	h[7] = (uint8_t)(cs >> 8);
	h[8] = (uint8_t)co;
	h[9] = (uint8_t)(co >> 8);
}

static void test_v4(void)
{
	static uint8_t pkt[20 + 32 + 2500];
	size_t data = 2500, toff = 20, thl = 32, len = toff + thl + data;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x45;
	pkt[2] = (uint8_t)(len >> 8);
	pkt[3] = (uint8_t)len;
	pkt[4] = 0x12;
	pkt[5] = 0x34;
	pkt[8] = 64;
	pkt[9] = 6;
	inet_pton(AF_INET, "198.18.2.2", pkt + 12);
	inet_pton(AF_INET, "198.19.0.1", pkt + 16);
	uint8_t *th = pkt + toff;
	th[0] = 0x1f;                           /* ports 8080 -> 40000 */
	th[1] = 0x90;
	th[2] = 0x9c;
	th[3] = 0x40;
	th[4] = 0xff;                           /* seq 0xfffffe00: wraps */
	th[5] = 0xff;
	th[6] = 0xfe;
	th[7] = 0x00;
	th[12] = (uint8_t)(thl / 4) << 4;
	th[13] = 0x80 | 0x10 | 0x08 | 0x01;      /* CWR ACK PSH FIN */
	th[20] = 1;                             /* options: NOPs + a timestamp */
	th[21] = 1;
	th[22] = 8;
	th[23] = 10;
	for (size_t i = 0; i < data; i++)
		pkt[toff + thl + i] = (uint8_t)(i * 13 + 5);
	uint8_t hb[TSO_HDR_LEN];
	put_hdr(hb, 1, 1, 1000, (uint16_t)toff, 16);
	struct tso_hdr h;
	tso_hdr_read(hb, &h);
	CHECK("header read", h.flags == 1 && h.gso_type == 1 && h.gso_size == 1000 &&
	      h.csum_start == 20 && h.csum_offset == 16);
	static uint8_t seg[2000];
	got.n = 0;
	int n = tso_split(pkt, len, &h, seg, sizeof(seg), collect, NULL);
	CHECK("v4: three segments", n == 3 && got.n == 3);
	if (got.n != 3)
		return;
	bool lens = got.len[0] == 1052 && got.len[1] == 1052 && got.len[2] == 552;
	CHECK("v4: lengths 1000, 1000, 500 data bytes", lens);
	bool ok = true, data_ok = true;
	size_t at = 0;
	for (int i = 0; i < 3; i++) {
		uint8_t *s = got.seg[i], *t = s + toff;
		size_t sl = got.len[i];
		ok &= (size_t)(s[2] << 8 | s[3]) == sl;
		ok &= (s[4] << 8 | s[5]) == 0x1234 + i;
		ok &= csum_fold(csum_add(0, s, 20)) == 0xffff;  /* IPv4 header checksum */
		ok &= l4_ok(s, sl, toff, 6, true);
		uint32_t seq = (uint32_t)t[4] << 24 | (uint32_t)t[5] << 16 | (uint32_t)t[6] << 8 | t[7];
		ok &= seq == 0xfffffe00u + (uint32_t)(i * 1000);
		ok &= memcmp(t + 20, th + 20, 12) == 0;           /* options copied */
		for (size_t k = 0; k < sl - toff - thl; k++)
			data_ok &= s[toff + thl + k] == pkt[toff + thl + at + k];
		at += sl - toff - thl;
	}
	CHECK("v4: lengths, ids, header and TCP checksums, sequence numbers (wrapping)", ok);
	CHECK("v4: the data put together is the original", data_ok && at == data);
	CHECK("v4: CWR on the first only, FIN and PSH on the last only",
	      got.seg[0][toff + 13] == (0x80 | 0x10) && got.seg[1][toff + 13] == 0x10 &&
	      got.seg[2][toff + 13] == (0x10 | 0x08 | 0x01));

	/* malformed: nothing handed over */
	got.n = 0;
	struct tso_hdr bad = h;
	bad.gso_type = 3;                       /* UDP fragmentation offload: not ours */
	CHECK("unknown gso type refused", tso_split(pkt, len, &bad, seg, sizeof(seg), collect, NULL) == -1);
	bad = h;
	bad.csum_start = (uint16_t)len;
	CHECK("transport offset past the end refused",
	      tso_split(pkt, len, &bad, seg, sizeof(seg), collect, NULL) == -1);
	bad = h;
	bad.gso_size = 0;
	CHECK("gso_size 0 refused", tso_split(pkt, len, &bad, seg, sizeof(seg), collect, NULL) == -1);
	CHECK("segment larger than the buffer refused",
	      tso_split(pkt, len, &h, seg, 500, collect, NULL) == -1);
	bad = h;
	bad.gso_type = 4;                       /* says TCPv6 of an IPv4 packet */
	CHECK("family mismatch refused", tso_split(pkt, len, &bad, seg, sizeof(seg), collect, NULL) == -1);
	CHECK("nothing handed over for malformed ones", got.n == 0);
}

static void test_v6(void)
{
	static uint8_t pkt[40 + 20 + 3001];
	size_t data = 3001, toff = 40, thl = 20, len = toff + thl + data;
	memset(pkt, 0, sizeof(pkt));
	pkt[0] = 0x60;
	pkt[4] = (uint8_t)((len - 40) >> 8);
	pkt[5] = (uint8_t)(len - 40);
	pkt[6] = 6;
	pkt[7] = 64;
	inet_pton(AF_INET6, "2001:db8:2::2", pkt + 8);
	inet_pton(AF_INET6, "2001:db8:ffff::1", pkt + 24);
	pkt[toff + 12] = 5 << 4;
	pkt[toff + 13] = 0x10 | 0x08;
	for (size_t i = 0; i < data; i++)
		pkt[toff + thl + i] = (uint8_t)(i * 7 + 1);
	uint8_t hb[TSO_HDR_LEN];
	put_hdr(hb, 1, 4 | 0x80, 1200, (uint16_t)toff, 16);     /* TCPv6 with ECN */
	struct tso_hdr h;
	tso_hdr_read(hb, &h);
	static uint8_t seg[2000];
	got.n = 0;
	int n = tso_split(pkt, len, &h, seg, sizeof(seg), collect, NULL);
	CHECK("v6: three segments", n == 3 && got.n == 3);
	bool ok = got.n == 3;
	for (int i = 0; ok && i < 3; i++) {
		size_t sl = got.len[i];
		ok &= (size_t)(got.seg[i][4] << 8 | got.seg[i][5]) == sl - 40;
		ok &= l4_ok(got.seg[i], sl, toff, 6, false);
	}
	CHECK("v6: payload lengths and TCP checksums", ok && got.len[2] == 40 + 20 + 601);
}

static void test_csum(void)
{
	/* a UDP/IPv4 packet as a local socket hands it over with checksum
	 * offload: the field holds the pseudo-header's sum, not complemented */
	uint8_t pkt[20 + 8 + 33];
	size_t len = sizeof(pkt);
	memset(pkt, 0, len);
	pkt[0] = 0x45;
	pkt[3] = (uint8_t)len;
	pkt[9] = 17;
	inet_pton(AF_INET, "198.18.2.2", pkt + 12);
	inet_pton(AF_INET, "198.19.0.1", pkt + 16);
	pkt[20] = 0x30;
	pkt[22] = 0x30;
	pkt[25] = 8 + 33;
	for (int i = 0; i < 33; i++)
		pkt[28 + i] = (uint8_t)(i ^ 0x5a);
	uint16_t ph = csum_fold(csum_add(17 + (uint64_t)(8 + 33), pkt + 12, 8));
	pkt[26] = (uint8_t)(ph >> 8);
	pkt[27] = (uint8_t)ph;
	uint8_t hb[TSO_HDR_LEN];
	struct tso_hdr h;
	put_hdr(hb, 1, 0, 0, 20, 6);
	tso_hdr_read(hb, &h);
	CHECK("partial checksum completed", tso_csum(pkt, len, &h) == 0 && l4_ok(pkt, len, 20, 17, true));
	put_hdr(hb, 1, 0, 0, 20, (uint16_t)(len - 20 - 1));
	tso_hdr_read(hb, &h);
	CHECK("checksum field past the end refused", tso_csum(pkt, len, &h) == -1);
	put_hdr(hb, 0, 0, 0, 500, 500);
	tso_hdr_read(hb, &h);
	CHECK("no checksum asked for: untouched", tso_csum(pkt, len, &h) == 0 &&
	      l4_ok(pkt, len, 20, 17, true));
}

/* the checksum pair itself (src/dp/csum.h) against RFC 1071 §3's
 * numerical example, and an odd length padded with a zero byte */
static void test_sum(void)
{
	static const uint8_t rfc[] = { 0x00, 0x01, 0xf2, 0x03, 0xf4, 0xf5, 0xf6, 0xf7 };
	CHECK("RFC 1071 §3 example: sum 0x2ddf0 folds to 0xddf2",
	      csum_add(0, rfc, sizeof(rfc)) == 0x2ddf0 && csum_fold(0x2ddf0) == 0xddf2);
	CHECK("odd length: the last byte is the high half of a word",
	      csum_add(0, rfc, 3) == 0xf201 && csum_add(1, NULL, 0) == 1);
	CHECK("folding carries twice", csum_fold(0x1fffeffffull) == 0xffff);
}

int main(void)
{
	test_sum();
	test_v4();
	test_v6();
	test_csum();
	CHECK_DONE();
}
