/* The metrics text (src/metrics.h): every line of metrics_render's output
 * checked by a strict reader of the Prometheus text exposition format
 * 0.0.4 (prometheus.io/docs/instrumenting/exposition_formats: "# HELP
 * name docstring", "# TYPE name type", samples "name{label="value",...}
 * value"; label values escape only \\, \" and \n; names match
 * [a-zA-Z_:][a-zA-Z0-9_:]*, label names [a-zA-Z_][a-zA-Z0-9_]*), plus the
 * rules Prometheus enforces on a scrape: one TYPE per family before its
 * samples, the samples of a family together, no series twice; and
 * esc_prom on hostile user names (quotes, backslashes, line feeds, UTF-8,
 * C1 controls, bidi overrides, bytes that are not UTF-8). */
#include "tests/unit/check.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <stdbool.h>
#include <sys/socket.h>

#include "conf/ipsec_conf.h"
#include "src/escape.h"
#include "src/metrics.h"
#include "tests/unit/testd.h"

static struct daemon d;

/* ---- a strict exposition-format reader ---- */

#define MAX_SERIES 512
struct parsed {
	char fam[MAX_SERIES][96];         /* families in order of their TYPE */
	char type[MAX_SERIES][16];
	int n_fam;
	char series[MAX_SERIES][512];     /* name + raw label text: duplicates */
	int n_series;
	char why[256];
	int bad_line;
};

static bool name_ok(const char *s, size_t n, bool label)
{
	if (!n)
		return false;
	for (size_t i = 0; i < n; i++) {
		char c = s[i];
		bool ok = isalpha((unsigned char)c) || c == '_' || (!label && c == ':') ||
		          (i && isdigit((unsigned char)c));
		if (!ok || (c & 0x80))
			return false;
	}
	return true;
}

/* valid UTF-8 throughout (RFC 3629), no control bytes but the line feeds */
static bool utf8_ok(const char *s, size_t n)
{
	const unsigned char *p = (const unsigned char *)s;
	for (size_t i = 0; i < n;) {
		unsigned char c = p[i];
		int len = c < 0x80 ? 1 : c >= 0xc2 && c <= 0xdf ? 2 : c >= 0xe0 && c <= 0xef ? 3
		        : c >= 0xf0 && c <= 0xf4 ? 4 : 0;
		if (!len || i + (size_t)len > n || (c < 0x20 && c != '\n') || c == 0x7f)
			return false;
		for (int k = 1; k < len; k++)
			if ((p[i + k] & 0xc0) != 0x80)
				return false;
		i += (size_t)len;
	}
	return true;
}

static int fail(struct parsed *r, int line, const char *why)
{
	snprintf(r->why, sizeof(r->why), "%s", why);
	r->bad_line = line;
	return -1;
}

/* the family a sample name belongs to: itself (counter and gauge only) */
static int family_of(struct parsed *r, const char *name, size_t n)
{
	for (int i = 0; i < r->n_fam; i++)
		if (strlen(r->fam[i]) == n && memcmp(r->fam[i], name, n) == 0)
			return i;
	return -1;
}

