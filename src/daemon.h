/* The daemon's shared context: event loop, sockets, configuration, the
 * IKE_SA table and the data path's SA table. One per process. */
#ifndef CYGNET_DAEMON_H
#define CYGNET_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>

struct event_base;
struct event;
struct config;
struct esp_table;
struct ike_sa;
struct auth_limit;

#define DAEMON_MAX_SOCKS 4
#define TUN_MTU 1400

struct udp_sock {
	int fd;
	int family;
	uint16_t port;             /* 500 or 4500 */
	bool natt;                 /* the NAT-T port: IKE with marker, ESP, keepalives */
	struct event *ev;
};

struct daemon {
	struct event_base *base;
	struct config *cfg;
	struct udp_sock socks[DAEMON_MAX_SOCKS];
	int n_socks;
	int tun_fd;
	char tun_name[16];
	struct event *tun_ev;
	struct esp_table *esp;
	/* IKE_SAs: a simple list (hash by SPI in ike_sa.c) */
	struct ike_sa *sas;
	uint32_t next_sa_id;
	uint32_t next_reqid;
	unsigned half_open;        /* IKE_SAs that did IKE_SA_INIT only */
	uint8_t cookie_secret[32];
	uint64_t cookie_secret_time;
	struct auth_limit *alim;   /* password-guessing limits (auth_limit.h) */
	bool stopping;
	bool debug_cli;            /* --debug given: reloads keep its levels */
};

extern struct daemon *g_daemon;

/* monotonic seconds */
uint64_t now_sec(void);

/* sends a UDP datagram from local to peer on the socket for that port
 * (4500 prepends nothing: callers add the non-ESP marker for IKE). */
int net_send(struct daemon *d, const struct sockaddr *local, const struct sockaddr *peer,
             socklen_t peerlen, const uint8_t *buf, size_t len);

#endif
