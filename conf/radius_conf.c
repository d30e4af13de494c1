/* strongswan.conf's eap-radius section (conf/radius_conf.h). */
#include "conf/radius_conf.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>

#include "conf/conf_files.h"
#include "conf/conf_util.h"
#include "conf/conf_values.h"
#include "conf/swanctl_lex.h"

#define SECTION "charon.plugins.eap-radius"

struct rx {
	struct radius_conf *c;
	struct sw_tree *t;
	char *err;
	size_t errlen;
};

static int warn(struct rx *x, const struct sw_node *n, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static int warn(struct rx *x, const struct sw_node *n, const char *fmt, ...)
{
	char msg[512];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	return sw_warn(x->t, n->file, n->line, "%s", msg);
}

static int fail(struct rx *x, const struct sw_node *n, const char *path, const char *why)
{
	conf_errf(x->err, x->errlen, n->file, n->line, "%s.%s: %s", path, n->name, why);
	return -1;
}

/* a section's own problem: "file:line: path: what" */
static int missing(struct rx *x, const struct sw_node *sec, const char *path, const char *what)
{
	conf_errf(x->err, x->errlen, sec->file, sec->line, "%s: %s", path, what);
	return -1;
}

/* "2", "2.0", "1.4", "0.25": thousandths, at most 3 decimals */
static int milli(const char *v, uint32_t *out)
{
	uint64_t n = 0;
	int dec = -1;
	if (!*v)
		return -1;
	for (const char *p = v; *p; p++) {
		if (*p == '.' && dec < 0) {
			dec = 0;
			continue;
		}
		if (*p < '0' || *p > '9' || dec == 3)
			return -1;
		n = n * 10 + (uint64_t)(*p - '0');
		if (dec >= 0)
			dec++;
		if (n > 100000000)
			return -1;
	}
	for (int i = dec < 0 ? 0 : dec; i < 3; i++)
		n *= 10;
	*out = (uint32_t)n;
	return 0;
}

static int need_value(struct rx *x, const struct sw_node *n, const char *path)
{
	return n->value ? 0 : fail(x, n, path, "a section where a value is expected");
}

static int get_bool(struct rx *x, const struct sw_node *n, const char *path, bool *out)
{
	char why[128];
	if (need_value(x, n, path) != 0)
		return -1;
	return cv_bool(n->value, out, why, sizeof(why)) == 0 ? 0 : fail(x, n, path, why);
}

static int get_uint(struct rx *x, const struct sw_node *n, const char *path, uint32_t lo,
                    uint32_t hi, uint32_t *out)
{
	char why[128];
	if (need_value(x, n, path) != 0)
		return -1;
	if (cv_uint(n->value, out, why, sizeof(why)) != 0)
		return fail(x, n, path, why);
	if (*out < lo || *out > hi) {
		snprintf(why, sizeof(why), "%u is not in %u..%u", *out, lo, hi);
		return fail(x, n, path, why);
	}
	return 0;
}

static int get_port(struct rx *x, const struct sw_node *n, const char *path, uint16_t *out)
{
	uint32_t v;
	if (get_uint(x, n, path, 1, 65535, &v) != 0)
		return -1;
	*out = (uint16_t)v;
	return 0;
}

static int get_str(struct rx *x, const struct sw_node *n, const char *path, char *out,
                   size_t cap, bool nonempty)
{
	if (need_value(x, n, path) != 0)
		return -1;
	size_t len = strlen(n->value);
	if (len >= cap)
		return fail(x, n, path, "too long");
	if (nonempty && !len)
		return fail(x, n, path, "empty");
	memcpy(out, n->value, len + 1);
	return 0;
}

static int get_secret(struct rx *x, const struct sw_node *n, const char *path, char *out,
                      size_t *len)
{
	if (get_str(x, n, path, out, RADIUS_SECRET_MAX + 1, true) != 0)
		return -1;
	*len = strlen(out);
	return 0;
}

enum { RT_NONE, RT_TIMEOUT, RT_BASE, RT_TRIES };

/* retransmit_timeout, retransmit_base, retransmit_tries: which one n was
 * (RT_NONE: another key), or -1 */
static int retransmit_key(struct rx *x, const struct sw_node *n, const char *path,
                          struct radius_retransmit *rt)
{
	uint32_t v;
	if (strcmp(n->name, "retransmit_tries") == 0)
		return get_uint(x, n, path, 1, 20, &rt->tries) == 0 ? RT_TRIES : -1;
	bool base = strcmp(n->name, "retransmit_base") == 0;
	if (!base && strcmp(n->name, "retransmit_timeout") != 0)
		return RT_NONE;
	if (need_value(x, n, path) != 0)
		return -1;
	if (milli(n->value, &v) != 0)
		return fail(x, n, path, "expected a number such as 2 or 1.4");
	if (base ? v < 1000 || v > 10000 : v < 100 || v > 600000)
		return fail(x, n, path, base ? "not in 1..10" : "not in 0.1..600 seconds");
	if (base)
		rt->base_milli = v;
	else
		rt->timeout_ms = v;
	return base ? RT_BASE : RT_TIMEOUT;
}

/* what a server section said itself (the rest comes from the section) */
struct said {
	bool port, nas, rt[4];
};

/* one section of servers { } */
static int server(struct rx *x, const struct sw_node *sec, const char *path, struct said *said)
{
	struct radius_conf *c = x->c;
	if (c->n_servers == RADIUS_MAX_SERVERS)
		return fail(x, sec, path, "too many servers");
	struct radius_server_conf *s = &c->servers[c->n_servers];
	memset(s, 0, sizeof(*s));
	snprintf(s->name, sizeof(s->name), "%s", sec->name);
	snprintf(s->where, sizeof(s->where), "%s:%d", sec->file, sec->line);
	s->auth_port = 1812;
	s->acct_port = 1813;
	s->sockets = 1;
	char sub[160];
	snprintf(sub, sizeof(sub), "%s.%s", path, sec->name);
	bool have_addr = false, have_secret = false, have_auth = false;
	memset(said, 0, sizeof(*said));
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *n = &sec->kids[i];
		int r = retransmit_key(x, n, sub, &s->rt);
		if (r < 0)
			return -1;
		if (r != RT_NONE) {
			said->rt[r] = true;
			continue;
		}
		if (strcmp(n->name, "address") == 0) {
			r = get_str(x, n, sub, s->address, sizeof(s->address), true);
			have_addr = true;
		} else if (strcmp(n->name, "secret") == 0) {
			r = get_secret(x, n, sub, s->secret, &s->secret_len);
			have_secret = true;
		} else if (strcmp(n->name, "auth_port") == 0) {
			r = get_port(x, n, sub, &s->auth_port);
			have_auth = true;
		} else if (strcmp(n->name, "port") == 0) {
			/* strongSwan's older name; auth_port wins */
			r = have_auth || sw_find(sec, "auth_port") ? 0 : get_port(x, n, sub, &s->auth_port);
			have_auth = true;
		} else if (strcmp(n->name, "acct_port") == 0) {
			r = get_port(x, n, sub, &s->acct_port);
		} else if (strcmp(n->name, "nas_identifier") == 0) {
			r = get_str(x, n, sub, s->nas_identifier, sizeof(s->nas_identifier), true);
			said->nas = true;
		} else if (strcmp(n->name, "preference") == 0) {
			uint32_t v;
			r = get_uint(x, n, sub, 0, 1000000, &v);
			s->preference = (int)v;
		} else if (strcmp(n->name, "sockets") == 0) {
			r = get_uint(x, n, sub, 1, 64, &s->sockets);
		} else {
			r = warn(x, n, "%s.%s: unknown setting, ignored", sub, n->name);
		}
		if (r < 0)
			return -1;
	}
	said->port = have_auth;
	if (!have_addr || !have_secret)
		return missing(x, sec, sub, have_addr ? "secret is missing" : "address is missing");
	c->n_servers++;
	return 0;
}

