/* The conns we initiate: connecting, keeping them connected, and the
 * network state of a connection (src/client.h tells the rules). */
#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <event2/event.h>
#include "src/client.h"
#include "src/client_int.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/escape.h"
#include "src/helper.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/redirect.h"

#define RETRY_FIRST 2              /* seconds before the second attempt */
#define RETRY_MAX 60               /* the longest wait between attempts */

enum client_state {
	CL_DOWN,           /* not wanted, or given up */
	CL_WAIT,           /* waiting to try again */
	CL_RESOLVING,      /* the server's name is being looked up */
	CL_CONNECTING,     /* an IKE_SA of ours is being set up */
	CL_UP,             /* established */
};

static const char *const state_names[] = { "down", "waiting", "resolving", "connecting", "up" };

struct client {
	struct client *next;
	struct daemon *d;
	char name[64];                 /* the conn (the helper's limit) */
	enum client_state state;
	bool want;                     /* keep it connected */
	unsigned tries;                /* failed attempts in a row */
	uint32_t sa_id;                /* the IKE_SA being set up or up, 0 none */
	uint32_t resolve_gen;          /* the lookup in flight (older answers are stale) */
	struct event *retry;
	char last_error[200];
	/* what is installed for the connection through the helper */
	bool net_up;
	struct cp_got net;
	struct sockaddr_storage net_server;
	socklen_t net_server_len;
	/* RFC 5685: the next attempt goes to redir_to (instead of right=)
	 * with REDIRECTED_FROM redir_from */
	bool redir;
	struct redirect_gw redir_to, redir_from;
	bool redir_plain;              /* ... without REDIRECTED_FROM (a reauthentication) */
	bool redir_attempt;            /* the IKE_SA sa_id is the one to redir_to */
	bool on_redirect;              /* up with a gateway a REDIRECT named */
	uint64_t redir_times[CLIENT_REDIRECT_MAX];   /* the loop limit's */
	uint32_t move_from;            /* the established IKE_SA kept until the new one is up */
	char gateway[REDIRECT_GW_MAX * 4 + 1];       /* the server in use, for status */
};

static struct peer_cfg *find_conn(struct daemon *d, const char *name)
{
	for (int i = 0; i < d->cfg->n_peers; i++)
		if (strcmp(d->cfg->peers[i].name, name) == 0)
			return &d->cfg->peers[i];
	return NULL;
}

static struct client *find(struct daemon *d, const char *name)
{
	for (struct client *c = d->clients; c; c = c->next)
		if (strcmp(c->name, name) == 0)
			return c;
	return NULL;
}

static void attempt(evutil_socket_t fd, short what, void *arg);
static void net_down(struct client *c);

static struct client *get(struct daemon *d, const char *name)
{
	struct client *c = find(d, name);
	if (c)
		return c;
	if (strlen(name) >= sizeof(c->name)) {
		log_err(LOG_IKE, "conn '%s': a name this long cannot be initiated (at most %zu "
		        "characters)", name, sizeof(c->name) - 1);
		return NULL;
	}
	c = calloc(1, sizeof(*c));
	if (!c)
		return NULL;
	c->d = d;
	snprintf(c->name, sizeof(c->name), "%s", name);
	c->retry = evtimer_new(d->base, attempt, c);
	if (!c->retry) {
		free(c);
		return NULL;
	}
	c->next = d->clients;
	d->clients = c;
	return c;
}

static void set_state(struct client *c, enum client_state st)
{
	if (c->state != st)
		log_dbg(LOG_IKE, "client '%s': %s -> %s", c->name, state_names[c->state],
		        state_names[st]);
	c->state = st;
}

static void schedule(struct client *c, unsigned secs)
{
	struct timeval tv = { (time_t)secs, 0 };
	set_state(c, CL_WAIT);
	evtimer_add(c->retry, &tv);
}

