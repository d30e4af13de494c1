/* Routed SAs: SAs without a peer virtual IP (cygnet as a client towards
 * its VPN server, site-to-site), found for outbound packets by their
 * selectors once no SA claims the destination as its virtual IP, and
 * taking inbound packets from any source their selectors allow
 * (src/dp/sa_table.c, src/dp/esp.c check_inner).
 *
 * First the table alone (newest first, the VIP lookup first, whom a
 * refusal is counted on, deletion, growth), then a client and a server
 * data plane in one process joined over loopback UDP, each with a
 * datagram socketpair standing in for its TUN device: the server holds a
 * VIP SA for the client, the client a routed SA for everything, as a
 * real pair would. */
#define _GNU_SOURCE
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "crypto/algs.h"
#include "src/dp/dp_int.h"

/* ---- packets and selectors ---- */

static void ts_set(struct esp_ts *t, int family, const char *lo, const char *hi)
{
	memset(t, 0, sizeof(*t));
	t->family = (uint8_t)family;
	t->eport = 0xffff;
	inet_pton(family, lo, t->start);
	inet_pton(family, hi, t->end);
}

/* an IPv4 UDP packet of 28 + payload bytes from src to dst, marked */
static size_t udp4(uint8_t *p, const char *src, const char *dst, uint8_t mark)
{
	memset(p, 0, 32);
	p[0] = 0x45;
	p[3] = 32;
	p[8] = 64;
	p[9] = 17;
	inet_pton(AF_INET, src, p + 12);
	inet_pton(AF_INET, dst, p + 16);
	p[20] = 0x30;           /* ports 12345 -> 53 */
	p[21] = 0x39;
	p[23] = 53;
	p[25] = 12;             /* UDP length */
	p[28] = mark;
	return 32;
}

static size_t udp6(uint8_t *p, const char *src, const char *dst, uint8_t mark)
{
	memset(p, 0, 52);
	p[0] = 0x60;
	p[5] = 12;              /* payload length */
	p[6] = 17;
	p[7] = 64;
	inet_pton(AF_INET6, src, p + 8);
	inet_pton(AF_INET6, dst, p + 24);
	p[40] = 0x30;
	p[41] = 0x39;
	p[43] = 53;
	p[45] = 12;
	p[48] = mark;
	return 52;
}

/* ---- the table alone ---- */

static struct esp_sa *table_sa(uint32_t spi, const char *vip4)
{
	uint8_t k[20];
	memset(k, 0x33, sizeof(k));
	struct esp_sa *sa = esp_sa_new(spi, spi + 1, ENCR_AES_GCM_16, 128, AUTH_NONE, k, NULL, k,
	                               NULL);
	if (!sa)
		abort();
	if (vip4) {
		sa->has_vip4 = true;
		inet_pton(AF_INET, vip4, sa->vip4);
	}
	return sa;
}

/* local = src range, remote = dst range (IPv4) */
static void table_ts(struct esp_sa *sa, const char *l_lo, const char *l_hi, const char *r_lo,
                     const char *r_hi)
{
	struct esp_ts l, r;
	ts_set(&l, AF_INET, l_lo, l_hi);
	ts_set(&r, AF_INET, r_lo, r_hi);
	if (esp_sa_set_ts(sa, &l, 1, &r, 1) != 0)
		abort();
}

