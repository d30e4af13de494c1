/* IKEv2 redirect (RFC 5685): the notify data, the decision for new
 * clients, the move of established ones and `cygnetctl redirect`. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include "conf/ipsec_conf.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/escape.h"
#include "src/ike_msg.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/redirect.h"

#define LIMIT_LOG_SECS 10
#define RETRY_SECS 1          /* a move waits this long for our other request to end */

/* ---- GW identities and notify data ---- */

int redirect_gw_from_text(const char *text, struct redirect_gw *gw)
{
	memset(gw, 0, sizeof(*gw));
	if (inet_pton(AF_INET, text, gw->id) == 1) {
		gw->type = GW_IPV4;
		gw->len = 4;
		return 0;
	}
	if (inet_pton(AF_INET6, text, gw->id) == 1) {
		gw->type = GW_IPV6;
		gw->len = 16;
		return 0;
	}
	if (!conf_redirect_host_ok(text))
		return -1;
	gw->type = GW_FQDN;
	gw->len = (uint8_t)strlen(text);     /* at most 255: checked above */
	memcpy(gw->id, text, gw->len);
	return 0;
}

const char *redirect_gw_format(const struct redirect_gw *gw, char *buf, size_t len)
{
	if (!len)
		return buf;
	buf[0] = '\0';
	if (gw->type == GW_IPV4 && gw->len == 4)
		inet_ntop(AF_INET, gw->id, buf, (socklen_t)len);
	else if (gw->type == GW_IPV6 && gw->len == 16)
		inet_ntop(AF_INET6, gw->id, buf, (socklen_t)len);
	else
		esc_text(gw->id, gw->len, buf, len, 0);
	return buf;
}

int redirect_gw_family(const struct redirect_gw *gw)
{
	return gw->type == GW_IPV4 ? AF_INET : gw->type == GW_IPV6 ? AF_INET6 : AF_UNSPEC;
}

/* the identity length each type must have; 0 for an unknown type */
static bool gw_len_ok(uint8_t type, size_t len)
{
	switch (type) {
	case GW_IPV4: return len == 4;
	case GW_IPV6: return len == 16;
	case GW_FQDN: return len >= 1 && len <= REDIRECT_GW_MAX;
	}
	return false;
}

size_t redirect_data_build(const struct redirect_gw *gw, const uint8_t *nonce,
                           size_t nonce_len, uint8_t *out, size_t cap)
{
	if (!gw_len_ok(gw->type, gw->len))
		return 0;
	if (!nonce)
		nonce_len = 0;
	size_t n = 2 + (size_t)gw->len + nonce_len;
	if (n > cap)
		return 0;
	out[0] = gw->type;
	out[1] = gw->len;
	memcpy(out + 2, gw->id, gw->len);
	if (nonce_len)
		memcpy(out + 2 + gw->len, nonce, nonce_len);
	return n;
}

int redirect_data_parse(const uint8_t *data, size_t len, struct redirect_gw *gw,
                        const uint8_t **nonce, size_t *nonce_len)
{
	memset(gw, 0, sizeof(*gw));
	if (nonce)
		*nonce = NULL;
	if (nonce_len)
		*nonce_len = 0;
	if (!data || len < 2 || !gw_len_ok(data[0], data[1]) || (size_t)data[1] > len - 2)
		return -1;
	gw->type = data[0];
	gw->len = data[1];
	memcpy(gw->id, data + 2, gw->len);
	size_t rest = len - 2 - gw->len;
	if (rest && nonce)
		*nonce = data + 2 + gw->len;
	if (nonce_len)
		*nonce_len = rest;
	return 0;
}

/* ---- new clients ---- */

enum redirect_why redirect_decide(bool drain, bool load_rule, uint32_t above, unsigned n_up,
                                  bool supported, bool redirected_from)
{
	if (!supported)
		return REDIR_NO;
	if (drain)
		return REDIR_DRAIN;
	if (load_rule && !redirected_from && n_up >= above)
		return REDIR_LOAD;
	return REDIR_NO;
}

bool redirect_supported(const struct ike_msg *m)
{
	return ike_find_notify(m, N_REDIRECT_SUPPORTED) || ike_find_notify(m, N_REDIRECTED_FROM);
}

/* the next of redirect_to= in turn that the client can reach: of its
 * address family, or a name; any when none is */
static bool pick_target(struct daemon *d, const struct sockaddr *peer, struct redirect_gw *gw)
{
	const struct ipsec_conf *c = d->cfg->conf;
	int n = c->n_redirect_to;
	for (int pass = 0; pass < 2; pass++) {
		for (int i = 0; i < n; i++) {
			int k = (int)((d->redirect.next + (unsigned)i) % (unsigned)n);
			if (redirect_gw_from_text(c->redirect_to[k], gw) != 0)
				continue;
			int fam = redirect_gw_family(gw);
			if (pass == 0 && fam != AF_UNSPEC && fam != peer->sa_family)
				continue;
			d->redirect.next = (unsigned)k + 1;
			return true;
		}
	}
	return false;
}