static int parse(const char *text, size_t len, struct parsed *r)
{
	memset(r, 0, sizeof(*r));
	if (!utf8_ok(text, len))
		return fail(r, 0, "not UTF-8 or a control byte");
	if (!len || text[len - 1] != '\n')
		return fail(r, 0, "does not end with a line feed");
	int line = 0, cur = -1;
	for (const char *p = text; p < text + len; line++) {
		const char *eol = memchr(p, '\n', (size_t)(text + len - p));
		size_t n = (size_t)(eol - p);
		char l[2048];
		if (n >= sizeof(l))
			return fail(r, line, "line too long");
		memcpy(l, p, n);
		l[n] = '\0';
		p = eol + 1;
		if (!n)
			return fail(r, line, "empty line");
		if (strncmp(l, "# HELP ", 7) == 0 || strncmp(l, "# TYPE ", 7) == 0) {
			char *name = l + 7, *sp = strchr(name, ' ');
			if (!sp || !name_ok(name, (size_t)(sp - name), false))
				return fail(r, line, "bad metric name in a comment");
			*sp = '\0';
			const char *rest = sp + 1;
			int f = family_of(r, name, strlen(name));
			if (l[2] == 'H') {
				/* the docstring escapes only \\ and \n */
				for (const char *q = rest; *q; q++)
					if (*q == '\\' && q[1] != '\\' && q[1] != 'n')
						return fail(r, line, "bad escape in HELP");
				if (!*rest)
					return fail(r, line, "empty HELP");
				if (f >= 0)
					return fail(r, line, "HELP after the family's TYPE");
				continue;
			}
			if (strcmp(rest, "counter") && strcmp(rest, "gauge"))
				return fail(r, line, "unexpected TYPE");
			if (f >= 0)
				return fail(r, line, "TYPE twice");
			if (!strcmp(rest, "counter") &&
			    (strlen(name) < 6 || strcmp(name + strlen(name) - 6, "_total")))
				return fail(r, line, "a counter without _total");
			if (r->n_fam == MAX_SERIES || strlen(name) >= sizeof(r->fam[0]) ||
			    strlen(rest) >= sizeof(r->type[0]))
				return fail(r, line, "too many families or a long name");
			memcpy(r->fam[r->n_fam], name, strlen(name) + 1);
			memcpy(r->type[r->n_fam], rest, strlen(rest) + 1);
			cur = r->n_fam++;
			continue;
		}
		if (l[0] == '#')
			return fail(r, line, "other comment");
		/* a sample */
		size_t nl = strcspn(l, "{ ");
		if (!name_ok(l, nl, false))
			return fail(r, line, "bad sample name");
		if (family_of(r, l, nl) != cur || cur < 0)
			return fail(r, line, "sample outside its family (or before its TYPE)");
		const char *q = l + nl;
		if (*q == '{') {
			q++;
			for (bool first = true; *q != '}'; first = false) {
				if (!first && *q++ != ',')
					return fail(r, line, "labels not separated by ','");
				size_t ln = strcspn(q, "=");
				if (!name_ok(q, ln, true) || q[ln] != '=' || q[ln + 1] != '"')
					return fail(r, line, "bad label name");
				q += ln + 2;
				while (*q != '"') {
					if (!*q)
						return fail(r, line, "unterminated label value");
					if (*q == '\\') {
						if (q[1] != '\\' && q[1] != '"' && q[1] != 'n')
							return fail(r, line, "bad escape in a label value");
						q++;
					}
					q++;
				}
				q++;
			}
			q++;
		}
		if (*q != ' ')
			return fail(r, line, "no space before the value");
		char *end;
		strtod(q + 1, &end);
		if (end == q + 1 || *end)
			return fail(r, line, "value is not a number (or a timestamp follows)");
		size_t key = (size_t)(q - l);
		for (int i = 0; i < r->n_series; i++)
			if (strlen(r->series[i]) == key && !memcmp(r->series[i], l, key))
				return fail(r, line, "series twice");
		if (r->n_series == MAX_SERIES || key >= sizeof(r->series[0]))
			return fail(r, line, "too many series");
		memcpy(r->series[r->n_series], l, key);
		r->series[r->n_series++][key] = '\0';
	}
	return 0;
}

/* the value of one series ("name{...}" exactly as written), -1 when absent */
static double value_of(const char *text, const char *series)
{
	size_t n = strlen(series);
	for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, series, n) && p[n] == ' ')
			return strtod(p + n + 1, NULL);
	return -1;
}

/* ---- tests ---- */

static void test_esc_prom(void)
{
	char out[256];
	struct { const char *in, *want, *what; } v[] = {
		{ "alice", "alice", "plain" },
		{ "a\"b\\c\nd", "a\\\"b\\\\c\\nd", "quote, backslash, line feed" },
		{ "Jos\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80", "Jos\xc3\xa9 \xe6\x97\xa5 \xf0\x9f\x98\x80",
		  "UTF-8 kept" },
		{ "x\x1b[31m\ry\x7f", "x\\\\x1b[31m\\\\x0dy\\\\x7f", "ESC CR DEL as \\xNN" },
		{ "\xff\xfe", "\\\\xff\\\\xfe", "bytes that are not UTF-8" },
		{ "\xc3", "\\\\xc3", "a cut UTF-8 sequence" },
		{ "\xc0\xaf", "\\\\xc0\\\\xaf", "an overlong form" },
		{ "\xed\xa0\x80", "\\\\xed\\\\xa0\\\\x80", "an encoded surrogate" },
		{ "a\xc2\x9b" "1m", "a\\\\xc2\\\\x9b1m", "C1 CSI" },
		{ "\xe2\x80\xae" "gpj", "\\\\xe2\\\\x80\\\\xaegpj", "right-to-left override" },
		{ "\xe2\x80\xa8", "\\\\xe2\\\\x80\\\\xa8", "line separator" },
	};
	for (size_t i = 0; i < sizeof(v) / sizeof(v[0]); i++) {
		size_t n = esc_prom(v[i].in, out, sizeof(out));
		char name[96];
		snprintf(name, sizeof(name), "esc_prom: %s", v[i].what);
		CHECK(name, strcmp(out, v[i].want) == 0 && n == strlen(out));
	}
	/* never a cut escape or UTF-8 sequence */
	esc_prom("ab\xc3\xa9", out, 4);
	CHECK("esc_prom: truncation keeps whole sequences", strcmp(out, "ab") == 0);
	esc_prom("a\"", out, 3);
	CHECK("esc_prom: truncation keeps whole escapes", strcmp(out, "a") == 0);
	CHECK("esc_prom: size query", esc_prom("\xff", NULL, 0) == 5);
}

