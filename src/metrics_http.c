/* GET /metrics over HTTP with libevent's evhttp (metrics_http.h).
 *
 * evhttp (libevent 2.1) has no limit on connections, so this one counts
 * them itself: evhttp asks us for the bufferevent of every connection it
 * accepts (evhttp_set_bevcb); we keep a reference to each. When evhttp is
 * done with a connection it frees the bufferevent, which clears its
 * callbacks; our reference keeps the object (and its socket) until the
 * next sweep sees that and drops it, so the count is exact within a
 * sweep (at most a second). While MH_MAX_CONNS are open the listener is
 * disabled. */
#define _GNU_SOURCE
#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <event2/buffer.h>
#include <event2/bufferevent.h>
#include <event2/event.h>
#include <event2/http.h>
#include <event2/keyvalq_struct.h>
#include <event2/listener.h>
#include "conf/ipsec_conf.h"
#include "src/clock.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/log.h"
#include "src/metrics.h"
#include "src/metrics_http.h"

struct metrics_http {
	struct daemon *d;
	struct evconnlistener *lev;
	bool bound;                 /* evhttp owns lev (and frees it) */
	struct evhttp *http;
	struct bufferevent *conns[MH_MAX_CONNS];
	int n_conns;
	bool paused;                /* the listener is disabled: MH_MAX_CONNS open */
	struct event *sweep_ev;     /* every second while connections are open */
	struct metrics_buf cache;   /* the text of second cache_sec */
	uint64_t cache_sec;
	bool cached;
};

/* drops our reference to every bufferevent evhttp has freed */
static void sweep(struct metrics_http *m)
{
	for (int i = 0; i < m->n_conns;) {
		bufferevent_data_cb r, w;
		bufferevent_event_cb e;
		void *arg;
		bufferevent_getcb(m->conns[i], &r, &w, &e, &arg);
		if (r || w || e) {
			i++;
			continue;
		}
		bufferevent_decref(m->conns[i]);       /* closes the socket */
		m->conns[i] = m->conns[--m->n_conns];
	}
	if (m->paused && m->n_conns < MH_MAX_CONNS) {
		evconnlistener_enable(m->lev);
		m->paused = false;
	}
	if (!m->n_conns)
		event_del(m->sweep_ev);
}

static void on_sweep(evutil_socket_t fd, short what, void *arg)
{
	(void)fd;
	(void)what;
	sweep(arg);
}

/* evhttp accepted a connection: its bufferevent, counted */
static struct bufferevent *make_bev(struct event_base *base, void *arg)
{
	struct metrics_http *m = arg;
	sweep(m);
	struct bufferevent *bev = bufferevent_socket_new(base, -1, BEV_OPT_CLOSE_ON_FREE);
	if (!bev)
		return NULL;
	bufferevent_incref(bev);
	/* what a connection may hold unread once evhttp let go of it */
	bufferevent_setwatermark(bev, EV_READ, 0, MH_MAX_HEADERS + MH_MAX_BODY);
	m->conns[m->n_conns++] = bev;
	if (m->n_conns == 1) {
		struct timeval tv = { 1, 0 };
		event_add(m->sweep_ev, &tv);
	}
	if (m->n_conns >= MH_MAX_CONNS) {
		evconnlistener_disable(m->lev);   /* stops the accept loop at once */
		m->paused = true;
	}
	return bev;
}

static void on_request(struct evhttp_request *req, void *arg)
{
	struct metrics_http *m = arg;
	const struct evhttp_uri *uri = evhttp_request_get_evhttp_uri(req);
	const char *path = uri ? evhttp_uri_get_path(uri) : NULL;
	enum evhttp_cmd_type cmd = evhttp_request_get_command(req);
	struct evkeyvalq *h = evhttp_request_get_output_headers(req);
	if (!path || strcmp(path, "/metrics") != 0) {
		evhttp_send_error(req, HTTP_NOTFOUND, NULL);
		return;
	}
	if (cmd != EVHTTP_REQ_GET && cmd != EVHTTP_REQ_HEAD) {
		evhttp_add_header(h, "Allow", "GET, HEAD");
		evhttp_send_error(req, 405, "Method Not Allowed");
		return;
	}
	uint64_t now = now_sec();
	if (!m->cached || m->cache_sec != now) {
		metrics_buf_free(&m->cache);
		m->cached = metrics_render(m->d, &m->cache) == 0;
		m->cache_sec = now;
	}
	struct evbuffer *body = evbuffer_new();
	if (!m->cached || !body || evbuffer_add(body, m->cache.buf, m->cache.len) != 0) {
		if (body)
			evbuffer_free(body);
		evhttp_send_error(req, HTTP_SERVUNAVAIL, "Out of memory");
		return;
	}
	evhttp_add_header(h, "Content-Type", METRICS_CONTENT_TYPE);
	evhttp_add_header(h, "Cache-Control", "no-store");
	evhttp_send_reply(req, HTTP_OK, "OK", body);
	evbuffer_free(body);
}

static void on_listen_error(struct evconnlistener *lev, void *arg)
{
	(void)lev;
	(void)arg;
	/* EMFILE and the like: the listener stays; try again at the next
	 * connection */
	log_err(LOG_DMN, "metrics: accept: %s", strerror(errno));
}

