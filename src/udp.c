/* sendmsg with the source address as ancillary data (src/udp.h) */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <linux/udp.h>
#include "src/udp.h"

_Static_assert(CMSG_SPACE(sizeof(struct in6_pktinfo)) <= UDP_CBUF, "UDP_CBUF holds a pktinfo");

void udp_set_source(struct msghdr *mh, uint8_t cbuf[UDP_CBUF], const struct sockaddr *local)
{
	memset(cbuf, 0, UDP_CBUF);
	mh->msg_control = cbuf;
	struct cmsghdr *c = (struct cmsghdr *)cbuf;
	if (local->sa_family == AF_INET) {
		struct in_pktinfo pi = { 0 };
		pi.ipi_spec_dst = ((const struct sockaddr_in *)local)->sin_addr;
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	} else {
		struct in6_pktinfo pi = { 0 };
		pi.ipi6_addr = ((const struct sockaddr_in6 *)local)->sin6_addr;
		mh->msg_controllen = CMSG_SPACE(sizeof(pi));
		c->cmsg_level = IPPROTO_IPV6;
		c->cmsg_type = IPV6_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
}

int udp_send_from(int fd, const struct sockaddr *local, const struct sockaddr *peer,
                  socklen_t peerlen, const uint8_t *buf, size_t len)
{
	uint8_t cbuf[UDP_CBUF];
	struct iovec iov = { (void *)buf, len };
	struct msghdr mh = {
		.msg_name = (void *)peer, .msg_namelen = peerlen,
		.msg_iov = &iov, .msg_iovlen = 1,
	};
	udp_set_source(&mh, cbuf, local);
	return sendmsg(fd, &mh, 0) < 0 ? errno : 0;
}

int udp_bind(int family, uint16_t port, int flags)
{
	int fd = socket(family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	if (fd < 0)
		return -errno;
	int on = 1, buf = 4 << 20;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	if (flags & UDP_BIND_REUSEPORT)
		setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &on, sizeof(on));
	if (flags & UDP_BIND_GRO)
		setsockopt(fd, IPPROTO_UDP, UDP_GRO, &on, sizeof(on));    /* not there: one per message */
	if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &buf, sizeof(buf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buf, sizeof(buf));
	if (setsockopt(fd, SOL_SOCKET, SO_SNDBUFFORCE, &buf, sizeof(buf)) != 0)
		setsockopt(fd, SOL_SOCKET, SO_SNDBUF, &buf, sizeof(buf));
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t len;
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(port);
		len = sizeof(*s);
		if (flags & UDP_BIND_PKTINFO)
			setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(port);
		len = sizeof(*s);
		setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on));
		if (flags & UDP_BIND_PKTINFO)
			setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on));
	}
	if (bind(fd, (struct sockaddr *)&ss, len) != 0) {
		int e = errno;
		close(fd);
		return -e;
	}
	return fd;
}

size_t udp_gro_segment(struct msghdr *h)
{
	for (struct cmsghdr *c = CMSG_FIRSTHDR(h); c; c = CMSG_NXTHDR(h, c)) {
		if (c->cmsg_level == IPPROTO_UDP && c->cmsg_type == UDP_GRO &&
		    c->cmsg_len >= CMSG_LEN(sizeof(int))) {
			int v;
			memcpy(&v, CMSG_DATA(c), sizeof(v));
			return v > 0 ? (size_t)v : 0;
		}
	}
	return 0;
}
