/* Editing ipsec.secrets for "cygnetctl user" (contract in cli_secrets.h). */
#include "src/cli_secrets.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>
#include <sys/file.h>
#include <openssl/crypto.h>

#include "conf/conf_files.h"
#include "crypto/mschap.h"

void wipe_free_buf(void *p, size_t len)
{
	if (!p)
		return;
	OPENSSL_cleanse(p, len);
	free(p);
}

/* Length of the valid UTF-8 sequence at s (RFC 3629: no overlong forms,
 * no surrogates, at most U+10FFFF), 0 if there is none. */
static size_t utf8_seq(const unsigned char *s)
{
	unsigned c = s[0];
	size_t n;
	uint32_t cp;

	if (c < 0x80)
		return 1;
	if (c >= 0xc2 && c <= 0xdf) {
		n = 2;
		cp = c & 0x1f;
	} else if (c >= 0xe0 && c <= 0xef) {
		n = 3;
		cp = c & 0x0f;
	} else if (c >= 0xf0 && c <= 0xf4) {
		n = 4;
		cp = c & 0x07;
	} else {
		return 0;
	}
	for (size_t i = 1; i < n; i++) {
		if ((s[i] & 0xc0) != 0x80)
			return 0;
		cp = cp << 6 | (s[i] & 0x3f);
	}
	if ((n == 3 && cp < 0x800) || (n == 4 && (cp < 0x10000 || cp > 0x10ffff)) ||
	    (cp >= 0xd800 && cp <= 0xdfff))
		return 0;
	return n;
}

/* true when s is valid UTF-8 without C0/C1 control characters or DEL;
 * *chars gets the number of characters */
static bool utf8_text(const char *s, size_t *chars)
{
	const unsigned char *p = (const unsigned char *)s;
	size_t n = 0;

	while (*p) {
		size_t l = utf8_seq(p);
		if (l == 0 || *p < 0x20 || *p == 0x7f)
			return false;
		if (l == 2 && p[0] == 0xc2 && p[1] < 0xa0)   /* U+0080..U+009F */
			return false;
		p += l;
		n++;
	}
	*chars = n;
	return true;
}

int user_name_check(const char *name, char *err, size_t errlen)
{
	uint8_t a[16];
	size_t chars, len = strlen(name);

	if (len == 0 || len > 255) {
		snprintf(err, errlen, "a user name has 1 to 255 bytes");
		return -1;
	}
	if (!utf8_text(name, &chars)) {
		snprintf(err, errlen, "the user name is not valid UTF-8 text (control characters?)");
		return -1;
	}
	if (strpbrk(name, " \t\"'\\#")) {
		snprintf(err, errlen, "a user name cannot contain spaces, quotes, '\\' or '#'");
		return -1;
	}
	if (name[0] == '@' || name[0] == '%') {
		snprintf(err, errlen, "a user name cannot start with '%c' (an identity prefix in "
		         "ipsec.secrets)", name[0]);
		return -1;
	}
	if (strcmp(name, ":") == 0 || strcmp(name, "include") == 0) {
		snprintf(err, errlen, "'%s' is a word of the ipsec.secrets syntax", name);
		return -1;
	}
	if (inet_pton(AF_INET, name, a) == 1 || inet_pton(AF_INET6, name, a) == 1) {
		snprintf(err, errlen, "a user name cannot be an IP address");
		return -1;
	}
	return 0;
}

int user_password_check(const char *pw, char *err, size_t errlen)
{
	uint8_t hash[16];
	size_t chars;
	int rc = -1;

	if (!*pw) {
		snprintf(err, errlen, "empty password");
		return -1;
	}
	if (!utf8_text(pw, &chars)) {
		snprintf(err, errlen, "the password is not valid UTF-8 text (control characters?)");
		return -1;
	}
	if (strpbrk(pw, "\"\\")) {
		snprintf(err, errlen, "a password cannot contain '\"' or '\\' (ipsec.secrets quotes "
		         "and escapes)");
		return -1;
	}
	if (chars > 256 || mschap_nt_hash(pw, strlen(pw), hash) != 0)
		snprintf(err, errlen, "a password has at most 256 characters (RFC 2759)");
	else
		rc = 0;
	OPENSSL_cleanse(hash, sizeof(hash));
	return rc;
}

