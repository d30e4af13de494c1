/* CHILD_SA up and down events: a log line each, and the conn's leftupdown
 * command with the environment strongSwan's updown plugin documents.
 *
 * The helper runs one script at a time (for up to HELPER_SCRIPT_SECONDS),
 * so runs wait; they wait here, in the daemon, where they can be judged,
 * and one user reconnecting in a tight loop cannot crowd out the down
 * events of others:
 *  - the helper holds at most UPDOWN_IN_HELPER runs at once and reports
 *    each finished one (updown_helper_done), so its own queue never fills;
 *  - a down whose up is still waiting here cancels it: neither runs (the
 *    script would add and at once remove the same thing);
 *  - at most UPDOWN_UPS_PER_USER ups of one user wait at once; a CHILD_SA
 *    beyond that runs neither its up nor, later, its down (one log line);
 *  - a down event is never dropped (the waiting list has no cap: each
 *    down belongs to an up that ran, one per CHILD_SA). */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <net/if.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "src/config.h"
#include "src/daemon.h"
#include "src/escape.h"
#include "src/helper.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/pool.h"
#include "src/updown.h"

#define MAX_ENV 48

struct env {
	char *v[MAX_ENV];
	char buf[MAX_ENV][1100];
	int n;
};

static void put(struct env *e, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct env *e, const char *fmt, ...)
{
	va_list ap;
	char raw[sizeof(e->buf[0])];
	if (e->n == MAX_ENV)
		return;
	va_start(ap, fmt);
	int n = vsnprintf(raw, sizeof(raw), fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	/* values are printable ASCII only (the helper refuses anything else):
	 * identities come escaped from ident_format already, an EAP user
	 * name may still hold bytes >= 0x80, which become \xNN here */
	esc_text(raw, (size_t)n < sizeof(raw) ? (size_t)n : sizeof(raw) - 1, e->buf[e->n],
	         sizeof(e->buf[e->n]), 0);
	explicit_bzero(raw, sizeof(raw));
	e->v[e->n] = e->buf[e->n];
	e->n++;
}

#define UPDOWN_IN_HELPER 4
#define UPDOWN_UPS_PER_USER 8
#define UPDOWN_SKIPPED_MAX 4096

struct run {
	struct run *next;
	uint32_t reqid;
	int pair;                   /* which pair of selectors of the CHILD_SA */
	bool up;
	char user[sizeof(((struct ike_sa *)0)->user)];
	char *command;
	char *env[MAX_ENV];
	int n_env;
};

static struct {
	struct run *head, **tail;
	int in_helper;              /* handed over, not reported finished */
	uint32_t skipped[UPDOWN_SKIPPED_MAX];   /* reqids whose up was not run */
	int n_skipped;
} Q = { .tail = &Q.head };

static void run_free(struct run *r)
{
	if (!r)
		return;
	free(r->command);
	for (int i = 0; i < r->n_env; i++)
		free(r->env[i]);
	free(r);
}

/* hands waiting runs to the helper while it has room (all with force) */
static void pump(struct daemon *d, bool force)
{
	while (Q.head && (force || Q.in_helper < UPDOWN_IN_HELPER)) {
		struct run *r = Q.head;
		Q.head = r->next;
		if (!Q.head)
			Q.tail = &Q.head;
		if (helper_updown(d, r->command, r->env, r->n_env) == 0)
			Q.in_helper++;
		run_free(r);
	}
}

void updown_helper_done(struct daemon *d)
{
	if (Q.in_helper > 0)
		Q.in_helper--;
	pump(d, false);
}

void updown_helper_lost(struct daemon *d)
{
	(void)d;
	Q.in_helper = 0;
}

void updown_flush(struct daemon *d)
{
	pump(d, true);
	Q.n_skipped = 0;
}

static int ups_waiting(const char *user)
{
	int n = 0;
	for (const struct run *r = Q.head; r; r = r->next)
		n += r->up && strcmp(r->user, user) == 0;
	return n;
}

/* removes the waiting up of (reqid, pair); true when there was one */
static bool cancel_up(uint32_t reqid, int pair)
{
	for (struct run **pp = &Q.head; *pp; pp = &(*pp)->next) {
		struct run *r = *pp;
		if (!r->up || r->reqid != reqid || r->pair != pair)
			continue;
		*pp = r->next;
		if (Q.tail == &r->next)
			Q.tail = pp;
		run_free(r);
		return true;
	}
	return false;
}

/* true when reqid's up was not run (and forgets it: its down is here) */
static bool take_skipped(uint32_t reqid)
{
	for (int i = 0; i < Q.n_skipped; i++) {
		if (Q.skipped[i] != reqid)
			continue;
		Q.skipped[i] = Q.skipped[--Q.n_skipped];
		return true;
	}
	return false;
}

static void enqueue(struct daemon *d, const struct ike_sa *sa, const struct child_sa *c,
                    int pair, bool up, const char *command, const struct env *e)
{
	if (!up && cancel_up(c->reqid, pair)) {
		log_dbg(LOG_CHD, "%s: reqid %u: the up event had not run yet: neither it nor "
		        "the down event runs", ike_sa_tag(sa), c->reqid);
		return;
	}
	struct run *r = calloc(1, sizeof(*r));
	if (!r || !(r->command = strdup(command)))
		goto oom;
	r->reqid = c->reqid;
	r->pair = pair;
	r->up = up;
	snprintf(r->user, sizeof(r->user), "%s", sa->user);
	for (int i = 0; i < e->n; i++) {
		if (!(r->env[i] = strdup(e->v[i])))
			goto oom;
		r->n_env++;
	}
	*Q.tail = r;
	Q.tail = &r->next;
	pump(d, false);
	return;
oom:
	log_err(LOG_CHD, "%s: out of memory: leftupdown %s of reqid %u not run", ike_sa_tag(sa),
	        up ? "up" : "down", c->reqid);
	run_free(r);
}

static unsigned addr_port(const struct sockaddr_storage *a)
{
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes((const struct sockaddr *)a, &ip, &iplen, &port);
	return ntohs(port);
}

/* the interface that holds our address of the IKE_SA ("unknown" as in
 * strongSwan when none does, e.g. a wildcard bind) */
static void interface_of(const struct sockaddr_storage *a, char *out, size_t len)
{
	struct ifaddrs *ifa = NULL;
	snprintf(out, len, "unknown");
	if (getifaddrs(&ifa) != 0)
		return;
	for (struct ifaddrs *i = ifa; i; i = i->ifa_next) {
		if (i->ifa_addr && (i->ifa_addr->sa_family == AF_INET ||
		                    i->ifa_addr->sa_family == AF_INET6) &&
		    addr_eq(i->ifa_addr, (const struct sockaddr *)a, false)) {
			snprintf(out, len, "%s", i->ifa_name);
			break;
		}
	}
	freeifaddrs(ifa);
}

/* "net/prefix" of the smallest subnet holding the selector, as
 * strongSwan prints one */
static void ts_subnet(const struct ike_ts *ts, char *out, size_t len)
{
	int family = ts->type == TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
	uint8_t net[16];
	char text[INET6_ADDRSTRLEN];
	int prefix = pool_cover_prefix(family, ts->start, ts->end, net);
	inet_ntop(family, net, text, sizeof(text));
	snprintf(out, len, "%s/%d", text, prefix);
}

static void ts_port(const struct ike_ts *ts, char *out, size_t len)
{
	if (ts->sport == ts->eport)
		snprintf(out, len, "%u", ts->sport);
	else if (ts->sport == 0 && ts->eport == 65535)
		snprintf(out, len, "0");
	else
		snprintf(out, len, "%u:%u", ts->sport, ts->eport);
}

static bool ts_is_host(const struct ike_ts *ts, const struct sockaddr_storage *a)
{
	size_t n = ts->type == TS_IPV4_ADDR_RANGE ? 4 : 16;
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes((const struct sockaddr *)a, &ip, &iplen, &port);
	return iplen == n && memcmp(ts->start, ts->end, n) == 0 && memcmp(ts->start, ip, n) == 0;
}

static void run_pair(struct daemon *d, const struct ike_sa *sa, const struct child_sa *c,
                     int pair, const struct ike_ts *mine, const struct ike_ts *peer, bool up)
{
	const struct conf_conn *conn = sa->cfg->conn;
	bool v6 = mine->type == TS_IPV6_ADDR_RANGE;
	char me[INET6_ADDRSTRLEN], them[INET6_ADDRSTRLEN], my_client[64], peer_client[64];
	char my_port[16], peer_port[16], id[1024], ifname[IF_NAMESIZE + 8];
	char v4[INET_ADDRSTRLEN], v6a[INET6_ADDRSTRLEN];
	struct env e = { .n = 0 };

	addr_text((const struct sockaddr *)&sa->local, false, me, sizeof(me));
	addr_text((const struct sockaddr *)&sa->peer, false, them, sizeof(them));
	ts_subnet(mine, my_client, sizeof(my_client));
	ts_subnet(peer, peer_client, sizeof(peer_client));
	ts_port(mine, my_port, sizeof(my_port));
	ts_port(peer, peer_port, sizeof(peer_port));
	interface_of(&sa->local, ifname, sizeof(ifname));

	put(&e, "PLUTO_VERSION=1.1");
	put(&e, "PLUTO_VERB=%s%s%s", up ? "up" : "down", ts_is_host(mine, &sa->local) ? "-host" : "-client",
	    v6 ? "-v6" : "");
	put(&e, "PLUTO_CONNECTION=%s", sa->cfg->name);
	put(&e, "PLUTO_INTERFACE=%s", ifname);
	put(&e, "PLUTO_REQID=%u", c->reqid);
	put(&e, "PLUTO_PROTO=esp");
	put(&e, "PLUTO_UNIQUEID=%u", sa->id);
	put(&e, "PLUTO_ME=%s", me);
	ident_format(&sa->cfg->local_id, id, sizeof(id));
	put(&e, "PLUTO_MY_ID=%s", id);
	put(&e, "PLUTO_MY_CLIENT=%s", my_client);
	put(&e, "PLUTO_MY_PORT=%s", my_port);
	put(&e, "PLUTO_MY_PROTOCOL=%u", mine->ip_proto);
	put(&e, "PLUTO_PEER=%s", them);
	ident_format(&sa->idi, id, sizeof(id));
	put(&e, "PLUTO_PEER_ID=%s", id);
	put(&e, "PLUTO_PEER_CLIENT=%s", peer_client);
	put(&e, "PLUTO_PEER_PORT=%s", peer_port);
	put(&e, "PLUTO_PEER_PROTOCOL=%u", peer->ip_proto);
	/* a name RADIUS did not confirm reaches scripts only as such */
	char kb[sizeof(sa->user) + sizeof(IKE_SA_UNCONFIRMED_LEASE)];
	if (sa->user[0])
		put(&e, "PLUTO_XAUTH_ID=%s", ike_sa_lease_id(sa, kb, sizeof(kb)));
	if (sa->has_vip4)
		inet_ntop(AF_INET, sa->vip4, v4, sizeof(v4));
	if (sa->has_vip6)
		inet_ntop(AF_INET6, sa->vip6, v6a, sizeof(v6a));
	if (sa->has_vip4 || sa->has_vip6)
		put(&e, "PLUTO_PEER_SOURCEIP=%s", sa->has_vip4 ? v4 : v6a);
	if (sa->has_vip4)
		put(&e, "PLUTO_PEER_SOURCEIP4_1=%s", v4);
	if (sa->has_vip6)
		put(&e, "PLUTO_PEER_SOURCEIP6_1=%s", v6a);
	/* a client: the virtual IPs and DNS servers the server gave us */
	const struct cp_got *g = &sa->got;
	if (g->v4)
		inet_ntop(AF_INET, g->vip4, v4, sizeof(v4));
	if (g->v6)
		inet_ntop(AF_INET6, g->vip6, v6a, sizeof(v6a));
	if (g->v4 || g->v6)
		put(&e, "PLUTO_MY_SOURCEIP=%s", g->v4 ? v4 : v6a);
	if (g->v4)
		put(&e, "PLUTO_MY_SOURCEIP4_1=%s", v4);
	if (g->v6)
		put(&e, "PLUTO_MY_SOURCEIP6_1=%s", v6a);
	for (int i = 0; i < g->n_dns4; i++) {
		inet_ntop(AF_INET, g->dns4[i], v4, sizeof(v4));
		put(&e, "PLUTO_DNS4_%d=%s", i + 1, v4);
	}
	for (int i = 0; i < g->n_dns6; i++) {
		inet_ntop(AF_INET6, g->dns6[i], v6a, sizeof(v6a));
		put(&e, "PLUTO_DNS6_%d=%s", i + 1, v6a);
	}
	/* ESP is always in UDP here */
	put(&e, "PLUTO_UDP_ENC=%u", addr_port(&sa->peer));
	enqueue(d, sa, c, pair, up, conn->left.updown, &e);
	explicit_bzero(&e, sizeof(e));
}

void updown_child(struct daemon *d, const struct ike_sa *sa, const struct child_sa *c, bool up)
{
	char peer_ts[128] = "", my_ts[128] = "", one[64];
	for (int i = 0; i < c->n_tsi; i++) {
		ts_subnet(&c->tsi[i], one, sizeof(one));
		snprintf(peer_ts + strlen(peer_ts), sizeof(peer_ts) - strlen(peer_ts), "%s%s",
		         i ? " " : "", one);
	}
	for (int i = 0; i < c->n_tsr; i++) {
		ts_subnet(&c->tsr[i], one, sizeof(one));
		snprintf(my_ts + strlen(my_ts), sizeof(my_ts) - strlen(my_ts), "%s%s",
		         i ? " " : "", one);
	}
	log_info(LOG_CHD, "%s: CHILD_SA '%s' reqid %u %s: %s === %s ('%s')", ike_sa_tag(sa),
	         sa->cfg->name, c->reqid, up ? "up" : "down", my_ts, peer_ts, sa->user);
	if (!sa->cfg->conn->left.updown)
		return;
	if (!up && take_skipped(c->reqid))
		return;
	if (up && ups_waiting(sa->user) >= UPDOWN_UPS_PER_USER) {
		log_err(LOG_CHD, "%s: '%s' has %d leftupdown up events waiting: CHILD_SA reqid %u "
		        "runs neither up nor down", ike_sa_tag(sa), sa->user, UPDOWN_UPS_PER_USER,
		        c->reqid);
		if (Q.n_skipped == UPDOWN_SKIPPED_MAX)    /* forget the oldest */
			memmove(Q.skipped, Q.skipped + 1, (size_t)--Q.n_skipped * sizeof(Q.skipped[0]));
		Q.skipped[Q.n_skipped++] = c->reqid;
		return;
	}
	/* once per pair of selectors of one family, as strongSwan does */
	int pair = 0;
	for (int i = 0; i < c->n_tsr; i++)
		for (int j = 0; j < c->n_tsi; j++)
			if (c->tsr[i].type == c->tsi[j].type)
				run_pair(d, sa, c, pair++, &c->tsr[i], &c->tsi[j], up);
}
