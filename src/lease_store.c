/* Address leases across restarts (see lease_store.h). */
#define _GNU_SOURCE
#include "src/lease_store.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <sys/stat.h>
#include <event2/event.h>
#include "conf/conf_util.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/log.h"
#include "src/pool.h"

#define LEASE_TMP "leases.tmp"
#define ID_MAX 1024                     /* decoded identity bytes */

struct lease_store {
	char dir[512];
	int dirfd;
	struct event *tick;
	bool retry;                     /* the last write failed: write again */
	bool failing;                   /* ... and was logged */
	struct daemon *d;               /* whose configuration's pools (started) */
};

/* ---- format ---- */

/* %XX-decodes in (n bytes, printable ASCII) into out (ID_MAX + 1);
 * -1 on a bad escape, a NUL byte, or when too long */
static int decode_id(const char *in, size_t n, char *out)
{
	size_t o = 0;
	for (size_t i = 0; i < n; i++) {
		int c = (unsigned char)in[i];
		if (c == '%') {
			if (i + 2 >= n)
				return -1;
			int hi = conf_hexval(in[i + 1]);
			int lo = conf_hexval(in[i + 2]);
			if (hi < 0 || lo < 0)
				return -1;
			c = hi << 4 | lo;
			i += 2;
			if (c == 0)
				return -1;
		}
		if (o == ID_MAX)
			return -1;
		out[o++] = (char)c;
	}
	out[o] = 0;
	return o ? 0 : -1;
}

static int put_id(FILE *f, const char *id)
{
	for (const unsigned char *p = (const unsigned char *)id; *p; p++) {
		int rc = *p <= 0x20 || *p >= 0x7f || *p == '%' ? fprintf(f, "%%%02X", *p)
		                                              : fputc(*p, f);
		if (rc < 0)
			return -1;
	}
	return 0;
}

static struct pool *pool_named(struct pool *const *pools, int n, const char *name, size_t len)
{
	for (int i = 0; i < n; i++) {
		const char *pn = pool_name(pools[i]);
		if (strlen(pn) == len && memcmp(pn, name, len) == 0)
			return pools[i];
	}
	return NULL;
}

enum line_result { L_OK, L_UNKNOWN_POOL, L_REFUSED, L_GARBLED };

/* one lease line (no newline, len <= LEASE_LINE_MAX) */
static enum line_result parse_line(const char *s, size_t len, struct pool *const *pools, int n)
{
	const char *f[3];
	size_t fl[3];
	int nf = 0;
	size_t i = 0;
	while (i < len) {
		if (nf == 3)
			return L_GARBLED;
		f[nf] = s + i;
		while (i < len && s[i] != ' ')
			i++;
		fl[nf] = (size_t)(s + i - f[nf]);
		if (fl[nf] == 0)
			return L_GARBLED;       /* two spaces, or a leading one */
		nf++;
		if (i < len && ++i == len)
			return L_GARBLED;       /* a trailing space */
	}
	if (nf != 3)
		return L_GARBLED;
	for (size_t k = 0; k < len; k++)
		if (s[k] != ' ' && (s[k] < 0x21 || s[k] > 0x7e))
			return L_GARBLED;
	char addrtext[INET6_ADDRSTRLEN], id[ID_MAX + 1];
	uint8_t addr[16];
	if (fl[1] >= sizeof(addrtext) || decode_id(f[2], fl[2], id) != 0)
		return L_GARBLED;
	memcpy(addrtext, f[1], fl[1]);
	addrtext[fl[1]] = 0;
	struct pool *p = pool_named(pools, n, f[0], fl[0]);
	if (!p)
		return L_UNKNOWN_POOL;
	if (inet_pton(pool_family(p), addrtext, addr) != 1)
		return L_GARBLED;
	if (!pool_contains(p, addr) || pool_restore(p, id, addr) != 0)
		return L_REFUSED;
	return L_OK;
}

int lease_store_parse(const char *text, size_t len, struct pool *const *pools, int n,
                      struct lease_read *r)
{
	bool versioned = false;
	unsigned lineno = 0;
	memset(r, 0, sizeof(*r));
	for (size_t off = 0; off < len;) {
		const char *s = text + off;
		const char *nl = memchr(s, '\n', len - off);
		size_t l = nl ? (size_t)(nl - s) : len - off;
		off += l + (nl ? 1 : 0);
		lineno++;
		enum line_result res;
		if (l > LEASE_LINE_MAX || memchr(s, 0, l))
			res = L_GARBLED;
		else if (l == 0 || s[0] == '#')
			continue;
		else if (!versioned) {
			if (l != strlen(LEASE_VERSION_LINE) || memcmp(s, LEASE_VERSION_LINE, l) != 0)
				return -1;
			versioned = true;
			continue;
		} else
			res = parse_line(s, l, pools, n);
		if (res == L_OK)
			r->restored++;
		else if (res == L_UNKNOWN_POOL)
			r->unknown_pool++;
		else {
			if (res == L_REFUSED)
				r->refused++;
			else
				r->garbled++;
			if (!r->first_bad)
				r->first_bad = lineno;
		}
	}
	return versioned ? 0 : -1;
}

