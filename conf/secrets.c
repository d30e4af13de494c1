/* ipsec.secrets (strongSwan format, ipsec.secrets(5)).
 *
 * An entry is "[selectors] : TYPE value": selectors are words or quoted
 * strings separated by whitespace, the ':' stands alone between
 * whitespace (so "2001:db8::1" and "user@host" stay selectors). An
 * entry may continue on indented lines while it is incomplete. '#'
 * starts a comment outside quotes. "include GLOB" reads more files,
 * relative to the including file; a pattern matching nothing is a
 * warning, as in strongSwan.
 *
 * Secret text passes through several buffers here; each is wiped before
 * it is freed, and no message ever quotes a secret. */
#include "conf/secrets.h"

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "conf/conf_util.h"

#define MAX_TOKENS 64

struct token {
	char *s;
	size_t len;
	bool quoted;
};

struct sparser {
	struct secrets *out;
	int cap_s;
	const char *file;
	int depth;
	char *err;
	size_t errlen;
	/* the entry being collected */
	char *entry;
	size_t entry_len, entry_cap;
	int entry_line;
};

static int parse_text(struct secrets *out, int *cap_s, const char *file,
                      const char *text, int depth, char *err, size_t errlen);

static void wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

static void wipe_str(char *s)
{
	if (s)
		wipe_free(s, strlen(s));
}

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static void tokens_free(struct token *t, int n)
{
	for (int i = 0; i < n; i++)
		wipe_free(t[i].s, t[i].len + 1);
}

/* Splits an entry into tokens. 0, 1 for a missing closing quote, -1 on
 * allocation failure or too many tokens. */
static int tokenize(const char *s, struct token *t, int *n)
{
	size_t len = strlen(s), i = 0;

	*n = 0;
	while (i < len) {
		size_t o = 0;
		char *buf;

		while (i < len && is_ws(s[i]))
			i++;
		if (i >= len)
			break;
		if (*n >= MAX_TOKENS)
			return -1;
		buf = malloc(len - i + 1);
		if (!buf)
			return -1;
		t[*n].s = buf;
		t[*n].quoted = false;
		t[*n].len = 0;
		(*n)++;
		if (s[i] == '"' || s[i] == '\'') {
			char q = s[i++];
			for (; i < len && s[i] != q; i++) {
				if (s[i] == '\\' && i + 1 < len && (s[i + 1] == q || s[i + 1] == '\\'))
					i++;
				buf[o++] = s[i];
			}
			buf[o] = '\0';
			t[*n - 1].len = o;
			if (i >= len)
				return 1;
			i++;
			t[*n - 1].quoted = true;
			continue;
		}
		while (i < len && !is_ws(s[i]))
			buf[o++] = s[i++];
		buf[o] = '\0';
		t[*n - 1].len = o;
	}
	return 0;
}

enum stype_kind { ST_KEY, ST_SECRET, ST_UNSUPPORTED };

static const struct {
	const char *name;
	enum stype_kind kind;
	enum secret_type type;
} stypes[] = {
	{ "RSA", ST_KEY, SECRET_RSA },
	{ "ECDSA", ST_KEY, SECRET_ECDSA },
	{ "PRIVATE", ST_KEY, SECRET_PRIVATE },
	{ "EAP", ST_SECRET, SECRET_EAP },
	{ "XAUTH", ST_SECRET, SECRET_EAP },
	{ "PSK", ST_SECRET, SECRET_PSK },
	{ "NTLM", ST_SECRET, SECRET_NTLM },
	{ "PIN", ST_UNSUPPORTED, 0 },
	{ "P12", ST_UNSUPPORTED, 0 },
	{ "PKCS12", ST_UNSUPPORTED, 0 },
	{ "PKCS8", ST_UNSUPPORTED, 0 },
	{ "BLISS", ST_UNSUPPORTED, 0 },
	{ "ED25519", ST_UNSUPPORTED, 0 },
	{ "ED448", ST_UNSUPPORTED, 0 },
};

static int b64val(char c)
{
	if (c >= 'A' && c <= 'Z')
		return c - 'A';
	if (c >= 'a' && c <= 'z')
		return c - 'a' + 26;
	if (c >= '0' && c <= '9')
		return c - '0' + 52;
	if (c == '+')
		return 62;
	if (c == '/')
		return 63;
	return -1;
}