/* the address of ss as text, without the port */
static const char *ip_text(const struct sockaddr_storage *ss, char *buf, size_t len)
{
	const void *a = ss->ss_family == AF_INET ?
	        (const void *)&((const struct sockaddr_in *)ss)->sin_addr :
	        (const void *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
	if (!inet_ntop(ss->ss_family, a, buf, (socklen_t)len))
		snprintf(buf, len, "?");
	return buf;
}

/* a move to a gateway that redirected us failed (why): true when the
 * IKE_SA with the old gateway is still up and the conn stays with it */
static bool move_failed(struct client *c, const char *why)
{
	struct daemon *d = c->d;
	struct ike_sa *o = c->move_from ? ike_sa_by_id(d, c->move_from) : NULL;
	c->move_from = 0;
	c->redir = false;
	c->redir_attempt = false;
	if (!o || o->state != IKE_S_ESTABLISHED || d->stopping)
		return false;
	char e[sizeof(c->last_error)];
	esc_text(why, strlen(why), e, sizeof(e), 0);
	ip_text(&o->peer, c->gateway, sizeof(c->gateway));
	log_err(LOG_IKE, "conn '%s': the gateway we were redirected to failed (%s): staying "
	        "with %s", c->name, e, c->gateway);
	snprintf(c->last_error, sizeof(c->last_error), "redirect failed: %.180s", e);
	evtimer_del(c->retry);
	c->sa_id = o->id;
	set_state(c, CL_UP);
	return true;
}

/* a failed attempt: again with back-off while keyingtries allows */
static void failed(struct client *c, const char *why, bool auth)
{
	struct daemon *d = c->d;
	if (c->move_from && move_failed(c, why))
		return;
	struct peer_cfg *pc = find_conn(d, c->name);
	/* the reason may quote what a server sent (a certificate's
	 * subject): printable ASCII only, as in the log */
	esc_text(why, strlen(why), c->last_error, sizeof(c->last_error), 0);
	c->tries++;
	c->sa_id = 0;
	c->redir = false;
	c->redir_plain = false;
	c->redir_attempt = false;
	uint32_t limit = pc ? pc->conn->keyingtries : 1;
	if (!c->want || d->stopping) {
		set_state(c, CL_DOWN);
		return;
	}
	if (auth) {
		log_err(LOG_IKE, "conn '%s': giving up: %s; not trying again by itself (fix the "
		        "credentials or the server's identity, then cygnetctl up %s)", c->name, why,
		        c->name);
		c->want = false;
		set_state(c, CL_DOWN);
		return;
	}
	if (limit && c->tries >= limit) {
		log_err(LOG_IKE, "conn '%s': giving up after %u attempt%s (keyingtries=%u): %s",
		        c->name, c->tries, c->tries == 1 ? "" : "s", limit, why);
		c->want = false;
		set_state(c, CL_DOWN);
		return;
	}
	unsigned wait = RETRY_FIRST;
	for (unsigned i = 1; i < c->tries && wait < RETRY_MAX; i++)
		wait *= 2;
	if (wait > RETRY_MAX)
		wait = RETRY_MAX;
	log_err(LOG_IKE, "conn '%s': attempt %u failed (%s), trying again in %us%s", c->name,
	        c->tries, why, wait, limit ? "" : " (keyingtries=%forever)");
	schedule(c, wait);
}

int client_route_source(const struct sockaddr_storage *peer, socklen_t peer_len, uint16_t port,
                        struct sockaddr_storage *local, socklen_t *local_len)
{
	int fd = socket(peer->ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	socklen_t len = sizeof(*local);
	memset(local, 0, sizeof(*local));
	int rc = connect(fd, (const struct sockaddr *)peer, peer_len) == 0 &&
	         getsockname(fd, (struct sockaddr *)local, &len) == 0 ? 0 : -1;
	int e = errno;
	close(fd);
	errno = e;
	if (rc != 0)
		return -1;
	addr_set_port(local, port);
	*local_len = len;
	return 0;
}

/* our address towards the server: the kernel's choice for a UDP socket
 * connected to it (no packet is sent), or left= when it is an address */
static int local_for(const struct peer_cfg *pc, const struct sockaddr_storage *peer,
                     socklen_t peer_len, struct sockaddr_storage *local, socklen_t *local_len)
{
	memset(local, 0, sizeof(*local));
	const char *h = pc->conn->left.host;
	if (h && h[0] != '%') {
		if (peer->ss_family == AF_INET) {
			struct sockaddr_in *s = (struct sockaddr_in *)local;
			if (inet_pton(AF_INET, h, &s->sin_addr) == 1) {
				s->sin_family = AF_INET;
				s->sin_port = htons(500);
				*local_len = sizeof(*s);
				return 0;
			}
		} else {
			struct sockaddr_in6 *s = (struct sockaddr_in6 *)local;
			if (inet_pton(AF_INET6, h, &s->sin6_addr) == 1) {
				s->sin6_family = AF_INET6;
				s->sin6_port = htons(500);
				*local_len = sizeof(*s);
				return 0;
			}
		}
	}
	return client_route_source(peer, peer_len, 500, local, local_len);
}

/* the address lies inside one of the conn's rightsubnet nets (which the
 * helper routes through the TUN device while the conn is up) */
static bool inside_tunnel(const struct client *c, const struct peer_cfg *pc,
                          const struct sockaddr_storage *peer)
{
	const uint8_t *a = peer->ss_family == AF_INET ?
	        (const uint8_t *)&((const struct sockaddr_in *)peer)->sin_addr :
	        (const uint8_t *)&((const struct sockaddr_in6 *)peer)->sin6_addr;
	if (!c->net_up)
		return false;
	for (int i = 0; i < pc->conn->right.n_subnet; i++) {
		const struct conf_net *n = &pc->conn->right.subnet[i];
		if (n->family != peer->ss_family)
			continue;
		int bits = n->prefix, k = 0;
		bool in = true;
		for (; bits >= 8 && in; bits -= 8, k++)
			in = a[k] == n->addr[k];
		if (in && bits > 0) {
			uint8_t mask = (uint8_t)(0xff << (8 - bits));
			in = (a[k] & mask) == (n->addr[k] & mask);
		}
		if (in)
			return true;
	}
	return false;
}

/* a move to another gateway is done (or cannot be made make-before-
 * break): the IKE_SA with the old gateway is deleted */
static void drop_old(struct client *c)
{
	struct daemon *d = c->d;
	struct ike_sa *o = c->move_from ? ike_sa_by_id(d, c->move_from) : NULL;
	c->move_from = 0;
	if (!o || o->state == IKE_S_DEAD)
		return;
	log_info(LOG_IKE, "%s: deleting the IKE_SA with the gateway that redirected us",
	         ike_sa_tag(o));
	o->end = IKE_END_LOCAL;
	if (o->state == IKE_S_ESTABLISHED)
		ike_sa_send_delete(d, o);
	ike_sa_set_state(o, IKE_S_DEAD);
}

/* the server's address is known: a new IKE_SA */
static void connect_to(struct client *c, const struct sockaddr_storage *peer, socklen_t peer_len)
{
	struct daemon *d = c->d;
	struct peer_cfg *pc = find_conn(d, c->name);
	char why[160], addr[INET6_ADDRSTRLEN + 8];
	if (!pc) {
		failed(c, "the conn is gone from the configuration", true);
		return;
	}
	struct sockaddr_storage local;
	socklen_t local_len;
	addr_format((const struct sockaddr *)peer, addr, sizeof(addr));
	if (local_for(pc, peer, peer_len, &local, &local_len) != 0) {
		snprintf(why, sizeof(why), "no route to the server %s: %s", addr, strerror(errno));
		failed(c, why, false);
		return;
	}
	bool redir = c->redir;
	c->redir = false;
	if (redir && c->move_from && inside_tunnel(c, pc, peer)) {
		/* our IKE packets to the new gateway would go into the tunnel
		 * to the old one: break before make */
		char ip[INET6_ADDRSTRLEN];
		log_info(LOG_IKE, "conn '%s': the new gateway %s is inside rightsubnet: closing the "
		         "IKE_SA with the old one first", c->name, ip_text(peer, ip, sizeof(ip)));
		drop_old(c);
		net_down(c);
		/* on once the helper took the routes away */
		c->sa_id = 0;
		c->redir = true;
		schedule(c, 1);
		return;
	}
	struct ike_sa *sa = ike_sa_new_initiator(d, (const struct sockaddr *)peer, peer_len,
	                                         (const struct sockaddr *)&local, local_len);
	if (!sa) {
		failed(c, "out of memory", false);
		return;
	}
	ike_sa_set_cfg(sa, pc);
	c->sa_id = sa->id;
	c->redir_attempt = redir;
	ip_text(peer, c->gateway, sizeof(c->gateway));
	set_state(c, CL_CONNECTING);
	bool plain = c->redir_plain;
	c->redir_plain = false;
	if (client_init_start_from(d, sa, redir && !plain ? &c->redir_from : NULL) != 0)
		ike_sa_reap(d);   /* client_sa_gone counts the failure */
}

/* ---- the server's name, looked up on a crypto worker ---- */

struct resolve_job {
	struct job job;
	char name[64];
	char host[256];
	uint32_t gen;
	int rc;                            /* getaddrinfo's */
	struct sockaddr_storage addr;
	socklen_t addr_len;
};

static void resolve_run(struct job *jb)
{
	struct resolve_job *j = (struct resolve_job *)jb;
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM, .ai_flags = AI_ADDRCONFIG };
	struct addrinfo *res = NULL;
	j->rc = getaddrinfo(j->host, "500", &hints, &res);
	if (j->rc == 0 && res && res->ai_addrlen <= sizeof(j->addr)) {
		memcpy(&j->addr, res->ai_addr, res->ai_addrlen);
		j->addr_len = res->ai_addrlen;
	} else if (j->rc == 0) {
		j->rc = EAI_FAIL;
	}
	if (res)
		freeaddrinfo(res);
}

static void resolve_done(struct daemon *d, struct job *jb, bool cancelled)
{
	struct resolve_job *j = (struct resolve_job *)jb;
	struct client *c = cancelled ? NULL : find(d, j->name);
	if (c && c->state == CL_RESOLVING && c->resolve_gen == j->gen) {
		if (j->rc != 0) {
			char why[320];
			snprintf(why, sizeof(why), "cannot resolve '%s': %s", j->host,
			         gai_strerror(j->rc));
			failed(c, why, false);
		} else {
			connect_to(c, &j->addr, j->addr_len);
		}
	}
	free(j);
}

/* right= as an address, or NULL after starting a lookup */
static bool literal_addr(const char *host, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *s4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, host, &s4->sin_addr) == 1) {
		s4->sin_family = AF_INET;
		s4->sin_port = htons(500);
		*len = sizeof(*s4);
		return true;
	}
	if (inet_pton(AF_INET6, host, &s6->sin6_addr) == 1) {
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(500);
		*len = sizeof(*s6);
		return true;
	}
	return false;
}

