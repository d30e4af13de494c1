/* The daemon's context: event loop, sockets, configuration, the IKE_SA
 * table and the data plane. Nothing of it is global: every function gets
 * the struct daemon it works for, so two can live in one process. */
#ifndef CYGNET_DAEMON_H
#define CYGNET_DAEMON_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/socket.h>
#include "src/clock.h"
#include "src/cookie.h"
#include "src/dp/dp.h"
#include "src/ike_limits.h"
#include "src/redirect.h"
#include "src/siphash.h"

struct event_base;
struct event;
struct config;
struct dp;
struct ike_sa;
struct jobs;

/* a hash index over the IKE_SAs (chains through ike_sa.hnext[]) */
enum sa_index_kind { SA_BY_SPI, SA_BY_INIT, SA_BY_ID, SA_N_INDEX };
struct sa_index {
	struct ike_sa **b;
	size_t mask;               /* buckets - 1, a power of two */
	size_t n;
};
struct auth_limit;
struct ctl;
struct metrics_users;
struct metrics_http;
struct client;
struct radius_dae;
struct radius_client;
struct radius_acct;

/* why a connection attempt of a client failed (cygnetctl metrics:
 * cygnet_ike_sa_failed_total{reason}); counted where the IKE code
 * refuses or gives up */
enum ike_fail {
	FAIL_NO_PROPOSAL,          /* IKE_SA_INIT: NO_PROPOSAL_CHOSEN */
	FAIL_LIMIT,                /* IKE_SA_INIT dropped: half-open, IKE_SA or queue limits */
	FAIL_AUTH,                 /* IKE_AUTH: AUTHENTICATION_FAILED (backed off included) */
	FAIL_TIMEOUT,              /* abandoned: not established in half_open_timeout */
	FAIL_N
};

#define DAEMON_MAX_SOCKS 4
#define FAULT_LOG_INTERVAL 10      /* seconds */
#define DAEMON_MSG_BUF 65535       /* IKE_MAX_MSG */
#define DAEMON_FRAG_ROOM (64 * 128) /* IKE_MAX_FRAGS fragments' headers and ICVs */

struct udp_sock {
	int fd;
	int family;
	uint16_t port;             /* 500 or 4500 */
	bool natt;                 /* the NAT-T port: IKE with marker, ESP, keepalives */
	struct event *ev;
	struct daemon *d;
};

