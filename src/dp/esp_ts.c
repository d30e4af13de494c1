/* Traffic selectors in the data path: what XFRM policies do for a kernel
 * IPsec stack. Each ESP SA carries its CHILD_SA's negotiated selectors
 * (RFC 7296 §2.9); an inner packet passes when its source lies in one
 * selector of the sending side and its destination in one of the
 * receiving side (the cross product of TSi and TSr, as strongSwan
 * installs one policy per pair).
 *
 * A selector matches an address in its range, a protocol equal to its own
 * (0 = any), and a port when its range is the full 0-65535 or holds the
 * packet's port of that side. Packets whose ports cannot be read:
 *  - TCP, UDP, SCTP, DCCP, UDP-Lite carry ports in their first 4 bytes.
 *  - ICMP and ICMPv6 carry type << 8 | code (RFC 7296 §3.13.1) in place of
 *    a port. This single value is checked against the port range of the
 *    sender's selector only, the way Linux XFRM keys ICMP on the source
 *    selector; the receiver's selector matches it whatever its range.
 *    A selector with protocol "any" and a narrower port range does not
 *    match ICMP.
 *  - Non-first fragments (IPv4 offset != 0, IPv6 Fragment header offset
 *    != 0), protocols without ports and truncated transport headers have
 *    OPAQUE ports (RFC 4301 §4.4.1.1): they match only selectors whose
 *    port range is full. This is RFC 4301 §7's simple choice (non-initial
 *    fragments only on SAs with port ANY) and what the Linux kernel does,
 *    whose flow for such a fragment has no ports to match a narrower range.
 *  - IPv6 extension headers (hop-by-hop, routing, destination options,
 *    fragment, AH) are walked, at most ESP_TS_MAX_EXT of them, to find the
 *    upper protocol; a chain longer than that, or one that runs past the
 *    packet, makes the packet malformed, and a malformed packet matches
 *    nothing. */
#include "src/dp/esp.h"

#include <string.h>

#define ESP_TS_MAX_EXT 8

enum port_kind {
	PORT_OPAQUE,            /* no readable port */
	PORT_L4,                /* sport, dport */
	PORT_ICMP,              /* sport = type << 8 | code */
};

struct flow {
	int family;
	const uint8_t *src, *dst;
	uint8_t proto;
	enum port_kind kind;
	uint16_t sport, dport;
};

static uint16_t be16(const uint8_t *p)
{
	return (uint16_t)(p[0] << 8 | p[1]);
}

static bool has_ports(uint8_t proto)
{
	switch (proto) {
	case 6:         /* TCP */
	case 17:        /* UDP */
	case 33:        /* DCCP */
	case 132:       /* SCTP */
	case 136:       /* UDP-Lite */
		return true;
	default:
		return false;
	}
}

/* the ports of the upper-layer header at l4 (left bytes) */
static void read_ports(struct flow *f, const uint8_t *l4, size_t left)
{
	f->kind = PORT_OPAQUE;
	if (has_ports(f->proto) && left >= 4) {
		f->kind = PORT_L4;
		f->sport = be16(l4);
		f->dport = be16(l4 + 2);
	} else if ((f->proto == 1 && f->family == AF_INET) ||
	           (f->proto == 58 && f->family == AF_INET6)) {
		if (left >= 2) {
			f->kind = PORT_ICMP;
			f->sport = be16(l4);
		}
	}
}

static bool flow_v4(const uint8_t *ip, size_t len, struct flow *f)
{
	if (len < 20 || ip[0] >> 4 != 4)
		return false;
	size_t ihl = (size_t)(ip[0] & 0x0f) * 4;
	size_t tot = be16(ip + 2);
	if (ihl < 20 || tot < ihl || ihl > len)
		return false;
	if (tot > len)
		tot = len;
	f->family = AF_INET;
	f->src = ip + 12;
	f->dst = ip + 16;
	f->proto = ip[9];
	f->kind = PORT_OPAQUE;
	if ((be16(ip + 6) & 0x1fff) == 0)       /* first fragment or whole */
		read_ports(f, ip + ihl, tot - ihl);
	return true;
}

static bool flow_v6(const uint8_t *ip, size_t len, struct flow *f)
{
	if (len < 40 || ip[0] >> 4 != 6)
		return false;
	size_t tot = 40 + (size_t)be16(ip + 4);
	if (tot > len)
		tot = len;
	f->family = AF_INET6;
	f->src = ip + 8;
	f->dst = ip + 24;
	f->kind = PORT_OPAQUE;
	uint8_t nh = ip[6];
	size_t off = 40;
	for (int i = 0; ; i++) {
		size_t hlen;
		switch (nh) {
		case 0:         /* hop-by-hop options */
		case 43:        /* routing */
		case 60:        /* destination options */
			if (off + 2 > tot)
				return false;
			hlen = ((size_t)ip[off + 1] + 1) * 8;
			break;
		case 51:        /* AH, RFC 4302 §2.2: in 4-byte units minus 2 */
			if (off + 2 > tot)
				return false;
			hlen = ((size_t)ip[off + 1] + 2) * 4;
			break;
		case 44:        /* fragment */
			if (off + 8 > tot)
				return false;
			if ((be16(ip + off + 2) & 0xfff8) != 0) {
				/* non-first fragment: no ports */
				f->proto = ip[off];
				return true;
			}
			hlen = 8;
			break;
		default:
			f->proto = nh;
			read_ports(f, ip + off, tot - off);
			return true;
		}
		if (i >= ESP_TS_MAX_EXT || off + hlen > tot)
			return false;
		nh = ip[off];
		off += hlen;
	}
}

