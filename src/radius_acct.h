/* RADIUS accounting (RFC 2866, RFC 2869 Acct-Interim-Interval), as
 * strongSwan's eap-radius plugin does it with `accounting = yes`.
 *
 * Which sessions: every IKE_SA a client sets up with this server, however
 * it authenticated (strongSwan's accounting listens to every IKE_SA too),
 * except our own client conns and probes; with accounting_requires_vip
 * only IKE_SAs that got a virtual IP. An IKE_SA rekey continues the
 * session (one Start, one Stop).
 *
 * Records (Accounting-Request to each server's acct_port through the
 * daemon's RADIUS client, src/radius_client.h, which retransmits and
 * fails over):
 *   Accounting-On at start, Accounting-Off at a clean stop (7/8);
 *   Start once the IKE_SA is established; Interim-Update every
 *   Acct-Interim-Interval of the Access-Accept, else accounting_interval
 *   (0: none); Stop when the session ends, with Acct-Terminate-Cause.
 * Each carries Acct-Status-Type, Acct-Session-Id (sa->radius's, else made
 * the same way: "<daemon start>-<first IKE_SA id>"), User-Name (id_prefix
 * + the user, or the client's IKE identity when it has no user name), NAS-IP(v6)-Address, NAS-Port, NAS-Port-Type Virtual,
 * Service-Type Framed, Called-/Calling-Station-Id, Framed-IP-Address /
 * Framed-IPv6-Address, Class (accounting_send_class), Acct-Authentic
 * (RADIUS or Local), Event-Timestamp and Acct-Delay-Time (seconds since
 * the event, at each send); Interim and Stop add Acct-Session-Time and
 * Acct-Input/Output-Octets/-Packets/-Gigawords: the inner traffic of every
 * CHILD_SA the session had (installed ones read from the data plane, the
 * deleted ones' final counts kept), so the totals only grow. Input is what
 * the client sent.
 *
 * The queue: a record no server answered stays queued and is sent again
 * (a new request, Acct-Delay-Time updated) after ACCT_RETRY_SECONDS, in
 * order; records wait behind a failing one. At most ACCT_QUEUE_MAX
 * records: when full, the oldest Interim-Update goes first, else the
 * oldest record; each loss is counted and logged. The queue belongs to
 * the daemon, not to a server or a RADIUS client, so it survives failover
 * and reloads. At a clean stop the pending records get ACCT_GRACE_MS to
 * get out, the rest are counted lost with one log line.
 *
 * Accounting-On/-Off carry the NAS-IP(v6)-Address this host sends from to
 * the first server given as an address (FreeRADIUS's sqlippool frees the
 * leases of that NAS on them).
 *
 * When no server answers, sessions stay up and their records wait, unless
 * strongswan.conf says accounting_close_on_timeout = yes in so many words
 * (strongSwan's default when left out is yes; cygnet's is to keep them):
 * then a session whose Start or Interim-Update got no answer (after the
 * client's retransmissions and failover) is deleted, Acct-Terminate-Cause
 * Lost-Service.
 *
 * A reload switches accounting on or off (acct_reload). */
#ifndef CYGNET_RADIUS_ACCT_H
#define CYGNET_RADIUS_ACCT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/radius.h"

struct daemon;
struct ike_sa;
struct event_base;
struct radius_client;

#define ACCT_QUEUE_MAX 10000
#define ACCT_RETRY_SECONDS 10
#define ACCT_GRACE_MS 3000
#define ACCT_IN_FLIGHT 32

enum acct_status { ACCT_START = 1, ACCT_STOP = 2, ACCT_INTERIM = 3, ACCT_ON = 7, ACCT_OFF = 8 };

/* Acct-Terminate-Cause values (RFC 2866 §5.10) */
enum acct_cause {
	ACCT_TC_USER_REQUEST = 1, ACCT_TC_LOST_CARRIER = 2, ACCT_TC_LOST_SERVICE = 3,
	ACCT_TC_IDLE_TIMEOUT = 4, ACCT_TC_SESSION_TIMEOUT = 5, ACCT_TC_ADMIN_RESET = 6,
	ACCT_TC_ADMIN_REBOOT = 7, ACCT_TC_NAS_ERROR = 9, ACCT_TC_NAS_REQUEST = 10,
	ACCT_TC_NAS_REBOOT = 11,
};

/* what one record says; plain data, so it can be built without a daemon */
struct acct_info {
	enum acct_status status;
	const char *session_id;            /* NULL for On/Off */
	const char *user;                  /* NULL: none */
	bool nas4, nas6;
	uint8_t nas_addr4[4], nas_addr6[16];
	uint32_t nas_port;
	const char *called, *calling;      /* NULL: none */
	bool vip4, vip6;
	uint8_t addr4[4], addr6[16];
	const uint8_t *const *cls;         /* n_cls Class values */
	const uint8_t *cls_len;
	int n_cls;
	bool radius_auth;                  /* Acct-Authentic RADIUS, else Local */
	uint32_t session_time;             /* Interim/Stop */
	uint64_t in_octets, out_octets, in_packets, out_packets;
	enum acct_cause cause;             /* Stop */
	uint32_t event_time;               /* Unix seconds */
};