static void test_table(void)
{
	struct esp_table *t = esp_table_new();
	CHECK("table: new", t != NULL);
	if (!t)
		return;
	uint8_t p[64];
	/* a site: 198.18.1.0/24 behind us, 198.18.64.0/24 behind the peer */
	struct esp_sa *site = table_sa(0x100, NULL);
	table_ts(site, "198.18.1.0", "198.18.1.255", "198.18.64.0", "198.18.64.255");
	CHECK("table: routed SA added", esp_sa_routed(site) && esp_table_add(t, site) == 0);
	udp4(p, "198.18.1.5", "198.18.64.9", 0);
	CHECK("table: routed SA found by its selectors", esp_table_out(t, 0, p, 32) == site);
	CHECK("table: routed SA never found by destination VIP", esp_table_by_dst(t, p, 32) == NULL);

	/* outside: a wrong source is the site's refusal; a destination it
	 * does not route is nobody's */
	udp4(p, "198.18.2.5", "198.18.64.9", 0);
	CHECK("table: source outside the local selectors refused",
	      esp_table_out(t, 0, p, 32) == NULL && site->lane[0].ctr.drop_ts_out == 1);
	udp4(p, "198.18.1.5", "198.18.99.9", 0);
	CHECK("table: destination no SA routes refused, counted nowhere",
	      esp_table_out(t, 0, p, 32) == NULL && site->lane[0].ctr.drop_ts_out == 1);
	udp4(p, "198.18.1.5", "198.18.64.9", 0);
	CHECK("table: malformed packet refused", esp_table_out(t, 0, p, 19) == NULL &&
	      esp_table_out(t, 0, p, 0) == NULL);

	/* a CHILD_SA rekey: the new SA is used as soon as it is installed,
	 * the old one again once the new one is gone */
	struct esp_sa *rekeyed = table_sa(0x200, NULL);
	table_ts(rekeyed, "198.18.1.0", "198.18.1.255", "198.18.64.0", "198.18.64.255");
	CHECK("table: rekeyed routed SA added", esp_table_add(t, rekeyed) == 0);
	CHECK("table: newest routed SA wins", esp_table_out(t, 0, p, 32) == rekeyed);
	/* a second CHILD_SA of another subnet, newer still: the first whose
	 * selectors allow the packet wins, not the newest */
	struct esp_sa *other = table_sa(0x300, NULL);
	table_ts(other, "198.18.1.0", "198.18.1.255", "198.18.65.0", "198.18.65.255");
	CHECK("table: other subnet's SA added", esp_table_add(t, other) == 0);
	CHECK("table: the first that allows it, not the newest", esp_table_out(t, 0, p, 32) == rekeyed);
	udp4(p, "198.18.1.5", "198.18.65.1", 0);
	CHECK("table: the other subnet's SA for its subnet", esp_table_out(t, 0, p, 32) == other);

	/* a VIP SA whose address lies in the routed selectors: the VIP
	 * lookup is first, and its refusal is final */
	struct esp_sa *vip = table_sa(0x400, "198.18.64.77");
	table_ts(vip, "198.18.1.0", "198.18.1.127", "198.18.64.77", "198.18.64.77");
	CHECK("table: VIP SA added", esp_table_add(t, vip) == 0);
	udp4(p, "198.18.1.5", "198.18.64.77", 0);
	CHECK("table: VIP SA wins over a routed SA that allows the packet",
	      esp_table_out(t, 0, p, 32) == vip);
	udp4(p, "198.18.1.200", "198.18.64.77", 0);
	uint64_t before = rekeyed->lane[0].ctr.drop_ts_out;
	CHECK("table: VIP SA's refusal is not sent by a routed SA",
	      esp_table_out(t, 0, p, 32) == NULL && vip->lane[0].ctr.drop_ts_out == 1 &&
	      rekeyed->lane[0].ctr.drop_ts_out == before);

	/* growth (the buckets double past 64 SAs) leaves the routed chain,
	 * order included */
	enum { N = 300 };
	static struct esp_sa *many[N];
	char a[32];
	bool ok = true;
	for (int i = 0; i < N; i++) {
		snprintf(a, sizeof(a), "198.19.%d.%d", i / 200, 1 + i % 200);
		many[i] = table_sa(0x1000 + (uint32_t)i * 2, a);
		ok &= esp_table_add(t, many[i]) == 0;
	}
	CHECK("table: VIP SAs added past growth", ok);
	udp4(p, "198.18.1.5", "198.18.64.9", 0);
	CHECK("table: routed chain kept across growth, newest first",
	      esp_table_out(t, 0, p, 32) == rekeyed);

	/* deletion: gone from the routed chain at once */
	esp_table_del(t, rekeyed);
	CHECK("table: after deleting the newest, the older routed SA",
	      esp_table_out(t, 0, p, 32) == site && !esp_table_by_spi(t, 0x200));
	esp_table_del(t, site);
	CHECK("table: after deleting both, no SA", esp_table_out(t, 0, p, 32) == NULL);
	udp4(p, "198.18.1.5", "198.18.65.1", 0);
	CHECK("table: the remaining routed SA still found", esp_table_out(t, 0, p, 32) == other);
	/* installed again (a CHILD_SA failing over): at the head again */
	CHECK("table: re-added", esp_table_add(t, site) == 0);
	udp4(p, "198.18.1.5", "198.18.64.9", 0);
	CHECK("table: re-added routed SA found", esp_table_out(t, 0, p, 32) == site);
	/* freeing the table with routed nodes live and retired (ASan:
	 * nothing leaked) */
	esp_table_free(t);
	esp_sa_free(site);
	esp_sa_free(rekeyed);
	esp_sa_free(other);
	esp_sa_free(vip);
	for (int i = 0; i < N; i++)
		esp_sa_free(many[i]);
}

