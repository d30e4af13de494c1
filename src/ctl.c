/* Control socket commands: status (text or --json), leases, terminate,
 * list-certs, log-level, reload.
 * One request per connection; answers are built in memory and written
 * before the connection is closed (they are small). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <event2/event.h>
#include "crypto/cert.h"
#include "src/config.h"
#include "src/ctl.h"
#include "src/daemon.h"
#include "src/esp.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/pool.h"
#include "src/proposal_select.h"
#include "src/reload.h"

static int listen_fd = -1;
static struct event *listen_ev;
static char sock_path[108];

struct out {
	char *buf;
	size_t len, cap;
};

static void put(struct out *o, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	for (;;) {
		va_start(ap, fmt);
		int n = vsnprintf(o->buf ? o->buf + o->len : NULL, o->buf ? o->cap - o->len : 0, fmt, ap);
		va_end(ap);
		if (n < 0)
			return;
		if (o->buf && o->len + (size_t)n < o->cap) {
			o->len += (size_t)n;
			return;
		}
		size_t cap = (o->cap ? o->cap * 2 : 4096) + (size_t)n;
		char *nb = realloc(o->buf, cap);
		if (!nb)
			return;
		o->buf = nb;
		o->cap = cap;
	}
}

/* a string for JSON: printable ASCII, quotes and backslashes escaped */
static void put_json_str(struct out *o, const char *s)
{
	put(o, "\"");
	for (; *s; s++) {
		unsigned char c = (unsigned char)*s;
		if (c == '"' || c == '\\')
			put(o, "\\%c", c);
		else if (c < 0x20 || c >= 0x7f)
			put(o, "\\u%04x", c);
		else
			put(o, "%c", c);
	}
	put(o, "\"");
}

static const char *addr_str(const struct sockaddr_storage *a, char *buf, size_t len)
{
	char ip[INET6_ADDRSTRLEN] = "?";
	unsigned port = 0;
	if (a->ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)a;
		inet_ntop(AF_INET, &s->sin_addr, ip, sizeof(ip));
		port = ntohs(s->sin_port);
	} else if (a->ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)a;
		inet_ntop(AF_INET6, &s->sin6_addr, ip, sizeof(ip));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, len, "%s[%u]", ip, port);
	return buf;
}

static void sa_counters(const struct ike_sa *sa, struct esp_counters *t)
{
	memset(t, 0, sizeof(*t));
	for (int i = 0; i < sa->n_child; i++) {
		const struct esp_sa *e = sa->child[i].esp;
		if (!e)
			continue;
		t->bytes_in += e->ctr.bytes_in;
		t->packets_in += e->ctr.packets_in;
		t->bytes_out += e->ctr.bytes_out;
		t->packets_out += e->ctr.packets_out;
		t->drop_auth += e->ctr.drop_auth;
		t->drop_replay += e->ctr.drop_replay;
		t->drop_spoof += e->ctr.drop_spoof;
		t->drop_malformed += e->ctr.drop_malformed;
		t->drop_ts_in += e->ctr.drop_ts_in;
		t->drop_ts_out += e->ctr.drop_ts_out;
		t->drop_seq += e->ctr.drop_seq;
	}
}

