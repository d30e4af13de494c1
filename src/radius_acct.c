/* RADIUS accounting: see src/radius_acct.h. */
#define _GNU_SOURCE
#include "src/radius_acct.h"

#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <sys/socket.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <event2/event.h>

#include "src/clock.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/eap_radius.h"
#include "src/ident.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/radius_client.h"

#define NAS_PORT_TYPE_VIRTUAL 5
#define SERVICE_TYPE_FRAMED 2
#define ACCT_AUTHENTIC_RADIUS 1
#define ACCT_AUTHENTIC_LOCAL 2

static const char *const status_names[] = {
	[ACCT_START] = "Start", [ACCT_STOP] = "Stop", [ACCT_INTERIM] = "Interim-Update",
	[ACCT_ON] = "Accounting-On", [ACCT_OFF] = "Accounting-Off",
};

static const char *status_name(enum acct_status s)
{
	return (unsigned)s < sizeof(status_names) / sizeof(status_names[0]) && status_names[s]
	       ? status_names[s] : "?";
}

static uint64_t mono_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* ---- building ---- */

static void put_text(struct rad_pkt *p, uint8_t type, const char *s)
{
	size_t n = strlen(s);
	if (n)
		rad_put(p, type, s, n > RAD_ATTR_MAX ? RAD_ATTR_MAX : n);
}

int acct_build(const struct acct_info *i, struct rad_pkt *p)
{
	rad_put_u32(p, RAD_ACCT_STATUS_TYPE, (uint32_t)i->status);
	if (i->session_id)
		put_text(p, RAD_ACCT_SESSION_ID, i->session_id);
	if (i->user)
		put_text(p, RAD_USER_NAME, i->user);
	if (i->nas4)
		rad_put(p, RAD_NAS_IP_ADDRESS, i->nas_addr4, 4);
	if (i->nas6)
		rad_put(p, RAD_NAS_IPV6_ADDRESS, i->nas_addr6, 16);
	bool sess = i->status != ACCT_ON && i->status != ACCT_OFF;
	if (sess) {
		rad_put_u32(p, RAD_NAS_PORT, i->nas_port);
		rad_put_u32(p, RAD_NAS_PORT_TYPE, NAS_PORT_TYPE_VIRTUAL);
		rad_put_u32(p, RAD_SERVICE_TYPE, SERVICE_TYPE_FRAMED);
		rad_put_u32(p, RAD_ACCT_AUTHENTIC,
		            i->radius_auth ? ACCT_AUTHENTIC_RADIUS : ACCT_AUTHENTIC_LOCAL);
	}
	if (i->called)
		put_text(p, RAD_CALLED_STATION_ID, i->called);
	if (i->calling)
		put_text(p, RAD_CALLING_STATION_ID, i->calling);
	if (i->vip4)
		rad_put(p, RAD_FRAMED_IP_ADDRESS, i->addr4, 4);
	if (i->vip6) {
		/* Framed-IPv6-Address (RFC 6911): the address itself */
		rad_put(p, RAD_FRAMED_IPV6_ADDRESS, i->addr6, 16);
	}
	for (int k = 0; k < i->n_cls; k++)
		rad_put(p, RAD_CLASS, i->cls[k], i->cls_len[k]);
	if (i->status == ACCT_INTERIM || i->status == ACCT_STOP) {
		rad_put_u32(p, RAD_ACCT_SESSION_TIME, i->session_time);
		rad_put_u32(p, RAD_ACCT_INPUT_OCTETS, (uint32_t)i->in_octets);
		rad_put_u32(p, RAD_ACCT_OUTPUT_OCTETS, (uint32_t)i->out_octets);
		if (i->in_octets >> 32)
			rad_put_u32(p, RAD_ACCT_INPUT_GIGAWORDS, (uint32_t)(i->in_octets >> 32));
		if (i->out_octets >> 32)
			rad_put_u32(p, RAD_ACCT_OUTPUT_GIGAWORDS, (uint32_t)(i->out_octets >> 32));
		/* packets have no Gigawords attribute: they saturate */
		rad_put_u32(p, RAD_ACCT_INPUT_PACKETS,
		            i->in_packets > UINT32_MAX ? UINT32_MAX : (uint32_t)i->in_packets);
		rad_put_u32(p, RAD_ACCT_OUTPUT_PACKETS,
		            i->out_packets > UINT32_MAX ? UINT32_MAX : (uint32_t)i->out_packets);
	}
	if (i->status == ACCT_STOP)
		rad_put_u32(p, RAD_ACCT_TERMINATE_CAUSE,
		            i->cause ? (uint32_t)i->cause : ACCT_TC_USER_REQUEST);
	rad_put_u32(p, RAD_EVENT_TIMESTAMP, i->event_time);
	return p->overflow ? -1 : 0;
}