static struct ike_sa *session(const char *ip, uint8_t tag, const char *user)
{
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(4500) };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(4500) };
	inet_pton(AF_INET, ip, &peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
	uint8_t spi_i[8] = { 1, 2, 3, 4, 5, 6, 7, tag };
	struct ike_sa *sa = ike_sa_new(&d, spi_i, (struct sockaddr *)&peer, sizeof(peer),
	                               (struct sockaddr *)&local, sizeof(local));
	if (sa) {
		snprintf(sa->user, sizeof(sa->user), "%s", user);
		ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	}
	return sa;
}

static void test_render(void)
{
	struct metrics_buf m = { 0 };
	struct parsed *r = calloc(1, sizeof(*r));
	CHECK("render: empty daemon", metrics_render(&d, &m) == 0 && m.buf && m.len == strlen(m.buf));
	int rc = parse(m.buf, m.len, r);
	if (rc)
		printf("# line %d: %s\n", r->bad_line, r->why);
	CHECK("render: empty daemon parses", rc == 0);
	CHECK("render: build info", strstr(m.buf, "cygnet_build_info{version=\"") != NULL);
	CHECK("render: no user series yet", !strstr(m.buf, "cygnet_user_sessions{"));
	CHECK("render: the pool", value_of(m.buf, "cygnet_pool_addresses{pool=\"198.19.0.1-198.19.0.254\"}")
	      == 254);
	metrics_buf_free(&m);

	/* hostile names, and two that print alike (byte 0xff, text \xff) */
	const char *names[] = { "a\"b\\c\nd", "Jos\xc3\xa9", "\x1b]0;pwned\x07", "x\xff", "x\\xff",
	                        "\xe2\x80\xae" "fdp.exe", "eve", "eve" };
	int n = 0;
	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++)
		n += session("198.18.5.1", (uint8_t)i, names[i]) != NULL;
	CHECK("render: sessions made", n == 8);
	d.n_failed[FAIL_AUTH] = 3;
	d.n_established = 8;
	CHECK("render: with users", metrics_render(&d, &m) == 0);
	rc = parse(m.buf, m.len, r);
	if (rc)
		printf("# line %d: %s\n", r->bad_line, r->why);
	CHECK("render: hostile names parse", rc == 0);
	CHECK("render: quote, backslash, newline escaped",
	      value_of(m.buf, "cygnet_user_sessions{user=\"a\\\"b\\\\c\\nd\"}") == 1);
	CHECK("render: UTF-8 name kept", value_of(m.buf, "cygnet_user_sessions{user=\"Jos\xc3\xa9\"}")
	      == 1);
	CHECK("render: control bytes as text",
	      value_of(m.buf, "cygnet_user_sessions{user=\"\\\\x1b]0;pwned\\\\x07\"}") == 1);
	CHECK("render: names that print alike are one series",
	      value_of(m.buf, "cygnet_user_sessions{user=\"x\\\\xff\"}") == 2);
	CHECK("render: a user's sessions add up", value_of(m.buf, "cygnet_user_sessions{user=\"eve\"}")
	      == 2);
	CHECK("render: bidi override escaped",
	      value_of(m.buf, "cygnet_user_sessions{user=\"\\\\xe2\\\\x80\\\\xaefdp.exe\"}") == 1);
	CHECK("render: byte counters per user",
	      value_of(m.buf, "cygnet_user_receive_bytes_total{user=\"eve\"}") == 0);
	CHECK("render: IKE_SAs by state",
	      value_of(m.buf, "cygnet_ike_sas{state=\"established\"}") == 8 &&
	      value_of(m.buf, "cygnet_ike_sas{state=\"new\"}") == 0);
	CHECK("render: failures by reason",
	      value_of(m.buf, "cygnet_ike_sa_failed_total{reason=\"auth\"}") == 3 &&
	      value_of(m.buf, "cygnet_ike_sa_failed_total{reason=\"no_proposal\"}") == 0 &&
	      value_of(m.buf, "cygnet_ike_sa_established_total") == 8);
	CHECK("render: drops by reason",
	      value_of(m.buf, "cygnet_esp_dropped_packets_total{reason=\"replay\"}") == 0 &&
	      value_of(m.buf, "cygnet_esp_dropped_packets_total{reason=\"unknown_spi\"}") == 0);
	CHECK("render: counters are typed counter", strstr(m.buf,
	      "# TYPE cygnet_user_receive_bytes_total counter\n") != NULL);
	metrics_buf_free(&m);

	/* the checker itself refuses what Prometheus refuses */
	const char *bad[] = {
		"# TYPE a gauge\na{u=\"\\x\"} 1\n",            /* unknown escape */
		"# TYPE a gauge\na{u=\"x\"} 1\na{u=\"x\"} 2\n", /* series twice */
		"# TYPE a counter\na 1\n",                       /* counter without _total */
		"a 1\n",                                         /* no TYPE */
		"# TYPE a gauge\na{u=\"\x1b\"} 1\n",            /* raw control byte */
		"# TYPE a gauge\na{u=\"\xff\"} 1\n",            /* not UTF-8 */
		"# TYPE a gauge\na 1\n# TYPE b gauge\nb 1\na 2\n", /* family split */
	};
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		char name[64];
		snprintf(name, sizeof(name), "checker refuses bad text %zu", i);
		CHECK(name, parse(bad[i], strlen(bad[i]), r) != 0);
	}
	free(r);
}

