/* MSS clamping (src/dp/mss.h) on hand-built IPv4 and IPv6 SYNs: an MSS
 * above the limit lowered, one below never raised; the TCP checksum after
 * the incremental update (RFC 1624 eqn. 3) verifies and equals a full
 * recomputation (RFC 1071 sum over the RFC 9293 / RFC 8200 pseudo-header),
 * for the MSS at even and odd offsets; SYN-ACKs clamped; SYNs without an
 * MSS option, non-SYNs, RSTs, fragments, IPv6 extension headers, and
 * truncated or malformed options left byte for byte as they were. Then the
 * data plane clamps both directions, for a road warrior's SA and a routed
 * one (a TUN stand-in and ESP through a loopback socket, main-thread
 * loop), and counts it; and config setup mtu=/mssfix= parse with
 * file:line errors. */
#define _GNU_SOURCE
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "conf/ipsec_conf.h"
#include "crypto/algs.h"
#include "src/dp/csum.h"
#include "src/dp/dp_int.h"
#include "src/dp/mss.h"

static size_t ihl_of(const uint8_t *ip)
{
	return (ip[0] >> 4) == 4 ? (size_t)(ip[0] & 15) * 4 : 40;
}

static uint64_t pseudo(const uint8_t *ip, size_t len)
{
	bool v4 = (ip[0] >> 4) == 4;
	size_t ihl = ihl_of(ip);
	return (v4 ? csum_add(0, ip + 12, 8) : csum_add(0, ip + 8, 32)) + 6 + (uint64_t)(len - ihl);
}

/* the TCP checksum verifies: the sum over pseudo-header and segment is
 * 0xffff */
static bool tcp_ok(const uint8_t *ip, size_t len)
{
	size_t ihl = ihl_of(ip);
	return csum_fold(csum_add(pseudo(ip, len), ip + ihl, len - ihl)) == 0xffff;
}

/* the TCP checksum computed afresh */
static void tcp_fill(uint8_t *ip, size_t len)
{
	size_t ihl = ihl_of(ip);
	uint8_t *th = ip + ihl;
	th[16] = th[17] = 0;
	uint16_t c = (uint16_t)~csum_fold(csum_add(pseudo(ip, len), th, len - ihl));
	th[16] = (uint8_t)(c >> 8);
	th[17] = (uint8_t)c;
}

static uint16_t mss_at(const uint8_t *ip, size_t off)
{
	const uint8_t *p = ip + ihl_of(ip) + off;
	return (uint16_t)(p[0] << 8 | p[1]);
}

#define LINUX_OPTS "\x02\x04\x05\xb4\x04\x02\x08\x0a\x00\x01\x02\x03" \
	"\x00\x00\x00\x00\x01\x03\x03\x07"

/* a TCP packet of the family, flags and options (n bytes, a multiple of 4)
 * with payload bytes of data; checksums filled; its length */
static size_t build(uint8_t *ip, bool v4, uint8_t flags, const void *opts, size_t n, size_t data)
{
	size_t ihl = v4 ? 20 : 40, len = ihl + 20 + n + data;
	memset(ip, 0, len);
	if (v4) {
		ip[0] = 0x45;
		ip[2] = (uint8_t)(len >> 8);
		ip[3] = (uint8_t)len;
		ip[6] = 0x40;           /* DF */
		ip[8] = 64;
		ip[9] = 6;
		inet_pton(AF_INET, "198.19.0.9", ip + 12);
		inet_pton(AF_INET, "198.18.2.2", ip + 16);
		uint16_t c = (uint16_t)~csum_fold(csum_add(0, ip, 20));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
	} else {
		ip[0] = 0x60;
		ip[4] = (uint8_t)((len - 40) >> 8);
		ip[5] = (uint8_t)(len - 40);
		ip[6] = 6;
		ip[7] = 64;
		inet_pton(AF_INET6, "2001:db8:ffff::9", ip + 8);
		inet_pton(AF_INET6, "2001:db8:2::2", ip + 24);
	}
	uint8_t *th = ip + ihl;
	th[0] = 0xc3, th[1] = 0x50, th[2] = 0x1f, th[3] = 0x40;     /* 50000 -> 8000 */
	th[4] = 0x12, th[5] = 0x34, th[6] = 0x56, th[7] = 0x78;
	if (flags & 0x10)
		th[11] = 1;
	th[12] = (uint8_t)(((20 + n) / 4) << 4);
	th[13] = flags;
	th[14] = 0xfa, th[15] = 0xf0;
	memcpy(th + 20, opts, n);
	for (size_t i = 0; i < data; i++)
		th[20 + n + i] = (uint8_t)(i * 7 + 1);
	tcp_fill(ip, len);
	return len;
}