/* ---- the queue ---- */

struct rec {
	struct rec *next;
	struct acct_queue *q;
	enum acct_status status;
	uint64_t made_ms;
	struct radc_req *req;              /* in flight */
	bool tried;                        /* sent before without an answer */
	size_t len;
	uint8_t attrs[];
};

struct acct_queue {
	struct event_base *base;
	struct radius_client **client;
	size_t max, n, in_flight;
	struct rec *head, *tail;
	struct event *retry;
	bool holding;                      /* a record got no answer: wait for retry */
	uint32_t retry_ms;
	struct acct_counts c;
	void (*on_empty)(void *);          /* the queue became empty (shutdown) */
	void *on_empty_arg;
	acct_timeout_fn on_timeout;        /* a record got no answer */
	void *on_timeout_arg;
};

static void pump(struct acct_queue *q);

struct acct_queue *acct_queue_new(struct event_base *base, struct radius_client **client,
                                  size_t max)
{
	struct acct_queue *q = calloc(1, sizeof(*q));
	if (!q)
		return NULL;
	q->base = base;
	q->client = client;
	q->max = max ? max : 1;
	q->retry_ms = ACCT_RETRY_SECONDS * 1000;
	return q;
}

static void unlink_rec(struct acct_queue *q, struct rec *r)
{
	struct rec **pp = &q->head, *prev = NULL;
	while (*pp && *pp != r) {
		prev = *pp;
		pp = &(*pp)->next;
	}
	if (!*pp)
		return;
	*pp = r->next;
	if (q->tail == r)
		q->tail = prev;
	q->n--;
	q->c.queued = q->n;
}

static void rec_free(struct rec *r)
{
	free(r);
}

static void on_retry(evutil_socket_t fd, short what, void *arg)
{
	struct acct_queue *q = arg;
	(void)fd;
	(void)what;
	q->holding = false;
	pump(q);
}

static void hold(struct acct_queue *q)
{
	if (!q->retry)
		q->retry = evtimer_new(q->base, on_retry, q);
	if (!q->retry || evtimer_pending(q->retry, NULL))
		return;
	q->holding = true;
	struct timeval tv = { q->retry_ms / 1000, (q->retry_ms % 1000) * 1000 };
	evtimer_add(q->retry, &tv);
}

static void check_empty(struct acct_queue *q)
{
	if (!q->head && q->on_empty)
		q->on_empty(q->on_empty_arg);
}

static void on_done(void *arg, const struct radc_answer *a)
{
	struct rec *r = arg;
	struct acct_queue *q = r->q;
	r->req = NULL;
	q->in_flight--;
	if (a->status == RADC_ANSWER) {
		q->c.answered++;
		log_dbg(LOG_IKE, "RADIUS accounting: %s answered by %s", status_name(r->status),
		        a->server ? a->server : "?");
		unlink_rec(q, r);
		rec_free(r);
		pump(q);
		check_empty(q);
		return;
	}
	if (!r->tried || !q->holding)
		log_err(LOG_IKE, "RADIUS accounting: %s got no answer (%s): %zu record%s queued, "
		        "next try in %u ms", status_name(r->status), a->why ? a->why : "no server",
		        q->n, q->n == 1 ? "" : "s", q->retry_ms);
	r->tried = true;
	hold(q);
	if (q->on_timeout) {
		char sid[RAD_ATTR_MAX + 1] = "";
		size_t off = 0;
		/* the record's Acct-Session-Id (attributes acct_build made) */
		while (off + 2 <= r->len && r->attrs[off + 1] >= 2 && off + r->attrs[off + 1] <= r->len) {
			if (r->attrs[off] == RAD_ACCT_SESSION_ID) {
				size_t n = (size_t)r->attrs[off + 1] - 2;
				memcpy(sid, r->attrs + off + 2, n);
				sid[n] = '\0';
				break;
			}
			off += r->attrs[off + 1];
		}
		q->on_timeout(q->on_timeout_arg, r->status, sid, a->others_answered);
	}
}