/* Appends the attributes of i to p (a packet from rad_new; everything
 * but Acct-Delay-Time, added at each send). 0, or -1 when they do not
 * fit (p->overflow). Octet counts above 2^32 are split into Octets (low
 * 32 bits) and Gigawords (the rest); Gigawords are sent only when not 0. */
int acct_build(const struct acct_info *i, struct rad_pkt *p);

/* ---- the queue ---- */

struct acct_counts {
	uint64_t sent;                     /* requests handed to the RADIUS client */
	uint64_t answered;                 /* records a server acknowledged */
	uint64_t retried;                  /* records sent again after no answer */
	uint64_t dropped;                  /* records lost (queue full, shutdown) */
	uint64_t queued;                   /* now waiting or in flight */
};

struct acct_queue;

/* A queue sending through *client (read at each send: the owner may
 * replace it; NULL: records wait). NULL when out of memory. */
struct acct_queue *acct_queue_new(struct event_base *base, struct radius_client **client,
                                  size_t max);
/* Queues the attributes in p (from acct_build; copied) made at
 * made_ms (a CLOCK_MONOTONIC time in ms, clock.h), status for the drop
 * rule. 0, or -1 (out of memory: counted as dropped, logged). */
int acct_queue_add(struct acct_queue *q, enum acct_status status, const struct rad_pkt *p,
                   uint64_t made_ms);
/* the wait after a record got no answer (ACCT_RETRY_SECONDS; tests) */
void acct_queue_set_retry(struct acct_queue *q, uint32_t ms);
/* fn(arg, status, Acct-Session-Id or "", others_answered) is called,
 * from the RADIUS client's done(), each time a record got no answer from
 * any server (it stays queued; the queue already waits for its retry);
 * others_answered: the servers answered other requests meanwhile. */
typedef void (*acct_timeout_fn)(void *arg, enum acct_status status, const char *session_id,
                                bool others_answered);
void acct_queue_on_timeout(struct acct_queue *q, acct_timeout_fn fn, void *arg);
void acct_queue_counts(const struct acct_queue *q, struct acct_counts *out);
/* the status of the i-th record queued (0: the oldest), 0 past the end */
enum acct_status acct_queue_peek(const struct acct_queue *q, size_t i);
/* records waiting or in flight */
size_t acct_queue_len(const struct acct_queue *q);
/* Frees q; records still queued are counted lost and logged in one line
 * (NULL-safe). */
void acct_queue_free(struct acct_queue *q);

/* ---- the daemon's side ---- */

/* Starts accounting when d->cfg's eap-radius section says accounting =
 * yes (Accounting-On), else does nothing (also when it runs already).
 * Call after daemon_radius_apply. 0, or -1 (out of memory, logged). */
int acct_start(struct daemon *d);
/* d->cfg was replaced (a reload; daemon_radius_apply calls it, at start
 * too): accounting newly on sends Accounting-On and a Start for every
 * session already up, whose Interim/Stop then count time and traffic from
 * that Start; newly off sends a Stop (NAS-Request) for every started
 * session, which stays up, then Accounting-Off; the queue keeps sending
 * what it holds (to the servers of the new configuration). A session
 * started by a reload after accounting was on before (off, then on again)
 * gets its Acct-Session-Id with "-N" appended (N: the times accounting was
 * switched on), as it may have had a Start and Stop with the plain one.
 * 0, or -1 (out of memory, logged). */
int acct_reload(struct daemon *d);
/* sa entered ESTABLISHED: schedules its Start (from the event loop, once
 * its virtual IPs and CHILD_SA are in place) unless the session already
 * started (an IKE_SA rekey). */
void acct_established(struct daemon *d, struct ike_sa *sa);
/* Records why sa ends (the first cause given wins; without one the Stop
 * says User-Request). NULL-safe on sa->acct. */
void acct_set_cause(struct ike_sa *sa, enum acct_cause cause);
/* A CHILD_SA of sa is deleted: its final counts join the session's. */
void acct_child_gone(struct daemon *d, const struct ike_sa *sa, uint32_t spi_in);
/* sa was rekeyed into to: the session moves along */
void acct_move(struct ike_sa *from, struct ike_sa *to);
/* sa is destroyed: its Stop (if it started) and its state freed */
void acct_sa_gone(struct daemon *d, struct ike_sa *sa);
/* The daemon stops cleanly, after every IKE_SA's Stop was queued: sends
 * Accounting-Off. true when records are pending: the caller lets the
 * event loop run; acct calls event_base_loopexit once the queue is empty
 * or after ACCT_GRACE_MS. false: nothing to wait for. */
bool acct_stopping(struct daemon *d);
/* Frees the accounting state (pending records counted lost). */
void acct_free(struct daemon *d);
/* the Acct-Session-Id of sa's session, NULL when it has none */
const char *acct_session_id(const struct ike_sa *sa);
/* "  RADIUS accounting: ..." status line(s); length written (0: off) */
int acct_status(const struct daemon *d, char *out, size_t len);
/* the counters; false when accounting is off */
bool acct_counts(const struct daemon *d, struct acct_counts *out);

#endif
