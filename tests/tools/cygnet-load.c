/* cygnet-load: the IKEv2 handshake load generator (make bench, t_load.sh).
 *
 * Opens --count IKE_SAs of one client conn against a server at a fixed
 * offered rate: open loop, a new handshake is started every 1/--rate
 * seconds whether or not the earlier ones have finished (a late timer
 * catches up, so the offered rate holds while the generator keeps up).
 * Each is one client_probe() of src/client.h: IKE_SA_INIT, IKE_AUTH as
 * the conn's leftauth= says (EAP-MSCHAPv2, PSK, certificate), the first
 * CHILD_SA; its outcome comes back once through d->probe_done. The IKE_SAs
 * are spread round robin over --sources (local addresses, which must be
 * assigned to an interface here), so a server's per-source limits do not
 * decide the result.
 *
 * A handshake counts as
 *   ok      probe_done said established; its setup latency is from the
 *           client_probe() call to that moment (CLOCK_MONOTONIC);
 *   failed  probe_done gave a reason, client_probe() could not start it,
 *           or it was not done --timeout seconds after its start
 *           ("timeout": the IKE_SA is then dropped without a word, the
 *           server's half-open timeout cleans up).
 * Established IKE_SAs are deleted (INFORMATIONAL DELETE, not waited for)
 * right after they are up, so the server's state stays bounded; --keep
 * keeps them until the end of the run instead.
 *
 * Output: offered and achieved handshakes per second (achieved = ok /
 * (last ok completion - first start)), started/ok/failed, p50/p90/p99/max
 * setup latency in ms, failures grouped by reason; --json prints the same
 * as one JSON object. Exit status 0 when it ran (failures included), 1 when
 * it could not set itself up (TUN device, sockets), 2 on usage or
 * configuration errors. Every run ends within count/rate + timeout + 5 s.
 *
 * Runs as root in a network namespace of its own: it binds UDP 500 and 4500
 * and opens a TUN device (--tun, default cygload0) for the data plane the
 * CHILD_SAs are installed in. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <getopt.h>
#include <stddef.h>
#include <netdb.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>
#include "src/auth_limit.h"
#include "src/client.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/net.h"
#include "tun/tun.h"

#define MAX_SOURCES 4096
#define MAX_COUNT 1000000
#define MAX_REASONS 32           /* distinct failure reasons kept; the rest is "other" */
#define TICK_NS 10000000ull      /* the longest sleep between checks: 10 ms */
#define GRACE_S 5                /* after count/rate + timeout: hard stop */

enum hs_state { HS_PENDING, HS_OK, HS_FAILED };

/* one handshake */
struct hs {
	uint64_t start_ns, done_ns;      /* monotonic */
	uint32_t sa_id;                  /* 0 until client_probe returned */
	enum hs_state st;
};

struct reason {
	char text[256];
	unsigned n;
};

struct load {
	struct daemon d;                 /* first: probe_done finds the load from it */
	struct peer_cfg *pc;
	const char *server_text;
	struct sockaddr_storage peer;
	socklen_t peer_len;
	struct sockaddr_storage *src;    /* local addresses, port 500 */
	socklen_t *src_len;
	int n_src;
	double rate, timeout;
	unsigned count;
	bool keep, json;

	struct hs *hs;
	unsigned started, n_ok, n_failed;
	unsigned lo;                     /* handshakes before lo are all done */
	long starting;                   /* index inside client_probe(), else -1 */
	uint64_t t0;                     /* monotonic ns of the first scheduled start */
	uint64_t last_ok_ns;
	uint64_t max_lag_ns;             /* the latest a start came after its schedule */
	bool finished, interrupted, closed;

	uint32_t *del;                   /* IKE_SA ids to delete (established) */
	unsigned del_n;

	struct reason reasons[MAX_REASONS];
	int n_reasons;
	unsigned other_failures;

	struct event *tick, *reaper, *deadline, *ev_int, *ev_term;
};

static uint64_t mono_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

static struct timeval tv_of_ns(uint64_t ns)
{
	struct timeval tv = { (time_t)(ns / 1000000000ull), (suseconds_t)(ns % 1000000000ull / 1000) };
	return tv;
}

