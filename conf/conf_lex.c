/* ipsec.conf tokenizer: lines into sections of key=value pairs.
 *
 * Sections ("config setup", "conn NAME") and "include FILE" start at
 * column 0; key=value lines are indented. '#' starts a comment outside
 * double quotes. A value is the rest of the line: double-quoted parts lose
 * their quotes (\" and \\ escape inside them), runs of whitespace between
 * words become one space, as strongSwan's parser joins them. */
#include "conf/conf_lex.h"

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_util.h"

struct lexer {
	struct conf_raw *raw;
	const char *file;       /* into raw->files */
	int line;
	int depth;
	int cur_idx;            /* open section in raw->secs, -1: none */
	char *err;
	size_t errlen;
};

static int lex_text(struct conf_raw *raw, const char *file, const char *text,
                    int depth, char *err, size_t errlen);

static bool is_ws(char c)
{
	return c == ' ' || c == '\t';
}

static int add_file(struct conf_raw *raw, const char *path, const char **stored)
{
	if (conf_strv_add(&raw->files, &raw->n_files, path) < 0)
		return -1;
	*stored = raw->files[raw->n_files - 1];
	return 0;
}

/* End of the meaningful part of a line: where an unquoted '#' starts a
 * comment, or the end. -1 on an unterminated quote. */
static int content_end(const char *s, size_t len, size_t *end)
{
	bool q = false;

	for (size_t i = 0; i < len; i++) {
		if (q && s[i] == '\\' && i + 1 < len) {
			i++;
			continue;
		}
		if (s[i] == '"')
			q = !q;
		else if (s[i] == '#' && !q) {
			*end = i;
			return 0;
		}
	}
	if (q)
		return -1;
	*end = len;
	return 0;
}

/* Unquotes and joins words of s[0..len) into a new string. */
static char *unquote_value(const char *s, size_t len)
{
	char *out = malloc(len + 1);
	size_t o = 0;
	bool space = false;

	if (!out)
		return NULL;
	for (size_t i = 0; i < len; i++) {
		if (is_ws(s[i])) {
			space = o > 0;
			continue;
		}
		if (space) {
			out[o++] = ' ';
			space = false;
		}
		if (s[i] == '"') {
			for (i++; i < len && s[i] != '"'; i++) {
				if (s[i] == '\\' && i + 1 < len && (s[i + 1] == '"' || s[i + 1] == '\\'))
					i++;
				out[o++] = s[i];
			}
			continue;
		}
		out[o++] = s[i];
	}
	out[o] = '\0';
	return out;
}

static int open_section(struct lexer *lx, enum conf_sec_kind kind, const char *name)
{
	struct conf_raw *raw = lx->raw;
	struct conf_sec *sec;

	if (conf_grow((void **)&raw->secs, &raw->cap_secs, raw->n_secs, sizeof(*raw->secs)) < 0)
		goto oom;
	sec = &raw->secs[raw->n_secs];
	memset(sec, 0, sizeof(*sec));
	sec->kind = kind;
	sec->file = lx->file;
	sec->line = lx->line;
	if (name) {
		sec->name = strdup(name);
		if (!sec->name)
			goto oom;
	}
	lx->cur_idx = raw->n_secs++;
	return 0;
oom:
	conf_errf(lx->err, lx->errlen, lx->file, lx->line, "out of memory");
	return -1;
}

