/* The packet loops: ESP-in-UDP datagrams to the TUN device and TUN
 * packets to ESP-in-UDP.
 *
 * Without workers one loop runs on the control thread's event loop (lane
 * 0): it reads the TUN device when libevent says it is readable, and
 * src/net.c hands it the ESP of each receive batch (dp_esp_input, then
 * dp_esp_flush). With N workers each is a thread with its own TUN queue (the kernel
 * spreads flows over the queues of a multi-queue TUN device) and its own
 * UDP/4500 sockets in the SO_REUSEPORT group of the control thread's, and
 * a small classic BPF program on the group sends a datagram whose first
 * four bytes are an SPI s != 0 to worker 1 + s % N (group index; the
 * control thread's socket, bound first, is index 0) and everything else
 * (IKE after the non-ESP marker, keepalives, runts) to the control
 * thread. So an SA's inbound packets are all handled by one worker, and
 * IKE never touches a worker. Outbound, several workers may encrypt for
 * one SA at once (flows of one client on several queues): each has its
 * own cipher contexts (the SA's lane) and takes sequence numbers
 * atomically. No packet is handed from one thread to another, and nothing
 * here allocates per packet; what the control plane must hear is queued
 * as an event (src/dp/dp.h), never called.
 *
 * Faults of the TUN device (README "Faults"):
 *  - deleted under the daemon (ip link del): reads fail with EBADFD and
 *    the descriptor polls as an error for ever. The loop stops watching it
 *    and a DP_EV_TUN_GONE event (once) tells the control plane, which
 *    stops cygnet with exit status 1 so that the service manager starts
 *    it again.
 *  - set down (ip link set down): nothing is read, writes fail with EIO;
 *    they are counted and logged at most every DP_FAULT_LOG_INTERVAL
 *    seconds per loop. The privileged helper watches the link and puts
 *    the pool routes back when it is up again (helper.c).
 *  - EAGAIN/ENOBUFS on a write (the kernel's queue is full): the packet is
 *    dropped, counted, logged the same rate-limited way; never retried.
 *
 * A full UDP send buffer (EAGAIN on sendmmsg) pushes back, in both
 * shapes: the loop keeps what it could not send, stops reading the TUN
 * device and waits until the socket has room (a worker with epoll, the
 * main thread's loop with a libevent write event), sends the rest, then
 * reads again. Meanwhile the kernel's TUN queue holds the traffic and
 * drops from its tail, which TCP inside the tunnel feels as it would a
 * slow link; ESP already made is never dropped for want of room. */
#define _GNU_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>
#include <linux/filter.h>
#include <linux/if_tun.h>
#include <linux/udp.h>
#include <net/if.h>
#include <netinet/in.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <event2/event.h>

#include "src/dp/csum.h"
#include "src/dp/dp_int.h"
#include "src/dp/mss.h"
#include "src/dp/tso.h"
#include "src/log.h"
#include "src/udp.h"

#define DP_TX_SLOT (9216 + 256)         /* an ESP packet of a jumbo-frame TUN packet */

/* ESP packets of one TUN batch, sent with one sendmmsg per socket; with
 * UDP GSO, consecutive packets to the same peer from the same address and
 * of the same size (the last may be shorter) go as one message the kernel
 * cuts into datagrams (UDP_SEGMENT) */
struct dp_tx {
	int n;
	int fd[DP_BATCH];
	struct iovec iov[DP_BATCH];
	struct sockaddr_storage to[DP_BATCH];
	socklen_t tolen[DP_BATCH];
	size_t srclen[DP_BATCH];            /* of the source's ancillary data in cbuf */
	uint8_t cbuf[DP_BATCH][UDP_CBUF];
	/* the messages of a flush; next: the first not sent yet; blocked:
	 * the socket's buffer is full and they wait for it (workers only) */
	int nm, next;
	bool blocked;
	struct mmsghdr m[DP_BATCH];
	int mfd[DP_BATCH];
	uint8_t mcbuf[DP_BATCH][UDP_CBUF];
	uint8_t buf[DP_BATCH][DP_TX_SLOT];
};

#define GSO_MAX_SEGS 64                 /* UDP_MAX_SEGMENTS of Linux 6.1 */
_Static_assert(CMSG_SPACE(sizeof(struct in6_pktinfo)) + CMSG_SPACE(sizeof(uint16_t)) <= UDP_CBUF,
               "a message's ancillary data: its source and its segment size");

bool dp_gso_probe(int fd)
{
	int off = 0;    /* per message, not per socket: only asks whether it is known */
	return setsockopt(fd, IPPROTO_UDP, UDP_SEGMENT, &off, sizeof(off)) == 0;
}

struct dp_tx *dp_tx_new(void)
{
	/* not calloc: the buffers need no clearing; but every field a
	 * flush reads first must start clear (a stale `blocked` would stop
	 * the loop reading TUN for good) */
	struct dp_tx *tx = malloc(sizeof(*tx));
	if (tx) {
		tx->n = tx->nm = tx->next = 0;
		tx->blocked = false;
	}
	return tx;
}