size_t redirect_at_init(struct daemon *d, const struct ike_msg *m, const struct sockaddr *peer,
                        uint8_t *data, size_t cap)
{
	const struct ipsec_conf *c = d->cfg->conf;
	struct redirect_state *r = &d->redirect;
	char from[INET6_ADDRSTRLEN + 8], gwtext[REDIRECT_GW_MAX * 4 + 1];
	addr_format(peer, from, sizeof(from));
	const struct ike_notify *rf = ike_find_notify(m, N_REDIRECTED_FROM);
	struct redirect_gw gw;
	if (rf) {
		if (redirect_data_parse(rf->data, rf->len, &gw, NULL, NULL) == 0)
			log_info(LOG_IKE, "IKE_SA_INIT from %s: redirected here by %s", from,
			         redirect_gw_format(&gw, gwtext, sizeof(gwtext)));
		else
			log_info(LOG_IKE, "IKE_SA_INIT from %s: malformed REDIRECTED_FROM, taken as "
			         "REDIRECT_SUPPORTED", from);
	}
	enum redirect_why why = redirect_decide(r->drain, c->redirect_above_set, c->redirect_above,
	                                        r->n_up, redirect_supported(m), rf != NULL);
	if (why == REDIR_NO)
		return 0;
	if (why == REDIR_DRAIN)
		gw = r->drain_to;
	else if (!pick_target(d, peer, &gw))
		return 0;
	size_t len = redirect_data_build(&gw, m->nonce, m->nonce_len, data, cap);
	if (!len)
		return 0;
	r->n_init++;
	unsigned more;
	redirect_gw_format(&gw, gwtext, sizeof(gwtext));
	if (ratelog_ok(&r->rl_init, now_sec(), LIMIT_LOG_SECS, &more)) {
		char reason[96];
		if (why == REDIR_DRAIN)
			snprintf(reason, sizeof(reason), "draining");
		else
			snprintf(reason, sizeof(reason), "%u IKE_SAs established, redirect_above=%u",
			         r->n_up, c->redirect_above);
		log_err(LOG_IKE, "IKE_SA_INIT from %s: redirected to %s (%s; %u more redirected in "
		        "the last %u s)", from, gwtext, reason, more, LIMIT_LOG_SECS);
	} else {
		log_dbg(LOG_IKE, "IKE_SA_INIT from %s: redirected to %s", from, gwtext);
	}
	return len;
}

void redirect_state_change(struct daemon *d, const struct ike_sa *sa, int st)
{
	if (sa->client)
		return;
	bool was = sa->state == IKE_S_ESTABLISHED, is = st == IKE_S_ESTABLISHED;
	if (!was && is)
		d->redirect.n_up++;
	else if (was && !is && d->redirect.n_up)
		d->redirect.n_up--;
}

/* ---- established clients ---- */

struct redirect_move {
	struct redirect_gw to;
	struct event *timer;
	uint64_t asked;                   /* monotonic seconds of the command */
	uint64_t answered_at;             /* ... and of the client's answer */
	bool sent, answered;
};

static void arm(struct event *ev, unsigned secs)
{
	struct timeval tv = { (time_t)secs, 0 };
	evtimer_add(ev, &tv);
}

/* the INFORMATIONAL request with REDIRECT, when no other request of ours
 * is outstanding (window size 1); true when sent */
static bool move_send(struct daemon *d, struct ike_sa *sa)
{
	struct redirect_move *mv = sa->move;
	uint8_t data[2 + REDIRECT_GW_MAX], buf[2 + REDIRECT_GW_MAX + 16];
	size_t n = redirect_data_build(&mv->to, NULL, 0, data, sizeof(data));
	if (!n || sa->req_kind != REQ_NONE)
		return false;
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_notify(&w, 0, NULL, 0, N_REDIRECT, data, n);
	if (ike_sa_request(d, sa, INFORMATIONAL, &w, REQ_REDIRECT) != 0)
		return false;
	char to[REDIRECT_GW_MAX * 4 + 1];
	log_err(LOG_IKE, "%s: redirecting '%s' to %s", ike_sa_tag(sa), sa->user,
	        redirect_gw_format(&mv->to, to, sizeof(to)));
	mv->sent = true;
	return true;
}

/* the client did not leave in time: delete the IKE_SA, with
 * retransmissions when we can, else with one DELETE */
