/* Reloading the configuration (SIGHUP, cygnetctl reload): conns and
 * secrets are read again through the privileged helper; established
 * tunnels keep running on the configuration they came from, new IKE_SAs
 * use the new one. A configuration with errors changes nothing. With
 * purge, sessions whose conn or user is gone are terminated. */
#ifndef CYGNET_RELOAD_H
#define CYGNET_RELOAD_H

#include <stdbool.h>

struct daemon;

/* ok, and a one-line summary or the reason it failed */
typedef void (*reload_done)(struct daemon *d, bool ok, const char *msg, void *arg);
void reload_start(struct daemon *d, bool purge, reload_done done, void *arg);

#endif