#define RX_SLOT 65536                   /* bytes per received message (UDP GRO: up to 64 KiB) */
#define RX_BATCH 16                     /* messages per recvmmsg */

/* ---- per packet ---- */

/* a TCP SYN (mss_syn said it may be one) crossing the tunnel: its MSS
 * lowered to what fits (src/dp/mss.h), counted */
static void clamp_syn(struct dp_loop *l, uint8_t *pkt, size_t len)
{
	uint32_t m = atomic_load_explicit(&l->dp->mss, memory_order_relaxed);
	if (m && mss_clamp(pkt, len, (uint16_t)(m >> 16), (uint16_t)m) == MSS_CLAMPED)
		l->mss_clamped++;
}

static void tun_gone(struct dp_loop *l, const char *op, int e)
{
	struct dp *dp = l->dp;
	if (!dp->threaded && dp->ev_tun)
		event_del(dp->ev_tun);
	if (dp->threaded)
		epoll_ctl(l->epfd, EPOLL_CTL_DEL, l->tun_fd, NULL);
	if (atomic_exchange(&dp->tun_gone, true))
		return;         /* one event for all loops */
	struct dp_event ev = { .kind = DP_EV_TUN_GONE, .err = e, .op = op };
	dp_event_push(l, &ev);
}

static void tun_write(struct dp_loop *l, const uint8_t *pkt, size_t len)
{
	/* with offloads every packet starts with a virtio-net header; all
	 * zero: a whole packet, checksums complete */
	static const uint8_t none[TSO_HDR_LEN];
	struct iovec iov[2] = { { (void *)none, TSO_HDR_LEN }, { (void *)pkt, len } };
	bool vnet = l->dp->p.tun_vnet;
	if ((vnet ? writev(l->tun_fd, iov, 2) : write(l->tun_fd, pkt, len)) >= 0)
		return;
	int e = errno;
	if (e == EBADFD || e == ENODEV || e == ENXIO) {
		tun_gone(l, "write", e);
		return;
	}
	unsigned held;
	l->tun_write_err++;
	if (ratelog_ok(&l->rl_tun_write, now_sec(), DP_FAULT_LOG_INTERVAL, &held))
		log_err(LOG_TUN, "write to TUN %s: %s%s: dropped %u packet%s (%llu in all; "
		        "reported at most every %d s)", l->dp->tun_name, strerror(e),
		        e == EIO ? " (the device is down)" : "", held + 1, held ? "s" : "",
		        (unsigned long long)l->tun_write_err, DP_FAULT_LOG_INTERVAL);
}

static int sock_for(struct dp_loop *l, int family)
{
	struct dp *dp = l->dp;
	if (dp->threaded)
		return l->sock[family == AF_INET6];
	for (int i = 0; i < dp->p.n_socks; i++)
		if (dp->p.sock_family[i] == family)
			return dp->p.sock_fd[i];
	return -1;
}

/* a datagram was dropped by sendmsg/sendmmsg with errno e: counted, and
 * logged at most every DP_FAULT_LOG_INTERVAL s; never retried (the inner
 * flows retransmit) */
static void send_failed(struct dp_loop *l, int e)
{
	bool full = e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
	uint64_t *count = full ? &l->send_full : &l->send_err;
	unsigned held;
	(*count)++;
	if (ratelog_ok(full ? &l->rl_send_full : &l->rl_send_err, now_sec(),
	               DP_FAULT_LOG_INTERVAL, &held))
		log_err(LOG_NET, "sendmsg of ESP: %s%s: dropped %u packet%s (%llu in all; "
		        "reported at most every %d s)", strerror(e),
		        full ? " (send buffer full)" : "", held + 1, held ? "s" : "",
		        (unsigned long long)*count, DP_FAULT_LOG_INTERVAL);
}

static void esp_send(struct dp_loop *l, const struct esp_ep *ep, const uint8_t *buf, size_t len)
{
	int fd = sock_for(l, ep->peer.ss_family);
	if (fd < 0)
		return;
	int e = udp_send_from(fd, (const struct sockaddr *)&ep->local,
	                      (const struct sockaddr *)&ep->peer, ep->peer_len, buf, len);
	if (e)
		send_failed(l, e);
}

/* sends what tun_packet queued: one sendmmsg per run of packets for the
 * same socket */
/* packet j may join the GSO message that starts at packet i */
static bool gso_joins(const struct dp_tx *tx, int i, int j, size_t total)
{
	return j - i < GSO_MAX_SEGS && tx->fd[j] == tx->fd[i] && tx->tolen[j] == tx->tolen[i] &&
	       memcmp(&tx->to[j], &tx->to[i], tx->tolen[i]) == 0 &&
	       tx->srclen[j] == tx->srclen[i] &&
	       memcmp(tx->cbuf[j], tx->cbuf[i], tx->srclen[i]) == 0 &&
	       tx->iov[j].iov_len <= tx->iov[i].iov_len &&
	       tx->iov[j - 1].iov_len == tx->iov[i].iov_len &&     /* only the last is short */
	       total + tx->iov[j].iov_len <= 65000;
}