/* sends r with its Acct-Delay-Time now; false when it could not go */
static bool send_rec(struct acct_queue *q, struct rec *r)
{
	if (!*q->client)
		return false;
	uint8_t buf[RAD_MAX_LEN];
	if (r->len + 6 > sizeof(buf))
		return false;
	memcpy(buf, r->attrs, r->len);
	uint64_t now = mono_ms();
	uint32_t delay = now > r->made_ms ? (uint32_t)((now - r->made_ms) / 1000) : 0;
	buf[r->len] = RAD_ACCT_DELAY_TIME;
	buf[r->len + 1] = 6;
	buf[r->len + 2] = (uint8_t)(delay >> 24);
	buf[r->len + 3] = (uint8_t)(delay >> 16);
	buf[r->len + 4] = (uint8_t)(delay >> 8);
	buf[r->len + 5] = (uint8_t)delay;
	r->req = radius_send(*q->client, RAD_ACCT_REQUEST, buf, r->len + 6, on_done, r);
	if (!r->req)
		return false;
	q->in_flight++;
	q->c.sent++;
	if (r->tried)
		q->c.retried++;
	return true;
}

static void pump(struct acct_queue *q)
{
	if (q->holding)
		return;
	for (struct rec *r = q->head; r && q->in_flight < ACCT_IN_FLIGHT; r = r->next) {
		if (r->req)
			continue;
		if (!send_rec(q, r)) {
			r->tried = true;
			hold(q);
			return;
		}
	}
}

/* the queue is full: the oldest Interim-Update waiting goes, else the
 * oldest record waiting; false when every record is in flight */
static bool make_room(struct acct_queue *q)
{
	struct rec *victim = NULL;
	for (struct rec *r = q->head; r; r = r->next)
		if (!r->req && r->status == ACCT_INTERIM) {
			victim = r;
			break;
		}
	for (struct rec *r = q->head; r && !victim; r = r->next)
		if (!r->req)
			victim = r;
	if (!victim)
		return false;
	q->c.dropped++;
	log_err(LOG_IKE, "RADIUS accounting: queue full (%zu records): %s dropped (%llu lost "
	        "so far)", q->max, status_name(victim->status), (unsigned long long)q->c.dropped);
	unlink_rec(q, victim);
	rec_free(victim);
	return true;
}

int acct_queue_add(struct acct_queue *q, enum acct_status status, const struct rad_pkt *p,
                   uint64_t made_ms)
{
	size_t len = p->len - RAD_HDR_LEN;
	if (q->n >= q->max && !make_room(q)) {
		q->c.dropped++;
		log_err(LOG_IKE, "RADIUS accounting: queue full (%zu records in flight): %s dropped",
		        q->max, status_name(status));
		return -1;
	}
	struct rec *r = malloc(sizeof(*r) + len);
	if (!r) {
		q->c.dropped++;
		log_err(LOG_IKE, "RADIUS accounting: out of memory: %s dropped", status_name(status));
		return -1;
	}
	*r = (struct rec){ .q = q, .status = status, .made_ms = made_ms, .len = len };
	memcpy(r->attrs, p->buf + RAD_HDR_LEN, len);
	if (q->tail)
		q->tail->next = r;
	else
		q->head = r;
	q->tail = r;
	q->n++;
	q->c.queued = q->n;
	pump(q);
	return 0;
}

void acct_queue_set_retry(struct acct_queue *q, uint32_t ms)
{
	q->retry_ms = ms;
}

void acct_queue_on_timeout(struct acct_queue *q, acct_timeout_fn fn, void *arg)
{
	q->on_timeout = fn;
	q->on_timeout_arg = arg;
}

void acct_queue_counts(const struct acct_queue *q, struct acct_counts *out)
{
	*out = q->c;
	out->queued = q->n;
}

enum acct_status acct_queue_peek(const struct acct_queue *q, size_t i)
{
	const struct rec *r = q->head;
	while (r && i--)
		r = r->next;
	return r ? r->status : 0;
}

