/* sendmsg with the source address as ancillary data (src/udp.h) */
#define _GNU_SOURCE
#include <errno.h>
#include <string.h>
#include <netinet/in.h>
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
