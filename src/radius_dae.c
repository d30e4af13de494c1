/* Dynamic Authorization (RFC 5176) listener: see src/radius_dae.h. */
#define _GNU_SOURCE
#include "src/radius_dae.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/crypto.h>

#include "src/clock.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/escape.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/radius_acct.h"
#include "src/udp.h"

/* a request answered: its key and the answer sent */
struct dae_cached {
	uint8_t code, id;
	uint8_t auth[RAD_AUTH_LEN];
	uint64_t at;                    /* monotonic seconds */
	uint8_t *resp;
	size_t resp_len;
};

/* a CoA's Session-Timeout: the session ends at `at`. An IKE_SA rekey
 * moves the session to a new IKE_SA (another id) with the same CHILD_SAs
 * (rekey.c, move_session): the inbound SPIs seen at the last tick find
 * that successor. */
#define DAE_TRACK_SPIS 4
/* a listener that answers the right secret and ignores a wrong one tells
 * a guesser which is which: DAE_BAD_MAX bad authenticators from one
 * address within DAE_BAD_WINDOW seconds block it for DAE_BAD_BLOCK
 * seconds (DAE_BAD_SOURCES addresses tracked, the oldest replaced) */
#define DAE_BAD_SOURCES 64
#define DAE_BAD_MAX 5
#define DAE_BAD_WINDOW 60
#define DAE_BAD_BLOCK 300
struct dae_deadline {
	uint32_t sa_id;
	uint64_t at;
	uint32_t spi[DAE_TRACK_SPIS];
	int n_spi;
};

/* an address that sent bad authenticators */
struct dae_bad {
	int family;                     /* 0: unused */
	uint8_t addr[16];
	unsigned n;                     /* within the window from first */
	uint64_t first, until;          /* until: blocked until then */
};

struct radius_dae {
	struct daemon *d;
	int fd;                         /* -1: none (tests) */
	struct event *ev;
	struct event *tick;             /* once a second while deadlines wait */
	char listen[64];                /* as bound: the setting's text and port */
	uint16_t port;
	struct dae_cached cache[DAE_CACHE_MAX];
	unsigned cache_head, cache_n;   /* ring: the oldest entry, how many */
	struct dae_deadline *dl;
	size_t n_dl, cap_dl;
	struct dae_stats st;
	struct dae_bad bad[DAE_BAD_SOURCES];
	struct ratelog rl_drop;
	/* the datagram being handled and its answer */
	uint8_t in[RAD_MAX_LEN + 1], out[RAD_MAX_LEN];
	struct rad_pkt pkt;
};

/* ---- what a request asks (no state) ---- */

enum role {
	R_IDENT,                        /* session identification */
	R_NAS,                          /* NAS identification */
	R_META,                         /* Event-Timestamp, Message-Authenticator, Proxy-State */
	R_COA,                          /* an authorization change (CoA only) */
	R_SERVICE,                      /* Service-Type */
	R_INVALID,                      /* never in a request (Error-Cause) */
};

/* the attributes cygnet knows in a Disconnect- or CoA-Request; any other
 * gets 401 Unsupported Attribute (RFC 5176 §3: all are mandatory) */
static const struct dae_attr {
	uint8_t type, role, min, max;
	bool multi;                     /* may appear more than once */
} dae_attrs[] = {
	{ RAD_USER_NAME, R_IDENT, 1, RAD_ATTR_MAX, false },
	{ RAD_NAS_IP_ADDRESS, R_NAS, 4, 4, false },
	{ RAD_NAS_PORT, R_IDENT, 4, 4, false },
	{ RAD_SERVICE_TYPE, R_SERVICE, 4, 4, false },
	{ RAD_FRAMED_IP_ADDRESS, R_IDENT, 4, 4, false },
	{ RAD_SESSION_TIMEOUT, R_COA, 4, 4, false },
	{ RAD_CALLING_STATION_ID, R_IDENT, 1, RAD_ATTR_MAX, false },
	{ RAD_NAS_IDENTIFIER, R_NAS, 1, RAD_ATTR_MAX, false },
	{ RAD_PROXY_STATE, R_META, 1, RAD_ATTR_MAX, true },
	{ RAD_ACCT_SESSION_ID, R_IDENT, 1, RAD_ATTR_MAX, false },
	{ RAD_EVENT_TIMESTAMP, R_META, 4, 4, false },
	{ RAD_MESSAGE_AUTHENTICATOR, R_META, 16, 16, false },
	{ RAD_NAS_IPV6_ADDRESS, R_NAS, 16, 16, false },
	{ RAD_ERROR_CAUSE, R_INVALID, 0, 0, true },
	{ RAD_FRAMED_IPV6_ADDRESS, R_IDENT, 16, 16, false },
};

