/* Inside the privileged helper process: what src/helper.c (the channel to
 * the daemon, updown scripts, pool routes, reloads) and src/helper_net.c
 * (the client conns' addresses, routes and DNS) share. Nothing outside
 * these two files includes it. */
#ifndef CYGNET_HELPER_INT_H
#define CYGNET_HELPER_INT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct config;

/* ---- helper.c ---- */

/* the PATH= of every program the helper runs */
#define HELPER_SCRIPT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* in a child before exec: closes every descriptor from lowfd on */
void helper_close_from(int lowfd);
/* len bytes to fd, retried on EINTR and short writes; 0, or -1 */
int helper_write_all(int fd, const void *buf, size_t len);
/* net/prefix (host bits clear) is one of the pool routes the daemon added
 * through the TUN device at start or a reload */
bool helper_is_pool_route(int family, const uint8_t net[16], int prefix);

/* ---- helper_net.c ---- */

/* once, after the fork: the TUN device (ifindex 0 when unknown) */
void helper_net_setup(const char *tun, unsigned ifindex);
/* records the conns of cfg as ones a request may name (at start and at
 * every reload; older versions' conns stay, their IKE_SAs may be up) */
void helper_net_allow(const struct config *cfg);
/* carries out one F_CLIENT_NET request (a struct client_net, len bytes):
 * 0 when done, -1 with the reason in why (logged) */
int helper_net_request(const uint8_t *p, uint32_t len, char *why, size_t whylen);
/* the TUN device is up again: puts back the addresses and routes of the
 * conns that are up; how many it restored, *total counts those it tried */
int helper_net_restore(int *total);
/* the helper exits: removes everything still installed, DNS included */
void helper_net_cleanup(void);

#endif