bool secret_is_user(const struct secret *e, const char *user)
{
	if (e->type != SECRET_EAP && e->type != SECRET_NTLM)
		return false;
	for (int i = 0; i < e->n_ids; i++)
		if (strcmp(e->ids[i], user) == 0)
			return true;
	return false;
}

int user_secret_line(const char *name, const char *pw, bool nt_hash, char *out,
                     size_t outlen, char *err, size_t errlen)
{
	uint8_t hash[16];
	struct secrets *s = NULL;
	char perr[256];
	int rc = -1, n;

	if (user_name_check(name, err, errlen) != 0 || user_password_check(pw, err, errlen) != 0)
		return -1;
	if (nt_hash) {
		if (mschap_nt_hash(pw, strlen(pw), hash) != 0 ||
		    secrets_format_ntlm(name, hash, out, outlen) != 0) {
			snprintf(err, errlen, "cannot write the NTLM line");
			goto out;
		}
	} else {
		n = snprintf(out, outlen, "%s : EAP \"%s\"", name, pw);
		if (n < 0 || (size_t)n >= outlen) {
			snprintf(err, errlen, "the line is too long");
			goto out;
		}
	}
	/* read back: exactly this one secret */
	s = secrets_parse("(new line)", out, perr, sizeof(perr));
	if (!s || s->n != 1 || s->s[0].n_ids != 1 || strcmp(s->s[0].ids[0], name) != 0 ||
	    (nt_hash ? s->s[0].type != SECRET_NTLM || s->s[0].value_len != 16 ||
	               CRYPTO_memcmp(s->s[0].value, hash, 16) != 0
	             : s->s[0].type != SECRET_EAP || s->s[0].value_len != strlen(pw) ||
	               CRYPTO_memcmp(s->s[0].value, pw, strlen(pw)) != 0)) {
		snprintf(err, errlen, "the name or password would not read back from ipsec.secrets "
		         "as given");
		goto out;
	}
	rc = 0;
out:
	if (rc)
		OPENSSL_cleanse(out, outlen);
	OPENSSL_cleanse(hash, sizeof(hash));
	secrets_free(s);
	return rc;
}

/* ---- the text of a file ---- */

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static bool secret_eq(const struct secret *a, const struct secret *b)
{
	if (a->type != b->type || a->n_ids != b->n_ids || a->value_len != b->value_len ||
	    !str_eq(a->passphrase, b->passphrase) || !str_eq(a->file, b->file) ||
	    CRYPTO_memcmp(a->value, b->value, a->value_len) != 0)
		return false;
	for (int i = 0; i < a->n_ids; i++)
		if (strcmp(a->ids[i], b->ids[i]) != 0)
			return false;
	return true;
}

/* true when b holds a's entries, in order, less a's entry skip (-1: none)
 * and plus one more at its end when extra */
static bool secrets_match(const struct secrets *a, const struct secrets *b, int skip, bool extra)
{
	int j = 0;

	if (b->n != a->n - (skip >= 0) + extra)
		return false;
	for (int i = 0; i < a->n; i++) {
		if (i == skip)
			continue;
		if (!secret_eq(&a->s[i], &b->s[j++]))
			return false;
	}
	return true;
}

static char *dup_text(const char *text, size_t len, size_t extra)
{
	char *t = malloc(len + extra + 1);
	if (t) {
		memcpy(t, text, len);
		t[len] = '\0';
	}
	return t;
}

