/* Helpers shared by the conf/ parsers. */
#include "conf/conf_util.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

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

int conf_hexval(char c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}
