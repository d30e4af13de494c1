/* UDP sockets: receive, demultiplex IKE / ESP / keepalive, send. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/ike.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/net.h"
#include "src/udp.h"

#define NET_BATCH 16        /* messages per recvmmsg */
#define NET_ROUNDS 4        /* recvmmsg calls per wake-up: one busy socket cannot starve the loop */
#define NET_SLOT 65536      /* a message: one datagram, or with UDP GRO several of one sender */

/* the messages of one recvmmsg (net_open allocates it once per daemon) */
struct net_rx {
	struct mmsghdr m[NET_BATCH];
	struct iovec iov[NET_BATCH];
	struct sockaddr_storage peer[NET_BATCH];
	uint8_t cbuf[NET_BATCH][CMSG_SPACE(sizeof(struct in6_pktinfo)) + UDP_GRO_CBUF];
	uint8_t buf[NET_BATCH][NET_SLOT];
};

/* the address a message was sent to (IP_PKTINFO), with the socket's port */
static socklen_t local_of(const struct udp_sock *s, struct msghdr *h, struct sockaddr_storage *local)
{
	memset(local, 0, sizeof(*local));
	local->ss_family = (sa_family_t)s->family;
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in *)local)->sin_addr = pi.ipi_addr;
		} else if (c->cmsg_level == IPPROTO_IPV6 && c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			((struct sockaddr_in6 *)local)->sin6_addr = pi.ipi6_addr;
		}
	}
	addr_set_port(local, s->port);
	return s->family == AF_INET ? sizeof(struct sockaddr_in) : sizeof(struct sockaddr_in6);
}

/* one datagram */
static void datagram(const struct udp_sock *s, uint8_t *buf, size_t len,
                     const struct sockaddr *peer, socklen_t peer_len,
                     const struct sockaddr *local, socklen_t llen)
{
	if (!s->natt) {
		ike_input(s->d, buf, len, peer, peer_len, local, llen);
		return;
	}
	/* the NAT-T port (RFC 3948 §2): keepalive, IKE after the non-ESP
	 * marker, or ESP */
	if (len == 1 && buf[0] == 0xff)
		return;
	if (len >= 4 && buf[0] == 0 && buf[1] == 0 && buf[2] == 0 && buf[3] == 0) {
		ike_input(s->d, buf + 4, len - 4, peer, peer_len, local, llen);
		return;
	}
	dp_esp_input(s->d->dp, buf, len, peer, peer_len);
}

static void on_readable(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct udp_sock *s = arg;
	struct net_rx *rx = s->d->rx;
	for (int round = 0; round < NET_ROUNDS; round++) {
		for (int i = 0; i < NET_BATCH; i++) {
			rx->iov[i] = (struct iovec){ rx->buf[i], NET_SLOT };
			rx->m[i].msg_hdr = (struct msghdr){
				.msg_name = &rx->peer[i], .msg_namelen = sizeof(rx->peer[i]),
				.msg_iov = &rx->iov[i], .msg_iovlen = 1,
				.msg_control = rx->cbuf[i], .msg_controllen = sizeof(rx->cbuf[i]),
			};
		}
		int n = recvmmsg(fd, rx->m, NET_BATCH, MSG_DONTWAIT, NULL);
		if (n < 0) {
			if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
				log_err(LOG_NET, "recvmmsg: %s", strerror(errno));
			return;
		}
		for (int i = 0; i < n; i++) {
			struct msghdr *h = &rx->m[i].msg_hdr;
			size_t len = rx->m[i].msg_len;
			if (h->msg_flags & MSG_TRUNC)
				continue;
			struct sockaddr_storage local;
			socklen_t llen = local_of(s, h, &local);
			size_t seg = udp_gro_segment(h);
			if (!seg || seg > len)
				seg = len;
			if (seg < len && s->natt)
				dp_esp_coalesced(s->d->dp);
			for (size_t off = 0; off < len; off += seg)
				datagram(s, rx->buf[i] + off, len - off < seg ? len - off : seg,
				         (struct sockaddr *)&rx->peer[i], h->msg_namelen,
				         (struct sockaddr *)&local, llen);
		}
		/* the batch's decrypted packets go to the TUN device before the
		 * buffers are used again */
		if (s->natt)
			dp_esp_flush(s->d->dp);
		if (n < NET_BATCH)
			return;
	}
}