/* the messages of the queued packets: one per packet, or one per GSO run */
static int tx_messages(struct dp_loop *l)
{
	struct dp_tx *tx = l->tx;
	bool gso = atomic_load_explicit(&l->dp->gso, memory_order_relaxed);
	int nm = 0;
	for (int i = 0; i < tx->n;) {
		int j = i + 1;
		size_t total = tx->iov[i].iov_len;
		while (gso && j < tx->n && gso_joins(tx, i, j, total))
			total += tx->iov[j++].iov_len;
		struct msghdr *h = &tx->m[nm].msg_hdr;
		*h = (struct msghdr){
			.msg_name = &tx->to[i], .msg_namelen = tx->tolen[i],
			.msg_iov = &tx->iov[i], .msg_iovlen = (size_t)(j - i),
			.msg_control = tx->mcbuf[nm], .msg_controllen = tx->srclen[i],
		};
		memcpy(tx->mcbuf[nm], tx->cbuf[i], tx->srclen[i]);
		if (j - i > 1) {
			/* after the source: the segment size */
			struct cmsghdr *c = (struct cmsghdr *)(tx->mcbuf[nm] + tx->srclen[i]);
			uint16_t seg = (uint16_t)tx->iov[i].iov_len;
			c->cmsg_level = IPPROTO_UDP;
			c->cmsg_type = UDP_SEGMENT;
			c->cmsg_len = CMSG_LEN(sizeof(seg));
			memcpy(CMSG_DATA(c), &seg, sizeof(seg));
			h->msg_controllen += CMSG_SPACE(sizeof(seg));
		}
		tx->m[nm].msg_len = 0;
		tx->mfd[nm++] = tx->fd[i];
		i = j;
	}
	return nm;
}

/* Sends the flush's messages from tx->next on: one sendmmsg per run of
 * messages for the same socket. A full send buffer (EAGAIN) pushes back:
 * what is left waits (tx->blocked) and the loop stops reading the TUN
 * device until the socket is writable again (so the kernel's own queues
 * hold the traffic and TCP feels it), and sends it then (pushback). */
static void tx_send(struct dp_loop *l)
{
	struct dp_tx *tx = l->tx;
	int i = tx->next;
	while (i < tx->nm) {
		int j = i;
		while (j < tx->nm && tx->mfd[j] == tx->mfd[i])
			j++;
		while (i < j) {
			int r = sendmmsg(tx->mfd[i], &tx->m[i], (unsigned)(j - i), 0);
			if (r > 0) {
				i += r;
				continue;
			}
			if (r < 0 && errno == EINTR)
				continue;
			int e = r < 0 ? errno : EIO;
			struct msghdr *h = &tx->m[i].msg_hdr;
			if (e == EAGAIN || e == EWOULDBLOCK) {
				tx->next = i;
				tx->blocked = true;
				l->pushbacks++;
				return;
			}
			if (h->msg_iovlen > 1 && (e == EINVAL || e == EIO || e == ENOPROTOOPT)) {
				/* the kernel refuses GSO here: no more of it, and
				 * this message's packets one by one */
				atomic_store(&l->dp->gso, false);
				log_err(LOG_NET, "UDP GSO refused (%s): sending ESP one datagram at a "
				        "time", strerror(e));
				for (size_t k = 0; k < h->msg_iovlen; k++) {
					struct msghdr one = *h;
					one.msg_iov = &h->msg_iov[k];
					one.msg_iovlen = 1;
					one.msg_controllen -= CMSG_SPACE(sizeof(uint16_t));
					if (sendmsg(tx->mfd[i], &one, 0) < 0)
						send_failed(l, errno);
				}
			} else {
				for (size_t k = 0; k < h->msg_iovlen; k++)
					send_failed(l, e);
			}
			i++;    /* go on with the rest */
		}
	}
	tx->n = tx->nm = tx->next = 0;
	tx->blocked = false;
}

static void tx_flush(struct dp_loop *l)
{
	struct dp_tx *tx = l->tx;
	if (tx->blocked)
		return;
	tx->nm = tx_messages(l);
	tx->next = 0;
	tx_send(l);
}

/* authenticated ESP from an address the SA does not send to: a NAT may
 * have given the peer a new address or port; the control plane decides
 * whether to follow (and then moves the SA and its siblings) */
static void peer_moved(struct dp_loop *l, struct esp_sa *sa, const struct sockaddr *peer,
                       socklen_t peer_len, uint64_t now)
{
	if (atomic_load_explicit(&sa->move_pending, memory_order_relaxed) &&
	    now - atomic_load_explicit(&sa->move_told_at, memory_order_relaxed) < DP_MOVE_RETELL)
		return;
	struct dp_event ev = { .kind = DP_EV_PEER_MOVED, .owner = atomic_load(&sa->owner),
	                       .spi_in = sa->spi_in, .peer_len = peer_len };
	memcpy(&ev.peer, peer, peer_len);
	if (dp_event_push(l, &ev)) {
		atomic_store(&sa->move_pending, true);
		atomic_store(&sa->move_told_at, now);
	}
}