/* true for 127.0.0.0/8 and ::1 (and ::ffff:127.x) */
static bool is_loopback(const struct conf_addr *a)
{
	static const uint8_t v6lo[16] = { [15] = 1 };
	static const uint8_t mapped[12] = { [10] = 0xff, [11] = 0xff };
	if (a->family == AF_INET)
		return a->addr[0] == 127;
	return memcmp(a->addr, v6lo, 16) == 0 ||
	       (memcmp(a->addr, mapped, 12) == 0 && a->addr[12] == 127);
}

int metrics_http_open(struct daemon *d, char *err, size_t errlen)
{
	const struct ipsec_conf *c = d->cfg->conf;
	if (!c->metrics.family || d->mhttp)
		return 0;
	char text[INET6_ADDRSTRLEN + 16], ip[INET6_ADDRSTRLEN];
	inet_ntop(c->metrics.family, c->metrics.addr, ip, sizeof(ip));
	snprintf(text, sizeof(text), c->metrics.family == AF_INET6 ? "[%s]:%u" : "%s:%u", ip,
	         c->metrics_port);
	struct sockaddr_storage ss = { 0 };
	socklen_t sl;
	if (c->metrics.family == AF_INET) {
		struct sockaddr_in *s = (struct sockaddr_in *)&ss;
		s->sin_family = AF_INET;
		s->sin_port = htons(c->metrics_port);
		memcpy(&s->sin_addr, c->metrics.addr, 4);
		sl = sizeof(*s);
	} else {
		struct sockaddr_in6 *s = (struct sockaddr_in6 *)&ss;
		s->sin6_family = AF_INET6;
		s->sin6_port = htons(c->metrics_port);
		memcpy(&s->sin6_addr, c->metrics.addr, 16);
		sl = sizeof(*s);
	}
	int one = 1;
	int fd = socket(c->metrics.family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (c->metrics.family == AF_INET6 &&
	     setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof(one)) != 0) ||
	    bind(fd, (struct sockaddr *)&ss, sl) != 0 || listen(fd, MH_BACKLOG) != 0) {
		snprintf(err, errlen, "metrics=%s: %s", text, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	struct metrics_http *m = calloc(1, sizeof(*m));
	if (!m) {
		close(fd);
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	m->d = d;
	d->mhttp = m;
	m->sweep_ev = event_new(d->base, -1, EV_PERSIST, on_sweep, m);
	m->lev = evconnlistener_new(d->base, NULL, NULL, LEV_OPT_CLOSE_ON_FREE | LEV_OPT_CLOSE_ON_EXEC,
	                            0, fd);
	if (!m->lev)
		close(fd);
	m->http = evhttp_new(d->base);
	if (!m->sweep_ev || !m->lev || !m->http) {
		metrics_http_close(d);
		snprintf(err, errlen, "metrics: out of memory");
		return -1;
	}
	evconnlistener_set_error_cb(m->lev, on_listen_error);
	evhttp_set_timeout(m->http, MH_TIMEOUT);
	evhttp_set_max_headers_size(m->http, MH_MAX_HEADERS);
	evhttp_set_max_body_size(m->http, MH_MAX_BODY);
	/* every method reaches on_request, which answers 405 (evhttp would
	 * say 501 for a method it was told not to take) */
	evhttp_set_allowed_methods(m->http, EVHTTP_REQ_GET | EVHTTP_REQ_POST | EVHTTP_REQ_HEAD |
	                           EVHTTP_REQ_PUT | EVHTTP_REQ_DELETE | EVHTTP_REQ_OPTIONS |
	                           EVHTTP_REQ_TRACE | EVHTTP_REQ_CONNECT | EVHTTP_REQ_PATCH);
	evhttp_set_bevcb(m->http, make_bev, m);
	evhttp_set_gencb(m->http, on_request, m);
	if (!evhttp_bind_listener(m->http, m->lev)) {
		metrics_http_close(d);
		snprintf(err, errlen, "metrics=%s: cannot serve it", text);
		return -1;
	}
	m->bound = true;
	log_err(LOG_DMN, "metrics: serving http://%s/metrics (at most %d connections)", text,
	        MH_MAX_CONNS);
	if (!is_loopback(&c->metrics))
		log_err(LOG_DMN, "metrics=%s is not a loopback address: anyone who reaches it reads "
		        "the user names and traffic counts (no authentication); prefer 127.0.0.1 "
		        "or a firewall", text);
	return 0;
}

void metrics_http_close(struct daemon *d)
{
	struct metrics_http *m = d->mhttp;
	if (!m)
		return;
	if (m->http)
		evhttp_free(m->http);          /* its connections and the bound listener */
	if (m->lev && !m->bound)
		evconnlistener_free(m->lev);
	for (int i = 0; i < m->n_conns; i++)
		bufferevent_decref(m->conns[i]);
	if (m->sweep_ev)
		event_free(m->sweep_ev);
	metrics_buf_free(&m->cache);
	free(m);
	d->mhttp = NULL;
}