static void status(struct daemon *d, struct out *o, bool json)
{
	uint64_t now = now_sec();
	char peer[80], v4[INET_ADDRSTRLEN], v6[INET6_ADDRSTRLEN], ike[256];
	if (json)
		put(o, "{\"sas\":[");
	else
		put(o, "Security Associations:\n");
	int n = 0;
	for (const struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		struct esp_counters t;
		sa_counters(sa, &t);
		struct selected sel = { sa->encr, sa->keybits, sa->integ, sa->prf, sa->dh_group, 0 };
		selected_format(&sel, 1, ike, sizeof(ike));
		addr_str(&sa->peer, peer, sizeof(peer));
		if (sa->has_vip4)
			inet_ntop(AF_INET, sa->vip4, v4, sizeof(v4));
		if (sa->has_vip6)
			inet_ntop(AF_INET6, sa->vip6, v6, sizeof(v6));
		uint64_t up = now - sa->established;
		if (json) {
			put(o, "%s{\"id\":%u,\"conn\":", n ? "," : "", sa->id);
			put_json_str(o, sa->cfg->name);
			put(o, ",\"user\":");
			put_json_str(o, sa->user);
			put(o, ",\"peer\":");
			put_json_str(o, peer);
			put(o, ",\"vip4\":");
			put_json_str(o, sa->has_vip4 ? v4 : "");
			put(o, ",\"vip6\":");
			put_json_str(o, sa->has_vip6 ? v6 : "");
			put(o, ",\"ike\":");
			put_json_str(o, ike);
			put(o, ",\"established_seconds\":%llu,\"children\":%d,\"bytes_in\":%llu,"
			    "\"packets_in\":%llu,\"bytes_out\":%llu,\"packets_out\":%llu,"
			    "\"drop_auth\":%llu,\"drop_replay\":%llu,\"drop_spoof\":%llu,"
			    "\"drop_malformed\":%llu,\"drop_ts_in\":%llu,\"drop_ts_out\":%llu,"
			    "\"drop_seq\":%llu}",
			    (unsigned long long)up, sa->n_child, (unsigned long long)t.bytes_in,
			    (unsigned long long)t.packets_in, (unsigned long long)t.bytes_out,
			    (unsigned long long)t.packets_out, (unsigned long long)t.drop_auth,
			    (unsigned long long)t.drop_replay, (unsigned long long)t.drop_spoof,
			    (unsigned long long)t.drop_malformed, (unsigned long long)t.drop_ts_in,
			    (unsigned long long)t.drop_ts_out, (unsigned long long)t.drop_seq);
		} else {
			put(o, "  #%u %s: '%s' from %s, virtual IP %s %s, %s, up %llus\n", sa->id,
			    sa->cfg->name, sa->user, peer, sa->has_vip4 ? v4 : "-",
			    sa->has_vip6 ? v6 : "-", ike, (unsigned long long)up);
			for (int i = 0; i < sa->n_child; i++) {
				const struct child_sa *c = &sa->child[i];
				const struct esp_sa *e = c->esp;
				if (!e)
					continue;
				put(o, "    CHILD_SA %08x_i %08x_o: %llu bytes / %llu packets in, %llu "
				    "bytes / %llu packets out\n", c->spi_in, c->spi_out,
				    (unsigned long long)e->ctr.bytes_in,
				    (unsigned long long)e->ctr.packets_in,
				    (unsigned long long)e->ctr.bytes_out,
				    (unsigned long long)e->ctr.packets_out);
				put(o, "      dropped: %llu auth, %llu replay, %llu spoofed source, "
				    "%llu malformed, %llu outside TS in, %llu outside TS out, "
				    "%llu sequence exhausted\n", (unsigned long long)e->ctr.drop_auth,
				    (unsigned long long)e->ctr.drop_replay,
				    (unsigned long long)e->ctr.drop_spoof,
				    (unsigned long long)e->ctr.drop_malformed,
				    (unsigned long long)e->ctr.drop_ts_in,
				    (unsigned long long)e->ctr.drop_ts_out,
				    (unsigned long long)e->ctr.drop_seq);
			}
		}
		n++;
	}
	if (json)
		put(o, "],\"established\":%d,\"half_open\":%u}\n", n, d->half_open);
	else
		put(o, "  %d established, %u half-open\n", n, d->half_open);
}

static void put_pool(struct out *o, struct pool *p, bool removed)
{
	put(o, "pool %s: %zu addresses, %zu online, %zu offline%s\n", pool_name(p), pool_size(p),
	    pool_online(p), pool_offline(p), removed ? " (removed by a reload; kept while "
	    "sessions use it)" : "");
	uint8_t addr[16];
	const char *id;
	bool online;
	for (size_t j = 0; pool_lease_at(p, j, addr, &id, &online) == 0; j++) {
		char text[INET6_ADDRSTRLEN];
		inet_ntop(pool_family(p), addr, text, sizeof(text));
		put(o, "  %s %s '%s'\n", text, online ? "online " : "offline", id);
	}
}

/* the pools of the configuration, then those only an older one (still
 * used by established sessions) has */