static void gro_flush(struct dp_loop *l);

void dp_loop_esp(struct dp_loop *l, uint8_t *buf, size_t len, const struct sockaddr *peer,
                 socklen_t peer_len)
{
	struct dp *dp = l->dp;
	if (len < 8 || peer_len > sizeof(struct sockaddr_storage))
		return;
	uint32_t spi = (uint32_t)buf[0] << 24 | (uint32_t)buf[1] << 16 |
	               (uint32_t)buf[2] << 8 | buf[3];
	struct esp_sa *sa = esp_table_by_spi(dp->t, spi);
	if (!sa) {
		if (l->unknown_spi++ % 1000 == 0)
			log_dbg(LOG_ESP, "ESP packet for unknown SPI %08x, dropped (%llu so far)", spi,
			        (unsigned long long)l->unknown_spi);
		return;
	}
	uint8_t *inner;
	size_t innerlen;
	uint64_t now = now_sec();
	uint64_t before = atomic_load_explicit(&sa->last_in, memory_order_relaxed);
	int rc = esp_decap_lane(sa, l->lane, buf, len, &inner, &innerlen, now);
	/* last_in moves only for a packet that authenticated and was no replay */
	if (rc >= 0 || atomic_load_explicit(&sa->last_in, memory_order_relaxed) != before) {
		const struct esp_ep *ep = atomic_load_explicit(&sa->ep, memory_order_acquire);
		if (ep && (peer_len != ep->peer_len || memcmp(peer, &ep->peer, peer_len) != 0))
			peer_moved(l, sa, peer, peer_len, now);
	}
	if (rc >= 0)
		l->esp_in++;
	if (rc != 1)
		return;
	/* the peer's SYN, or its SYN-ACK to a SYN from our side (a SYN is
	 * never coalesced below: only ACK and PSH segments are) */
	if (mss_syn(inner, innerlen))
		clamp_syn(l, inner, innerlen);
	if (l->gro) {
		/* held until the batch ends, to be written coalesced */
		if (l->nq == DP_GRO_MAX)
			gro_flush(l);
		l->q_ptr[l->nq] = inner;
		l->q_len[l->nq++] = innerlen;
		return;
	}
	tun_write(l, inner, innerlen);
}

/* ---- coalescing what goes to the TUN device ----
 * The decrypted packets of one receive batch that continue one another in
 * one TCP flow are written as one super-packet with a virtio-net header
 * asking the kernel to segment it (gso_type TCPv4/TCPv6, gso_size the
 * segment size), as its GRO does for a NIC: the kernel then forwards one
 * packet instead of dozens. Only plain data segments qualify (ACK, and
 * PSH on the last; no other flag, no IPv4 options or fragments, no IPv6
 * extension headers), and only when they agree on everything but length,
 * id and checksums (addresses, ports, TOS/TTL, acknowledgement, window,
 * TCP options) with contiguous sequence numbers, every one but the last
 * exactly gso_size long. Anything else is written as it is. */

struct flow {
	const uint8_t *ip;
	size_t ihl, thl, plen;          /* IP header, TCP header, data bytes */
	bool v4;
};

static uint32_t be32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* a plain TCP data segment that may be coalesced; *f filled */
static bool gro_candidate(const uint8_t *ip, size_t len, struct flow *f)
{
	if (len < 40)
		return false;
	f->ip = ip;
	if (ip[0] == 0x45) {
		if (ip[9] != 6 || (ip[6] & 0x3f) || ip[7] || (size_t)(ip[2] << 8 | ip[3]) != len)
			return false;       /* not TCP, a fragment, or a length that lies */
		f->v4 = true;
		f->ihl = 20;
	} else if (ip[0] >> 4 == 6) {
		if (ip[6] != 6 || len < 60 || (size_t)(ip[4] << 8 | ip[5]) + 40 != len)
			return false;
		f->v4 = false;
		f->ihl = 40;
	} else {
		return false;
	}
	const uint8_t *th = ip + f->ihl;
	f->thl = (size_t)(th[12] >> 4) * 4;
	if (f->thl < 20 || f->ihl + f->thl >= len)
		return false;               /* no data */
	f->plen = len - f->ihl - f->thl;
	uint8_t flags = th[13];
	return (flags & 0x10) && !(flags & ~(0x10 | 0x08));   /* ACK, maybe PSH */
}

/* b continues a's flow: same header fields but length, id, checksums,
 * sequence number and PSH */
