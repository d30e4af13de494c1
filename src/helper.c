/* The privileged helper: the daemon's end of the socketpair, and the
 * helper process itself (see helper.h); the client conns' network
 * requests are carried out by src/helper_net.c. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <net/if.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <linux/rtnetlink.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include "conf/conf_files.h"
#include "conf/conf_util.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/helper.h"
#include "src/helper_int.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/pool.h"
#include "src/privs.h"
#include "src/updown.h"
#include "tun/tun.h"

enum frame_type {
	F_UPDOWN = 1,       /* daemon → helper: command, then PLUTO_* entries */
	F_RELOAD,           /* daemon → helper: (empty) */
	F_RELOAD_OK,        /* helper → daemon: an encoded snapshot */
	F_RELOAD_FAIL,      /* helper → daemon: the reason */
	F_UPDOWN_DONE,      /* helper → daemon: (empty) one F_UPDOWN is finished:
	                       run, refused or failed (updown.c counts them) */
	F_CLIENT_NET,       /* daemon → helper: a struct client_net */
	F_CLIENT_NET_DONE,  /* helper → daemon: 1 byte (1 = done, 0 = failed),
	                       then the reason (no NUL) */
	F_HOST_ROUTE,       /* daemon → helper: struct host_route_req; no answer
	                       (the helper logs what it did) */
};

/* a host route through the TUN device for a virtual IP RADIUS gave
 * outside every pool (helper_host_route) */
struct host_route_req {
	uint8_t add;        /* 1 add, 0 remove */
	uint8_t v6;         /* 0 IPv4 (addr[0..3]), 1 IPv6 */
	uint8_t addr[16];
};

struct frame_hdr {
	uint32_t type, len;
};

#define FRAME_MAX (64u << 20)       /* a snapshot of every file, generously */
#define REQUEST_MAX (64u << 10)     /* an updown request */
#define ENV_MAX 64
#define ENV_VALUE_MAX 1024
#define QUEUE_MAX 4096

/* ---- pool routes: added at start by the daemon, by the helper at a
 * reload; the list is inherited across the fork ---- */

struct route {
	int family, prefix;
	uint8_t net[16];
};

static struct route *routes;
static int n_routes;

bool helper_is_pool_route(int family, const uint8_t net[16], int prefix)
{
	for (int i = 0; i < n_routes; i++)
		if (routes[i].family == family && routes[i].prefix == prefix &&
		    memcmp(routes[i].net, net, 16) == 0)
			return true;
	return false;
}

int helper_add_routes(const struct config *cfg, const char *tun, char *err, size_t errlen)
{
	for (int i = 0; i < cfg->conf->n_conns; i++) {
		const struct conf_conn *c = &cfg->conf->conns[i];
		for (int j = 0; j < c->right.n_sourceip; j++) {
			const struct conf_range *r = &c->right.sourceip[j];
			struct route rt = { .family = r->family };
			rt.prefix = pool_cover_prefix(r->family, r->from, r->to, rt.net);
			bool known = false;
			for (int k = 0; k < n_routes && !known; k++)
				known = routes[k].family == rt.family && routes[k].prefix == rt.prefix &&
				        memcmp(routes[k].net, rt.net, 16) == 0;
			if (known)
				continue;
			struct route *nr = realloc(routes, (size_t)(n_routes + 1) * sizeof(*nr));
			if (!nr) {
				snprintf(err, errlen, "out of memory");
				return -1;
			}
			routes = nr;
			if (tun_route_add(tun, rt.family, rt.net, rt.prefix, err, errlen) != 0)
				return -1;
			routes[n_routes++] = rt;
			char text[INET6_ADDRSTRLEN];
			inet_ntop(rt.family, rt.net, text, sizeof(text));
			log_info(LOG_TUN, "route %s/%d via %s", text, rt.prefix, tun);
		}
	}
	return 0;
}

/* ---- the daemon's end ---- */

struct pending_reload {
	helper_reload_done done;
	void *arg;
};

struct pending_net {
	helper_client_net_done done;
	void *arg;
	char conn[64];
	bool up;
};

#define PENDING_NET_MAX 64

static struct {
	pid_t pid;
	struct bufferevent *bev;
	struct pending_reload pending[16];
	int n_pending;
	/* client_net requests in flight, answered in order */
	struct pending_net net[PENDING_NET_MAX];
	int n_net;
} H;

/* one client_net request is answered (err NULL: done); a failure is
 * logged unless quiet */
static void net_answered(struct daemon *d, const char *err, bool quiet)
{
	struct pending_net pn = H.net[0];
	memmove(H.net, H.net + 1, (size_t)--H.n_net * sizeof(H.net[0]));
	if (err && !quiet)
		log_err(LOG_TUN, "conn '%s': %s the client's addresses and routes failed: %s",
		        pn.conn, pn.up ? "installing" : "removing", err);
	if (pn.done)
		pn.done(d, pn.conn, pn.up, err, pn.arg);
}

/* answers every request in flight with why; quiet at a stop, when the
 * requests were handed over and the helper still carries them out (and
 * removes every client network when it exits) */
