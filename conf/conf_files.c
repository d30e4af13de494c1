/* Reading the configuration's files, directly or through a snapshot. */
#include "conf/conf_files.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include "conf/conf_util.h"

/* what one read answered: a file's bytes, or the paths a glob or a
 * directory listing gave (NUL-separated), or the reason it failed */
enum entry_kind { E_FILE = 'F', E_GLOB = 'G', E_DIR = 'D' };

struct entry {
	uint8_t kind;
	bool ok;
	char *key;                 /* path or pattern */
	uint8_t *data;             /* contents, list, or the reason */
	size_t len;
};

struct conf_snapshot {
	struct entry *e;
	int n, cap;
};

#define SNAP_MAGIC "cygnet-snapshot-1"
#define SNAP_MAX_ENTRIES 8192
#define SNAP_MAX_KEY 4096

static struct conf_snapshot *recording;
static const struct conf_snapshot *replaying;

struct conf_snapshot *conf_snapshot_new(void)
{
	return calloc(1, sizeof(struct conf_snapshot));
}

static void wipe_free(void *p, size_t len)
{
	if (!p)
		return;
	explicit_bzero(p, len);
	free(p);
}

void conf_snapshot_free(struct conf_snapshot *s)
{
	if (!s)
		return;
	if (recording == s)
		recording = NULL;
	if (replaying == s)
		replaying = NULL;
	for (int i = 0; i < s->n; i++) {
		wipe_free(s->e[i].data, s->e[i].len);
		free(s->e[i].key);
	}
	free(s->e);
	free(s);
}

void conf_files_record(struct conf_snapshot *s)
{
	recording = s;
	replaying = NULL;
}

void conf_files_replay(const struct conf_snapshot *s)
{
	replaying = s;
	recording = NULL;
}

void conf_files_direct(void)
{
	recording = NULL;
	replaying = NULL;
}

/* records one answer; a recording that runs out of memory is marked by
 * an entry that cannot be added, and the replay then fails cleanly */
static void record(uint8_t kind, const char *key, bool ok, const void *data, size_t len)
{
	struct conf_snapshot *s = recording;
	if (!s || s->n >= SNAP_MAX_ENTRIES || conf_grow((void **)&s->e, &s->cap, s->n, sizeof(*s->e)) < 0)
		return;
	struct entry *e = &s->e[s->n];
	e->key = strdup(key);
	e->data = malloc(len ? len : 1);
	if (!e->key || !e->data) {
		free(e->key);
		free(e->data);
		memset(e, 0, sizeof(*e));
		return;
	}
	if (len)
		memcpy(e->data, data, len);
	e->len = len;
	e->kind = kind;
	e->ok = ok;
	s->n++;
}

static const struct entry *lookup(uint8_t kind, const char *key)
{
	for (int i = 0; i < replaying->n; i++)
		if (replaying->e[i].kind == kind && strcmp(replaying->e[i].key, key) == 0)
			return &replaying->e[i];
	return NULL;
}

/* a failed read as recorded: its reason into why */
static void replay_why(const struct entry *e, char *why, size_t whylen)
{
	if (!e) {
		snprintf(why, whylen, "was not read by the privileged helper");
		return;
	}
	snprintf(why, whylen, "%.*s", (int)(e->len < 200 ? e->len : 200), (const char *)e->data);
}

static char *read_direct(const char *path, size_t *len, char *why, size_t whylen)
{
	char *buf = NULL, *ret = NULL;
	size_t used = 0, cap = 0;
	struct stat st;
	int fd = -1;

	fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK);
	if (fd < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (fstat(fd, &st) < 0) {
		snprintf(why, whylen, "%s", strerror(errno));
		goto out;
	}
	if (!S_ISREG(st.st_mode)) {
		snprintf(why, whylen, "not a regular file");
		goto out;
	}
	for (;;) {
		if (used + 1 >= cap) {
			size_t ncap = cap ? cap * 2 : 4096;
			if (ncap > CONF_MAX_FILE + 1)
				ncap = CONF_MAX_FILE + 1;
			if (ncap <= used + 1) {
				snprintf(why, whylen, "file is larger than %u bytes", CONF_MAX_FILE);
				goto out;
			}
			char *nb = malloc(ncap);
			if (!nb) {
				snprintf(why, whylen, "out of memory");
				goto out;
			}
			if (buf) {
				memcpy(nb, buf, used);
				wipe_free(buf, cap);
			}
			buf = nb;
			cap = ncap;
		}
		ssize_t r = read(fd, buf + used, cap - used - 1);
		if (r < 0) {
			if (errno == EINTR)
				continue;
			snprintf(why, whylen, "%s", strerror(errno));
			goto out;
		}
		if (r == 0)
			break;
		used += (size_t)r;
	}
	buf[used] = '\0';
	*len = used;
	ret = buf;
	buf = NULL;
out:
	wipe_free(buf, cap);
	if (fd >= 0)
		close(fd);
	return ret;
}

