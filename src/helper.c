/* The privileged helper: the daemon's end of the socketpair, and the
 * helper process itself (see helper.h). */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
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
#include "src/log.h"
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
};

struct frame_hdr {
	uint32_t type, len;
};

#define FRAME_MAX (64u << 20)       /* a snapshot of every file, generously */
#define REQUEST_MAX (64u << 10)     /* an updown request */
#define ENV_MAX 64
#define ENV_VALUE_MAX 1024
#define QUEUE_MAX 4096
#define SCRIPT_PATH "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"

/* ---- pool routes: added at start by the daemon, by the helper at a
 * reload; the list is inherited across the fork ---- */

struct route {
	int family, prefix;
	uint8_t net[16];
};

static struct route *routes;
static int n_routes;

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

static int write_all(int fd, const void *buf, size_t len)
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
		if (p && write_all(fd, p, len) != 0)
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
} P = { .out = -1, .fd = -1, .link_fd = -1 };

static void allow_commands(const struct config *cfg)
{
	for (int i = 0; i < cfg->n_peers; i++) {
		const char *c = cfg->peers[i].conn->left.updown;
		bool known = !c;
		for (int j = 0; j < P.n_commands && !known; j++)
			known = strcmp(P.commands[j], c) == 0;
		if (!known)
			conf_strv_add(&P.commands, &P.n_commands, c);
	}
}

static void allow_conns(const struct config *cfg);

