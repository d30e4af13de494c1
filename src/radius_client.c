/* The RADIUS client: servers, sockets, Identifiers, retransmission and
 * failover (see radius_client.h). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include <sys/socket.h>
#include "src/clock.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/radius_client.h"

#define RADC_MAX_SOCKETS 64

struct radc_sock {
	int fd;
	struct event *ev;
	struct radc_server *srv;
	struct radc_req *slot[256];        /* by Identifier */
	int used;
	uint8_t next_id;
};

struct radc_server {
	struct radius_client *c;
	int idx;
	char name[64];
	char host[256];
	char label[340];                   /* "name (host:port)" */
	uint8_t secret[RADIUS_SECRET_MAX];
	size_t slen;
	char nas_id[RADIUS_NAS_ID_MAX + 1];
	uint16_t auth_port, acct_port;
	int preference;
	struct radius_retransmit rt;
	struct sockaddr_storage addr;      /* port 0: set per request */
	socklen_t alen;
	bool resolved, resolving;
	uint64_t avoid_until;              /* ms; 0: answering */
	bool silent;                       /* logged as not answering */
	struct ratelog rl_drop;            /* answers dropped: a line every few seconds */
	struct radc_sock socks[RADC_MAX_SOCKETS];
	int n_socks;
};

struct radc_req {
	struct radius_client *c;
	struct radc_req *qnext;            /* the queue for an Identifier */
	bool queued;
	bool kick;                         /* queued, and an Identifier came free */
	uint8_t code;
	uint8_t *attrs;
	size_t alen;
	radc_done done;
	void *arg;
	int order[RADIUS_MAX_SERVERS];     /* servers to try, in turn */
	int n_order, at;                   /* at: the one in use */
	struct radc_sock *sock;            /* holding our Identifier, or NULL */
	uint8_t id;
	uint8_t auth[RAD_AUTH_LEN];
	uint8_t *pkt;                      /* as sent to this server */
	size_t pktlen;
	uint32_t try;                      /* sends to this server so far */
	struct event *timer;
	uint64_t started;
	char tried[400];                   /* servers that did not answer, for why */
};

struct radius_client {
	struct event_base *base;
	struct daemon *d;
	struct radc_server srv[RADIUS_MAX_SERVERS];
	int n_srv;
	unsigned turn;                     /* rotates equal preferences */
	int pending;                       /* requests alive */
	int jobs;                          /* lookups in flight */
	struct radc_req *qhead, *qtail;
	int n_queued;
	bool released;
	/* ms of the last verified answer to an Access-Request [0] and to an
	 * Accounting-Request [1], 0: none (auth and accounting are different
	 * ports, often different processes: one answering says nothing of
	 * the other) */
	uint64_t last_answer[2];
};