static const struct dae_attr *attr_rule(uint8_t type)
{
	for (size_t i = 0; i < sizeof(dae_attrs) / sizeof(dae_attrs[0]); i++)
		if (dae_attrs[i].type == type)
			return &dae_attrs[i];
	return NULL;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* one attribute into r */
static void take(struct dae_req *r, uint8_t type, const uint8_t *val, size_t len)
{
	switch (type) {
	case RAD_USER_NAME: r->user = val; r->user_len = len; break;
	case RAD_NAS_IP_ADDRESS: r->has_nas_ip4 = true; memcpy(r->nas_ip4, val, 4); break;
	case RAD_NAS_IPV6_ADDRESS: r->has_nas_ip6 = true; memcpy(r->nas_ip6, val, 16); break;
	case RAD_NAS_IDENTIFIER: r->nas_id = val; r->nas_id_len = len; break;
	case RAD_NAS_PORT: r->has_nas_port = true; r->nas_port = get32(val); break;
	case RAD_FRAMED_IP_ADDRESS: r->has_vip4 = true; memcpy(r->vip4, val, 4); break;
	case RAD_FRAMED_IPV6_ADDRESS: r->has_vip6 = true; memcpy(r->vip6, val, 16); break;
	case RAD_ACCT_SESSION_ID: r->acct_id = val; r->acct_id_len = len; break;
	case RAD_CALLING_STATION_ID: r->calling = val; r->calling_len = len; break;
	case RAD_SESSION_TIMEOUT: r->has_timeout = true; r->timeout = get32(val); break;
	case RAD_MESSAGE_AUTHENTICATOR: r->has_ma = true; break;
	default: break;
	}
}

enum dae_cause dae_decode(const struct rad_view *v, struct dae_req *r)
{
	memset(r, 0, sizeof(*r));
	r->code = v->code;
	bool coa = v->code == RAD_COA_REQUEST, service = false;
	uint8_t seen[256 / 8] = { 0 };
	size_t off = 0, len;
	uint8_t type;
	const uint8_t *val;
	enum dae_cause unsupported = DAE_OK;

	if (v->code != RAD_DISCONNECT_REQUEST && !coa)
		return DAE_INVALID_REQUEST;
	while (rad_next(v, &off, &type, &val, &len)) {
		const struct dae_attr *a = attr_rule(type);
		bool again = seen[type / 8] & (1u << (type % 8));
		seen[type / 8] |= (uint8_t)(1u << (type % 8));
		if (a && a->role == R_INVALID) {
			r->bad_type = type;
			return DAE_INVALID_REQUEST;
		}
		if (!a || (a->role == R_COA && !coa)) {
			/* the first unsupported one is named; a malformed one
			 * later still wins (404 says more) */
			if (!unsupported) {
				unsupported = DAE_UNSUPPORTED_ATTRIBUTE;
				r->bad_type = type;
			}
			continue;
		}
		if (len < a->min || len > a->max || (again && !a->multi)) {
			r->bad_type = type;
			return DAE_INVALID_REQUEST;
		}
		if (a->role == R_IDENT)
			r->n_ident++;
		if (a->role == R_SERVICE)
			service = true;
		take(r, type, val, len);
	}
	if (unsupported)
		return unsupported;
	if (service) {
		/* Authorize Only (RFC 5176 §3.2) needs an Access-Request of
		 * the NAS: not something cygnet does */
		r->bad_type = RAD_SERVICE_TYPE;
		return DAE_UNSUPPORTED_SERVICE;
	}
	if (!r->n_ident) {
		r->bad_type = RAD_USER_NAME;
		return DAE_MISSING_ATTRIBUTE;
	}
	if (coa && !r->has_timeout) {
		r->bad_type = RAD_SESSION_TIMEOUT;
		return DAE_MISSING_ATTRIBUTE;
	}
	return DAE_OK;
}

const char *dae_acct_session_id(const struct ike_sa *sa)
{
	/* the id of the accounting records (src/radius_acct.h); a RADIUS
	 * session's without accounting */
	return acct_session_id(sa);
}

static bool bytes_eq(const uint8_t *a, size_t alen, const char *s)
{
	return strlen(s) == alen && memcmp(a, s, alen) == 0;
}

static bool user_matches(const struct dae_req *r, const struct ike_sa *sa)
{
	if (bytes_eq(r->user, r->user_len, sa->user))
		return true;
	/* an IKE identity is kept escaped (ident_format): compare that form */
	char esc[sizeof(sa->user)];
	size_t need = esc_text(r->user, r->user_len, esc, sizeof(esc), ESC_BACKSLASH);
	return need < sizeof(esc) && strcmp(esc, sa->user) == 0;
}

/* "ADDR" and "ADDR[PORT]" of the client, as strongSwan's
 * Calling-Station-Id (station_id_with_port) has it */
static bool calling_matches(const struct dae_req *r, const struct ike_sa *sa)
{
	char ip[INET6_ADDRSTRLEN], withport[INET6_ADDRSTRLEN + 8];
	unsigned port;
	if (sa->peer.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&sa->peer;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (sa->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&sa->peer;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	} else {
		return false;
	}
	snprintf(withport, sizeof(withport), "%s[%u]", ip, port);
	return bytes_eq(r->calling, r->calling_len, ip) ||
	       bytes_eq(r->calling, r->calling_len, withport);
}

bool dae_matches(const struct dae_req *r, const struct ike_sa *sa)
{
	if (!r->n_ident)
		return false;
	if (r->user && !user_matches(r, sa))
		return false;
	if (r->has_vip4 && !(sa->has_vip4 && memcmp(sa->vip4, r->vip4, 4) == 0))
		return false;
	if (r->has_vip6 && !(sa->has_vip6 && memcmp(sa->vip6, r->vip6, 16) == 0))
		return false;
	if (r->acct_id) {
		const char *id = dae_acct_session_id(sa);
		if (!id || !bytes_eq(r->acct_id, r->acct_id_len, id))
			return false;
	}
	if (r->calling && !calling_matches(r, sa))
		return false;
	if (r->has_nas_port && sa->id != r->nas_port)
		return false;
	return true;
}

/* ---- is it us (NAS identification) ---- */

/* true when addr is an address of this host: it can be bound */
static bool local_address(int family, const uint8_t *addr)
{
	static const uint8_t zero[16];
	if (memcmp(addr, zero, family == AF_INET ? 4 : 16) == 0)
		return false;
	struct sockaddr_storage ss;
	memset(&ss, 0, sizeof(ss));
	socklen_t sl;
	if (family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		memcpy(&s->sin_addr, addr, 4);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		memcpy(&s->sin6_addr, addr, 16);
		sl = sizeof(*s);
	}
	int fd = socket(family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return false;
	bool ok = bind(fd, (struct sockaddr *)&ss, sl) == 0;
	close(fd);
	return ok;
}

static bool our_nas_id(const struct radius_conf *rc, const struct dae_req *r)
{
	if (bytes_eq(r->nas_id, r->nas_id_len, rc->nas_identifier[0] ? rc->nas_identifier
	                                                               : "strongSwan"))
		return true;
	for (int i = 0; i < rc->n_servers; i++)
		if (rc->servers[i].nas_identifier[0] &&
		    bytes_eq(r->nas_id, r->nas_id_len, rc->servers[i].nas_identifier))
			return true;
	return false;
}

static enum dae_cause nas_check(const struct radius_conf *rc, const struct dae_req *r)
{
	if (r->nas_id && !our_nas_id(rc, r))
		return DAE_NAS_MISMATCH;
	if (r->has_nas_ip4 && !local_address(AF_INET, r->nas_ip4))
		return DAE_NAS_MISMATCH;
	if (r->has_nas_ip6 && !local_address(AF_INET6, r->nas_ip6))
		return DAE_NAS_MISMATCH;
	return DAE_OK;
}

/* ---- the cache of answers ---- */

/* The ring holds answered requests in arrival order (only ones whose
 * authenticator verified: a sender without the secret cannot add or push
 * out an entry). An entry goes by age only, DAE_CACHE_SECONDS after it
 * came; when all DAE_CACHE_MAX are younger, a new request is not acted on
 * (cache_room): acting on it unremembered would let its replay act
 * again. */
static struct dae_cached *cache_find(struct radius_dae *e, const struct rad_view *v,
                                     uint64_t now)
{
	for (unsigned k = 0; k < e->cache_n; k++) {
		struct dae_cached *c = &e->cache[(e->cache_head + k) % DAE_CACHE_MAX];
		if (now > c->at + DAE_CACHE_SECONDS)
			continue;
		if (c->code == v->code && c->id == v->id &&
		    CRYPTO_memcmp(c->auth, v->auth, RAD_AUTH_LEN) == 0)
			return c;
	}
	return NULL;
}

/* drops the expired entries at the head; true when one more fits */
static bool cache_room(struct radius_dae *e, uint64_t now)
{
	while (e->cache_n) {
		struct dae_cached *c = &e->cache[e->cache_head];
		if (now <= c->at + DAE_CACHE_SECONDS)
			break;
		free(c->resp);
		c->resp = NULL;
		e->cache_head = (e->cache_head + 1) % DAE_CACHE_MAX;
		e->cache_n--;
	}
	return e->cache_n < DAE_CACHE_MAX;
}

/* remembers request v and its answer; false when out of memory (or no
 * room: cache_room said yes before) */
static bool cache_put(struct radius_dae *e, const struct rad_view *v, const uint8_t *resp,
                      size_t len, uint64_t now)
{
	if (!cache_room(e, now))
		return false;
	uint8_t *copy = malloc(len);
	if (!copy)
		return false;
	struct dae_cached *c = &e->cache[(e->cache_head + e->cache_n) % DAE_CACHE_MAX];
	c->code = v->code;
	c->id = v->id;
	memcpy(c->auth, v->auth, RAD_AUTH_LEN);
	c->at = now;
	c->resp = copy;
	memcpy(copy, resp, len);
	c->resp_len = len;
	e->cache_n++;
	return true;
}

/* ---- CoA Session-Timeout deadlines ---- */

static void track_spis(struct dae_deadline *dl, const struct ike_sa *sa)
{
	dl->n_spi = 0;
	for (int i = 0; i < sa->n_child && dl->n_spi < DAE_TRACK_SPIS; i++)
		if (sa->child[i].spi_in)
			dl->spi[dl->n_spi++] = sa->child[i].spi_in;
}

/* the established IKE_SA holding one of the CHILD_SAs dl saw last */
static struct ike_sa *successor(struct daemon *d, const struct dae_deadline *dl)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED || sa->client || sa->id == dl->sa_id)
			continue;
		for (int i = 0; i < sa->n_child; i++)
			for (int j = 0; j < dl->n_spi; j++)
				if (sa->child[i].spi_in == dl->spi[j])
					return sa;
	}
	return NULL;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct radius_dae *e = arg;
	radius_dae_tick(e->d, now_sec());
}

