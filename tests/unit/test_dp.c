/* The data plane's door (src/dp/dp.h): SAs added, moved, re-owned and
 * deleted by SPI; deleted ones kept until their grace period is over;
 * events (NAT rebinding on ESP, sequence numbers near their end, TUN
 * gone) delivered from the event loop, never from inside packet
 * processing, once per condition; and two data planes in one process. */
#define _GNU_SOURCE
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <sys/socket.h>
#include <unistd.h>
#include <event2/event.h>

#include "crypto/algs.h"
#include "src/dp/dp_int.h"

#define SPI_IN 0x00c0ffeeu
#define SPI_OUT 0x00beef01u

struct seen {
	int n, kinds[DP_EV_TUN_GONE + 1];
	struct dp_event last;
	bool inside;            /* set while a packet is being processed */
};
static struct seen seen;

static void on_event(void *arg, const struct dp_event *ev)
{
	struct seen *s = arg;
	CHECK("event: not delivered from inside packet processing", !s->inside);
	s->n++;
	s->kinds[ev->kind]++;
	s->last = *ev;
}

static void addr4(struct sockaddr_storage *ss, socklen_t *len, const char *ip, uint16_t port)
{
	struct sockaddr_in *s = (struct sockaddr_in *)ss;
	memset(ss, 0, sizeof(*ss));
	s->sin_family = AF_INET;
	s->sin_port = htons(port);
	inet_pton(AF_INET, ip, &s->sin_addr);
	*len = sizeof(*s);
}

/* GCM-128 keys, selectors that allow anything, the peer's VIP 198.19.0.9 */
static void params(struct dp_sa_params *p, uint32_t spi_in, uint32_t spi_out)
{
	memset(p, 0, sizeof(*p));
	p->spi_in = spi_in;
	p->spi_out = spi_out;
	p->encr = ENCR_AES_GCM_16;
	p->keybits = 128;
	p->integ = AUTH_NONE;
	memset(p->ekey_in, 0x11, 20);
	memset(p->ekey_out, 0x22, 20);
	for (int i = 0; i < 2; i++) {
		struct esp_ts *t = i ? &p->ts_remote[0] : &p->ts_local[0];
		t->family = AF_INET;
		t->eport = 0xffff;
		memset(t->end, 0xff, 4);
	}
	p->n_ts_local = p->n_ts_remote = 1;
	p->has_vip4 = true;
	inet_pton(AF_INET, "198.19.0.9", p->vip4);
	addr4(&p->ep.peer, &p->ep.peer_len, "198.18.0.2", 4500);
	addr4(&p->ep.local, &p->ep.local_len, "198.18.0.1", 4500);
	p->owner = 7;
}

/* an ESP packet the peer would send: its outbound keys are our inbound */
static long peer_packet(uint32_t seq, uint8_t *out, size_t outsize)
{
	uint8_t ek[20];
	memset(ek, 0x11, sizeof(ek));
	struct esp_sa *peer = esp_sa_new(SPI_OUT, SPI_IN, ENCR_AES_GCM_16, 128, AUTH_NONE, ek,
	                                 NULL, ek, NULL);
	if (!peer)
		return -1;
	peer->seq_out = seq - 1;
	uint8_t ip[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17 };
	inet_pton(AF_INET, "198.19.0.9", ip + 12);
	inet_pton(AF_INET, "198.18.2.2", ip + 16);
	long n = esp_encap(peer, ip, sizeof(ip), out, outsize);
	esp_sa_free(peer);
	return n;
}

static void loop_once(struct event_base *b)
{
	event_base_loop(b, EVLOOP_NONBLOCK);
}

