/* The Prometheus text exposition of the daemon's counters (metrics.h). */
#define _GNU_SOURCE
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include "src/config.h"
#include "src/daemon.h"
#include "src/radius_acct.h"
#include "src/dp/dp.h"
#include "src/escape.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/auth_limit.h"
#include "src/metrics.h"
#include "src/pool.h"
#include "src/version.h"

/* ---- per-user counts of deleted CHILD_SAs: sorted by name ---- */

struct mu_entry {
	char *name;
	struct esp_counters c;
};

struct metrics_users {
	struct mu_entry *e;
	size_t n, cap;
	bool full_logged;
};

/* index of name, or where it belongs (*found false) */
static size_t mu_find(const struct metrics_users *u, const char *name, bool *found)
{
	size_t lo = 0, hi = u->n;
	*found = false;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		int c = strcmp(u->e[mid].name, name);
		if (c == 0) {
			*found = true;
			return mid;
		}
		if (c < 0)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

void metrics_child_gone(struct daemon *d, const struct ike_sa *sa, uint32_t spi_in)
{
	struct dp_sa_stats st;
	acct_child_gone(d, sa, spi_in);   /* the accounting session's totals too */
	if (sa->client || sa->probe || !sa->user[0] || dp_sa_stats(d->dp, spi_in, &st) != 0)
		return;
	if (!d->musers && !(d->musers = calloc(1, sizeof(*d->musers))))
		return;
	struct metrics_users *u = d->musers;
	bool found;
	/* a name RADIUS did not confirm counts apart from that user's */
	char kb[sizeof(sa->user) + sizeof(IKE_SA_UNCONFIRMED_LEASE)];
	const char *who = ike_sa_lease_id(sa, kb, sizeof(kb));
	size_t i = mu_find(u, who, &found);
	if (!found) {
		if (u->n >= METRICS_MAX_USERS) {
			if (!u->full_logged)
				log_err(LOG_DMN, "metrics: %d users have counters; later users' bytes "
				        "count only while their sessions last", METRICS_MAX_USERS);
			u->full_logged = true;
			return;
		}
		if (u->n == u->cap) {
			size_t cap = u->cap ? u->cap * 2 : 64;
			struct mu_entry *ne = realloc(u->e, cap * sizeof(*ne));
			if (!ne)
				return;
			u->e = ne;
			u->cap = cap;
		}
		char *name = strdup(who);
		if (!name)
			return;
		memmove(&u->e[i + 1], &u->e[i], (u->n - i) * sizeof(*u->e));
		u->e[i] = (struct mu_entry){ .name = name };
		u->n++;
	}
	esp_counters_add(&u->e[i].c, &st.ctr);
}

void metrics_users_free(struct daemon *d)
{
	struct metrics_users *u = d->musers;
	if (!u)
		return;
	for (size_t i = 0; i < u->n; i++)
		free(u->e[i].name);
	free(u->e);
	free(u);
	d->musers = NULL;
}

/* ---- text ---- */

void metrics_buf_free(struct metrics_buf *o)
{
	if (!o)
		return;
	free(o->buf);
	*o = (struct metrics_buf){ 0 };
}

static void put(struct metrics_buf *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct metrics_buf *o, const char *fmt, ...)
{
	va_list ap;
	if (o->oom)
		return;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0) {
			o->oom = true;
			return;
		}
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 16384) + (size_t)n;
		char *nb = realloc(o->buf, cap);
		if (!nb) {
			o->oom = true;
			return;
		}
		o->buf = nb;
		o->cap = cap;
	}
}

/* the HELP and TYPE lines of a family */
static void family(struct metrics_buf *o, const char *name, const char *type, const char *help)
{
	put(o, "# HELP %s %s\n# TYPE %s %s\n", name, help, name, type);
}

/* one sample; label (name="value", value already escaped) may be NULL */
static void sample(struct metrics_buf *o, const char *name, const char *label, const char *value,
                   uint64_t v)
{
	if (label)
		put(o, "%s{%s=\"%s\"} %llu\n", name, label, value, (unsigned long long)v);
	else
		put(o, "%s %llu\n", name, (unsigned long long)v);
}

/* a family of one unlabelled sample */
static void single(struct metrics_buf *o, const char *name, const char *type, const char *help,
                   uint64_t v)
{
	family(o, name, type, help);
	sample(o, name, NULL, NULL, v);
}

/* esc_prom of s, malloc'd; NULL when memory is short */
static char *label_of(const char *s)
{
	size_t need = esc_prom(s, NULL, 0);
	char *t = malloc(need + 1);
	if (t)
		esc_prom(s, t, need + 1);
	return t;
}