int radius_prefix_parse(const char *text, struct radius_prefix *p, char *why, size_t whylen)
{
	char addr[INET6_ADDRSTRLEN + 1];
	const char *slash = strchr(text, '/');
	size_t alen = slash ? (size_t)(slash - text) : strlen(text);
	memset(p, 0, sizeof(*p));
	if (alen == 0 || alen >= sizeof(addr)) {
		snprintf(why, whylen, "'%.64s' is not an address or prefix", text);
		return -1;
	}
	memcpy(addr, text, alen);
	addr[alen] = '\0';
	unsigned max;
	if (inet_pton(AF_INET, addr, p->addr) == 1) {
		p->family = AF_INET;
		max = 32;
	} else if (inet_pton(AF_INET6, addr, p->addr) == 1) {
		p->family = AF_INET6;
		max = 128;
	} else {
		snprintf(why, whylen, "'%.64s' is not an IP address", addr);
		return -1;
	}
	unsigned len = max;
	if (slash) {
		const char *d = slash + 1;
		len = 0;
		if (!*d || strlen(d) > 3) {
			snprintf(why, whylen, "'%.64s': the prefix length is not a number", text);
			return -1;
		}
		for (; *d; d++) {
			if (*d < '0' || *d > '9') {
				snprintf(why, whylen, "'%.64s': the prefix length is not a number", text);
				return -1;
			}
			len = len * 10 + (unsigned)(*d - '0');
		}
		if (len > max) {
			snprintf(why, whylen, "'%.64s': a prefix length above %u", text, max);
			return -1;
		}
	}
	p->len = (uint8_t)len;
	for (unsigned bit = len; bit < max; bit++)
		if (p->addr[bit / 8] & (0x80u >> (bit % 8))) {
			snprintf(why, whylen, "'%.64s' has address bits set beyond /%u", text, len);
			return -1;
		}
	/* an IPv4-mapped address (::ffff:a.b.c.d) is the IPv4 address it
	 * maps: peers are matched that way */
	static const uint8_t mapped[12] = { 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff };
	if (p->family == AF_INET6 && len >= 96 && memcmp(p->addr, mapped, sizeof(mapped)) == 0) {
		memmove(p->addr, p->addr + 12, 4);
		memset(p->addr + 4, 0, 12);
		p->family = AF_INET;
		p->len = (uint8_t)(len - 96);
	}
	return 0;
}