static int deadline_set(struct radius_dae *e, const struct ike_sa *sa, uint64_t at)
{
	size_t i;
	for (i = 0; i < e->n_dl && e->dl[i].sa_id != sa->id; i++)
		;
	if (i == e->n_dl) {
		if (e->n_dl == e->cap_dl) {
			size_t cap = e->cap_dl ? 2 * e->cap_dl : 16;
			struct dae_deadline *n = realloc(e->dl, cap * sizeof(*n));
			if (!n)
				return -1;
			e->dl = n;
			e->cap_dl = cap;
		}
		e->n_dl++;
	}
	e->dl[i] = (struct dae_deadline){ .sa_id = sa->id, .at = at };  /* a later CoA replaces it */
	track_spis(&e->dl[i], sa);
	if (e->tick && !evtimer_pending(e->tick, NULL)) {
		struct timeval tv = { 1, 0 };
		evtimer_add(e->tick, &tv);
	}
	return 0;
}

void radius_dae_moved(struct daemon *d, uint32_t from, uint32_t to)
{
	struct radius_dae *e = d->dae;
	for (size_t i = 0; e && i < e->n_dl; i++)
		if (e->dl[i].sa_id == from)
			e->dl[i].sa_id = to;
}

void radius_dae_tick(struct daemon *d, uint64_t now)
{
	struct radius_dae *e = d->dae;
	bool reap = false;
	if (!e)
		return;
	for (size_t i = 0; i < e->n_dl;) {
		struct dae_deadline *dl = &e->dl[i];
		struct ike_sa *sa = ike_sa_by_id(d, dl->sa_id), *n;
		if ((!sa || sa->state != IKE_S_ESTABLISHED) && (n = successor(d, dl))) {
			log_dbg(LOG_IKE, "%s: the Session-Timeout of #%u moves with its rekey",
			        ike_sa_tag(n), dl->sa_id);
			dl->sa_id = n->id;
			sa = n;
		}
		if (sa && sa->state == IKE_S_ESTABLISHED)
			track_spis(dl, sa);
		if (sa && sa->state == IKE_S_ESTABLISHED && now < dl->at) {
			i++;
			continue;
		}
		if (sa && sa->state == IKE_S_ESTABLISHED) {
			log_err(LOG_IKE, "%s: the Session-Timeout of a RADIUS CoA-Request has passed: "
			        "deleting the IKE_SA of '%s'", ike_sa_tag(sa), sa->user);
			acct_set_cause(sa, ACCT_TC_SESSION_TIMEOUT);
			ike_sa_send_delete(d, sa);
			ike_sa_set_state(sa, IKE_S_DEAD);
			e->st.timed_out++;
			reap = true;
		} else if (sa && sa->state != IKE_S_DEAD) {
			/* between states (a rekey going on): the deadline stays;
			 * radius_dae_moved hands it to the successor */
			i++;
			continue;
		}
		e->dl[i] = e->dl[--e->n_dl];
	}
	if (reap)
		ike_sa_reap(d);
	if (e->n_dl && e->tick) {
		struct timeval tv = { 1, 0 };
		evtimer_add(e->tick, &tv);
	}
}