/* "0x..." (hex) or "0s..." (base64) unquoted secrets, as strongSwan
 * decodes them, in place. 0, 1 when not encoded, -1 when malformed. */
static int decode_secret(struct token *t)
{
	char *s = t->s;
	size_t o = 0;

	if (t->quoted || t->len < 2 || s[0] != '0' || (s[1] != 'x' && s[1] != 's'))
		return 1;
	if (s[1] == 'x') {
		size_t n = t->len - 2;
		if (n == 0 || n % 2)
			return -1;
		for (size_t i = 0; i < n; i += 2) {
			int hi = conf_hexval(s[2 + i]), lo = conf_hexval(s[3 + i]);
			if (hi < 0 || lo < 0)
				return -1;
			s[o++] = (char)(hi << 4 | lo);
		}
	} else {
		uint32_t acc = 0;
		int bits = 0;
		size_t i = 2;
		for (; i < t->len && s[i] != '='; i++) {
			int v = b64val(s[i]);
			if (v < 0)
				return -1;
			acc = (acc << 6) | (uint32_t)v;
			bits += 6;
			if (bits >= 8) {
				bits -= 8;
				s[o++] = (char)((acc >> bits) & 0xff);
			}
		}
		for (; i < t->len; i++)
			if (s[i] != '=')
				return -1;
		if (o == 0)
			return -1;
	}
	explicit_bzero(s + o, t->len - o);
	t->len = o;
	return 0;
}

/* Returns 1 when the entry is complete, 0 when it needs more lines, -1
 * on an error (written to err). With final, incomplete is an error. On
 * success with add, the secret is appended to p->out. */
static int entry_check(struct sparser *p, bool final, bool add)
{
	struct token t[MAX_TOKENS];
	struct secret sec;
	int n = 0, sep = -1, r, ret = -1, ti = -1;
	const char *file = p->file;
	int line = p->entry_line;
	char show[CONF_SHOW_LEN];

	memset(&sec, 0, sizeof(sec));
	r = tokenize(p->entry, t, &n);
	if (r < 0) {
		conf_errf(p->err, p->errlen, file, line, "entry too long or out of memory");
		goto out;
	}
	if (r == 1) {
		conf_errf(p->err, p->errlen, file, line, "missing closing quote");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		if (!t[i].quoted && strcmp(t[i].s, ":") == 0) {
			sep = i;
			break;
		}
	}
	if (sep < 0 || sep + 1 >= n) {
		if (!final) {
			ret = 0;
			goto out;
		}
		if (sep < 0)
			conf_errf(p->err, p->errlen, file, line,
			          "expected 'SELECTORS : TYPE SECRET' (with whitespace around ':')");
		else
			conf_errf(p->err, p->errlen, file, line, "missing secret type after ':'");
		goto out;
	}
	for (size_t i = 0; i < sizeof(stypes) / sizeof(stypes[0]); i++)
		if (!t[sep + 1].quoted && strcasecmp(t[sep + 1].s, stypes[i].name) == 0)
			ti = (int)i;
	if (ti < 0) {
		conf_errf(p->err, p->errlen, file, line, "unknown secret type '%s'",
		          conf_show(t[sep + 1].s, show, sizeof(show)));
		goto out;
	}
	if (stypes[ti].kind == ST_UNSUPPORTED) {
		conf_errf(p->err, p->errlen, file, line, "secret type '%s' is not supported",
		          stypes[ti].name);
		goto out;
	}
	if (sep + 2 >= n) {
		if (!final) {
			ret = 0;
			goto out;
		}
		conf_errf(p->err, p->errlen, file, line, stypes[ti].kind == ST_KEY ?
		          "%s: missing private key file name" : "%s: missing secret",
		          stypes[ti].name);
		goto out;
	}
	if (n > sep + (stypes[ti].kind == ST_KEY ? 4 : 3)) {
		conf_errf(p->err, p->errlen, file, line, "%s: unexpected text after the %s",
		          stypes[ti].name, stypes[ti].kind == ST_KEY ? "passphrase" : "secret");
		goto out;
	}
	int dec = stypes[ti].kind == ST_SECRET ? decode_secret(&t[sep + 2]) : 1;
	if (dec < 0) {
		conf_errf(p->err, p->errlen, file, line,
		          "%s: malformed 0x (hex) or 0s (base64) secret", stypes[ti].name);
		goto out;
	}
	if (stypes[ti].type == SECRET_NTLM && (dec != 0 || t[sep + 2].len != 16)) {
		conf_errf(p->err, p->errlen, file, line, "NTLM: expected the 16-byte NT hash as 0x "
		          "and 32 hex digits (cygnetctl hash-password NAME prints the line)");
		goto out;
	}
	if (stypes[ti].kind == ST_KEY && t[sep + 2].len == 0) {
		conf_errf(p->err, p->errlen, file, line, "%s: empty private key file name",
		          stypes[ti].name);
		goto out;
	}
	if (!add) {
		ret = 1;
		goto out;
	}
	/* the secret takes over the token buffers */
	sec.type = stypes[ti].type;
	sec.file = file;
	sec.line = line;
	sec.value = t[sep + 2].s;
	sec.value_len = t[sep + 2].len;
	t[sep + 2].s = NULL;
	if (n > sep + 3) {
		sec.passphrase = t[sep + 3].s;
		t[sep + 3].s = NULL;
	}
	if (sep > 0) {
		sec.ids = calloc((size_t)sep, sizeof(*sec.ids));
		if (!sec.ids)
			goto oom;
		for (int i = 0; i < sep; i++) {
			sec.ids[i] = t[i].s;
			t[i].s = NULL;
		}
		sec.n_ids = sep;
	}
	if (conf_grow((void **)&p->out->s, &p->cap_s, p->out->n, sizeof(*p->out->s)) < 0)
		goto oom;
	p->out->s[p->out->n++] = sec;
	memset(&sec, 0, sizeof(sec));
	ret = 1;
	goto out;
oom:
	conf_errf(p->err, p->errlen, file, line, "out of memory");
out:
	tokens_free(t, n);
	wipe_free(sec.value, sec.value_len + 1);
	wipe_str(sec.passphrase);
	for (int i = 0; i < sec.n_ids; i++)
		free(sec.ids[i]);
	free(sec.ids);
	return ret;
}

