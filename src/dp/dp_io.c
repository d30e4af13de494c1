/* The packet loops: ESP-in-UDP datagrams to the TUN device and TUN
 * packets to ESP-in-UDP. One loop for now, run by the control thread's
 * event loop; per-packet work allocates nothing and reuses each SA's
 * cipher contexts. What the control plane must hear is queued as an event
 * (src/dp/dp.h), never called.
 *
 * Faults of the TUN device (README "Faults"):
 *  - deleted under the daemon (ip link del): reads fail with EBADFD and
 *    the descriptor polls as an error for ever. Reading stops and a
 *    DP_EV_TUN_GONE event tells the control plane, which stops cygnet
 *    with exit status 1 so that the service manager starts it again.
 *  - set down (ip link set down): nothing is read, writes fail with EIO;
 *    they are counted and logged at most every DP_FAULT_LOG_INTERVAL
 *    seconds. The privileged helper watches the link and puts the pool
 *    routes back when it is up again (helper.c).
 *  - EAGAIN/ENOBUFS on a write (the kernel's queue is full): the packet is
 *    dropped, counted, logged the same rate-limited way; never retried. */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>

#include "src/dp/dp_int.h"
#include "src/log.h"
#include "src/udp.h"

#define TUN_BATCH 64

static void tun_gone(struct dp *dp, const char *op, int e)
{
	if (dp->ev_tun)
		event_del(dp->ev_tun);
	struct dp_event ev = { .kind = DP_EV_TUN_GONE, .err = e, .op = op };
	dp_event_push(dp, &ev);
}

static void tun_write(struct dp *dp, const uint8_t *pkt, size_t len)
{
	if (write(dp->p.tun_fd, pkt, len) >= 0)
		return;
	int e = errno;
	if (e == EBADFD || e == ENODEV || e == ENXIO) {
		tun_gone(dp, "write", e);
		return;
	}
	unsigned held;
	dp->st.tun_write_err++;
	if (ratelog_ok(&dp->rl_tun_write, now_sec(), DP_FAULT_LOG_INTERVAL, &held))
		log_err(LOG_TUN, "write to TUN %s: %s%s: dropped %u packet%s (%llu in all; "
		        "reported at most every %d s)", dp->tun_name, strerror(e),
		        e == EIO ? " (the device is down)" : "", held + 1, held ? "s" : "",
		        (unsigned long long)dp->st.tun_write_err, DP_FAULT_LOG_INTERVAL);
}

static void esp_send(struct dp *dp, const struct esp_sa *sa, const uint8_t *buf, size_t len)
{
	int fd = -1;
	for (int i = 0; i < dp->p.n_socks; i++)
		if (dp->p.sock_family[i] == sa->peer.ss_family)
			fd = dp->p.sock_fd[i];
	if (fd < 0)
		return;
	int e = udp_send_from(fd, (const struct sockaddr *)&sa->local,
	                      (const struct sockaddr *)&sa->peer, sa->peer_len, buf, len);
	if (!e)
		return;
	/* dropped, never retried: the inner flows retransmit */
	bool full = e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
	uint64_t *count = full ? &dp->st.send_full : &dp->st.send_err;
	unsigned held;
	(*count)++;
	if (ratelog_ok(full ? &dp->rl_send_full : &dp->rl_send_err, now_sec(),
	               DP_FAULT_LOG_INTERVAL, &held))
		log_err(LOG_NET, "sendmsg of ESP: %s%s: dropped %u packet%s (%llu in all; "
		        "reported at most every %d s)", strerror(e),
		        full ? " (send buffer full)" : "", held + 1, held ? "s" : "",
		        (unsigned long long)*count, DP_FAULT_LOG_INTERVAL);
}

/* authenticated ESP from an address the SA does not send to: a NAT may
 * have given the peer a new address or port; the control plane decides
 * whether to follow (and then moves the SA and its siblings) */
static void peer_moved(struct dp *dp, struct esp_sa *sa, const struct sockaddr *peer,
                       socklen_t peer_len, uint64_t now)
{
	if (sa->move_pending && now - sa->move_told_at < DP_MOVE_RETELL)
		return;
	struct dp_event ev = { .kind = DP_EV_PEER_MOVED, .owner = sa->owner,
	                       .spi_in = sa->spi_in, .peer_len = peer_len };
	memcpy(&ev.peer, peer, peer_len);
	if (dp_event_push(dp, &ev)) {
		sa->move_pending = true;
		sa->move_told_at = now;
	}
}

void dp_esp_input(struct dp *dp, uint8_t *buf, size_t len,
                  const struct sockaddr *peer, socklen_t peer_len)
{
	if (len < 8 || peer_len > sizeof(struct sockaddr_storage))
		return;
	uint32_t spi = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	               (uint32_t)buf[2] << 8 | buf[3];
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi);
	if (!sa) {
		if (dp->st.unknown_spi++ % 1000 == 0)
			log_dbg(LOG_ESP, "ESP packet for unknown SPI %08x, dropped (%llu so far)", spi,
			        (unsigned long long)dp->st.unknown_spi);
		return;
	}
	uint8_t *inner;
	size_t innerlen;
	uint64_t now = now_sec();
	uint64_t before = sa->last_in;
	int rc = esp_decap(sa, buf, len, &inner, &innerlen, now);
	/* last_in moves only for a packet that authenticated and was no replay */
	if ((sa->last_in != before || rc >= 0) &&
	    (peer_len != sa->peer_len || memcmp(peer, &sa->peer, peer_len) != 0))
		peer_moved(dp, sa, peer, peer_len, now);
	if (rc == 1)
		tun_write(dp, inner, innerlen);
}

/* what the control plane must hear about an SA's sequence numbers; an
 * event the queue could not take is raised again by the next packet */
static void seq_report(struct dp *dp, struct esp_sa *sa)
{
	bool near_told = sa->seq_near_end_told, exh_told = sa->seq_exhausted_told;
	enum esp_seq_event e = esp_seq_event(sa);
	if (e == ESP_SEQ_NONE)
		return;
	struct dp_event ev = { .kind = e == ESP_SEQ_EXHAUSTED ? DP_EV_SEQ_EXHAUSTED
	                                                      : DP_EV_SEQ_NEAR_END,
	                       .owner = sa->owner, .spi_in = sa->spi_in };
	if (!dp_event_push(dp, &ev)) {
		sa->seq_near_end_told = near_told;
		sa->seq_exhausted_told = exh_told;
	}
}

void dp_on_tun(evutil_socket_t fd, short what, void *arg)
{
	struct dp *dp = arg;
	(void)what;
	for (int i = 0; i < TUN_BATCH; i++) {
		ssize_t n = read(fd, dp->pkt, sizeof(dp->pkt));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			return;
		if (n <= 0) {
			/* EBADFD once deleted; a TUN never reads 0 bytes otherwise */
			tun_gone(dp, "read", n == 0 ? ENODEV : errno);
			return;
		}
		/* the destination's SA whose selectors allow the packet (a
		 * refusal is counted in drop_ts_out) */
		struct esp_sa *sa = esp_table_out(dp->t, dp->pkt, (size_t)n);
		if (!sa)
			continue;
		long len = esp_encap(sa, dp->pkt, (size_t)n, dp->out, sizeof(dp->out));
		if (sa->seq_out > ESP_SEQ_REKEY)
			seq_report(dp, sa);
		if (len < 0)
			continue;
		esp_send(dp, sa, dp->out, (size_t)len);
	}
}
