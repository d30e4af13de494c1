/* Escaping of untrusted bytes for logs, the control socket and scripts
 * (see escape.h). */
#include "src/escape.h"

static const char hex[] = "0123456789abcdef";

/* the code point of the valid UTF-8 sequence at s (its length in *n), or
 * -1 when s starts none */
static long utf8_at(const unsigned char *s, int *n)
{
	unsigned char c = s[0];
	long cp;
	int len;
	if (c >= 0xc2 && c <= 0xdf) {
		cp = c & 0x1f;
		len = 2;
	} else if (c >= 0xe0 && c <= 0xef) {
		cp = c & 0x0f;
		len = 3;
	} else if (c >= 0xf0 && c <= 0xf4) {
		cp = c & 0x07;
		len = 4;
	} else {
		return -1;
	}
	for (int i = 1; i < len; i++) {
		if ((s[i] & 0xc0) != 0x80)       /* also stops at the NUL */
			return -1;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((len == 3 && cp < 0x800) || (len == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return -1;
	*n = len;
	return cp;
}

struct sink {
	char *out;
	size_t outlen, j, need;
	bool full;
};

/* appends one unit (never split) */
static void emit(struct sink *k, const char *seq, size_t n)
{
	k->need += n;
	if (!k->full && k->j + n < k->outlen) {
		for (size_t i = 0; i < n; i++)
			k->out[k->j++] = seq[i];
	} else {
		k->full = true;
	}
}

/* \uXXXX of a UTF-16 unit into q[6] */
static void u_seq(char *q, long u)
{
	q[0] = '\\';
	q[1] = 'u';
	q[2] = hex[(u >> 12) & 15];
	q[3] = hex[(u >> 8) & 15];
	q[4] = hex[(u >> 4) & 15];
	q[5] = hex[u & 15];
}

static void emit_u(struct sink *k, long cp)
{
	char seq[6];
	u_seq(seq, cp);
	emit(k, seq, 6);
}

static void finish(struct sink *k)
{
	if (k->outlen)
		k->out[k->j] = '\0';
}

size_t esc_text(const void *in, size_t len, char *out, size_t outlen, unsigned flags)
{
	struct sink k = { out, outlen, 0, 0, outlen == 0 };
	const unsigned char *p = in;
	for (size_t i = 0; i < len; i++) {
		unsigned char c = p[i];
		if (c == '\\' && (flags & ESC_BACKSLASH)) {
			emit(&k, "\\\\", 2);
		} else if (c >= 0x20 && c <= 0x7e) {
			emit(&k, (const char *)p + i, 1);
		} else {
			char seq[4] = { '\\', 'x', hex[c >> 4], hex[c & 15] };
			emit(&k, seq, 4);
		}
	}
	finish(&k);
	return k.need;
}

size_t esc_json(const char *s, char *out, size_t outlen)
{
	struct sink k = { out, outlen, 0, 0, outlen == 0 };
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		int n = 1;
		if (c == '"' || c == '\\') {
			char seq[2] = { '\\', (char)c };
			emit(&k, seq, 2);
		} else if (c >= 0x20 && c < 0x7f) {
			emit(&k, (const char *)p, 1);
		} else if (c < 0x80) {
			emit_u(&k, c);
		} else {
			long cp = utf8_at(p, &n);
			if (cp < 0) {
				n = 1;
				emit_u(&k, 0xfffd);
			} else if (cp < 0x10000) {
				emit_u(&k, cp);
			} else {
				char pair[12];     /* both halves or neither */
				u_seq(pair, 0xd800 + ((cp - 0x10000) >> 10));
				u_seq(pair + 6, 0xdc00 + ((cp - 0x10000) & 0x3ff));
				emit(&k, pair, 12);
			}
		}
		p += n;
	}
	finish(&k);
	return k.need;
}

/* code points a terminal or a UI would act on rather than show: C1
 * controls, bidirectional overrides and isolates, line and paragraph
 * separators, the byte order mark */
static bool cp_unsafe(long cp)
{
	return (cp >= 0x80 && cp <= 0x9f) || cp == 0x061c || (cp >= 0x200b && cp <= 0x200f) ||
	       (cp >= 0x2028 && cp <= 0x202e) || (cp >= 0x2060 && cp <= 0x2069) || cp == 0xfeff;
}

size_t esc_prom(const char *s, char *out, size_t outlen)
{
	struct sink k = { out, outlen, 0, 0, outlen == 0 };
	const unsigned char *p = (const unsigned char *)s;
	while (*p) {
		unsigned char c = *p;
		int n = 1;
		long cp = -1;
		if (c == '\\' || c == '"') {
			char seq[2] = { '\\', (char)c };
			emit(&k, seq, 2);
		} else if (c == '\n') {
			emit(&k, "\\n", 2);
		} else if (c >= 0x20 && c < 0x7f) {
			emit(&k, (const char *)p, 1);
		} else if (c >= 0x80 && (cp = utf8_at(p, &n)) >= 0 && !cp_unsafe(cp)) {
			emit(&k, (const char *)p, (size_t)n);    /* the whole sequence or none */
		} else {
			/* each byte of it as \\xNN */
			n = cp >= 0 ? n : 1;
			for (int i = 0; i < n; i++) {
				char seq[5] = { '\\', '\\', 'x', hex[p[i] >> 4], hex[p[i] & 15] };
				emit(&k, seq, 5);
			}
		}
		p += n;
	}
	finish(&k);
	return k.need;
}

bool esc_is_clean(const char *s)
{
	for (; *s; s++)
		if ((unsigned char)*s < 0x20 || (unsigned char)*s > 0x7e)
			return false;
	return true;
}