static int do_include(struct lexer *lx, const char *pattern)
{
	char **paths = NULL, why[128], show[CONF_SHOW_LEN];
	int n = 0, ret = -1;

	if (lx->depth + 1 >= CONF_MAX_INCLUDE_DEPTH) {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line,
		          "includes nested more than %d deep (an include loop?)",
		          CONF_MAX_INCLUDE_DEPTH);
		goto out;
	}
	if (conf_include_glob(lx->file, pattern, &paths, &n) < 0) {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line, "include '%s': cannot expand",
		          conf_show(pattern, show, sizeof(show)));
		goto out;
	}
	if (n == 0 && !conf_is_glob(pattern)) {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line,
		          "include '%s': No such file or directory",
		          conf_show(pattern, show, sizeof(show)));
		goto out;
	}
	for (int i = 0; i < n; i++) {
		const char *stored;
		size_t tlen = 0;
		char *text = conf_read_file(paths[i], &tlen, why, sizeof(why));
		if (text && strlen(text) != tlen) {
			free(text);
			text = NULL;
			snprintf(why, sizeof(why), "file contains a NUL byte");
		}
		if (!text) {
			conf_errf(lx->err, lx->errlen, lx->file, lx->line, "include '%s': %s",
			          conf_show(paths[i], show, sizeof(show)), why);
			goto out;
		}
		if (add_file(lx->raw, paths[i], &stored) < 0) {
			free(text);
			conf_errf(lx->err, lx->errlen, lx->file, lx->line, "out of memory");
			goto out;
		}
		int r = lex_text(lx->raw, stored, text, lx->depth + 1, lx->err, lx->errlen);
		free(text);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	conf_strv_free(paths, n);
	return ret;
}

/* A column-0 line: a section header or an include. */
static int top_line(struct lexer *lx, const char *s, size_t len)
{
	char word[16], show[CONF_SHOW_LEN];
	size_t wl = 0, i;
	char *rest = NULL;
	int ret = -1;

	while (wl < len && !is_ws(s[wl]))
		wl++;
	for (i = wl; i < len && is_ws(s[i]); i++)
		;
	rest = unquote_value(s + i, len - i);
	if (!rest) {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line, "out of memory");
		goto out;
	}
	snprintf(word, sizeof(word), "%.*s", (int)(wl < 15 ? wl : 15), s);
	lx->cur_idx = -1;
	if (wl == 6 && strncmp(s, "config", 6) == 0) {
		if (strcmp(rest, "setup") != 0) {
			conf_errf(lx->err, lx->errlen, lx->file, lx->line, "expected 'config setup'");
			goto out;
		}
		ret = open_section(lx, SEC_SETUP, NULL);
	} else if (wl == 4 && strncmp(s, "conn", 4) == 0) {
		if (!*rest || strpbrk(rest, " \t")) {
			conf_errf(lx->err, lx->errlen, lx->file, lx->line,
			          "expected 'conn NAME' with a name of one word");
			goto out;
		}
		ret = open_section(lx, SEC_CONN, rest);
	} else if (wl == 2 && strncmp(s, "ca", 2) == 0) {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line,
		          "ca sections are not supported (put CA certificates in ipsec.d/cacerts)");
	} else if (wl == 7 && strncmp(s, "include", 7) == 0) {
		if (!*rest || strpbrk(rest, " \t")) {
			conf_errf(lx->err, lx->errlen, lx->file, lx->line,
			          "expected 'include FILE' with one file name or pattern");
			goto out;
		}
		ret = do_include(lx, rest);
	} else if (memchr(s, '=', len)) {
		char key[40];
		size_t kl = (size_t)((const char *)memchr(s, '=', len) - s);
		snprintf(key, sizeof(key), "%.*s", (int)(kl < 32 ? kl : 32), s);
		conf_errf(lx->err, lx->errlen, lx->file, lx->line,
		          "'%s=' outside a section (keywords must be indented under "
		          "'config setup' or 'conn NAME')", conf_show(key, show, sizeof(show)));
	} else {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line,
		          "syntax error: expected 'config setup', 'conn NAME' or 'include FILE', "
		          "not '%s'", conf_show(word, show, sizeof(show)));
	}
out:
	free(rest);
	return ret;
}

