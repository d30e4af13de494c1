/* The privileged helper (DESIGN.md, "Privileges").
 *
 * Forked before the daemon drops its privileges, it keeps only what
 * leftupdown scripts and reloads need (as root: CAP_NET_ADMIN,
 * CAP_NET_RAW, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH, also as the
 * bounding set; started without root: CAP_NET_ADMIN, passed on to scripts
 * as an ambient capability), sets no_new_privs, and does only two things,
 * asked over a socketpair:
 *
 *  - run a leftupdown command with PLUTO_* variables: only a command
 *    that a loaded configuration names, only variables named PLUTO_*, one
 *    at a time in the order asked, each for at most HELPER_SCRIPT_SECONDS;
 *  - reload: load the configuration dir as at start, add the TUN routes
 *    of pools that are new, and send back a snapshot of every file read
 *    (conf_files.h), from which the daemon loads the same configuration.
 *
 * It never opens a path it was sent. It ignores SIGTERM/SIGINT/SIGHUP:
 * when the daemon closes its end it finishes the queued scripts (the
 * down events of a shutdown) and exits. */
#ifndef CYGNET_HELPER_H
#define CYGNET_HELPER_H

#include <stdbool.h>
#include <stddef.h>

struct daemon;
struct config;
struct conf_snapshot;

#define HELPER_SCRIPT_SECONDS 30

/* Forks the helper; cfg is what the daemon loaded at start (its commands
 * are allowed, its pools' routes exist). 0, or -1 with a reason. */
int helper_start(struct daemon *d, struct config *cfg, char *err, size_t errlen);

/* Adds a route through the TUN device for every pool of cfg that has
 * none yet (the daemon at start, the helper at a reload). 0 or -1. */
int helper_add_routes(const struct config *cfg, const char *tun, char *err, size_t errlen);

/* Hands the helper a run of command with env (n entries "PLUTO_...=value");
 * 0, or -1 (logged) when the helper is gone. The helper answers each run,
 * when it is finished, refused or failed, by calling updown_helper_done()
 * (updown.h) in the daemon; updown_helper_lost() when the channel breaks. */
int helper_updown(struct daemon *d, const char *command, char *const *env, int n);

/* Asks for a reload. done is called once, from the event loop, with the
 * snapshot (the callee frees it) or NULL and a one-line reason. */
typedef void (*helper_reload_done)(struct daemon *d, struct conf_snapshot *snap,
                                   const char *err, void *arg);
void helper_reload(struct daemon *d, helper_reload_done done, void *arg);

/* Closes the channel (queued requests are still delivered) and waits up
 * to wait_ms for the helper to run what it has queued and exit. */
void helper_stop(struct daemon *d, int wait_ms);

#endif