int secrets_text_append(const char *path, const char *text, size_t len, const char *line,
                        char **out, size_t *outlen, char *err, size_t errlen)
{
	size_t ll = strlen(line), o = len;
	struct secrets *old = NULL, *new = NULL;
	char perr[512];
	char *t;
	int rc = -1;

	*out = NULL;
	t = dup_text(text, len, ll + 2);
	if (!t) {
		snprintf(err, errlen, "out of memory");
		return -1;
	}
	if (o > 0 && t[o - 1] != '\n')
		t[o++] = '\n';
	memcpy(t + o, line, ll);
	o += ll;
	t[o++] = '\n';
	t[o] = '\0';
	old = secrets_parse(path, text, perr, sizeof(perr));
	if (!old) {
		snprintf(err, errlen, "%s", perr);
		goto out;
	}
	new = secrets_parse(path, t, perr, sizeof(perr));
	if (!new || !secrets_match(old, new, -1, true)) {
		snprintf(err, errlen, "%s: the new line would not read back as one entry%s%s", path,
		         new ? "" : ": ", new ? "" : perr);
		goto out;
	}
	*out = t;
	*outlen = o;
	t = NULL;
	rc = 0;
out:
	wipe_free_buf(t, len + ll + 3);
	secrets_free(old);
	secrets_free(new);
	return rc;
}

/* offset of the start of line (1-based) in text, len if there is none */
static size_t line_start(const char *text, size_t len, int line)
{
	size_t o = 0;
	for (int l = 1; l < line && o < len; l++) {
		const char *nl = memchr(text + o, '\n', len - o);
		o = nl ? (size_t)(nl - text) + 1 : len;
	}
	return o;
}

int secrets_text_remove(const char *path, const char *text, size_t len, int line,
                        char **out, size_t *outlen, char *err, size_t errlen)
{
	struct secrets *old = NULL, *new = NULL;
	char perr[512];
	char *t = NULL;
	int rc = -1, skip = -1;

	*out = NULL;
	old = secrets_parse(path, text, perr, sizeof(perr));
	if (!old) {
		snprintf(err, errlen, "%s", perr);
		return -1;
	}
	for (int i = 0; i < old->n; i++)
		if (old->s[i].line == line && strcmp(old->s[i].file, old->files[0]) == 0)
			skip = i;
	if (skip < 0) {
		snprintf(err, errlen, "%s:%d: no entry starts there", path, line);
		goto out;
	}
	/* the entry's first line, then each following line, until what is
	 * left reads as the same entries less this one: an entry continues
	 * on indented lines, and no guess at where it ends can be wrong */
	size_t from = line_start(text, len, line);
	for (int extra = 0; extra < 64 && from < len; extra++) {
		size_t to = line_start(text, len, line + 1 + extra);
		wipe_free_buf(t, len + 1);
		t = malloc(len + 1);
		if (!t) {
			snprintf(err, errlen, "out of memory");
			goto out;
		}
		memcpy(t, text, from);
		memcpy(t + from, text + to, len - to);
		t[from + len - to] = '\0';
		secrets_free(new);
		new = secrets_parse(path, t, perr, sizeof(perr));
		if (new && secrets_match(old, new, skip, false)) {
			*out = t;
			*outlen = from + len - to;
			t = NULL;
			rc = 0;
			goto out;
		}
		if (to >= len)
			break;
	}
	snprintf(err, errlen, "%s:%d: cannot remove this entry alone (edit the file by hand)",
	         path, line);
out:
	wipe_free_buf(t, len + 1);
	secrets_free(old);
	secrets_free(new);
	return rc;
}

/* ---- the file ---- */

static bool owner_ok(uid_t uid)
{
	return uid == 0 || uid == geteuid();
}