/* An indented key=value line. */
static int kv_line(struct lexer *lx, const char *s, size_t len)
{
	char show[CONF_SHOW_LEN], key[64];
	size_t i = 0, ks, kl;
	struct conf_sec *sec;
	struct conf_kv *kv;
	char *value = NULL;

	while (i < len && is_ws(s[i]))
		i++;
	ks = i;
	while (i < len && ((s[i] >= 'a' && s[i] <= 'z') || (s[i] >= 'A' && s[i] <= 'Z') ||
	                   (s[i] >= '0' && s[i] <= '9') || s[i] == '_'))
		i++;
	kl = i - ks;
	while (i < len && is_ws(s[i]))
		i++;
	if (kl == 0 || kl >= sizeof(key) || i >= len || s[i] != '=') {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line, "expected 'keyword=value'");
		return -1;
	}
	memcpy(key, s + ks, kl);
	key[kl] = '\0';
	if (lx->cur_idx < 0) {
		conf_errf(lx->err, lx->errlen, lx->file, lx->line,
		          "'%s=' outside a section", conf_show(key, show, sizeof(show)));
		return -1;
	}
	sec = &lx->raw->secs[lx->cur_idx];
	if (strcmp(key, "also") != 0) {
		for (int k = 0; k < sec->n_kv; k++) {
			if (strcmp(sec->kv[k].key, key) == 0) {
				conf_errf(lx->err, lx->errlen, lx->file, lx->line,
				          "duplicate keyword '%s' (already set at %s:%d)",
				          key, sec->kv[k].file, sec->kv[k].line);
				return -1;
			}
		}
	}
	value = unquote_value(s + i + 1, len - i - 1);
	if (!value ||
	    conf_grow((void **)&sec->kv, &sec->cap_kv, sec->n_kv, sizeof(*sec->kv)) < 0)
		goto oom;
	kv = &sec->kv[sec->n_kv];
	kv->key = strdup(key);
	if (!kv->key)
		goto oom;
	kv->value = value;
	kv->file = lx->file;
	kv->line = lx->line;
	sec->n_kv++;
	return 0;
oom:
	free(value);
	conf_errf(lx->err, lx->errlen, lx->file, lx->line, "out of memory");
	return -1;
}

static int lex_text(struct conf_raw *raw, const char *file, const char *text,
                    int depth, char *err, size_t errlen)
{
	struct lexer lx = {
		.raw = raw, .file = file, .depth = depth, .cur_idx = -1,
		.err = err, .errlen = errlen,
	};
	const char *p = text;

	if (strncmp(p, "\xef\xbb\xbf", 3) == 0)   /* UTF-8 byte order mark */
		p += 3;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		size_t end;

		lx.line++;
		if (len > 0 && p[len - 1] == '\r')
			len--;
		if (content_end(p, len, &end) < 0) {
			conf_errf(err, errlen, file, lx.line, "unterminated quoted string");
			return -1;
		}
		while (end > 0 && is_ws(p[end - 1]))
			end--;
		size_t first = 0;
		while (first < end && is_ws(p[first]))
			first++;
		if (first < end) {
			int r = first == 0 ? top_line(&lx, p, end) : kv_line(&lx, p, end);
			if (r < 0)
				return -1;
		}
		if (!nl)
			break;
		p = nl + 1;
	}
	return 0;
}

int conf_lex_text(struct conf_raw *raw, const char *name, const char *text,
                  char *err, size_t errlen)
{
	const char *stored;

	if (!name)
		name = "ipsec.conf";
	if (add_file(raw, name, &stored) < 0) {
		conf_errf(err, errlen, name, 0, "out of memory");
		return -1;
	}
	return lex_text(raw, stored, text ? text : "", 0, err, errlen);
}

int conf_lex_file(struct conf_raw *raw, const char *path, char *err, size_t errlen)
{
	char why[128];
	size_t len;
	char *text = conf_read_file(path, &len, why, sizeof(why));
	int r;

	if (!text) {
		conf_errf(err, errlen, path, 0, "cannot read: %s", why);
		return -1;
	}
	if (strlen(text) != len) {
		conf_errf(err, errlen, path, 0, "file contains a NUL byte");
		free(text);
		return -1;
	}
	r = conf_lex_text(raw, path, text, err, errlen);
	free(text);
	return r;
}

void conf_raw_free(struct conf_raw *raw)
{
	if (!raw)
		return;
	for (int i = 0; i < raw->n_secs; i++) {
		struct conf_sec *s = &raw->secs[i];
		for (int k = 0; k < s->n_kv; k++) {
			free(s->kv[k].key);
			free(s->kv[k].value);
		}
		free(s->kv);
		free(s->name);
	}
	free(raw->secs);
	conf_strv_free(raw->files, raw->n_files);
	memset(raw, 0, sizeof(*raw));
}