size_t acct_queue_len(const struct acct_queue *q)
{
	return q->n;
}

void acct_queue_free(struct acct_queue *q)
{
	if (!q)
		return;
	size_t lost = 0, stops = 0;
	while (q->head) {
		struct rec *r = q->head;
		q->head = r->next;
		radius_cancel(r->req);
		lost++;
		if (r->status == ACCT_STOP)
			stops++;
		rec_free(r);
	}
	if (lost) {
		q->c.dropped += lost;
		log_err(LOG_IKE, "RADIUS accounting: %zu record%s never answered and lost at stop "
		        "(%zu Stop%s)", lost, lost == 1 ? "" : "s", stops, stops == 1 ? "" : "s");
	}
	if (q->retry)
		event_free(q->retry);
	free(q);
}

/* ---- the daemon's side ---- */

struct acct_sess {
	struct ike_sa *sa;
	char id[32];
	uint32_t nas_port;
	uint64_t started_at;               /* monotonic seconds of the Start */
	struct esp_counters gone;          /* deleted CHILD_SAs' final counts */
	struct esp_counters base;          /* the counts at a Start a reload made */
	bool from_reload;                  /* established before accounting was on */
	bool started;
	enum acct_cause cause;
	struct event *ev;                  /* the Start, then each Interim-Update */
};

struct radius_acct {
	struct daemon *d;
	struct acct_queue *q;
	struct event *grace;
	bool stopping;
	bool off;                          /* switched off by a reload: the queue drains */
	unsigned ons;                      /* times switched on (start, reloads) */
};

static const struct radius_conf *conf_of(const struct daemon *d)
{
	return d->cfg ? d->cfg->radius : NULL;
}

static void nas_addr(const struct ike_sa *sa, struct acct_info *i)
{
	if (sa->local.ss_family == AF_INET) {
		memcpy(i->nas_addr4, &((const struct sockaddr_in *)&sa->local)->sin_addr, 4);
		i->nas4 = true;
	} else if (sa->local.ss_family == AF_INET6) {
		memcpy(i->nas_addr6, &((const struct sockaddr_in6 *)&sa->local)->sin6_addr, 16);
		i->nas6 = true;
	}
}

/* the session's traffic: deleted CHILD_SAs plus the installed ones */
static void sess_counters(struct daemon *d, const struct ike_sa *sa, const struct acct_sess *s,
                          struct esp_counters *t)
{
	*t = s->gone;
	for (int k = 0; k < sa->n_child; k++) {
		struct dp_sa_stats st;
		if (sa->child[k].installed && dp_sa_stats(d->dp, sa->child[k].spi_in, &st) == 0)
			esp_counters_add(t, &st.ctr);
	}
}

/* a count since base (never below 0) */
static uint64_t since(uint64_t now, uint64_t base)
{
	return now > base ? now - base : 0;
}