/* ---- one request ---- */

static const char *peer_text(const struct sockaddr *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a && a->sa_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (a && a->sa_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)a;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s[%u]", ip, port);
	return buf;
}

static const char *code_name(uint8_t code)
{
	switch (code) {
	case RAD_DISCONNECT_REQUEST: return "Disconnect-Request";
	case RAD_DISCONNECT_ACK: return "Disconnect-ACK";
	case RAD_DISCONNECT_NAK: return "Disconnect-NAK";
	case RAD_COA_REQUEST: return "CoA-Request";
	case RAD_COA_ACK: return "CoA-ACK";
	case RAD_COA_NAK: return "CoA-NAK";
	default: return "RADIUS packet";
	}
}

/* peer's entry in the bad-source table; with make, a new one (replacing
 * the least recently started) when it has none; NULL otherwise */
static struct dae_bad *bad_entry(struct radius_dae *e, const struct sockaddr *peer, bool make)
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	if (peer->sa_family != AF_INET && peer->sa_family != AF_INET6)
		return NULL;
	addr_bytes(peer, &ip, &iplen, &port);
	struct dae_bad *old = &e->bad[0];
	for (int i = 0; i < DAE_BAD_SOURCES; i++) {
		struct dae_bad *b = &e->bad[i];
		if (b->family == peer->sa_family && memcmp(b->addr, ip, iplen) == 0)
			return b;
		if (!b->family || (old->family && b->first < old->first))
			old = b;
	}
	if (!make)
		return NULL;
	memset(old, 0, sizeof(*old));
	old->family = peer->sa_family;
	memcpy(old->addr, ip, iplen);
	return old;
}

