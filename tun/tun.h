/* The TUN device and its addresses and routes (rtnetlink). libc only. */
#ifndef CYGNET_TUN_H
#define CYGNET_TUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Creates (or attaches to) TUN device name with IFF_TUN | IFF_NO_PI |
 * IFF_MULTI_QUEUE, non-blocking. queues fds are written to fds (one per
 * queue). The interface is set up (IFF_UP) with the given MTU.
 * 0 on success; -1 with a one-line reason in err (e.g. "open /dev/net/tun:
 * Permission denied (needs CAP_NET_ADMIN)"). */
int tun_open(const char *name, int queues, int mtu, int *fds, char *err, size_t errlen);
/* The same with IFF_VNET_HDR (every read and write starts with a 10-byte
 * virtio-net header) and, where the kernel allows, TUNSETOFFLOAD with
 * checksum and TCP segmentation offload (TUN_F_CSUM | TUN_F_TSO4 |
 * TUN_F_TSO6 | TUN_F_TSO_ECN): reads may then be TCP super-segments of up
 * to 64 KiB with partial checksums. *offloads gets the TUN_F_* flags set
 * (0 when none could be). -1 with a reason when the device cannot be
 * opened with IFF_VNET_HDR at all. */
int tun_open_offload(const char *name, int queues, int mtu, int *fds, unsigned *offloads,
                     char *err, size_t errlen);
/* Deletes the device (RTM_DELLINK). 0 on success. */
int tun_destroy(const char *name);

/* Adds an address (family AF_INET/AF_INET6, addr network order, prefix)
 * to the interface. An existing identical address is not an error. */
int tun_addr_add(const char *ifname, int family, const uint8_t *addr, int prefix,
                 char *err, size_t errlen);
/* Deletes an address from the interface. An address that is not there
 * is not an error. 0, or -1 with a reason. */
int tun_addr_del(const char *ifname, int family, const uint8_t *addr, int prefix,
                 char *err, size_t errlen);

/* Adds / deletes a route for a prefix through the interface (no
 * gateway; table main, protocol static, scope link; host bits of dst are
 * ignored). Adding replaces a route of the same prefix and metric
 * (NLM_F_REPLACE), so adding an existing identical route is not an
 * error. tun_route_add_src gives the route a preferred source address
 * (RTA_PREFSRC, same family, network order; NULL for none), which must
 * be an address of the host (e.g. one tun_addr_add put on the device).
 * tun_route_del: 0, or -1 (also when there is no such route). */
int tun_route_add(const char *ifname, int family, const uint8_t *dst, int prefix,
                  char *err, size_t errlen);
int tun_route_add_src(const char *ifname, int family, const uint8_t *dst, int prefix,
                      const uint8_t *prefsrc, char *err, size_t errlen);
int tun_route_del(const char *ifname, int family, const uint8_t *dst, int prefix);

/* A route as the kernel has it (RTM_GETROUTE), or one to add or delete
 * elsewhere than through the TUN device (a host route to the VPN server
 * beside the tunnel). Addresses are in network order, v4 in the first 4
 * bytes. */
struct tun_route {
	int family;                 /* AF_INET / AF_INET6 */
	uint8_t dst[16];
	int prefix;
	unsigned oif;               /* output interface index, 0 = none */
	int gw_family;              /* 0: no gateway (on link); else the family of gw
	                               (AF_INET6 for an IPv4 route via an IPv6 next
	                               hop, RTA_VIA) */
	uint8_t gw[16];
	uint32_t table;             /* routing table; 0 = main (RT_TABLE_MAIN) */
	uint32_t metric;            /* RTA_PRIORITY when has_metric */
	bool has_metric;
	int type;                   /* tun_route_get: RTN_UNICAST, RTN_LOCAL, ... */
	uint8_t prefsrc[16];        /* tun_route_get: the source the kernel would use */
	bool has_prefsrc;
};

/* The kernel's current route to one address (family AF_INET/AF_INET6,
 * dst network order): what "ip route get" shows, with the table it
 * was found in. out->dst/prefix are the address as a host route (/32,
 * /128). 0, or -1 with a reason (e.g. "route lookup for 198.18.9.9:
 * Network is unreachable"); no privilege is needed. */
int tun_route_get(int family, const uint8_t *dst, struct tun_route *out, char *err,
                  size_t errlen);
/* The prefix length of the route entry the kernel matches for dst
 * (RTM_F_FIB_MATCH: 0 for a default route). 0 with *prefix, or -1 (no
 * route, or the kernel cannot say). No privilege is needed. */
int tun_route_match_len(int family, const uint8_t *dst, int *prefix);
/* Adds rt (dst/prefix, oif, gateway, table, metric; protocol static;
 * type, prefsrc are ignored) only when no route of that prefix and
 * metric exists in its table (NLM_F_EXCL). 0 when added, 1 when such a
 * route existed already (nothing changed), -1 with a reason. */
int tun_route_add_rt(const struct tun_route *rt, char *err, size_t errlen);
/* Deletes the route rt describes (the same fields as added). A route
 * that is not there is not an error. 0, or -1 with a reason. */
int tun_route_del_rt(const struct tun_route *rt, char *err, size_t errlen);

/* Link state notifications (rtnetlink group RTMGRP_LINK): a non-blocking
 * socket to poll, or -1 with a reason. No privilege is needed. */
int tun_link_watch_open(char *err, size_t errlen);
enum tun_link {
	TUN_LINK_NONE,      /* nothing about the interface was queued */
	TUN_LINK_UP,        /* its last message says IFF_UP */
	TUN_LINK_DOWN,      /* ... says not IFF_UP */
	TUN_LINK_GONE,      /* it was deleted */
	TUN_LINK_LOST,      /* the socket overflowed: ask tun_link_is_up */
};
/* Reads what is queued on a tun_link_watch_open socket (at most 64
 * reads) and returns the last state reported for ifindex; *went_down is
 * set to 1 when any of those messages said it was down (a down and up in
 * quick succession end as TUN_LINK_UP). */
enum tun_link tun_link_watch_read(int fd, unsigned ifindex, int *went_down);
/* Address and route notifications (RTMGRP_IPV4_IFADDR, IPV6_IFADDR,
 * IPV4_ROUTE, IPV6_ROUTE): a non-blocking socket, or -1 with a reason.
 * No privilege is needed. */
int tun_addr_watch_open(char *err, size_t errlen);
/* Drains what is queued (at most 64 reads): 1 when an address or route
 * of the host changed (or notifications were lost), 0 when nothing did. */
int tun_addr_watch_read(int fd);

/* 1 when the interface is up, 0 when down, -1 when it does not exist */
int tun_link_is_up(const char *name);

#endif