static bool gro_same_flow(const struct flow *a, const struct flow *b)
{
	if (a->v4 != b->v4 || a->thl != b->thl)
		return false;
	const uint8_t *x = a->ip, *y = b->ip;
	if (a->v4) {
		if (x[1] != y[1] || x[6] != y[6] || x[8] != y[8] || memcmp(x + 12, y + 12, 8) != 0)
			return false;
	} else if (memcmp(x, y, 4) != 0 || x[7] != y[7] || memcmp(x + 8, y + 8, 32) != 0) {
		return false;
	}
	const uint8_t *s = x + a->ihl, *t = y + b->ihl;
	return memcmp(s, t, 4) == 0 &&                  /* ports */
	       memcmp(s + 8, t + 8, 4) == 0 &&          /* acknowledgement */
	       s[12] == t[12] && memcmp(s + 14, t + 14, 2) == 0 &&  /* offset, window */
	       memcmp(s + 20, t + 20, a->thl - 20) == 0;            /* options */
}

/* writes packets idx[0..n) (one flow, in order) as one super-packet */
static void gro_write(struct dp_loop *l, const int *idx, int n, const struct flow *first)
{
	if (n == 1) {
		tun_write(l, l->q_ptr[idx[0]], l->q_len[idx[0]]);
		return;
	}
	uint8_t *ip = l->q_ptr[idx[0]];
	size_t hdrs = first->ihl + first->thl, total = l->q_len[idx[0]];
	for (int k = 1; k < n; k++)
		total += l->q_len[idx[k]] - hdrs;
	uint8_t saved[120];
	memcpy(saved, ip, hdrs);
	uint8_t *th = ip + first->ihl;
	/* the last segment's PSH for the whole */
	th[13] |= l->q_ptr[idx[n - 1]][first->ihl + 13] & 0x08;
	uint64_t ps;
	if (first->v4) {
		ip[2] = (uint8_t)(total >> 8);
		ip[3] = (uint8_t)total;
		ip[10] = ip[11] = 0;
		uint16_t c = (uint16_t)~csum_fold(csum_add(0, ip, 20));
		ip[10] = (uint8_t)(c >> 8);
		ip[11] = (uint8_t)c;
		ps = csum_add(0, ip + 12, 8);
	} else {
		ip[4] = (uint8_t)((total - 40) >> 8);
		ip[5] = (uint8_t)(total - 40);
		ps = csum_add(0, ip + 8, 32);
	}
	/* a partial checksum: the pseudo-header's sum, the kernel adds the
	 * rest per segment */
	uint16_t pc = csum_fold(ps + 6 + (total - first->ihl));
	th[16] = (uint8_t)(pc >> 8);
	th[17] = (uint8_t)pc;
	uint8_t vh[TSO_HDR_LEN] = { 1, first->v4 ? 1 : 4 };
	vh[2] = (uint8_t)hdrs;
	vh[4] = (uint8_t)first->plen;
	vh[5] = (uint8_t)(first->plen >> 8);
	vh[6] = (uint8_t)first->ihl;
	vh[8] = 16;
	struct iovec iov[2 + DP_GRO_MAX];
	iov[0] = (struct iovec){ vh, TSO_HDR_LEN };
	iov[1] = (struct iovec){ ip, l->q_len[idx[0]] };
	for (int k = 1; k < n; k++)
		iov[1 + k] = (struct iovec){ l->q_ptr[idx[k]] + hdrs, l->q_len[idx[k]] - hdrs };
	if (writev(l->tun_fd, iov, 1 + n) >= 0) {
		l->tun_coalesced += (uint64_t)n;
		return;
	}
	/* refused (or the device is down): each on its own, as they came */
	memcpy(ip, saved, hdrs);
	for (int k = 0; k < n; k++)
		tun_write(l, l->q_ptr[idx[k]], l->q_len[idx[k]]);
}

static void gro_flush(struct dp_loop *l)
{
	int n = l->nq;
	bool used[DP_GRO_MAX] = { false };
	int idx[DP_GRO_MAX];
	for (int i = 0; i < n; i++) {
		if (used[i])
			continue;
		used[i] = true;
		struct flow f, g;
		bool lone = !gro_candidate(l->q_ptr[i], l->q_len[i], &f) ||
		            (l->q_ptr[i][f.ihl + 13] & 0x08);     /* PSH ends a run */
		if (lone) {
			tun_write(l, l->q_ptr[i], l->q_len[i]);
			continue;
		}
		int m = 0;
		idx[m++] = i;
		size_t total = l->q_len[i];
		uint32_t next = be32(l->q_ptr[i] + f.ihl + 4) + (uint32_t)f.plen;
		for (int j = i + 1; j < n; j++) {
			if (used[j] || !gro_candidate(l->q_ptr[j], l->q_len[j], &g) ||
			    !gro_same_flow(&f, &g))
				continue;
			/* the same flow: it continues the run, or ends it */
			if (be32(l->q_ptr[j] + g.ihl + 4) != next || g.plen > f.plen ||
			    total + g.plen > 65535 - 64)
				break;
			used[j] = true;
			idx[m++] = j;
			total += g.plen;
			next += (uint32_t)g.plen;
			if (g.plen < f.plen || (l->q_ptr[j][g.ihl + 13] & 0x08))
				break;          /* a short or pushed segment is the last */
		}
		gro_write(l, idx, m, &f);
	}
	l->nq = 0;
}