/* a bad authenticator from peer: counted, and the address blocked when it
 * keeps coming */
static void bad_note(struct radius_dae *e, const struct sockaddr *peer, const char *from,
                     uint64_t now)
{
	struct dae_bad *b = bad_entry(e, peer, true);
	if (!b)
		return;
	if (!b->n || now - b->first > DAE_BAD_WINDOW) {
		b->n = 0;
		b->first = now;
	}
	if (++b->n >= DAE_BAD_MAX && b->until <= now) {
		b->until = now + DAE_BAD_BLOCK;
		log_err(LOG_NET, "RADIUS DAE: %u bad authenticators from %s within %d s: its "
		        "requests are dropped for %d s (a wrong dae.secret there, or someone "
		        "guessing it)", b->n, from, DAE_BAD_WINDOW, DAE_BAD_BLOCK);
	}
}

static bool blocked(struct radius_dae *e, const struct sockaddr *peer, uint64_t now)
{
	const struct dae_bad *b = bad_entry(e, peer, false);
	return b && b->until > now;
}

static void drop(struct radius_dae *e, uint64_t *counter, const char *from, const char *why)
{
	unsigned more;
	(*counter)++;
	if (ratelog_ok(&e->rl_drop, now_sec(), DAE_LOG_INTERVAL, &more))
		log_err(LOG_NET, "RADIUS DAE: dropped a datagram from %s: %s%s", from, why,
		        more ? " (and others since the last line: see cygnetctl status)" : "");
}

/* the IKE_SAs r names: deleted (Disconnect) or given a deadline (CoA);
 * how many */
static int act(struct daemon *d, const struct dae_req *r, const char *from)
{
	struct radius_dae *e = d->dae;
	uint64_t now = now_sec();
	int n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED || sa->client || sa->probe || !dae_matches(r, sa))
			continue;
		if (r->code == RAD_DISCONNECT_REQUEST) {
			log_err(LOG_IKE, "%s: terminating '%s' on a RADIUS Disconnect-Request from %s",
			        ike_sa_tag(sa), sa->user, from);
			acct_set_cause(sa, ACCT_TC_ADMIN_RESET);
			ike_sa_send_delete(d, sa);
			ike_sa_set_state(sa, IKE_S_DEAD);
			e->st.terminated++;
		} else {
			if (deadline_set(e, sa, now + r->timeout) != 0)
				return -1;
			log_err(LOG_IKE, "%s: '%s' ends in %us (Session-Timeout of a RADIUS CoA-Request "
			        "from %s)", ike_sa_tag(sa), sa->user, r->timeout, from);
		}
		n++;
	}
	if (r->code == RAD_DISCONNECT_REQUEST)
		ike_sa_reap(d);
	else if (n && r->timeout == 0)
		radius_dae_tick(d, now);
	return n;
}

/* the ACK or NAK for request v (cause 0: ACK) into out */
static size_t answer(struct radius_dae *e, const struct rad_view *v, enum dae_cause cause,
                     const struct radius_conf *rc, uint8_t *out, size_t cap)
{
	struct rad_pkt *p = &e->pkt;
	uint8_t code = v->code == RAD_DISCONNECT_REQUEST
	             ? (cause ? RAD_DISCONNECT_NAK : RAD_DISCONNECT_ACK)
	             : (cause ? RAD_COA_NAK : RAD_COA_ACK);
	size_t off = 0, len;
	uint8_t type;
	const uint8_t *val;
	rad_new(p, code, v->id);
	if (cause)
		rad_put_u32(p, RAD_ERROR_CAUSE, (uint32_t)cause);
	/* RFC 5176 §3: Proxy-State copied, in order */
	while (rad_next(v, &off, &type, &val, &len))
		if (type == RAD_PROXY_STATE)
			rad_put(p, type, val, len);
	/* the request's, even where dae_decode stopped before it */
	size_t malen;
	if (rad_find(v, RAD_MESSAGE_AUTHENTICATOR, &malen))
		rad_put_msg_auth(p);
	if (rad_sign_response(p, v->auth, rc->dae.secret, rc->dae.secret_len) != 0 ||
	    p->len > cap)
		return 0;
	memcpy(out, p->buf, p->len);
	return p->len;
}

/* counts and logs the answer (code) to request v */
static void outcome(struct radius_dae *e, const struct rad_view *v, const struct dae_req *r,
                    enum dae_cause cause, int matched, const char *from, uint8_t code)
{
	if (v->code == RAD_DISCONNECT_REQUEST)
		cause ? e->st.disconnect_nak++ : e->st.disconnect_ack++;
	else
		cause ? e->st.coa_nak++ : e->st.coa_ack++;
	char user[96] = "";
	if (r->user)
		esc_text(r->user, r->user_len, user, sizeof(user), ESC_BACKSLASH);
	if (cause)
		log_err(LOG_CFG, "RADIUS DAE: %s %u from %s%s%s%s: %s, Error-Cause %d%s",
		        code_name(v->code), v->id, from, r->user ? " for '" : "", user,
		        r->user ? "'" : "", code_name(code), (int)cause,
		        cause == DAE_SESSION_NOT_FOUND ? " (no such session)" :
		        cause == DAE_NAS_MISMATCH ? " (names another NAS)" : "");
	else
		log_err(LOG_CFG, "RADIUS DAE: %s %u from %s: %d IKE_SA%s %s, %s", code_name(v->code),
		        v->id, from, matched, matched == 1 ? "" : "s",
		        v->code == RAD_DISCONNECT_REQUEST ? "terminated" : "given a Session-Timeout",
		        code_name(code));
	if (cause && r->bad_type)
		log_info(LOG_CFG, "RADIUS DAE: the NAK is about attribute %u", r->bad_type);
}