static void attempt(evutil_socket_t fd, short what, void *arg)
{
	struct client *c = arg;
	struct daemon *d = c->d;
	(void)fd;
	(void)what;
	if (!c->want || d->stopping || c->state == CL_CONNECTING || c->state == CL_UP ||
	    c->state == CL_RESOLVING)
		return;
	struct peer_cfg *pc = find_conn(d, c->name);
	if (!pc || !config_conn_initiates(pc)) {
		failed(c, "the conn is gone or cannot initiate", true);
		return;
	}
	struct sockaddr_storage ss;
	socklen_t len;
	const char *host = pc->conn->right.host;
	char target[REDIRECT_GW_MAX + 1];
	if (c->redir) {
		/* a REDIRECT's target: an address or a checked DNS name */
		memcpy(target, c->redir_to.id, c->redir_to.len);
		target[c->redir_to.len] = '\0';
		if (c->redir_to.type != GW_FQDN) {
			char t[INET6_ADDRSTRLEN];
			inet_ntop(c->redir_to.type == GW_IPV4 ? AF_INET : AF_INET6, c->redir_to.id, t,
			          sizeof(t));
			snprintf(target, sizeof(target), "%s", t);
		}
		host = target;
	}
	if (literal_addr(host, &ss, &len)) {
		connect_to(c, &ss, len);
		return;
	}
	struct resolve_job *j = calloc(1, sizeof(*j));
	if (!j) {
		failed(c, "out of memory", false);
		return;
	}
	j->job.prio = JOB_KNOWN;
	j->job.run = resolve_run;
	j->job.done = resolve_done;
	snprintf(j->name, sizeof(j->name), "%s", c->name);
	snprintf(j->host, sizeof(j->host), "%s", host);
	j->gen = ++c->resolve_gen;
	set_state(c, CL_RESOLVING);
	if (jobs_submit(d, &j->job) != 0) {
		free(j);
		failed(c, "the crypto workers' queue is full", false);
	}
}

