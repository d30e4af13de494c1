/* Dropping privileges once everything privileged is done (DESIGN.md,
 * "Privileges"): the TUN device, the routes, UDP 500/4500 and the keys are
 * set up first; then the process that parses network input keeps no
 * capability at all. */
#ifndef CYGNET_PRIVS_H
#define CYGNET_PRIVS_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/* Switches to user (NULL: "cygnet" if that user exists, else "nobody")
 * when the process may change its ids, clears every capability set
 * (effective, permitted, inheritable, ambient, bounding where allowed),
 * sets PR_SET_NO_NEW_PRIVS and checks the result. 0 on success, -1 with a
 * reason in err. */
int privs_drop(const char *user, char *err, size_t errlen);

/* The uid and gid privs_drop(user) will run as (the current ones when it
 * cannot switch), for files the daemon must write after the drop. 0, or
 * -1 with a reason. */
int privs_target(const char *user, uid_t *uid, gid_t *gid, char *err, size_t errlen);

/* Before anything privileged: when not root, names the capability that is
 * missing for binding UDP 500/4500 and opening the TUN device. 0 when
 * both are there (or when root). */
int privs_check_start(char *err, size_t errlen);

/* The privileged helper's share (helper.h): as root, those of
 * CAP_NET_ADMIN, CAP_NET_RAW, CAP_DAC_OVERRIDE and CAP_DAC_READ_SEARCH it
 * has, which are also the bounding set (what its scripts get); without
 * root, CAP_NET_ADMIN if it was there, raised as ambient for the scripts.
 * Then no_new_privs. */
int privs_helper(char *err, size_t errlen);

/* No core dumps, ever: PR_SET_DUMPABLE 0 (also keeps other processes of
 * the same user from ptrace and /proc/PID/mem) and RLIMIT_CORE 0. Called
 * first thing by the daemon; privs_drop and privs_helper set "dumpable"
 * again after their id changes. */
void privs_no_core(void);

/* Locks the process's memory (mlockall MCL_CURRENT | MCL_FUTURE |
 * MCL_ONFAULT) when RLIMIT_MEMLOCK is unlimited; with a finite limit
 * nothing is locked, since MCL_FUTURE would make allocations fail once the
 * daemon grows past it (e.g. under a flood). One info line says which,
 * unless quiet. 1 when locked, else 0. Locks are not inherited by fork:
 * the helper calls it again. */
int privs_lock_memory(bool quiet);

#endif