static void usage(FILE *f)
{
	fprintf(f,
	        "usage: cygnet-load -c DIR [--conn NAME] [--server ADDR] [--rate R] [--count N]\n"
	        "                   [--sources A-B|A,B,...] [--timeout S] [--keep] [--json]\n"
	        "                   [--tun NAME] [--debug LEVEL]\n"
	        "  -c, --config DIR  ipsec.conf + ipsec.secrets (+ ipsec.d) with the client conn\n"
	        "  --conn NAME       the conn to open (default: the only client conn)\n"
	        "  --server ADDR     the server's address (default: the conn's right=)\n"
	        "  --rate R          handshakes started per second, open loop (default 10)\n"
	        "  --count N         handshakes in all (default 100)\n"
	        "  --sources LIST    local addresses to spread them over, round robin:\n"
	        "                    FIRST-LAST ranges and/or single addresses, comma separated\n"
	        "                    (default: the kernel's source address towards the server)\n"
	        "  --timeout S       a handshake not done after S seconds fails (default 10)\n"
	        "  --keep            keep established IKE_SAs until the end (default: delete\n"
	        "                    each at once)\n"
	        "  --json            the result as one JSON object\n"
	        "  --tun NAME        the TUN device for the data plane (default cygload0)\n"
	        "  --debug LEVEL     cygnet's log level -1..4 on stderr (default -1: silent)\n");
}

/* ---- failures by reason ---- */

static void count_reason(struct load *L, const char *why)
{
	if (!why || !why[0])
		why = "unknown";
	for (int i = 0; i < L->n_reasons; i++)
		if (strcmp(L->reasons[i].text, why) == 0) {
			L->reasons[i].n++;
			return;
		}
	if (L->n_reasons == MAX_REASONS) {
		L->other_failures++;
		return;
	}
	struct reason *r = &L->reasons[L->n_reasons++];
	snprintf(r->text, sizeof(r->text), "%s", why);
	r->n = 1;
}

static void advance_lo(struct load *L)
{
	while (L->lo < L->started && L->hs[L->lo].st != HS_PENDING)
		L->lo++;
}

static void finish(struct load *L);

static void hs_fail(struct load *L, struct hs *h, const char *why)
{
	h->st = HS_FAILED;
	h->done_ns = mono_ns();
	L->n_failed++;
	count_reason(L, why);
}

/* ---- the outcome of a probe (d->probe_done) ---- */

static struct hs *hs_of(struct load *L, uint32_t id)
{
	for (unsigned i = L->lo; i < L->started; i++)
		if (L->hs[i].sa_id == id)
			return &L->hs[i];
	return NULL;
}

static void on_probe_done(struct daemon *d, struct ike_sa *sa, bool ok, const char *why)
{
	struct load *L = (struct load *)((char *)d - offsetof(struct load, d));
	if (L->closed)
		return;
	/* inside client_probe(): the IKE_SA being started, which has no id
	 * in L->hs yet */
	struct hs *h = hs_of(L, sa->id);
	if (!h && L->starting >= 0)
		h = &L->hs[L->starting];
	if (!h || h->st != HS_PENDING)
		return;                  /* timed out already */
	if (ok) {
		h->st = HS_OK;
		h->done_ns = mono_ns();
		L->n_ok++;
		if (h->done_ns > L->last_ok_ns)
			L->last_ok_ns = h->done_ns;
		if (!L->keep && L->del_n < L->count) {
			/* not from inside the IKE code that is calling us */
			L->del[L->del_n++] = sa->id;
			event_active(L->reaper, EV_TIMEOUT, 0);
		}
	} else {
		hs_fail(L, h, why);
	}
	advance_lo(L);
	if (L->started == L->count && L->lo == L->count)
		event_active(L->reaper, EV_TIMEOUT, 0);
}

/* ---- deleting IKE_SAs ---- */

static void delete_sa(struct daemon *d, struct ike_sa *sa)
{
	sa->end = IKE_END_LOCAL;
	if (sa->state == IKE_S_ESTABLISHED)
		ike_sa_send_delete(d, sa);
	ike_sa_set_state(sa, IKE_S_DEAD);
}