static void move_delete(struct daemon *d, struct ike_sa *sa, const char *why)
{
	log_err(LOG_IKE, "%s: '%s' %s: deleting the IKE_SA", ike_sa_tag(sa), sa->user, why);
	if (sa->req_kind == REQ_NONE) {
		uint8_t buf[64];
		struct ike_wr w;
		ike_wr_init_inner(&w, buf, sizeof(buf));
		ike_wr_delete(&w, PROTO_IKE, 0, NULL, 0);
		ike_sa_set_state(sa, IKE_S_DELETING);
		if (ike_sa_request(d, sa, INFORMATIONAL, &w, REQ_DELETE) == 0)
			return;
	}
	ike_sa_send_delete(d, sa);
	ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(d);
}

static void move_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ike_sa *sa = arg;
	struct daemon *d = sa->d;
	struct redirect_move *mv = sa->move;
	unsigned wait = d->cfg->conf->half_open_timeout;
	(void)fd;
	(void)what;
	if (sa->state != IKE_S_ESTABLISHED)
		return;                       /* on its way out already */
	if (mv->answered) {
		move_delete(d, sa, "did not delete its IKE_SA after the redirect");
		return;
	}
	if (mv->sent)
		return;                       /* retransmissions decide now */
	if (move_send(d, sa))
		return;
	if (now_sec() - mv->asked >= wait) {
		move_delete(d, sa, "could not be sent the REDIRECT (other requests outstanding)");
		return;
	}
	arm(mv->timer, RETRY_SECS);
}

/* the move state of sa, with its timer (not armed); NULL on failure */
static struct redirect_move *move_new(struct daemon *d, struct ike_sa *sa,
                                      const struct redirect_gw *gw)
{
	struct redirect_move *mv = calloc(1, sizeof(*mv));
	if (!mv)
		return NULL;
	mv->timer = evtimer_new(d->base, move_tick, sa);
	if (!mv->timer) {
		free(mv);
		return NULL;
	}
	mv->to = *gw;
	mv->asked = now_sec();
	sa->move = mv;
	return mv;
}

int redirect_move(struct daemon *d, struct ike_sa *sa, const struct redirect_gw *gw)
{
	if (sa->client || sa->state != IKE_S_ESTABLISHED || !sa->peer_redirect)
		return -1;
	if (sa->move)
		return 1;
	struct redirect_move *mv = move_new(d, sa, gw);
	if (!mv)
		return -1;
	if (!move_send(d, sa))
		arm(mv->timer, RETRY_SECS);
	return 0;
}

void redirect_rekeyed(struct daemon *d, struct ike_sa *old, struct ike_sa *n)
{
	struct redirect_move *mv = old->move;
	if (!mv || n->move || n->state != IKE_S_ESTABLISHED)
		goto out;
	if (!mv->answered) {
		log_info(LOG_IKE, "%s: IKE_SA rekeyed into #%u before the client took the "
		         "REDIRECT: asking again there", ike_sa_tag(old), n->id);
		redirect_move(d, n, &mv->to);
		goto out;
	}
	/* the client is on its way: the new IKE_SA waits for its DELETE
	 * what was left of the wait, sending nothing */
	struct redirect_move *nm = move_new(d, n, &mv->to);
	if (!nm)
		goto out;
	nm->sent = nm->answered = true;
	uint64_t now = now_sec(), wait = d->cfg->conf->half_open_timeout;
	uint64_t end = mv->answered_at + wait;
	arm(nm->timer, end > now ? (unsigned)(end - now) : 0);
	nm->answered_at = mv->answered_at;
out:
	redirect_sa_free(old);
}

void redirect_answered(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct redirect_move *mv = sa->move;
	const struct ike_notify *err = ike_find_error(m);
	if (!mv)
		return;
	mv->answered = true;
	mv->answered_at = now_sec();
	d->redirect.n_moved++;
	if (err)
		log_info(LOG_IKE, "%s: '%s' answered the REDIRECT with %s", ike_sa_tag(sa), sa->user,
		         ike_notify_name(err->type));
	else
		log_info(LOG_IKE, "%s: '%s' took the REDIRECT, waiting for it to delete this IKE_SA",
		         ike_sa_tag(sa), sa->user);
	arm(mv->timer, d->cfg->conf->half_open_timeout);
}

void redirect_sa_free(struct ike_sa *sa)
{
	if (!sa || !sa->move)
		return;
	if (sa->move->timer)
		event_free(sa->move->timer);
	free(sa->move);
	sa->move = NULL;
}

/* ---- cygnetctl redirect ---- */

struct answer {
	void (*put)(void *arg, const char *line);
	void *arg;
};