static void start(struct client *c)
{
	c->want = true;
	c->tries = 0;
	c->last_error[0] = 0;
	if (c->state == CL_DOWN)
		c->redir = false;
	if (c->state == CL_DOWN || c->state == CL_WAIT) {
		evtimer_del(c->retry);
		attempt(-1, 0, c);
	}
}

void client_start_all(struct daemon *d)
{
	for (int i = 0; i < d->cfg->n_peers; i++) {
		struct peer_cfg *pc = &d->cfg->peers[i];
		if (pc->conn->autostart != AUTO_START || !config_conn_initiates(pc) ||
		    find(d, pc->name))
			continue;
		struct client *c = get(d, pc->name);
		if (!c) {
			log_err(LOG_IKE, "conn '%s': out of memory", pc->name);
			continue;
		}
		log_info(LOG_IKE, "conn '%s': auto=start, connecting to %s", pc->name,
		         pc->conn->right.host);
		start(c);
	}
}

int client_up(struct daemon *d, const char *name, char *msg, size_t len)
{
	struct peer_cfg *pc = find_conn(d, name);
	if (!pc) {
		snprintf(msg, len, "no conn '%s'", name);
		return -1;
	}
	if (!config_conn_initiates(pc)) {
		snprintf(msg, len, "conn '%s' cannot initiate (right= is not a host)", name);
		return -1;
	}
	struct client *c = get(d, name);
	if (!c) {
		snprintf(msg, len, "out of memory");
		return -1;
	}
	if (c->state == CL_UP) {
		snprintf(msg, len, "conn '%s' is up already", name);
		return 0;
	}
	log_info(LOG_IKE, "conn '%s': connecting to %s (cygnetctl up)", name, pc->conn->right.host);
	start(c);
	snprintf(msg, len, "conn '%s': %s", name, state_names[c->state]);
	return 0;
}