static void entry_reset(struct sparser *p)
{
	if (p->entry)
		explicit_bzero(p->entry, p->entry_cap);
	p->entry_len = 0;
	if (p->entry)
		p->entry[0] = '\0';
}

static int entry_append(struct sparser *p, const char *s, size_t len)
{
	size_t need = p->entry_len + len + 2;

	if (need > p->entry_cap) {
		size_t ncap = need * 2;
		char *nb = malloc(ncap);
		if (!nb)
			return -1;
		if (p->entry) {
			memcpy(nb, p->entry, p->entry_len + 1);
			wipe_free(p->entry, p->entry_cap);
		} else {
			nb[0] = '\0';
		}
		p->entry = nb;
		p->entry_cap = ncap;
	}
	if (p->entry_len)
		p->entry[p->entry_len++] = ' ';
	memcpy(p->entry + p->entry_len, s, len);
	p->entry_len += len;
	p->entry[p->entry_len] = '\0';
	return 0;
}

/* Finishes the collected entry, if any. */
static int entry_finish(struct sparser *p)
{
	int r;

	if (p->entry_len == 0)
		return 0;
	r = entry_check(p, true, true);
	entry_reset(p);
	return r < 0 ? -1 : 0;
}

static int do_include(struct sparser *p, int line, const char *pattern)
{
	char **paths = NULL, why[128], show[CONF_SHOW_LEN], msg[512];
	int n = 0, ret = -1;

	if (p->depth + 1 >= CONF_MAX_INCLUDE_DEPTH) {
		conf_errf(p->err, p->errlen, p->file, line,
		          "includes nested more than %d deep (an include loop?)",
		          CONF_MAX_INCLUDE_DEPTH);
		goto out;
	}
	if (conf_include_glob(p->file, pattern, &paths, &n) < 0) {
		conf_errf(p->err, p->errlen, p->file, line, "include '%s': cannot expand",
		          conf_show(pattern, show, sizeof(show)));
		goto out;
	}
	if (n == 0) {
		conf_errf(msg, sizeof(msg), p->file, line, "include '%s' matched no file",
		          conf_show(pattern, show, sizeof(show)));
		if (conf_strv_add(&p->out->warnings, &p->out->n_warnings, msg) < 0) {
			conf_errf(p->err, p->errlen, p->file, line, "out of memory");
			goto out;
		}
	}
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		char *text = conf_read_file(paths[i], &len, why, sizeof(why));
		const char *stored;
		int r;

		if (text && strlen(text) != len) {
			wipe_free(text, len);
			text = NULL;
			snprintf(why, sizeof(why), "file contains a NUL byte");
		}
		if (!text) {
			conf_errf(p->err, p->errlen, p->file, line, "include '%s': %s",
			          conf_show(paths[i], show, sizeof(show)), why);
			goto out;
		}
		if (conf_strv_add(&p->out->files, &p->out->n_files, paths[i]) < 0) {
			wipe_free(text, len);
			conf_errf(p->err, p->errlen, p->file, line, "out of memory");
			goto out;
		}
		stored = p->out->files[p->out->n_files - 1];
		r = parse_text(p->out, &p->cap_s, stored, text, p->depth + 1, p->err, p->errlen);
		wipe_free(text, len);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	conf_strv_free(paths, n);
	return ret;
}