bool dae_client_allowed(const struct radius_conf *rc, const struct sockaddr *peer)
{
	if (!rc->dae.n_clients)
		return true;
	int family = peer->sa_family;
	const uint8_t *a;
	if (family == AF_INET) {
		a = (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr;
	} else if (family == AF_INET6) {
		a = ((const struct sockaddr_in6 *)peer)->sin6_addr.s6_addr;
		static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
		if (memcmp(a, mapped, sizeof(mapped)) == 0) {
			family = AF_INET;
			a += 12;
		}
	} else {
		return false;
	}
	for (int i = 0; i < rc->dae.n_clients; i++)
		if (radius_prefix_match(&rc->dae.clients[i], family, a))
			return true;
	return false;
}

size_t radius_dae_input(struct daemon *d, const uint8_t *pkt, size_t n,
                        const struct sockaddr *peer, uint8_t *out, size_t cap)
{
	return radius_dae_input_at(d, pkt, n, peer, out, cap, now_sec());
}

size_t radius_dae_input_at(struct daemon *d, const uint8_t *pkt, size_t n,
                           const struct sockaddr *peer, uint8_t *out, size_t cap, uint64_t now)
{
	struct radius_dae *e = d->dae;
	const struct radius_conf *rc = d->cfg->radius;
	char from[INET6_ADDRSTRLEN + 8];
	struct rad_view v;
	uint32_t ts;

	peer_text(peer, from, sizeof(from));
	if (!e || !rc->dae.enable || !rc->dae.secret_len)
		return 0;
	if (!dae_client_allowed(rc, peer)) {
		drop(e, &e->st.not_allowed, from, "not in dae.clients");
		return 0;
	}
	/* blocking an address that bad authenticators come from stops a
	 * guesser, but a forger can spoof the DAC's address to silence it:
	 * with dae.clients, the listed DACs are never blocked (a guesser
	 * spoofing them never sees an answer) */
	bool listed = rc->dae.n_clients > 0;
	if (!listed && blocked(e, peer, now)) {
		drop(e, &e->st.blocked, from, "blocked after repeated bad authenticators");
		return 0;
	}
	if (rad_parse(pkt, n, &v) != 0 ||
	    (v.code != RAD_DISCONNECT_REQUEST && v.code != RAD_COA_REQUEST)) {
		drop(e, &e->st.malformed, from, "not a Disconnect- or CoA-Request");
		return 0;
	}
	if (!rad_verify_request(&v, rc->dae.secret, rc->dae.secret_len, false)) {
		drop(e, &e->st.bad_auth, from, "its authenticator does not verify with dae.secret");
		if (!listed)
			bad_note(e, peer, from, now);
		return 0;
	}
	struct dae_cached *c = cache_find(e, &v, now);
	if (c) {
		e->st.repeated++;
		log_info(LOG_NET, "RADIUS DAE: %s %u from %s repeated: answered again with %s, "
		         "not acted on", code_name(v.code), v.id, from, code_name(c->resp[0]));
		if (c->resp_len > cap)
			return 0;
		memcpy(out, c->resp, c->resp_len);
		return c->resp_len;
	}
	if (rad_find_u32(&v, RAD_EVENT_TIMESTAMP, &ts) == 0) {
		int64_t skew = (int64_t)time(NULL) - (int64_t)ts;
		if (skew > DAE_WINDOW || skew < -DAE_WINDOW) {
			drop(e, &e->st.stale, from, "its Event-Timestamp is more than 300 seconds "
			     "from this host's clock (a replay, or a clock to fix)");
			return 0;
		}
	} else if (rc->dae.require_timestamp) {
		/* RFC 5176, Replay Protection: "configurable to discard" */
		drop(e, &e->st.no_timestamp, from, "no Event-Timestamp (dae.require_event_timestamp "
		     "= yes)");
		return 0;
	}
	if (!cache_room(e, now)) {
		/* every remembered request is younger than DAE_CACHE_SECONDS:
		 * acting on this one unremembered would let a replay act again;
		 * the DAC retransmits */
		drop(e, &e->st.cache_full, from, "too many requests within 600 s (the replay "
		     "cache is full)");
		return 0;
	}

	struct dae_req r;
	enum dae_cause cause = dae_decode(&v, &r);
	if (!cause)
		cause = nas_check(rc, &r);
	int matched = 0;
	if (!cause) {
		matched = act(d, &r, from);
		if (matched < 0)
			return 0;       /* out of memory: no answer, the DAC retransmits */
		if (!matched)
			cause = DAE_SESSION_NOT_FOUND;
	}
	size_t len = answer(e, &v, cause, rc, out, cap);
	if (!len) {
		drop(e, &e->st.malformed, from, "no room for the answer");
		return 0;
	}
	outcome(e, &v, &r, cause, matched, from, out[0]);
	if (!cache_put(e, &v, out, len, now))
		log_err(LOG_NET, "RADIUS DAE: out of memory: %s %u from %s is not remembered (a "
		        "replay of it would be acted on again)", code_name(v.code), v.id, from);
	return len;
}

/* ---- the socket ---- */

/* the local address a datagram arrived at (IP_PKTINFO / IPV6_PKTINFO) */
static bool arrived_at(struct msghdr *mh, int family, struct sockaddr_storage *local)
{
	memset(local, 0, sizeof(*local));
	for (struct cmsghdr *c = CMSG_FIRSTHDR(mh); c; c = CMSG_NXTHDR(mh, c)) {
		if (family == AF_INET && c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO) {
			struct in_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct sockaddr_in *s = (struct sockaddr_in *)local;
			s->sin_family = AF_INET;
			s->sin_addr = pi.ipi_addr;
			return true;
		}
		if (family == AF_INET6 && c->cmsg_level == IPPROTO_IPV6 &&
		    c->cmsg_type == IPV6_PKTINFO) {
			struct in6_pktinfo pi;
			memcpy(&pi, CMSG_DATA(c), sizeof(pi));
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)local;
			s->sin6_family = AF_INET6;
			s->sin6_addr = pi.ipi6_addr;
			return true;
		}
	}
	return false;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct radius_dae *e = arg;
	uint8_t *in = e->in, *out = e->out;
	/* a bounded batch per wakeup: the loop serves IKE in between */
	for (int i = 0; i < 32 && e->d->dae == e; i++) {
		struct sockaddr_storage peer, local;
		uint8_t cbuf[256];
		struct iovec iov = { in, sizeof(e->in) };
		struct msghdr mh = {
			.msg_name = &peer, .msg_namelen = sizeof(peer),
			.msg_iov = &iov, .msg_iovlen = 1,
			.msg_control = cbuf, .msg_controllen = sizeof(cbuf),
		};
		ssize_t n = recvmsg(fd, &mh, MSG_DONTWAIT);
		if (n < 0)
			return;
		if (mh.msg_flags & MSG_TRUNC)
			continue;       /* beyond RFC 2865's 4096 octets */
		size_t len = radius_dae_input(e->d, in, (size_t)n, (struct sockaddr *)&peer, out,
		                              sizeof(e->out));
		if (!len)
			continue;
		int err = arrived_at(&mh, peer.ss_family, &local)
		        ? udp_send_from(fd, (struct sockaddr *)&local, (struct sockaddr *)&peer,
		                        mh.msg_namelen, out, len)
		        : sendto(fd, out, len, 0, (struct sockaddr *)&peer, mh.msg_namelen) < 0 ? errno
		        : 0;
		if (err)
			log_err(LOG_NET, "RADIUS DAE: sending the answer failed: %s", strerror(err));
	}
}