/* removes what the connection installed (addresses, routes, DNS) */
static void net_down(struct client *c)
{
	if (!c->net_up)
		return;
	struct client_net n;
	memset(&n, 0, sizeof(n));
	snprintf(n.conn, sizeof(n.conn), "%s", c->name);
	n.up = false;
	helper_client_net(c->d, &n, NULL, NULL);
	c->net_up = false;
}

static int client_net_of(struct daemon *d, struct client *c, const struct ike_sa *sa,
                         struct client_net *n)
{
	const struct conf_conn *conn = sa->cfg->conn;
	memset(n, 0, sizeof(*n));
	snprintf(n->conn, sizeof(n->conn), "%s", c->name);
	n->up = true;
	n->has_vip4 = sa->got.v4;
	n->has_vip6 = sa->got.v6;
	memcpy(n->vip4, sa->got.vip4, 4);
	memcpy(n->vip6, sa->got.vip6, 16);
	for (int i = 0; i < conn->right.n_subnet && n->n_nets < CONF_MAX_NETS; i++) {
		const struct conf_net *net = &conn->right.subnet[i];
		/* only the families we have an address of our own in */
		if ((net->family == AF_INET && !sa->got.v4) || (net->family == AF_INET6 && !sa->got.v6))
			continue;
		n->nets[n->n_nets++] = *net;
	}
	memcpy(&n->server, &sa->peer, sa->peer_len);
	n->server_len = sa->peer_len;
	for (int i = 0; i < sa->got.n_dns4 && n->n_dns < (int)(sizeof(n->dns) / sizeof(n->dns[0])); i++) {
		n->dns[n->n_dns].family = AF_INET;
		memcpy(n->dns[n->n_dns++].addr, sa->got.dns4[i], 4);
	}
	for (int i = 0; i < sa->got.n_dns6 && n->n_dns < (int)(sizeof(n->dns) / sizeof(n->dns[0])); i++) {
		n->dns[n->n_dns].family = AF_INET6;
		memcpy(n->dns[n->n_dns++].addr, sa->got.dns6[i], 16);
	}
	(void)d;
	return n->has_vip4 || n->has_vip6 || n->n_nets;
}

struct ike_sa *client_probe(struct daemon *d, struct peer_cfg *pc, const struct sockaddr *peer,
                            socklen_t peer_len, const struct sockaddr *local,
                            socklen_t local_len)
{
	struct ike_sa *sa = ike_sa_new_initiator(d, peer, peer_len, local, local_len);
	if (!sa)
		return NULL;
	sa->probe = true;
	ike_sa_set_cfg(sa, pc);
	if (client_init_start(d, sa) != 0) {
		ike_sa_reap(d);
		return NULL;
	}
	return sa;
}

/* a probe's outcome, once */
static void probe_report(struct daemon *d, struct ike_sa *sa, bool ok, const char *why)
{
	void (*fn)(struct daemon *, struct ike_sa *, bool, const char *) = d->probe_done;
	if (fn)
		fn(d, sa, ok, why);
}