static int reply(int fd, uint32_t type, const void *p, size_t len)
{
	struct frame_hdr h = { type, (uint32_t)len };
	return write_all(fd, &h, sizeof(h)) == 0 && write_all(fd, p, len) == 0 ? 0 : -1;
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
		allow_conns(cfg);
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

static void close_from(int lowfd)
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
	envp[j->n_env] = (char *)SCRIPT_PATH;
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
		close_from(3);
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

/* ---- the client's network (helper_client_net): what may be asked, and
 * what was installed, per conn ---- */

/* a conn of a configuration the helper loaded (every version: a reload
 * keeps the old one's, whose IKE_SAs may still be up) */
struct net_conn {
	char name[64];
	bool client;                /* right= a specific host */
	char *host;                 /* right= as written (client conns) */
	struct conf_net subnet[CONF_MAX_NETS];
	int n_subnet;
};

enum net_kind {         /* in the order they are installed */
	NK_HOST_ROUTE,      /* the route to the server beside the tunnel */
	NK_ADDR,            /* a virtual IP on the TUN device */
	NK_ROUTE,           /* a net through the TUN device */
};

struct net_item {
	enum net_kind kind;
	int family;
	uint8_t addr[16];           /* host bits cleared */
	int prefix;
	bool has_src;               /* NK_ROUTE: prefsrc */
	uint8_t src[16];
	struct tun_route rt;        /* NK_HOST_ROUTE: as added */
};

#define NET_ITEMS_MAX (1 + 2 + 2 * CONF_MAX_NETS)

/* one conn that is up */
struct net_state {
	char conn[64];
	struct net_item items[NET_ITEMS_MAX];
	int n_items;
	struct conf_addr dns[CLIENT_NET_MAX_DNS];
	int n_dns;
};

static struct {
	struct net_conn *conns;
	int n_conns;
	struct net_state *up;
	int n_up;
	const char *resolvconf;     /* helper_set_resolvconf; NULL: the system's */
	struct conf_addr dns[CONF_MAX_NETS * CLIENT_NET_MAX_DNS]; /* last written */
	int n_dns;
	bool dns_written;
	bool no_resolvconf_said;
} N;

void helper_set_resolvconf(const char *path)
{
	N.resolvconf = path;
}

static size_t addr_len(int family)
{
	return family == AF_INET ? 4 : family == AF_INET6 ? 16 : 0;
}

/* a and b agree in their first prefix bits */
static bool prefix_eq(const uint8_t *a, const uint8_t *b, int prefix)
{
	int bytes = prefix / 8, bits = prefix % 8;
	if (memcmp(a, b, (size_t)bytes) != 0)
		return false;
	if (bits == 0)
		return true;
	uint8_t m = (uint8_t)(0xff << (8 - bits));
	return (a[bytes] & m) == (b[bytes] & m);
}

static void mask_addr(int family, const uint8_t *in, int prefix, uint8_t *out)
{
	memset(out, 0, 16);
	for (int i = 0; i < (int)addr_len(family); i++) {
		int bits = prefix - i * 8;
		out[i] = bits >= 8 ? in[i] : bits > 0 ? (uint8_t)(in[i] & (0xff << (8 - bits))) : 0;
	}
}

static bool net_inside(const struct conf_net *in, int family, const uint8_t *addr, int prefix)
{
	return in->family == family && prefix >= in->prefix && prefix_eq(in->addr, addr, in->prefix);
}

static bool same_subnets(const struct net_conn *a, const struct conf_conn *c)
{
	if (a->n_subnet != c->right.n_subnet)
		return false;
	for (int i = 0; i < a->n_subnet; i++)
		if (a->subnet[i].family != c->right.subnet[i].family ||
		    a->subnet[i].prefix != c->right.subnet[i].prefix ||
		    memcmp(a->subnet[i].addr, c->right.subnet[i].addr, 16) != 0)
			return false;
	return true;
}

/* records the conns of cfg (at start and at every reload) */
static void allow_conns(const struct config *cfg)
{
	for (int i = 0; i < cfg->conf->n_conns; i++) {
		const struct conf_conn *c = &cfg->conf->conns[i];
		const char *host = c->right.host;
		bool client = host && host[0] && host[0] != '%';
		bool known = strlen(c->name) >= sizeof(N.conns[0].name);  /* cannot be asked */
		for (int j = 0; j < N.n_conns && !known; j++) {
			const struct net_conn *k = &N.conns[j];
			known = strcmp(k->name, c->name) == 0 && k->client == client &&
			        (!client || (strcmp(k->host, host) == 0 && same_subnets(k, c)));
		}
		if (known)
			continue;
		struct net_conn *nc = realloc(N.conns, (size_t)(N.n_conns + 1) * sizeof(*nc));
		if (!nc)
			return;
		N.conns = nc;
		nc = &N.conns[N.n_conns];
		memset(nc, 0, sizeof(*nc));
		snprintf(nc->name, sizeof(nc->name), "%s", c->name);
		nc->client = client;
		if (client) {
			if (!(nc->host = strdup(host)))
				return;
			nc->n_subnet = c->right.n_subnet;
			memcpy(nc->subnet, c->right.subnet, sizeof(nc->subnet));
		}
		N.n_conns++;
	}
}

/* the server's address is conn's right= host: the address itself, or one
 * the name resolves to */
static bool server_is_host(const struct net_conn *nc, int family, const uint8_t *addr)
{
	uint8_t a[16];
	if (inet_pton(AF_INET, nc->host, a) == 1)
		return family == AF_INET && memcmp(a, addr, 4) == 0;
	if (inet_pton(AF_INET6, nc->host, a) == 1)
		return family == AF_INET6 && memcmp(a, addr, 16) == 0;
	struct addrinfo hints = { .ai_family = family, .ai_socktype = SOCK_DGRAM }, *res, *r;
	if (getaddrinfo(nc->host, NULL, &hints, &res) != 0)
		return false;
	bool match = false;
	for (r = res; r && !match; r = r->ai_next) {
		if (r->ai_family == AF_INET && family == AF_INET)
			match = memcmp(&((struct sockaddr_in *)r->ai_addr)->sin_addr, addr, 4) == 0;
		else if (r->ai_family == AF_INET6 && family == AF_INET6)
			match = memcmp(&((struct sockaddr_in6 *)r->ai_addr)->sin6_addr, addr, 16) == 0;
	}
	freeaddrinfo(res);
	return match;
}

static void net_text(int family, const uint8_t *addr, int prefix, char *out, size_t len)
{
	char a[INET6_ADDRSTRLEN] = "?";
	inet_ntop(family, addr, a, sizeof(a));
	if (prefix >= 0)
		snprintf(out, len, "%s/%d", a, prefix);
	else
		snprintf(out, len, "%s", a);
}

static bool vip_ok(int family, const uint8_t *a)
{
	static const uint8_t zero[16];
	if (family == AF_INET)
		return a[0] != 0 && a[0] != 127 && a[0] < 224;
	return memcmp(a, zero, 16) != 0 &&                           /* :: */
	       !(memcmp(a, zero, 15) == 0 && a[15] == 1) &&          /* ::1 */
	       a[0] != 0xff &&                                       /* multicast */
	       !(a[0] == 0xfe && (a[1] & 0xc0) == 0x80) &&           /* link-local */
	       !(memcmp(a, zero, 10) == 0 && a[10] == 0xff && a[11] == 0xff); /* v4-mapped */
}

/* the request's shape (the daemon's process may be compromised: nothing
 * is trusted); the server's address into *family/addr */
static int check_shape(const struct client_net *n, int *family, uint8_t *addr, char *why,
                       size_t len)
{
	if (n->n_nets < 0 || n->n_nets > CONF_MAX_NETS || n->n_dns < 0 ||
	    n->n_dns > CLIENT_NET_MAX_DNS) {
		snprintf(why, len, "malformed request");
		return -1;
	}
	for (int i = 0; i < n->n_nets; i++)
		if (!addr_len(n->nets[i].family) ||
		    n->nets[i].prefix > addr_len(n->nets[i].family) * 8) {
			snprintf(why, len, "malformed request (net %d)", i);
			return -1;
		}
	for (int i = 0; i < n->n_dns; i++)
		if (!addr_len(n->dns[i].family)) {
			snprintf(why, len, "malformed request (DNS server %d)", i);
			return -1;
		}
	const struct sockaddr_storage *ss = &n->server;
	memset(addr, 0, 16);
	if (ss->ss_family == AF_INET && n->server_len >= sizeof(struct sockaddr_in) &&
	    n->server_len <= sizeof(*ss)) {
		*family = AF_INET;
		memcpy(addr, &((const struct sockaddr_in *)ss)->sin_addr, 4);
	} else if (ss->ss_family == AF_INET6 && n->server_len >= sizeof(struct sockaddr_in6) &&
	           n->server_len <= sizeof(*ss)) {
		const uint8_t *a6 = (const uint8_t *)&((const struct sockaddr_in6 *)ss)->sin6_addr;
		static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
		if (memcmp(a6, mapped, 12) == 0) {
			*family = AF_INET;
			memcpy(addr, a6 + 12, 4);
		} else {
			*family = AF_INET6;
			memcpy(addr, a6, 16);
		}
	} else {
		snprintf(why, len, "malformed request (server address)");
		return -1;
	}
	if ((n->has_vip4 && !vip_ok(AF_INET, n->vip4)) || (n->has_vip6 && !vip_ok(AF_INET6, n->vip6))) {
		snprintf(why, len, "a virtual IP is not a unicast address");
		return -1;
	}
	/* the server's own address as a virtual IP would make it local and
	 * cut IKE and ESP off */
	if ((*family == AF_INET && n->has_vip4 && memcmp(n->vip4, addr, 4) == 0) ||
	    (*family == AF_INET6 && n->has_vip6 && memcmp(n->vip6, addr, 16) == 0)) {
		snprintf(why, len, "the virtual IP is the server's own address");
		return -1;
	}
	return 0;
}

/* conn and the nets against every loaded version of conn: 0 when one
 * allows them all */
static int check_policy(const struct client_net *n, int sfam, const uint8_t *saddr, char *why,
                        size_t len)
{
	char t[INET6_ADDRSTRLEN + 8];
	bool any = false;
	snprintf(why, len, "conn '%s' is not in a loaded configuration", n->conn);
	for (int i = 0; i < N.n_conns; i++) {
		const struct net_conn *nc = &N.conns[i];
		if (strcmp(nc->name, n->conn) != 0)
			continue;
		if (!nc->client) {
			if (!any)
				snprintf(why, len, "conn '%s' is not a client conn (right= is not a "
				         "specific host)", n->conn);
			continue;
		}
		any = true;
		if (!server_is_host(nc, sfam, saddr)) {
			net_text(sfam, saddr, -1, t, sizeof(t));
			snprintf(why, len, "the server %s is not conn '%s''s right=%s", t, n->conn,
			         nc->host);
			continue;
		}
		int bad = -1;
		for (int j = 0; j < n->n_nets && bad < 0; j++) {
			const struct conf_net *net = &n->nets[j];
			bool ok = false;
			if (nc->n_subnet == 0)
				ok = net->family == sfam && net->prefix == addr_len(sfam) * 8 &&
				     memcmp(net->addr, saddr, addr_len(sfam)) == 0;
			for (int k = 0; k < nc->n_subnet && !ok; k++)
				ok = net_inside(&nc->subnet[k], net->family, net->addr, net->prefix);
			if (!ok)
				bad = j;
		}
		if (bad < 0)
			return 0;
		net_text(n->nets[bad].family, n->nets[bad].addr, n->nets[bad].prefix, t, sizeof(t));
		snprintf(why, len, "%s is not inside conn '%s''s %s", t, n->conn,
		         nc->n_subnet ? "rightsubnet" : "server address (no rightsubnet)");
	}
	return -1;
}

static bool item_key_eq(const struct net_item *a, const struct net_item *b)
{
	return a->kind == b->kind && a->family == b->family && a->prefix == b->prefix &&
	       memcmp(a->addr, b->addr, 16) == 0;
}

static const struct net_item *find_item(const struct net_state *st, const struct net_item *it)
{
	for (int i = 0; st && i < st->n_items; i++)
		if (item_key_eq(&st->items[i], it))
			return &st->items[i];
	return NULL;
}

/* another up conn than skip holds it (or it is a pool route) */
static const struct net_item *held_elsewhere(const struct net_state *skip,
                                             const struct net_item *it)
{
	for (int i = 0; i < N.n_up; i++) {
		const struct net_item *o = &N.up[i] == skip ? NULL : find_item(&N.up[i], it);
		if (o)
			return o;
	}
	return NULL;
}

static bool pool_route(const struct net_item *it)
{
	for (int i = 0; it->kind == NK_ROUTE && i < n_routes; i++)
		if (routes[i].family == it->family && routes[i].prefix == it->prefix &&
		    memcmp(routes[i].net, it->addr, 16) == 0)
			return true;
	return false;
}

static struct net_state *find_state(const char *conn)
{
	for (int i = 0; i < N.n_up; i++)
		if (strcmp(N.up[i].conn, conn) == 0)
			return &N.up[i];
	return NULL;
}

static void item_text(const struct net_item *it, char *out, size_t len)
{
	char t[INET6_ADDRSTRLEN + 8];
	net_text(it->family, it->addr, it->prefix, t, sizeof(t));
	snprintf(out, len, "%s %s", it->kind == NK_HOST_ROUTE ? "host route" :
	         it->kind == NK_ADDR ? "address" : "route", t);
}

/* what an up asks for, in install order; the host route's rt is filled
 * in when it is installed */
static int plan_items(const struct client_net *n, int sfam, const uint8_t *saddr,
                      struct net_item *items)
{
	int k = 0;
	bool server_inside = false;
	for (int i = 0; i < n->n_nets; i++) {
		const struct conf_net *net = &n->nets[i];
		if (net->family == sfam && net->prefix == addr_len(sfam) * 8 &&
		    memcmp(net->addr, saddr, addr_len(sfam)) == 0)
			continue;   /* the server itself: not through the tunnel */
		server_inside |= net_inside(net, sfam, saddr, (int)addr_len(sfam) * 8);
	}
	if (server_inside) {
		items[k] = (struct net_item){ .kind = NK_HOST_ROUTE, .family = sfam,
		                              .prefix = (int)addr_len(sfam) * 8 };
		memcpy(items[k++].addr, saddr, 16);
	}
	if (n->has_vip4) {
		items[k] = (struct net_item){ .kind = NK_ADDR, .family = AF_INET, .prefix = 32 };
		memcpy(items[k++].addr, n->vip4, 4);
	}
	if (n->has_vip6) {
		items[k] = (struct net_item){ .kind = NK_ADDR, .family = AF_INET6, .prefix = 128 };
		memcpy(items[k++].addr, n->vip6, 16);
	}
	for (int i = 0; i < n->n_nets; i++) {
		const struct conf_net *net = &n->nets[i];
		if (net->family == sfam && net->prefix == addr_len(sfam) * 8 &&
		    memcmp(net->addr, saddr, addr_len(sfam)) == 0) {
			char t[INET6_ADDRSTRLEN];
			net_text(sfam, saddr, -1, t, sizeof(t));
			log_info(LOG_TUN, "helper: conn '%s': %s is the server's own address: not "
			         "routed through %s (it would carry IKE and ESP)", n->conn, t, P.tun);
			continue;
		}
		/* a default route as two halves, so the existing one stays */
		int halves = net->prefix == 0 ? 2 : 1;
		for (int h = 0; h < halves; h++) {
			struct net_item it = { .kind = NK_ROUTE, .family = net->family,
			                       .prefix = halves == 2 ? 1 : net->prefix };
			mask_addr(net->family, net->addr, it.prefix, it.addr);
			if (h == 1)
				it.addr[0] = 0x80;
			const uint8_t *vip = net->family == AF_INET ? (n->has_vip4 ? n->vip4 : NULL)
			                                            : (n->has_vip6 ? n->vip6 : NULL);
			if (vip) {
				it.has_src = true;
				memcpy(it.src, vip, addr_len(net->family));
			}
			bool dup = false;
			for (int j = 0; j < k && !dup; j++)
				dup = item_key_eq(&items[j], &it);
			if (!dup)
				items[k++] = it;
		}
	}
	return k;
}

/* installs one item; 0 added, 1 nothing to record (a host route the
 * helper did not add), -1 with a reason */
static int item_add(struct net_item *it, const struct net_state *old, char *why, size_t len)
{
	if (it->kind == NK_ADDR)
		return tun_addr_add(P.tun, it->family, it->addr, it->prefix, why, len);
	if (it->kind == NK_ROUTE)
		return tun_route_add_src(P.tun, it->family, it->addr, it->prefix,
		                         it->has_src ? it->src : NULL, why, len);
	/* the host route: one that an up conn holds is there already (the
	 * kernel's route to the server may go through the TUN device now) */
	const struct net_item *had = find_item(old, it);
	if (!had)
		had = held_elsewhere(NULL, it);
	if (had) {
		it->rt = had->rt;
		return 0;
	}
	char t[INET6_ADDRSTRLEN];
	net_text(it->family, it->addr, -1, t, sizeof(t));
	if (tun_route_get(it->family, it->addr, &it->rt, why, len) != 0)
		return -1;
	if (it->rt.type == RTN_LOCAL)
		return 1;       /* the server is this host */
	if (it->rt.type != RTN_UNICAST) {
		snprintf(why, len, "the route to the server %s is of type %d, not unicast", t,
		         it->rt.type);
		return -1;
	}
	if (it->rt.oif == 0 || it->rt.oif == P.ifindex || it->rt.oif == if_nametoindex(P.tun)) {
		snprintf(why, len, "the kernel's route to the server %s goes through %s", t, P.tun);
		return -1;
	}
	it->rt.prefix = it->prefix;
	return tun_route_add_rt(&it->rt, why, len);
}

/* removes one item unless another up conn (or the pool routes) holds
 * it; 0 or -1 with a reason */
static int item_del(const struct net_item *it, const struct net_state *self, char *why,
                    size_t len)
{
	if (held_elsewhere(self, it) || pool_route(it))
		return 0;
	if (it->kind == NK_HOST_ROUTE)
		return tun_route_del_rt(&it->rt, why, len);
	if (if_nametoindex(P.tun) == 0)
		return 0;       /* the device is gone, and all it had with it */
	if (it->kind == NK_ADDR)
		return tun_addr_del(P.tun, it->family, it->addr, it->prefix, why, len);
	if (tun_route_del(P.tun, it->family, it->addr, it->prefix) != 0) {
		char t[80];
		item_text(it, t, sizeof(t));
		snprintf(why, len, "delete %s via %s failed", t, P.tun);
		return -1;
	}
	return 0;
}

/* ---- DNS through resolvconf ---- */

static const char *resolvconf_path(void)
{
	if (N.resolvconf)
		return N.resolvconf[0] ? N.resolvconf : NULL;
	if (access("/sbin/resolvconf", X_OK) == 0)
		return "/sbin/resolvconf";
	if (access("/usr/sbin/resolvconf", X_OK) == 0)
		return "/usr/sbin/resolvconf";
	return NULL;
}

/* runs "resolvconf -a|-d TUN.cygnet" with input on stdin for at most
 * HELPER_RESOLVCONF_SECONDS; 0, or -1 with a reason (and its output) */
static int run_resolvconf(const char *path, const char *op, const char *input, char *why,
                          size_t len)
{
	char name[IFNAMSIZ + 8], out[256];
	size_t out_len = 0;
	int in[2] = { -1, -1 }, res[2] = { -1, -1 }, st = 0;
	snprintf(name, sizeof(name), "%s.cygnet", P.tun);
	if (pipe2(in, O_CLOEXEC) != 0 || pipe2(res, O_CLOEXEC) != 0) {
		snprintf(why, len, "pipe: %s", strerror(errno));
		goto fail;
	}
	pid_t pid = fork();
	if (pid < 0) {
		snprintf(why, len, "fork: %s", strerror(errno));
		goto fail;
	}
	if (pid == 0) {
		setpgid(0, 0);
		signal(SIGTERM, SIG_DFL);
		signal(SIGINT, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		signal(SIGPIPE, SIG_DFL);
		if (dup2(in[0], 0) < 0 || dup2(res[1], 1) < 0 || dup2(res[1], 2) < 0)
			_exit(127);
		close_from(3);
		char *argv[] = { (char *)"resolvconf", (char *)op, name, NULL };
		char *envp[] = { (char *)SCRIPT_PATH, NULL };
		execve(path, argv, envp);
		_exit(127);
	}
	close(in[0]);
	close(res[1]);
	in[0] = res[1] = -1;
	if (write_all(in[1], input, strlen(input)) != 0)
		log_dbg(LOG_TUN, "helper: writing to %s: %s", path, strerror(errno));
	close(in[1]);
	in[1] = -1;
	uint64_t deadline = now_sec() + HELPER_RESOLVCONF_SECONDS;
	bool exited = false, eof = false;
	while (!exited) {
		if (!eof) {
			struct pollfd pfd = { .fd = res[0], .events = POLLIN };
			if (poll(&pfd, 1, 100) > 0) {
				char buf[256];
				ssize_t r = read(res[0], buf, sizeof(buf));
				if (r <= 0 && !(r < 0 && errno == EINTR)) {
					eof = true;
				} else if (r > 0) {
					size_t take = (size_t)r < sizeof(out) - 1 - out_len
					              ? (size_t)r : sizeof(out) - 1 - out_len;
					memcpy(out + out_len, buf, take);
					out_len += take;
				}
			}
		} else {
			struct timespec ts = { 0, 10 * 1000 * 1000 };
			nanosleep(&ts, NULL);
		}
		exited = waitpid(pid, &st, WNOHANG) == pid;
		if (!exited && now_sec() >= deadline) {
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &st, 0);
			snprintf(why, len, "%s %s %s: still running after %d s: killed", path, op, name,
			         HELPER_RESOLVCONF_SECONDS);
			goto fail;
		}
	}
	close(res[0]);
	res[0] = -1;
	if (WIFEXITED(st) && WEXITSTATUS(st) == 0)
		return 0;
	out[out_len] = 0;
	for (char *c = out; *c; c++)
		if ((unsigned char)*c < 0x20 || *c == 0x7f)
			*c = ' ';
	snprintf(why, len, "%s %s %s: %s %d%s%s", path, op, name,
	         WIFEXITED(st) ? "exit status" : "signal",
	         WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st), out_len ? ": " : "", out);
fail:
	for (int i = 0; i < 2; i++) {
		if (in[i] >= 0)
			close(in[i]);
		if (res[i] >= 0)
			close(res[i]);
	}
	return -1;
}

