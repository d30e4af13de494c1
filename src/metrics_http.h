/* The optional HTTP listener of the metrics (config setup
 * metrics=ADDRESS:PORT, off by default): GET /metrics answers the text of
 * metrics_render (src/metrics.h) with the content type of the Prometheus
 * text format 0.0.4; any other path is 404, another method on /metrics
 * 405 (HEAD is answered as GET without the body). libevent's evhttp
 * parses the requests.
 *
 * What a stranger who reaches the port can cost, and nothing more:
 *  - MH_MAX_CONNS connections at once: while they are open the listening
 *    socket is not read (further connections wait in its short kernel
 *    backlog, then are refused by the kernel), so a flood of idle
 *    connections takes neither file descriptors nor the control socket
 *    away from the daemon;
 *  - a request line and headers of at most MH_MAX_HEADERS bytes, a body
 *    of at most MH_MAX_BODY, each connection closed after MH_TIMEOUT
 *    seconds without progress either way;
 *  - one rendering a second: answers within the same second share one text.
 * There is no authentication: bind it to a loopback address (or put a
 * reverse proxy with TLS and authentication in front); a non-loopback
 * address is warned about at start.
 *
 * The socket is bound at start, before privileges are dropped (a port
 * below 1024 needs that), so a reload cannot move it: a changed metrics=
 * takes effect at the next restart (reload.c says so). */
#ifndef CYGNET_METRICS_HTTP_H
#define CYGNET_METRICS_HTTP_H

#include <stddef.h>

struct daemon;

#define MH_MAX_CONNS 8
#define MH_MAX_HEADERS 8192
#define MH_MAX_BODY 4096
#define MH_TIMEOUT 5
#define MH_BACKLOG 8

/* Opens the listener of d->cfg->conf->metrics (nothing when unset): binds
 * and listens, serves it from d->base. 0; -1 with a reason in err (the
 * address is taken or not ours). */
int metrics_http_open(struct daemon *d, char *err, size_t errlen);
/* closes the listener and its connections; NULL-safe, idempotent */
void metrics_http_close(struct daemon *d);

#endif
