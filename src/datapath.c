/* ESP-in-UDP <-> TUN. One thread for now; per-packet work allocates
 * nothing and reuses each SA's cipher contexts.
 *
 * Faults of the TUN device (README "Faults"):
 *  - deleted under the daemon (ip link del): reads fail with EBADFD and
 *    the descriptor polls as an error for ever. cygnet cannot serve without
 *    it, so it stops as on SIGTERM and exits 1: the service manager starts
 *    it again, which creates the device again. The event is removed first,
 *    so the loop does not spin on it meanwhile.
 *  - set down (ip link set down): nothing is read, writes fail with EIO;
 *    they are counted and logged at most every FAULT_LOG_INTERVAL seconds.
 *    The privileged helper watches the link and puts the pool routes back
 *    when it is up again (helper.c).
 *  - EAGAIN/ENOBUFS on a write (the kernel's queue is full): the packet is
 *    dropped, counted, logged the same rate-limited way; never retried. */
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

/* the device is gone: stop (see the top of this file) */
static void tun_gone(struct daemon *d, const char *op, int e)
{
	if (d->tun_ev)
		event_del(d->tun_ev);
	if (d->stopping)
		return;
	log_err(LOG_TUN, "TUN %s is gone (%s: %s): cygnet cannot serve without it; stopping "
	        "with exit status 1 so that the service manager restarts cygnetd",
	        d->tun_name, op, strerror(e));
	daemon_stop(d, 1);
}

static void tun_write(struct daemon *d, const uint8_t *pkt, size_t len)
{
	if (write(d->tun_fd, pkt, len) >= 0)
		return;
	int e = errno;
	if (e == EBADFD || e == ENODEV || e == ENXIO) {
		tun_gone(d, "write", e);
		return;
	}
	unsigned held;
	d->n_tun_write++;
	if (ratelog_ok(&d->rl_tun_write, now_sec(), FAULT_LOG_INTERVAL, &held))
		log_err(LOG_TUN, "write to TUN %s: %s%s: dropped %u packet%s (%llu in all; "
		        "reported at most every %d s)", d->tun_name, strerror(e),
		        e == EIO ? " (the device is down)" : "", held + 1, held ? "s" : "",
		        (unsigned long long)d->n_tun_write, FAULT_LOG_INTERVAL);
}

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
	tun_write(d, inner, innerlen);
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
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			/* EBADFD once deleted; a TUN never reads 0 bytes otherwise */
			tun_gone(d, "read", n == 0 ? ENODEV : errno);
			return;
		}
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