static void test_sa_calls(void)
{
	struct event_base *b = event_base_new();
	struct dp_params dpp = { .base = b, .tun_fd = -1, .on_event = on_event, .arg = &seen };
	struct dp *dp = dp_new(&dpp, NULL, 0);
	CHECK("dp_new", b && dp);
	if (!dp)
		return;
	struct dp_sa_params p;
	params(&p, SPI_IN, SPI_OUT);
	CHECK("add", dp_sa_add(dp, &p) == 0);
	CHECK("add: the same SPI again refused", dp_sa_add(dp, &p) == -1);
	struct dp_sa_params bad;
	params(&bad, SPI_IN + 1, SPI_OUT);
	bad.encr = 9999;
	CHECK("add: unknown algorithm refused", dp_sa_add(dp, &bad) == -1);
	params(&bad, SPI_IN + 2, SPI_OUT);
	bad.n_ts_local = DP_MAX_TS + 1;
	CHECK("add: too many selectors refused", dp_sa_add(dp, &bad) == -1);
	dp_sa_params_wipe(&p);
	static const uint8_t zero[DP_KEY_MAX];
	CHECK("params wiped", memcmp(p.ekey_in, zero, DP_KEY_MAX) == 0 &&
	      memcmp(p.ekey_out, zero, DP_KEY_MAX) == 0);
	uint32_t spi = dp_spi_new(dp);
	CHECK("new SPI: >= 256 and not the one in use", spi >= 256 && spi != SPI_IN);

	struct dp_sa_stats st;
	CHECK("stats", dp_sa_stats(dp, SPI_IN, &st) == 0 && st.ctr.packets_in == 0 &&
	      st.seq_out == 0 && st.last_in > 0);
	CHECK("stats of an unknown SPI", dp_sa_stats(dp, 0x4242, &st) == -1);

	/* authenticated ESP from the SA's own peer: delivered (no TUN here,
	 * so only counted), no event */
	uint8_t pkt[256];
	long n = peer_packet(1, pkt, sizeof(pkt));
	struct sockaddr_storage from;
	socklen_t fromlen;
	addr4(&from, &fromlen, "198.18.0.2", 4500);
	seen.inside = true;
	dp_esp_input(dp, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
	seen.inside = false;
	loop_once(b);
	CHECK("ESP from the peer: counted, no event",
	      dp_sa_stats(dp, SPI_IN, &st) == 0 && st.ctr.packets_in == 1 && seen.n == 0);

	/* from a new port (a NAT rebinding): one event, after the loop ran */
	addr4(&from, &fromlen, "198.18.0.2", 61000);
	for (uint32_t seq = 2; seq <= 4; seq++) {
		n = peer_packet(seq, pkt, sizeof(pkt));
		seen.inside = true;
		dp_esp_input(dp, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
		seen.inside = false;
	}
	CHECK("peer moved: nothing delivered before the loop runs", seen.n == 0);
	loop_once(b);
	CHECK("peer moved: one event for three packets", seen.n == 1 &&
	      seen.kinds[DP_EV_PEER_MOVED] == 1 && seen.last.spi_in == SPI_IN &&
	      seen.last.owner == 7 &&
	      ((struct sockaddr_in *)&seen.last.peer)->sin_port == htons(61000));
	/* a forged packet from yet another address moves nothing */
	n = peer_packet(5, pkt, sizeof(pkt));
	pkt[n - 1] ^= 1;
	addr4(&from, &fromlen, "198.18.9.9", 4500);
	dp_esp_input(dp, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
	loop_once(b);
	CHECK("forged ESP from elsewhere: no event, counted as auth drop", seen.n == 1 &&
	      dp_sa_stats(dp, SPI_IN, &st) == 0 && st.ctr.drop_auth == 1);
	/* a replayed packet from elsewhere moves nothing either */
	n = peer_packet(3, pkt, sizeof(pkt));
	dp_esp_input(dp, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
	loop_once(b);
	CHECK("replayed ESP from elsewhere: no event", seen.n == 1);

	/* the control plane follows: the SA sends to the new address */
	struct dp_endpoints ep;
	memset(&ep, 0, sizeof(ep));
	addr4(&ep.peer, &ep.peer_len, "198.18.0.2", 61000);
	addr4(&ep.local, &ep.local_len, "198.18.0.1", 4500);
	CHECK("move", dp_sa_move(dp, SPI_IN, &ep) == 0 && dp_sa_move(dp, 0x4242, &ep) == -1);
	addr4(&from, &fromlen, "198.18.0.2", 61000);
	n = peer_packet(6, pkt, sizeof(pkt));
	dp_esp_input(dp, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
	loop_once(b);
	CHECK("after the move: no further event", seen.n == 1);
	CHECK("set owner", dp_sa_set_owner(dp, SPI_IN, 8) == 0 &&
	      dp_sa_set_owner(dp, 0x4242, 8) == -1);

	/* deletion: gone at once for lookups, freed after the grace period */
	struct dp_stats ds;
	dp_sa_del(dp, SPI_IN);
	dp_stats(dp, &ds);
	CHECK("delete: no longer found, kept as retired",
	      dp_sa_stats(dp, SPI_IN, &st) == -1 && ds.sas == 0 && ds.retired == 1);
	dp_sa_del(dp, SPI_IN);      /* twice: a no-op */
	n = peer_packet(7, pkt, sizeof(pkt));
	dp_esp_input(dp, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
	dp_stats(dp, &ds);
	CHECK("delete: ESP for it counts as unknown SPI", ds.unknown_spi == 1);
	/* the reclaim timer runs every 500 ms */
	struct timeval tv = { 0, 700 * 1000 };
	event_base_loopexit(b, &tv);
	event_base_dispatch(b);
	dp_stats(dp, &ds);
	CHECK("delete: freed after the grace period", ds.retired == 0);

	/* an SA retired and not yet reclaimed is freed by dp_free (valgrind
	 * and ASan see a leak otherwise) */
	params(&p, SPI_IN, SPI_OUT);
	CHECK("add again after delete", dp_sa_add(dp, &p) == 0);
	dp_sa_params_wipe(&p);
	dp_sa_del(dp, SPI_IN);
	params(&p, SPI_IN + 5, SPI_OUT);
	CHECK("one left installed at free", dp_sa_add(dp, &p) == 0);
	dp_sa_params_wipe(&p);
	dp_free(dp);
	event_base_free(b);
}

/* a TUN device stand-in: a packet-mode pipe (one read = one write) */
static void test_tun_events(void)
{
	int sp[2];
	CHECK("pipe", pipe2(sp, O_DIRECT | O_NONBLOCK) == 0);
	struct event_base *b = event_base_new();
	struct dp_params dpp = { .base = b, .tun_fd = sp[0], .on_event = on_event, .arg = &seen };
	struct dp *dp = dp_new(&dpp, NULL, 0);
	memset(&seen, 0, sizeof(seen));
	struct dp_sa_params p;
	params(&p, SPI_IN, SPI_OUT);
	CHECK("tun: add", dp && dp_sa_add(dp, &p) == 0);
	dp_sa_params_wipe(&p);
	if (!dp)
		return;
	/* sequence numbers near their end: one NEAR_END, then one EXHAUSTED */
	struct esp_sa *sa = esp_table_by_spi(dp->t, SPI_IN);
	sa->seq_out = ESP_SEQ_MAX - 2;
	uint8_t ip[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17 };
	inet_pton(AF_INET, "198.18.2.2", ip + 12);
	inet_pton(AF_INET, "198.19.0.9", ip + 16);
	for (int i = 0; i < 5; i++)
		CHECK("tun: packet written", write(sp[1], ip, sizeof(ip)) == (ssize_t)sizeof(ip));
	loop_once(b);           /* reads the packets, queues the events */
	loop_once(b);           /* delivers them */
	struct dp_sa_stats st;
	struct dp_stats ds;
	dp_stats(dp, &ds);
	CHECK("seq: two sent, three refused", dp_sa_stats(dp, SPI_IN, &st) == 0 &&
	      st.ctr.packets_out == 2 && st.ctr.drop_seq == 3);
	CHECK("seq: no UDP socket here: nothing sent, no send error",
	      ds.send_err == 0 && ds.send_full == 0);
	CHECK("seq: NEAR_END once, EXHAUSTED once", seen.kinds[DP_EV_SEQ_NEAR_END] == 1 &&
	      seen.kinds[DP_EV_SEQ_EXHAUSTED] == 1 && seen.last.owner == 7);
	/* the device goes away: a TUN device then answers EBADFD; the pipe,
	 * its writer gone, reads 0 bytes, which a TUN device never does */
	close(sp[1]);
	loop_once(b);
	loop_once(b);
	CHECK("tun gone: one event", seen.kinds[DP_EV_TUN_GONE] == 1);
	loop_once(b);
	CHECK("tun gone: reading stopped, no second event", seen.kinds[DP_EV_TUN_GONE] == 1);
	dp_free(dp);
	close(sp[0]);
	event_base_free(b);
}

/* nothing is global: two data planes with the same SPI side by side */
static void test_two(void)
{
	struct event_base *b = event_base_new();
	struct dp_params dpp = { .base = b, .tun_fd = -1, .on_event = on_event, .arg = &seen };
	struct dp *x = dp_new(&dpp, NULL, 0), *y = dp_new(&dpp, NULL, 0);
	struct dp_sa_params p;
	params(&p, SPI_IN, SPI_OUT);
	CHECK("two: the same SPI in each", x && y && dp_sa_add(x, &p) == 0 && dp_sa_add(y, &p) == 0);
	dp_sa_params_wipe(&p);
	uint8_t pkt[256];
	long n = peer_packet(1, pkt, sizeof(pkt));
	struct sockaddr_storage from;
	socklen_t fromlen;
	addr4(&from, &fromlen, "198.18.0.2", 4500);
	dp_esp_input(x, pkt, (size_t)n, (struct sockaddr *)&from, fromlen);
	struct dp_sa_stats sx, sy;
	CHECK("two: a packet for one is not seen by the other",
	      dp_sa_stats(x, SPI_IN, &sx) == 0 && dp_sa_stats(y, SPI_IN, &sy) == 0 &&
	      sx.ctr.packets_in == 1 && sy.ctr.packets_in == 0);
	dp_free(x);
	dp_free(y);
	event_base_free(b);
}

int main(void)
{
	test_sa_calls();
	test_tun_events();
	test_two();
	CHECK_DONE();
}