static void leases(struct daemon *d, struct out *o)
{
	for (int i = 0; i < d->cfg->n_pools; i++)
		put_pool(o, d->cfg->pools[i], false);
	for (struct config *c = config_live(); c; c = c->live_next) {
		for (int i = 0; c != d->cfg && i < c->n_pools; i++) {
			bool shown = false;
			for (struct config *e = config_live(); e != c && !shown; e = e->live_next)
				for (int j = 0; j < e->n_pools && !shown; j++)
					shown = e->pools[j] == c->pools[i];
			for (int j = 0; j < d->cfg->n_pools && !shown; j++)
				shown = d->cfg->pools[j] == c->pools[i];
			if (!shown)
				put_pool(o, c->pools[i], true);
		}
	}
}

/* terminate by user name, virtual IP or #id */
static void terminate(struct daemon *d, struct out *o, const char *what)
{
	uint8_t addr[16];
	int fam = inet_pton(AF_INET, what, addr) == 1 ? AF_INET
	        : inet_pton(AF_INET6, what, addr) == 1 ? AF_INET6 : 0;
	unsigned id = what[0] == '#' ? (unsigned)strtoul(what + 1, NULL, 10) : 0;
	int n = 0;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state != IKE_S_ESTABLISHED)
			continue;
		bool match = id ? sa->id == id
		           : fam == AF_INET ? sa->has_vip4 && memcmp(sa->vip4, addr, 4) == 0
		           : fam == AF_INET6 ? sa->has_vip6 && memcmp(sa->vip6, addr, 16) == 0
		           : strcmp(sa->user, what) == 0;
		if (!match)
			continue;
		log_err(LOG_IKE, "%s: terminating '%s' on request of the control socket",
		        ike_sa_tag(sa), sa->user);
		ike_sa_send_delete(d, sa);
		ike_sa_set_state(sa, IKE_S_DEAD);
		n++;
	}
	ike_sa_reap(d);
	put(o, "%d IKE_SA%s terminated\n", n, n == 1 ? "" : "s");
}

static void put_cert(struct out *o, X509 *cert)
{
	char text[4096];
	if (cert_describe(cert, text, sizeof(text)) == 0)
		put(o, "%s", text);
}

/* the server's certificates and the CAs, as `ipsec listcerts` shows them */
static void list_certs(struct daemon *d, struct out *o)
{
	put(o, "List of X.509 End Entity Certificates:\n");
	for (int i = 0; i < d->cfg->n_peers; i++) {
		const struct peer_cfg *pc = &d->cfg->peers[i];
		bool seen = false;
		for (int j = 0; j < i; j++)
			if (X509_cmp(d->cfg->peers[j].cert, pc->cert) == 0)
				seen = true;
		if (seen)
			continue;
		put(o, "\n  conn:      %s\n", pc->name);
		put_cert(o, pc->cert);
		put(o, "  %-10s %s\n", "key:", pc->key && cert_key_matches(pc->cert, pc->key)
		    ? "has private key" : "NO private key");
		for (int j = 0; pc->chain && j < sk_X509_num(pc->chain); j++) {
			put(o, "  sent with intermediate:\n");
			put_cert(o, sk_X509_value(pc->chain, j));
		}
	}
	put(o, "\nList of X.509 CA Certificates:\n");
	for (int i = 0; d->cfg->cacerts && i < sk_X509_num(d->cfg->cacerts); i++) {
		put(o, "\n");
		put_cert(o, sk_X509_value(d->cfg->cacerts, i));
	}
}

static void log_level(struct out *o, const char *spec)
{
	char err[256];
	if (log_parse_levels(spec, err, sizeof(err)) != 0) {
		put(o, "error: %s\n", err);
		return;
	}
	log_err(LOG_DMN, "log levels changed by the control socket: %s", spec);
	put(o, "log levels set: %s\n", spec);
}

/* the answer is small; a blocking write with a timeout bounds it */
static void answer(int fd, struct out *o)
{
	int fl = fcntl(fd, F_GETFL);
	if (fl >= 0)
		fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
	struct timeval tv = { 2, 0 };
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	for (size_t off = 0; o->buf && off < o->len;) {
		ssize_t w = write(fd, o->buf + off, o->len - off);
		if (w <= 0)
			break;
		off += (size_t)w;
	}
	free(o->buf);
	close(fd);
}

