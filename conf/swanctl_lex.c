/* strongswan.conf-style settings text into a tree (conf/swanctl_lex.h).
 *
 * One recursive-descent pass per file: a statement is "name = value",
 * "name {" (a section, closed by '}'), or "include PATTERN". Included
 * files are parsed into the section the include stands in; each file must
 * close the sections it opens. */
#include "conf/swanctl_lex.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "conf/conf_util.h"

struct lx {
	struct sw_tree *t;
	const char *file;           /* stored in t->files */
	const char *s;
	size_t i;
	int line, depth;
	char *err;
	size_t errlen;
};

static void node_free(struct sw_node *n)
{
	for (int i = 0; i < n->n_kids; i++)
		node_free(&n->kids[i]);
	free(n->kids);
	free(n->name);
	if (n->value) {
		explicit_bzero(n->value, strlen(n->value));
		free(n->value);
	}
	memset(n, 0, sizeof(*n));
}

void sw_tree_free(struct sw_tree *t)
{
	if (!t)
		return;
	node_free(&t->root);
	conf_strv_free(t->files, t->n_files);
	conf_strv_free(t->warnings, t->n_warnings);
	memset(t, 0, sizeof(*t));
}

const struct sw_node *sw_find(const struct sw_node *sec, const char *name)
{
	for (int i = 0; sec && i < sec->n_kids; i++)
		if (strcmp(sec->kids[i].name, name) == 0)
			return &sec->kids[i];
	return NULL;
}

int sw_warn(struct sw_tree *t, const char *file, int line, const char *fmt, ...)
{
	char msg[512], full[768];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_errf(full, sizeof(full), file, line, "%s", msg);
	for (int i = 0; i < t->n_warnings; i++)
		if (strcmp(t->warnings[i], full) == 0)
			return 0;
	return conf_strv_add(&t->warnings, &t->n_warnings, full);
}