void client_sa_up(struct daemon *d, struct ike_sa *sa)
{
	if (sa->probe) {
		probe_report(d, sa, true, NULL);
		return;
	}
	struct client *c = find(d, sa->cfg->name);
	if (!c && !(c = get(d, sa->cfg->name)))
		return;
	c->sa_id = sa->id;
	c->tries = 0;
	c->last_error[0] = 0;
	c->on_redirect = c->redir_attempt;
	c->redir_attempt = false;
	set_state(c, CL_UP);
	if (c->move_from) {
		char gw[sizeof(c->gateway)];
		log_err(LOG_IKE, "conn '%s': up with the gateway %s we were redirected to",
		        c->name, ip_text(&sa->peer, gw, sizeof(gw)));
		drop_old(c);
	}
	/* the same addresses and server as before (a reauthentication):
	 * nothing to do */
	if (c->net_up && memcmp(&c->net, &sa->got, sizeof(c->net)) == 0 &&
	    c->net_server_len == sa->peer_len &&
	    memcmp(&c->net_server, &sa->peer, sa->peer_len) == 0)
		return;
	net_down(c);
	struct client_net n;
	if (!client_net_of(d, c, sa, &n))
		return;
	if (helper_client_net(d, &n, NULL, NULL) == 0) {
		c->net_up = true;
		c->net = sa->got;
		memcpy(&c->net_server, &sa->peer, sa->peer_len);
		c->net_server_len = sa->peer_len;
	}
}

/* the live IKE_SA of the conn other than gone, if any (the successor of
 * a rekeyed or reauthenticated one) */
static struct ike_sa *other_sa(struct daemon *d, const struct ike_sa *gone, const char *name)
{
	for (struct ike_sa *o = d->sas; o; o = o->next)
		if (o != gone && o->client && o->state != IKE_S_DEAD &&
		    o->state != IKE_S_REKEYED && o->state != IKE_S_DELETING && o->cfg &&
		    strcmp(o->cfg->name, name) == 0)
			return o;
	return NULL;
}

static void reconnect(struct client *c, const char *why)
{
	log_err(LOG_IKE, "conn '%s': %s, connecting again", c->name, why);
	c->tries = 0;
	c->sa_id = 0;
	schedule(c, 0);
}

void client_sa_gone(struct daemon *d, struct ike_sa *sa)
{
	if (sa->probe) {
		const char *why = sa->ini && sa->ini->why[0] ? sa->ini->why : "ended before it was up";
		if (!sa->established)
			probe_report(d, sa, false, why);
		return;
	}
	if (!sa->cfg)
		return;
	struct client *c = find(d, sa->cfg->name);
	if (c && c->move_from == sa->id) {
		/* the old gateway's IKE_SA ended before the new one was up */
		c->move_from = 0;
		if (c->sa_id == sa->id || c->sa_id == 0) {
			c->sa_id = 0;
			net_down(c);
		}
		if (c->state == CL_UP)
			set_state(c, CL_CONNECTING);
		return;
	}
	if (!c || (c->sa_id && c->sa_id != sa->id))
		return;          /* not the conn's current IKE_SA */
	if (c->redir && !d->stopping && c->want) {
		/* redirected in its setup: on to the new gateway now (unless
		 * already waiting for it, see connect_to) */
		c->sa_id = 0;
		if (c->state != CL_WAIT)
			schedule(c, 0);
		return;
	}
	if (c->move_from && !c->redir &&
	    move_failed(c, sa->ini && sa->ini->why[0] ? sa->ini->why : "the setup failed"))
		return;       /* the new gateway failed us: we stay with the old one */
	struct ike_sa *next = other_sa(d, sa, c->name);
	if (next && sa->state != IKE_S_NEW) {
		/* rekeyed or reauthenticated: the connection lives on */
		c->sa_id = next->id;
		if (next->state != IKE_S_ESTABLISHED)
			set_state(c, CL_CONNECTING);
		return;
	}
	c->sa_id = 0;
	bool was_up = c->state == CL_UP;
	if (d->stopping) {
		set_state(c, CL_DOWN);
		return;
	}
	const struct conf_conn *conn = sa->cfg->conn;
	const char *why = sa->ini && sa->ini->why[0] ? sa->ini->why : NULL;
	switch (sa->end) {
	case IKE_END_AUTH:
		net_down(c);
		/* a gateway we were redirected to (perhaps by an unauthenticated
		 * REDIRECT) that cannot prove the identity: a failed attempt,
		 * not a verdict on our credentials */
		failed(c, why ? why : "authentication failed", !c->redir_attempt);
		return;
	case IKE_END_FAILED:
	case IKE_END_NONE:
		if (!was_up) {
			failed(c, why ? why : "the setup failed", false);
			return;
		}
		break;
	case IKE_END_LOCAL:
		break;
	case IKE_END_DELETED:
		if (!was_up) {
			failed(c, "the server deleted the IKE_SA during its setup", false);
			return;
		}
		if (c->want && conn->closeaction == DPD_RESTART) {
			reconnect(c, "the server deleted the IKE_SA (closeaction=restart)");
			return;
		}
		break;
	case IKE_END_DEAD:
		if (!was_up) {
			failed(c, "the server stopped answering during the setup", false);
			return;
		}
		if (c->want && conn->dpdaction == DPD_RESTART) {
			reconnect(c, "the server stopped answering (dpdaction=restart)");
			return;
		}
		break;
	}
	if (c->state == CL_WAIT || c->state == CL_CONNECTING || c->state == CL_RESOLVING) {
		/* a reauthentication in progress keeps its own state */
		if (sa->end == IKE_END_LOCAL && c->want)
			return;
	}
	c->want = false;
	net_down(c);
	set_state(c, CL_DOWN);
	if (was_up)
		log_err(LOG_IKE, "conn '%s' is down", c->name);
}

