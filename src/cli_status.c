/* "status --json" read back (cli_status.h): a small bounded JSON reader. */
#include "src/cli_status.h"

#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 16
#define MAX_SESSIONS 100000

struct jr {
	const char *p, *end;
};

static void ws(struct jr *r)
{
	while (r->p < r->end && (*r->p == ' ' || *r->p == '\t' || *r->p == '\n' || *r->p == '\r'))
		r->p++;
}

static bool take(struct jr *r, char c)
{
	ws(r);
	if (r->p < r->end && *r->p == c) {
		r->p++;
		return true;
	}
	return false;
}

static int hex4(const char *p, const char *end, uint32_t *v)
{
	*v = 0;
	if (end - p < 4)
		return -1;
	for (int i = 0; i < 4; i++) {
		char c = p[i];
		int d = c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10
		      : c >= 'A' && c <= 'F' ? c - 'A' + 10 : -1;
		if (d < 0)
			return -1;
		*v = *v << 4 | (uint32_t)d;
	}
	return 0;
}

/* appends code point cp as UTF-8 to out (cap bytes with its NUL),
 * dropping what does not fit */
static void put_cp(char *out, size_t cap, size_t *o, uint32_t cp)
{
	char b[4];
	size_t n;
	if (cp < 0x80) {
		b[0] = (char)cp;
		n = 1;
	} else if (cp < 0x800) {
		b[0] = (char)(0xc0 | cp >> 6);
		b[1] = (char)(0x80 | (cp & 0x3f));
		n = 2;
	} else if (cp < 0x10000) {
		b[0] = (char)(0xe0 | cp >> 12);
		b[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[2] = (char)(0x80 | (cp & 0x3f));
		n = 3;
	} else {
		b[0] = (char)(0xf0 | cp >> 18);
		b[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
		b[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
		b[3] = (char)(0x80 | (cp & 0x3f));
		n = 4;
	}
	if (out && *o + n < cap) {
		memcpy(out + *o, b, n);
		*o += n;
		out[*o] = '\0';
	}
}

/* a JSON string into out (cap > 0, may be NULL to skip it). 0 or -1. */
static int str(struct jr *r, char *out, size_t cap)
{
	size_t o = 0;
	if (out)
		out[0] = '\0';
	if (!take(r, '"'))
		return -1;
	while (r->p < r->end) {
		unsigned char c = (unsigned char)*r->p++;
		uint32_t cp, lo;
		if (c == '"')
			return 0;
		if (c < 0x20)
			return -1;
		if (c != '\\') {
			if (out && o + 1 < cap) {
				out[o++] = (char)c;
				out[o] = '\0';
			}
			continue;
		}
		if (r->p >= r->end)
			return -1;
		c = (unsigned char)*r->p++;
		switch (c) {
		case '"': case '\\': case '/': cp = c; break;
		case 'b': cp = '\b'; break;
		case 'f': cp = '\f'; break;
		case 'n': cp = '\n'; break;
		case 'r': cp = '\r'; break;
		case 't': cp = '\t'; break;
		case 'u':
			if (hex4(r->p, r->end, &cp) != 0)
				return -1;
			r->p += 4;
			if (cp >= 0xd800 && cp <= 0xdbff && r->end - r->p >= 6 && r->p[0] == '\\' &&
			    r->p[1] == 'u' && hex4(r->p + 2, r->end, &lo) == 0 && lo >= 0xdc00 &&
			    lo <= 0xdfff) {
				cp = 0x10000 + ((cp - 0xd800) << 10) + (lo - 0xdc00);
				r->p += 6;
			} else if (cp >= 0xd800 && cp <= 0xdfff) {
				cp = 0xfffd;
			}
			break;
		default:
			return -1;
		}
		put_cp(out, cap, &o, cp);
	}
	return -1;
}

/* a number, true, false or null; *num gets an unsigned integer value
 * (0 for anything else) */
static int scalar(struct jr *r, uint64_t *num)
{
	const char *s;
	ws(r);
	s = r->p;
	*num = 0;
	while (r->p < r->end && (strchr("+-.eE", *r->p) || (*r->p >= '0' && *r->p <= '9') ||
	                         (*r->p >= 'a' && *r->p <= 'z')))
		r->p++;
	if (r->p == s)
		return -1;
	if (*s >= '0' && *s <= '9')
		for (const char *q = s; q < r->p && *q >= '0' && *q <= '9'; q++)
			*num = *num * 10 + (uint64_t)(*q - '0');
	return 0;
}

static int skip(struct jr *r, int depth);

/* an object or array, skipped */
static int skip_nested(struct jr *r, char close, int depth)
{
	if (depth > MAX_DEPTH)
		return -1;
	if (take(r, close))
		return 0;
	do {
		if (close == '}') {
			if (str(r, NULL, 0) != 0 || !take(r, ':'))
				return -1;
		}
		if (skip(r, depth + 1) != 0)
			return -1;
	} while (take(r, ','));
	return take(r, close) ? 0 : -1;
}

static int skip(struct jr *r, int depth)
{
	uint64_t n;
	ws(r);
	if (r->p >= r->end)
		return -1;
	if (*r->p == '"')
		return str(r, NULL, 0);
	if (take(r, '{'))
		return skip_nested(r, '}', depth);
	if (take(r, '['))
		return skip_nested(r, ']', depth);
	return scalar(r, &n);
}

static int session(struct jr *r, struct session *s)
{
	char key[32];
	memset(s, 0, sizeof(*s));
	if (!take(r, '{'))
		return -1;
	if (take(r, '}'))
		return 0;
	do {
		char *field = NULL;
		size_t cap = 0;
		uint64_t *num = NULL, v;
		if (str(r, key, sizeof(key)) != 0 || !take(r, ':'))
			return -1;
		if (strcmp(key, "user") == 0)
			field = s->user, cap = sizeof(s->user);
		else if (strcmp(key, "peer") == 0)
			field = s->peer, cap = sizeof(s->peer);
		else if (strcmp(key, "role") == 0)
			field = s->role, cap = sizeof(s->role);
		else if (strcmp(key, "vip4") == 0)
			field = s->vip4, cap = sizeof(s->vip4);
		else if (strcmp(key, "vip6") == 0)
			field = s->vip6, cap = sizeof(s->vip6);
		else if (strcmp(key, "established_seconds") == 0)
			num = &s->established_seconds;
		else if (strcmp(key, "bytes_in") == 0)
			num = &s->bytes_in;
		else if (strcmp(key, "bytes_out") == 0)
			num = &s->bytes_out;
		ws(r);
		if (field && r->p < r->end && *r->p == '"') {
			if (str(r, field, cap) != 0)
				return -1;
		} else if ((num || strcmp(key, "id") == 0) && r->p < r->end && *r->p != '"' &&
		           *r->p != '{' && *r->p != '[') {
			if (scalar(r, &v) != 0)
				return -1;
			if (num)
				*num = v;
			else
				s->id = (unsigned)v;
		} else if (skip(r, 1) != 0) {
			return -1;
		}
	} while (take(r, ','));
	return take(r, '}') ? 0 : -1;
}

int status_sessions_parse(const char *json, size_t len, struct session **out, int *n)
{
	struct jr r = { json, json + len };
	struct session *v = NULL;
	int cap = 0, cnt = 0;
	char key[32];

	*out = NULL;
	*n = 0;
	if (!take(&r, '{'))
		return -1;
	if (take(&r, '}'))
		return 0;
	do {
		if (str(&r, key, sizeof(key)) != 0 || !take(&r, ':'))
			goto fail;
		if (strcmp(key, "sas") != 0) {
			if (skip(&r, 1) != 0)
				goto fail;
			continue;
		}
		if (!take(&r, '['))
			goto fail;
		if (take(&r, ']'))
			continue;
		do {
			if (cnt == cap) {
				int ncap = cap ? cap * 2 : 16;
				struct session *nv;
				if (ncap > MAX_SESSIONS)
					goto fail;
				nv = realloc(v, (size_t)ncap * sizeof(*v));
				if (!nv)
					goto fail;
				v = nv;
				cap = ncap;
			}
			if (session(&r, &v[cnt]) != 0)
				goto fail;
			cnt++;
		} while (take(&r, ','));
		if (!take(&r, ']'))
			goto fail;
	} while (take(&r, ','));
	if (!take(&r, '}'))
		goto fail;
	*out = v;
	*n = cnt;
	return 0;
fail:
	free(v);
	return -1;
}
