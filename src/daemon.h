/* The daemon's shared context: event loop, sockets, configuration, the
 * IKE_SA table and the data path's SA table. One per process. */
#ifndef CYGNET_DAEMON_H
#define CYGNET_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "src/ratelog.h"

struct event_base;
struct event;
struct config;
struct esp_table;
struct ike_sa;

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
	bool stopping;
	int exit_code;             /* of the process once the loop ends */
	bool debug_cli;            /* --debug given: reloads keep its levels */
	/* faults counted per packet, logged at most once per interval */
	struct ratelog send_full;   /* sendmsg: EAGAIN/ENOBUFS (buffer full) */
	struct ratelog send_err;    /* sendmsg: any other error */
	struct ratelog tun_write;   /* write to the TUN device failed */
};

extern struct daemon *g_daemon;

/* monotonic seconds (CLOCK_MONOTONIC: a jump of the wall clock moves
 * no timer, lease or back-off; see README "Faults") */
uint64_t now_sec(void);

/* Stops the daemon as on SIGTERM: a DELETE to every established IKE_SA,
 * every SA removed (down events to the helper), then the event loop ends
 * and the process exits with code (0 for a requested stop, 1 for a fault
 * the service manager should answer with a restart). A second call only
 * raises the exit code. */
void daemon_stop(struct daemon *d, int code);

/* sends a UDP datagram from local to peer on the socket for that port
 * (4500 prepends nothing: callers add the non-ESP marker for IKE). */
int net_send(struct daemon *d, const struct sockaddr *local, const struct sockaddr *peer,
             socklen_t peerlen, const uint8_t *buf, size_t len);

#endif