static void on_reaper(evutil_socket_t fd, short what, void *arg)
{
	struct load *L = arg;
	for (unsigned i = 0; i < L->del_n; i++) {
		struct ike_sa *sa = ike_sa_by_id(&L->d, L->del[i]);
		if (sa)
			delete_sa(&L->d, sa);
	}
	L->del_n = 0;
	ike_sa_reap(&L->d);
	if (L->started == L->count && L->lo == L->count)
		finish(L);
}

/* ---- starting handshakes, timeouts ---- */

static void start_one(struct load *L, uint64_t now)
{
	unsigned i = L->started++;
	struct hs *h = &L->hs[i];
	int s = (int)(i % (unsigned)L->n_src);
	h->start_ns = now;
	h->st = HS_PENDING;
	L->starting = (long)i;
	struct ike_sa *sa = client_probe(&L->d, L->pc, (const struct sockaddr *)&L->peer, L->peer_len,
	                                 (const struct sockaddr *)&L->src[s], L->src_len[s]);
	L->starting = -1;
	if (sa)
		h->sa_id = sa->id;
	else if (h->st == HS_PENDING)
		hs_fail(L, h, "could not start (client_probe failed)");
	advance_lo(L);
}

static void sweep_timeouts(struct load *L, uint64_t now)
{
	uint64_t limit = (uint64_t)(L->timeout * 1e9);
	bool killed = false;
	for (unsigned i = L->lo; i < L->started; i++) {
		struct hs *h = &L->hs[i];
		if (h->st != HS_PENDING || now - h->start_ns < limit)
			continue;
		hs_fail(L, h, "timeout");
		struct ike_sa *sa = h->sa_id ? ike_sa_by_id(&L->d, h->sa_id) : NULL;
		if (sa) {
			delete_sa(&L->d, sa);
			killed = true;
		}
	}
	advance_lo(L);
	if (killed)
		ike_sa_reap(&L->d);
}

static uint64_t due_ns(const struct load *L, unsigned i)
{
	return L->t0 + (uint64_t)((double)i * 1e9 / L->rate);
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct load *L = arg;
	if (L->finished)
		return;
	uint64_t now = mono_ns();
	while (L->started < L->count && due_ns(L, L->started) <= now) {
		uint64_t lag = now - due_ns(L, L->started);
		if (lag > L->max_lag_ns)
			L->max_lag_ns = lag;
		start_one(L, now);
		now = mono_ns();
	}
	sweep_timeouts(L, now);
	if (L->started == L->count && L->lo == L->count) {
		finish(L);
		return;
	}
	uint64_t wait = TICK_NS;
	if (L->started < L->count) {
		uint64_t due = due_ns(L, L->started);
		now = mono_ns();
		wait = due > now ? due - now : 0;
		if (wait > TICK_NS)
			wait = TICK_NS;
	}
	struct timeval tv = tv_of_ns(wait);
	evtimer_add(L->tick, &tv);
}

static void finish(struct load *L)
{
	if (L->finished)
		return;
	L->finished = true;
	for (unsigned i = L->lo; i < L->started; i++)
		if (L->hs[i].st == HS_PENDING)
			hs_fail(L, &L->hs[i], L->interrupted ? "interrupted" : "timeout");
	advance_lo(L);
	event_base_loopexit(L->d.base, NULL);
}

static void on_deadline(evutil_socket_t fd, short what, void *arg)
{
	finish(arg);
}

static void on_signal(evutil_socket_t sig, short what, void *arg)
{
	struct load *L = arg;
	L->interrupted = true;
	finish(L);
}

/* ---- the result ---- */

static int cmp_u64(const void *a, const void *b)
{
	uint64_t x = *(const uint64_t *)a, y = *(const uint64_t *)b;
	return x < y ? -1 : x > y;
}

/* nearest rank: the smallest value with at least q of all at or below it */
static double pct_ms(const uint64_t *v, unsigned n, unsigned pct)
{
	unsigned k = (unsigned)(((uint64_t)pct * n + 99) / 100);
	if (k < 1)
		k = 1;
	if (k > n)
		k = n;
	return (double)v[k - 1] / 1e6;
}