static const char *const state_names[] = {
	[IKE_S_NEW] = "new", [IKE_S_INIT_DONE] = "init_done", [IKE_S_AUTH2] = "auth2",
	[IKE_S_EAP] = "eap", [IKE_S_EAP_DONE] = "eap_done", [IKE_S_ESTABLISHED] = "established",
	[IKE_S_DELETING] = "deleting", [IKE_S_REKEYED] = "rekeyed", [IKE_S_DEAD] = "dead",
};
#define N_STATES (int)(sizeof(state_names) / sizeof(state_names[0]))

static const char *const fail_names[FAIL_N] = {
	[FAIL_NO_PROPOSAL] = "no_proposal", [FAIL_LIMIT] = "limit", [FAIL_AUTH] = "auth",
	[FAIL_TIMEOUT] = "timeout",
};

/* the counters of sa's installed CHILD_SAs, added to t */
static void sa_add_counters(struct daemon *d, const struct ike_sa *sa, struct esp_counters *t)
{
	for (int i = 0; i < sa->n_child; i++) {
		struct dp_sa_stats st;
		if (sa->child[i].installed && dp_sa_stats(d->dp, sa->child[i].spi_in, &st) == 0)
			esp_counters_add(t, &st.ctr);
	}
}

static void render_ike(struct daemon *d, struct metrics_buf *o)
{
	uint64_t by_state[N_STATES] = { 0 };
	for (const struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if ((int)sa->state >= 0 && (int)sa->state < N_STATES)
			by_state[sa->state]++;
	family(o, "cygnet_ike_sas", "gauge", "IKE_SAs by state (server and client ones).");
	for (int i = 0; i < N_STATES; i++)
		sample(o, "cygnet_ike_sas", "state", state_names[i], by_state[i]);
	single(o, "cygnet_ike_sa_established_total", "counter",
	       "Connection attempts of clients that ended in an established IKE_SA.",
	       d->n_established);
	family(o, "cygnet_ike_sa_failed_total", "counter",
	       "Connection attempts of clients that failed, by reason.");
	for (int i = 0; i < FAIL_N; i++)
		sample(o, "cygnet_ike_sa_failed_total", "reason", fail_names[i], d->n_failed[i]);
	single(o, "cygnet_ike_cookies_sent_total", "counter",
	       "IKE_SA_INIT requests answered with a COOKIE (RFC 7296 2.6).", d->n_cookies);
	single(o, "cygnet_radius_busy_refused_total", "counter",
	       "EAP logins refused while radius_requests_per_source Access-Requests of their "
	       "address waited.", d->alim ? auth_limit_busy_count(d->alim) : 0);
	single(o, "cygnet_ike_cookies_required", "gauge",
	       "1 while new clients must return a cookie (cookie_threshold reached).",
	       d->half_open >= d->cfg->conf->cookie_threshold);
	family(o, "cygnet_ike_send_errors_total", "counter", "IKE datagrams not sent, by reason.");
	sample(o, "cygnet_ike_send_errors_total", "reason", "buffer_full", d->n_send_full);
	sample(o, "cygnet_ike_send_errors_total", "reason", "other", d->n_send_err);
	single(o, "cygnet_crypto_jobs_pending", "gauge",
	       "Handshake computations waiting for a crypto thread.",
	       d->jobs ? (uint64_t)jobs_pending(d->jobs) : 0);
}

static void render_esp(struct daemon *d, struct metrics_buf *o)
{
	struct dp_stats ds;
	dp_stats(d->dp, &ds);
	struct esp_counters t = ds.deleted;
	for (const struct ike_sa *sa = d->sas; sa; sa = sa->next)
		sa_add_counters(d, sa, &t);
	single(o, "cygnet_child_sas", "gauge", "CHILD_SAs (ESP SAs) installed in the data plane.",
	       ds.sas);
	single(o, "cygnet_esp_receive_bytes_total", "counter",
	       "Inner bytes received from peers through ESP (written to the TUN device).",
	       t.bytes_in);
	single(o, "cygnet_esp_receive_packets_total", "counter",
	       "Inner packets received from peers through ESP.", t.packets_in);
	single(o, "cygnet_esp_transmit_bytes_total", "counter",
	       "Inner bytes sent to peers through ESP.", t.bytes_out);
	single(o, "cygnet_esp_transmit_packets_total", "counter",
	       "Inner packets sent to peers through ESP.", t.packets_out);
	const struct { const char *reason; uint64_t v; } drops[] = {
		{ "auth", t.drop_auth }, { "replay", t.drop_replay },
		{ "spoofed_source", t.drop_spoof }, { "malformed", t.drop_malformed },
		{ "ts_in", t.drop_ts_in }, { "ts_out", t.drop_ts_out },
		{ "seq_exhausted", t.drop_seq }, { "no_memory", t.drop_nomem },
		{ "unknown_spi", ds.unknown_spi }, { "tun_write_error", ds.tun_write_err },
		{ "send_buffer_full", ds.send_full }, { "send_error", ds.send_err },
	};
	family(o, "cygnet_esp_dropped_packets_total", "counter",
	       "Packets the data plane dropped, by reason (auth: ICV failed; ts_in/ts_out: "
	       "outside the traffic selectors).");
	for (size_t i = 0; i < sizeof(drops) / sizeof(drops[0]); i++)
		sample(o, "cygnet_esp_dropped_packets_total", "reason", drops[i].reason, drops[i].v);
	single(o, "cygnet_dataplane_events_dropped_total", "counter",
	       "Data plane events lost to a full queue (raised again by the next packet).",
	       ds.events_dropped);
}

struct prow {
	char *label;
	uint64_t size, online, offline;
};

struct urow {
	char *label;
	struct esp_counters c;
	uint64_t sessions;
};

static int cmp_label(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* the pools of every live configuration, each once */
static void render_pools(struct daemon *d, struct metrics_buf *o)
{
	size_t n = 0, cap = 0;
	struct prow *r = NULL;
	for (struct config *c = config_live(d->cfg); c; c = c->live_next) {
		for (int i = 0; i < c->n_pools; i++) {
			struct pool *p = c->pools[i];
			bool seen = false;
			for (struct config *e = config_live(d->cfg); e != c && !seen; e = e->live_next)
				for (int j = 0; j < e->n_pools && !seen; j++)
					seen = e->pools[j] == p;
			for (int j = 0; j < i && !seen; j++)
				seen = c->pools[j] == p;
			if (seen)
				continue;
			if (n == cap) {
				cap = cap ? 2 * cap : 8;
				struct prow *nr = realloc(r, cap * sizeof(*nr));
				if (!nr) {
					o->oom = true;
					goto out;
				}
				r = nr;
			}
			r[n] = (struct prow){ label_of(pool_name(p)), pool_size(p), pool_online(p),
			                      pool_offline(p) };
			if (!r[n].label) {
				o->oom = true;
				goto out;
			}
			n++;
		}
	}
	qsort(r, n, sizeof(*r), cmp_label);
	/* one series per label: pools that print alike are added up */
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && strcmp(r[m - 1].label, r[i].label) == 0) {
			r[m - 1].size += r[i].size;
			r[m - 1].online += r[i].online;
			r[m - 1].offline += r[i].offline;
			free(r[i].label);
			continue;
		}
		r[m++] = r[i];
	}
	n = m;
	family(o, "cygnet_pool_addresses", "gauge", "Addresses of a virtual IP pool.");
	for (size_t i = 0; i < n; i++)
		sample(o, "cygnet_pool_addresses", "pool", r[i].label, r[i].size);
	family(o, "cygnet_pool_addresses_in_use", "gauge",
	       "Addresses of a pool leased to a client online.");
	for (size_t i = 0; i < n; i++)
		sample(o, "cygnet_pool_addresses_in_use", "pool", r[i].label, r[i].online);
	family(o, "cygnet_pool_addresses_offline", "gauge",
	       "Addresses of a pool kept for a client offline (given back when it returns).");
	for (size_t i = 0; i < n; i++)
		sample(o, "cygnet_pool_addresses_offline", "pool", r[i].label, r[i].offline);
out:
	for (size_t i = 0; i < n; i++)
		free(r[i].label);
	free(r);
}

