/* Traffic selectors in the ESP data path (src/esp_ts.c): inbound and
 * outbound hits and misses by address, protocol and port, ICMP type/code,
 * fragments, IPv6 extension headers, and through esp_decap and
 * esp_table_out with their drop counters. */
#include "tests/unit/check.h"

#include <arpa/inet.h>

#include "crypto/algs.h"
#include "src/dp/esp.h"

/* the client's virtual IPs, the server's LAN (leftsubnet) and a host
 * outside it */
static uint8_t VIP4[4], LAN4_HOST[4], OUT4[4];
static uint8_t VIP6[16], LAN6_HOST[16], OUT6[16];

static struct esp_ts ts4(const char *start, const char *end, uint8_t proto, uint16_t sp,
                         uint16_t ep)
{
	struct esp_ts t;
	memset(&t, 0, sizeof(t));
	t.family = AF_INET;
	t.proto = proto;
	t.sport = sp;
	t.eport = ep;
	inet_pton(AF_INET, start, t.start);
	inet_pton(AF_INET, end, t.end);
	return t;
}

static struct esp_ts ts6(const char *start, const char *end, uint8_t proto, uint16_t sp,
                         uint16_t ep)
{
	struct esp_ts t;
	memset(&t, 0, sizeof(t));
	t.family = AF_INET6;
	t.proto = proto;
	t.sport = sp;
	t.eport = ep;
	inet_pton(AF_INET6, start, t.start);
	inet_pton(AF_INET6, end, t.end);
	return t;
}

/* IPv4 packet: proto, 8 bytes of transport header with ports (or ICMP
 * type, code), frag = the flags/offset field */
static size_t pkt4(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t proto,
                   uint16_t sport, uint16_t dport, uint16_t frag, size_t l4len)
{
	size_t tot = 20 + l4len;
	memset(p, 0, tot);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[6] = (uint8_t)(frag >> 8);
	p[7] = (uint8_t)frag;
	p[8] = 64;
	p[9] = proto;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	if (l4len >= 4) {
		p[20] = (uint8_t)(sport >> 8);
		p[21] = (uint8_t)sport;
		p[22] = (uint8_t)(dport >> 8);
		p[23] = (uint8_t)dport;
	}
	return tot;
}

/* IPv6 packet with the extension headers in ext (already chained: the
 * first byte of each is its next header), first = the type of the first */
static size_t pkt6(uint8_t *p, const uint8_t *src, const uint8_t *dst, uint8_t first,
                   const uint8_t *ext, size_t extlen, uint16_t sport, uint16_t dport,
                   size_t l4len)
{
	size_t plen = extlen + l4len;
	memset(p, 0, 40 + plen);
	p[0] = 0x60;
	p[4] = (uint8_t)(plen >> 8);
	p[5] = (uint8_t)plen;
	p[6] = first;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	if (extlen)
		memcpy(p + 40, ext, extlen);
	uint8_t *l4 = p + 40 + extlen;
	if (l4len >= 4) {
		l4[0] = (uint8_t)(sport >> 8);
		l4[1] = (uint8_t)sport;
		l4[2] = (uint8_t)(dport >> 8);
		l4[3] = (uint8_t)dport;
	}
	return 40 + plen;
}

/* the server's SA of a client with leftsubnet=198.18.2.0/24,2001:db8:2::/64:
 * remote = the VIPs, local = the subnets */
static void server_sa(struct esp_sa *sa)
{
	struct esp_ts local[2] = {
		ts4("198.18.2.0", "198.18.2.255", 0, 0, 0xffff),
		ts6("2001:db8:2::", "2001:db8:2::ffff:ffff:ffff:ffff", 0, 0, 0xffff),
	};
	struct esp_ts remote[2] = {
		ts4("198.18.50.7", "198.18.50.7", 0, 0, 0xffff),
		ts6("2001:db8:50::7", "2001:db8:50::7", 0, 0, 0xffff),
	};
	CHECK("ts set", esp_sa_set_ts(sa, local, 2, remote, 2) == 0);
}