int sedit_lock(const char *confdir, char *err, size_t errlen)
{
	/* a lock file of our own, not the directory: anyone who may open the
	 * directory (-c /etc) could hold a flock on that */
	char path[PATH_MAX];
	struct stat st;
	snprintf(path, sizeof(path), "%s/.cygnetctl.lock", confdir);
	int fd = open(path, O_RDWR | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || !owner_ok(st.st_uid)) {
		snprintf(err, errlen, "%s: %s", path, fd < 0 ? strerror(errno)
		         : "not a regular file of root or ours");
		if (fd >= 0)
			close(fd);
		return -1;
	}
	for (int i = 0; i < 100; i++) {
		if (flock(fd, LOCK_EX | LOCK_NB) == 0)
			return fd;
		if (errno != EWOULDBLOCK && errno != EINTR)
			break;
		struct timespec ts = { 0, 100 * 1000 * 1000 };
		nanosleep(&ts, NULL);
	}
	snprintf(err, errlen, "%s: another cygnetctl is editing it (flock: %s)", confdir,
	         strerror(errno));
	close(fd);
	return -1;
}

void sedit_unlock(int fd)
{
	if (fd >= 0)
		close(fd);   /* releases the flock */
}

/* the directory part of path into dir */
static void dir_of(const char *path, char *dir, size_t dirlen)
{
	const char *slash = strrchr(path, '/');
	if (!slash)
		snprintf(dir, dirlen, ".");
	else if (slash == path)
		snprintf(dir, dirlen, "/");
	else
		snprintf(dir, dirlen, "%.*s", (int)(slash - path), path);
}

/* the directory of a file we replace: only its owner (root or us) may
 * write it, or another user could swap files under us */
static int dir_ok(const char *dir, char *err, size_t errlen)
{
	struct stat st;
	if (stat(dir, &st) != 0) {
		snprintf(err, errlen, "%s: %s", dir, strerror(errno));
		return -1;
	}
	if (!owner_ok(st.st_uid) || (st.st_mode & (S_IWGRP | S_IWOTH))) {
		snprintf(err, errlen, "%s: the directory is writable by %s: refusing to edit files "
		         "in it", dir, owner_ok(st.st_uid) ? "its group or others" : "another user");
		return -1;
	}
	return 0;
}

int sedit_open(const char *path, const char *confdir, bool may_create, struct sedit *e,
               char *err, size_t errlen)
{
	char cdir[PATH_MAX], real[PATH_MAX], dir[PATH_MAX];
	struct stat lst, st;
	int fd = -1;

	memset(e, 0, sizeof(*e));
	snprintf(e->shown, sizeof(e->shown), "%s", path);
	if (!realpath(confdir, cdir)) {
		snprintf(err, errlen, "%s: %s", confdir, strerror(errno));
		return -1;
	}
	if (lstat(path, &lst) != 0) {
		if (errno != ENOENT || !may_create) {
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
			return -1;
		}
		dir_of(path, dir, sizeof(dir));
		if (dir_ok(dir, err, errlen) != 0)
			return -1;
		snprintf(e->path, sizeof(e->path), "%s", path);
		e->text = calloc(1, 1);
		if (!e->text) {
			snprintf(err, errlen, "out of memory");
			return -1;
		}
		return 0;
	}
	if (!realpath(path, real)) {
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return -1;
	}
	if (S_ISLNK(lst.st_mode)) {
		size_t cl = strlen(cdir);
		if (strncmp(real, cdir, cl) != 0 || (real[cl] != '/' && cl > 1)) {
			snprintf(err, errlen, "%s is a symlink to %s, outside %s: refusing to edit "
			         "through it", path, real, cdir);
			return -1;
		}
	}
	if (stat(real, &st) != 0 || !S_ISREG(st.st_mode)) {
		snprintf(err, errlen, "%s: not a regular file", real);
		return -1;
	}
	if (!owner_ok(st.st_uid)) {
		snprintf(err, errlen, "%s: owned by uid %u, not by root or us: refusing to edit it",
		         real, (unsigned)st.st_uid);
		return -1;
	}
	dir_of(real, dir, sizeof(dir));
	if (dir_ok(dir, err, errlen) != 0)
		return -1;
	snprintf(e->path, sizeof(e->path), "%s", real);
	e->st = st;
	fd = open(real, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fstat(fd, &st) != 0 || st.st_ino != e->st.st_ino ||
	    st.st_dev != e->st.st_dev) {
		snprintf(err, errlen, "%s: %s", real, fd < 0 ? strerror(errno) : "changed while opened");
		goto fail;
	}
	if (st.st_size > (off_t)CONF_MAX_FILE) {
		snprintf(err, errlen, "%s: larger than %u bytes", real, CONF_MAX_FILE);
		goto fail;
	}
	e->text = malloc((size_t)st.st_size + 1);
	if (!e->text) {
		snprintf(err, errlen, "out of memory");
		goto fail;
	}
	while (e->len < (size_t)st.st_size) {
		ssize_t n = read(fd, e->text + e->len, (size_t)st.st_size - e->len);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) {
			snprintf(err, errlen, "%s: read: %s", real, n ? strerror(errno) : "short");
			goto fail;
		}
		e->len += (size_t)n;
	}
	e->text[e->len] = '\0';
	if (strlen(e->text) != e->len) {
		snprintf(err, errlen, "%s: the file contains a NUL byte", real);
		goto fail;
	}
	close(fd);
	return 0;
