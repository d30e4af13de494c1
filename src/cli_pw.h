/* cygnetctl reading a password: from the terminal without echo (twice,
 * to catch typos) or the first line of stdin when it is no terminal.
 * Used by hash-password and "user add --password-stdin". */
#ifndef CYGNET_CLI_PW_H
#define CYGNET_CLI_PW_H

#include <stdbool.h>

#define PW_MAX 1024

/* Reads the password into buf (PW_MAX bytes, NUL-terminated, line end
 * removed). On a terminal: prompts on stderr with echo off (restored on
 * SIGINT/SIGTERM too), then asks again with "Retype password: " when
 * confirm is set. Returns its length, or -1 with a message on stderr (no
 * input, longer than PW_MAX - 1, empty, the two differ). buf is wiped on
 * failure; the caller wipes it after use (OPENSSL_cleanse). */
int cli_read_password(char *buf, bool confirm);

#endif