static void queue_session(struct daemon *d, struct ike_sa *sa, struct acct_sess *s,
                          enum acct_status status)
{
	const struct radius_conf *rc = conf_of(d);
	struct radius_acct *a = d->acct;
	if (!a || !rc)
		return;
	struct acct_info i = { .status = status, .session_id = s->id, .nas_port = s->nas_port,
	                       .radius_auth = sa->radius != NULL, .cause = s->cause,
	                       .event_time = (uint32_t)time(NULL) };
	/* the user (EAP identity), else the client's IKE identity
	 * (certificate and PSK logins), as strongSwan's accounting does */
	char who[sizeof(sa->user)], user[sizeof(sa->user) + sizeof(rc->id_prefix)];
	if (sa->user[0])
		snprintf(who, sizeof(who), "%s", sa->user);
	else
		ident_format(&sa->idi, who, sizeof(who));
	/* id_prefix goes before the client's name, not before one RADIUS
	 * gave (it has what the server wants) */
	snprintf(user, sizeof(user), "%s%s",
	         sa->radius && sa->radius->name_from_accept ? "" : rc->id_prefix, who);
	i.user = user[0] ? user : NULL;
	nas_addr(sa, &i);
	char called[80], calling[80];
	addr_text((const struct sockaddr *)&sa->local, rc->station_id_with_port, called, sizeof(called));
	addr_text((const struct sockaddr *)&sa->peer, rc->station_id_with_port, calling, sizeof(calling));
	i.called = called;
	i.calling = calling;
	i.vip4 = sa->has_vip4;
	i.vip6 = sa->has_vip6;
	memcpy(i.addr4, sa->vip4, 4);
	memcpy(i.addr6, sa->vip6, 16);
	const uint8_t *cls[RADIUS_MAX_CLASS];
	if (rc->accounting_send_class && sa->radius) {
		for (int k = 0; k < sa->radius->n_cls && k < RADIUS_MAX_CLASS; k++)
			cls[k] = sa->radius->cls[k];
		i.cls = cls;
		i.cls_len = sa->radius->cls_len;
		i.n_cls = sa->radius->n_cls;
	}
	if (status != ACCT_START) {
		uint64_t now = now_sec();
		i.session_time = now > s->started_at ? (uint32_t)(now - s->started_at) : 0;
		struct esp_counters t;
		sess_counters(d, sa, s, &t);
		/* a session accounting met at a reload counts from its Start */
		i.in_octets = since(t.bytes_in, s->base.bytes_in);
		i.out_octets = since(t.bytes_out, s->base.bytes_out);
		i.in_packets = since(t.packets_in, s->base.packets_in);
		i.out_packets = since(t.packets_out, s->base.packets_out);
	}
	struct rad_pkt *p = malloc(sizeof(*p));
	if (!p) {
		log_err(LOG_IKE, "%s: RADIUS accounting: out of memory, %s not sent", ike_sa_tag(sa),
		        status_name(status));
		return;
	}
	rad_new(p, RAD_ACCT_REQUEST, 0);
	if (acct_build(&i, p) != 0)
		log_err(LOG_IKE, "%s: RADIUS accounting: %s does not fit a RADIUS packet",
		        ike_sa_tag(sa), status_name(status));
	else
		acct_queue_add(a->q, status, p, mono_ms());
	log_info(LOG_IKE, "%s: RADIUS accounting %s for '%s', Acct-Session-Id %s", ike_sa_tag(sa),
	         status_name(status), sa->user, s->id);
	free(p);
}

static uint32_t interval_of(const struct daemon *d, const struct ike_sa *sa)
{
	if (sa->radius && sa->radius->interim_interval)
		return sa->radius->interim_interval;
	const struct radius_conf *rc = conf_of(d);
	return rc ? rc->accounting_interval : 0;
}

static void sess_free(struct ike_sa *sa)
{
	struct acct_sess *s = sa->acct;
	if (!s)
		return;
	if (s->ev)
		event_free(s->ev);
	free(s);
	sa->acct = NULL;
}

static void on_sess_timer(evutil_socket_t fd, short what, void *arg)
{
	struct acct_sess *s = arg;
	struct ike_sa *sa = s->sa;
	struct daemon *d = sa->d;
	const struct radius_conf *rc = conf_of(d);
	(void)fd;
	(void)what;
	if (!d->acct || d->acct->stopping || d->acct->off || sa->state != IKE_S_ESTABLISHED)
		return;
	if (!s->started) {
		if (rc && rc->accounting_requires_vip && !sa->has_vip4 && !sa->has_vip6) {
			log_info(LOG_IKE, "%s: no virtual IP: no RADIUS accounting "
			         "(accounting_requires_vip)", ike_sa_tag(sa));
			sess_free(sa);
			return;
		}
		s->started = true;
		s->started_at = now_sec();
		if (s->from_reload)
			sess_counters(d, sa, s, &s->base);
		queue_session(d, sa, s, ACCT_START);
	} else {
		queue_session(d, sa, s, ACCT_INTERIM);
	}
	uint32_t iv = interval_of(d, sa);
	if (iv) {
		struct timeval tv = { iv, 0 };
		evtimer_add(s->ev, &tv);
	}
}

void acct_established(struct daemon *d, struct ike_sa *sa)
{
	if (!d->acct || d->acct->stopping || d->acct->off || sa->client || sa->probe || sa->acct)
		return;
	struct acct_sess *s = calloc(1, sizeof(*s));
	if (!s)
		return;
	s->sa = sa;
	if (sa->radius) {
		snprintf(s->id, sizeof(s->id), "%s", sa->radius->acct_session_id);
		s->nas_port = sa->radius->nas_port;
	} else {
		snprintf(s->id, sizeof(s->id), "%llu-%u", (unsigned long long)d->started, sa->id);
		s->nas_port = sa->id;
	}
	s->ev = evtimer_new(d->base, on_sess_timer, s);
	if (!s->ev) {
		free(s);
		return;
	}
	sa->acct = s;
	struct timeval tv = { 0, 0 };
	evtimer_add(s->ev, &tv);
}