struct fmt_arg {
	FILE *f;
	const struct pool *p;
	int rc;
};

static size_t encoded_len(const char *id)
{
	size_t n = 0;
	for (const unsigned char *p = (const unsigned char *)id; *p; p++)
		n += *p <= 0x20 || *p >= 0x7f || *p == '%' ? 3 : 1;
	return n;
}

static void put_lease(void *arg, const uint8_t *addr, const char *id)
{
	struct fmt_arg *a = arg;
	char text[INET6_ADDRSTRLEN];
	/* never a line the reader refuses: identities are user names of at
	 * most 255 bytes (ike_sa.user), so this skips nothing today */
	if (strlen(pool_name(a->p)) + INET6_ADDRSTRLEN + 2 + encoded_len(id) > LEASE_LINE_MAX ||
	    strlen(id) > ID_MAX)
		return;
	if (a->rc != 0 || !inet_ntop(pool_family(a->p), addr, text, sizeof(text)) ||
	    fprintf(a->f, "%s %s ", pool_name(a->p), text) < 0 || put_id(a->f, id) != 0 ||
	    fputc('\n', a->f) == EOF)
		a->rc = -1;
}

int lease_store_format(FILE *f, struct pool *const *pools, int n)
{
	struct fmt_arg a = { f, NULL, 0 };
	if (fprintf(f, "# cygnet address leases: pool range, address, identity (%%XX-escaped)\n"
	            "# written by cygnetd, read at its start\n" LEASE_VERSION_LINE "\n") < 0)
		return -1;
	for (int i = 0; i < n && a.rc == 0; i++) {
		a.p = pools[i];
		pool_each_lease(pools[i], put_lease, &a);
	}
	return a.rc;
}

/* ---- the daemon's store ---- */

/* every pool of every configuration of cfg's set, once; NULL when out of
 * memory */
static struct pool **live_pools(const struct config *cfg, int *n)
{
	int cap = 0;
	for (struct config *c = config_live(cfg); c; c = c->live_next)
		cap += c->n_pools;
	struct pool **v = calloc((size_t)(cap ? cap : 1), sizeof(*v));
	*n = 0;
	if (!v)
		return NULL;
	for (struct config *c = config_live(cfg); c; c = c->live_next)
		for (int i = 0; i < c->n_pools; i++) {
			bool seen = false;
			for (int j = 0; j < *n && !seen; j++)
				seen = v[j] == c->pools[i];
			if (!seen)
				v[(*n)++] = c->pools[i];
		}
	return v;
}

struct lease_store *lease_store_open(const char *dir, uid_t uid, gid_t gid, char *err,
                                     size_t errlen)
{
	struct stat st;
	if (strlen(dir) >= sizeof(((struct lease_store *)0)->dir)) {
		snprintf(err, errlen, "state dir %s: name too long", dir);
		return NULL;
	}
	if (mkdir(dir, 0700) != 0 && errno != EEXIST) {
		snprintf(err, errlen, "cannot create state dir %s: %s", dir, strerror(errno));
		return NULL;
	}
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		snprintf(err, errlen, "state dir %s: %s%s", dir, strerror(errno),
		         errno == ELOOP || errno == ENOTDIR ? " (not a directory, or a symbolic link)"
		                                             : "");
		return NULL;
	}
	if (fstat(fd, &st) != 0) {
		snprintf(err, errlen, "state dir %s: %s", dir, strerror(errno));
		goto fail;
	}
	if (st.st_uid != uid && st.st_uid != 0) {
		snprintf(err, errlen, "state dir %s belongs to uid %u, not to uid %u that cygnetd "
		         "runs as (nor to root): not taking it over", dir, (unsigned)st.st_uid,
		         (unsigned)uid);
		goto fail;
	}
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) != 0) {
		snprintf(err, errlen, "state dir %s: chown to uid %u: %s", dir, (unsigned)uid,
		         strerror(errno));
		goto fail;
	}
	if ((st.st_mode & 07777) != 0700 && fchmod(fd, 0700) != 0) {
		snprintf(err, errlen, "state dir %s: chmod 0700: %s", dir, strerror(errno));
		goto fail;
	}
	struct lease_store *ls = calloc(1, sizeof(*ls));
	if (!ls) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	snprintf(ls->dir, sizeof(ls->dir), "%s", dir);
	ls->dirfd = fd;
	return ls;
fail:
	close(fd);
	return NULL;
}

/* reads the file into a NUL-free-checked buffer; NULL when missing (errno
 * ENOENT) or unreadable */
static char *read_file(int dirfd, size_t *len)
{
	char *buf = NULL;
	int fd = openat(dirfd, LEASE_FILE, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	struct stat st;
	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > LEASE_FILE_MAX) {
		errno = EFBIG;
		goto out;
	}
	buf = malloc((size_t)st.st_size + 1);
	if (!buf)
		goto out;
	size_t have = 0;
	while (have < (size_t)st.st_size) {
		ssize_t r = read(fd, buf + have, (size_t)st.st_size - have);
		if (r < 0 && errno == EINTR)
			continue;
		if (r <= 0)
			break;          /* shorter than stat said: parse what is there */
		have += (size_t)r;
	}
	*len = have;
out:
	close(fd);
	return buf;
}