/* writes the DNS servers of every up conn through resolvconf (or takes
 * them away when none are left); nothing when they did not change */
static void dns_sync(void)
{
	struct conf_addr all[CONF_MAX_NETS * CLIENT_NET_MAX_DNS];
	int n = 0;
	for (int i = 0; i < N.n_up; i++)
		for (int j = 0; j < N.up[i].n_dns && n < (int)(sizeof(all) / sizeof(all[0])); j++) {
			const struct conf_addr *a = &N.up[i].dns[j];
			bool dup = false;
			for (int k = 0; k < n && !dup; k++)
				dup = all[k].family == a->family && memcmp(all[k].addr, a->addr, 16) == 0;
			if (!dup)
				all[n++] = *a;
		}
	if (n == N.n_dns && (n == 0 || N.dns_written) &&
	    memcmp(all, N.dns, (size_t)n * sizeof(all[0])) == 0)
		return;
	if (n == 0 && !N.dns_written) {
		N.n_dns = 0;
		return;
	}
	const char *path = resolvconf_path();
	if (!path) {
		if (n > 0 && !N.no_resolvconf_said)
			log_info(LOG_TUN, "helper: no resolvconf (/sbin/resolvconf, "
			         "/usr/sbin/resolvconf): the DNS servers received are not installed "
			         "(leftupdown gets them)");
		N.no_resolvconf_said = true;
		memcpy(N.dns, all, (size_t)n * sizeof(all[0]));
		N.n_dns = n;
		N.dns_written = false;
		return;
	}
	char input[CONF_MAX_NETS * CLIENT_NET_MAX_DNS * (INET6_ADDRSTRLEN + 12)] = "", why[512];
	size_t off = 0;
	for (int i = 0; i < n; i++) {
		char a[INET6_ADDRSTRLEN];
		inet_ntop(all[i].family, all[i].addr, a, sizeof(a));
		off += (size_t)snprintf(input + off, sizeof(input) - off, "nameserver %s\n", a);
	}
	if (run_resolvconf(path, n ? "-a" : "-d", input, why, sizeof(why)) != 0)
		log_err(LOG_TUN, "helper: DNS servers not %s: %s", n ? "installed" : "removed", why);
	else if (n)
		log_info(LOG_TUN, "helper: %d DNS server%s installed through %s", n,
		         n == 1 ? "" : "s", path);
	else
		log_info(LOG_TUN, "helper: DNS servers removed through %s", path);
	memcpy(N.dns, all, (size_t)n * sizeof(all[0]));
	N.n_dns = n;
	N.dns_written = n > 0;
}