void acct_set_cause(struct ike_sa *sa, enum acct_cause cause)
{
	if (sa->acct && !sa->acct->cause)
		sa->acct->cause = cause;
}

void acct_child_gone(struct daemon *d, const struct ike_sa *sa, uint32_t spi_in)
{
	struct dp_sa_stats st;
	if (!sa->acct || dp_sa_stats(d->dp, spi_in, &st) != 0)
		return;
	esp_counters_add(&sa->acct->gone, &st.ctr);
}

void acct_move(struct ike_sa *from, struct ike_sa *to)
{
	if (!from->acct)
		return;
	sess_free(to);                     /* a Start not yet sent for the new IKE_SA */
	to->acct = from->acct;
	from->acct = NULL;
	to->acct->sa = to;
}

void acct_sa_gone(struct daemon *d, struct ike_sa *sa)
{
	struct acct_sess *s = sa->acct;
	if (!s)
		return;
	if (s->started)
		queue_session(d, sa, s, ACCT_STOP);
	sess_free(sa);
}

/* The NAS-IP(v6)-Address of an Accounting-On/-Off: the address this host
 * sends from to the first server given as an address (the kernel's route
 * choice: a UDP socket connected, no packet sent). FreeRADIUS's sqlippool
 * clears the leases of that NAS-IP-Address (on_clear, off_clear). false:
 * none found (the servers are names, or no route). */
