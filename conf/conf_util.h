/* Small helpers shared by the conf/ parsers: error lines, include globs,
 * growing arrays, hex digits. Internal to conf/ (src/lease_store.c, a parser
 * of the daemon's own state file, uses conf_hexval too). Files are read
 * through conf_files.h. */
#ifndef CYGNET_CONF_UTIL_H
#define CYGNET_CONF_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include "conf/conf_files.h"

/* Include nesting deeper than this is an error (catches include loops). */
#define CONF_MAX_INCLUDE_DEPTH 16

/* Writes "file:line: message" (or "file: message" when line is 0) to err. */
void conf_errf(char *err, size_t errlen, const char *file, int line,
               const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* A copy of s fit for an error message: at most 64 characters, control
 * characters replaced by '?'. Returns buf. */
const char *conf_show(const char *s, char *buf, size_t buflen);
#define CONF_SHOW_LEN 72

/* Resolves an include pattern relative to the directory of the including
 * file (unless absolute) and expands it as a glob. *paths gets the sorted
 * matches (possibly none); the caller frees them with conf_strv_free.
 * Returns 0, or -1 on allocation/glob failure. */
int conf_include_glob(const char *including_file, const char *pattern,
                      char ***paths, int *n);
/* true when s contains glob metacharacters */
bool conf_is_glob(const char *s);

/* Grows *arr (of elements of size elem) so index *n is valid; keeps *cap.
 * Zeroes new memory. 0 or -1 on allocation failure. */
int conf_grow(void **arr, int *cap, int n, size_t elem);

/* Appends a copy of s to a string vector. 0 or -1. */
int conf_strv_add(char ***v, int *n, const char *s);
void conf_strv_free(char **v, int n);

/* the value of a hex digit, -1 for any other character */
int conf_hexval(char c);

/* Case-sensitive and case-insensitive string equality. */
bool conf_streq(const char *a, const char *b);
bool conf_strcaseeq(const char *a, const char *b);

#endif
