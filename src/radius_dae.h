/* Dynamic Authorization (RFC 5176): the Disconnect-Requests and
 * CoA-Requests a RADIUS server or another dynamic-authorization client
 * (DAC) sends to end or change a user's session, answered as strongSwan's
 * eap-radius plugin does with charon.plugins.eap-radius.dae { enable,
 * listen (0.0.0.0), port (3799), secret } of strongswan.conf
 * (conf/radius_conf.h).
 *
 * One UDP socket on the event loop, non-blocking, read whenever it is
 * readable. A datagram is acted on only when, in this order:
 *  0. its source address is in dae.clients, when that is set (cygnet's
 *     own key; strongSwan hears any address), and is not blocked for
 *     sending bad authenticators (DAE_BAD_MAX within a minute);
 *  1. it is a well-formed RADIUS packet (rad_parse) of code
 *     Disconnect-Request or CoA-Request;
 *  2. its Request Authenticator, and its Message-Authenticator when it
 *     has one, verify with dae.secret (rad_verify_request);
 *  3. it is not a packet answered before: a cache of the requests
 *     answered in the last DAE_CACHE_SECONDS, by (code, Identifier,
 *     Authenticator), answers a repeated one with the response it got
 *     (RFC 5176 §2.3), without acting again. The Authenticator is an MD5
 *     over the whole packet and the secret, so the key is independent of
 *     the source address: a capture replayed from elsewhere is caught too.
 *     Only requests that passed 2 are remembered, and an entry goes by
 *     age only (DAE_CACHE_SECONDS, twice DAE_WINDOW, so a request with an
 *     Event-Timestamp is remembered as long as it could be replayed);
 *     when DAE_CACHE_MAX younger ones are held, a new request is dropped
 *     (the DAC retransmits) rather than acted on unremembered;
 *  4. its Event-Timestamp, when it has one, is within DAE_WINDOW seconds
 *     of this host's wall clock (RFC 5176 §3.5). An Event-Timestamp is not
 *     required (strongSwan does not check it, radclient does not add it)
 *     unless dae.require_event_timestamp = yes (RFC 5176's Replay
 *     Protection: implementations "SHOULD be configurable to discard"
 *     requests without one): without one, a replay older than the cache
 *     is acted on again.
 * A datagram failing any of these is dropped without an answer (RFC 5176
 * says to discard silently; a NAK would answer a stranger), counted,
 * and logged at most once per DAE_LOG_INTERVAL seconds.
 *
 * What is acted on: the established IKE_SAs of clients (server role)
 * that match every session-identification attribute of the request:
 *  - User-Name: the user cygnetctl status shows (the EAP identity, else
 *    the IKE identity), as the bytes or as their escaped text;
 *  - Framed-IP-Address / Framed-IPv6-Address: the virtual IP;
 *  - Acct-Session-Id: the session's accounting id (dae_acct_session_id,
 *    none until RADIUS accounting gives sessions one);
 *  - Calling-Station-Id: the client's address, "ADDR" or "ADDR[PORT]";
 *  - NAS-Port: the IKE_SA's number (#N in status; strongSwan's NAS-Port).
 * NAS-Identifier, NAS-IP-Address and NAS-IPv6-Address, when present,
 * must name this server (one of the eap-radius nas_identifier values; an
 * address of this host), else the answer is a NAK with Error-Cause 403.
 *
 * Answers (signed with rad_sign_response, a Message-Authenticator when the
 * request had one, its Proxy-State attributes copied in order):
 *  - Disconnect-Request: every matching IKE_SA deleted as `cygnetctl
 *    terminate` does (a DELETE to the client), Disconnect-ACK;
 *  - CoA-Request with Session-Timeout (strongSwan's only CoA change): the
 *    matching sessions end (DELETE) that many seconds from now, CoA-ACK
 *    (a later CoA replaces the time; an IKE_SA rekey keeps it: the
 *    deadline follows the CHILD_SAs into the new IKE_SA). A server cannot
 *    make a client reauthenticate, so the session ends then;
 *  - a NAK with Error-Cause: 503 Session Context Not Found (none
 *    matched), 401 Unsupported Attribute (an attribute cygnet does not act
 *    on, e.g. Filter-Id in a CoA, or a session attribute it cannot match
 *    on), 402 Missing Attribute (no session identification; a CoA that
 *    changes nothing), 404 Invalid Request (an attribute of the wrong
 *    length or repeated, an Error-Cause in a request), 405 Unsupported
 *    Service (Service-Type, i.e. Authorize Only), 403 NAS Identification
 *    Mismatch.
 *
 * Reloads: the secret and every other setting are read from the current
 * configuration at each request; a changed enable/listen/port re-creates
 * the socket (a port below 1024 cannot be bound once privileges are
 * dropped: the old socket stays and a line says a restart is needed). */
#ifndef CYGNET_RADIUS_DAE_H
#define CYGNET_RADIUS_DAE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "conf/radius_conf.h"
#include "src/radius.h"

struct daemon;
struct ike_sa;

#define DAE_WINDOW 300              /* Event-Timestamp: seconds either way */
#define DAE_CACHE_MAX 4096          /* requests remembered for retransmissions */
#define DAE_CACHE_SECONDS (2 * DAE_WINDOW)
#define DAE_LOG_INTERVAL 10         /* seconds between lines about dropped requests */

/* RFC 5176 §3.5 Error-Cause values cygnet sends */
enum dae_cause {
	DAE_OK = 0,
	DAE_UNSUPPORTED_ATTRIBUTE = 401,
	DAE_MISSING_ATTRIBUTE = 402,
	DAE_NAS_MISMATCH = 403,
	DAE_INVALID_REQUEST = 404,
	DAE_UNSUPPORTED_SERVICE = 405,
	DAE_SESSION_NOT_FOUND = 503,
};