/* clamping leaves the packet as it was */
static bool untouched(const uint8_t *ip, size_t len, uint16_t m4, uint16_t m6,
                      enum mss_result want)
{
	uint8_t copy[200];
	memcpy(copy, ip, len);
	return mss_clamp(copy, len, m4, m6) == want && memcmp(copy, ip, len) == 0;
}

static void test_clamp(void)
{
	uint8_t p[200], q[200];
	size_t len;

	/* a Linux SYN: MSS 1460, SACK-permitted, timestamps, NOP, window scale */
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	CHECK("v4 SYN: the test packet verifies", tcp_ok(p, len));
	CHECK("mss_syn: a v4 SYN", mss_syn(p, len));
	memcpy(q, p, len);
	CHECK("v4 SYN 1460 clamped to 1260", mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED &&
	      mss_at(p, 22) == 1260);
	CHECK("v4 SYN: checksum verifies after the update", tcp_ok(p, len));
	uint8_t r[200];
	memcpy(r, p, len);
	tcp_fill(r, len);
	CHECK("v4 SYN: checksum equals a full recomputation", memcmp(r, p, len) == 0);
	CHECK("v4 SYN: nothing but the MSS and the checksum changed",
	      memcmp(p, q, 36) == 0 && memcmp(p + 38, q + 38, 4) == 0 &&
	      memcmp(p + 44, q + 44, len - 44) == 0);
	CHECK("v4 SYN: clamped again: already small enough", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	CHECK("v4 SYN 1460 under a limit of 1500: never raised",
	      untouched(p, len, 1500, 1500, MSS_PASS));
	CHECK("v4 limit 0: that family is not clamped", untouched(p, len, 0, 1240, MSS_PASS));

	/* SYN-ACK, from the LAN towards a client */
	len = build(p, true, 0x12, LINUX_OPTS, 20, 0);
	CHECK("v4 SYN-ACK clamped", mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED &&
	      mss_at(p, 22) == 1260 && tcp_ok(p, len));

	/* the MSS value at an odd offset (a NOP before it): summed byte-swapped */
	static const uint8_t odd[] = { 1, 2, 4, 0x05, 0xb4, 1, 1, 0 };
	len = build(p, true, 0x02, odd, 8, 0);
	CHECK("v4 SYN, MSS at an odd offset: clamped, checksum verifies",
	      mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED && mss_at(p, 23) == 1260 &&
	      tcp_ok(p, len));
	/* every value against every parity, including the ones' complement
	 * corner cases (0x0000, 0xffff, 0x8000 sums) */
	static const uint16_t vals[] = { 0xffff, 0xff00, 0x8000, 0x5b4, 0x1001, 0x0100, 537 };
	static const uint16_t lims[] = { 536, 0x0100, 1260, 0x7fff, 0xfffe, 0x0001 };
	int bad = 0, runs = 0;
	for (int par = 0; par < 2; par++)
		for (size_t v = 0; v < sizeof(vals) / sizeof(vals[0]); v++)
			for (size_t k = 0; k < sizeof(lims) / sizeof(lims[0]); k++)
				for (int d = 0; d < 3; d++) {
					uint8_t o[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
					size_t at = (size_t)par;
					o[at] = 2, o[at + 1] = 4;
					o[at + 2] = (uint8_t)(vals[v] >> 8);
					o[at + 3] = (uint8_t)vals[v];
					len = build(p, d != 1, 0x02, o, 8, (size_t)d * 3);
					enum mss_result res = mss_clamp(p, len, lims[k], lims[k]);
					uint16_t got = mss_at(p, 20 + at + 2);
					bool want = vals[v] > lims[k];
					memcpy(r, p, len);
					tcp_fill(r, len);
					if (res != (want ? MSS_CLAMPED : MSS_PASS) ||
					    got != (want ? lims[k] : vals[v]) || !tcp_ok(p, len) ||
					    csum_fold(csum_add(0, r + ihl_of(r) + 16, 2)) % 0xffff !=
					    csum_fold(csum_add(0, p + ihl_of(p) + 16, 2)) % 0xffff)
						bad++;
					runs++;
				}
	printf("# %d clamps of values at both parities, v4 and v6, even and odd lengths\n", runs);
	CHECK("every value and parity: clamped exactly, checksum verifies and equals a "
	      "recomputation (+0/-0 aside)", bad == 0);

	/* a checksum that was wrong stays wrong */
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	p[37] ^= 0x40;
	CHECK("a wrong checksum stays wrong", mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED &&
	      !tcp_ok(p, len));

	/* two MSS options: both clamped */
	static const uint8_t two[] = { 2, 4, 0x05, 0xb4, 2, 4, 0x23, 0x28 };
	len = build(p, true, 0x02, two, 8, 0);
	CHECK("two MSS options: both clamped", mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED &&
	      mss_at(p, 22) == 1260 && mss_at(p, 26) == 1260 && tcp_ok(p, len));

	/* IPv6 */
	len = build(p, false, 0x02, LINUX_OPTS, 20, 0);
	CHECK("mss_syn: a v6 SYN", mss_syn(p, len));
	CHECK("v6 SYN 1460 clamped to 1240", mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED &&
	      mss_at(p, 22) == 1240 && tcp_ok(p, len));
	memcpy(r, p, len);
	tcp_fill(r, len);
	CHECK("v6 SYN: checksum equals a full recomputation", memcmp(r, p, len) == 0);
	len = build(p, false, 0x12, LINUX_OPTS, 20, 0);
	CHECK("v6 SYN-ACK clamped", mss_clamp(p, len, 1260, 1240) == MSS_CLAMPED &&
	      mss_at(p, 22) == 1240 && tcp_ok(p, len));
	len = build(p, false, 0x02, LINUX_OPTS, 20, 0);
	CHECK("v6 limit 0: not clamped", untouched(p, len, 1260, 0, MSS_PASS));
	p[6] = 0;       /* a hop-by-hop header first: not walked */
	CHECK("v6 with an extension header: left alone", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, false, 0x02, LINUX_OPTS, 20, 0);
	p[5] += 4;      /* payload length past the buffer */
	CHECK("v6 payload length past the buffer: left alone",
	      untouched(p, len, 1260, 1240, MSS_PASS));

	/* what is no SYN, or no SYN we clamp */
	static const uint8_t nomss[] = { 1, 1, 4, 2, 1, 3, 3, 7 };
	len = build(p, true, 0x02, nomss, 8, 0);
	CHECK("SYN without an MSS option: left alone", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x10, LINUX_OPTS, 20, 100);
	CHECK("mss_syn: a data segment is not one", !mss_syn(p, len));
	CHECK("an ACK with an MSS option: left alone", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x06, LINUX_OPTS, 20, 0);
	CHECK("SYN+RST: left alone", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	p[6] |= 0x20;   /* MF: a first fragment */
	CHECK("a v4 fragment: left alone", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	p[3] += 1;      /* total length past the buffer */
	CHECK("v4 total length past the buffer: left alone",
	      untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	p[9] = 17;
	CHECK("UDP: left alone", untouched(p, len, 1260, 1240, MSS_PASS));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	CHECK("a runt: left alone", untouched(p, 30, 1260, 1240, MSS_PASS) &&
	      untouched(p, 10, 1260, 1240, MSS_PASS) && !mss_syn(p, 30));
	/* MSS bytes after EOL are no option */
	static const uint8_t eol[] = { 0, 2, 4, 0x05, 0xb4, 0, 0, 0 };
	len = build(p, true, 0x02, eol, 8, 0);
	CHECK("MSS after EOL: not an option, left alone", untouched(p, len, 1260, 1240, MSS_PASS));

	/* malformed: the whole packet left alone */
	static const uint8_t trunc[] = { 1, 1, 1, 1, 1, 1, 2, 4 };     /* value cut off */
	len = build(p, true, 0x02, trunc, 8, 0);
	CHECK("MSS option cut off by the data offset: left alone",
	      untouched(p, len, 1260, 1240, MSS_BAD));
	static const uint8_t half[] = { 1, 1, 1, 1, 1, 1, 1, 2 };      /* kind, no length */
	len = build(p, true, 0x02, half, 8, 0);
	CHECK("an option without its length byte: left alone",
	      untouched(p, len, 1260, 1240, MSS_BAD));
	static const uint8_t zero[] = { 2, 4, 0x05, 0xb4, 8, 0, 1, 1 };
	len = build(p, true, 0x02, zero, 8, 0);
	CHECK("an option of length 0 after the MSS: left alone",
	      untouched(p, len, 1260, 1240, MSS_BAD));
	static const uint8_t three[] = { 2, 3, 0x05, 1, 1, 1, 1, 1 };
	len = build(p, true, 0x02, three, 8, 0);
	CHECK("an MSS option of length 3: left alone", untouched(p, len, 1260, 1240, MSS_BAD));
	static const uint8_t six[] = { 2, 6, 0x05, 0xb4, 0, 0, 1, 1 };
	len = build(p, true, 0x02, six, 8, 0);
	CHECK("an MSS option of length 6: left alone", untouched(p, len, 1260, 1240, MSS_BAD));
	static const uint8_t over[] = { 2, 4, 0x05, 0xb4, 8, 10, 1, 1 };
	len = build(p, true, 0x02, over, 8, 0);
	CHECK("an option running past the header: left alone",
	      untouched(p, len, 1260, 1240, MSS_BAD));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	p[32] = 0xf0;   /* a data offset of 60 bytes in a 40-byte segment */
	CHECK("a data offset past the packet: left alone", untouched(p, len, 1260, 1240, MSS_BAD));
	len = build(p, true, 0x02, LINUX_OPTS, 20, 0);
	p[32] = 0x40;   /* a data offset of 16 */
	CHECK("a data offset below 20: left alone", untouched(p, len, 1260, 1240, MSS_BAD));
}

static void test_limits(void)
{
	uint16_t a, b;
	mss_limits(1300, CONF_MSSFIX_AUTO, &a, &b);
	CHECK("limits: mtu 1300, yes: 1260 / 1240", a == 1260 && b == 1240);
	mss_limits(1390, CONF_MSSFIX_AUTO, &a, &b);
	CHECK("limits: the default mtu 1390: 1350 / 1330", a == 1350 && b == 1330);
	mss_limits(1300, 0, &a, &b);
	CHECK("limits: no: none", a == 0 && b == 0);
	mss_limits(1300, 1200, &a, &b);
	CHECK("limits: N=1200: 1200 / 1180 (the same packet size)", a == 1200 && b == 1180);
	mss_limits(1300, 1400, &a, &b);
	CHECK("limits: N above what the MTU fits: the MTU's", a == 1260 && b == 1240);
	mss_limits(576, CONF_MSSFIX_AUTO, &a, &b);
	CHECK("limits: mtu 576: 536 for IPv4", a == 536);
}

/* ---- through the data plane ---- */

#define SPI_IN 0x00c0ffeeu
#define SPI_OUT 0x00beef01u

static void sin4(struct sockaddr_storage *ss, socklen_t *len, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	*len = sizeof(*s);
}

static uint16_t port_of(int fd)
{
	struct sockaddr_in a;
	socklen_t l = sizeof(a);
	getsockname(fd, (struct sockaddr *)&a, &l);
	return ntohs(a.sin_port);
}

static int udp_lo(void)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK, 0);
	struct sockaddr_storage a;
	socklen_t l;
	sin4(&a, &l, "127.0.0.1", 0);
	if (fd >= 0 && bind(fd, (struct sockaddr *)&a, l) != 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* routed: an SA without virtual IP (cygnet as a client, a site), found by
 * its selectors */
static void test_dp(bool routed)
{
	int sp[2], tx = udp_lo(), rx = udp_lo();
	CHECK("dp: a TUN stand-in and two loopback sockets",
	      socketpair(AF_UNIX, SOCK_SEQPACKET | SOCK_NONBLOCK, 0, sp) == 0 && tx >= 0 && rx >= 0);
	struct event_base *b = event_base_new();
	struct dp_params dpp = { .base = b, .tun_fd = sp[0], .n_socks = 1, .sock_fd = { tx },
	                         .sock_family = { AF_INET }, .mss4 = 1260, .mss6 = 1240 };
	struct dp *dp = dp_new(&dpp, NULL, 0);
	uint8_t ek[20];
	memset(ek, 0x11, sizeof(ek));
	struct dp_sa_params p;
	memset(&p, 0, sizeof(p));
	p.spi_in = SPI_IN;
	p.spi_out = SPI_OUT;
	p.encr = ENCR_AES_GCM_16;
	p.keybits = 128;
	memcpy(p.ekey_in, ek, 20);
	memcpy(p.ekey_out, ek, 20);
	for (int i = 0; i < 2; i++) {
		struct esp_ts *t = i ? &p.ts_remote[0] : &p.ts_local[0];
		t->family = AF_INET;
		t->eport = 0xffff;
		memset(t->end, 0xff, 4);
	}
	p.n_ts_local = p.n_ts_remote = 1;
	p.has_vip4 = !routed;
	inet_pton(AF_INET, "198.19.0.9", p.vip4);
	sin4(&p.ep.peer, &p.ep.peer_len, "127.0.0.1", port_of(rx));
	sin4(&p.ep.local, &p.ep.local_len, "127.0.0.1", port_of(tx));
	printf("# %s SA\n", routed ? "a routed" : "a road warrior's");
	CHECK("dp: SA added", dp && dp_sa_add(dp, &p) == 0);
	dp_sa_params_wipe(&p);
	/* the client's side of the SA */
	struct esp_sa *peer = esp_sa_new(SPI_OUT, SPI_IN, ENCR_AES_GCM_16, 128, AUTH_NONE, ek,
	                                 NULL, ek, NULL);
	struct esp_ts any = { .family = AF_INET, .eport = 0xffff };
	memset(any.end, 0xff, 4);
	if (!dp || !peer || esp_sa_set_ts(peer, &any, 1, &any, 1) != 0)
		return;

	/* a SYN-ACK from the LAN to the client, read from TUN: it leaves
	 * clamped inside the ESP */
	uint8_t ip[200], buf[512];
	size_t len = build(ip, true, 0x12, LINUX_OPTS, 20, 0);
	memcpy(ip + 12, "\xc6\x12\x02\x02", 4);         /* 198.18.2.2 -> the client */
	memcpy(ip + 16, "\xc6\x13\x00\x09", 4);
	ip[10] = ip[11] = 0;
	uint16_t c = (uint16_t)~csum_fold(csum_add(0, ip, 20));
	ip[10] = (uint8_t)(c >> 8), ip[11] = (uint8_t)c;
	tcp_fill(ip, len);
	CHECK("dp: SYN-ACK written to TUN", write(sp[1], ip, len) == (ssize_t)len);
	event_base_loop(b, EVLOOP_NONBLOCK);
	ssize_t n = recv(rx, buf, sizeof(buf), 0);
	uint8_t *inner = NULL;
	size_t innerlen = 0;
	CHECK("dp: SYN-ACK sent as ESP, clamped to 1260, checksum verifies",
	      n > 0 && esp_decap(peer, buf, (size_t)n, &inner, &innerlen, 1) == 1 &&
	      innerlen == len && mss_at(inner, 22) == 1260 && tcp_ok(inner, innerlen));

	/* the client's SYN, as ESP: written to TUN clamped */
	len = build(ip, true, 0x02, LINUX_OPTS, 20, 0);
	long e = esp_encap(peer, ip, len, buf, sizeof(buf));
	struct sockaddr_storage from;
	socklen_t fromlen;
	sin4(&from, &fromlen, "127.0.0.1", port_of(rx));
	dp_esp_input(dp, buf, (size_t)e, (struct sockaddr *)&from, fromlen);
	dp_esp_flush(dp);
	n = read(sp[1], ip, sizeof(ip));
	CHECK("dp: client's SYN to TUN, clamped to 1260, checksum verifies",
	      n == (ssize_t)len && mss_at(ip, 22) == 1260 && tcp_ok(ip, (size_t)n));
	struct dp_loop_stats ls;
	CHECK("dp: two SYNs counted as clamped", dp_loop_stats(dp, 0, &ls) == 0 &&
	      ls.mss_clamped == 2);

	/* mssfix=no by a reload: the next SYN passes as it is */
	dp_set_mss(dp, 0, 0);
	len = build(ip, true, 0x02, LINUX_OPTS, 20, 0);
	e = esp_encap(peer, ip, len, buf, sizeof(buf));
	dp_esp_input(dp, buf, (size_t)e, (struct sockaddr *)&from, fromlen);
	dp_esp_flush(dp);
	n = read(sp[1], ip, sizeof(ip));
	CHECK("dp: clamping off: SYN passes with MSS 1460", n == (ssize_t)len &&
	      mss_at(ip, 22) == 1460 && dp_loop_stats(dp, 0, &ls) == 0 && ls.mss_clamped == 2);
	esp_sa_free(peer);
	dp_free(dp);
	event_base_free(b);
	close(sp[0]);
	close(sp[1]);
	close(tx);
	close(rx);
}

/* ---- config setup ---- */

static char err[512];

static bool fails(const char *text, const char *want)
{
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", text, err, sizeof(err));
	if (c) {
		ipsec_conf_free(c);
		printf("# parsed: %s\n", text);
		return false;
	}
	if (strcmp(err, want) != 0) {
		printf("# got  '%s'\n# want '%s'\n", err, want);
		return false;
	}
	return true;
}

#define CONN4 "conn rw\n    rightsourceip=198.19.0.0/24\n    auto=add\n"
#define CONN6 "conn rw\n    rightsourceip=198.19.0.0/24,2001:db8:ffff::/112\n    auto=add\n"

static void test_conf(void)
{
	struct ipsec_conf *c = ipsec_conf_parse("x.conf", "config setup\n" CONN6, err, sizeof(err));
	CHECK("conf: defaults mtu=1390 mssfix=yes", c && c->mtu == CONF_MTU_DEFAULT &&
	      c->mtu == 1390 && c->mssfix == CONF_MSSFIX_AUTO);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    mtu=1300\n    mssfix=no\n" CONN6, err,
	                     sizeof(err));
	CHECK("conf: mtu=1300 mssfix=no", c && c->mtu == 1300 && c->mssfix == 0);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    mtu=1300\n    mssfix=yes\n" CONN6, err,
	                     sizeof(err));
	CHECK("conf: mssfix=yes", c && c->mssfix == CONF_MSSFIX_AUTO);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    mssfix=1260\n    mtu=1300\n" CONN6, err,
	                     sizeof(err));
	CHECK("conf: mssfix=1260 with mtu=1300 (order does not matter)", c && c->mssfix == 1260);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    mtu=1000\n" CONN4, err, sizeof(err));
	CHECK("conf: mtu=1000 with IPv4 pools only", c && c->mtu == 1000);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("x.conf", "config setup\n    mtu=\n    mssfix=\n" CONN4, err,
	                     sizeof(err));
	CHECK("conf: mtu= and mssfix= empty: the defaults", c && c->mtu == CONF_MTU_DEFAULT &&
	      c->mssfix == CONF_MSSFIX_AUTO);
	ipsec_conf_free(c);
	CHECK("conf: mtu=575 refused", fails("config setup\n    mtu=575\n" CONN4,
	      "x.conf:2: mtu: expected the TUN device's MTU in bytes, from 576 to 9000 (default 1390)"));
	CHECK("conf: mtu=9001 refused", fails("config setup\n    mtu=9001\n" CONN4,
	      "x.conf:2: mtu: expected the TUN device's MTU in bytes, from 576 to 9000 (default 1390)"));
	CHECK("conf: mtu=1400x refused", fails("config setup\n    mtu=1400x\n" CONN4,
	      "x.conf:2: mtu: expected the TUN device's MTU in bytes, from 576 to 9000 (default 1390)"));
	CHECK("conf: mtu=1279 with an IPv6 pool refused at the mtu line",
	      fails("config setup\n    mtu=1279\n\n" CONN6,
	            "x.conf:2: mtu: 1279 is below 1280, the least IPv6 allows (RFC 8200), but "
	            "conn 'rw' carries IPv6 (an IPv6 pool, virtual IP or rightsubnet)"));
	CHECK("conf: mtu=1200 with a client asking for an IPv6 address refused",
	      fails("config setup\n    mtu=1200\nconn c\n    right=198.18.1.1\n"
	            "    leftsourceip=%config6\n    auto=add\n",
	            "x.conf:2: mtu: 1200 is below 1280, the least IPv6 allows (RFC 8200), but "
	            "conn 'c' carries IPv6 (an IPv6 pool, virtual IP or rightsubnet)"));
	CHECK("conf: mssfix=maybe refused", fails("config setup\n    mssfix=maybe\n" CONN4,
	      "x.conf:2: mssfix: expected yes, no, or the largest MSS to let through, from 536 "
	      "to 8960"));
	CHECK("conf: mssfix=535 refused", fails("config setup\n    mssfix=535\n" CONN4,
	      "x.conf:2: mssfix: expected yes, no, or the largest MSS to let through, from 536 "
	      "to 8960"));
	CHECK("conf: mssfix above mtu - 40 refused at the mssfix line",
	      fails("config setup\n    mssfix=1261\n    mtu=1300\n" CONN4,
	            "x.conf:2: mssfix: 1261 does not fit the TUN MTU (mtu=1300 leaves 1260 for a "
	            "TCP segment over IPv4): lower it, or write mssfix=yes"));
	CHECK("conf: mssfix above the default mtu's refused",
	      fails("config setup\n    mssfix=1400\n" CONN4,
	            "x.conf:2: mssfix: 1400 does not fit the TUN MTU (mtu=1390 leaves 1350 for a "
	            "TCP segment over IPv4): lower it, or write mssfix=yes"));
	CHECK("conf: mtu in a conn refused", fails("config setup\nconn rw\n    mtu=1300\n",
	      "x.conf:3: keyword 'mtu' belongs in 'config setup'"));
}

int main(void)
{
	test_clamp();
	test_limits();
	test_dp(false);
	test_dp(true);
	test_conf();
	CHECK_DONE();
}