static bool onoff_nas(const struct daemon *d, struct acct_info *i)
{
	const struct radius_conf *rc = conf_of(d);
	for (int k = 0; rc && k < rc->n_servers; k++) {
		const struct radius_server_conf *sc = &rc->servers[k];
		struct sockaddr_storage ss = { 0 };
		socklen_t sl;
		struct sockaddr_in *s4 = (struct sockaddr_in *)&ss;
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&ss;
		if (inet_pton(AF_INET, sc->address, &s4->sin_addr) == 1) {
			s4->sin_family = AF_INET;
			s4->sin_port = htons(sc->acct_port);
			sl = sizeof(*s4);
		} else if (inet_pton(AF_INET6, sc->address, &s6->sin6_addr) == 1) {
			s6->sin6_family = AF_INET6;
			s6->sin6_port = htons(sc->acct_port);
			sl = sizeof(*s6);
		} else {
			continue;
		}
		int fd = socket(ss.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
		if (fd < 0)
			continue;
		struct sockaddr_storage me;
		socklen_t ml = sizeof(me);
		bool got = connect(fd, (struct sockaddr *)&ss, sl) == 0 &&
		           getsockname(fd, (struct sockaddr *)&me, &ml) == 0 &&
		           me.ss_family == ss.ss_family;
		close(fd);
		if (!got)
			continue;
		if (me.ss_family == AF_INET) {
			memcpy(i->nas_addr4, &((struct sockaddr_in *)&me)->sin_addr, 4);
			i->nas4 = true;
		} else {
			memcpy(i->nas_addr6, &((struct sockaddr_in6 *)&me)->sin6_addr, 16);
			i->nas6 = true;
		}
		return true;
	}
	return false;
}

static void queue_onoff(struct daemon *d, enum acct_status st)
{
	struct rad_pkt *p = malloc(sizeof(*p));
	if (!p)
		return;
	rad_new(p, RAD_ACCT_REQUEST, 0);
	char sid[32];
	snprintf(sid, sizeof(sid), "%llu-0", (unsigned long long)d->started);
	struct acct_info i = { .status = st, .session_id = sid, .event_time = (uint32_t)time(NULL) };
	onoff_nas(d, &i);
	if (acct_build(&i, p) == 0)
		acct_queue_add(d->acct->q, st, p, mono_ms());
	free(p);
	char nas[INET6_ADDRSTRLEN] = "";
	if (i.nas4)
		inet_ntop(AF_INET, i.nas_addr4, nas, sizeof(nas));
	else if (i.nas6)
		inet_ntop(AF_INET6, i.nas_addr6, nas, sizeof(nas));
	log_err(LOG_IKE, "RADIUS accounting: %s%s%s", status_name(st),
	        nas[0] ? ", NAS-IP-Address " : "", nas);
}

/* a session to close, found again by its Acct-Session-Id */
struct close_req {
	struct daemon *d;
	bool others;                       /* the servers answered other requests */
	char sid[];
};

/* accounting_close_on_timeout = yes: the session whose Start or
 * Interim-Update got no answer ends (from the event loop, not from inside
 * the queue) */
static void close_session(evutil_socket_t fd, short what, void *arg)
{
	struct close_req *c = arg;
	(void)fd;
	(void)what;
	struct daemon *d = c->d;
	for (struct ike_sa *sa = d->sas; d->acct && !d->acct->stopping && sa; sa = sa->next) {
		if (!sa->acct || sa->state != IKE_S_ESTABLISHED || strcmp(sa->acct->id, c->sid) != 0)
			continue;
		/* every client's only when the servers answer nobody: one
		 * record a server will not take must not end all sessions */
		bool all = d->cfg->radius->close_all_on_timeout && !c->others;
		if (!all)
			log_err(LOG_IKE, "%s: RADIUS accounting for '%s' got no answer: deleting the "
			        "IKE_SA (accounting_close_on_timeout = yes)", ike_sa_tag(sa), sa->user);
		eap_radius_timeout(d, sa, all);
		ike_sa_reap(d);
		break;
	}
	free(c);
}

static void on_record_timeout(void *arg, enum acct_status st, const char *sid, bool others)
{
	struct radius_acct *a = arg;
	const struct radius_conf *rc = conf_of(a->d);
	if ((st != ACCT_START && st != ACCT_INTERIM) || !sid[0] || a->stopping || a->off || !rc ||
	    !rc->accounting_close_on_timeout || !rc->accounting_close_on_timeout_set)
		return;
	size_t n = strlen(sid);
	struct close_req *c = malloc(sizeof(*c) + n + 1);
	if (!c)
		return;
	c->d = a->d;
	c->others = others;
	memcpy(c->sid, sid, n + 1);
	struct timeval tv = { 0, 0 };
	if (event_base_once(a->d->base, -1, EV_TIMEOUT, close_session, c, &tv) != 0)
		free(c);
}

/* says what a session does when its accounting server does not answer */
static void log_close_mode(const struct radius_conf *rc)
{
	if (!rc->accounting_close_on_timeout_set)
		log_info(LOG_CFG, "RADIUS accounting: sessions stay up while no accounting server "
		         "answers; their records are queued and sent when one does (strongSwan "
		         "closes them: write accounting_close_on_timeout = yes for that)");
	else if (rc->accounting_close_on_timeout)
		log_info(LOG_CFG, "RADIUS accounting: accounting_close_on_timeout = yes: a session "
		         "whose Start or Interim-Update gets no answer is deleted (Lost-Service)");
}

int acct_start(struct daemon *d)
{
	const struct radius_conf *rc = conf_of(d);
	if (!rc || !rc->enabled || !rc->accounting || d->acct)
		return 0;
	struct radius_acct *a = calloc(1, sizeof(*a));
	if (!a || !(a->q = acct_queue_new(d->base, &d->radius, ACCT_QUEUE_MAX))) {
		free(a);
		log_err(LOG_IKE, "RADIUS accounting: out of memory, accounting is off");
		return -1;
	}
	a->d = d;
	d->acct = a;
	acct_queue_on_timeout(a->q, on_record_timeout, a);
	a->ons = 1;
	log_close_mode(rc);
	queue_onoff(d, ACCT_ON);
	return 0;
}

/* the live sessions accounting has not met: each gets its Start now */
static void start_live(struct daemon *d)
{
	int n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED || sa->acct || sa->client || sa->probe)
			continue;
		acct_established(d, sa);
		if (sa->acct) {
			struct acct_sess *s = sa->acct;
			s->from_reload = true;
			/* accounting was on before: this session may have had a
			 * Start and Stop with its id; the new ones get their own */
			if (d->acct->ons > 1) {
				size_t l = strlen(s->id);
				snprintf(s->id + l, sizeof(s->id) - l, "-%u", d->acct->ons);
			}
			n++;
		}
	}
	if (n)
		log_err(LOG_IKE, "RADIUS accounting: a Start for each of the %d session%s already "
		        "up (traffic and time counted from now)", n, n == 1 ? "" : "s");
}