static uint64_t now_ms(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void maybe_free(struct radius_client *c);
static void next_server(struct radc_req *r);
static void send_try(struct radc_req *r);

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

static bool literal(const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

/* ---- sockets ---- */

static void close_socks(struct radc_server *s)
{
	for (int i = 0; i < s->n_socks; i++) {
		if (s->socks[i].ev)
			event_free(s->socks[i].ev);
		if (s->socks[i].fd >= 0)
			close(s->socks[i].fd);
		s->socks[i].ev = NULL;
		s->socks[i].fd = -1;
	}
}

static void on_read(evutil_socket_t fd, short what, void *arg);

/* the server's sockets for its address family; 0 or -1 */
static int open_socks(struct radc_server *s, int want, char *err, size_t errlen)
{
	for (int i = 0; i < want; i++) {
		struct radc_sock *k = &s->socks[i];
		memset(k, 0, sizeof(*k));
		k->srv = s;
		RAND_bytes(&k->next_id, 1);
		k->fd = socket(s->addr.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
		if (k->fd < 0) {
			snprintf(err, errlen, "RADIUS server %s: socket: %s", s->label, strerror(errno));
			return -1;
		}
		s->n_socks = i + 1;
		k->ev = event_new(s->c->base, k->fd, EV_READ | EV_PERSIST, on_read, k);
		if (!k->ev || event_add(k->ev, NULL) != 0) {
			snprintf(err, errlen, "RADIUS server %s: cannot watch its socket", s->label);
			return -1;
		}
	}
	return 0;
}

/* ---- names, looked up on a worker ---- */

struct lookup_job {
	struct job job;
	struct radius_client *c;
	int idx;
	char host[256];
	int rc;
	struct sockaddr_storage addr;
	socklen_t alen;
};

static void lookup_run(struct job *jb)
{
	struct lookup_job *j = (struct lookup_job *)jb;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM };
	struct addrinfo *res = NULL;
	j->rc = getaddrinfo(j->host, NULL, &hints, &res);
	if (j->rc == 0 && res && res->ai_addrlen <= sizeof(j->addr)) {
		memcpy(&j->addr, res->ai_addr, res->ai_addrlen);
		j->alen = res->ai_addrlen;
	} else if (j->rc == 0) {
		j->rc = EAI_FAIL;
	}
	if (res)
		freeaddrinfo(res);
}

static void lookup_done(struct daemon *d, struct job *jb, bool cancelled)
{
	(void)d;
	struct lookup_job *j = (struct lookup_job *)jb;
	struct radius_client *c = j->c;
	struct radc_server *s = &c->srv[j->idx];
	c->jobs--;
	s->resolving = false;
	if (!cancelled && !c->released) {
		char err[300];
		if (j->rc != 0) {
			log_err(LOG_CFG, "RADIUS server %s: cannot resolve '%s': %s", s->name, s->host,
			        gai_strerror(j->rc));
		} else if (!s->resolved || s->addr.ss_family != j->addr.ss_family ||
		           memcmp(&s->addr, &j->addr, j->alen) != 0) {
			bool same_family = s->resolved && s->addr.ss_family == j->addr.ss_family;
			memcpy(&s->addr, &j->addr, j->alen);
			s->alen = j->alen;
			set_port(&s->addr, 0);
			bool ok = true;
			if (!same_family) {
				/* sockets with requests in flight keep them: only
				 * an idle server switches family */
				bool busy = false;
				for (int i = 0; i < s->n_socks; i++)
					busy |= s->socks[i].used > 0;
				if (!busy) {
					close_socks(s);
					ok = open_socks(s, s->n_socks ? s->n_socks : 1, err, sizeof(err)) == 0;
				}
			}
			s->resolved = ok;
			char a[INET6_ADDRSTRLEN] = "?";
			if (s->addr.ss_family == AF_INET)
				inet_ntop(AF_INET, &((struct sockaddr_in *)&s->addr)->sin_addr, a, sizeof(a));
			else
				inet_ntop(AF_INET6, &((struct sockaddr_in6 *)&s->addr)->sin6_addr, a, sizeof(a));
			if (ok)
				log_info(LOG_CFG, "RADIUS server %s: '%s' is %s", s->name, s->host, a);
			else
				log_err(LOG_CFG, "%s", err);
		}
	}
	free(j);
	maybe_free(c);
}

static void lookup(struct radc_server *s)
{
	struct radius_client *c = s->c;
	if (!c->d || s->resolving)
		return;
	struct lookup_job *j = calloc(1, sizeof(*j));
	if (!j)
		return;
	j->job.prio = JOB_KNOWN;
	j->job.run = lookup_run;
	j->job.done = lookup_done;
	j->c = c;
	j->idx = s->idx;
	snprintf(j->host, sizeof(j->host), "%s", s->host);
	s->resolving = true;
	c->jobs++;
	if (jobs_submit(c->d, &j->job) != 0) {
		s->resolving = false;
		c->jobs--;
		free(j);
	}
}

/* ---- the client ---- */

struct radius_client *radius_client_new(struct event_base *base, struct daemon *d,
                                        const struct radius_conf *rc, char *err,
                                        size_t errlen)
{
	if (!rc || !rc->enabled || rc->n_servers <= 0) {
		snprintf(err, errlen, "no RADIUS server configured");
		return NULL;
	}
	struct radius_client *c = calloc(1, sizeof(*c));
	if (!c) {
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	c->base = base;
	c->d = d;
	RAND_bytes((uint8_t *)&c->turn, sizeof(c->turn));
	for (int i = 0; i < rc->n_servers && i < RADIUS_MAX_SERVERS; i++) {
		const struct radius_server_conf *sc = &rc->servers[i];
		struct radc_server *s = &c->srv[i];
		s->c = c;
		s->idx = i;
		c->n_srv = i + 1;
		snprintf(s->name, sizeof(s->name), "%s", sc->name[0] ? sc->name : sc->address);
		snprintf(s->host, sizeof(s->host), "%s", sc->address);
		snprintf(s->label, sizeof(s->label), "%s (%s%s%s:%u)",
		         sc->name[0] ? sc->name : sc->address,
		         strchr(sc->address, ':') ? "[" : "", sc->address,
		         strchr(sc->address, ':') ? "]" : "", sc->auth_port);
		s->slen = sc->secret_len < sizeof(s->secret) ? sc->secret_len : sizeof(s->secret);
		memcpy(s->secret, sc->secret, s->slen);
		snprintf(s->nas_id, sizeof(s->nas_id), "%s",
		         sc->nas_identifier[0] ? sc->nas_identifier : rc->nas_identifier);
		s->auth_port = sc->auth_port;
		s->acct_port = sc->acct_port;
		s->preference = sc->preference;
		s->rt = sc->rt;
		if (s->rt.tries == 0)
			s->rt.tries = 1;
		int want = sc->sockets < 1 ? 1 : sc->sockets > RADC_MAX_SOCKETS ? RADC_MAX_SOCKETS
		                                                                 : (int)sc->sockets;
		for (int k = 0; k < RADC_MAX_SOCKETS; k++)
			s->socks[k].fd = -1;
		if (literal(sc->address, &s->addr, &s->alen)) {
			s->resolved = true;
			if (open_socks(s, want, err, errlen) != 0)
				goto fail;
		} else if (!d) {
			snprintf(err, errlen, "RADIUS server %s: '%s' is no address", s->name,
			         sc->address);
			goto fail;
		} else {
			s->n_socks = want;     /* opened once the name resolves */
			lookup(s);
		}
	}
	return c;
fail:
	radius_client_free(c);
	return NULL;
}

void radius_client_describe(const struct radius_client *c, char *out, size_t len)
{
	size_t used = 0;
	out[0] = '\0';
	for (int i = 0; c && i < c->n_srv && used < len; i++) {
		const struct radc_server *s = &c->srv[i];
		char pref[32] = "";
		if (s->preference)
			snprintf(pref, sizeof(pref), ", preference %d", s->preference);
		int n = snprintf(out + used, len - used, "%s%s%s, %d socket%s", i ? "; " : "",
		                 s->label, pref, s->n_socks, s->n_socks == 1 ? "" : "s");
		if (n < 0)
			break;
		used += (size_t)n;
	}
}

static void req_free(struct radc_req *r);

void radius_client_free(struct radius_client *c)
{
	if (!c)
		return;
	/* requests first: they point into the servers' sockets */
	for (int i = 0; i < c->n_srv; i++)
		for (int k = 0; k < c->srv[i].n_socks; k++)
			for (int id = 0; id < 256; id++)
				if (c->srv[i].socks[k].slot[id])
					req_free(c->srv[i].socks[k].slot[id]);
	while (c->qhead)
		req_free(c->qhead);
	for (int i = 0; i < c->n_srv; i++) {
		close_socks(&c->srv[i]);
		OPENSSL_cleanse(c->srv[i].secret, sizeof(c->srv[i].secret));
	}
	if (c->jobs) {
		/* a lookup still runs on a worker: its done() frees c */
		c->released = true;
		return;
	}
	free(c);
}

static void maybe_free(struct radius_client *c)
{
	if (c->released && c->pending == 0 && c->jobs == 0) {
		for (int i = 0; i < c->n_srv; i++) {
			close_socks(&c->srv[i]);
			OPENSSL_cleanse(c->srv[i].secret, sizeof(c->srv[i].secret));
		}
		free(c);
	}
}

void radius_client_release(struct radius_client *c)
{
	if (!c)
		return;
	c->released = true;
	maybe_free(c);
}

int radius_client_pending(const struct radius_client *c)
{
	return c ? c->pending : 0;
}

/* ---- requests ---- */

static void dequeue(struct radc_req *r)
{
	struct radius_client *c = r->c;
	if (!r->queued)
		return;
	struct radc_req **pp = &c->qhead, *prev = NULL;
	while (*pp && *pp != r) {
		prev = *pp;
		pp = &(*pp)->qnext;
	}
	if (*pp) {
		*pp = r->qnext;
		if (c->qtail == r)
			c->qtail = prev;
		c->n_queued--;
	}
	r->queued = false;
	r->qnext = NULL;
}

/* gives the Identifier back; a queued request may take it */
static void release_id(struct radc_req *r)
{
	struct radc_sock *k = r->sock;
	if (!k)
		return;
	k->slot[r->id] = NULL;
	k->used--;
	r->sock = NULL;
	/* the first request waiting for this server goes out from the event
	 * loop (never from inside a caller's radius_cancel or done()) */
	struct radius_client *c = r->c;
	for (struct radc_req *q = c->qhead; q; q = q->qnext) {
		if (q->n_order && !q->kick && q->order[q->at] == k->srv->idx) {
			struct timeval now = { 0, 0 };
			q->kick = true;
			evtimer_add(q->timer, &now);
			break;
		}
	}
}

static void req_free(struct radc_req *r)
{
	struct radius_client *c = r->c;
	dequeue(r);
	if (r->sock) {
		r->sock->slot[r->id] = NULL;
		r->sock->used--;
		r->sock = NULL;
	}
	if (r->timer)
		event_free(r->timer);
	/* an Access-Request holds an NT-Response (crackable offline) */
	if (r->attrs)
		OPENSSL_cleanse(r->attrs, r->alen);
	free(r->attrs);
	if (r->pkt)
		OPENSSL_cleanse(r->pkt, r->pktlen);
	free(r->pkt);
	free(r);
	c->pending--;
}

static void finish(struct radc_req *r, const struct radc_answer *a)
{
	struct radius_client *c = r->c;
	radc_done done = r->done;
	void *arg = r->arg;
	release_id(r);
	req_free(r);
	/* done() may cancel other requests of c (an IKE_SA it ends): c
	 * stays until it returned */
	c->pending++;
	done(arg, a);
	c->pending--;
	maybe_free(c);
}

static void fail(struct radc_req *r, enum radc_status st, const char *why)
{
	struct radc_answer a = { .status = st, .why = why,
	                         .elapsed_ms = (uint32_t)(now_ms() - r->started),
	                         .others_answered =
	                             r->c->last_answer[r->code == RAD_ACCT_REQUEST] > r->started };
	finish(r, &a);
}

/* the wait after try n (1-based): timeout * base^(n-1), in ms */
static uint32_t wait_ms(const struct radius_retransmit *rt, uint32_t n)
{
	double w = rt->timeout_ms;
	for (uint32_t i = 1; i < n && w < 3600000.0; i++)
		w = w * rt->base_milli / 1000.0;
	return w > 3600000.0 ? 3600000 : (uint32_t)w;
}

static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	struct radc_req *r = arg;
	if (r->queued && r->kick) {
		r->kick = false;
		dequeue(r);
		send_try(r);            /* waits again if the Identifier went meanwhile */
		return;
	}
	if (r->queued) {
		fail(r, RADC_FAILED, "too many RADIUS requests in flight");
		return;
	}
	struct radc_server *s = &r->c->srv[r->order[r->at]];
	if (r->try < s->rt.tries) {
		send_try(r);
		return;
	}
	/* the server did not answer: avoided for a while, logged once */
	s->avoid_until = now_ms() + RADC_AVOID_SECONDS * 1000;
	if (!s->silent) {
		s->silent = true;
		log_err(LOG_CFG, "RADIUS server %s does not answer (%u tries); trying other "
		        "servers first for %d s", s->label, s->rt.tries, RADC_AVOID_SECONDS);
		if (!literal(s->host, &(struct sockaddr_storage){ 0 }, &(socklen_t){ 0 }))
			lookup(s);
	}
	size_t used = strlen(r->tried);
	snprintf(r->tried + used, sizeof(r->tried) - used, "%s%s", used ? ", " : "", s->name);
	next_server(r);
}

/* builds the packet for the current server with Identifier r->id */
static int build(struct radc_req *r, struct radc_server *s)
{
	struct rad_pkt *p = malloc(sizeof(*p));
	if (!p)
		return -1;
	rad_new(p, r->code, r->id);
	if (r->alen + RAD_HDR_LEN > sizeof(p->buf)) {
		free(p);
		return -1;
	}
	memcpy(p->buf + RAD_HDR_LEN, r->attrs, r->alen);
	p->len = RAD_HDR_LEN + r->alen;
	/* the server's NAS-Identifier, unless the caller named one */
	bool has_nas_id = false;
	for (size_t off = 0; off + 2 <= r->alen && r->attrs[off + 1] >= 2;
	     off += r->attrs[off + 1])
		has_nas_id |= r->attrs[off] == RAD_NAS_IDENTIFIER;
	if (!has_nas_id && s->nas_id[0])
		rad_put_str(p, RAD_NAS_IDENTIFIER, s->nas_id);
	if (r->code == RAD_ACCESS_REQUEST) {
		rad_put_msg_auth(p);
		RAND_bytes(r->auth, sizeof(r->auth));
	}
	if (rad_sign_request(p, s->secret, s->slen, r->auth) != 0) {
		free(p);
		return -1;
	}
	if (r->code != RAD_ACCESS_REQUEST)
		memcpy(r->auth, p->buf + 4, RAD_AUTH_LEN);
	if (r->pkt)
		OPENSSL_cleanse(r->pkt, r->pktlen);
	free(r->pkt);
	r->pkt = malloc(p->len);
	if (!r->pkt) {
		free(p);
		return -1;
	}
	memcpy(r->pkt, p->buf, p->len);
	r->pktlen = p->len;
	OPENSSL_cleanse(p, sizeof(*p));
	free(p);
	return 0;
}

/* an Identifier of the server's sockets: the least used socket's next
 * free one; false when all are taken */
static bool take_id(struct radc_req *r, struct radc_server *s)
{
	struct radc_sock *best = NULL;
	for (int i = 0; i < s->n_socks; i++)
		if (s->socks[i].fd >= 0 && s->socks[i].used < 256 &&
		    (!best || s->socks[i].used < best->used))
			best = &s->socks[i];
	if (!best)
		return false;
	while (best->slot[best->next_id])
		best->next_id++;
	r->id = best->next_id++;
	r->sock = best;
	best->slot[r->id] = r;
	best->used++;
	return true;
}

static void arm(struct radc_req *r, uint32_t ms)
{
	struct timeval tv = { ms / 1000, (suseconds_t)(ms % 1000) * 1000 };
	evtimer_add(r->timer, &tv);
}

/* one (re)transmission to the current server */
static void send_try(struct radc_req *r)
{
	struct radc_server *s = &r->c->srv[r->order[r->at]];
	if (!r->sock) {
		if (!take_id(r, s)) {
			/* all 256 Identifiers of every socket in use: wait for one,
			 * at most as long as the server's tries would take */
			if (r->c->n_queued >= RADC_MAX_QUEUED) {
				fail(r, RADC_FAILED, "too many RADIUS requests in flight");
				return;
			}
			r->queued = true;
			if (r->c->qtail)
				r->c->qtail->qnext = r;
			else
				r->c->qhead = r;
			r->c->qtail = r;
			r->c->n_queued++;
			uint32_t total = 0;
			for (uint32_t n = 1; n <= s->rt.tries; n++)
				total += wait_ms(&s->rt, n);
			arm(r, total);
			return;
		}
		r->try = 0;
		if (build(r, s) != 0) {
			fail(r, RADC_FAILED, "the RADIUS request does not fit");
			return;
		}
	}
	r->try++;
	struct sockaddr_storage to = s->addr;
	set_port(&to, r->code == RAD_ACCT_REQUEST ? s->acct_port : s->auth_port);
	if (sendto(r->sock->fd, r->pkt, r->pktlen, 0, (struct sockaddr *)&to, s->alen) < 0)
		log_dbg(LOG_CFG, "RADIUS server %s: send: %s", s->label, strerror(errno));
	else if (r->try > 1)
		log_dbg(LOG_CFG, "RADIUS server %s: request %u sent again (try %u of %u)", s->label,
		        r->id, r->try, s->rt.tries);
	arm(r, wait_ms(&s->rt, r->try));
}

/* the next server of the order (a new Identifier and Authenticator), or
 * the end */
static void next_server(struct radc_req *r)
{
	release_id(r);
	while (++r->at < r->n_order) {
		struct radc_server *s = &r->c->srv[r->order[r->at]];
		if (s->resolved && s->n_socks > 0 && s->socks[0].fd >= 0) {
			send_try(r);
			return;
		}
	}
	char why[480];
	snprintf(why, sizeof(why), "no answer from RADIUS server%s %s",
	         strchr(r->tried, ',') ? "s" : "", r->tried[0] ? r->tried : "(none usable)");
	fail(r, RADC_TIMEOUT, why);
}

/* answering servers, then higher preference, equal ones in turn */
static int order_servers(struct radius_client *c, int *order)
{
	uint64_t now = now_ms();
	int n = 0;
	unsigned turn = c->turn++;
	for (int i = 0; i < c->n_srv; i++)
		order[n++] = (int)((i + turn) % (unsigned)c->n_srv);
	for (int i = 1; i < n; i++) {
		int x = order[i], j = i;
		struct radc_server *sx = &c->srv[x];
		bool xa = sx->avoid_until > now;
		while (j > 0) {
			struct radc_server *sy = &c->srv[order[j - 1]];
			bool ya = sy->avoid_until > now;
			if (ya > xa || (ya == xa && sy->preference < sx->preference)) {
				order[j] = order[j - 1];
				j--;
			} else {
				break;
			}
		}
		order[j] = x;
	}
	return n;
}

struct radc_req *radius_send(struct radius_client *c, uint8_t code, const uint8_t *attrs,
                             size_t alen, radc_done done, void *arg)
{
	if (!c || c->released || !done || alen + RAD_HDR_LEN + 2 + RADIUS_NAS_ID_MAX + 18 >
	    RAD_MAX_LEN)
		return NULL;
	struct radc_req *r = calloc(1, sizeof(*r));
	if (!r)
		return NULL;
	r->c = c;
	r->code = code;
	r->done = done;
	r->arg = arg;
	r->started = now_ms();
	r->attrs = malloc(alen ? alen : 1);
	r->timer = evtimer_new(c->base, on_timer, r);
	c->pending++;
	if (!r->attrs || !r->timer) {
		req_free(r);
		return NULL;
	}
	memcpy(r->attrs, attrs, alen);
	r->alen = alen;
	r->n_order = order_servers(c, r->order);
	r->at = -1;
	for (int i = 0; i < r->n_order; i++) {
		struct radc_server *s = &c->srv[r->order[i]];
		if (s->resolved && s->n_socks > 0 && s->socks[0].fd >= 0) {
			r->at = i;
			break;
		}
	}
	if (r->at < 0 || (c->n_queued >= RADC_MAX_QUEUED)) {
		req_free(r);
		return NULL;
	}
	/* the first send happens at once, but any failure is reported from
	 * the event loop: done() is never called before we return */
	struct radc_server *s = &c->srv[r->order[r->at]];
	if (!take_id(r, s)) {
		r->queued = true;
		if (c->qtail)
			c->qtail->qnext = r;
		else
			c->qhead = r;
		c->qtail = r;
		c->n_queued++;
		uint32_t total = 0;
		for (uint32_t n = 1; n <= s->rt.tries; n++)
			total += wait_ms(&s->rt, n);
		arm(r, total);
		return r;
	}
	if (build(r, s) != 0) {
		req_free(r);
		return NULL;
	}
	send_try(r);
	return r;
}

void radius_cancel(struct radc_req *r)
{
	if (!r)
		return;
	struct radius_client *c = r->c;
	release_id(r);
	req_free(r);
	maybe_free(c);
}

/* ---- answers ---- */

static bool answers(uint8_t req, uint8_t resp)
{
	switch (req) {
	case RAD_ACCESS_REQUEST:
		return resp == RAD_ACCESS_ACCEPT || resp == RAD_ACCESS_REJECT ||
		       resp == RAD_ACCESS_CHALLENGE;
	case RAD_ACCT_REQUEST:
		return resp == RAD_ACCT_RESPONSE;
	default:
		return false;
	}
}

static bool same_addr(const struct sockaddr_storage *a, const struct sockaddr_storage *b,
                      uint16_t port)
{
	if (a->ss_family != b->ss_family)
		return false;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *x = (const void *)a, *y = (const void *)b;
		return x->sin_addr.s_addr == y->sin_addr.s_addr && ntohs(x->sin_port) == port;
	}
	const struct sockaddr_in6 *x = (const void *)a, *y = (const void *)b;
	return memcmp(&x->sin6_addr, &y->sin6_addr, 16) == 0 && ntohs(x->sin6_port) == port;
}

static void on_read(evutil_socket_t fd, short what, void *arg)
{
	(void)what;
	struct radc_sock *k = arg;
	struct radc_server *s = k->srv;
	struct radius_client *c = s->c;
	uint8_t buf[RAD_MAX_LEN];
	for (int round = 0; round < 16; round++) {
		struct sockaddr_storage from;
		socklen_t flen = sizeof(from);
		ssize_t n = recvfrom(fd, buf, sizeof(buf), 0, (struct sockaddr *)&from, &flen);
		if (n < 0)
			return;
		struct rad_view v;
		if (rad_parse(buf, (size_t)n, &v) != 0) {
			log_dbg(LOG_CFG, "RADIUS server %s: malformed packet dropped", s->label);
			continue;
		}
		struct radc_req *r = k->slot[v.id];
		if (!r) {
			log_dbg(LOG_CFG, "RADIUS server %s: answer %u to no request, dropped",
			        s->label, v.id);
			continue;
		}
		uint16_t port = r->code == RAD_ACCT_REQUEST ? s->acct_port : s->auth_port;
		if (!same_addr(&from, &s->addr, port)) {
			log_dbg(LOG_CFG, "RADIUS server %s: answer from another address, dropped",
			        s->label);
			continue;
		}
		/* a Message-Authenticator is required in Access-Accept and
		 * Access-Challenge (a forged Accept is the danger, RFC 3579
		 * §3.2, CVE-2024-3596); FreeRADIUS 3.2.1 sends an Access-Reject
		 * without one when it refuses before EAP starts, and a forged
		 * reject can only do what dropping the answer does */
		bool need_ma = r->code == RAD_ACCESS_REQUEST && v.code != RAD_ACCESS_REJECT;
		if (!answers(r->code, v.code) ||
		    !rad_verify_response(&v, r->auth, s->secret, s->slen, need_ma)) {
			size_t ml;
			bool no_ma = (need_ma || rad_find(&v, RAD_EAP_MESSAGE, &ml)) &&
			             !rad_find(&v, RAD_MESSAGE_AUTHENTICATOR, &ml);
			unsigned held;
			if (ratelog_ok(&s->rl_drop, now_sec(), 10, &held))
				log_info(LOG_CFG, "RADIUS server %s: answer %u %s, dropped (%u more "
				         "dropped answers not logged)", s->label, v.id,
				         !answers(r->code, v.code) ? "is no answer to the request"
				         : no_ma ? "has no Message-Authenticator (RFC 3579 §3.2)"
				         : "does not verify (wrong secret?)", held);
			continue;
		}
		if (s->silent) {
			s->silent = false;
			log_err(LOG_CFG, "RADIUS server %s answers again", s->label);
		}
		s->avoid_until = 0;
		c->last_answer[r->code == RAD_ACCT_REQUEST] = now_ms();
		struct radc_answer a = {
			.status = RADC_ANSWER, .v = &v, .req_auth = r->auth, .secret = s->secret,
			.slen = s->slen, .server = s->label,
			.elapsed_ms = (uint32_t)(now_ms() - r->started),
		};
		/* r->auth is read by done(): keep a copy past the free */
		uint8_t auth[RAD_AUTH_LEN];
		memcpy(auth, r->auth, sizeof(auth));
		a.req_auth = auth;
		c->pending++;          /* c stays while done() runs */
		finish(r, &a);
		c->pending--;
		if (c->released) {
			maybe_free(c);
			return;         /* k may be gone */
		}
	}
}