/* ---- up and down ---- */

static int net_down(const char *conn, char *why, size_t len)
{
	struct net_state *st = find_state(conn);
	int ret = 0;
	if (!st)
		return 0;
	for (int i = st->n_items - 1; i >= 0; i--) {
		char e[256];
		if (item_del(&st->items[i], st, e, sizeof(e)) != 0) {
			log_err(LOG_TUN, "helper: conn '%s': %s", conn, e);
			if (ret == 0)
				snprintf(why, len, "%s", e);
			ret = -1;
		}
	}
	*st = N.up[--N.n_up];
	log_info(LOG_TUN, "helper: conn '%s': client addresses and routes removed", conn);
	dns_sync();
	return ret;
}

static int net_up(const struct client_net *n, char *why, size_t len)
{
	int sfam;
	uint8_t saddr[16];
	struct net_item items[NET_ITEMS_MAX];
	bool added[NET_ITEMS_MAX] = { false }, keep[NET_ITEMS_MAX] = { false };

	if (check_shape(n, &sfam, saddr, why, len) != 0 ||
	    check_policy(n, sfam, saddr, why, len) != 0)
		return -1;
	struct net_state *old = find_state(n->conn);
	int k = plan_items(n, sfam, saddr, items);
	for (int i = 0; i < k; i++) {
		const struct net_item *o = find_item(old, &items[i]);
		if (o && (items[i].kind != NK_ROUTE || (o->has_src == items[i].has_src &&
		                                        memcmp(o->src, items[i].src, 16) == 0))) {
			if (items[i].kind == NK_HOST_ROUTE)
				items[i].rt = o->rt;
			keep[i] = true;
			continue;
		}
		int r = item_add(&items[i], old, why, len);
		if (r < 0)
			goto undo;
		added[i] = true;
		keep[i] = r == 0;
	}
	/* what the conn had and has no more */
	for (int i = 0; old && i < old->n_items; i++) {
		bool still = false;
		for (int j = 0; j < k && !still; j++)
			still = keep[j] && item_key_eq(&old->items[i], &items[j]);
		char e[256];
		if (!still && item_del(&old->items[i], old, e, sizeof(e)) != 0)
			log_err(LOG_TUN, "helper: conn '%s': %s", n->conn, e);
	}
	if (!old) {
		struct net_state *nu = realloc(N.up, (size_t)(N.n_up + 1) * sizeof(*nu));
		if (!nu) {
			snprintf(why, len, "out of memory");
			goto undo;
		}
		N.up = nu;
		old = &N.up[N.n_up++];
		memset(old, 0, sizeof(*old));
		snprintf(old->conn, sizeof(old->conn), "%s", n->conn);
	}
	old->n_items = 0;
	char list[512] = "";
	size_t off = 0;
	for (int i = 0; i < k; i++) {
		if (!keep[i])
			continue;
		old->items[old->n_items++] = items[i];
		char t[80];
		item_text(&items[i], t, sizeof(t));
		if (off < sizeof(list))
			off += (size_t)snprintf(list + off, sizeof(list) - off, "%s%s", off ? ", " : "", t);
	}
	memcpy(old->dns, n->dns, sizeof(old->dns));
	old->n_dns = n->n_dns;
	log_info(LOG_TUN, "helper: conn '%s': client network up on %s: %s", n->conn, P.tun,
	         off ? list : "nothing to install");
	dns_sync();
	return 0;
undo:
	for (int i = k - 1; i >= 0; i--) {
		if (!added[i] || !keep[i])
			continue;
		char e[256];
		const struct net_item *o = find_item(old, &items[i]);
		if (o) {    /* a route of the conn's that this request replaced */
			struct net_item back = *o;
			if (item_add(&back, old, e, sizeof(e)) < 0)
				log_err(LOG_TUN, "helper: conn '%s': %s", n->conn, e);
		} else if (item_del(&items[i], old, e, sizeof(e)) != 0) {
			log_err(LOG_TUN, "helper: conn '%s': %s", n->conn, e);
		}
	}
	return -1;
}