static void say(struct answer *a, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void say(struct answer *a, const char *fmt, ...)
{
	char line[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	a->put(a->arg, line);
}

static void show(struct daemon *d, struct answer *a)
{
	const struct ipsec_conf *c = d->cfg->conf;
	struct redirect_state *r = &d->redirect;
	char gw[REDIRECT_GW_MAX * 4 + 1];
	unsigned moving = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->move && sa->state == IKE_S_ESTABLISHED)
			moving++;
	if (r->drain)
		say(a, "new clients: redirected to %s (draining, until 'cygnetctl redirect --off')",
		    redirect_gw_format(&r->drain_to, gw, sizeof(gw)));
	else if (c->redirect_above_set)
		say(a, "new clients: redirected to redirect_to= once %u IKE_SAs are established "
		    "(redirect_above)", c->redirect_above);
	else
		say(a, "new clients: served here (no redirect_above= in config setup)");
	say(a, "%u IKE_SAs established, %u being moved; since the start %llu clients "
	    "redirected at IKE_SA_INIT, %llu established ones took a REDIRECT", r->n_up, moving,
	    (unsigned long long)r->n_init, (unsigned long long)r->n_moved);
}

/* USER|VIP|#ID|all against an established server IKE_SA */
static bool matches(const struct ike_sa *sa, const char *what)
{
	uint8_t addr[16];
	if (strcmp(what, "all") == 0)
		return true;
	if (what[0] == '#') {
		char *end;
		unsigned long id = strtoul(what + 1, &end, 10);
		return what[1] && !*end && sa->id == id;
	}
	if (inet_pton(AF_INET, what, addr) == 1)
		return sa->has_vip4 && memcmp(sa->vip4, addr, 4) == 0;
	if (inet_pton(AF_INET6, what, addr) == 1)
		return sa->has_vip6 && memcmp(sa->vip6, addr, 16) == 0;
	return strcmp(sa->user, what) == 0;
}

static void move_some(struct daemon *d, struct answer *a, const struct redirect_gw *gw,
                      const char *gwtext, const char *what)
{
	unsigned asked = 0, stay = 0, already = 0;
	char peer[INET6_ADDRSTRLEN + 8];
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->client || sa->state != IKE_S_ESTABLISHED || !matches(sa, what))
			continue;
		addr_format((const struct sockaddr *)&sa->peer, peer, sizeof(peer));
		int rc = redirect_move(d, sa, gw);
		if (rc == 0) {
			say(a, "redirected #%u '%s' from %s", sa->id, sa->user, peer);
			asked++;
		} else if (rc == 1) {
			say(a, "moving #%u '%s' from %s (already redirected before)", sa->id, sa->user,
			    peer);
			already++;
		} else {
			say(a, "stays #%u '%s' from %s: %s", sa->id, sa->user, peer,
			    sa->peer_redirect ? "internal failure" : "the client does not support redirects");
			stay++;
		}
	}
	say(a, "%u IKE_SA%s redirected to %s, %u already moving, %u stay%s", asked,
	    asked == 1 ? "" : "s", gwtext, already, stay, stay == 1 ? "s" : "");
}

void redirect_command(struct daemon *d, const char *args,
                      void (*put)(void *arg, const char *line), void *arg)
{
	struct answer a = { put, arg };
	struct redirect_state *r = &d->redirect;
	char host[300], what[300], gwtext[REDIRECT_GW_MAX * 4 + 1];
	if (!*args) {
		show(d, &a);
		return;
	}
	if (strcmp(args, " --off") == 0) {
		if (r->drain)
			log_err(LOG_IKE, "control socket: new clients are served here again "
			        "(redirect --off)");
		r->drain = false;
		show(d, &a);
		return;
	}
	if (strncmp(args, " --to ", 6) != 0) {
		say(&a, "error: usage: redirect [--off | --to HOST [USER|VIP|#ID|all]]");
		return;
	}
	const char *p = args + 6;
	size_t hl = strcspn(p, " ");
	const char *rest = p[hl] ? p + hl + 1 : "";
	struct redirect_gw gw;
	if (hl == 0 || hl >= sizeof(host) || strlen(rest) >= sizeof(what) || strchr(rest, ' ')) {
		say(&a, "error: usage: redirect [--off | --to HOST [USER|VIP|#ID|all]]");
		return;
	}
	memcpy(host, p, hl);
	host[hl] = '\0';
	if (redirect_gw_from_text(host, &gw) != 0) {
		esc_text(host, hl, gwtext, sizeof(gwtext), 0);
		say(&a, "error: '%s' is not an IPv4 or IPv6 address or a DNS name (letters, digits, "
		    "'-' and '.', at most 255 characters)", gwtext);
		return;
	}
	redirect_gw_format(&gw, gwtext, sizeof(gwtext));
	strcpy(what, rest);
	if (!*what || strcmp(what, "all") == 0) {
		r->drain = true;
		r->drain_to = gw;
		log_err(LOG_IKE, "control socket: new clients are redirected to %s%s", gwtext,
		        *what ? ", and every established one" : "");
		say(&a, "new clients are redirected to %s until 'cygnetctl redirect --off'", gwtext);
	}
	if (*what)
		move_some(d, &a, &gw, gwtext, what);
}