static uint64_t be64_load(const uint8_t *p)
{
	uint64_t v = 0;
	for (int i = 0; i < 8; i++)
		v = v << 8 | p[i];
	return v;
}

/* lo <= a <= hi for addresses of alen bytes, compared as big-endian
 * numbers without a library call per selector */
static bool addr_in(const uint8_t *lo, const uint8_t *a, const uint8_t *hi, size_t alen)
{
	if (alen == 4) {
		uint32_t x = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
		uint32_t l = (uint32_t)lo[0] << 24 | (uint32_t)lo[1] << 16 | (uint32_t)lo[2] << 8 | lo[3];
		uint32_t h = (uint32_t)hi[0] << 24 | (uint32_t)hi[1] << 16 | (uint32_t)hi[2] << 8 | hi[3];
		return l <= x && x <= h;
	}
	uint64_t xh = be64_load(a), xl = be64_load(a + 8);
	uint64_t lh = be64_load(lo), ll = be64_load(lo + 8);
	uint64_t hh = be64_load(hi), hl = be64_load(hi + 8);
	return (lh < xh || (lh == xh && ll <= xl)) && (xh < hh || (xh == hh && xl <= hl));
}

static bool full_ports(const struct esp_ts *ts)
{
	return ts->sport == 0 && ts->eport == 0xffff;
}

/* one side of the flow (its source when is_src) against a selector list */
static bool side_ok(const struct esp_ts *ts, int n, const struct flow *f, bool is_src)
{
	size_t alen = f->family == AF_INET ? 4 : 16;
	const uint8_t *addr = is_src ? f->src : f->dst;
	for (int i = 0; i < n; i++) {
		const struct esp_ts *t = &ts[i];
		if (t->family != f->family || !addr_in(t->start, addr, t->end, alen))
			continue;
		if (t->proto && t->proto != f->proto)
			continue;
		if (full_ports(t))
			return true;
		uint16_t port;
		switch (f->kind) {
		case PORT_L4:
			port = is_src ? f->sport : f->dport;
			break;
		case PORT_ICMP:
			if (!t->proto)
				continue;
			if (!is_src)
				return true;
			port = f->sport;
			break;
		default:
			continue;
		}
		if (port >= t->sport && port <= t->eport)
			return true;
	}
	return false;
}

bool esp_ts_allows(const struct esp_sa *sa, const uint8_t *ip, size_t len, bool inbound)
{
	struct flow f;
	if (len < 1)
		return false;
	if (!(ip[0] >> 4 == 4 ? flow_v4(ip, len, &f) : flow_v6(ip, len, &f)))
		return false;
	const struct esp_ts *from = inbound ? sa->ts_remote : sa->ts_local;
	const struct esp_ts *to = inbound ? sa->ts_local : sa->ts_remote;
	int n_from = inbound ? sa->n_ts_remote : sa->n_ts_local;
	int n_to = inbound ? sa->n_ts_local : sa->n_ts_remote;
	return side_ok(from, n_from, &f, true) && side_ok(to, n_to, &f, false);
}

bool esp_ts_has_dst(const struct esp_sa *sa, const uint8_t *ip, size_t len)
{
	struct flow f;
	if (len < 1)
		return false;
	if (!(ip[0] >> 4 == 4 ? flow_v4(ip, len, &f) : flow_v6(ip, len, &f)))
		return false;
	size_t alen = f.family == AF_INET ? 4 : 16;
	for (int i = 0; i < sa->n_ts_remote; i++) {
		const struct esp_ts *t = &sa->ts_remote[i];
		if (t->family == f.family && addr_in(t->start, f.dst, t->end, alen))
			return true;
	}
	return false;
}

int esp_sa_set_ts(struct esp_sa *sa, const struct esp_ts *local, int n_local,
                  const struct esp_ts *remote, int n_remote)
{
	if (n_local < 0 || n_local > ESP_MAX_TS || n_remote < 0 || n_remote > ESP_MAX_TS)
		return -1;
	for (int i = 0; i < n_local; i++)
		if (local[i].family != AF_INET && local[i].family != AF_INET6)
			return -1;
	for (int i = 0; i < n_remote; i++)
		if (remote[i].family != AF_INET && remote[i].family != AF_INET6)
			return -1;
	if (n_local)
		memcpy(sa->ts_local, local, (size_t)n_local * sizeof(*local));
	if (n_remote)
		memcpy(sa->ts_remote, remote, (size_t)n_remote * sizeof(*remote));
	sa->n_ts_local = n_local;
	sa->n_ts_remote = n_remote;
	return 0;
}