static void test_addresses(void)
{
	static struct esp_sa sa;
	uint8_t p[200];
	server_sa(&sa);
	CHECK("ts in v4 VIP -> LAN allowed",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 1000, 53, 0, 8), true));
	CHECK("ts in v4 VIP -> outside refused",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, OUT4, 17, 1000, 53, 0, 8), true));
	CHECK("ts in v4 outside source refused",
	      !esp_ts_allows(&sa, p, pkt4(p, OUT4, LAN4_HOST, 17, 1000, 53, 0, 8), true));
	CHECK("ts out v4 LAN -> VIP allowed",
	      esp_ts_allows(&sa, p, pkt4(p, LAN4_HOST, VIP4, 6, 80, 5555, 0, 20), false));
	CHECK("ts out v4 outside -> VIP refused",
	      !esp_ts_allows(&sa, p, pkt4(p, OUT4, VIP4, 6, 80, 5555, 0, 20), false));
	CHECK("ts out v4 wrong direction refused",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 6, 80, 5555, 0, 20), false));
	uint8_t end[4] = { 198, 18, 2, 255 }, past[4] = { 198, 18, 3, 0 };
	CHECK("ts range end inclusive",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, end, 17, 1, 2, 0, 8), true));
	CHECK("ts range end + 1 refused",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, past, 17, 1, 2, 0, 8), true));
	CHECK("ts in v6 VIP -> LAN allowed",
	      esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 17, NULL, 0, 1, 2, 8), true));
	CHECK("ts in v6 VIP -> outside refused",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, OUT6, 17, NULL, 0, 1, 2, 8), true));
	CHECK("ts out v6 outside -> VIP refused",
	      !esp_ts_allows(&sa, p, pkt6(p, OUT6, VIP6, 17, NULL, 0, 1, 2, 8), false));
	CHECK("ts out v6 LAN -> VIP allowed",
	      esp_ts_allows(&sa, p, pkt6(p, LAN6_HOST, VIP6, 17, NULL, 0, 1, 2, 8), false));
	/* a v6 range inside one /64 (equal high halves) and across two */
	struct esp_ts narrow6 = ts6("2001:db8:2::10", "2001:db8:2::20", 0, 0, 0xffff);
	struct esp_ts across6 = ts6("2001:db8:2::ffff:0:0:5", "2001:db8:3::4", 0, 0, 0xffff);
	struct esp_ts vip6 = ts6("2001:db8:50::7", "2001:db8:50::7", 0, 0, 0xffff);
	static struct esp_sa sa6;
	static const struct { const char *addr; bool narrow, across; } v6cases[] = {
		{ "2001:db8:2::f", false, false }, { "2001:db8:2::10", true, false },
		{ "2001:db8:2::20", true, false }, { "2001:db8:2::21", false, false },
		{ "2001:db8:2::ffff:0:0:4", false, false }, { "2001:db8:2::ffff:0:0:5", false, true },
		{ "2001:db8:2:0:ffff:ffff:ffff:ffff", false, true }, { "2001:db8:3::4", false, true },
		{ "2001:db8:3::5", false, false }, { "2001:db8:1::10", false, false },
	};
	bool all6 = true;
	for (size_t i = 0; i < sizeof(v6cases) / sizeof(v6cases[0]); i++) {
		uint8_t a[16];
		inet_pton(AF_INET6, v6cases[i].addr, a);
		size_t n = pkt6(p, VIP6, a, 17, NULL, 0, 1, 2, 8);
		esp_sa_set_ts(&sa6, &narrow6, 1, &vip6, 1);
		if (esp_ts_allows(&sa6, p, n, true) != v6cases[i].narrow)
			all6 = false;
		esp_sa_set_ts(&sa6, &across6, 1, &vip6, 1);
		if (esp_ts_allows(&sa6, p, n, true) != v6cases[i].across)
			all6 = false;
	}
	CHECK("ts v6 range bounds, within and across a /64", all6);
	/* families do not mix, and an SA without selectors passes nothing */
	struct esp_ts only4 = ts4("0.0.0.0", "255.255.255.255", 0, 0, 0xffff);
	static struct esp_sa sa4;
	esp_sa_set_ts(&sa4, &only4, 1, &only4, 1);
	CHECK("ts v6 packet on v4-only selectors refused",
	      !esp_ts_allows(&sa4, p, pkt6(p, VIP6, LAN6_HOST, 17, NULL, 0, 1, 2, 8), true));
	static struct esp_sa none;
	CHECK("ts no selectors refuses",
	      !esp_ts_allows(&none, p, pkt4(p, VIP4, LAN4_HOST, 17, 1, 2, 0, 8), true));
	CHECK("ts malformed header refused", !esp_ts_allows(&sa, p, 10, true));
	struct esp_ts bad = only4;
	bad.family = 99;
	CHECK("ts set rejects a bad family", esp_sa_set_ts(&sa4, &bad, 1, &only4, 1) == -1);
	CHECK("ts set rejects too many", esp_sa_set_ts(&sa4, &only4, ESP_MAX_TS + 1, &only4, 1) == -1);
}