static int fail(struct lx *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static int fail(struct lx *x, const char *fmt, ...)
{
	char msg[384];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	conf_errf(x->err, x->errlen, x->file, x->line, "%s", msg);
	return -1;
}

static char cur(const struct lx *x)
{
	return x->s[x->i];
}

/* blanks within the line */
static void skip_blank(struct lx *x)
{
	while (cur(x) == ' ' || cur(x) == '\t' || cur(x) == '\r')
		x->i++;
}

/* blanks, line ends and comments */
static void skip_space(struct lx *x)
{
	for (;;) {
		char c = cur(x);
		if (c == '\n') {
			x->line++;
			x->i++;
		} else if (c == ' ' || c == '\t' || c == '\r') {
			x->i++;
		} else if (c == '#') {
			while (cur(x) && cur(x) != '\n')
				x->i++;
		} else {
			return;
		}
	}
}

static bool name_char(char c)
{
	return c && !strchr(" \t\r\n{}=#\":,;", c);
}

struct buf {
	char *p;
	size_t n, cap;
};

static int buf_add(struct buf *b, char c)
{
	if (b->n + 1 >= b->cap) {
		size_t ncap = b->cap ? b->cap * 2 : 64;
		char *np = malloc(ncap);
		if (!np)
			return -1;
		if (b->p) {
			memcpy(np, b->p, b->n);
			explicit_bzero(b->p, b->cap);
			free(b->p);
		}
		b->p = np;
		b->cap = ncap;
	}
	b->p[b->n++] = c;
	b->p[b->n] = '\0';
	return 0;
}

static void buf_wipe(struct buf *b)
{
	if (b->p) {
		explicit_bzero(b->p, b->cap);
		free(b->p);
	}
	memset(b, 0, sizeof(*b));
}

/* The rest of the line after '=' (or "include"): a double-quoted string
 * with escapes, or everything up to an unquoted '#', '}' or the line end,
 * outer blanks trimmed (so "a { b = c }" is one line). *out is malloc'd
 * (possibly ""). */
static int read_value(struct lx *x, char **out)
{
	struct buf b = { 0 };
	int start = x->line;

	skip_blank(x);
	if (cur(x) == '"') {
		x->i++;
		for (;;) {
			char c = cur(x);
			if (!c) {
				buf_wipe(&b);
				x->line = start;
				return fail(x, "unterminated quoted value");
			}
			x->i++;
			if (c == '"')
				break;
			if (c == '\n')
				x->line++;
			if (c == '\\' && cur(x)) {
				char e = cur(x);
				x->i++;
				if (e == 'n')
					c = '\n';
				else if (e == 't')
					c = '\t';
				else if (e == '"' || e == '\\')
					c = e;
				else if (buf_add(&b, '\\') < 0)
					goto oom;
				else
					c = e;
				if (e == '\n')
					x->line++;
			}
			if (buf_add(&b, c) < 0)
				goto oom;
		}
		skip_blank(x);
		if (cur(x) && cur(x) != '\n' && cur(x) != '#' && cur(x) != '}') {
			buf_wipe(&b);
			return fail(x, "unexpected text after a quoted value");
		}
	} else {
		while (cur(x) && cur(x) != '\n' && cur(x) != '#' && cur(x) != '}') {
			if (buf_add(&b, cur(x)) < 0)
				goto oom;
			x->i++;
		}
		while (b.n > 0 && strchr(" \t\r", b.p[b.n - 1]))
			b.p[--b.n] = '\0';
	}
	if (!b.p && buf_add(&b, 'x') == 0)
		b.p[b.n = 0] = '\0';
	if (!b.p)
		goto oom;
	*out = b.p;
	return 0;
oom:
	buf_wipe(&b);
	return fail(x, "out of memory");
}

/* the kid of sec called name, added (zeroed, named) when missing */
static struct sw_node *kid(struct lx *x, struct sw_node *sec, const char *name, bool section)
{
	char show[CONF_SHOW_LEN];

	for (int i = 0; i < sec->n_kids; i++) {
		struct sw_node *k = &sec->kids[i];
		if (strcmp(k->name, name) != 0)
			continue;
		if ((k->value == NULL) != section) {
			fail(x, "'%s' is a %s (%s:%d), not a %s", conf_show(name, show, sizeof(show)),
			     section ? "key" : "section", k->file, k->line, section ? "section" : "key");
			return NULL;
		}
		return k;
	}
	if (conf_grow((void **)&sec->kids, &sec->cap_kids, sec->n_kids, sizeof(*sec->kids)) < 0) {
		fail(x, "out of memory");
		return NULL;
	}
	struct sw_node *k = &sec->kids[sec->n_kids];
	memset(k, 0, sizeof(*k));
	k->name = strdup(name);
	if (!k->name) {
		fail(x, "out of memory");
		return NULL;
	}
	sec->n_kids++;
	return k;
}

static int lex_text(struct sw_tree *t, struct sw_node *sec, const char *file,
                    const char *text, int depth, char *err, size_t errlen);

static int do_include(struct lx *x, struct sw_node *sec, const char *pattern)
{
	char **paths = NULL, why[128], show[CONF_SHOW_LEN];
	int n = 0, ret = -1, line = x->line;

	if (!*pattern)
		return fail(x, "include: expected a file name or pattern");
	if (x->depth + 1 >= CONF_MAX_INCLUDE_DEPTH)
		return fail(x, "includes nested more than %d deep (an include loop?)",
		            CONF_MAX_INCLUDE_DEPTH);
	if (conf_include_glob(x->file, pattern, &paths, &n) < 0)
		return fail(x, "include '%s': cannot expand", conf_show(pattern, show, sizeof(show)));
	if (n == 0 && !conf_is_glob(pattern) &&
	    sw_warn(x->t, x->file, line, "include '%s': No such file or directory (skipped, "
	            "as strongSwan does)", conf_show(pattern, show, sizeof(show))) < 0) {
		fail(x, "out of memory");
		goto out;
	}
	for (int i = 0; i < n; i++) {
		size_t len = 0;
		char *text = conf_read_file(paths[i], &len, why, sizeof(why));
		if (text && strlen(text) != len) {
			explicit_bzero(text, len);
			free(text);
			text = NULL;
			snprintf(why, sizeof(why), "file contains a NUL byte");
		}
		if (!text) {
			fail(x, "include '%s': %s", conf_show(paths[i], show, sizeof(show)), why);
			goto out;
		}
		if (conf_strv_add(&x->t->files, &x->t->n_files, paths[i]) < 0) {
			explicit_bzero(text, len);
			free(text);
			fail(x, "out of memory");
			goto out;
		}
		int r = lex_text(x->t, sec, x->t->files[x->t->n_files - 1], text, x->depth + 1,
		                 x->err, x->errlen);
		explicit_bzero(text, len);
		free(text);
		if (r < 0)
			goto out;
	}
	ret = 0;
out:
	conf_strv_free(paths, n);
	return ret;
}

/* Statements into sec until its '}' (nested) or the end of the text. */
static int parse_block(struct lx *x, struct sw_node *sec, bool nested, int open_line)
{
	char name[256], show[CONF_SHOW_LEN];

	for (;;) {
		skip_space(x);
		char c = cur(x);
		if (!c) {
			if (!nested)
				return 0;
			x->line = open_line;
			return fail(x, "section '%s' is not closed with '}' in this file",
			            conf_show(sec->name, show, sizeof(show)));
		}
		if (c == '}') {
			x->i++;
			if (nested)
				return 0;
			return fail(x, "'}' without a section to close");
		}
		size_t len = 0;
		while (name_char(cur(x))) {
			if (len + 1 >= sizeof(name))
				return fail(x, "name too long");
			name[len++] = cur(x);
			x->i++;
		}
		name[len] = '\0';
		if (len == 0)
			return fail(x, "syntax error at '%c': expected a name", c);
		int line = x->line;
		skip_blank(x);
		c = cur(x);
		if (c == '=') {
			char *v;
			x->i++;
			if (read_value(x, &v) < 0)
				return -1;
			struct sw_node *k = kid(x, sec, name, false);
			if (!k) {
				explicit_bzero(v, strlen(v));
				free(v);
				return -1;
			}
			if (k->value) {
				explicit_bzero(k->value, strlen(k->value));
				free(k->value);
			}
			k->value = v;
			k->file = x->file;
			k->line = line;
			continue;
		}
		if (strcmp(name, "include") == 0 && c != '{' && c != ':') {
			char *pattern;
			if (read_value(x, &pattern) < 0)
				return -1;
			int r = do_include(x, sec, pattern);
			free(pattern);
			if (r < 0)
				return -1;
			continue;
		}
		skip_space(x);
		c = cur(x);
		if (c == ':')
			return fail(x, "section references ('%s : ...') are not supported",
			            conf_show(name, show, sizeof(show)));
		if (c != '{') {
			x->line = line;
			return fail(x, "expected '=' or '{' after '%s'", conf_show(name, show, sizeof(show)));
		}
		x->i++;
		struct sw_node *k = kid(x, sec, name, true);
		if (!k)
			return -1;
		if (!k->file) {
			k->file = x->file;
			k->line = line;
		}
		if (parse_block(x, k, true, line) < 0)
			return -1;
	}
}

static int lex_text(struct sw_tree *t, struct sw_node *sec, const char *file,
                    const char *text, int depth, char *err, size_t errlen)
{
	struct lx x = { .t = t, .file = file, .s = text, .line = 1, .depth = depth,
	                .err = err, .errlen = errlen };

	return parse_block(&x, sec, false, 0);
}

static int start(struct sw_tree *t, const char *name, char *err, size_t errlen)
{
	if (err && errlen)
		err[0] = '\0';
	if (!t->root.name && !(t->root.name = strdup(""))) {
		conf_errf(err, errlen, name, 0, "out of memory");
		return -1;
	}
	if (conf_strv_add(&t->files, &t->n_files, name) < 0) {
		conf_errf(err, errlen, name, 0, "out of memory");
		return -1;
	}
	return 0;
}

int sw_lex_text(struct sw_tree *t, const char *name, const char *text,
                char *err, size_t errlen)
{
	if (start(t, name, err, errlen) < 0)
		return -1;
	return lex_text(t, &t->root, t->files[t->n_files - 1], text, 0, err, errlen);
}

int sw_lex_file(struct sw_tree *t, const char *path, char *err, size_t errlen)
{
	char why[128];
	size_t len = 0;
	char *text = conf_read_file(path, &len, why, sizeof(why));
	int r;

	if (err && errlen)
		err[0] = '\0';
	if (!text) {
		conf_errf(err, errlen, path, 0, "%s", why);
		return -1;
	}
	if (strlen(text) != len) {
		conf_errf(err, errlen, path, 0, "file contains a NUL byte");
		r = -1;
	} else {
		r = sw_lex_text(t, path, text, err, errlen);
	}
	explicit_bzero(text, len);
	free(text);
	return r;
}