int acct_reload(struct daemon *d)
{
	const struct radius_conf *rc = conf_of(d);
	struct radius_acct *a = d->acct;
	bool want = rc && rc->enabled && rc->accounting;
	if (!a) {
		if (!want)
			return 0;
		int r = acct_start(d);
		if (r == 0)
			start_live(d);
		return r;
	}
	if (a->stopping)
		return 0;
	if (want && a->off) {
		a->off = false;
		a->ons++;
		log_err(LOG_CFG, "RADIUS accounting switched on by a reload");
		log_close_mode(rc);
		queue_onoff(d, ACCT_ON);
		start_live(d);
	} else if (want) {
		log_close_mode(rc);
	} else if (!a->off) {
		int n = 0;
		log_err(LOG_CFG, "RADIUS accounting switched off by a reload: a Stop for each "
		        "session, then Accounting-Off%s", d->radius ? "" : " (no RADIUS server "
		        "configured: they stay queued)");
		for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
			if (!sa->acct)
				continue;
			if (sa->acct->started) {
				acct_set_cause(sa, ACCT_TC_NAS_REQUEST);
				n++;
			}
			acct_sa_gone(d, sa);
		}
		queue_onoff(d, ACCT_OFF);
		a->off = true;
		log_info(LOG_IKE, "RADIUS accounting: %d Stop%s for sessions that stay up", n,
		         n == 1 ? "" : "s");
	}
	return 0;
}

static void grace_over(evutil_socket_t fd, short what, void *arg)
{
	struct radius_acct *a = arg;
	(void)fd;
	(void)what;
	event_base_loopexit(a->d->base, NULL);
}

static void queue_empty(void *arg)
{
	struct radius_acct *a = arg;
	event_base_loopexit(a->d->base, NULL);
}

bool acct_stopping(struct daemon *d)
{
	struct radius_acct *a = d->acct;
	if (!a || a->stopping)
		return false;
	if (!a->off)                       /* a reload sent it already */
		queue_onoff(d, ACCT_OFF);
	a->stopping = true;
	a->q->holding = false;             /* one last try for everything queued */
	pump(a->q);
	if (!a->q->head)
		return false;
	a->q->on_empty = queue_empty;
	a->q->on_empty_arg = a;
	a->grace = evtimer_new(d->base, grace_over, a);
	if (!a->grace)
		return false;
	struct timeval tv = { ACCT_GRACE_MS / 1000, (ACCT_GRACE_MS % 1000) * 1000 };
	evtimer_add(a->grace, &tv);
	log_err(LOG_IKE, "RADIUS accounting: waiting up to %d ms for %zu record%s",
	        ACCT_GRACE_MS, a->q->n, a->q->n == 1 ? "" : "s");
	return true;
}

void acct_free(struct daemon *d)
{
	struct radius_acct *a = d->acct;
	if (!a)
		return;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		sess_free(sa);
	acct_queue_free(a->q);
	if (a->grace)
		event_free(a->grace);
	free(a);
	d->acct = NULL;
}

const char *acct_session_id(const struct ike_sa *sa)
{
	if (sa->acct)
		return sa->acct->id;
	return sa->radius ? sa->radius->acct_session_id : NULL;
}

bool acct_counts(const struct daemon *d, struct acct_counts *out)
{
	if (!d->acct)
		return false;
	acct_queue_counts(d->acct->q, out);
	return true;
}

int acct_status(const struct daemon *d, char *out, size_t len)
{
	struct acct_counts c;
	if (!acct_counts(d, &c))
		return snprintf(out, len, "%s", "");
	return snprintf(out, len, "  RADIUS accounting: %llu requests sent, %llu records answered, "
	                "%llu sent again, %llu queued, %llu dropped%s\n",
	                (unsigned long long)c.sent, (unsigned long long)c.answered,
	                (unsigned long long)c.retried, (unsigned long long)c.queued,
	                (unsigned long long)c.dropped,
	                d->acct->off ? " (switched off by a reload)" : "");
}