static void do_client_net(int fd, const uint8_t *p, uint32_t len)
{
	struct client_net n;
	char why[512] = "";
	int r = -1;
	if (len != sizeof(n)) {
		snprintf(why, sizeof(why), "malformed request");
	} else {
		memcpy(&n, p, sizeof(n));
		if (!memchr(n.conn, 0, sizeof(n.conn)) || !n.conn[0])
			snprintf(why, sizeof(why), "malformed request (conn name)");
		else
			r = n.up ? net_up(&n, why, sizeof(why)) : net_down(n.conn, why, sizeof(why));
	}
	if (r != 0)
		log_err(LOG_TUN, "helper: refusing or failing a client network request: %s", why);
	uint8_t out[1 + sizeof(why)];
	size_t wl = strlen(why);
	out[0] = r == 0;
	memcpy(out + 1, why, wl);
	reply(fd, F_CLIENT_NET_DONE, out, 1 + wl);
}

/* the TUN device is up again: its addresses and routes are back */
static int net_restore(int *total)
{
	char err[256];
	int n = 0;
	for (int i = 0; i < N.n_up; i++)
		for (int j = 0; j < N.up[i].n_items; j++) {
			struct net_item *it = &N.up[i].items[j];
			if (it->kind == NK_HOST_ROUTE)
				continue;
			(*total)++;
			if (item_add(it, &N.up[i], err, sizeof(err)) == 0)
				n++;
			else
				log_err(LOG_TUN, "helper: %s", err);
		}
	return n;
}

/* the helper exits: nothing of the client's network stays */
static void net_cleanup(void)
{
	char why[256];
	while (N.n_up > 0)
		net_down(N.up[N.n_up - 1].conn, why, sizeof(why));
	dns_sync();
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
	int cn = net_restore(&total);
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
	net_cleanup();
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
		close_from(4);
		signal(SIGTERM, SIG_IGN);
		signal(SIGINT, SIG_IGN);
		signal(SIGHUP, SIG_IGN);
		signal(SIGPIPE, SIG_IGN);
		P.dir = strdup(cfg->dir);
		P.tun = d->tun_name;
		allow_commands(cfg);
		allow_conns(cfg);
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