bool radius_prefix_match(const struct radius_prefix *p, int family, const uint8_t *a)
{
	if (p->family != family)
		return false;
	unsigned full = p->len / 8u, rest = p->len % 8u;
	if (memcmp(p->addr, a, full) != 0)
		return false;
	if (!rest)
		return true;
	uint8_t mask = (uint8_t)(0xff00u >> rest);
	return (a[full] & mask) == p->addr[full];
}

/* dae.clients: "198.18.2.10, 2001:db8:2::/64" (commas and/or spaces) */
static int dae_clients(struct rx *x, const struct sw_node *n, const char *path)
{
	struct radius_conf *c = x->c;
	char why[160];
	if (need_value(x, n, path) != 0)
		return -1;
	c->dae.n_clients = 0;
	for (const char *s = n->value; *s;) {
		size_t skip = strspn(s, ", \t");
		s += skip;
		if (!*s)
			break;
		size_t len = strcspn(s, ", \t");
		char item[INET6_ADDRSTRLEN + 8];
		if (len >= sizeof(item))
			return fail(x, n, path, "an entry too long for an address or prefix");
		memcpy(item, s, len);
		item[len] = '\0';
		s += len;
		if (c->dae.n_clients == RADIUS_DAE_CLIENTS_MAX) {
			snprintf(why, sizeof(why), "more than %d addresses and prefixes",
			         RADIUS_DAE_CLIENTS_MAX);
			return fail(x, n, path, why);
		}
		if (radius_prefix_parse(item, &c->dae.clients[c->dae.n_clients], why,
		                        sizeof(why)) != 0)
			return fail(x, n, path, why);
		c->dae.n_clients++;
	}
	if (!c->dae.n_clients)
		return fail(x, n, path, "empty (leave clients out to accept any address that has "
		            "the secret)");
	return 0;
}