/* the loop limit and the new target; 0, or -1 with why */
static int redirect_to(struct client *c, const struct ike_sa *sa, const struct redirect_gw *gw,
                       char *why, size_t len)
{
	char from[INET6_ADDRSTRLEN], to[REDIRECT_GW_MAX * 4 + 1];
	ip_text(&sa->peer, from, sizeof(from));
	redirect_gw_format(gw, to, sizeof(to));
	if (!client_redirect_allowed(c->redir_times, now_sec())) {
		snprintf(why, len, "redirected by %s to %s, but only %d redirects are followed "
		         "within %d s", from, to, CLIENT_REDIRECT_MAX, CLIENT_REDIRECT_WINDOW);
		log_err(LOG_IKE, "conn '%s': %s", c->name, why);
		return -1;
	}
	log_err(LOG_IKE, "conn '%s': redirected by %s to %s", c->name, from, to);
	c->redir = true;
	c->redir_to = *gw;
	client_redirect_gw_of(&sa->peer, &c->redir_from);
	return 0;
}

int client_redirect_setup(struct daemon *d, struct ike_sa *sa, const struct redirect_gw *gw,
                          char *why, size_t len)
{
	struct client *c = sa->probe || !sa->cfg ? NULL : find(d, sa->cfg->name);
	if (!c || c->sa_id != sa->id || !c->want || d->stopping) {
		snprintf(why, len, "redirected, but the conn is no longer wanted");
		return -1;
	}
	return redirect_to(c, sa, gw, why, len);
}

void client_redirect_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	const struct ike_notify *rn = ike_find_notify(m, N_REDIRECT);
	struct client *c = sa->probe || !sa->cfg ? NULL : find(d, sa->cfg->name);
	struct redirect_gw gw;
	const char *bad;
	char why[REDIRECT_GW_MAX * 4 + 200];
	if (!rn || !c || sa->state != IKE_S_ESTABLISHED)
		return;
	if (!d->cfg->conf->follow_redirects) {
		log_info(LOG_IKE, "%s: the server's REDIRECT ignored (follow_redirects=no)",
		         ike_sa_tag(sa));
		return;
	}
	if (client_redirect_parse(rn->data, rn->len, NULL, 0, &gw, &bad) != 0) {
		log_info(LOG_IKE, "%s: the server's REDIRECT ignored: %s", ike_sa_tag(sa), bad);
		return;
	}
	if (c->sa_id != sa->id || c->state != CL_UP || c->move_from || !c->want) {
		log_info(LOG_IKE, "%s: the server's REDIRECT ignored: the conn is %s", ike_sa_tag(sa),
		         c->move_from ? "moving already" : "not up with this IKE_SA");
		return;
	}
	if (redirect_to(c, sa, &gw, why, sizeof(why)) != 0)
		return;
	/* make before break: this IKE_SA stays until the new one is up */
	c->move_from = sa->id;
	c->tries = 0;
	schedule(c, 0);
}

void client_no_answer(struct daemon *d, struct ike_sa *sa, const char *kind, uint64_t secs)
{
	char outcome[200];
	bool setup = sa->state != IKE_S_ESTABLISHED;
	snprintf(outcome, sizeof(outcome), "%s: no answer from the server to our %s for %llus",
	         setup ? "connection to the server failed" : "the server is dead", kind,
	         (unsigned long long)secs);
	ike_sa_log_outcome(sa, outcome);
	if (sa->ini)
		snprintf(sa->ini->why, sizeof(sa->ini->why), "no answer to our %s", kind);
	sa->end = setup ? IKE_END_FAILED : IKE_END_DEAD;
	ike_sa_set_state(sa, IKE_S_DEAD);
	(void)d;
}