static void test_ports(void)
{
	static struct esp_sa sa;
	uint8_t p[200];
	/* the client may reach the LAN's DNS (udp/53) and web (tcp/80-443) */
	struct esp_ts local[2] = {
		ts4("198.18.2.0", "198.18.2.255", 17, 53, 53),
		ts4("198.18.2.0", "198.18.2.255", 6, 80, 443),
	};
	struct esp_ts remote = ts4("198.18.50.7", "198.18.50.7", 0, 0, 0xffff);
	esp_sa_set_ts(&sa, local, 2, &remote, 1);
	CHECK("ts port udp/53 in allowed",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 40000, 53, 0, 8), true));
	CHECK("ts port udp/54 in refused",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 40000, 54, 0, 8), true));
	CHECK("ts port tcp/443 in allowed",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 6, 40000, 443, 0, 20), true));
	CHECK("ts port tcp/53 in refused (protocol)",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 6, 40000, 53, 0, 20), true));
	CHECK("ts port udp answer from 53 out allowed",
	      esp_ts_allows(&sa, p, pkt4(p, LAN4_HOST, VIP4, 17, 53, 40000, 0, 8), false));
	CHECK("ts port udp from 5353 out refused",
	      !esp_ts_allows(&sa, p, pkt4(p, LAN4_HOST, VIP4, 17, 5353, 40000, 0, 8), false));
	CHECK("ts port sctp refused by udp/tcp selectors",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 132, 40000, 53, 0, 12), true));
	/* fragments: the first has ports, the others are opaque */
	CHECK("ts port first fragment (MF) checked and allowed",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 40000, 53, 0x2000, 8), true));
	CHECK("ts port non-first fragment refused by a port range",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 40000, 53, 0x0010, 8), true));
	CHECK("ts port truncated udp header refused by a port range",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 0, 0, 0, 2), true));
	struct esp_ts any = ts4("198.18.2.0", "198.18.2.255", 0, 0, 0xffff);
	esp_sa_set_ts(&sa, &any, 1, &remote, 1);
	CHECK("ts port non-first fragment allowed by port ANY",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 0, 0, 0x0010, 8), true));
	/* UDP-Lite and SCTP have ports too */
	struct esp_ts lite = ts4("198.18.2.0", "198.18.2.255", 136, 5000, 5000);
	esp_sa_set_ts(&sa, &lite, 1, &remote, 1);
	CHECK("ts port udplite/5000 allowed",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 136, 1, 5000, 0, 8), true));
	CHECK("ts port udplite/5001 refused",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 136, 1, 5001, 0, 8), true));
}

static void test_icmp(void)
{
	static struct esp_sa sa;
	uint8_t p[200];
	/* the client may send echo requests only (type 8, any code:
	 * 0x0800-0x08ff in its own selector); the LAN side takes ICMP */
	struct esp_ts remote = ts4("198.18.50.7", "198.18.50.7", 1, 0x0800, 0x08ff);
	struct esp_ts local = ts4("198.18.2.0", "198.18.2.255", 1, 0, 0xffff);
	esp_sa_set_ts(&sa, &local, 1, &remote, 1);
	/* pkt4 puts sport in the first two bytes: type, code */
	CHECK("ts icmp echo request in allowed",
	      esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 1, 0x0800, 0, 0, 8), true));
	CHECK("ts icmp timestamp request in refused",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 1, 0x0d00, 0, 0, 8), true));
	CHECK("ts icmp echo reply out allowed (sender's selector is full)",
	      esp_ts_allows(&sa, p, pkt4(p, LAN4_HOST, VIP4, 1, 0x0000, 0, 0, 8), false));
	CHECK("ts icmp udp refused by icmp selectors",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 17, 0x0800, 0, 0, 8), true));
	/* a protocol-any selector with a narrower port range: ICMP is opaque */
	struct esp_ts ports = ts4("198.18.2.0", "198.18.2.255", 0, 80, 80);
	struct esp_ts vip_any = ts4("198.18.50.7", "198.18.50.7", 0, 0, 0xffff);
	esp_sa_set_ts(&sa, &ports, 1, &vip_any, 1);
	CHECK("ts icmp refused by proto-any port-80 selector",
	      !esp_ts_allows(&sa, p, pkt4(p, VIP4, LAN4_HOST, 1, 0x0800, 0, 0, 8), true));
	/* ICMPv6 echo request (128) */
	struct esp_ts r6 = ts6("2001:db8:50::7", "2001:db8:50::7", 58, 0x8000, 0x80ff);
	struct esp_ts l6 = ts6("2001:db8:2::", "2001:db8:2::ffff", 58, 0, 0xffff);
	esp_sa_set_ts(&sa, &l6, 1, &r6, 1);
	CHECK("ts icmpv6 echo request in allowed",
	      esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 58, NULL, 0, 0x8000, 0, 8), true));
	CHECK("ts icmpv6 neighbour solicitation in refused",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 58, NULL, 0, 0x8700, 0, 8), true));
	CHECK("ts icmp number 1 in IPv6 is not ICMPv6",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 1, NULL, 0, 0x8000, 0, 8), true));
}

