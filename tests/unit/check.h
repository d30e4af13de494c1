/* Tiny unit-test helpers. A test program prints one line per check,
 * "ok NAME" or "not ok NAME: detail", and exits non-zero when any check
 * failed; tests/run.sh counts the lines. */
#ifndef CYGNET_CHECK_H
#define CYGNET_CHECK_H

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <stdint.h>

static int check_failed;

#define CHECK(name, cond) do { \
	if (cond) printf("ok %s\n", (name)); \
	else { printf("not ok %s: %s (%s:%d)\n", (name), #cond, __FILE__, __LINE__); check_failed = 1; } \
} while (0)

/* compares len bytes with a hex string */
static inline int check_hex_eq(const uint8_t *got, size_t len, const char *hex)
{
	size_t n = strlen(hex);
	if (n != 2 * len)
		return 0;
	for (size_t i = 0; i < len; i++) {
		unsigned v;
		if (sscanf(hex + 2 * i, "%2x", &v) != 1 || v != got[i])
			return 0;
	}
	return 1;
}

/* hex string -> bytes, returns length; out must be big enough */
static inline size_t check_unhex(const char *hex, uint8_t *out)
{
	size_t n = 0;
	for (; hex[0] && hex[1]; hex += 2) {
		unsigned v;
		if (sscanf(hex, "%2x", &v) != 1)
			break;
		out[n++] = (uint8_t)v;
	}
	return n;
}

#define CHECK_HEX(name, got, len, hex) CHECK(name, check_hex_eq((got), (len), (hex)))

#define CHECK_DONE() return check_failed ? 1 : 0

#endif