char *conf_read_file(const char *path, size_t *len, char *why, size_t whylen)
{
	size_t n = 0;
	char *buf;

	if (replaying) {
		const struct entry *e = lookup(E_FILE, path);
		if (!e || !e->ok) {
			replay_why(e, why, whylen);
			return NULL;
		}
		buf = malloc(e->len + 1);
		if (!buf) {
			snprintf(why, whylen, "out of memory");
			return NULL;
		}
		memcpy(buf, e->data, e->len);
		buf[e->len] = '\0';
		n = e->len;
	} else {
		buf = read_direct(path, &n, why, whylen);
		if (buf)
			record(E_FILE, path, true, buf, n);
		else
			record(E_FILE, path, false, why, strlen(why));
	}
	if (buf && len)
		*len = n;
	return buf;
}

/* a recorded list back into a string vector */
static int list_from(const struct entry *e, char ***paths, int *n)
{
	size_t i = 0;
	while (i < e->len) {
		const char *s = (const char *)e->data + i;
		size_t l = strnlen(s, e->len - i);
		if (i + l == e->len || conf_strv_add(paths, n, s) < 0)
			return -1;
		i += l + 1;
	}
	return 0;
}

static void record_list(uint8_t kind, const char *key, char **paths, int n)
{
	size_t total = 0;
	for (int i = 0; i < n; i++)
		total += strlen(paths[i]) + 1;
	char *buf = malloc(total ? total : 1), *p = buf;
	if (!buf)
		return;
	for (int i = 0; i < n; i++) {
		size_t l = strlen(paths[i]) + 1;
		memcpy(p, paths[i], l);
		p += l;
	}
	record(kind, key, true, buf, total);
	free(buf);
}

bool conf_is_glob(const char *s)
{
	return strpbrk(s, "*?[") != NULL;
}

int conf_include_glob(const char *including_file, const char *pattern,
                      char ***paths, int *n)
{
	char *full = NULL;
	glob_t g;
	int ret = -1, gr;
	bool have_glob = false;

	*paths = NULL;
	*n = 0;
	if (pattern[0] == '/' || !strchr(including_file, '/')) {
		full = strdup(pattern);
	} else {
		const char *slash = strrchr(including_file, '/');
		size_t dl = (size_t)(slash - including_file) + 1;
		full = malloc(dl + strlen(pattern) + 1);
		if (full) {
			memcpy(full, including_file, dl);
			strcpy(full + dl, pattern);
		}
	}
	if (!full)
		goto out;
	if (replaying) {
		const struct entry *e = lookup(E_GLOB, full);
		if (e && e->ok && list_from(e, paths, n) == 0)
			ret = 0;
		goto out;
	}
	gr = glob(full, 0, NULL, &g);  /* sorted, as strongSwan reads them */
	have_glob = (gr == 0 || gr == GLOB_NOMATCH);
	if (gr == GLOB_NOMATCH) {
		record(E_GLOB, full, true, "", 0);
		ret = 0;
		goto out;
	}
	if (gr != 0) {
		record(E_GLOB, full, false, "cannot expand", 13);
		goto out;
	}
	for (size_t i = 0; i < g.gl_pathc; i++)
		if (conf_strv_add(paths, n, g.gl_pathv[i]) < 0)
			goto out;
	record_list(E_GLOB, full, *paths, *n);
	ret = 0;
out:
	if (ret != 0) {
		conf_strv_free(*paths, *n);
		*paths = NULL;
		*n = 0;
	}
	if (have_glob)
		globfree(&g);
	free(full);
	return ret;
}

static int skip_dot(const struct dirent *d)
{
	return d->d_name[0] != '.';
}

static int list_direct(const char *dir, char ***paths, int *n, char *why, size_t whylen)
{
	struct dirent **names = NULL;
	char path[4096];
	int count, ret = -1;

	count = scandir(dir, &names, skip_dot, alphasort);
	if (count < 0) {
		if (errno == ENOENT)
			return 0;
		snprintf(why, whylen, "%s", strerror(errno));
		return -1;
	}
	for (int i = 0; i < count; i++) {
		struct stat st;
		if ((size_t)snprintf(path, sizeof(path), "%s/%s", dir, names[i]->d_name) >= sizeof(path)) {
			snprintf(why, whylen, "%s: path too long", names[i]->d_name);
			goto out;
		}
		if (stat(path, &st) != 0) {
			snprintf(why, whylen, "%s: %s", path, strerror(errno));
			goto out;
		}
		if (S_ISREG(st.st_mode) && conf_strv_add(paths, n, path) < 0) {
			snprintf(why, whylen, "out of memory");
			goto out;
		}
	}
	ret = 0;
out:
	for (int i = 0; i < count; i++)
		free(names[i]);
	free(names);
	return ret;
}