static bool urow_add(struct urow **r, size_t *n, size_t *cap, const char *name,
                     const struct esp_counters *c, uint64_t sessions)
{
	if (*n == *cap) {
		size_t nc = *cap ? 2 * *cap : 64;
		struct urow *nr = realloc(*r, nc * sizeof(*nr));
		if (!nr)
			return false;
		*r = nr;
		*cap = nc;
	}
	struct urow *u = &(*r)[*n];
	*u = (struct urow){ .label = label_of(name), .c = *c, .sessions = sessions };
	if (!u->label)
		return false;
	(*n)++;
	return true;
}

/* per user: the counts kept of deleted CHILD_SAs plus those of the
 * sessions' installed ones, one series per label */
static void render_users(struct daemon *d, struct metrics_buf *o)
{
	size_t n = 0, cap = 0;
	struct urow *r = NULL;
	for (size_t i = 0; d->musers && i < d->musers->n; i++)
		if (!urow_add(&r, &n, &cap, d->musers->e[i].name, &d->musers->e[i].c, 0)) {
			o->oom = true;
			goto out;
		}
	for (const struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->client || sa->probe || !sa->user[0])
			continue;
		struct esp_counters c = { 0 };
		sa_add_counters(d, sa, &c);
		bool online = sa->state == IKE_S_ESTABLISHED;
		if (!online && !c.packets_in && !c.packets_out && !c.bytes_in && !c.bytes_out)
			continue;
		char kb[sizeof(sa->user) + sizeof(IKE_SA_UNCONFIRMED_LEASE)];
		if (!urow_add(&r, &n, &cap, ike_sa_lease_id(sa, kb, sizeof(kb)), &c, online)) {
			o->oom = true;
			goto out;
		}
	}
	qsort(r, n, sizeof(*r), cmp_label);
	size_t m = 0;
	for (size_t i = 0; i < n; i++) {
		if (m && strcmp(r[m - 1].label, r[i].label) == 0) {
			esp_counters_add(&r[m - 1].c, &r[i].c);
			r[m - 1].sessions += r[i].sessions;
			free(r[i].label);
			continue;
		}
		r[m++] = r[i];
	}
	n = m;
	family(o, "cygnet_user_sessions", "gauge", "Established IKE_SAs of a user.");
	for (size_t i = 0; i < n; i++)
		sample(o, "cygnet_user_sessions", "user", r[i].label, r[i].sessions);
	const struct { const char *name, *help; size_t off; } fams[] = {
		{ "cygnet_user_receive_bytes_total", "Inner bytes received from a user's clients.",
		  offsetof(struct esp_counters, bytes_in) },
		{ "cygnet_user_receive_packets_total", "Inner packets received from a user's clients.",
		  offsetof(struct esp_counters, packets_in) },
		{ "cygnet_user_transmit_bytes_total", "Inner bytes sent to a user's clients.",
		  offsetof(struct esp_counters, bytes_out) },
		{ "cygnet_user_transmit_packets_total", "Inner packets sent to a user's clients.",
		  offsetof(struct esp_counters, packets_out) },
	};
	for (size_t f = 0; f < sizeof(fams) / sizeof(fams[0]); f++) {
		family(o, fams[f].name, "counter", fams[f].help);
		for (size_t i = 0; i < n; i++)
			sample(o, fams[f].name, "user", r[i].label,
			       *(const uint64_t *)((const char *)&r[i].c + fams[f].off));
	}