/* dae.listen as an address: strongSwan's %any / %any6 as well */
static int listen_addr(const char *text, uint16_t port, struct sockaddr_storage *ss,
                       socklen_t *sl)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (strcmp(text, "%any") == 0)
		text = "0.0.0.0";
	else if (strcmp(text, "%any6") == 0)
		text = "::";
	if (inet_pton(AF_INET, text, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(port);
		*sl = sizeof(*s4);
		return 0;
	}
	if (inet_pton(AF_INET6, text, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(port);
		*sl = sizeof(*s6);
		return 0;
	}
	return -1;
}

/* a bound socket for the settings, or -1 with err */
static int bind_socket(const char *listen, uint16_t port, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t sl;
	if (listen_addr(listen, port, &ss, &sl) != 0) {
		snprintf(err, errlen, "strongswan.conf: eap-radius.dae.listen '%s' is not an IP "
		         "address", listen);
		return -1;
	}
	int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_UDP);
	int on = 1;
	if (fd < 0 ||
	    (ss.ss_family == AF_INET6 &&
	     (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &on, sizeof(on)) != 0 ||
	      setsockopt(fd, IPPROTO_IPV6, IPV6_RECVPKTINFO, &on, sizeof(on)) != 0)) ||
	    (ss.ss_family == AF_INET &&
	     setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0) {
		snprintf(err, errlen, "strongswan.conf: eap-radius.dae: cannot listen on %s%s%s "
		         "port %u: %s", ss.ss_family == AF_INET6 ? "[" : "", listen,
		         ss.ss_family == AF_INET6 ? "]" : "", port, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

struct radius_dae *radius_dae_new(struct daemon *d)
{
	struct radius_dae *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->d = d;
	e->fd = -1;
	if (d->base && !(e->tick = evtimer_new(d->base, on_tick, e))) {
		free(e);
		return NULL;
	}
	d->dae = e;
	return e;
}

/* the socket of e replaced by fd (bound to listen:port), or closed (-1) */
static int set_socket(struct radius_dae *e, int fd, const char *listen, uint16_t port)
{
	struct event *ev = NULL;
	if (fd >= 0 && !(ev = event_new(e->d->base, fd, EV_READ | EV_PERSIST, on_read, e))) {
		close(fd);
		return -1;
	}
	if (ev && event_add(ev, NULL) != 0) {
		event_free(ev);
		close(fd);
		return -1;
	}
	if (e->ev)
		event_free(e->ev);
	if (e->fd >= 0)
		close(e->fd);
	e->ev = ev;
	e->fd = fd;
	snprintf(e->listen, sizeof(e->listen), "%s", fd >= 0 ? listen : "");
	e->port = fd >= 0 ? port : 0;
	return 0;
}

int radius_dae_open(struct daemon *d, char *err, size_t errlen)
{
	const struct radius_conf *rc = d->cfg->radius;
	if (!rc->dae.enable || d->dae)
		return 0;
	int fd = bind_socket(rc->dae.listen, rc->dae.port, err, errlen);
	if (fd < 0)
		return -1;
	if (!radius_dae_new(d) || set_socket(d->dae, fd, rc->dae.listen, rc->dae.port) != 0) {
		if (!d->dae)
			close(fd);
		radius_dae_close(d);
		snprintf(err, errlen, "RADIUS DAE: out of memory");
		return -1;
	}
	log_err(LOG_CFG, "RADIUS DAE: listening for Disconnect- and CoA-Requests on %s port %u",
	        rc->dae.listen, rc->dae.port);
	return 0;
}

void radius_dae_reload(struct daemon *d)
{
	const struct radius_conf *rc = d->cfg->radius;
	char err[256];
	struct radius_dae *e = d->dae;
	if (!rc->dae.enable) {
		if (e && e->fd >= 0) {
			/* the socket goes; Session-Timeouts already granted stay */
			log_err(LOG_CFG, "reload: RADIUS DAE switched off: %s port %u closed", e->listen,
			        e->port);
			set_socket(e, -1, "", 0);
		}
		return;
	}
	if (e && e->fd >= 0 && strcmp(e->listen, rc->dae.listen) == 0 && e->port == rc->dae.port)
		return;         /* the same socket; the secret is read at each request */
	int fd = bind_socket(rc->dae.listen, rc->dae.port, err, sizeof(err));
	if (fd < 0) {
		log_err(LOG_CFG, "reload: %s; %s", err, e && e->fd >= 0
		        ? "the old listener stays until cygnetd is restarted"
		        : "RADIUS DAE stays off until cygnetd is restarted (ports below 1024 are "
		          "bound before privileges are dropped)");
		return;
	}
	if ((!e && !(e = radius_dae_new(d))) || set_socket(e, fd, rc->dae.listen, rc->dae.port)) {
		if (!e)
			close(fd);
		log_err(LOG_CFG, "reload: RADIUS DAE: out of memory");
		return;
	}
	log_err(LOG_CFG, "reload: RADIUS DAE listening on %s port %u", rc->dae.listen,
	        rc->dae.port);
}

void radius_dae_close(struct daemon *d)
{
	struct radius_dae *e = d->dae;
	if (!e)
		return;
	set_socket(e, -1, "", 0);
	if (e->tick)
		event_free(e->tick);
	for (unsigned k = 0; k < e->cache_n; k++)
		free(e->cache[(e->cache_head + k) % DAE_CACHE_MAX].resp);
	free(e->dl);
	free(e);
	d->dae = NULL;
}

void radius_dae_stats(const struct daemon *d, struct dae_stats *s)
{
	if (d->dae)
		*s = d->dae->st;
	else
		memset(s, 0, sizeof(*s));
}

int radius_dae_status(const struct daemon *d, char *buf, size_t len)
{
	const struct radius_dae *e = d->dae;
	if (!e || e->fd < 0)
		return snprintf(buf, len, "%s", "");
	const struct dae_stats *s = &e->st;
	return snprintf(buf, len, "  RADIUS DAE on %s[%u]: Disconnect %llu ACK / %llu NAK "
	                "(%llu IKE_SAs terminated), CoA %llu ACK / %llu NAK (%zu Session-Timeouts "
	                "pending, %llu ended); %llu repeats answered from the cache; dropped %llu "
	                "with a bad authenticator, %llu with a stale Event-Timestamp, %llu "
	                "malformed, %llu from blocked addresses, %llu from addresses not in "
	                "dae.clients, %llu without an Event-Timestamp, %llu with the replay cache "
	                "full\n", e->listen, e->port,
	                (unsigned long long)s->disconnect_ack, (unsigned long long)s->disconnect_nak,
	                (unsigned long long)s->terminated, (unsigned long long)s->coa_ack,
	                (unsigned long long)s->coa_nak, e->n_dl, (unsigned long long)s->timed_out,
	                (unsigned long long)s->repeated, (unsigned long long)s->bad_auth,
	                (unsigned long long)s->stale, (unsigned long long)s->malformed,
	                (unsigned long long)s->blocked, (unsigned long long)s->not_allowed,
	                (unsigned long long)s->no_timestamp, (unsigned long long)s->cache_full);
}
