/* ESP-in-UDP <-> TUN. One thread for now; per-packet work allocates
 * nothing and reuses each SA's cipher contexts. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include "src/daemon.h"
#include "src/datapath.h"
#include "src/esp.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/rekey.h"

#define TUN_BATCH 64

static uint64_t unknown_spi;

void datapath_esp_input(struct daemon *d, uint8_t *buf, size_t len,
                        const struct sockaddr *peer, socklen_t peer_len)
{
	if (len < 8)
		return;
	uint32_t spi = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	               (uint32_t)buf[2] << 8 | buf[3];
	struct esp_sa *sa = esp_table_by_spi(d->esp, spi);
	if (!sa) {
		if (unknown_spi++ % 1000 == 0)
			log_dbg(LOG_ESP, "ESP packet for unknown SPI %08x, dropped (%llu so far)", spi,
			        (unsigned long long)unknown_spi);
		return;
	}
	uint8_t *inner;
	size_t innerlen;
	uint64_t before = sa->last_in;
	int rc = esp_decap(sa, buf, len, &inner, &innerlen, now_sec());
	if (sa->last_in != before || rc >= 0) {
		/* authenticated: a NAT may have given the client a new
		 * address or port; follow it, IKE_SA and CHILD_SAs */
		if (peer_len != sa->peer_len || memcmp(peer, &sa->peer, peer_len) != 0)
			ike_sa_follow_esp(d, sa->ike_id, peer, peer_len);
	}
	if (rc != 1)
		return;
	if (write(d->tun_fd, inner, innerlen) < 0 && errno != EAGAIN)
		log_dbg(LOG_TUN, "write to TUN: %s", strerror(errno));
}

/* The one place the data path tells IKE about an SA's sequence numbers
 * (to become a queued event when the data path gets threads). */
static void seq_report(struct daemon *d, struct esp_sa *sa)
{
	enum esp_seq_event ev = esp_seq_event(sa);
	if (ev != ESP_SEQ_NONE)
		rekey_child_seq(d, sa->ike_id, sa->spi_in, ev == ESP_SEQ_EXHAUSTED);
}

static void on_tun(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	static uint8_t pkt[ESP_MAX_PACKET];
	static uint8_t out[ESP_MAX_PACKET + 256];
	for (int i = 0; i < TUN_BATCH; i++) {
		ssize_t n = read(fd, pkt, sizeof(pkt));
		if (n <= 0)
			return;
		/* the destination's SA whose selectors allow the packet (a
		 * refusal is counted in drop_ts_out) */
		struct esp_sa *sa = esp_table_out(d->esp, pkt, (size_t)n);
		if (!sa)
			continue;
		long len = esp_encap(sa, pkt, (size_t)n, out, sizeof(out));
		if (sa->seq_out > ESP_SEQ_REKEY)
			seq_report(d, sa);
		if (len < 0)
			continue;
		net_send(d, (struct sockaddr *)&sa->local, (struct sockaddr *)&sa->peer,
		         sa->peer_len, out, (size_t)len);
	}
}

int datapath_start(struct daemon *d)
{
	d->tun_ev = event_new(d->base, d->tun_fd, EV_READ | EV_PERSIST, on_tun, d);
	return d->tun_ev && event_add(d->tun_ev, NULL) == 0 ? 0 : -1;
}

void datapath_stop(struct daemon *d)
{
	if (d->tun_ev)
		event_free(d->tun_ev);
	d->tun_ev = NULL;
}
