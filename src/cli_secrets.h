/* Editing ipsec.secrets (and the files it includes) for "cygnetctl user":
 * the line of one user checked to read back exactly, a line appended or
 * an entry removed with every other byte of the file kept, and the file
 * replaced atomically and safely.
 *
 * Safety: edits of one config dir are serialised by an flock on the dir;
 * the file edited is a regular file owned by root or by us, in a
 * directory that only its owner (root or us) can write; a symlink is
 * followed only when its target lies inside the config dir; the new
 * content goes to a temporary file in the same directory (mode and owner
 * of the old file, fsync'd) that is renamed over the old one. Buffers
 * that held file text or passwords are wiped before they are freed. */
#ifndef CYGNET_CLI_SECRETS_H
#define CYGNET_CLI_SECRETS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/stat.h>
#include "conf/secrets.h"

/* Checks that name can be a user of ipsec.secrets that every tool
 * reads the same way: 1..255 bytes of valid UTF-8, no whitespace or
 * control characters, none of " ' \ # (quotes, escapes, comments), not
 * starting with '@' or '%' (identity prefixes), not ':' or "include",
 * not an IP address and not "#N" (cygnetctl terminate reads those as
 * an address or an IKE_SA number). 0, or -1 with the reason in err. */
int user_name_check(const char *name, char *err, size_t errlen);

/* Checks a password: 1..256 characters of valid UTF-8 (RFC 2759's limit
 * for MSCHAPv2), no control characters, no '"' or '\'. 0, or -1 with the
 * reason in err (which never quotes the password). */
int user_password_check(const char *pw, char *err, size_t errlen);

/* The ipsec.secrets line for a user, without newline: NAME : EAP "PW",
 * or with nt_hash NAME : NTLM 0x<NT hash of PW>. The line is parsed back
 * with secrets_parse and must give exactly this one secret. 0, or -1 with
 * the reason in err. out must hold 2 * PW_MAX bytes. */
int user_secret_line(const char *name, const char *pw, bool nt_hash, char *out,
                     size_t outlen, char *err, size_t errlen);

/* true when secret e is a user's password (EAP, XAUTH, NTLM) naming user */
bool secret_is_user(const struct secret *e, const char *user);

/* Appends line (and a newline; a newline first when text does not end in
 * one) to text, then checks that the result parses (as file path, which
 * places its includes) and holds the old entries plus exactly the new
 * one. *out (malloc'd, *outlen bytes, NUL-terminated) on 0; -1 with the
 * reason in err. */
int secrets_text_append(const char *path, const char *text, size_t len, const char *line,
                        char **out, size_t *outlen, char *err, size_t errlen);

/* Removes the entry that starts on line (1-based) of text, with the
 * indented lines that continue it, and checks that the result parses (as
 * path) to the same entries less exactly that one. Comments and blank
 * lines stay. *out on 0; -1 with the reason in err. */
int secrets_text_remove(const char *path, const char *text, size_t len, int line,
                        char **out, size_t *outlen, char *err, size_t errlen);

/* A file opened for an edit. */
struct sedit {
	char path[4096];       /* the file replaced (a symlink resolved) */
	char shown[4096];      /* the name to show (as the caller gave it) */
	struct stat st;        /* the file as it was; st_ino 0 = it did not exist */
	char *text;            /* its content, NUL-terminated */
	size_t len;
};

/* Serialises edits of confdir: an exclusive flock on the directory,
 * waiting up to 10 s. The fd (>= 0) to sedit_unlock, or -1 with err. */
int sedit_lock(const char *confdir, char *err, size_t errlen);
void sedit_unlock(int fd);

/* Opens path (inside confdir or included from a file there) for an
 * edit, under the checks above; with may_create a missing file is an
 * empty one (created with mode 0600). 0, or -1 with the reason in err.
 * sedit_free it either way. */
int sedit_open(const char *path, const char *confdir, bool may_create, struct sedit *e,
               char *err, size_t errlen);
/* Replaces the file with text (len bytes): temporary file in the same
 * directory, same mode and (as root) owner, fsync, rename, fsync of the
 * directory. Refused when the file changed since sedit_open. 0 or -1. */
int sedit_commit(struct sedit *e, const char *text, size_t len, char *err, size_t errlen);
/* wipes and frees the text; NULL-safe */
void sedit_free(struct sedit *e);

/* wipes len bytes at p and frees it; NULL-safe */
void wipe_free_buf(void *p, size_t len);

#endif