/* what the control plane must hear about an SA's sequence numbers; an
 * event the queue could not take is raised again by the next packet */
static void seq_report(struct dp_loop *l, struct esp_sa *sa)
{
	enum esp_seq_event e = esp_seq_event(sa);
	if (e == ESP_SEQ_NONE)
		return;
	struct dp_event ev = { .kind = e == ESP_SEQ_EXHAUSTED ? DP_EV_SEQ_EXHAUSTED
	                                                      : DP_EV_SEQ_NEAR_END,
	                       .owner = atomic_load(&sa->owner), .spi_in = sa->spi_in };
	if (!dp_event_push(l, &ev)) {
		if (e == ESP_SEQ_EXHAUSTED)
			atomic_store(&sa->seq_exhausted_told, false);
		else
			atomic_store(&sa->seq_near_end_told, false);
	}
}

static void tun_packet(struct dp_loop *l, uint8_t *pkt, size_t n)
{
	struct dp *dp = l->dp;
	/* the destination's SA whose selectors allow the packet (a refusal
	 * is counted in drop_ts_out) */
	struct esp_sa *sa = esp_table_out(dp->t, l->lane, pkt, n);
	if (!sa)
		return;
	/* a SYN or SYN-ACK for the peer: after the checksum offload was
	 * completed (tun_batch), before encryption; a super-segment never
	 * carries SYN (the kernel segments only established flows), and
	 * its segments come here one by one anyway */
	if (mss_syn(pkt, n))
		clamp_syn(l, pkt, n);
	const struct esp_ep *ep = atomic_load_explicit(&sa->ep, memory_order_acquire);
	int fd = ep ? sock_for(l, ep->peer.ss_family) : -1;
	struct dp_tx *tx = l->tx;
	if (tx && tx->blocked) {
		/* the rest of a super-segment whose first segments filled the
		 * send buffer: no room to keep it */
		l->send_full++;
		return;
	}
	bool batch = tx && fd >= 0 && n + 256 <= DP_TX_SLOT;
	uint8_t *o = batch ? tx->buf[tx->n] : l->out;
	long len = esp_encap_lane(sa, l->lane, pkt, n, o, batch ? DP_TX_SLOT : sizeof(l->out));
	if (atomic_load_explicit(&sa->seq_out, memory_order_relaxed) > ESP_SEQ_REKEY)
		seq_report(l, sa);
	if (len < 0 || fd < 0)
		return;
	l->esp_out++;
	if (!batch) {
		esp_send(l, ep, o, (size_t)len);
		return;
	}
	int k = tx->n++;
	tx->fd[k] = fd;
	memcpy(&tx->to[k], &ep->peer, ep->peer_len);
	tx->tolen[k] = ep->peer_len;
	tx->iov[k] = (struct iovec){ o, (size_t)len };
	struct msghdr src = { 0 };
	udp_set_source(&src, tx->cbuf[k], (const struct sockaddr *)&ep->local);
	tx->srclen[k] = src.msg_controllen;
	if (tx->n == DP_BATCH)
		tx_flush(l);
}

static void seg_out(void *arg, uint8_t *seg, size_t len)
{
	tun_packet(arg, seg, len);
}

/* reads up to DP_BATCH packets and sends their ESP packets together;
 * false when the device is gone */
static bool tun_batch(struct dp_loop *l)
{
	bool alive = true;
	for (int i = 0; i < DP_BATCH && !(l->tx && l->tx->blocked); i++) {
		ssize_t n = read(l->tun_fd, l->pkt, sizeof(l->pkt));
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
			break;
		if (n <= 0) {
			/* EBADFD once deleted; a TUN never reads 0 bytes otherwise */
			tun_gone(l, "read", n == 0 ? ENODEV : errno);
			alive = false;
			break;
		}
		if (!l->dp->p.tun_vnet) {
			tun_packet(l, l->pkt, (size_t)n);
			continue;
		}
		/* offloads: a header first; a partial checksum to complete,
		 * or a TCP super-segment to cut into MSS-sized segments */
		struct tso_hdr h;
		if ((size_t)n < TSO_HDR_LEN)
			continue;
		tso_hdr_read(l->pkt, &h);
		uint8_t *ip = l->pkt + TSO_HDR_LEN;
		size_t iplen = (size_t)n - TSO_HDR_LEN;
		if (h.gso_type == 0) {
			if (tso_csum(ip, iplen, &h) == 0)
				tun_packet(l, ip, iplen);
			else
				l->tun_bad++;
		} else if (tso_split(ip, iplen, &h, l->seg, sizeof(l->seg), seg_out, l) < 0) {
			l->tun_bad++;
		} else {
			l->tun_super++;
		}
	}
	if (l->tx && l->tx->n && !l->tx->blocked)
		tx_flush(l);
	return alive;
}

/* the main thread's loop: while a send waits for room, libevent watches
 * that socket for room instead of the TUN device; afterwards the other
 * way round (as the workers' pushback below does with epoll) */