static int open_one(struct daemon *d, int family, uint16_t port, bool natt, char *err,
                    size_t errlen)
{
	/* the data plane's worker threads bind sockets of their own on the
	 * NAT-T port in one SO_REUSEPORT group with this one (src/dp/dp_io.c) */
	int flags = UDP_BIND_PKTINFO | (natt ? UDP_BIND_GRO : 0) |
	            (natt && d->reuseport ? UDP_BIND_REUSEPORT : 0);
	int fd = udp_bind(family, port, flags);
	if (fd < 0) {
		int e = -fd;
		if (family == AF_INET6 && (e == EAFNOSUPPORT || e == EPROTONOSUPPORT ||
		                           e == EADDRNOTAVAIL)) {
			log_err(LOG_NET, "no IPv6 on this host: serving IPv4 only");
			return 1;
		}
		snprintf(err, errlen, "bind UDP port %u (IPv%d): %s%s", port,
		         family == AF_INET ? 4 : 6, strerror(e),
		         e == EACCES ? " (ports below 1024 need CAP_NET_BIND_SERVICE)" : "");
		return -1;
	}
	struct udp_sock *s = &d->socks[d->n_socks];
	s->fd = fd;
	s->family = family;
	s->port = port;
	s->natt = natt;
	s->d = d;
	s->ev = event_new(d->base, fd, EV_READ | EV_PERSIST, on_readable, s);
	if (!s->ev || event_add(s->ev, NULL) != 0) {
		close(fd);
		snprintf(err, errlen, "event_add failed");
		return -1;
	}
	d->n_socks++;
	return 0;
}

int net_open(struct daemon *d, uint16_t port_ike, uint16_t port_natt, char *err, size_t errlen)
{
	if (!d->rx && !(d->rx = malloc(sizeof(*d->rx)))) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (open_one(d, AF_INET, port_ike, false, err, errlen) != 0 ||
	    open_one(d, AF_INET, port_natt, true, err, errlen) != 0)
		return -1;
	int rc = open_one(d, AF_INET6, port_ike, false, err, errlen);
	if (rc < 0)
		return -1;
	if (rc == 0 && open_one(d, AF_INET6, port_natt, true, err, errlen) != 0)
		return -1;
	log_info(LOG_NET, "listening on UDP %u and %u (IPv4%s)", port_ike, port_natt,
	         d->n_socks > 2 ? " and IPv6" : " only");
	return 0;
}

void net_close(struct daemon *d)
{
	for (int i = 0; i < d->n_socks; i++) {
		if (d->socks[i].ev)
			event_free(d->socks[i].ev);
		close(d->socks[i].fd);
	}
	d->n_socks = 0;
	free(d->rx);
	d->rx = NULL;
}

int net_send(struct daemon *d, const struct sockaddr *local, const struct sockaddr *peer,
             socklen_t peerlen, const uint8_t *buf, size_t len)
{
	uint16_t port = local->sa_family == AF_INET
		? ntohs(((const struct sockaddr_in *)local)->sin_port)
		: ntohs(((const struct sockaddr_in6 *)local)->sin6_port);
	struct udp_sock *s = NULL;
	for (int i = 0; i < d->n_socks; i++)
		if (d->socks[i].family == peer->sa_family && d->socks[i].port == port)
			s = &d->socks[i];
	if (!s)
		return -1;
	int e = udp_send_from(s->fd, local, peer, peerlen, buf, len);
	if (e) {
		/* dropped, never retried here: a full buffer under load is what
		 * UDP does; IKE retransmits */
		bool full = e == EAGAIN || e == EWOULDBLOCK || e == ENOBUFS;
		uint64_t *count = full ? &d->n_send_full : &d->n_send_err;
		unsigned held;
		(*count)++;
		if (ratelog_ok(full ? &d->rl_send_full : &d->rl_send_err, now_sec(),
		               FAULT_LOG_INTERVAL, &held))
			log_err(LOG_NET, "sendmsg on UDP %u: %s%s: dropped %u datagram%s (%llu in "
			        "all; reported at most every %d s)", port, strerror(e),
			        full ? " (send buffer full)" : "", held + 1, held ? "s" : "",
			        (unsigned long long)*count, FAULT_LOG_INTERVAL);
		return -1;
	}
	return 0;
}