/* ---- a client and a server ---- */

#define SRV_SPI 0x5e000001u             /* the server's inbound SPI, the client's outbound */
#define CLI_SPI 0xc1000001u
#define SITE_SPI 0x5e000002u            /* a routed SA of the server's */
#define SITE_OUT 0x0000beefu            /* ... sending with an SPI the client does not know */
#define VIP4 "198.19.0.9"               /* the client's virtual IPs */
#define VIP6 "2001:db8:1::9"
#define IN4 "198.18.5.5"                /* behind the server */
#define IN6 "2001:db8:5::5"
#define NET4 "203.0.113.7"              /* the internet, past the server */

struct side {
	struct dp *dp;
	int udp;                            /* its UDP/4500 stand-in on 127.0.0.1 */
	struct sockaddr_in addr;
	int tun[2];                         /* [0] the data plane's, [1] the test's */
};

static int side_open(struct side *s, struct event_base *b)
{
	memset(s, 0, sizeof(*s));
	s->udp = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	s->addr.sin_family = AF_INET;
	s->addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	socklen_t len = sizeof(s->addr);
	if (s->udp < 0 || bind(s->udp, (struct sockaddr *)&s->addr, sizeof(s->addr)) != 0 ||
	    getsockname(s->udp, (struct sockaddr *)&s->addr, &len) != 0)
		return -1;
	if (socketpair(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, s->tun) != 0)
		return -1;
	struct dp_params p = { .base = b, .tun_fd = s->tun[0], .n_socks = 1 };
	p.sock_fd[0] = s->udp;
	p.sock_family[0] = AF_INET;
	char err[128];
	s->dp = dp_new(&p, err, sizeof(err));
	return s->dp ? 0 : -1;
}

static void side_close(struct side *s)
{
	dp_free(s->dp);
	close(s->udp);
	close(s->tun[0]);
	close(s->tun[1]);
}

/* GCM-128; keys as the side that sends with ekey_out */
static void sa_params(struct dp_sa_params *p, uint32_t spi_in, uint32_t spi_out,
                      const struct side *self, const struct side *peer)
{
	memset(p, 0, sizeof(*p));
	p->spi_in = spi_in;
	p->spi_out = spi_out;
	p->encr = ENCR_AES_GCM_16;
	p->keybits = 128;
	p->integ = AUTH_NONE;
	memset(p->ekey_in, (int)(spi_in & 0xff) ^ 0x40, 20);
	memset(p->ekey_out, (int)(spi_out & 0xff) ^ 0x40, 20);
	memcpy(&p->ep.peer, &peer->addr, sizeof(peer->addr));
	p->ep.peer_len = sizeof(peer->addr);
	memcpy(&p->ep.local, &self->addr, sizeof(self->addr));
	p->ep.local_len = sizeof(self->addr);
	p->owner = 1;
}