/* a reload answers when the helper has read the files */
static void reload_answer(struct daemon *d, bool ok, const char *msg, void *arg)
{
	struct out o = { 0 };
	put(&o, "%s%s\n", ok ? "" : "error: reload failed, the running configuration stays: ",
	    msg);
	answer((int)(intptr_t)arg, &o);
}

static void on_client(evutil_socket_t fd, short what, void *arg)
{
	struct daemon *d = arg;
	char line[512];
	ssize_t n = read(fd, line, sizeof(line) - 1);
	struct out o = { 0 };
	if (n <= 0) {
		close(fd);
		return;
	}
	line[n] = '\0';
	line[strcspn(line, "\r\n")] = '\0';
	if (strcmp(line, "status") == 0)
		status(d, &o, false);
	else if (strcmp(line, "status --json") == 0)
		status(d, &o, true);
	else if (strcmp(line, "leases") == 0)
		leases(d, &o);
	else if (strcmp(line, "list-certs") == 0)
		list_certs(d, &o);
	else if (strncmp(line, "log-level ", 10) == 0 && line[10])
		log_level(&o, line + 10);
	else if (strncmp(line, "terminate ", 10) == 0 && line[10])
		terminate(d, &o, line + 10);
	else if (strcmp(line, "reload") == 0 || strcmp(line, "reload --purge") == 0) {
		log_info(LOG_DMN, "reload requested on the control socket");
		reload_start(d, line[6] != '\0', reload_answer, (void *)(intptr_t)fd);
		return;
	} else
		put(&o, "error: unknown command '%s'\n", line);
	answer(fd, &o);
}

static void on_accept(evutil_socket_t fd, short what, void *arg)
{
	int c = accept4(fd, NULL, NULL, SOCK_CLOEXEC);
	if (c < 0)
		return;
	/* one short request: read it with a bound, in the loop */
	struct timeval tv = { 2, 0 };
	setsockopt(c, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	on_client(c, EV_READ, arg);
}

int ctl_open(struct daemon *d, const char *path, char *err, size_t errlen)
{
	struct sockaddr_un un = { .sun_family = AF_UNIX };
	if (strlen(path) >= sizeof(un.sun_path)) {
		snprintf(err, errlen, "control socket path '%s' is too long", path);
		return -1;
	}
	strcpy(un.sun_path, path);
	char dir[sizeof(un.sun_path)];
	snprintf(dir, sizeof(dir), "%s", path);
	char *slash = strrchr(dir, '/');
	if (slash && slash != dir) {
		*slash = '\0';
		if (mkdir(dir, 0755) != 0 && errno != EEXIST) {
			snprintf(err, errlen, "control socket directory %s: %s", dir, strerror(errno));
			return -1;
		}
	}
	listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (listen_fd < 0) {
		snprintf(err, errlen, "control socket: %s", strerror(errno));
		return -1;
	}
	unlink(path);
	mode_t old = umask(0117);
	int rc = bind(listen_fd, (struct sockaddr *)&un, sizeof(un));
	umask(old);
	if (rc != 0 || listen(listen_fd, 8) != 0) {
		snprintf(err, errlen, "control socket %s: %s", path, strerror(errno));
		close(listen_fd);
		listen_fd = -1;
		return -1;
	}
	snprintf(sock_path, sizeof(sock_path), "%s", path);
	listen_ev = event_new(d->base, listen_fd, EV_READ | EV_PERSIST, on_accept, d);
	if (!listen_ev || event_add(listen_ev, NULL) != 0) {
		snprintf(err, errlen, "control socket: event_add failed");
		return -1;
	}
	return 0;
}

void ctl_close(struct daemon *d)
{
	if (listen_ev)
		event_free(listen_ev);
	listen_ev = NULL;
	if (listen_fd >= 0) {
		close(listen_fd);
		unlink(sock_path);   /* may fail without privileges; harmless */
	}
	listen_fd = -1;
}