struct daemon {
	struct event_base *base;
	struct config *cfg;
	struct udp_sock socks[DAEMON_MAX_SOCKS];
	int n_socks;
	int tun_fds[DP_MAX_WORKERS];  /* the TUN device's queues: one per packet loop */
	int n_tun_fds;
	char tun_name[16];
	unsigned tun_mtu;          /* the MTU it was opened with (config setup mtu=, read at start) */
	bool reuseport;            /* NAT-T sockets join a group with the workers' */
	struct dp *dp;             /* the data plane, reached through src/dp/dp.h */
	/* IKE_SAs: a list to walk, and hash indexes to find one by our SPI,
	 * by the initiator's SPI (IKE_SA_INIT retransmissions) and by id */
	struct ike_sa *sas;
	struct sa_index sa_idx[SA_N_INDEX];
	struct sipkey sa_key;
	uint32_t next_sa_id;
	uint32_t next_reqid;
	unsigned half_open;        /* IKE_SAs not established yet */
	unsigned n_sas;            /* all IKE_SAs, dead ones not yet freed included */
	struct src_table sources;  /* the same, per source address */
	struct cookie_jar cookies;
	struct jobs *jobs;         /* DH and signatures off the event loop */
	/* one line per limit when it is hit, at most every few seconds */
	struct ratelog rl_cookie, rl_half_open, rl_block, rl_sa_limit, rl_src_limit, rl_busy;
	struct auth_limit *alim;   /* password-guessing limits (auth_limit.h) */
	struct redirect_state redirect;  /* RFC 5685: drain mode, counts (redirect.h) */
	struct ctl *ctl;           /* the control socket (ctl.c) */
	struct client *clients;    /* the conns we initiate (client.c) */
	/* the RADIUS client of the configuration's eap-radius servers
	 * (radius_client.h), NULL without any; a reload makes a new one and
	 * lets the old one finish its requests */
	struct radius_client *radius;
	int move_fd;               /* rtnetlink address watch (client_move.c), -1 none */
	struct event *move_ev, *move_timer;
	struct event *ka_timer;    /* NAT keepalives of our IKE_SAs (client_move.c) */
	/* the load generator's (client_probe): told once per probe IKE_SA
	 * when it is established (ok) or gone before that (why) */
	void (*probe_done)(struct daemon *d, struct ike_sa *sa, bool ok, const char *why);
	bool stopping;
	int exit_code;             /* of the process once the loop ends */
	bool debug_cli;            /* --debug given: reloads keep its levels */
	/* IKE sends that failed: counted, and logged at most every
	 * FAULT_LOG_INTERVAL seconds (README "Faults"; the data plane
	 * counts its own) */
	struct ratelog rl_send_full, rl_send_err;
	uint64_t n_send_full;       /* sendmsg: EAGAIN/ENOBUFS (buffer full) */
	uint64_t n_send_err;        /* sendmsg: any other error */
	struct net_rx *rx;          /* a receive batch (net.c) */
	/* monitoring (src/metrics.h): server IKE_SAs established since the
	 * start, attempts that failed by reason, cookies asked for; the
	 * wall-clock start time; the per-user counts of deleted CHILD_SAs;
	 * the optional HTTP listener (config setup metrics=) */
	uint64_t n_established;
	uint64_t n_failed[FAIL_N];
	uint64_t n_cookies;
	uint64_t started;           /* Unix seconds */
	struct metrics_users *musers;
	struct metrics_http *mhttp;
	struct radius_acct *acct;   /* RADIUS accounting (radius_acct.h), NULL: off */
	struct radius_dae *dae;     /* RADIUS Disconnect/CoA listener (radius_dae.h), NULL: off */
	/* the client addresses whose Access-Requests went unanswered while
	 * the RADIUS servers answered nobody (close_all_on_timeout,
	 * src/eap_radius.c); forgotten at the next answer */
	struct sockaddr_storage radius_silent[3];
	int n_radius_silent;
	/* scratch space of the IKE code, one buffer per user (each checks
	 * its size with a _Static_assert): a decrypted request (ike_input),
	 * the EAP-only AUTH's message (ike_auth), a message being encrypted
	 * and fragmented (ike_sa_send_encrypted) */
	uint8_t buf_in[DAEMON_MSG_BUF];
	uint8_t buf_auth[DAEMON_MSG_BUF];
	uint8_t buf_out[DAEMON_MSG_BUF + DAEMON_FRAG_ROOM];
};


/* Stops the daemon as on SIGTERM: a DELETE to every established IKE_SA,
 * every SA removed (down events to the helper), then the event loop ends
 * and the process exits with code (0 for a requested stop, 1 for a fault
 * the service manager should answer with a restart). A second call only
 * raises the exit code. */
void daemon_stop(struct daemon *d, int code);

/* the data plane's events (dp_event_fn, src/dp/dp.h): NAT rebinding seen
 * on ESP, sequence numbers near their end, the TUN device gone */
struct dp_event;
void daemon_dp_event(void *arg, const struct dp_event *ev);

/* (Re)makes d->radius for d->cfg's RADIUS servers (at start and after a
 * reload), logging which servers are used; the previous client finishes
 * its requests in flight and goes. -1 (logged) when the servers cannot be
 * used (their conns then refuse logins). Then switches RADIUS accounting
 * on or off as d->cfg says (acct_reload). */
int daemon_radius_apply(struct daemon *d);

/* sends a UDP datagram from local to peer on the socket for that port
 * (4500 prepends nothing: callers add the non-ESP marker for IKE). */
int net_send(struct daemon *d, const struct sockaddr *local, const struct sockaddr *peer,
             socklen_t peerlen, const uint8_t *buf, size_t len);

#endif
