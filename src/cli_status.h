/* The sessions in cygnetd's "status --json" answer (src/ctl.c writes
 * it), read back by cygnetctl (user list: who is online). The answer is
 * parsed as JSON (RFC 8259) with bounds on everything: nesting depth,
 * string length, number of sessions. */
#ifndef CYGNET_CLI_STATUS_H
#define CYGNET_CLI_STATUS_H

#include <stddef.h>
#include <stdint.h>

#define STATUS_STR 256

struct session {
	unsigned id;
	char role[16];             /* "server" or "client" */
	char user[STATUS_STR];     /* UTF-8 as the daemon escaped it */
	char peer[STATUS_STR];
	char vip4[64], vip6[64];   /* "" when none */
	uint64_t established_seconds, bytes_in, bytes_out;
};

/* Reads the "sas" array of a status --json answer (len bytes at json)
 * into *out (malloc'd, *n entries, at most 100000; free() it). Unknown
 * keys are skipped; a string longer than a field is cut. 0, or -1 when
 * the text is not such a JSON object (then *out is NULL). */
int status_sessions_parse(const char *json, size_t len, struct session **out, int *n);

#endif