/* the server's SA for the client: its VIPs; the server's networks
 * 198.18.0.0/16 and 2001:db8:5::/48 on our side */
static int server_sa(struct side *srv, struct side *cli)
{
	struct dp_sa_params p;
	sa_params(&p, SRV_SPI, CLI_SPI, srv, cli);
	ts_set(&p.ts_local[0], AF_INET, "198.18.0.0", "198.18.255.255");
	ts_set(&p.ts_local[1], AF_INET6, "2001:db8:5::", "2001:db8:5:ffff:ffff:ffff:ffff:ffff");
	ts_set(&p.ts_remote[0], AF_INET, VIP4, VIP4);
	ts_set(&p.ts_remote[1], AF_INET6, VIP6, VIP6);
	p.n_ts_local = p.n_ts_remote = 2;
	p.has_vip4 = p.has_vip6 = true;
	inet_pton(AF_INET, VIP4, p.vip4);
	inet_pton(AF_INET6, VIP6, p.vip6);
	int rc = dp_sa_add(srv->dp, &p);
	dp_sa_params_wipe(&p);
	return rc;
}

/* the client's: routed, our VIPs to everything */
static int client_sa(struct side *cli, struct side *srv)
{
	struct dp_sa_params p;
	sa_params(&p, CLI_SPI, SRV_SPI, cli, srv);
	ts_set(&p.ts_local[0], AF_INET, VIP4, VIP4);
	ts_set(&p.ts_local[1], AF_INET6, VIP6, VIP6);
	ts_set(&p.ts_remote[0], AF_INET, "0.0.0.0", "255.255.255.255");
	ts_set(&p.ts_remote[1], AF_INET6, "::", "ffff:ffff:ffff:ffff:ffff:ffff:ffff:ffff");
	p.n_ts_local = p.n_ts_remote = 2;
	int rc = dp_sa_add(cli->dp, &p);
	dp_sa_params_wipe(&p);
	return rc;
}

/* Writes pkt into from's TUN, runs the loop (from encrypts and sends),
 * passes what reached to's UDP socket to its data plane and reads its
 * TUN: 1 when exactly pkt came out there, 0 when nothing was sent, -1
 * when something else happened. *spi: the SPI of the ESP sent, if any. */
static int carry(struct event_base *b, struct side *from, struct side *to, const uint8_t *pkt,
                 size_t len, uint32_t *spi)
{
	if (write(from->tun[1], pkt, len) != (ssize_t)len)
		return -1;
	event_base_loop(b, EVLOOP_NONBLOCK);
	uint8_t esp[2048], out[2048];
	struct sockaddr_storage src;
	socklen_t srclen = sizeof(src);
	ssize_t n = recvfrom(to->udp, esp, sizeof(esp), MSG_DONTWAIT, (struct sockaddr *)&src,
	                     &srclen);
	if (n < 0)
		return errno == EAGAIN ? 0 : -1;
	if (n < 8)
		return -1;
	if (spi)
		*spi = (uint32_t)esp[0] << 24 | (uint32_t)esp[1] << 16 | (uint32_t)esp[2] << 8 | esp[3];
	dp_esp_input(to->dp, esp, (size_t)n, (struct sockaddr *)&src, srclen);
	ssize_t m = read(to->tun[1], out, sizeof(out));
	if (m < 0)
		return errno == EAGAIN ? -2 : -1;
	return (size_t)m == len && memcmp(out, pkt, len) == 0 ? 1 : -1;
}

/* an ESP packet as the server's VIP SA would send it, whatever its inner
 * addresses (the server's own lookup would not send it), into the client */