/* config setup metrics=: ADDRESS:PORT or [IPv6]:PORT, errors at file:line */
static void test_conf(void)
{
	const char *good[] = { "127.0.0.1:9813", "[::1]:9813", "0.0.0.0:1", "[2001:db8::1]:65535" };
	const char *bad[] = { "127.0.0.1", "127.0.0.1:0", "127.0.0.1:65536", "::1:9813",
	                      "[127.0.0.1]:80", "localhost:9813", "[::1]9813", "1.2.3.4:-1",
	                      "1.2.3.4:+80", "1.2.3.4:80x", "[::1:80" };
	char text[256], err[512];
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++) {
		snprintf(text, sizeof(text), "config setup\n\tmetrics=%s\n", good[i]);
		struct ipsec_conf *c = ipsec_conf_parse("t.conf", text, err, sizeof(err));
		char name[96];
		snprintf(name, sizeof(name), "conf: metrics=%s", good[i]);
		CHECK(name, c && c->metrics.family && c->metrics_port);
		ipsec_conf_free(c);
	}
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		snprintf(text, sizeof(text), "config setup\n\tmetrics=%s\n", bad[i]);
		struct ipsec_conf *c = ipsec_conf_parse("t.conf", text, err, sizeof(err));
		char name[96];
		snprintf(name, sizeof(name), "conf: metrics=%s refused at file:line", bad[i]);
		CHECK(name, !c && strncmp(err, "t.conf:2: metrics:", 18) == 0);
		ipsec_conf_free(c);
	}
	struct ipsec_conf *c = ipsec_conf_parse("t.conf", "config setup\n\tuniqueids=yes\n", err,
	                                        sizeof(err));
	CHECK("conf: no metrics= is no listener", c && !c->metrics.family);
	ipsec_conf_free(c);
	c = ipsec_conf_parse("t.conf", "config setup\n\tmetrics=[::1]:9813\n", err, sizeof(err));
	CHECK("conf: IPv6 address and port", c && c->metrics.family == AF_INET6 &&
	      c->metrics_port == 9813 && c->metrics.addr[15] == 1);
	ipsec_conf_free(c);
}

int main(void)
{
	log_set_level(-1, -1);
	test_esc_prom();
	test_conf();
	char dir[32];
	CHECK("daemon context", testd_open(&d, dir, "198.18.0.1") == 0);
	if (d.cfg && d.base && d.dp)
		test_render();
	testd_close(&d, dir);
	CHECK_DONE();
}