/* End of the meaningful part of a line: an unquoted '#' or the end. */
static size_t content_end(const char *s, size_t len)
{
	char q = 0;

	for (size_t i = 0; i < len; i++) {
		if (q && s[i] == '\\' && i + 1 < len && (s[i + 1] == q || s[i + 1] == '\\')) {
			i++;
			continue;
		}
		if (q) {
			if (s[i] == q)
				q = 0;
		} else if (s[i] == '"' || s[i] == '\'') {
			/* quotes open only at the start of a word */
			if (i == 0 || is_ws(s[i - 1]))
				q = s[i];
		} else if (s[i] == '#') {
			return i;
		}
	}
	return len;
}

static int parse_text(struct secrets *out, int *cap_s, const char *file,
                      const char *text, int depth, char *err, size_t errlen)
{
	struct sparser p = {
		.out = out, .cap_s = *cap_s, .file = file, .depth = depth,
		.err = err, .errlen = errlen,
	};
	const char *s = text;
	int line = 0, ret = -1;

	if (strncmp(s, "\xef\xbb\xbf", 3) == 0)   /* UTF-8 byte order mark */
		s += 3;
	while (*s) {
		const char *nl = strchr(s, '\n');
		size_t len = nl ? (size_t)(nl - s) : strlen(s);
		size_t first = 0, end;

		line++;
		if (len > 0 && s[len - 1] == '\r')
			len--;
		end = content_end(s, len);
		while (end > 0 && is_ws(s[end - 1]))
			end--;
		while (first < end && is_ws(s[first]))
			first++;
		if (first < end) {
			const char *c = s + first;
			size_t cl = end - first;
			bool cont = false;

			/* an indented line continues an entry that is not complete */
			if (first > 0 && p.entry_len) {
				int r = entry_check(&p, false, false);
				if (r < 0)
					goto out;
				cont = r == 0;
			}
			if (cont) {
				if (entry_append(&p, c, cl) < 0)
					goto oom;
			} else {
				if (entry_finish(&p) < 0)
					goto out;
				if (cl > 8 && strncmp(c, "include", 7) == 0 && is_ws(c[7])) {
					char pat[4096];
					size_t ps = 8;
					while (ps < cl && is_ws(c[ps]))
						ps++;
					if (cl - ps >= sizeof(pat) || memchr(c + ps, ' ', cl - ps) ||
					    memchr(c + ps, '\t', cl - ps)) {
						conf_errf(err, errlen, file, line,
						          "expected 'include FILE' with one file name or pattern");
						goto out;
					}
					memcpy(pat, c + ps, cl - ps);
					pat[cl - ps] = '\0';
					if (do_include(&p, line, pat) < 0)
						goto out;
				} else {
					p.entry_line = line;
					if (entry_append(&p, c, cl) < 0)
						goto oom;
				}
			}
		}
		if (!nl)
			break;
		s = nl + 1;
	}
	if (entry_finish(&p) < 0)
		goto out;
	ret = 0;
	goto out;
oom:
	conf_errf(err, errlen, file, line, "out of memory");
out:
	*cap_s = p.cap_s;
	wipe_free(p.entry, p.entry_cap);
	return ret;
}