static void test_ipv6_ext(void)
{
	static struct esp_sa sa;
	uint8_t p[400];
	struct esp_ts local = ts6("2001:db8:2::", "2001:db8:2::ffff:ffff:ffff:ffff", 17, 53, 53);
	struct esp_ts remote = ts6("2001:db8:50::7", "2001:db8:50::7", 0, 0, 0xffff);
	esp_sa_set_ts(&sa, &local, 1, &remote, 1);
	/* hop-by-hop (8 bytes) -> destination options (16 bytes) -> UDP */
	uint8_t ext[64];
	memset(ext, 0, sizeof(ext));
	ext[0] = 60; ext[1] = 0;
	ext[8] = 17; ext[9] = 1;
	CHECK("ts v6 ext: hop-by-hop + dstopts -> udp/53 allowed",
	      esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 0, ext, 24, 1, 53, 8), true));
	CHECK("ts v6 ext: hop-by-hop + dstopts -> udp/54 refused",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 0, ext, 24, 1, 54, 8), true));
	/* first fragment (offset 0, M=1) -> UDP: ports read */
	memset(ext, 0, sizeof(ext));
	ext[0] = 17; ext[3] = 1;
	CHECK("ts v6 first fragment udp/53 allowed",
	      esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 44, ext, 8, 1, 53, 8), true));
	/* non-first fragment: opaque ports */
	ext[2] = 0; ext[3] = 0x18 | 1;
	CHECK("ts v6 non-first fragment refused by a port range",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 44, ext, 8, 1, 53, 8), true));
	struct esp_ts any = ts6("2001:db8:2::", "2001:db8:2::ffff:ffff:ffff:ffff", 17, 0, 0xffff);
	esp_sa_set_ts(&sa, &any, 1, &remote, 1);
	CHECK("ts v6 non-first fragment allowed by port ANY, protocol from the header",
	      esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 44, ext, 8, 1, 53, 8), true));
	/* AH (length in 4-byte units minus 2): 12 bytes -> UDP */
	memset(ext, 0, sizeof(ext));
	ext[0] = 17; ext[1] = 1;
	CHECK("ts v6 AH -> udp allowed",
	      esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 51, ext, 12, 1, 53, 8), true));
	/* a chain longer than the bound, and one that runs past the end */
	memset(ext, 0, sizeof(ext));
	for (int i = 0; i < 8; i++)
		ext[8 * i] = 60;
	CHECK("ts v6 too many extension headers refused",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 60, ext, 64, 1, 53, 8), true));
	memset(ext, 0, sizeof(ext));
	ext[0] = 17; ext[1] = 200;
	CHECK("ts v6 extension header past the end refused",
	      !esp_ts_allows(&sa, p, pkt6(p, VIP6, LAN6_HOST, 60, ext, 8, 1, 53, 8), true));
}