out:
	for (size_t i = 0; i < n; i++)
		free(r[i].label);
	free(r);
}

/* RADIUS accounting (radius_acct.h): one family, only when it is on */
static void render_acct(struct daemon *d, struct metrics_buf *o)
{
	struct acct_counts c;
	if (!acct_counts(d, &c))
		return;
	family(o, "cygnet_radius_accounting_records", "gauge",
	       "RADIUS accounting: requests sent, records answered, records sent again after "
	       "no answer, records dropped (all since the start) and records queued now.");
	sample(o, "cygnet_radius_accounting_records", "event", "sent", c.sent);
	sample(o, "cygnet_radius_accounting_records", "event", "answered", c.answered);
	sample(o, "cygnet_radius_accounting_records", "event", "retried", c.retried);
	sample(o, "cygnet_radius_accounting_records", "event", "dropped", c.dropped);
	sample(o, "cygnet_radius_accounting_records", "event", "queued", c.queued);
}

int metrics_render(struct daemon *d, struct metrics_buf *o)
{
	char *version = label_of(CYGNET_VERSION);
	family(o, "cygnet_build_info", "gauge", "The version of cygnet running (always 1).");
	sample(o, "cygnet_build_info", "version", version ? version : "", 1);
	free(version);
	uint64_t now = (uint64_t)time(NULL);
	single(o, "cygnet_start_time_seconds", "gauge", "When cygnetd started (Unix time).",
	       d->started);
	single(o, "cygnet_uptime_seconds", "gauge", "Seconds since cygnetd started.",
	       d->started && now > d->started ? now - d->started : 0);
	render_ike(d, o);
	render_esp(d, o);
	render_pools(d, o);
	render_users(d, o);
	render_acct(d, o);
	if (o->oom) {
		metrics_buf_free(o);
		return -1;
	}
	return 0;
}