void client_reauth(struct daemon *d, struct ike_sa *sa)
{
	struct client *c = sa->cfg ? find(d, sa->cfg->name) : NULL;
	log_info(LOG_IKE, "%s: reauthenticating (this IKE_SA goes, then a new one is made)",
	         ike_sa_tag(sa));
	/* break before make, as strongSwan does by default: the server with
	 * uniqueids would replace the old IKE_SA anyway */
	sa->end = IKE_END_LOCAL;
	ike_sa_send_delete(d, sa);
	ike_sa_set_state(sa, IKE_S_DEAD);
	if (c) {
		if (c->on_redirect) {
			/* stay with the gateway we were redirected to */
			c->redir = true;
			c->redir_plain = true;
			client_redirect_gw_of(&sa->peer, &c->redir_to);
		}
		c->want = true;
		c->sa_id = 0;
		c->tries = 0;
		set_state(c, CL_WAIT);
		evtimer_del(c->retry);
		struct timeval tv = { 0, 0 };
		evtimer_add(c->retry, &tv);
	}
	ike_sa_reap(d);
}

int client_down(struct daemon *d, const char *name, char *msg, size_t len)
{
	struct client *c = find(d, name);
	if (!find_conn(d, name) && !c) {
		snprintf(msg, len, "no conn '%s'", name);
		return -1;
	}
	if (!c || (c->state == CL_DOWN && !c->want)) {
		snprintf(msg, len, "conn '%s' is not up", name);
		return 0;
	}
	c->want = false;
	c->redir = false;
	c->move_from = 0;
	evtimer_del(c->retry);
	struct ike_sa *sa = c->sa_id ? ike_sa_by_id(d, c->sa_id) : NULL;
	log_info(LOG_IKE, "conn '%s': closing (cygnetctl down)", name);
	for (struct ike_sa *o = d->sas; o; o = o->next) {
		if (!o->client || !o->cfg || strcmp(o->cfg->name, name) != 0 || o->state == IKE_S_DEAD)
			continue;
		o->end = IKE_END_LOCAL;
		if (o->state == IKE_S_ESTABLISHED)
			ike_sa_send_delete(d, o);
		ike_sa_set_state(o, IKE_S_DEAD);
	}
	(void)sa;
	c->sa_id = 0;
	net_down(c);
	set_state(c, CL_DOWN);
	ike_sa_reap(d);
	snprintf(msg, len, "conn '%s' closed", name);
	return 0;
}

size_t client_status(struct daemon *d, char *out, size_t len)
{
	size_t used = 0;
	for (struct client *c = d->clients; c && used < len; c = c->next) {
		bool gw = c->gateway[0] && (c->state == CL_UP || c->state == CL_CONNECTING);
		int n = snprintf(out + used, len - used, "  %s: %s%s%s%s%s%s%s\n", c->name,
		                 state_names[c->state], gw ? ", gateway " : "", gw ? c->gateway : "",
		                 c->move_from ? " (moving: redirected)" : "",
		                 c->want ? "" : ", not wanted",
		                 c->last_error[0] ? ", last error: " : "", c->last_error);
		if (n < 0)
			break;
		used += (size_t)n < len - used ? (size_t)n : len - used - 1;
	}
	return used;
}

void client_stop_all(struct daemon *d)
{
	for (struct client *c = d->clients; c; c = c->next) {
		c->want = false;
		evtimer_del(c->retry);
		net_down(c);
	}
}

void client_free_all(struct daemon *d)
{
	while (d->clients) {
		struct client *c = d->clients;
		d->clients = c->next;
		event_free(c->retry);
		free(c);
	}
}

int client_redirect_of(const struct daemon *d, const struct ike_sa *sa, const struct ike_msg *m,
                       const uint8_t *ni, size_t ni_len, struct redirect_gw *gw,
                       const char **why)
{
	const struct ike_notify *rn = ike_find_notify(m, N_REDIRECT);
	if (!rn || !d->cfg->conf->follow_redirects || sa->probe)
		return 0;
	return client_redirect_parse(rn->data, rn->len, ni, ni_len, gw, why) == 0 ? 1 : -1;
}
