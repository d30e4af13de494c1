/* Monitoring: the daemon's counters and gauges in the Prometheus text
 * exposition format, version 0.0.4 (prometheus.io, "Exposition formats"):
 * for each metric family one "# HELP" and one "# TYPE" line, then its
 * samples "name{label="value"} number", names "cygnet_..." in base units
 * (bytes, seconds), counters ending in _total. Label values that come
 * from peers (user names) pass through esc_prom (src/escape.h), so the
 * text holds printable ASCII and printable UTF-8 only, whatever bytes a
 * client put in its name.
 *
 * The same text answers `cygnetctl metrics` (the control socket, ctl.c)
 * and GET /metrics on the optional HTTP listener (metrics_http.h).
 *
 * What it shows (README "Monitoring" has the list): build info, start
 * time, IKE_SAs by state, attempts established and failed by reason
 * (enum ike_fail, daemon.h), cookies, IKE send errors, CHILD_SAs, ESP
 * bytes and packets both ways and drops by reason for the whole server
 * (the data plane's counters of deleted SAs plus those of installed ones,
 * so they only grow), pool sizes and use, and per user (label user): the
 * sessions online and bytes and packets both ways. A user's counters are
 * those of its installed CHILD_SAs plus those of its CHILD_SAs deleted
 * since the start (rekeyed or ended sessions, metrics_child_gone), so they
 * only grow too, for up to METRICS_MAX_USERS users; a user beyond that
 * keeps only its installed SAs' counts (logged once). */
#ifndef CYGNET_METRICS_H
#define CYGNET_METRICS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct daemon;
struct ike_sa;

#define METRICS_CONTENT_TYPE "text/plain; version=0.0.4; charset=utf-8"
/* users whose deleted CHILD_SAs' counts are kept */
#define METRICS_MAX_USERS 100000

/* a growing text buffer; oom is set (and the text is incomplete) when
 * memory ran out */
struct metrics_buf {
	char *buf;
	size_t len, cap;
	bool oom;
};

/* Appends the whole exposition to o (o zeroed, or holding text to keep).
 * 0; -1 when memory ran out (o->buf is freed and zeroed: never a text
 * cut short). The control thread only. */
int metrics_render(struct daemon *d, struct metrics_buf *o);
/* frees o's text; NULL-safe */
void metrics_buf_free(struct metrics_buf *o);

/* Call before dp_sa_del of an installed CHILD_SA spi_in of sa: adds its
 * counters to its user's (server IKE_SAs with a user name only). */
void metrics_child_gone(struct daemon *d, const struct ike_sa *sa, uint32_t spi_in);
/* frees the per-user counts (daemon exit) */
void metrics_users_free(struct daemon *d);

#endif