fail:
	if (fd >= 0)
		close(fd);
	return -1;
}

int sedit_commit(struct sedit *e, const char *text, size_t len, char *err, size_t errlen)
{
	char dir[PATH_MAX], tmp[2 * PATH_MAX + 16];
	const char *base = strrchr(e->path, '/');
	struct stat st;
	int fd = -1, dfd = -1;
	size_t off = 0;

	base = base ? base + 1 : e->path;
	dir_of(e->path, dir, sizeof(dir));
	int tl = snprintf(tmp, sizeof(tmp), "%s/.%s.XXXXXX", dir, base);
	fd = tl > 0 && (size_t)tl < sizeof(tmp) ? mkstemp(tmp) : -1;     /* O_EXCL, mode 0600 */
	if (fd < 0) {
		snprintf(err, errlen, "%s: cannot create a temporary file: %s", dir, strerror(errno));
		return -1;
	}
	while (off < len) {
		ssize_t n = write(fd, text + off, len - off);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0) {
			snprintf(err, errlen, "%s: write: %s", tmp, strerror(errno));
			goto fail;
		}
		off += (size_t)n;
	}
	if (e->st.st_ino) {
		if (fchmod(fd, e->st.st_mode & 07777) != 0 ||
		    ((e->st.st_uid != geteuid() || e->st.st_gid != getegid()) &&
		     fchown(fd, e->st.st_uid, e->st.st_gid) != 0)) {
			snprintf(err, errlen, "%s: cannot keep the mode and owner of %s: %s", tmp,
			         e->path, strerror(errno));
			goto fail;
		}
	}
	if (fsync(fd) != 0) {
		snprintf(err, errlen, "%s: fsync: %s", tmp, strerror(errno));
		goto fail;
	}
	/* the file we read must still be the one in place */
	if (e->st.st_ino ? lstat(e->path, &st) != 0 || st.st_ino != e->st.st_ino ||
	                   st.st_dev != e->st.st_dev
	                 : lstat(e->path, &st) == 0 || errno != ENOENT) {
		snprintf(err, errlen, "%s changed while it was edited: nothing written", e->path);
		goto fail;
	}
	if (rename(tmp, e->path) != 0) {
		snprintf(err, errlen, "rename to %s: %s", e->path, strerror(errno));
		goto fail;
	}
	close(fd);
	dfd = open(dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (dfd >= 0) {
		fsync(dfd);
		close(dfd);
	}
	return 0;
fail:
	close(fd);
	unlink(tmp);
	return -1;
}

void sedit_free(struct sedit *e)
{
	if (!e)
		return;
	wipe_free_buf(e->text, e->len + 1);
	e->text = NULL;
	e->len = 0;
}
