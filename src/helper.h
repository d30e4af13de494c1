/* The privileged helper (DESIGN.md, "Privileges").
 *
 * Forked before the daemon drops its privileges, it keeps only what
 * leftupdown scripts, reloads and the client's network need (as root:
 * CAP_NET_ADMIN, CAP_NET_RAW, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH,
 * also as the bounding set; started without root: CAP_NET_ADMIN, passed on
 * to scripts as an ambient capability), sets no_new_privs, and does only
 * four things, asked over a socketpair:
 *
 *  - run a leftupdown command with PLUTO_* variables: only a command
 *    that a loaded configuration names, only variables named PLUTO_*, one
 *    at a time in the order asked, each for at most HELPER_SCRIPT_SECONDS;
 *  - reload: load the configuration dir as at start, add the TUN routes
 *    of pools that are new, and send back a snapshot of every file read
 *    (conf_files.h), from which the daemon loads the same configuration;
 *  - the client's network (cygnet as an IKEv2 client, helper_client_net):
 *    the virtual IPs on the TUN device, the conn's remote subnets routed
 *    through it, a host route keeping the VPN server outside the tunnel,
 *    DNS servers through resolvconf; and exactly that removed again;
 *  - host routes through the TUN device for virtual IPs RADIUS gave
 *    outside every pool (helper_host_route).
 *
 * It never opens a path it was sent. It ignores SIGTERM/SIGINT/SIGHUP:
 * when the daemon closes its end it finishes the queued scripts (the
 * down events of a shutdown), removes whatever client network it still
 * has installed, and exits. */
#ifndef CYGNET_HELPER_H
#define CYGNET_HELPER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "conf/ipsec_conf.h"

struct daemon;
struct config;
struct conf_snapshot;

#define HELPER_SCRIPT_SECONDS 30
#define HELPER_RESOLVCONF_SECONDS 10
#define CLIENT_NET_MAX_DNS 8

/* Forks the helper; cfg is what the daemon loaded at start (its commands
 * are allowed, its pools' routes exist). 0, or -1 with a reason. */
int helper_start(struct daemon *d, struct config *cfg, char *err, size_t errlen);

/* Adds a route through the TUN device for every pool of cfg that has
 * none yet (the daemon at start, the helper at a reload). 0 or -1. */
int helper_add_routes(const struct config *cfg, const char *tun, char *err, size_t errlen);

/* A host route (/32, /128) through the TUN device for addr, a virtual
 * IP RADIUS gave outside every pool (add), or its removal. Nothing is
 * answered: the helper logs what it did. It adds one only while a loaded
 * configuration has rightsourceip=%radius, for a unicast address that is
 * not the host's own, up to 65536; it removes only routes it added, puts
 * them back when the TUN device comes up again, and removes them all when
 * it exits. 0, or -1 (logged) when the request could not be sent. */
int helper_host_route(struct daemon *d, bool add, int family, const uint8_t *addr);

/* Hands the helper a run of command with env (n entries "PLUTO_...=value");
 * 0, or -1 (logged) when the helper is gone. The helper answers each run,
 * when it is finished, refused or failed, by calling updown_helper_done()
 * (updown.h) in the daemon; updown_helper_lost() when the channel breaks. */
int helper_updown(struct daemon *d, const char *command, char *const *env, int n);

/* Asks for a reload. done is called once, from the event loop, with the
 * snapshot (the callee frees it) or NULL and a one-line reason. */
typedef void (*helper_reload_done)(struct daemon *d, struct conf_snapshot *snap,
                                   const char *err, void *arg);
void helper_reload(struct daemon *d, helper_reload_done done, void *arg);

/* The client's network for one conn once its IKE_SA is up (up = true),
 * or its removal (up = false: only conn is read). Zero it, then fill it
 * in; helper_client_net copies it. */