static void forge_from_server(struct side *srv, struct side *cli, const uint8_t *ip, size_t len)
{
	struct esp_sa *sa = esp_table_by_spi(srv->dp->t, SRV_SPI);
	uint8_t esp[2048];
	long n = sa ? esp_encap(sa, ip, len, esp, sizeof(esp)) : -1;
	CHECK("forged ESP built", n > 0);
	if (n > 0)
		dp_esp_input(cli->dp, esp, (size_t)n, (struct sockaddr *)&srv->addr, sizeof(srv->addr));
}

static struct esp_counters ctr_of(struct dp *dp, uint32_t spi)
{
	struct dp_sa_stats st;
	memset(&st, 0, sizeof(st));
	dp_sa_stats(dp, spi, &st);
	return st.ctr;
}

static void test_pair(void)
{
	struct event_base *b = event_base_new();
	static struct side srv, cli;
	if (!b || side_open(&srv, b) != 0 || side_open(&cli, b) != 0) {
		CHECK("pair: two data planes on loopback", 0);
		return;
	}
	CHECK("pair: server's VIP SA, client's routed SA",
	      server_sa(&srv, &cli) == 0 && client_sa(&cli, &srv) == 0);
	uint8_t p[64];
	size_t n;
	uint32_t spi = 0;

	/* both ways, both families */
	n = udp4(p, VIP4, IN4, 1);
	CHECK("pair: IPv4 client -> server delivered", carry(b, &cli, &srv, p, n, &spi) == 1 &&
	      spi == SRV_SPI);
	n = udp4(p, IN4, VIP4, 2);
	CHECK("pair: IPv4 server -> client delivered", carry(b, &srv, &cli, p, n, &spi) == 1 &&
	      spi == CLI_SPI);
	n = udp6(p, VIP6, IN6, 3);
	CHECK("pair: IPv6 client -> server delivered", carry(b, &cli, &srv, p, n, NULL) == 1);
	n = udp6(p, IN6, VIP6, 4);
	CHECK("pair: IPv6 server -> client delivered", carry(b, &srv, &cli, p, n, NULL) == 1);
	/* the client sends to and hears from anywhere: no source check on
	 * a routed SA (the server's selectors refuse, not the client's) */
	n = udp4(p, NET4, VIP4, 5);
	forge_from_server(&srv, &cli, p, n);
	struct esp_counters c = ctr_of(cli.dp, CLI_SPI);
	CHECK("pair: client takes a packet from any source in its remote selectors",
	      c.packets_in == 3 && c.drop_spoof == 0);
	uint8_t got[64];
	CHECK("pair: ... and writes it to its TUN", read(cli.tun[1], got, sizeof(got)) == (ssize_t)n &&
	      memcmp(got, p, n) == 0);

	/* outside the selectors: dropped and counted */
	n = udp4(p, "198.19.0.10", IN4, 6);
	CHECK("pair: client packet from a source not its own: not sent",
	      carry(b, &cli, &srv, p, n, NULL) == 0 && ctr_of(cli.dp, CLI_SPI).drop_ts_out == 1);
	n = udp6(p, "2001:db8:1::10", IN6, 7);
	CHECK("pair: the same in IPv6",
	      carry(b, &cli, &srv, p, n, NULL) == 0 && ctr_of(cli.dp, CLI_SPI).drop_ts_out == 2);
	n = udp4(p, IN4, "198.19.0.77", 8);
	forge_from_server(&srv, &cli, p, n);
	c = ctr_of(cli.dp, CLI_SPI);
	CHECK("pair: inbound to an address not ours: dropped by the selectors",
	      c.drop_ts_in == 1 && c.drop_spoof == 0 && c.packets_in == 3 &&
	      read(cli.tun[1], got, sizeof(got)) < 0);
	n = udp4(p, NET4, VIP4, 9);
	CHECK("pair: the server's VIP SA still refuses a source outside its local selectors",
	      carry(b, &srv, &cli, p, n, NULL) == 0 && ctr_of(srv.dp, SRV_SPI).drop_ts_out == 1);
	n = udp4(p, "198.19.0.66", IN4, 10);
	struct esp_sa *cs = esp_table_by_spi(cli.dp->t, CLI_SPI);
	long e = -1;
	uint8_t esp[256];
	if (cs)
		e = esp_encap(cs, p, n, esp, sizeof(esp));
	if (e > 0)
		dp_esp_input(srv.dp, esp, (size_t)e, (struct sockaddr *)&cli.addr, sizeof(cli.addr));
	CHECK("pair: the server's VIP SA still drops a spoofed source",
	      e > 0 && ctr_of(srv.dp, SRV_SPI).drop_spoof == 1);

	/* the server with a routed SA as well (a site, 0/0 both ways,
	 * newer than the VIP SA): the VIP lookup still wins */
	struct dp_sa_params sp;
	sa_params(&sp, SITE_SPI, SITE_OUT, &srv, &cli);
	ts_set(&sp.ts_local[0], AF_INET, "0.0.0.0", "255.255.255.255");
	ts_set(&sp.ts_remote[0], AF_INET, "0.0.0.0", "255.255.255.255");
	sp.n_ts_local = sp.n_ts_remote = 1;
	CHECK("pair: server's routed SA added", dp_sa_add(srv.dp, &sp) == 0);
	dp_sa_params_wipe(&sp);
	uint64_t vip_out = ctr_of(srv.dp, SRV_SPI).packets_out;
	n = udp4(p, IN4, VIP4, 11);
	CHECK("pair: a packet for the VIP goes by the VIP SA", carry(b, &srv, &cli, p, n, &spi) == 1 &&
	      spi == CLI_SPI && ctr_of(srv.dp, SRV_SPI).packets_out == vip_out + 1 &&
	      ctr_of(srv.dp, SITE_SPI).packets_out == 0);
	n = udp4(p, NET4, VIP4, 12);
	CHECK("pair: the VIP SA's refusal is not sent by the routed SA",
	      carry(b, &srv, &cli, p, n, NULL) == 0 && ctr_of(srv.dp, SRV_SPI).drop_ts_out == 2 &&
	      ctr_of(srv.dp, SITE_SPI).packets_out == 0);
	n = udp4(p, IN4, NET4, 13);
	spi = 0;
	struct dp_stats ds;
	int r = carry(b, &srv, &cli, p, n, &spi);
	dp_stats(cli.dp, &ds);
	CHECK("pair: a packet for no VIP goes by the server's routed SA",
	      r == -2 && spi == SITE_OUT && ctr_of(srv.dp, SITE_SPI).packets_out == 1 &&
	      ds.unknown_spi == 1);

	/* the client's routed SA deleted: nothing sent any more */
	dp_sa_del(cli.dp, CLI_SPI);
	n = udp4(p, VIP4, IN4, 14);
	dp_stats(cli.dp, &ds);
	CHECK("pair: after deleting the routed SA nothing is sent",
	      carry(b, &cli, &srv, p, n, NULL) == 0 && ds.sas == 0 && ds.retired == 1 &&
	      ds.deleted.packets_out == 3 && ds.deleted.drop_ts_out == 2);
	/* reinstalled (a new CHILD_SA): used again */
	CHECK("pair: reinstalled", client_sa(&cli, &srv) == 0);
	/* same keys and SPIs here: past the numbers the server has seen */
	struct esp_sa *again = esp_table_by_spi(cli.dp->t, CLI_SPI);
	if (again)
		again->seq_out = 100;
	CHECK("pair: reinstalled routed SA used", carry(b, &cli, &srv, p, n, NULL) == 1);

	side_close(&cli);
	side_close(&srv);
	event_base_free(b);
}

int main(void)
{
	test_table();
	test_pair();
	CHECK_DONE();
}