static void main_pushback(struct dp_loop *l)
{
	struct dp *dp = l->dp;
	bool want = l->tx->blocked;
	if (want == l->waiting_out)
		return;
	int fd = want ? l->tx->mfd[l->tx->next] : l->waiting_fd, k = 0;
	while (k < dp->p.n_socks && dp->p.sock_fd[k] != fd)
		k++;
	if (k == dp->p.n_socks || !dp->ev_out[k])
		return;         /* not one of ours: cannot happen */
	if (want)
		event_add(dp->ev_out[k], NULL);
	else
		event_del(dp->ev_out[k]);
	if (dp->ev_tun && !atomic_load(&dp->tun_gone)) {
		if (want)
			event_del(dp->ev_tun);
		else
			event_add(dp->ev_tun, NULL);
	}
	l->waiting_out = want;
	l->waiting_fd = fd;
}

void dp_on_tun(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dp_loop *l = arg;
	tun_batch(l);
	main_pushback(l);
}

void dp_on_sock_writable(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct dp_loop *l = arg;
	if (l->tx->blocked)
		tx_send(l);
	main_pushback(l);
}

void dp_loop_flush(struct dp_loop *l)
{
	if (l->nq)
		gro_flush(l);
}

/* ---- worker threads ---- */

/* messages of one recvmmsg: each one datagram, or with UDP GRO several
 * of one sender (udp_gro_segment) */
struct rx {
	struct mmsghdr m[RX_BATCH];
	struct iovec iov[RX_BATCH];
	struct sockaddr_storage from[RX_BATCH];
	uint8_t cbuf[RX_BATCH][UDP_GRO_CBUF];
	uint8_t buf[RX_BATCH][RX_SLOT];
};

static void udp_batch(struct dp_loop *l, int fd, struct rx *rx)
{
	for (int i = 0; i < RX_BATCH; i++) {
		rx->iov[i] = (struct iovec){ rx->buf[i], RX_SLOT };
		rx->m[i].msg_hdr = (struct msghdr){
			.msg_name = &rx->from[i], .msg_namelen = sizeof(rx->from[i]),
			.msg_iov = &rx->iov[i], .msg_iovlen = 1,
			.msg_control = rx->cbuf[i], .msg_controllen = sizeof(rx->cbuf[i]),
		};
	}
	int n = recvmmsg(fd, rx->m, RX_BATCH, MSG_DONTWAIT, NULL);
	for (int i = 0; i < n; i++) {
		struct msghdr *h = &rx->m[i].msg_hdr;
		size_t len = rx->m[i].msg_len;
		if (h->msg_flags & MSG_TRUNC)
			continue;       /* larger than any ESP packet we accept */
		size_t seg = udp_gro_segment(h);
		if (!seg || seg > len)
			seg = len;
		if (seg < len)
			l->udp_coalesced++;
		for (size_t off = 0; off < len; off += seg) {
			uint8_t *p = rx->buf[i] + off;
			size_t plen = len - off < seg ? len - off : seg;
			/* steering sends only SPI != 0 here; should anything
			 * else arrive (the program replaced), it is not ESP */
			if (plen < 8 || (p[0] | p[1] | p[2] | p[3]) == 0)
				continue;
			dp_loop_esp(l, p, plen, (struct sockaddr *)&rx->from[i], h->msg_namelen);
		}
	}
	if (l->nq)
		gro_flush(l);
}

/* a quiescent point: nothing this loop looked up before is held now */
static void quiesce(struct dp_loop *l, uint64_t v)
{
	atomic_store(&l->seen, v);      /* seq_cst: before any later table read */
}

/* while a send waits for room, the worker watches that socket for room
 * and not the TUN device; afterwards the other way round */
static void pushback(struct dp_loop *l)
{
	struct dp_tx *tx = l->tx;
	bool want = tx->blocked;
	if (want == l->waiting_out)
		return;
	int fd = want ? tx->mfd[tx->next] : l->waiting_fd;
	struct epoll_event ev = { .events = EPOLLIN | (want ? EPOLLOUT : 0), .data.fd = fd };
	epoll_ctl(l->epfd, EPOLL_CTL_MOD, fd, &ev);
	if (!atomic_load(&l->dp->tun_gone)) {
		struct epoll_event tev = { .events = EPOLLIN, .data.fd = l->tun_fd };
		epoll_ctl(l->epfd, want ? EPOLL_CTL_DEL : EPOLL_CTL_ADD, l->tun_fd, &tev);
	}
	l->waiting_out = want;
	l->waiting_fd = fd;
}