int conf_list_dir(const char *dir, char ***paths, int *n, char *why, size_t whylen)
{
	int ret;

	*paths = NULL;
	*n = 0;
	if (replaying) {
		const struct entry *e = lookup(E_DIR, dir);
		if (!e || !e->ok) {
			replay_why(e, why, whylen);
			return -1;
		}
		ret = list_from(e, paths, n);
		if (ret != 0)
			snprintf(why, whylen, "out of memory");
	} else {
		ret = list_direct(dir, paths, n, why, whylen);
		if (ret == 0)
			record_list(E_DIR, dir, *paths, *n);
		else
			record(E_DIR, dir, false, why, strlen(why));
	}
	if (ret != 0) {
		conf_strv_free(*paths, *n);
		*paths = NULL;
		*n = 0;
	}
	return ret;
}

/* ---- serialisation: magic, count, then per entry kind, ok, key length,
 * key, data length, data (lengths 32-bit big-endian) ---- */

static void put32(uint8_t *p, uint32_t v)
{
	p[0] = (uint8_t)(v >> 24);
	p[1] = (uint8_t)(v >> 16);
	p[2] = (uint8_t)(v >> 8);
	p[3] = (uint8_t)v;
}

static uint32_t get32(const uint8_t *p)
{
	return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

int conf_snapshot_encode(const struct conf_snapshot *s, uint8_t **buf, size_t *len)
{
	size_t total = sizeof(SNAP_MAGIC) + 4;
	for (int i = 0; i < s->n; i++)
		total += 2 + 4 + strlen(s->e[i].key) + 4 + s->e[i].len;
	uint8_t *b = malloc(total), *p = b;
	if (!b)
		return -1;
	memcpy(p, SNAP_MAGIC, sizeof(SNAP_MAGIC));
	p += sizeof(SNAP_MAGIC);
	put32(p, (uint32_t)s->n);
	p += 4;
	for (int i = 0; i < s->n; i++) {
		const struct entry *e = &s->e[i];
		size_t kl = strlen(e->key);
		*p++ = e->kind;
		*p++ = e->ok;
		put32(p, (uint32_t)kl);
		memcpy(p + 4, e->key, kl);
		p += 4 + kl;
		put32(p, (uint32_t)e->len);
		memcpy(p + 4, e->data, e->len);
		p += 4 + e->len;
	}
	*buf = b;
	*len = total;
	return 0;
}

struct conf_snapshot *conf_snapshot_decode(const uint8_t *buf, size_t len)
{
	struct conf_snapshot *s = conf_snapshot_new();
	size_t off = sizeof(SNAP_MAGIC) + 4;
	if (!s || len < off || memcmp(buf, SNAP_MAGIC, sizeof(SNAP_MAGIC)) != 0)
		goto fail;
	uint32_t count = get32(buf + sizeof(SNAP_MAGIC));
	if (count > SNAP_MAX_ENTRIES)
		goto fail;
	for (uint32_t i = 0; i < count; i++) {
		if (len - off < 6)
			goto fail;
		uint8_t kind = buf[off], ok = buf[off + 1];
		uint32_t kl = get32(buf + off + 2);
		off += 6;
		if ((kind != E_FILE && kind != E_GLOB && kind != E_DIR) || ok > 1 ||
		    kl == 0 || kl > SNAP_MAX_KEY || len - off < (size_t)kl + 4 ||
		    memchr(buf + off, 0, kl))
			goto fail;
		const uint8_t *key = buf + off;
		off += kl;
		uint32_t dl = get32(buf + off);
		off += 4;
		if (dl > CONF_MAX_FILE || len - off < dl)
			goto fail;
		if (conf_grow((void **)&s->e, &s->cap, s->n, sizeof(*s->e)) < 0)
			goto fail;
		struct entry *e = &s->e[s->n];
		e->key = strndup((const char *)key, kl);
		e->data = malloc(dl ? dl : 1);
		if (!e->key || !e->data) {
			free(e->key);
			free(e->data);
			memset(e, 0, sizeof(*e));
			goto fail;
		}
		memcpy(e->data, buf + off, dl);
		e->len = dl;
		e->kind = kind;
		e->ok = ok;
		s->n++;
		off += dl;
	}
	if (off != len)
		goto fail;
	return s;
fail:
	conf_snapshot_free(s);
	return NULL;
}
