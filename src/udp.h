/* Sending a UDP datagram from a chosen local address (IP_PKTINFO,
 * IPV6_PKTINFO), so answers leave from the address the peer talks to.
 * Used by both planes: IKE (src/net.c) and ESP (src/dp/). */
#ifndef CYGNET_UDP_H
#define CYGNET_UDP_H

#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>

/* one datagram on fd from local's address (its port is the socket's) to
 * peer; 0, or the errno of sendmsg (EAGAIN/ENOBUFS: buffer full) */
int udp_send_from(int fd, const struct sockaddr *local, const struct sockaddr *peer,
                  socklen_t peerlen, const uint8_t *buf, size_t len);

#endif
