/* Parsers for single ipsec.conf values. */
#include "conf/conf_values.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "conf/conf_util.h"

#define ELEM_MAX 128   /* longest list element we look at */

int cv_bool(const char *v, bool *out, char *why, size_t whylen)
{
	if (strcmp(v, "yes") == 0) {
		*out = true;
		return 0;
	}
	if (strcmp(v, "no") == 0) {
		*out = false;
		return 0;
	}
	snprintf(why, whylen, "expected yes or no");
	return -1;
}

/* digits only, no sign, no overflow; *end gets the first non-digit */
static int parse_u64(const char *v, uint64_t max, uint64_t *out, const char **end)
{
	uint64_t n = 0;
	const char *p = v;

	if (*p < '0' || *p > '9')
		return -1;
	for (; *p >= '0' && *p <= '9'; p++) {
		n = n * 10 + (uint64_t)(*p - '0');
		if (n > max)
			return -1;
	}
	*out = n;
	*end = p;
	return 0;
}

int cv_uint(const char *v, uint32_t *out, char *why, size_t whylen)
{
	uint64_t n;
	const char *end;

	if (parse_u64(v, UINT32_MAX, &n, &end) < 0 || *end) {
		snprintf(why, whylen, "expected a number");
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

int cv_duration(const char *v, uint32_t *out, char *why, size_t whylen)
{
	uint64_t n, mult = 1;
	const char *end;

	if (parse_u64(v, UINT32_MAX, &n, &end) < 0)
		goto bad;
	switch (*end) {
	case '\0': break;
	case 's': mult = 1; end++; break;
	case 'm': mult = 60; end++; break;
	case 'h': mult = 3600; end++; break;
	case 'd': mult = 86400; end++; break;
	default: goto bad;
	}
	if (*end)
		goto bad;
	if (n * mult > UINT32_MAX) {
		snprintf(why, whylen, "duration too long");
		return -1;
	}
	*out = (uint32_t)(n * mult);
	return 0;
bad:
	snprintf(why, whylen, "expected a duration (number with optional s, m, h or d)");
	return -1;
}

int cv_percent(const char *v, uint32_t *out, char *why, size_t whylen)
{
	uint64_t n;
	const char *end;

	if (parse_u64(v, UINT32_MAX, &n, &end) < 0 || (*end && strcmp(end, "%") != 0)) {
		snprintf(why, whylen, "expected a percentage such as 100%%");
		return -1;
	}
	*out = (uint32_t)n;
	return 0;
}

int conf_parse_addr(const char *s, struct conf_addr *out)
{
	struct conf_addr a;

	if (!s || !out)
		return -1;
	memset(&a, 0, sizeof(a));
	if (strchr(s, ':')) {
		if (inet_pton(AF_INET6, s, a.addr) != 1)
			return -1;
		a.family = AF_INET6;
	} else {
		if (inet_pton(AF_INET, s, a.addr) != 1)
			return -1;
		a.family = AF_INET;
	}
	*out = a;
	return 0;
}

static int addr_bits(int family)
{
	return family == AF_INET ? 32 : 128;
}

typedef int (*elem_fn)(const char *e, void *ctx, char *why, size_t whylen);

/* Calls fn for each element separated by one of seps, whitespace-trimmed.
 * Empty elements are an error. */
static int each_elem_sep(const char *v, const char *seps, elem_fn fn, void *ctx, char *why,
                         size_t whylen)
{
	const char *p = v;

	for (;;) {
		const char *comma = strpbrk(p, seps);
		const char *e = comma ? comma : p + strlen(p);
		const char *s = p;
		char buf[ELEM_MAX];
		char show[CONF_SHOW_LEN];

		while (s < e && (*s == ' ' || *s == '\t'))
			s++;
		while (e > s && (e[-1] == ' ' || e[-1] == '\t'))
			e--;
		if (s == e) {
			snprintf(why, whylen, "empty element in list '%s'",
			         conf_show(v, show, sizeof(show)));
			return -1;
		}
		if ((size_t)(e - s) >= sizeof(buf)) {
			snprintf(why, whylen, "list element too long");
			return -1;
		}
		memcpy(buf, s, (size_t)(e - s));
		buf[e - s] = '\0';
		if (fn(buf, ctx, why, whylen) < 0)
			return -1;
		if (!comma)
			return 0;
		p = comma + 1;
	}
}

/* each comma-separated element */
static int each_elem(const char *v, elem_fn fn, void *ctx, char *why, size_t whylen)
{
	return each_elem_sep(v, ",", fn, ctx, why, whylen);
}

/* "addr/prefix" or "addr" into address + prefix (host bits kept) */
static int parse_cidr(const char *s, struct conf_addr *a, int *prefix, bool *had_prefix,
                      char *why, size_t whylen)
{
	char buf[ELEM_MAX], show[CONF_SHOW_LEN];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);

	*had_prefix = slash != NULL;
	if (strchr(s, ';'))   /* "0.0.0.0/0;::/0" in a guide: strongSwan lists use ',' */
		goto bad;
	if (alen >= sizeof(buf))
		goto bad;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (conf_parse_addr(buf, a) < 0)
		goto bad;
	if (slash) {
		uint64_t n;
		const char *end;
		if (parse_u64(slash + 1, 255, &n, &end) < 0 || *end ||
		    n > (uint64_t)addr_bits(a->family)) {
			snprintf(why, whylen, "bad prefix length in '%s'",
			         conf_show(s, show, sizeof(show)));
			return -1;
		}
		*prefix = (int)n;
	} else {
		*prefix = addr_bits(a->family);
	}
	return 0;
bad:
	if (strchr(s, ';'))
		snprintf(why, whylen, "'%s' is not an address or subnet (separate list elements with ',')",
		         conf_show(s, show, sizeof(show)));
	else
		snprintf(why, whylen, "'%s' is not an address or subnet",
		         conf_show(s, show, sizeof(show)));
	return -1;
}

static void mask_host(uint8_t *addr, int prefix, int bits)
{
	for (int i = 0; i < bits / 8; i++) {
		int keep = prefix - i * 8;
		if (keep >= 8)
			continue;
		addr[i] &= keep <= 0 ? 0 : (uint8_t)(0xff << (8 - keep));
	}
}

int cv_net(const char *s, struct conf_net *out, char *why, size_t whylen)
{
	struct conf_addr a;
	int prefix;
	bool had;

	if (parse_cidr(s, &a, &prefix, &had, why, whylen) < 0)
		return -1;
	memset(out, 0, sizeof(*out));
	out->family = a.family;
	memcpy(out->addr, a.addr, sizeof(out->addr));
	out->prefix = (uint8_t)prefix;
	mask_host(out->addr, prefix, addr_bits(a.family));
	return 0;
}

struct list_ctx {
	void *arr;
	int *n;
	bool *config;
	bool allow_config;
};

static int too_many(char *why, size_t whylen)
{
	snprintf(why, whylen, "too many list elements (at most %d)", CONF_MAX_NETS);
	return -1;
}

static int net_elem(const char *e, void *vctx, char *why, size_t whylen)
{
	struct list_ctx *c = vctx;
	struct conf_net *arr = c->arr;

	if (*c->n >= CONF_MAX_NETS)
		return too_many(why, whylen);
	if (cv_net(e, &arr[*c->n], why, whylen) < 0)
		return -1;
	(*c->n)++;
	return 0;
}

int cv_net_list(const char *v, struct conf_net *arr, int *n, char *why, size_t whylen)
{
	struct list_ctx c = { .arr = arr, .n = n };

	*n = 0;
	if (each_elem_sep(v, ",;", net_elem, &c, why, whylen) < 0) {
		*n = 0;
		return -1;
	}
	return 0;
}

/* big-endian add of a small signed delta to an address of len bytes */
static void addr_add(uint8_t *a, int len, int delta)
{
	if (delta > 0) {
		for (int i = len - 1; i >= 0; i--)
			if (++a[i] != 0)
				break;
	} else if (delta < 0) {
		for (int i = len - 1; i >= 0; i--)
			if (a[i]-- != 0)
				break;
	}
}

static bool is_config_word(const char *e)
{
	static const char *const words[] = {
		"%config", "%cfg", "%config4", "%config6", "%modeconfig", "%modecfg",
		"%any", "%any4", "%any6",
	};
	for (size_t i = 0; i < sizeof(words) / sizeof(words[0]); i++)
		if (strcmp(e, words[i]) == 0)
			return true;
	return false;
}

static int range_elem(const char *e, void *vctx, char *why, size_t whylen)
{
	struct list_ctx *c = vctx;
	struct conf_range *arr = c->arr, r;
	char show[CONF_SHOW_LEN];
	const char *dash = strchr(e, '-');
	int bytes;

	if (e[0] == '%') {
		if (is_config_word(e)) {
			*c->config = true;
			return 0;
		}
		snprintf(why, whylen, "named pools ('%s') are not supported",
		         conf_show(e, show, sizeof(show)));
		return -1;
	}
	if (*c->n >= CONF_MAX_NETS)
		return too_many(why, whylen);
	memset(&r, 0, sizeof(r));
	if (dash) {
		char a[ELEM_MAX], b[ELEM_MAX];
		struct conf_addr from, to;
		size_t al = (size_t)(dash - e);

		memcpy(a, e, al);
		a[al] = '\0';
		snprintf(b, sizeof(b), "%s", dash + 1);
		if (conf_parse_addr(a, &from) < 0 || conf_parse_addr(b, &to) < 0) {
			snprintf(why, whylen, "'%s' is not an address range",
			         conf_show(e, show, sizeof(show)));
			return -1;
		}
		if (from.family != to.family) {
			snprintf(why, whylen, "range '%s' mixes IPv4 and IPv6",
			         conf_show(e, show, sizeof(show)));
			return -1;
		}
		bytes = from.family == AF_INET ? 4 : 16;
		if (memcmp(from.addr, to.addr, (size_t)bytes) > 0) {
			snprintf(why, whylen, "range '%s' ends before it starts",
			         conf_show(e, show, sizeof(show)));
			return -1;
		}
		r.family = from.family;
		memcpy(r.from, from.addr, sizeof(r.from));
		memcpy(r.to, to.addr, sizeof(r.to));
	} else {
		struct conf_addr a;
		uint8_t net[16], last[16];
		int prefix, bits;
		bool had;

		if (parse_cidr(e, &a, &prefix, &had, why, whylen) < 0)
			return -1;
		bits = addr_bits(a.family);
		bytes = bits / 8;
		r.family = a.family;
		memcpy(net, a.addr, sizeof(net));
		mask_host(net, prefix, bits);
		memcpy(last, net, sizeof(last));
		for (int i = 0; i < bytes; i++) {
			int keep = prefix - i * 8;
			if (keep < 8)
				last[i] |= keep <= 0 ? 0xff : (uint8_t)(0xff >> keep);
		}
		if (!had) {
			memcpy(r.from, a.addr, sizeof(r.from));
			memcpy(r.to, a.addr, sizeof(r.to));
		} else {
			if (prefix < bits - 1) {
				/* skip the network and broadcast address */
				addr_add(net, bytes, 1);
				addr_add(last, bytes, -1);
			}
			/* a base address inside the subnet starts the pool there */
			if (memcmp(a.addr, net, (size_t)bytes) > 0 &&
			    memcmp(a.addr, last, (size_t)bytes) <= 0)
				memcpy(net, a.addr, sizeof(net));
			memcpy(r.from, net, sizeof(r.from));
			memcpy(r.to, last, sizeof(r.to));
		}
	}
	arr[(*c->n)++] = r;
	return 0;
}

int cv_sourceip_list(const char *v, struct conf_range *arr, int *n, bool *config,
                     char *why, size_t whylen)
{
	struct list_ctx c = { .arr = arr, .n = n, .config = config };

	*n = 0;
	*config = false;
	if (each_elem(v, range_elem, &c, why, whylen) < 0) {
		*n = 0;
		*config = false;
		return -1;
	}
	return 0;
}

static int vip_elem(const char *e, void *vctx, char *why, size_t whylen)
{
	static const char *const plain[] = { "%config", "%cfg", "%modeconfig", "%modecfg" };
	static const char *const v4[] = { "%config4", "%any", "%any4", "0.0.0.0" };
	static const char *const v6[] = { "%config6", "%any6", "::" };
	struct cv_vip *out = vctx;
	struct conf_addr a;
	char show[CONF_SHOW_LEN];

	for (size_t i = 0; i < sizeof(plain) / sizeof(plain[0]); i++)
		if (strcmp(e, plain[i]) == 0)
			return out->plain = true, 0;
	for (size_t i = 0; i < sizeof(v4) / sizeof(v4[0]); i++)
		if (strcmp(e, v4[i]) == 0)
			return out->v4 = true, 0;
	for (size_t i = 0; i < sizeof(v6) / sizeof(v6[0]); i++)
		if (strcmp(e, v6[i]) == 0)
			return out->v6 = true, 0;
	if (conf_parse_addr(e, &a) == 0) {
		if (a.family == AF_INET6 && memcmp(a.addr, (const uint8_t[16]){ 0 }, 16) == 0)
			return out->v6 = true, 0;   /* "::" spelled another way */
		return out->literal = true, 0;
	}
	snprintf(why, whylen, "'%s' is not %%config, %%config4, %%config6 or an IP address",
	         conf_show(e, show, sizeof(show)));
	return -1;
}

int cv_vip_list(const char *v, struct cv_vip *out, char *why, size_t whylen)
{
	memset(out, 0, sizeof(*out));
	if (each_elem(v, vip_elem, out, why, whylen) < 0) {
		memset(out, 0, sizeof(*out));
		return -1;
	}
	return 0;
}

bool conf_host_is_specific(const char *host)
{
	struct conf_addr a;
	const char *dash;

	if (!host || !*host || strpbrk(host, ",/ \t"))
		return false;
	if (conf_parse_addr(host, &a) == 0)
		return true;
	if (host[0] == '%') {
		/* "%vpn.example.com", "%198.18.0.1": the peer may come from any
		 * address (leftallowany); "%any", "%defaultroute" are no hosts */
		host++;
		if (conf_parse_addr(host, &a) == 0)
			return true;
		if (!strchr(host, '.'))
			return false;
	}
	if (!*host || strchr(host, '%'))
		return false;
	dash = strchr(host, '-');
	if (dash && !strchr(host, ':')) {
		/* "198.18.0.1-198.18.0.9" is a range; a name may hold '-' */
		char first[ELEM_MAX];
		size_t l = (size_t)(dash - host);
		if (l < sizeof(first)) {
			memcpy(first, host, l);
			first[l] = '\0';
			if (conf_parse_addr(first, &a) == 0)
				return false;
		}
	} else if (strchr(host, ':')) {
		return false;   /* an IPv6 address that did not parse, or a range */
	}
	/* a DNS name: letters, digits, '-', '.', '_' */
	for (const char *p = host; *p; p++)
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-' || *p == '.' || *p == '_'))
			return false;
	return true;
}

static int addr_elem(const char *e, void *vctx, char *why, size_t whylen)
{
	struct list_ctx *c = vctx;
	struct conf_addr *arr = c->arr;
	char show[CONF_SHOW_LEN];

	if (c->allow_config && (strcmp(e, "%config") == 0 || strcmp(e, "%config4") == 0 ||
	                        strcmp(e, "%config6") == 0))
		return 0;
	if (*c->n >= CONF_MAX_NETS)
		return too_many(why, whylen);
	if (conf_parse_addr(e, &arr[*c->n]) < 0) {
		snprintf(why, whylen, "'%s' is not an IP address", conf_show(e, show, sizeof(show)));
		return -1;
	}
	(*c->n)++;
	return 0;
}

int cv_addr_list(const char *v, struct conf_addr *arr, int *n, bool allow_config,
                 char *why, size_t whylen)
{
	struct list_ctx c = { .arr = arr, .n = n, .allow_config = allow_config };

	*n = 0;
	if (each_elem(v, addr_elem, &c, why, whylen) < 0) {
		*n = 0;
		return -1;
	}
	return 0;
}

static int debug_elem(const char *e, void *ctx, char *why, size_t whylen)
{
	static const char *const subsys[] = {
		"dmn", "mgr", "ike", "chd", "job", "cfg", "knl", "net", "asn", "enc",
		"tnc", "imc", "imv", "pts", "tls", "esp", "lib", "any",
	};
	char name[8], show[CONF_SHOW_LEN];
	const char *p = e, *ws;
	size_t nl;
	bool known = false;
	bool neg = false;
	uint64_t level;
	const char *end;

	ws = strpbrk(p, " \t");
	if (!ws) {
		snprintf(why, whylen, "'%s': expected 'subsystem level'", conf_show(e, show, sizeof(show)));
		return -1;
	}
	nl = (size_t)(ws - p);
	if (nl < sizeof(name)) {
		memcpy(name, p, nl);
		name[nl] = '\0';
		for (size_t i = 0; i < sizeof(subsys) / sizeof(subsys[0]); i++)
			if (strcmp(name, subsys[i]) == 0)
				known = true;
	}
	if (!known) {
		char word[ELEM_MAX];
		snprintf(word, sizeof(word), "%.*s", (int)nl, p);
		snprintf(why, whylen, "unknown subsystem '%s'", conf_show(word, show, sizeof(show)));
		return -1;
	}
	while (*ws == ' ' || *ws == '\t')
		ws++;
	if (*ws == '-') {
		neg = true;
		ws++;
	}
	if (parse_u64(ws, 4, &level, &end) < 0 || *end || (neg && level != 1)) {
		snprintf(why, whylen, "'%s': level must be -1..4", conf_show(e, show, sizeof(show)));
		return -1;
	}
	return 0;
}

int cv_charondebug(const char *v, char *why, size_t whylen)
{
	return each_elem(v, debug_elem, NULL, why, whylen);
}

static int name_chars(const char *v, size_t max, bool dash_first)
{
	size_t n = strlen(v);

	if (n == 0 || n > max)
		return -1;
	if (!dash_first && v[0] == '-')
		return -1;
	for (const char *p = v; *p; p++) {
		char c = *p;
		if (!((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') ||
		      c == '_' || c == '.' || c == '-'))
			return -1;
	}
	return 0;
}

int cv_ifname(const char *v, char *why, size_t whylen)
{
	if (name_chars(v, 15, true) < 0 || strcmp(v, ".") == 0 || strcmp(v, "..") == 0) {
		snprintf(why, whylen, "expected an interface name of 1 to 15 characters [A-Za-z0-9_.-]");
		return -1;
	}
	return 0;
}

int cv_username(const char *v, char *why, size_t whylen)
{
	if (name_chars(v, 32, false) < 0) {
		snprintf(why, whylen, "expected a user name of 1 to 32 characters [A-Za-z0-9_.-]");
		return -1;
	}
	return 0;
}
