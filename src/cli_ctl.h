/* cygnetctl's side of the control socket (src/ctl.c is the daemon's): one
 * request line, the whole answer read until the daemon closes. Used by
 * the plain commands (status, reload, ...) and by "user" to reload the
 * daemon and to see who is online. */
#ifndef CYGNET_CLI_CTL_H
#define CYGNET_CLI_CTL_H

#include <stddef.h>

enum ctl_result {
	CTL_OK,          /* the daemon answered, not with "error:" */
	CTL_ERROR,       /* the daemon answered "error: ..." */
	CTL_NOT_RUNNING, /* no socket, or nobody listening on it */
	CTL_FAILED,      /* reached it, but the exchange failed (err says why) */
};

/* Sends cmd (one line, without its newline) to the control socket at
 * path and waits up to timeout_s seconds for the answer. With answer
 * non-NULL, *answer gets the malloc'd, NUL-terminated answer (at most
 * 1 MiB; the caller frees it), else the answer is discarded. On
 * CTL_NOT_RUNNING and CTL_FAILED, err holds a one-line reason. */
enum ctl_result ctl_call(const char *path, const char *cmd, int timeout_s, char **answer,
                         char *err, size_t errlen);

#endif