/* what a Disconnect- or CoA-Request asks, read by dae_decode (pointers
 * into the packet) */
struct dae_req {
	uint8_t code;
	int n_ident;                    /* session-identification attributes */
	const uint8_t *user; size_t user_len;
	bool has_vip4, has_vip6;
	uint8_t vip4[4], vip6[16];
	const uint8_t *acct_id; size_t acct_id_len;
	const uint8_t *calling; size_t calling_len;
	bool has_nas_port;
	uint32_t nas_port;
	const uint8_t *nas_id; size_t nas_id_len;
	bool has_nas_ip4, has_nas_ip6;
	uint8_t nas_ip4[4], nas_ip6[16];
	bool has_timeout;               /* CoA: Session-Timeout */
	uint32_t timeout;
	bool has_ma;                    /* a Message-Authenticator */
	uint8_t bad_type;               /* the attribute a NAK is about, 0: none */
};

/* Reads the attributes of v (a parsed Disconnect- or CoA-Request; its
 * signature is not looked at) into r: DAE_OK, or the Error-Cause of the
 * NAK it gets for its attributes alone (401, 402, 404, 405; r->bad_type
 * names the attribute). No allocation; v is only read. */
enum dae_cause dae_decode(const struct rad_view *v, struct dae_req *r);

/* true when sa is a session r's identification attributes all match */
bool dae_matches(const struct dae_req *r, const struct ike_sa *sa);

/* true when peer may send requests: dae.clients is unset, or one of its
 * prefixes holds peer's address (an IPv4-mapped IPv6 address as IPv4) */
bool dae_client_allowed(const struct radius_conf *rc, const struct sockaddr *peer);

/* HOOK for RADIUS accounting: the Acct-Session-Id sa was reported under
 * (RFC 2866 §5.5), NULL when it has none (no accounting). */
const char *dae_acct_session_id(const struct ike_sa *sa);

/* Counters shown by cygnetctl status. */
struct dae_stats {
	uint64_t disconnect_ack, disconnect_nak, coa_ack, coa_nak;
	uint64_t repeated;              /* answered again from the cache */
	uint64_t bad_auth;              /* dropped: authenticator did not verify */
	uint64_t stale;                 /* dropped: Event-Timestamp outside DAE_WINDOW */
	uint64_t malformed;             /* dropped: not a DAE request */
	uint64_t blocked;               /* dropped: from an address blocked for guessing */
	uint64_t not_allowed;           /* dropped: from an address not in dae.clients */
	uint64_t no_timestamp;          /* dropped: no Event-Timestamp, one is required */
	uint64_t cache_full;            /* dropped: DAE_CACHE_MAX requests in DAE_CACHE_SECONDS */
	uint64_t terminated;            /* IKE_SAs deleted by Disconnect-Requests */
	uint64_t timed_out;             /* IKE_SAs ended by a CoA's Session-Timeout */
};

/* The DAE state of d (d->dae) without a socket: for tests, which feed
 * radius_dae_input themselves. NULL when out of memory. */
struct radius_dae *radius_dae_new(struct daemon *d);
/* Opens the listener of d->cfg->radius->dae when enable = yes (nothing
 * otherwise): d->dae set, the socket bound (before privileges are
 * dropped: a port below 1024 needs that) and read on d->base. 0; -1 with
 * "strongswan.conf: ..." in err (address taken, not this host's). */
int radius_dae_open(struct daemon *d, char *err, size_t errlen);
/* After a reload switched d->cfg: opens, moves or closes the listener as
 * the new dae settings say (logs what it did, or that a restart is
 * needed). Closing keeps d->dae: Session-Timeouts a CoA-ACK granted still
 * end their sessions. */
void radius_dae_reload(struct daemon *d);
/* closes the socket, frees d->dae and its cache; NULL-safe, idempotent */
void radius_dae_close(struct daemon *d);

/* Handles one datagram pkt (n octets) from peer that arrived at local
 * (may be NULL): acts on it as described above and writes the answer to
 * out (cap >= RAD_MAX_LEN). The answer's length, or 0 for none (dropped).
 * Needs d->dae (radius_dae_new) and d->cfg. */
size_t radius_dae_input(struct daemon *d, const uint8_t *pkt, size_t n,
                        const struct sockaddr *peer, uint8_t *out, size_t cap);
/* the same at monotonic second now (tests: the cache's ages, the
 * blocking of guessers; the Event-Timestamp is still read against the
 * wall clock) */
size_t radius_dae_input_at(struct daemon *d, const uint8_t *pkt, size_t n,
                           const struct sockaddr *peer, uint8_t *out, size_t cap, uint64_t now);

/* the counters; zero when there is no listener */
void radius_dae_stats(const struct daemon *d, struct dae_stats *s);
/* One line for cygnetctl status ("  RADIUS DAE: ...\n"), "" without a
 * listener; the length written, like snprintf. */
int radius_dae_status(const struct daemon *d, char *buf, size_t len);
/* the CoA Session-Timeout deadlines: ends the IKE_SAs whose time has
 * come (called once a second by the listener's timer; for tests) */
void radius_dae_tick(struct daemon *d, uint64_t now);
/* the session of IKE_SA #from now lives in #to (an IKE rekey): its CoA
 * Session-Timeout goes with it */
void radius_dae_moved(struct daemon *d, uint32_t from, uint32_t to);

#endif