static int cmp_reason(const void *a, const void *b)
{
	const struct reason *x = a, *y = b;
	return x->n != y->n ? (x->n < y->n ? 1 : -1) : strcmp(x->text, y->text);
}

static void json_str(FILE *f, const char *s)
{
	fputc('"', f);
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			fprintf(f, "\\%c", c);
		else if (c < 0x20 || c == 0x7f)
			fprintf(f, "\\u%04x", c);
		else
			fputc(c, f);
	}
	fputc('"', f);
}

static void report(struct load *L)
{
	uint64_t *lat = calloc(L->n_ok ? L->n_ok : 1, sizeof(*lat));
	unsigned n = 0;
	uint64_t first = L->started ? L->hs[0].start_ns : 0, last_start = 0;
	for (unsigned i = 0; i < L->started; i++) {
		const struct hs *h = &L->hs[i];
		if (h->start_ns > last_start)
			last_start = h->start_ns;
		if (h->st == HS_OK && lat)
			lat[n++] = h->done_ns - h->start_ns;
	}
	qsort(lat, n, sizeof(*lat), cmp_u64);
	qsort(L->reasons, (size_t)L->n_reasons, sizeof(L->reasons[0]), cmp_reason);
	double span = L->n_ok && L->last_ok_ns > first ? (double)(L->last_ok_ns - first) / 1e9 : 0;
	double achieved = span > 0 ? L->n_ok / span : 0;
	double start_span = L->started > 1 ? (double)(last_start - first) / 1e9 : 0;
	double started_rate = start_span > 0 ? (L->started - 1) / start_span : 0;
	char peer[INET6_ADDRSTRLEN + 8];
	addr_format((const struct sockaddr *)&L->peer, peer, sizeof(peer));
	FILE *f = stdout;
	if (L->json) {
		fprintf(f, "{\"conn\":");
		json_str(f, L->pc->name);
		fprintf(f, ",\"server\":");
		json_str(f, peer);
		fprintf(f, ",\"sources\":%d,\"offered_rate\":%.3f,\"started_rate\":%.3f,"
		        "\"achieved_rate\":%.3f,\"count\":%u,\"started\":%u,\"ok\":%u,\"failed\":%u,"
		        "\"timeout_s\":%.3f,\"keep\":%s,\"interrupted\":%s,\"start_lag_max_ms\":%.3f,",
		        L->n_src, L->rate, started_rate, achieved, L->count, L->started, L->n_ok,
		        L->n_failed, L->timeout, L->keep ? "true" : "false",
		        L->interrupted ? "true" : "false", (double)L->max_lag_ns / 1e6);
		if (n)
			fprintf(f, "\"latency_ms\":{\"p50\":%.3f,\"p90\":%.3f,\"p99\":%.3f,\"max\":%.3f},",
			        pct_ms(lat, n, 50), pct_ms(lat, n, 90), pct_ms(lat, n, 99),
			        (double)lat[n - 1] / 1e6);
		else
			fprintf(f, "\"latency_ms\":null,");
		fprintf(f, "\"failures\":[");
		for (int i = 0; i < L->n_reasons; i++) {
			fprintf(f, "%s{\"reason\":", i ? "," : "");
			json_str(f, L->reasons[i].text);
			fprintf(f, ",\"count\":%u}", L->reasons[i].n);
		}
		if (L->other_failures)
			fprintf(f, "%s{\"reason\":\"other\",\"count\":%u}", L->n_reasons ? "," : "",
			        L->other_failures);
		fprintf(f, "]}\n");
	} else {
		fprintf(f, "cygnet-load: conn '%s' to %s from %d source address%s%s%s\n", L->pc->name,
		        peer, L->n_src, L->n_src == 1 ? "" : "es", L->keep ? ", keeping IKE_SAs" : "",
		        L->interrupted ? " (interrupted)" : "");
		fprintf(f, "offered   %.1f handshakes/s (%u of %u started at %.1f/s; latest start "
		        "%.1f ms behind schedule)\n", L->rate, L->started, L->count, started_rate,
		        (double)L->max_lag_ns / 1e6);
		fprintf(f, "achieved  %.1f handshakes/s\n", achieved);
		fprintf(f, "started %u  ok %u  failed %u\n", L->started, L->n_ok, L->n_failed);
		if (n)
			fprintf(f, "setup latency ms: p50 %.1f  p90 %.1f  p99 %.1f  max %.1f\n",
			        pct_ms(lat, n, 50), pct_ms(lat, n, 90), pct_ms(lat, n, 99),
			        (double)lat[n - 1] / 1e6);
		else
			fprintf(f, "setup latency ms: none (nothing established)\n");
		if (L->n_failed) {
			fprintf(f, "failures:\n");
			for (int i = 0; i < L->n_reasons; i++)
				fprintf(f, "  %6u  %s\n", L->reasons[i].n, L->reasons[i].text);
			if (L->other_failures)
				fprintf(f, "  %6u  other (more than %d distinct reasons)\n", L->other_failures,
				        MAX_REASONS);
		}
	}
	fflush(f);
	free(lat);
}