void *dp_worker_main(void *arg)
{
	struct dp_loop *l = arg;
	struct dp *dp = l->dp;
	struct rx *rx = malloc(sizeof(*rx));   /* once per thread */
	struct epoll_event evs[4];
	if (!rx) {
		log_err(LOG_ESP, "data plane: worker %d: out of memory", l->lane);
		quiesce(l, DP_OFFLINE);
		return NULL;
	}
	for (;;) {
		quiesce(l, DP_OFFLINE);
		int n = epoll_wait(l->epfd, evs, 4, -1);
		quiesce(l, esp_table_epoch(dp->t));
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			int fd = evs[i].data.fd;
			if (fd == dp->stop_fd)
				goto out;
			if (fd == l->tun_fd) {
				if (evs[i].events & (EPOLLERR | EPOLLHUP) && !(evs[i].events & EPOLLIN))
					tun_gone(l, "read", EBADFD);
				else if (!l->tx->blocked)
					tun_batch(l);
			} else {
				if ((evs[i].events & EPOLLOUT) && l->tx->blocked)
					tx_send(l);
				if (evs[i].events & EPOLLIN)
					udp_batch(l, fd, rx);
			}
			quiesce(l, esp_table_epoch(dp->t));
		}
		pushback(l);
	}
out:
	quiesce(l, DP_OFFLINE);
	free(rx);
	return NULL;
}

/* classic BPF for the SO_REUSEPORT group: A = the first 4 bytes of the
 * UDP payload (the program sees the payload; a shorter one ends the
 * program with 0); 0 (IKE's non-ESP marker) -> 0, else 1 + A % n */
static int attach_steering(int fd, int n)
{
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, 0, 3, 0),
		BPF_STMT(BPF_ALU | BPF_MOD | BPF_K, (uint32_t)n),
		BPF_STMT(BPF_ALU | BPF_ADD | BPF_K, 1),
		BPF_STMT(BPF_RET | BPF_A, 0),
		BPF_STMT(BPF_RET | BPF_K, 0),
	};
	struct sock_fprog prog = { sizeof(code) / sizeof(code[0]), code };
	return setsockopt(fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &prog, sizeof(prog));
}

/* UDP GRO: the kernel may hand several datagrams of one sender over in
 * one message (udp_batch splits them) */
static int worker_socket(int family, uint16_t port)
{
	int fd = udp_bind(family, port, UDP_BIND_REUSEPORT | UDP_BIND_GRO);
	return fd < 0 ? -1 : fd;
}

static int watch(int epfd, int fd)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.fd = fd };
	return epoll_ctl(epfd, EPOLL_CTL_ADD, fd, &ev);
}

/* without steering, workers cannot own the UDP side: undo, and let the
 * event loop serve every packet from TUN queue 0 (the other queues are
 * detached so the kernel does not queue packets nobody reads) */
static void fall_back(struct dp *dp, const char *why)
{
	log_err(LOG_ESP, "data plane: %s; all packets are handled by the main thread", why);
	for (int i = 0; i < dp->n_loops; i++) {
		struct dp_loop *l = &dp->loops[i];
		for (int k = 0; k < 2; k++)
			if (l->sock[k] >= 0)
				close(l->sock[k]);
		l->sock[0] = l->sock[1] = -1;
		if (l->epfd >= 0)
			close(l->epfd);
		l->epfd = -1;
		if (i > 0) {
			struct ifreq ifr = { .ifr_flags = IFF_DETACH_QUEUE };
			ioctl(l->tun_fd, TUNSETQUEUE, &ifr);
		}
	}
	dp->threaded = false;
	dp->n_loops = 1;
	dp->p.tun_fd = dp->loops[0].tun_fd;
}

int dp_workers_open(struct dp *dp, char *err, size_t errlen)
{
	int fams[2] = { AF_INET, AF_INET6 };
	bool have[2] = { false, false };
	for (int i = 0; i < dp->p.n_socks; i++)
		have[dp->p.sock_family[i] == AF_INET6] = true;
	for (int i = 0; i < dp->n_loops; i++) {
		struct dp_loop *l = &dp->loops[i];
		l->epfd = epoll_create1(EPOLL_CLOEXEC);
		if (l->epfd < 0 || watch(l->epfd, dp->stop_fd) != 0 || watch(l->epfd, l->tun_fd) != 0) {
			snprintf(err, errlen, "data plane: epoll: %s", strerror(errno));
			return -1;
		}
		for (int k = 0; k < 2; k++) {
			if (!have[k])
				continue;
			l->sock[k] = worker_socket(fams[k], dp->p.natt_port);
			if (l->sock[k] < 0) {
				fall_back(dp, "no UDP socket of its own for a worker (SO_REUSEPORT)");
				return 0;
			}
			if (watch(l->epfd, l->sock[k]) != 0) {
				snprintf(err, errlen, "data plane: epoll: %s", strerror(errno));
				return -1;
			}
		}
	}
	for (int k = 0; k < 2; k++) {
		if (have[k] && attach_steering(dp->loops[0].sock[k], dp->n_loops) != 0) {
			char why[128];
			snprintf(why, sizeof(why), "cannot steer ESP to workers (SO_ATTACH_REUSEPORT_CBPF: "
			         "%s)", strerror(errno));
			fall_back(dp, why);
			return 0;
		}
	}
	log_info(LOG_ESP, "data plane: %d worker thread%s, each with a TUN queue and UDP "
	         "sockets of its own, ESP steered by SPI", dp->n_loops, dp->n_loops == 1 ? "" : "s");
	return 0;
}
