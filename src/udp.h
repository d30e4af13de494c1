/* Sending a UDP datagram from a chosen local address (IP_PKTINFO,
 * IPV6_PKTINFO), so answers leave from the address the peer talks to.
 * Used by both planes: IKE (src/net.c) and ESP (src/dp/). */
#ifndef CYGNET_UDP_H
#define CYGNET_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* room for the ancillary data of udp_set_source */
#define UDP_CBUF 64
/* sets mh's ancillary data (in cbuf) so the datagram leaves from local's
 * address */
void udp_set_source(struct msghdr *mh, uint8_t cbuf[UDP_CBUF], const struct sockaddr *local);

/* udp_bind flags */
enum { UDP_BIND_REUSEPORT = 1, UDP_BIND_PKTINFO = 2, UDP_BIND_GRO = 4 };
/* A non-blocking UDP socket of family bound to the wildcard address and
 * port (IPv6 only for AF_INET6), with 4 MiB buffers each way (the *FORCE
 * variants first: they pass rmem_max/wmem_max with CAP_NET_ADMIN), in a
 * SO_REUSEPORT group with UDP_BIND_REUSEPORT, and reporting each
 * datagram's local address (IP_PKTINFO / IPV6_RECVPKTINFO) with
 * UDP_BIND_PKTINFO, and with UDP_BIND_GRO taking datagrams of one sender
 * coalesced (UDP_GRO, where the kernel has it: see udp_gro_segment). The
 * fd, or -errno of the step that failed. */
int udp_bind(int family, uint16_t port, int flags);

/* room for the ancillary data a UDP_GRO socket receives besides a pktinfo */
#define UDP_GRO_CBUF CMSG_SPACE(sizeof(int))
/* A received message of a UDP_GRO socket may hold several datagrams of
 * one sender back to back, all but the last of one size, which the
 * kernel tells in a control message: that size, or 0 for a single
 * datagram. */
size_t udp_gro_segment(struct msghdr *h);

/* one datagram on fd from local's address (its port is the socket's) to
 * peer; 0, or the errno of sendmsg (EAGAIN/ENOBUFS: buffer full) */
int udp_send_from(int fd, const struct sockaddr *local, const struct sockaddr *peer,
                  socklen_t peerlen, const uint8_t *buf, size_t len);

#endif
