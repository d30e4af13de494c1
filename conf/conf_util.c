/* Helpers shared by the conf/ parsers. */
#include "conf/conf_util.h"

#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <unistd.h>

void conf_errf(char *err, size_t errlen, const char *file, int line,
               const char *fmt, ...)
{
	char msg[512];
	va_list ap;

	if (!err || errlen == 0)
		return;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	if (line > 0)
		snprintf(err, errlen, "%s:%d: %s", file ? file : "?", line, msg);
	else
		snprintf(err, errlen, "%s: %s", file ? file : "?", msg);
	/* exactly one line, whatever the inputs held */
	for (char *p = err; *p; p++)
		if (*p == '\n' || *p == '\r')
			*p = ' ';
}

const char *conf_show(const char *s, char *buf, size_t buflen)
{
	size_t i = 0;

	if (buflen == 0)
		return "";
	if (!s)
		s = "";
	for (; *s && i + 1 < buflen; s++) {
		if (i == 64) {
			if (i + 4 < buflen) {
				memcpy(buf + i, "...", 3);
				i += 3;
			}
			break;
		}
		unsigned char c = (unsigned char)*s;
		buf[i++] = (c < 0x20 || c == 0x7f) ? '?' : (char)c;
	}
	buf[i] = '\0';
	return buf;
}

char *conf_read_file(const char *path, size_t *len, char *why, size_t whylen)
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
				snprintf(why, whylen, "file is larger than %u bytes",
				         CONF_MAX_FILE);
				goto out;
			}
			char *nb = malloc(ncap);
			if (!nb) {
				snprintf(why, whylen, "out of memory");
				goto out;
			}
			if (buf) {
				memcpy(nb, buf, used);
				explicit_bzero(buf, cap);
				free(buf);
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
	if (len)
		*len = used;
	ret = buf;
	buf = NULL;
out:
	if (buf) {
		explicit_bzero(buf, cap);
		free(buf);
	}
	if (fd >= 0)
		close(fd);
	return ret;
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
	gr = glob(full, 0, NULL, &g);  /* sorted, as strongSwan reads them */
	have_glob = (gr == 0 || gr == GLOB_NOMATCH);
	if (gr == GLOB_NOMATCH) {
		ret = 0;
		goto out;
	}
	if (gr != 0)
		goto out;
	for (size_t i = 0; i < g.gl_pathc; i++) {
		if (conf_strv_add(paths, n, g.gl_pathv[i]) < 0) {
			conf_strv_free(*paths, *n);
			*paths = NULL;
			*n = 0;
			goto out;
		}
	}
	ret = 0;
out:
	if (have_glob)
		globfree(&g);
	free(full);
	return ret;
}

int conf_grow(void **arr, int *cap, int n, size_t elem)
{
	if (n < *cap)
		return 0;
	int ncap = *cap ? *cap * 2 : 8;
	if (ncap <= n)
		ncap = n + 1;
	void *na = realloc(*arr, (size_t)ncap * elem);
	if (!na)
		return -1;
	memset((char *)na + (size_t)*cap * elem, 0, (size_t)(ncap - *cap) * elem);
	*arr = na;
	*cap = ncap;
	return 0;
}

int conf_strv_add(char ***v, int *n, const char *s)
{
	char *copy = strdup(s);
	char **nv;

	if (!copy)
		return -1;
	nv = realloc(*v, (size_t)(*n + 1) * sizeof(*nv));
	if (!nv) {
		free(copy);
		return -1;
	}
	nv[*n] = copy;
	*v = nv;
	(*n)++;
	return 0;
}

void conf_strv_free(char **v, int n)
{
	if (!v)
		return;
	for (int i = 0; i < n; i++)
		free(v[i]);
	free(v);
}

bool conf_streq(const char *a, const char *b)
{
	return a && b && strcmp(a, b) == 0;
}

bool conf_strcaseeq(const char *a, const char *b)
{
	return a && b && strcasecmp(a, b) == 0;
}
