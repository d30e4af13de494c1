/* UDP sockets for IKE (500) and IKE + ESP-in-UDP (4500), IPv4 and IPv6,
 * with the local address of every datagram (IP_PKTINFO) so answers leave
 * from the address the client talks to. */
#ifndef CYGNET_NET_H
#define CYGNET_NET_H

#include <stddef.h>
#include <stdint.h>

struct daemon;

/* binds the sockets (port_ike, port_natt: 500 and 4500 normally) and adds
 * their events. 0 on success, -1 with a reason in err. An address family
 * the host lacks (no IPv6) is skipped with a log line. */
int net_open(struct daemon *d, uint16_t port_ike, uint16_t port_natt, char *err, size_t errlen);
void net_close(struct daemon *d);

#endif