static void fail_pending(struct daemon *d, const char *why, bool quiet)
{
	while (H.n_pending > 0) {
		struct pending_reload p = H.pending[0];
		memmove(H.pending, H.pending + 1, (size_t)--H.n_pending * sizeof(H.pending[0]));
		p.done(d, NULL, why, p.arg);
	}
	while (H.n_net > 0)
		net_answered(d, why, quiet);
}

/* how the helper ended, for the log line: waits up to 200 ms for it (an
 * EOF on the socketpair comes a moment before the exit status) */
static void helper_status(char *out, size_t outlen)
{
	int st;
	for (int i = 0; H.pid > 0 && i < 20; i++) {
		pid_t r = waitpid(H.pid, &st, WNOHANG);
		if (r == H.pid) {
			if (WIFSIGNALED(st))
				snprintf(out, outlen, "pid %d killed by signal %d", (int)H.pid,
				         WTERMSIG(st));
			else
				snprintf(out, outlen, "pid %d exited with status %d", (int)H.pid,
				         WEXITSTATUS(st));
			H.pid = 0;
			return;
		}
		if (r < 0)
			break;
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	snprintf(out, outlen, "pid %d", (int)H.pid);
}

/* The helper is gone, or talks nonsense: the daemon cannot run
 * leftupdown scripts, reload, or restore routes any more. It stops as on
 * SIGTERM (DELETEs to clients) and exits 1, so that the service manager
 * starts it again with a new helper. */
static void channel_lost(struct daemon *d, const char *why)
{
	if (!H.bev)
		return;
	char status[80];
	bufferevent_free(H.bev);
	H.bev = NULL;
	helper_status(status, sizeof(status));
	log_err(LOG_DMN, "the privileged helper is gone (%s; %s): stopping with exit "
	        "status 1 so that the service manager restarts cygnetd", why, status);
	fail_pending(d, "the privileged helper is gone", false);
	updown_helper_lost(d);
	daemon_stop(d, 1);
}

static void on_frame(struct daemon *d, uint32_t type, const uint8_t *p, uint32_t len)
{
	if (type == F_UPDOWN_DONE) {
		updown_helper_done(d);
		return;
	}
	if (type == F_CLIENT_NET_DONE) {
		if (H.n_net == 0 || len < 1) {
			channel_lost(d, "unexpected message");
			return;
		}
		char why[512];
		snprintf(why, sizeof(why), "%.*s", (int)(len - 1 < 500 ? len - 1 : 500),
		         (const char *)p + 1);
		for (char *c = why; *c; c++)        /* one printable line */
			if ((unsigned char)*c < 0x20 || *c == 0x7f)
				*c = '?';
		net_answered(d, p[0] == 1 ? NULL : why[0] ? why : "failed", false);
		return;
	}
	if ((type != F_RELOAD_OK && type != F_RELOAD_FAIL) || H.n_pending == 0) {
		channel_lost(d, "unexpected message");
		return;
	}
	struct pending_reload pr = H.pending[0];
	memmove(H.pending, H.pending + 1, (size_t)--H.n_pending * sizeof(H.pending[0]));
	if (type == F_RELOAD_FAIL) {
		char why[1024];
		snprintf(why, sizeof(why), "%.*s", (int)(len < 1000 ? len : 1000), (const char *)p);
		pr.done(d, NULL, why, pr.arg);
		return;
	}
	struct conf_snapshot *snap = conf_snapshot_decode(p, len);
	pr.done(d, snap, snap ? NULL : "the helper's snapshot is damaged", pr.arg);
}

static void on_read(struct bufferevent *bev, void *arg)
{
	struct daemon *d = arg;
	struct evbuffer *in = bufferevent_get_input(bev);
	while (H.bev && evbuffer_get_length(in) >= sizeof(struct frame_hdr)) {
		struct frame_hdr h;
		evbuffer_copyout(in, &h, sizeof(h));
		if (h.len > FRAME_MAX) {
			channel_lost(d, "oversized message");
			return;
		}
		if (evbuffer_get_length(in) < sizeof(h) + h.len)
			return;
		evbuffer_drain(in, sizeof(h));
		uint8_t *p = evbuffer_pullup(in, h.len);
		if (!p && h.len) {
			channel_lost(d, "out of memory");
			return;
		}
		on_frame(d, h.type, p, h.len);
		if (!H.bev)
			return;
		if (h.len)
			explicit_bzero(p, h.len);   /* a snapshot holds keys */
		evbuffer_drain(in, h.len);
	}
}

static void on_event(struct bufferevent *bev, short what, void *arg)
{
	channel_lost(arg, (what & BEV_EVENT_EOF) ? "it exited" : "channel error");
}

static int send_frame(uint32_t type, const struct evbuffer_iovec *parts, int n)
{
	struct frame_hdr h = { type, 0 };
	for (int i = 0; i < n; i++)
		h.len += (uint32_t)parts[i].iov_len;
	if (!H.bev)
		return -1;
	struct evbuffer *out = bufferevent_get_output(H.bev);
	if (evbuffer_add(out, &h, sizeof(h)) != 0)
		return -1;
	for (int i = 0; i < n; i++)
		if (evbuffer_add(out, parts[i].iov_base, parts[i].iov_len) != 0)
			return -1;
	return 0;
}

int helper_updown(struct daemon *d, const char *command, char *const *env, int n)
{
	struct evbuffer_iovec parts[ENV_MAX + 1];
	size_t total = strlen(command) + 1;
	(void)d;
	if (n > ENV_MAX)
		n = ENV_MAX;
	parts[0].iov_base = (void *)command;
	parts[0].iov_len = strlen(command) + 1;
	for (int i = 0; i < n; i++) {
		parts[i + 1].iov_base = env[i];
		parts[i + 1].iov_len = strlen(env[i]) + 1;
		total += parts[i + 1].iov_len;
	}
	if (total > REQUEST_MAX || send_frame(F_UPDOWN, parts, n + 1) != 0) {
		log_err(LOG_CHD, "updown: '%s' not run: the privileged helper is unavailable",
		        command);
		return -1;
	}
	return 0;
}

void helper_reload(struct daemon *d, helper_reload_done done, void *arg)
{
	if (!H.bev) {
		done(d, NULL, "the privileged helper is gone; restart cygnetd", arg);
		return;
	}
	if (H.n_pending == (int)(sizeof(H.pending) / sizeof(H.pending[0]))) {
		done(d, NULL, "too many reloads in progress", arg);
		return;
	}
	if (send_frame(F_RELOAD, NULL, 0) != 0) {
		done(d, NULL, "out of memory", arg);
		return;
	}
	H.pending[H.n_pending++] = (struct pending_reload){ done, arg };
}

int helper_client_net(struct daemon *d, const struct client_net *n, helper_client_net_done done,
                      void *arg)
{
	(void)d;
	const char *conn = memchr(n->conn, 0, sizeof(n->conn)) ? n->conn : "?";
	if (!H.bev || H.n_net == PENDING_NET_MAX) {
		log_err(LOG_TUN, "conn '%s': the client's addresses and routes not %s: %s", conn,
		        n->up ? "installed" : "removed",
		        H.bev ? "too many requests in flight" : "the privileged helper is gone");
		return -1;
	}
	/* a copy with no stray bytes in padding or unused entries */
	struct client_net w;
	memset(&w, 0, sizeof(w));
	snprintf(w.conn, sizeof(w.conn), "%s", conn);
	w.up = n->up;
	if (n->up) {
		w.has_vip4 = n->has_vip4;
		w.has_vip6 = n->has_vip6;
		memcpy(w.vip4, n->vip4, sizeof(w.vip4));
		memcpy(w.vip6, n->vip6, sizeof(w.vip6));
		w.n_nets = n->n_nets;
		for (int i = 0; i < n->n_nets && i < CONF_MAX_NETS; i++) {
			w.nets[i].family = n->nets[i].family;
			memcpy(w.nets[i].addr, n->nets[i].addr, sizeof(w.nets[i].addr));
			w.nets[i].prefix = n->nets[i].prefix;
		}
		if (n->server_len <= sizeof(w.server)) {
			memcpy(&w.server, &n->server, n->server_len);
			w.server_len = n->server_len;
		}
		w.n_dns = n->n_dns;
		for (int i = 0; i < n->n_dns && i < CLIENT_NET_MAX_DNS; i++) {
			w.dns[i].family = n->dns[i].family;
			memcpy(w.dns[i].addr, n->dns[i].addr, sizeof(w.dns[i].addr));
		}
	}
	struct evbuffer_iovec part = { &w, sizeof(w) };
	if (send_frame(F_CLIENT_NET, &part, 1) != 0) {
		log_err(LOG_TUN, "conn '%s': the client's addresses and routes not %s: out of memory",
		        conn, n->up ? "installed" : "removed");
		return -1;
	}
	struct pending_net *pn = &H.net[H.n_net++];
	pn->done = done;
	pn->arg = arg;
	memcpy(pn->conn, w.conn, sizeof(pn->conn));
	pn->up = w.up;
	return 0;
}

int helper_host_route(struct daemon *d, bool add, int family, const uint8_t *addr)
{
	(void)d;
	struct host_route_req q;
	memset(&q, 0, sizeof(q));
	q.add = add;
	q.v6 = family == AF_INET6;
	memcpy(q.addr, addr, q.v6 ? 16 : 4);
	struct evbuffer_iovec part = { &q, sizeof(q) };
	if (send_frame(F_HOST_ROUTE, &part, 1) != 0) {
		char t[INET6_ADDRSTRLEN];
		inet_ntop(family, addr, t, sizeof(t));
		log_err(LOG_TUN, "host route for %s not %s: %s", t, add ? "added" : "removed",
		        H.bev ? "out of memory" : "the privileged helper is gone");
		return -1;
	}
	return 0;
}

int helper_write_all(int fd, const void *buf, size_t len)
{
	const uint8_t *p = buf;
	while (len > 0) {
		ssize_t w = write(fd, p, len);
		if (w < 0 && errno == EINTR)
			continue;
		if (w <= 0)
			return -1;
		p += w;
		len -= (size_t)w;
	}
	return 0;
}

void helper_stop(struct daemon *d, int wait_ms)
{
	if (H.bev) {
		/* hand over what is queued (the down events of a shutdown) */
		evutil_socket_t fd = bufferevent_getfd(H.bev);
		struct evbuffer *out = bufferevent_get_output(H.bev);
		int fl = fcntl(fd, F_GETFL);
		if (fl >= 0)
			fcntl(fd, F_SETFL, fl & ~O_NONBLOCK);
		struct timeval tv = { 1, 0 };
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		/* the bufferevent owns the buffer's draining end: copy it out */
		size_t len = evbuffer_get_length(out);
		uint8_t *p = len ? evbuffer_pullup(out, -1) : NULL;
		if (p && helper_write_all(fd, p, len) != 0)
			log_err(LOG_DMN, "handing the last leftupdown runs to the helper failed: %s",
			        strerror(errno));
		/* the end of input for the helper now: libevent 2.1 closes the
		 * descriptor of a freed bufferevent only from the event loop */
		shutdown(fd, SHUT_WR);
		bufferevent_free(H.bev);
		H.bev = NULL;
	}
	fail_pending(d, "cygnetd is stopping", true);
	if (H.pid <= 0)
		return;
	for (int waited = 0; waited < wait_ms; waited += 10) {
		if (waitpid(H.pid, NULL, WNOHANG) == H.pid) {
			H.pid = 0;
			return;
		}
		struct timespec ts = { 0, 10 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	log_info(LOG_DMN, "the privileged helper is still running queued leftupdown scripts");
}

/* ---- the helper process ---- */

struct job {
	struct job *next;
	char *command;
	char **env;
	int n_env;
};

static struct {
	const char *dir, *tun;
	char **commands;            /* leftupdown values of every loaded config */
	int n_commands;
	struct job *head, *tail;
	int queued;
	int fd;                     /* the channel to the daemon */
	/* the running job */
	struct job *cur;
	pid_t pid;
	int out;
	uint64_t deadline;          /* monotonic seconds */
	char line[512];
	size_t line_len;
	bool exited;
	int status;
	/* the TUN device's link state (rtnetlink notifications) */
	int link_fd;
	unsigned ifindex;
	bool link_down;
	bool radius_vips;           /* host routes may be asked for */
	struct host_route_req *hr;  /* the host routes added (add = 1) */
	int n_hr;
} P = { .out = -1, .fd = -1, .link_fd = -1 };

/* the configuration loaded last takes virtual IPs from RADIUS: only then
 * are host routes added (new sessions are of that configuration; routes
 * of older ones are removed whatever it says) */
static void allow_host_routes(const struct config *cfg)
{
	P.radius_vips = false;
	for (int i = 0; i < cfg->n_peers; i++)
		if (cfg->peers[i].conn->right.sourceip_radius)
			P.radius_vips = true;
}

static void allow_commands(const struct config *cfg)
{
	allow_host_routes(cfg);
	for (int i = 0; i < cfg->n_peers; i++) {
		const char *c = cfg->peers[i].conn->left.updown;
		bool known = !c;
		for (int j = 0; j < P.n_commands && !known; j++)
			known = strcmp(P.commands[j], c) == 0;
		if (!known)
			conf_strv_add(&P.commands, &P.n_commands, c);
	}
}


static int reply(int fd, uint32_t type, const void *p, size_t len)
{
	struct frame_hdr h = { type, (uint32_t)len };
	return helper_write_all(fd, &h, sizeof(h)) == 0 && helper_write_all(fd, p, len) == 0 ? 0 : -1;
}

static void do_reload(int fd)
{
	char err[1024];
	int saved[LOG_SUBSYSTEMS];
	uint8_t *enc = NULL;
	size_t enclen = 0;

	/* the daemon logs what loading the snapshot says; say it once */
	for (int i = 0; i < LOG_SUBSYSTEMS; i++) {
		saved[i] = log_get_level(i);
		log_set_level(i, -1);
	}
	struct conf_snapshot *snap = conf_snapshot_new();
	if (snap)
		conf_files_record(snap);
	struct config *cfg = snap ? config_load(P.dir, err, sizeof(err)) : NULL;
	if (!snap)
		snprintf(err, sizeof(err), "out of memory");
	conf_files_direct();
	for (int i = 0; i < LOG_SUBSYSTEMS; i++)
		log_set_level(i, saved[i]);
	if (cfg && helper_add_routes(cfg, P.tun, err, sizeof(err)) != 0) {
		config_free(cfg);
		cfg = NULL;
	}
	if (cfg && conf_snapshot_encode(snap, &enc, &enclen) != 0) {
		snprintf(err, sizeof(err), "out of memory");
		config_free(cfg);
		cfg = NULL;
	}
	if (cfg) {
		allow_commands(cfg);
		helper_net_allow(cfg);
		reply(fd, F_RELOAD_OK, enc, enclen);
	} else {
		reply(fd, F_RELOAD_FAIL, err, strlen(err));
	}
	if (enc) {
		explicit_bzero(enc, enclen);
		free(enc);
	}
	config_free(cfg);
	conf_snapshot_free(snap);
}

static bool env_ok(const char *e, size_t len)
{
	const char *eq = memchr(e, '=', len);
	if (len < 7 || strncmp(e, "PLUTO_", 6) != 0 || !eq || eq == e + 6 ||
	    (size_t)(e + len - eq - 1) > ENV_VALUE_MAX)
		return false;
	for (const char *p = e + 6; p < eq; p++)
		if (!((*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') || *p == '_'))
			return false;
	for (const char *p = eq + 1; p < e + len; p++)    /* printable ASCII only */
		if ((unsigned char)*p < 0x20 || (unsigned char)*p > 0x7e)
			return false;
	return true;
}

static int reply(int fd, uint32_t type, const void *p, size_t len);
static const char *job_verb(const struct job *j);

/* one F_UPDOWN request is finished (the daemon may send the next) */
static void updown_done(void)
{
	if (P.fd >= 0)
		reply(P.fd, F_UPDOWN_DONE, NULL, 0);
}

static void free_job(struct job *j)
{
	if (!j)
		return;
	free(j->command);
	conf_strv_free(j->env, j->n_env);
	free(j);
}

/* an updown request: the command must be a configured one, every entry
 * a PLUTO_ variable */
static void queue_updown(const uint8_t *p, uint32_t len)
{
	struct job *j = NULL;
	if (len == 0 || p[len - 1] != 0)
		goto bad;
	const char *cmd = (const char *)p;
	bool allowed = false;
	for (int i = 0; i < P.n_commands && !allowed; i++)
		allowed = strcmp(P.commands[i], cmd) == 0;
	if (!allowed) {
		log_err(LOG_CHD, "helper: refusing to run '%.100s': not a leftupdown of the "
		        "configuration", cmd);
		updown_done();
		return;
	}
	j = calloc(1, sizeof(*j));
	if (!j || !(j->command = strdup(cmd)))
		goto oom;
	for (size_t off = strlen(cmd) + 1; off < len;) {
		const char *e = (const char *)p + off;
		size_t l = strlen(e);
		if (j->n_env == ENV_MAX || !env_ok(e, l))
			goto bad;
		if (conf_strv_add(&j->env, &j->n_env, e) < 0)
			goto oom;
		off += l + 1;
	}
	/* the daemon hands over a few at a time (updown.c); should the queue
	 * ever be full, an up is refused but a down is always kept */
	if (P.queued >= QUEUE_MAX && strncmp(job_verb(j), "down", 4) != 0) {
		log_err(LOG_CHD, "helper: %d leftupdown runs queued: not running '%s' (%s)",
		        P.queued, j->command, job_verb(j));
		free_job(j);
		updown_done();
		return;
	}
	if (P.tail)
		P.tail->next = j;
	else
		P.head = j;
	P.tail = j;
	P.queued++;
	return;
bad:
	log_err(LOG_CHD, "helper: refusing a malformed updown request");
	free_job(j);
	updown_done();
	return;
oom:
	log_err(LOG_CHD, "helper: out of memory for an updown request");
	free_job(j);
	updown_done();
}

static const char *job_verb(const struct job *j)
{
	for (int i = 0; i < j->n_env; i++)
		if (strncmp(j->env[i], "PLUTO_VERB=", 11) == 0)
			return j->env[i] + 11;
	return "?";
}

void helper_close_from(int lowfd)
{
	if (close_range((unsigned)lowfd, ~0u, 0) == 0)
		return;
	long max = sysconf(_SC_OPEN_MAX);
	for (int fd = lowfd; fd < (max > 0 ? max : 1024); fd++)
		close(fd);
}

static void start_job(void)
{
	struct job *j = P.head;
	int pfd[2];
	P.head = j->next;
	if (!P.head)
		P.tail = NULL;
	P.queued--;
	j->next = NULL;
	if (pipe2(pfd, O_CLOEXEC) != 0) {
		log_err(LOG_CHD, "updown: '%s' not run: %s", j->command, strerror(errno));
		free_job(j);
		updown_done();
		return;
	}
	char *envp[ENV_MAX + 2];
	for (int i = 0; i < j->n_env; i++)
		envp[i] = j->env[i];
	envp[j->n_env] = (char *)HELPER_SCRIPT_PATH;
	envp[j->n_env + 1] = NULL;
	pid_t pid = fork();
	if (pid < 0) {
		log_err(LOG_CHD, "updown: '%s' not run: %s", j->command, strerror(errno));
		close(pfd[0]);
		close(pfd[1]);
		free_job(j);
		updown_done();
		return;
	}
	if (pid == 0) {
		/* as strongSwan does: the value is a shell command line */
		int null = open("/dev/null", O_RDONLY);
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (null < 0 || dup2(null, 0) < 0 || dup2(pfd[1], 1) < 0 || dup2(pfd[1], 2) < 0)
			_exit(127);
		helper_close_from(3);
		char *argv[] = { (char *)"sh", (char *)"-c", j->command, NULL };
		execve("/bin/sh", argv, envp);
		_exit(127);
	}
	close(pfd[1]);
	fcntl(pfd[0], F_SETFL, O_NONBLOCK);
	P.cur = j;
	P.pid = pid;
	P.out = pfd[0];
	P.deadline = now_sec() + HELPER_SCRIPT_SECONDS;
	P.line_len = 0;
	P.exited = false;
	log_dbg(LOG_CHD, "updown: running '%s' (%s)", j->command, job_verb(j));
}

static void flush_line(void)
{
	if (P.line_len == 0)
		return;
	for (size_t i = 0; i < P.line_len; i++)
		if ((unsigned char)P.line[i] < 0x20 || P.line[i] == 0x7f)
			P.line[i] = '?';
	log_info(LOG_CHD, "updown: %.*s", (int)P.line_len, P.line);
	P.line_len = 0;
}

/* reads what the script wrote; -1 at end of output */
static int read_output(void)
{
	char buf[1024];
	for (;;) {
		ssize_t r = read(P.out, buf, sizeof(buf));
		if (r < 0 && errno == EINTR)
			continue;
		if (r < 0)
			return 0;
		if (r == 0)
			return -1;
		for (ssize_t i = 0; i < r; i++) {
			if (buf[i] == '\n' || P.line_len == sizeof(P.line))
				flush_line();
			if (buf[i] != '\n')
				P.line[P.line_len++] = buf[i];
		}
	}
}

static void finish_job(void)
{
	if (P.out >= 0) {
		read_output();
		close(P.out);
		P.out = -1;
	}
	flush_line();
	if (WIFEXITED(P.status) && WEXITSTATUS(P.status) != 0)
		log_err(LOG_CHD, "updown: '%s' (%s) exited with status %d", P.cur->command,
		        job_verb(P.cur), WEXITSTATUS(P.status));
	else if (WIFSIGNALED(P.status))
		log_err(LOG_CHD, "updown: '%s' (%s) ended by signal %d", P.cur->command,
		        job_verb(P.cur), WTERMSIG(P.status));
	free_job(P.cur);
	P.cur = NULL;
	P.pid = 0;
	updown_done();
}

static void check_job(void)
{
	if (P.out >= 0 && read_output() < 0) {
		close(P.out);
		P.out = -1;
	}
	if (waitpid(P.pid, &P.status, WNOHANG) == P.pid) {
		finish_job();
		return;
	}
	if (now_sec() >= P.deadline) {
		log_err(LOG_CHD, "updown: '%s' (%s) still running after %d s: killed",
		        P.cur->command, job_verb(P.cur), HELPER_SCRIPT_SECONDS);
		kill(-P.pid, SIGKILL);
		kill(P.pid, SIGKILL);
		waitpid(P.pid, &P.status, 0);
		finish_job();
	}
}

static void do_client_net(int fd, const uint8_t *p, uint32_t len)
{
	char why[512] = "";
	int r = helper_net_request(p, len, why, sizeof(why));
	uint8_t out[1 + sizeof(why)];
	size_t wl = strlen(why);
	out[0] = r == 0;
	memcpy(out + 1, why, wl);
	reply(fd, F_CLIENT_NET_DONE, out, 1 + wl);
}

/* ---- host routes for RADIUS's addresses outside the pools ---- */

#define HOST_ROUTES_MAX 65536

static int find_host_route(const struct host_route_req *q)
{
	for (int i = 0; i < P.n_hr; i++)
		if (P.hr[i].v6 == q->v6 && memcmp(P.hr[i].addr, q->addr, q->v6 ? 16 : 4) == 0)
			return i;
	return -1;
}

/* the host route of q through the TUN device (no gateway, main table) */
static void host_rt(const struct host_route_req *q, struct tun_route *rt)
{
	memset(rt, 0, sizeof(*rt));
	rt->family = q->v6 ? AF_INET6 : AF_INET;
	rt->prefix = q->v6 ? 128 : 32;
	memcpy(rt->dst, q->addr, q->v6 ? 16 : 4);
	rt->oif = if_nametoindex(P.tun);
}

/* an address no one reaches over the internet, the kind RADIUS gives VPN
 * clients: RFC 1918, RFC 6598 (shared), RFC 2544 (benchmarking), RFC
 * 4193 (unique local), RFC 3849 (documentation) */
static bool private_addr(int family, const uint8_t *a)
{
	if (family == AF_INET)
		return a[0] == 10 || (a[0] == 172 && (a[1] & 0xf0) == 16) ||
		       (a[0] == 192 && a[1] == 168) || (a[0] == 100 && (a[1] & 0xc0) == 64) ||
		       (a[0] == 198 && (a[1] & 0xfe) == 18);
	return (a[0] & 0xfe) == 0xfc || (a[0] == 0x20 && a[1] == 0x01 && a[2] == 0x0d && a[3] == 0xb8);
}

/* One F_HOST_ROUTE. Added only when a loaded configuration has
 * rightsourceip=%radius, for a private address (private_addr: the daemon
 * must not be able to pull the host's traffic to the internet, to its
 * gateway, its DNS or RADIUS server into the TUN device) that is none of
 * the host's own nor a broadcast address, that the host reaches by its
 * default route or not at all (never on one of its links, a LAN or
 * container host's address, nor by a route of its own to a network behind
 * a router: its DNS, RADIUS or backup server), that no host route leads to yet
 * (added exclusively: another's route is never replaced), at most
 * HOST_ROUTES_MAX of them; removed only when this helper added it, and
 * only its own route through the TUN device. */
static void do_host_route(const uint8_t *p, uint32_t len)
{
	struct host_route_req q;
	char t[INET6_ADDRSTRLEN] = "?", why[256];
	if (len != sizeof(q)) {
		log_err(LOG_TUN, "helper: host route request of %u bytes ignored", len);
		return;
	}
	memcpy(&q, p, sizeof(q));
	if (q.add > 1 || q.v6 > 1) {
		log_err(LOG_TUN, "helper: malformed host route request ignored");
		return;
	}
	int family = q.v6 ? AF_INET6 : AF_INET, plen = q.v6 ? 128 : 32;
	if (!q.v6)
		memset(q.addr + 4, 0, 12);
	inet_ntop(family, q.addr, t, sizeof(t));
	struct tun_route hr;
	host_rt(&q, &hr);
	int i = find_host_route(&q);
	if (!q.add) {
		if (i < 0)
			return;
		/* without the device its routes are gone; never a route by
		 * another interface */
		if (!hr.oif)
			log_info(LOG_TUN, "host route %s/%d: %s is gone", t, plen, P.tun);
		else if (tun_route_del_rt(&hr, why, sizeof(why)) != 0)
			log_err(LOG_TUN, "helper: host route %s/%d via %s: %s", t, plen, P.tun, why);
		else
			log_info(LOG_TUN, "host route %s/%d via %s removed", t, plen, P.tun);
		P.hr[i] = P.hr[--P.n_hr];
		return;
	}
	if (i >= 0)
		return;
	struct tun_route rt;
	int mlen = -1;
	bool have = tun_route_get(family, q.addr, &rt, why, sizeof(why)) == 0;
	const char *no = NULL;
	if (!P.radius_vips)
		no = "no conn takes virtual IPs from RADIUS";
	else if (P.n_hr >= HOST_ROUTES_MAX)
		no = "too many host routes";
	else if (!addr_unicast(family, q.addr))
		no = "not a unicast address";
	else if (!private_addr(family, q.addr))
		no = "not a private address (route public ones to the TUN device yourself)";
	else if (have && rt.type != RTN_UNICAST && rt.type != RTN_UNREACHABLE &&
	         rt.type != RTN_BLACKHOLE && rt.type != RTN_PROHIBIT)
		no = "the host's own or a broadcast address";
	else if (have && rt.type == RTN_UNICAST && rt.oif != hr.oif &&
	         !(tun_route_match_len(family, q.addr, &mlen) == 0 && mlen == 0))
		no = rt.gw_family ? "the host routes it by a route of its own, not the default "
		                    "route (route it to the TUN device yourself)"
		                  : "on a link of this host";
	else if (!hr.oif)
		no = "no TUN device";
	if (no) {
		log_err(LOG_TUN, "helper: no host route for %s via %s: %s", t, P.tun, no);
		return;
	}
	int added = tun_route_add_rt(&hr, why, sizeof(why));
	if (added != 0) {
		log_err(LOG_TUN, "helper: host route %s/%d via %s: %s", t, plen, P.tun,
		        added > 0 ? "a route to it exists already" : why);
		return;
	}
	if (P.n_hr % 64 == 0) {
		struct host_route_req *n = realloc(P.hr, (size_t)(P.n_hr + 64) * sizeof(*n));
		if (!n) {
			tun_route_del_rt(&hr, why, sizeof(why));
			log_err(LOG_TUN, "helper: host route %s: out of memory", t);
			return;
		}
		P.hr = n;
	}
	P.hr[P.n_hr++] = q;
	log_info(LOG_TUN, "host route %s/%d via %s", t, plen, P.tun);
}

/* the TUN device is up again (1), or the helper exits (0) */
static int host_routes_again(bool add)
{
	int n = 0;
	char why[256];
	for (int i = 0; i < P.n_hr; i++) {
		struct tun_route rt;
		host_rt(&P.hr[i], &rt);
		if (!rt.oif)
			continue;
		if (add ? tun_route_add_rt(&rt, why, sizeof(why)) >= 0
		        : tun_route_del_rt(&rt, why, sizeof(why)) == 0)
			n++;
	}
	return n;
}

/* Setting the TUN device down removes the routes through it (IPv4 and
 * IPv6 alike); when it is up again, add the pool routes back (adding an
 * existing route is not an error). */
static void restore_routes(void)
{
	int n = 0, total = 0;
	char err[256];
	for (int i = 0; i < n_routes; i++) {
		if (tun_route_add(P.tun, routes[i].family, routes[i].net, routes[i].prefix, err,
		                  sizeof(err)) == 0)
			n++;
		else
			log_err(LOG_TUN, "helper: %s", err);
	}
	int cn = helper_net_restore(&total);
	if (P.n_hr)
		log_err(LOG_TUN, "TUN %s is up again: %d of %d host routes of RADIUS addresses "
		        "restored", P.tun, host_routes_again(true), P.n_hr);
	if (total)
		log_err(LOG_TUN, "TUN %s is up again: %d of %d pool routes and %d of %d client "
		        "addresses and routes restored", P.tun, n, n_routes, cn, total);
	else
		log_err(LOG_TUN, "TUN %s is up again: %d of %d pool routes restored", P.tun, n,
		        n_routes);
}

static void watch_link(void)
{
	int went_down = 0;
	enum tun_link st = tun_link_watch_read(P.link_fd, P.ifindex, &went_down);
	if (st == TUN_LINK_LOST) {
		/* notifications were lost: a down may be among them */
		int up = tun_link_is_up(P.tun);
		st = up < 0 ? TUN_LINK_GONE : up ? TUN_LINK_UP : TUN_LINK_DOWN;
		went_down = 1;
	}
	if (st == TUN_LINK_GONE) {
		/* the daemon sees it on the device and stops */
		close(P.link_fd);
		P.link_fd = -1;
		return;
	}
	if ((went_down || st == TUN_LINK_DOWN) && !P.link_down) {
		P.link_down = true;
		log_err(LOG_TUN, "TUN %s was set down: traffic to and from clients is dropped "
		        "until it comes back up", P.tun);
	}
	if (st == TUN_LINK_UP && P.link_down) {
		P.link_down = false;
		restore_routes();
	}
}

static void helper_main(int fd)
{
	uint8_t *in = NULL;
	size_t have = 0, cap = 0;
	bool eof = false;

	P.fd = fd;
	for (;;) {
		if (!P.cur && P.head)
			start_job();
		if (eof && !P.cur && !P.head)
			break;
		struct pollfd pfd[3];
		int n = 0, link = -1;
		if (!eof)
			pfd[n++] = (struct pollfd){ .fd = fd, .events = POLLIN };
		if (P.out >= 0)
			pfd[n++] = (struct pollfd){ .fd = P.out, .events = POLLIN };
		if (P.link_fd >= 0 && !eof) {
			link = n;
			pfd[n++] = (struct pollfd){ .fd = P.link_fd, .events = POLLIN };
		}
		if (poll(pfd, (nfds_t)n, P.cur ? 100 : -1) < 0 && errno != EINTR)
			break;
		if (link >= 0 && pfd[link].revents)
			watch_link();
		if (!eof && (pfd[0].revents & (POLLIN | POLLHUP | POLLERR))) {
			if (have + 65536 > cap) {
				size_t ncap = have + 65536;
				uint8_t *nb = ncap <= REQUEST_MAX + 65536 + sizeof(struct frame_hdr)
				              ? realloc(in, ncap) : NULL;
				if (!nb)
					break;
				in = nb;
				cap = ncap;
			}
			ssize_t r = read(fd, in + have, cap - have);
			if (r == 0 || (r < 0 && errno != EINTR && errno != EAGAIN))
				eof = true;
			else if (r > 0)
				have += (size_t)r;
			size_t off = 0;
			while (have - off >= sizeof(struct frame_hdr)) {
				struct frame_hdr h;
				memcpy(&h, in + off, sizeof(h));
				if (h.len > REQUEST_MAX) {
					eof = true;
					break;
				}
				if (have - off < sizeof(h) + h.len)
					break;
				const uint8_t *p = in + off + sizeof(h);
				if (h.type == F_UPDOWN)
					queue_updown(p, h.len);
				else if (h.type == F_RELOAD)
					do_reload(fd);
				else if (h.type == F_CLIENT_NET)
					do_client_net(fd, p, h.len);
				else if (h.type == F_HOST_ROUTE)
					do_host_route(p, h.len);
				off += sizeof(h) + h.len;
			}
			memmove(in, in + off, have - off);
			have -= off;
		}
		if (P.cur)
			check_job();
	}
	free(in);
	P.fd = -1;
	helper_net_cleanup();
	host_routes_again(false);   /* the device may outlive the daemon (made by hand) */
	_exit(0);
}

int helper_start(struct daemon *d, struct config *cfg, char *err, size_t errlen)
{
	int sv[2];
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv) != 0) {
		snprintf(err, errlen, "socketpair: %s", strerror(errno));
		return -1;
	}
	fflush(stdout);
	fflush(stderr);
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(err, errlen, "fork: %s", strerror(errno));
		close(sv[0]);
		close(sv[1]);
		return -1;
	}
	if (pid == 0) {
		/* nothing of the daemon's: no sockets, no TUN, no event loop */
		if (dup2(sv[1], 3) < 0)
			_exit(1);
		helper_close_from(4);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		P.dir = strdup(cfg->dir);
		P.tun = d->tun_name;
		allow_commands(cfg);
		helper_net_allow(cfg);
		/* the helper keeps no keys or passwords of its own */
		config_free(cfg);
		d->cfg = NULL;
		if (!P.dir)
			_exit(1);
		if (privs_helper(err, errlen) != 0) {
			log_err(LOG_DMN, "helper: %s", err);
			_exit(1);
		}
		privs_lock_memory(true);     /* a reload reads keys and passwords */
		P.ifindex = if_nametoindex(P.tun);
		helper_net_setup(P.tun, P.ifindex);
		P.link_fd = P.ifindex ? tun_link_watch_open(err, errlen) : -1;
		if (P.link_fd < 0)
			log_err(LOG_TUN, "helper: not watching %s (%s): pool routes are not restored "
			        "when it is set down and up again", P.tun,
			        P.ifindex ? err : "no such interface");
		helper_main(3);
	}
	close(sv[1]);
	evutil_make_socket_nonblocking(sv[0]);
	H.pid = pid;
	H.bev = bufferevent_socket_new(d->base, sv[0], BEV_OPT_CLOSE_ON_FREE);
	if (!H.bev) {
		close(sv[0]);
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	bufferevent_setcb(H.bev, on_read, NULL, on_event, d);
	bufferevent_enable(H.bev, EV_READ);
	log_dbg(LOG_DMN, "privileged helper started (pid %d)", (int)pid);
	return 0;
}
