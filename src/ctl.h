/* The control socket: a unix stream socket where cygnetctl sends one
 * command line and reads the answer until the daemon closes it. */
#ifndef CYGNET_CTL_H
#define CYGNET_CTL_H

#include <stddef.h>

struct daemon;

#define CTL_DEFAULT_PATH "/run/cygnet/cygnet.ctl"

/* creates the socket at path (mode 0660; its directory is made 0755 if
 * missing; an old socket file there is replaced) and serves it from the event loop. 0, or -1 with a reason. */
int ctl_open(struct daemon *d, const char *path, char *err, size_t errlen);
void ctl_close(struct daemon *d);

#endif