/* through esp_decap and esp_table_out, with the counters */
static void test_data_path(void)
{
	uint8_t ek[32], ak[32];
	for (int i = 0; i < 32; i++) {
		ek[i] = (uint8_t)i;
		ak[i] = (uint8_t)(0x40 + i);
	}
	struct esp_sa *cl = esp_sa_new(1000, 2000, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, ek, ak,
	                               ek, ak);
	struct esp_sa *sv = esp_sa_new(2000, 1000, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, ek, ak,
	                               ek, ak);
	struct esp_table *t = esp_table_new();
	if (!cl || !sv || !t) {
		CHECK("ts data path setup", 0);
		goto out;
	}
	server_sa(sv);
	sv->has_vip4 = sv->has_vip6 = true;
	memcpy(sv->vip4, VIP4, 4);
	memcpy(sv->vip6, VIP6, 16);
	uint8_t ip[200], pkt[400], *inner;
	size_t ilen;
	long l = esp_encap(cl, ip, pkt4(ip, VIP4, LAN4_HOST, 17, 1, 53, 0, 8), pkt, sizeof(pkt));
	CHECK("ts decap inside delivered", esp_decap(sv, pkt, (size_t)l, &inner, &ilen, 1) == 1);
	l = esp_encap(cl, ip, pkt4(ip, VIP4, OUT4, 17, 1, 53, 0, 8), pkt, sizeof(pkt));
	CHECK("ts decap outside dropped and counted",
	      esp_decap(sv, pkt, (size_t)l, &inner, &ilen, 1) == -1 && esp_ctr(sv).drop_ts_in == 1 &&
	      esp_ctr(sv).drop_spoof == 0);
	l = esp_encap(cl, ip, pkt6(ip, VIP6, OUT6, 17, NULL, 0, 1, 53, 8), pkt, sizeof(pkt));
	CHECK("ts decap v6 outside dropped and counted",
	      esp_decap(sv, pkt, (size_t)l, &inner, &ilen, 1) == -1 && esp_ctr(sv).drop_ts_in == 2);
	/* a spoofed source stays a spoof, not a selector miss */
	l = esp_encap(cl, ip, pkt4(ip, OUT4, LAN4_HOST, 17, 1, 53, 0, 8), pkt, sizeof(pkt));
	CHECK("ts decap spoofed source counted as spoof",
	      esp_decap(sv, pkt, (size_t)l, &inner, &ilen, 1) == -1 && esp_ctr(sv).drop_spoof == 1 &&
	      esp_ctr(sv).drop_ts_in == 2);
	CHECK("ts decap counters", esp_ctr(sv).packets_in == 1);

	CHECK("ts table add", esp_table_add(t, sv) == 0);
	size_t n = pkt4(ip, LAN4_HOST, VIP4, 6, 80, 4000, 0, 20);
	CHECK("ts table_out LAN -> VIP finds the SA", esp_table_out(t, 0, ip, n) == sv);
	n = pkt4(ip, OUT4, VIP4, 6, 80, 4000, 0, 20);
	CHECK("ts table_out outside -> VIP refused and counted",
	      esp_table_out(t, 0, ip, n) == NULL && esp_ctr(sv).drop_ts_out == 1);
	n = pkt6(ip, OUT6, VIP6, 17, NULL, 0, 1, 2, 8);
	CHECK("ts table_out v6 outside -> VIP refused and counted",
	      esp_table_out(t, 0, ip, n) == NULL && esp_ctr(sv).drop_ts_out == 2);
	n = pkt4(ip, LAN4_HOST, OUT4, 6, 80, 4000, 0, 20);
	CHECK("ts table_out unknown destination: no SA, nothing counted",
	      esp_table_out(t, 0, ip, n) == NULL && esp_ctr(sv).drop_ts_out == 2);
	/* two CHILD_SAs of one client with different selectors: each
	 * packet goes to the one that allows it, not just the newest */
	struct esp_sa *sv2 = esp_sa_new(2001, 1001, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, ek,
	                                ak, ek, ak);
	if (sv2) {
		struct esp_ts l2 = ts4("198.18.4.0", "198.18.4.255", 0, 0, 0xffff);
		struct esp_ts r2 = ts4("198.18.50.7", "198.18.50.7", 0, 0, 0xffff);
		esp_sa_set_ts(sv2, &l2, 1, &r2, 1);
		sv2->has_vip4 = true;
		memcpy(sv2->vip4, VIP4, 4);
		esp_table_add(t, sv2);
		uint8_t other[4] = { 198, 18, 4, 9 };
		n = pkt4(ip, LAN4_HOST, VIP4, 6, 80, 4000, 0, 20);
		CHECK("ts table_out older SA chosen by its selectors", esp_table_out(t, 0, ip, n) == sv);
		n = pkt4(ip, other, VIP4, 6, 80, 4000, 0, 20);
		CHECK("ts table_out newer SA chosen by its selectors", esp_table_out(t, 0, ip, n) == sv2);
		esp_table_del(t, sv2);
		esp_sa_free(sv2);
	}
	esp_table_del(t, sv);
out:
	esp_table_free(t);
	esp_sa_free(cl);
	esp_sa_free(sv);
}

int main(void)
{
	inet_pton(AF_INET, "198.18.50.7", VIP4);
	inet_pton(AF_INET, "198.18.2.2", LAN4_HOST);
	inet_pton(AF_INET, "198.18.3.2", OUT4);
	inet_pton(AF_INET6, "2001:db8:50::7", VIP6);
	inet_pton(AF_INET6, "2001:db8:2::2", LAN6_HOST);
	inet_pton(AF_INET6, "2001:db8:3::2", OUT6);
	test_addresses();
	test_ports();
	test_icmp();
	test_ipv6_ext();
	test_data_path();
	CHECK_DONE();
}