static int dae(struct rx *x, const struct sw_node *sec, const char *path)
{
	struct radius_conf *c = x->c;
	char sub[160];
	bool have_secret = false;
	snprintf(sub, sizeof(sub), "%s.dae", path);
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *n = &sec->kids[i];
		int r;
		if (strcmp(n->name, "enable") == 0) {
			r = get_bool(x, n, sub, &c->dae.enable);
		} else if (strcmp(n->name, "listen") == 0) {
			r = get_str(x, n, sub, c->dae.listen, sizeof(c->dae.listen), true);
			uint8_t a[16];
			if (r == 0 && strcmp(c->dae.listen, "%any") != 0 &&
			    strcmp(c->dae.listen, "%any6") != 0 &&
			    inet_pton(AF_INET, c->dae.listen, a) != 1 &&
			    inet_pton(AF_INET6, c->dae.listen, a) != 1)
				r = fail(x, n, sub, "not an IP address (nor %any, %any6)");
		} else if (strcmp(n->name, "port") == 0) {
			r = get_port(x, n, sub, &c->dae.port);
		} else if (strcmp(n->name, "secret") == 0) {
			r = get_secret(x, n, sub, c->dae.secret, &c->dae.secret_len);
			have_secret = true;
		} else if (strcmp(n->name, "clients") == 0) {
			r = dae_clients(x, n, sub);
		} else if (strcmp(n->name, "require_event_timestamp") == 0) {
			r = get_bool(x, n, sub, &c->dae.require_timestamp);
		} else {
			r = warn(x, n, "%s.%s: unknown setting, ignored", sub, n->name);
		}
		if (r < 0)
			return -1;
	}
	if (c->dae.enable && !have_secret)
		return missing(x, sec, sub, "enable = yes needs a secret");
	return 0;
}

/* the single-server keys and the section-level fallbacks */
struct top {
	const struct sw_node *servers, *server, *secret, *port;
	bool load;
};

/* one key of the eap-radius section */
static int top_key(struct rx *x, const struct sw_node *n, struct top *tp)
{
	struct radius_conf *c = x->c;
	const char *path = SECTION, *k = n->name;
	uint32_t v;
	char why[128];
	static const struct { const char *name; size_t off; } flags[] = {
		{ "accounting", offsetof(struct radius_conf, accounting) },
		{ "accounting_requires_vip", offsetof(struct radius_conf, accounting_requires_vip) },
		{ "accounting_send_class", offsetof(struct radius_conf, accounting_send_class) },
		{ "accounting_close_on_timeout",
		  offsetof(struct radius_conf, accounting_close_on_timeout) },
		{ "station_id_with_port", offsetof(struct radius_conf, station_id_with_port) },
		{ "eap_start", offsetof(struct radius_conf, eap_start) },
		{ "close_all_on_timeout", offsetof(struct radius_conf, close_all_on_timeout) },
		{ "class_group", offsetof(struct radius_conf, class_group) },
		{ "filter_id", offsetof(struct radius_conf, filter_id) },
		{ "trust_user_name", offsetof(struct radius_conf, trust_user_name) },
	};
	for (size_t i = 0; i < sizeof(flags) / sizeof(flags[0]); i++)
		if (strcmp(k, flags[i].name) == 0) {
			if (flags[i].off == offsetof(struct radius_conf, accounting_close_on_timeout))
				c->accounting_close_on_timeout_set = true;
			return get_bool(x, n, path, (bool *)((char *)c + flags[i].off));
		}
	if (strcmp(k, "servers") == 0 || strcmp(k, "dae") == 0) {
		if (n->value)
			return fail(x, n, path, "must be a section");
		if (k[0] == 'd')
			return dae(x, n, path);
		tp->servers = n;
		return 0;
	}
	const struct sw_node **single = strcmp(k, "server") == 0 ? &tp->server
	                              : strcmp(k, "secret") == 0 ? &tp->secret
	                              : strcmp(k, "port") == 0 ? &tp->port : NULL;
	if (single) {
		if (need_value(x, n, path) != 0)
			return -1;
		*single = n;
		return 0;
	}
	if (strcmp(k, "nas_identifier") == 0)
		return get_str(x, n, path, c->nas_identifier, sizeof(c->nas_identifier), true);
	if (strcmp(k, "id_prefix") == 0)
		return get_str(x, n, path, c->id_prefix, sizeof(c->id_prefix), false);
	if (strcmp(k, "accounting_interval") == 0) {
		if (need_value(x, n, path) != 0)
			return -1;
		if (cv_duration(n->value, &c->accounting_interval, why, sizeof(why)) != 0)
			return fail(x, n, path, why);
		return 0;
	}
	if (strcmp(k, "sockets") == 0)     /* per server; the section's is their default */
		return get_uint(x, n, path, 1, 64, &v);
	if (strcmp(k, "load") == 0) {
		/* yes, no, or a plugin priority (a number: loaded) */
		bool b;
		if (need_value(x, n, path) != 0)
			return -1;
		if (cv_bool(n->value, &b, why, sizeof(why)) == 0)
			tp->load = b;
		else if (cv_uint(n->value, &v, why, sizeof(why)) != 0)
			return fail(x, n, path, "expected yes, no or a priority");
		return 0;
	}
	if (strcmp(k, "xauth") == 0 || strcmp(k, "forward") == 0)
		return warn(x, n, "%s.%s: not implemented in cygnet, ignored", path, k);
	return warn(x, n, "%s.%s: unknown setting, ignored", path, k);
}