struct client_net {
	char conn[64];                  /* the conn's name, NUL-terminated */
	bool up;                        /* install (true) or remove (false) */
	bool has_vip4, has_vip6;        /* INTERNAL_IP4/6_ADDRESS received */
	uint8_t vip4[4], vip6[16];      /* network order */
	struct conf_net nets[CONF_MAX_NETS]; int n_nets;   /* to route through TUN */
	struct sockaddr_storage server; socklen_t server_len;  /* the VPN server */
	struct conf_addr dns[CLIENT_NET_MAX_DNS]; int n_dns;   /* received DNS servers */
};

/* Asks the helper to install or remove a conn's client network.
 *
 * Up: the helper first checks the request, and refuses it (nothing is
 * changed) unless
 *  - conn is a conn of a configuration the helper loaded (at start or at
 *    a reload) whose right= is a specific host (an address, or a name
 *    the server's address resolves from; not %any), the server's address
 *    is that host, and every net lies inside that conn's rightsubnet list
 *    (with no rightsubnet: is the server's own /32 or /128), all in one
 *    version of the conn;
 *  - each virtual IP is a unicast address (not unspecified, loopback,
 *    multicast, link-local, v4-mapped).
 * Then, in this order:
 *  1. when the server's address lies inside a net, a host route to it
 *     (/32, /128) copying the kernel's current route to it (gateway,
 *     device, table, metric), never a route the request names; a route
 *     already there that the helper did not add is left alone and not
 *     recorded; the kernel's route going through the TUN device is a
 *     failure;
 *  2. the virtual IPs on the TUN device (/32, /128);
 *  3. each net through the TUN device, with the virtual IP of its family
 *     as preferred source (none when there is no virtual IP of that
 *     family); 0.0.0.0/0 as 0.0.0.0/1 + 128.0.0.0/1 and ::/0 as ::/1 +
 *     8000::/1, so the existing default route stays; a net that is
 *     exactly the server's own address is not routed (it would carry
 *     IKE and ESP into the tunnel; strongSwan's kernel-libipsec does the
 *     same unless allow_peer_ts);
 *  4. the DNS servers: when /sbin/resolvconf or /usr/sbin/resolvconf
 *     exists, "resolvconf -a TUN.cygnet" with "nameserver X" lines (the
 *     servers of every conn that is up) on stdin, run for at most
 *     HELPER_RESOLVCONF_SECONDS; otherwise nothing (/etc/resolv.conf is
 *     never written). A resolvconf failure is logged by the helper and
 *     does not fail the request.
 * A failure in 1-3 undoes what this request added. An up for a conn that
 * is up already moves it to the new state: what both have stays, the
 * rest is added or removed (no moment without routes).
 *
 * Down: removes exactly what the conn's ups added (records kept per conn
 * in the helper), except what another up conn also holds; DNS: resolvconf
 * -a with the remaining conns' servers, or -d when none are left. A conn
 * that is not up is not an error.
 *
 * The helper also re-adds the addresses and TUN routes when the TUN
 * device is set down and up again, and removes everything still
 * installed when it exits (the daemon stopped or died).
 *
 * Returns 0 when the request was handed over: done (may be NULL) is then
 * called exactly once, from the event loop, with err NULL on success or
 * a one-line reason (also when the helper is lost first); the daemon side
 * logs every such failure itself (LOG_TUN), so a NULL done is enough when
 * nothing is to be done about it. Requests still in flight at
 * helper_stop get done(err "cygnetd is stopping"), unlogged: they were
 * handed over, and the helper carries them out before it exits. arg must stay valid
 * until done is called. -1 (logged, done not called) when the helper is
 * gone or too many requests are in flight. */
typedef void (*helper_client_net_done)(struct daemon *d, const char *conn, bool up,
                                       const char *err, void *arg);
int helper_client_net(struct daemon *d, const struct client_net *n, helper_client_net_done done,
                      void *arg);

/* Tests only, before helper_start: the resolvconf program to run instead
 * of /sbin/resolvconf or /usr/sbin/resolvconf ("" for none). */
void helper_set_resolvconf(const char *path);

/* Closes the channel (queued requests are still delivered) and waits up
 * to wait_ms for the helper to run what it has queued and exit. */
void helper_stop(struct daemon *d, int wait_ms);

#endif