/* ---- options ---- */

static int parse_double(const char *s, double lo, double hi, double *out)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v >= lo && v <= hi))
		return -1;
	*out = v;
	return 0;
}

/* a whole number lo..hi; 0 or -1 */
static int parse_int(const char *s, long lo, long hi, long *out)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi)
		return -1;
	*out = v;
	return 0;
}

static void set_port(struct sockaddr_storage *ss, uint16_t port)
{
	if (ss->ss_family == AF_INET)
		((struct sockaddr_in *)ss)->sin_port = htons(port);
	else
		((struct sockaddr_in6 *)ss)->sin6_port = htons(port);
}

/* one literal address into ss (port 500); 0 or -1 */
static int parse_addr(const char *s, struct sockaddr_storage *ss, socklen_t *len)
{
	memset(ss, 0, sizeof(*ss));
	struct sockaddr_in *a4 = (struct sockaddr_in *)ss;
	struct sockaddr_in6 *a6 = (struct sockaddr_in6 *)ss;
	if (inet_pton(AF_INET, s, &a4->sin_addr) == 1) {
		a4->sin_family = AF_INET;
		*len = sizeof(*a4);
	} else if (inet_pton(AF_INET6, s, &a6->sin6_addr) == 1) {
		a6->sin6_family = AF_INET6;
		*len = sizeof(*a6);
	} else {
		return -1;
	}
	set_port(ss, 500);
	return 0;
}

static uint8_t *ip_bytes(struct sockaddr_storage *ss, size_t *n)
{
	if (ss->ss_family == AF_INET) {
		*n = 4;
		return (uint8_t *)&((struct sockaddr_in *)ss)->sin_addr;
	}
	*n = 16;
	return (uint8_t *)&((struct sockaddr_in6 *)ss)->sin6_addr;
}

static int add_source(struct load *L, const struct sockaddr_storage *ss, socklen_t len)
{
	if (L->n_src == MAX_SOURCES)
		return -1;
	L->src[L->n_src] = *ss;
	L->src_len[L->n_src++] = len;
	return 0;
}