/* a servers { } section: each server, with the section's values where it
 * says nothing */
static int servers(struct rx *x, const struct top *tp)
{
	struct radius_conf *c = x->c;
	const char *path = SECTION ".servers";
	for (int i = 0; i < tp->servers->n_kids; i++) {
		const struct sw_node *n = &tp->servers->kids[i];
		struct said said;
		if (n->value)
			return fail(x, n, path, "servers holds sections, one per server");
		if (server(x, n, path, &said) != 0)
			return -1;
		struct radius_server_conf *s = &c->servers[c->n_servers - 1];
		if (!said.port && tp->port && get_port(x, tp->port, SECTION, &s->auth_port) != 0)
			return -1;
		if (!said.nas)
			memcpy(s->nas_identifier, c->nas_identifier, sizeof(s->nas_identifier));
		if (!said.rt[RT_TIMEOUT])
			s->rt.timeout_ms = c->rt.timeout_ms;
		if (!said.rt[RT_BASE])
			s->rt.base_milli = c->rt.base_milli;
		if (!said.rt[RT_TRIES])
			s->rt.tries = c->rt.tries;
	}
	return 0;
}

/* server = and secret = (and port =): the one server */
static int one_server(struct rx *x, const struct top *tp)
{
	struct radius_conf *c = x->c;
	const char *path = SECTION;
	struct radius_server_conf *s = &c->servers[0];
	if (!tp->secret)
		return fail(x, tp->server, path, "no secret = for it");
	memset(s, 0, sizeof(*s));
	snprintf(s->where, sizeof(s->where), "%s:%d", tp->server->file, tp->server->line);
	if (get_str(x, tp->server, path, s->address, sizeof(s->address), true) != 0 ||
	    get_secret(x, tp->secret, path, s->secret, &s->secret_len) != 0)
		return -1;
	s->auth_port = 1812;
	s->acct_port = 1813;
	s->sockets = 1;
	if (tp->port && get_port(x, tp->port, path, &s->auth_port) != 0)
		return -1;
	memcpy(s->nas_identifier, c->nas_identifier, sizeof(s->nas_identifier));
	s->rt = c->rt;
	c->n_servers = 1;
	return 0;
}

static int section(struct rx *x, const struct sw_node *sec)
{
	struct radius_conf *c = x->c;
	struct top tp = { .load = true };
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *n = &sec->kids[i];
		int r = retransmit_key(x, n, SECTION, &c->rt);
		if (r == RT_NONE)
			r = top_key(x, n, &tp);
		if (r < 0)
			return -1;
	}
	if (!tp.load)
		return warn(x, sec, "%s: load = no: RADIUS is off", SECTION);
	if (tp.servers) {
		if (servers(x, &tp) != 0)
			return -1;
		if (tp.server)
			warn(x, tp.server, "%s.server: ignored, the servers section names the servers",
			     SECTION);
	} else if (tp.server) {
		if (one_server(x, &tp) != 0)
			return -1;
	}
	if (!c->n_servers)
		warn(x, sec, "%s: no server (server = or servers { }): RADIUS is off", SECTION);
	c->enabled = c->n_servers > 0;
	return 0;
}