static struct secrets *parse_top(const char *name, const char *text, char *err, size_t errlen)
{
	struct secrets *s = calloc(1, sizeof(*s));
	int cap_s = 0;

	if (!s) {
		conf_errf(err, errlen, name, 0, "out of memory");
		return NULL;
	}
	if (conf_strv_add(&s->files, &s->n_files, name) < 0) {
		conf_errf(err, errlen, name, 0, "out of memory");
		secrets_free(s);
		return NULL;
	}
	if (parse_text(s, &cap_s, s->files[0], text, 0, err, errlen) < 0) {
		secrets_free(s);
		return NULL;
	}
	return s;
}

struct secrets *secrets_parse(const char *name, const char *text, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	return parse_top(name ? name : "ipsec.secrets", text ? text : "", err, errlen);
}

struct secrets *secrets_load(const char *path, char *err, size_t errlen)
{
	struct secrets *s = NULL;
	char why[128];
	size_t len = 0;
	char *text;

	if (err && errlen)
		err[0] = '\0';
	if (!path) {
		conf_errf(err, errlen, "ipsec.secrets", 0, "no file name");
		return NULL;
	}
	text = conf_read_file(path, &len, why, sizeof(why));
	if (!text) {
		conf_errf(err, errlen, path, 0, "cannot read: %s", why);
		return NULL;
	}
	if (strlen(text) != len)
		conf_errf(err, errlen, path, 0, "file contains a NUL byte");
	else
		s = parse_top(path, text, err, errlen);
	wipe_free(text, len);
	return s;
}

void secrets_free(struct secrets *s)
{
	if (!s)
		return;
	for (int i = 0; i < s->n; i++) {
		struct secret *e = &s->s[i];
		wipe_free(e->value, e->value_len + 1);
		wipe_str(e->passphrase);
		conf_strv_free(e->ids, e->n_ids);
	}
	if (s->s)
		explicit_bzero(s->s, (size_t)s->n * sizeof(*s->s));
	free(s->s);
	conf_strv_free(s->files, s->n_files);
	conf_strv_free(s->warnings, s->n_warnings);
	free(s);
}

/* a selector as the tokenizer reads it back: bare when it is one word
 * that cannot be taken for anything else, else double-quoted with '"'
 * and '\\' escaped */
static bool bare_word(const char *s)
{
	if (!*s || strcmp(s, ":") == 0 || strcmp(s, "include") == 0 || s[0] == '\'' ||
	    s[0] == '"')
		return false;
	for (const char *p = s; *p; p++)
		if ((unsigned char)*p <= ' ' || *p == '#' || *p == 0x7f)
			return false;
	return true;
}

int secrets_format_ntlm(const char *name, const uint8_t hash[16], char *out, size_t outlen)
{
	size_t o = 0;
	bool bare;

	if (!name || !*name || !out)
		return -1;
	for (const char *p = name; *p; p++)
		if ((unsigned char)*p < ' ' || *p == 0x7f)
			return -1;
	bare = bare_word(name);
	/* worst case: every character escaped, quotes, " : NTLM 0x", 32 hex, NUL */
	if (outlen < 2 * strlen(name) + 2 + 10 + 32 + 1)
		return -1;
	if (!bare)
		out[o++] = '"';
	for (const char *p = name; *p; p++) {
		if (!bare && (*p == '"' || *p == '\\'))
			out[o++] = '\\';
		out[o++] = *p;
	}
	if (!bare)
		out[o++] = '"';
	memcpy(out + o, " : NTLM 0x", 10);
	o += 10;
	for (int i = 0; i < 16; i++) {
		static const char hex[] = "0123456789abcdef";
		out[o++] = hex[hash[i] >> 4];
		out[o++] = hex[hash[i] & 15];
	}
	out[o] = '\0';
	return 0;
}