/* "A-B,C,..." into L->src; 0, or -1 with a reason in err */
static int parse_sources(struct load *L, const char *spec, char *err, size_t errlen)
{
	char *copy = strdup(spec), *save = NULL;
	int rc = -1;
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	for (char *tok = strtok_r(copy, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
		while (*tok == ' ')
			tok++;
		char *dash = strchr(tok, '-');
		struct sockaddr_storage a, b;
		socklen_t al, bl;
		if (dash)
			*dash = 0;
		if (parse_addr(tok, &a, &al) != 0 || (dash && parse_addr(dash + 1, &b, &bl) != 0)) {
			snprintf(err, errlen, "--sources: '%s%s%s' is not an address or FIRST-LAST range",
			         tok, dash ? "-" : "", dash ? dash + 1 : "");
			goto out;
		}
		if (!dash) {
			if (add_source(L, &a, al) != 0)
				goto toomany;
			continue;
		}
		size_t n, nb;
		uint8_t *x = ip_bytes(&a, &n), *y = ip_bytes(&b, &nb);
		if (a.ss_family != b.ss_family || memcmp(x, y, n) > 0) {
			snprintf(err, errlen, "--sources: %s-%s is not a range (same family, first <= last)",
			         tok, dash + 1);
			goto out;
		}
		for (;;) {
			if (add_source(L, &a, al) != 0)
				goto toomany;
			if (memcmp(x, y, n) == 0)
				break;
			for (size_t k = n; k-- > 0;)
				if (++x[k] != 0)
					break;
		}
	}
	if (L->n_src == 0) {
		snprintf(err, errlen, "--sources: no address given");
		goto out;
	}
	rc = 0;
	goto out;
toomany:
	snprintf(err, errlen, "--sources: more than %d addresses", MAX_SOURCES);
out:
	free(copy);
	return rc;
}

/* the server's address: a literal or a name, port 500 */
static int resolve_server(struct load *L, const char *host, char *err, size_t errlen)
{
	struct addrinfo hints = { .ai_socktype = SOCK_DGRAM }, *res = NULL;
	int e = getaddrinfo(host, "500", &hints, &res);
	if (e != 0 || !res) {
		snprintf(err, errlen, "server '%s': %s", host, e ? gai_strerror(e) : "no address");
		return -1;
	}
	memcpy(&L->peer, res->ai_addr, res->ai_addrlen);
	L->peer_len = res->ai_addrlen;
	freeaddrinfo(res);
	return 0;
}

/* the kernel's source address towards the server (no packet is sent) */
static int default_source(struct load *L, char *err, size_t errlen)
{
	struct sockaddr_storage ss;
	socklen_t len = sizeof(ss);
	int fd = socket(L->peer.ss_family, SOCK_DGRAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (const struct sockaddr *)&L->peer, L->peer_len) != 0 ||
	    getsockname(fd, (struct sockaddr *)&ss, &len) != 0) {
		snprintf(err, errlen, "no route to the server %s: %s", L->server_text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	close(fd);
	set_port(&ss, 500);
	return add_source(L, &ss, len);
}

static struct peer_cfg *pick_conn(struct config *cfg, const char *name, char *err, size_t errlen)
{
	struct peer_cfg *found = NULL;
	int n = 0;
	for (int i = 0; i < cfg->n_peers; i++) {
		struct peer_cfg *pc = &cfg->peers[i];
		if (name ? strcmp(pc->name, name) == 0 : pc->client) {
			found = pc;
			n++;
		}
	}
	if (!found)
		snprintf(err, errlen, name ? "no conn '%s' in %s/ipsec.conf" :
		         "no client conn (right= a host, leftauth= not the server's) in %s/ipsec.conf",
		         name ? name : cfg->dir, cfg->dir);
	else if (!name && n > 1)
		snprintf(err, errlen, "%s/ipsec.conf has %d client conns: choose one with --conn",
		         cfg->dir, n);
	else if (!found->client)
		snprintf(err, errlen, "conn '%s' is not a client conn (it is loaded as a server's)",
		         found->name);
	else
		return found;
	return NULL;
}

/* ---- main ---- */

int main(int argc, char **argv)
{
	const char *dir = NULL, *conn = NULL, *server = NULL, *sources = NULL, *tun = "cygload0";
	int debug = -1;
	static struct load L;
	L.rate = 10;
	L.count = 100;
	L.timeout = 10;
	L.starting = -1;
	static const struct option opts[] = {
		{ "config", required_argument, NULL, 'c' },
		{ "conn", required_argument, NULL, 'n' },
		{ "server", required_argument, NULL, 's' },
		{ "rate", required_argument, NULL, 'r' },
		{ "count", required_argument, NULL, 'N' },
		{ "sources", required_argument, NULL, 'S' },
		{ "timeout", required_argument, NULL, 't' },
		{ "keep", no_argument, NULL, 'k' },
		{ "json", no_argument, NULL, 'j' },
		{ "tun", required_argument, NULL, 'T' },
		{ "debug", required_argument, NULL, 'd' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	int ch;
	long v;
	while ((ch = getopt_long(argc, argv, "c:h", opts, NULL)) != -1) {
		switch (ch) {
		case 'c': dir = optarg; break;
		case 'n': conn = optarg; break;
		case 's': server = optarg; break;
		case 'r':
			if (parse_double(optarg, 0.001, 1e6, &L.rate) != 0) {
				fprintf(stderr, "cygnet-load: --rate needs a number of handshakes per second\n");
				return 2;
			}
			break;
		case 'N':
			if (parse_int(optarg, 1, MAX_COUNT, &v) != 0) {
				fprintf(stderr, "cygnet-load: --count needs a whole number 1..%d\n", MAX_COUNT);
				return 2;
			}
			L.count = (unsigned)v;
			break;
		case 'S': sources = optarg; break;
		case 't':
			if (parse_double(optarg, 0.001, 3600, &L.timeout) != 0) {
				fprintf(stderr, "cygnet-load: --timeout needs seconds (up to 3600)\n");
				return 2;
			}
			break;
		case 'k': L.keep = true; break;
		case 'j': L.json = true; break;
		case 'T':
			if (strlen(optarg) >= sizeof(((struct daemon *)0)->tun_name)) {
				fprintf(stderr, "cygnet-load: --tun: name too long\n");
				return 2;
			}
			tun = optarg;
			break;
		case 'd':
			if (parse_int(optarg, -1, 4, &v) != 0) {
				fprintf(stderr, "cygnet-load: --debug needs a level from -1 to 4\n");
				return 2;
			}
			debug = (int)v;
			break;
		case 'h': usage(stdout); return 0;
		default: usage(stderr); return 2;
		}
	}
	if (optind != argc || !dir) {
		usage(stderr);
		return 2;
	}
	log_init(0);
	signal(SIGPIPE, SIG_IGN);
	char err[1024];
	int rc = 2;
	struct daemon *d = &L.d;
	struct config *cfg = config_load(dir, err, sizeof(err));
	if (!cfg) {
		fprintf(stderr, "cygnet-load: %s\n", err);
		return 2;
	}
	log_set_level(-1, debug);
	d->cfg = cfg;
	L.src = calloc(MAX_SOURCES, sizeof(*L.src));
	L.src_len = calloc(MAX_SOURCES, sizeof(*L.src_len));
	L.hs = calloc(L.count, sizeof(*L.hs));
	L.del = calloc(L.count, sizeof(*L.del));
	if (!L.src || !L.src_len || !L.hs || !L.del) {
		fprintf(stderr, "cygnet-load: out of memory\n");
		goto out;
	}
	if (!(L.pc = pick_conn(cfg, conn, err, sizeof(err))))
		goto fail;
	L.server_text = server ? server : L.pc->conn->right.host;
	if (!L.server_text || L.server_text[0] == '%') {
		snprintf(err, sizeof(err), "conn '%s' has no right= host: give --server", L.pc->name);
		goto fail;
	}
	if (resolve_server(&L, L.server_text, err, sizeof(err)) != 0)
		goto fail;
	if (sources ? parse_sources(&L, sources, err, sizeof(err)) != 0
	            : default_source(&L, err, sizeof(err)) != 0)
		goto fail;
	for (int i = 0; i < L.n_src; i++)
		if (L.src[i].ss_family != L.peer.ss_family) {
			snprintf(err, sizeof(err), "--sources: the server %s is IPv%d, a source is not",
			         L.server_text, L.peer.ss_family == AF_INET ? 4 : 6);
			goto fail;
		}

	/* the daemon around the probes: as src/cygnetd.c puts it together,
	 * without the control socket, the helper and the privilege drop */
	rc = 1;
	snprintf(d->tun_name, sizeof(d->tun_name), "%s", tun);
	d->base = event_base_new();
	d->alim = auth_limit_new();
	if (!d->base || !d->alim || ike_sa_tables_init(d) != 0) {
		fprintf(stderr, "cygnet-load: out of memory\n");
		goto out;
	}
	/* no traffic goes through the CHILD_SAs: packets on the main thread
	 * unless the configuration asks for workers */
	int esp_threads = cfg->conf->esp_threads > 0 ? cfg->conf->esp_threads : 0;
	if (esp_threads > DP_MAX_WORKERS)
		esp_threads = DP_MAX_WORKERS;
	d->reuseport = esp_threads > 0;
	if (net_open(d, 500, 4500, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnet-load: %s\n", err);
		goto out;
	}
	d->n_tun_fds = esp_threads > 0 ? esp_threads : 1;
	d->tun_mtu = cfg->conf->mtu;
	if (tun_open(d->tun_name, d->n_tun_fds, (int)d->tun_mtu, d->tun_fds, err, sizeof(err)) != 0) {
		d->n_tun_fds = 0;
		fprintf(stderr, "cygnet-load: %s\n", err);
		goto out;
	}
	struct dp_params dpp = { .base = d->base, .tun_fd = d->tun_fds[0], .tun_name = d->tun_name,
	                         .workers = esp_threads, .natt_port = 4500,
	                         .on_event = daemon_dp_event, .arg = d };
	memcpy(dpp.tun_fds, d->tun_fds, sizeof(dpp.tun_fds));
	for (int i = 0; i < d->n_socks; i++)
		if (d->socks[i].natt && dpp.n_socks < DP_MAX_SOCKS) {
			dpp.sock_fd[dpp.n_socks] = d->socks[i].fd;
			dpp.sock_family[dpp.n_socks++] = d->socks[i].family;
		}
	if (!(d->dp = dp_new(&dpp, err, sizeof(err))) || dp_start(d->dp, err, sizeof(err)) != 0) {
		fprintf(stderr, "cygnet-load: %s\n", err);
		goto out;
	}
	int threads = cfg->conf->ike_threads < 0 ? jobs_default_threads() : cfg->conf->ike_threads;
	if (!(d->jobs = jobs_new(d, threads, JOBS_QUEUE))) {
		fprintf(stderr, "cygnet-load: cannot start the crypto worker threads\n");
		goto out;
	}
	L.tick = evtimer_new(d->base, on_tick, &L);
	L.reaper = evtimer_new(d->base, on_reaper, &L);
	L.deadline = evtimer_new(d->base, on_deadline, &L);
	L.ev_int = evsignal_new(d->base, SIGINT, on_signal, &L);
	L.ev_term = evsignal_new(d->base, SIGTERM, on_signal, &L);
	struct timeval zero = { 0, 0 };
	struct timeval dl = tv_of_ns((uint64_t)(((double)L.count / L.rate + L.timeout + GRACE_S) * 1e9));
	if (!L.tick || !L.reaper || !L.deadline || !L.ev_int || !L.ev_term ||
	    event_add(L.ev_int, NULL) || event_add(L.ev_term, NULL) ||
	    evtimer_add(L.deadline, &dl) || evtimer_add(L.tick, &zero)) {
		fprintf(stderr, "cygnet-load: cannot set up its timers\n");
		goto out;
	}
	d->probe_done = on_probe_done;
	L.t0 = mono_ns();
	event_base_dispatch(d->base);
	report(&L);
	rc = 0;
	goto out;
fail:
	fprintf(stderr, "cygnet-load: %s\n", err);
out:
	/* what is still established gets its DELETE; the rest is dropped */
	L.closed = true;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		if (sa->state == IKE_S_ESTABLISHED) {
			sa->end = IKE_END_LOCAL;
			ike_sa_send_delete(d, sa);
		}
	jobs_free(d->jobs);
	d->jobs = NULL;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	if (d->base)
		ike_sa_reap(d);
	dp_free(d->dp);
	net_close(d);
	for (int i = 0; i < d->n_tun_fds; i++)
		close(d->tun_fds[i]);
	if (d->n_tun_fds)
		tun_destroy(d->tun_name);
	if (L.tick) event_free(L.tick);
	if (L.reaper) event_free(L.reaper);
	if (L.deadline) event_free(L.deadline);
	if (L.ev_int) event_free(L.ev_int);
	if (L.ev_term) event_free(L.ev_term);
	ike_sa_tables_free(d);
	auth_limit_free(d->alim);
	if (d->base)
		event_base_free(d->base);
	config_free(d->cfg);
	free(L.src);
	free(L.src_len);
	free(L.hs);
	free(L.del);
	return rc;
}