/* "one line naming them" for every section besides eap-radius */
static void ignored(struct rx *x, const struct sw_node *sec, const char *path, int depth)
{
	for (int i = 0; i < sec->n_kids; i++) {
		const struct sw_node *n = &sec->kids[i];
		char sub[256];
		snprintf(sub, sizeof(sub), "%s%s%s", path, *path ? "." : "", n->name);
		bool lead = (depth == 0 && strcmp(n->name, "charon") == 0) ||
		            (depth == 1 && strcmp(n->name, "plugins") == 0);
		if (!n->value && lead) {
			ignored(x, n, sub, depth + 1);
			continue;
		}
		if (depth == 2 && strcmp(n->name, "eap-radius") == 0)
			continue;
		warn(x, n, "%s: ignored (cygnet reads only " SECTION " from this file)", sub);
	}
}

static void defaults(struct radius_conf *c)
{
	memset(c, 0, sizeof(*c));
	snprintf(c->nas_identifier, sizeof(c->nas_identifier), "strongSwan");
	c->rt = (struct radius_retransmit){ .timeout_ms = 2000, .base_milli = 1400, .tries = 4 };
	c->accounting_close_on_timeout = true;
	c->station_id_with_port = true;
	snprintf(c->dae.listen, sizeof(c->dae.listen), "0.0.0.0");
	c->dae.port = 3799;
}

static int run(struct sw_tree *t, struct radius_conf *c, char *err, size_t errlen)
{
	struct rx x = { c, t, err, errlen };
	const struct sw_node *ch = sw_find(&t->root, "charon");
	const struct sw_node *pl = ch && !ch->value ? sw_find(ch, "plugins") : NULL;
	const struct sw_node *sec = pl && !pl->value ? sw_find(pl, "eap-radius") : NULL;
	int rc = 0;
	ignored(&x, &t->root, "", 0);
	if (sec && sec->value)
		rc = fail(&x, sec, "charon.plugins", "must be a section");
	else if (sec)
		rc = section(&x, sec);
	for (int i = 0; rc == 0 && i < t->n_warnings; i++)
		if (conf_strv_add(&c->warnings, &c->n_warnings, t->warnings[i]) < 0) {
			snprintf(err, errlen, "out of memory");
			rc = -1;
		}
	sw_tree_free(t);
	return rc;
}

int radius_conf_parse(const char *name, const char *text, struct radius_conf *c, char *err,
                      size_t errlen)
{
	struct sw_tree t = { 0 };
	defaults(c);
	if (sw_lex_text(&t, name, text, err, errlen) != 0) {
		sw_tree_free(&t);
		return -1;
	}
	return run(&t, c, err, errlen);
}

int radius_conf_load(const char *dir, struct radius_conf *c, char *err, size_t errlen)
{
	char path[4096], why[256];
	size_t len = 0;
	defaults(c);
	snprintf(path, sizeof(path), "%s/strongswan.conf", dir);
	/* through conf_files: a reload reads the helper's snapshot */
	char *text = conf_read_file(path, &len, why, sizeof(why));
	if (!text) {
		if (strcmp(why, strerror(ENOENT)) == 0)
			return 0;
		snprintf(err, errlen, "%s: %s", path, why);
		return -1;
	}
	int rc = radius_conf_parse(path, text, c, err, errlen);
	OPENSSL_cleanse(text, len);
	free(text);
	return rc;
}

void radius_conf_free(struct radius_conf *c)
{
	for (int i = 0; i < RADIUS_MAX_SERVERS; i++)
		OPENSSL_cleanse(c->servers[i].secret, sizeof(c->servers[i].secret));
	OPENSSL_cleanse(c->dae.secret, sizeof(c->dae.secret));
	conf_strv_free(c->warnings, c->n_warnings);
	c->warnings = NULL;
	c->n_warnings = 0;
}