void lease_store_load(struct lease_store *ls, struct config *cfg)
{
	size_t len = 0;
	struct lease_read r;
	char *text = read_file(ls->dirfd, &len);
	if (!text) {
		if (errno == ENOENT)
			log_info(LOG_CFG, "leases: %s/%s does not exist yet: no lease to restore",
			         ls->dir, LEASE_FILE);
		else
			log_err(LOG_CFG, "leases: %s/%s not read (%s): no lease restored", ls->dir,
			        LEASE_FILE, errno == EFBIG ? "not a regular file of at most 256 MiB"
			                                   : strerror(errno));
		return;
	}
	int rc = lease_store_parse(text, len, cfg->pools, cfg->n_pools, &r);
	free(text);
	if (rc != 0) {
		log_err(LOG_CFG, "leases: %s/%s has no '%s' line: ignored as a whole", ls->dir,
		        LEASE_FILE, LEASE_VERSION_LINE);
		return;
	}
	log_info(LOG_CFG, "leases: %u restored from %s/%s", r.restored, ls->dir, LEASE_FILE);
	if (r.unknown_pool)
		log_info(LOG_CFG, "leases: %u of pools no longer configured dropped", r.unknown_pool);
	if (r.garbled || r.refused)
		log_err(LOG_CFG, "leases: %s/%s: %u garbled line%s and %u lease%s outside its pool "
		        "or given twice ignored (the first on line %u)", ls->dir, LEASE_FILE,
		        r.garbled, r.garbled == 1 ? "" : "s", r.refused, r.refused == 1 ? "" : "s",
		        r.first_bad);
}

static int write_file(struct lease_store *ls, struct pool *const *pools, int n, char *err,
                      size_t errlen)
{
	if (unlinkat(ls->dirfd, LEASE_TMP, 0) != 0 && errno != ENOENT) {
		snprintf(err, errlen, "removing %s: %s", LEASE_TMP, strerror(errno));
		return -1;
	}
	int fd = openat(ls->dirfd, LEASE_TMP, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC,
	                0600);
	if (fd < 0) {
		snprintf(err, errlen, "creating %s: %s", LEASE_TMP, strerror(errno));
		return -1;
	}
	FILE *f = fdopen(fd, "w");
	if (!f) {
		snprintf(err, errlen, "%s", strerror(errno));
		close(fd);
		goto fail;
	}
	int rc = lease_store_format(f, pools, n);
	if (rc == 0 && fflush(f) != 0)
		rc = -1;
	if (rc == 0 && fsync(fd) != 0)
		rc = -1;
	int e = errno;
	if (fclose(f) != 0 && rc == 0) {
		rc = -1;
		e = errno;
	}
	if (rc != 0) {
		snprintf(err, errlen, "writing %s: %s", LEASE_TMP, strerror(e));
		goto fail;
	}
	if (renameat(ls->dirfd, LEASE_TMP, ls->dirfd, LEASE_FILE) != 0) {
		snprintf(err, errlen, "renaming %s to %s: %s", LEASE_TMP, LEASE_FILE, strerror(errno));
		goto fail;
	}
	fsync(ls->dirfd);       /* the rename itself on disk */
	return 0;
fail:
	unlinkat(ls->dirfd, LEASE_TMP, 0);
	return -1;
}

int lease_store_save(struct lease_store *ls, const struct config *cfg, bool force)
{
	int n;
	char err[256];
	struct pool **pools = live_pools(cfg, &n);
	bool dirty = force || ls->retry;
	if (!pools)
		return -1;
	for (int i = 0; i < n; i++)
		dirty |= pool_take_dirty(pools[i]);
	int rc = 0;
	if (dirty) {
		rc = write_file(ls, pools, n, err, sizeof(err));
		ls->retry = rc != 0;
		if (rc != 0 && !ls->failing)
			log_err(LOG_CFG, "leases: %s: %s (retrying every second; leases will not "
			        "survive a restart until this works)", ls->dir, err);
		else if (rc == 0 && ls->failing)
			log_err(LOG_CFG, "leases: %s/%s written again", ls->dir, LEASE_FILE);
		ls->failing = rc != 0;
	}
	free(pools);
	return rc;
}

static void on_tick(evutil_socket_t fd, short what, void *arg)
{
	struct lease_store *ls = arg;
	lease_store_save(ls, ls->d->cfg, false);
}

int lease_store_start(struct lease_store *ls, struct daemon *d)
{
	struct timeval tv = { 1, 0 };
	ls->d = d;
	ls->tick = event_new(d->base, -1, EV_PERSIST, on_tick, ls);
	return ls->tick && event_add(ls->tick, &tv) == 0 ? 0 : -1;
}

void lease_store_free(struct lease_store *ls)
{
	if (!ls)
		return;
	if (ls->tick)
		event_free(ls->tick);
	close(ls->dirfd);
	free(ls);
}
