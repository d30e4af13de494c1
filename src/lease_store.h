/* Address leases across restarts (README "Faults"): the pools' leases,
 * user -> address per pool range, kept in STATEDIR/leases, so that a user
 * reconnecting after a restart gets the same virtual IP while it is free.
 *
 * The file is text, one lease a line, after a version line:
 *
 *     # comment
 *     cygnet-leases 1
 *     <pool range> <address> <identity>
 *
 * e.g. "198.19.0.1-198.19.0.254 198.19.0.7 alice". The pool range is the
 * pool's name (pool_name: "first-last"); the identity has every byte
 * outside '!'..'~', and '%', written as %XX. Per pool, lines go from the
 * least to the most recently released lease, online ones last, so that
 * restoring them in order keeps the order in which offline addresses are
 * reused.
 *
 * Writing: the unprivileged daemon writes "leases.tmp", fsyncs it, renames
 * it over "leases" and fsyncs the directory, at most once a second when a
 * lease changed, and once more at shutdown.
 *
 * Reading (at start): the file is local but treated as untrusted input:
 * lines longer than LEASE_LINE_MAX, lines that do not have exactly three
 * fields of printable ASCII, identities that do not decode, addresses that
 * do not parse, lie outside their pool or are given twice are skipped,
 * and one warning says how many; lines of a pool no longer configured are
 * dropped (the next write forgets them). A file without the version line
 * is ignored as a whole. */
#ifndef CYGNET_LEASE_STORE_H
#define CYGNET_LEASE_STORE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>
#include <sys/types.h>

struct daemon;
struct config;
struct pool;

#define LEASE_LINE_MAX 2048             /* bytes, newline excluded */
#define LEASE_FILE_MAX (256u << 20)     /* a file bigger than this is not read */
#define LEASE_FILE "leases"
#define LEASE_VERSION_LINE "cygnet-leases 1"

struct lease_store;

/* Before the privilege drop: creates dir (mode 0700, its parent must
 * exist) unless it is there, and makes it owned by uid:gid with mode 0700
 * (a directory owned by root or by uid is taken over; one owned by
 * anybody else, or a symbolic link, is refused). NULL with a reason when
 * that fails: the caller then runs without persistence. */
struct lease_store *lease_store_open(const char *dir, uid_t uid, gid_t gid, char *err,
                                     size_t errlen);
/* Restores the leases of dir/leases into the pools of cfg, logging what
 * was restored and one warning for what was skipped. A missing file is
 * a first start, not an error. */
void lease_store_load(struct lease_store *ls, struct config *cfg);
/* Starts writing (a one-second timer on d's event loop). 0 or -1. */
int lease_store_start(struct lease_store *ls, struct daemon *d);
/* Writes the file, with the leases of every pool of cfg's set
 * (config_live), now when a lease changed since the last write (or
 * always, with force). 0 when written or nothing to write, -1 on error
 * (logged). */
int lease_store_save(struct lease_store *ls, const struct config *cfg, bool force);
/* Stops the timer and closes the directory (NULL-safe). */
void lease_store_free(struct lease_store *ls);

/* ---- the format, for the above and for tests ---- */

struct lease_read {
	unsigned restored;       /* leases put back into a pool */
	unsigned unknown_pool;   /* lines of a pool range not configured */
	unsigned refused;        /* outside the pool, or the address given twice */
	unsigned garbled;        /* too long, wrong fields, bad encoding */
	unsigned first_bad;      /* line number of the first refused or garbled */
};
/* Parses text (len bytes, NUL bytes are garbled) and restores into pools
 * (n of them). 0, or -1 when the version line is missing (nothing is
 * restored then). */
int lease_store_parse(const char *text, size_t len, struct pool *const *pools, int n,
                      struct lease_read *r);
/* Writes the file's contents for pools (n of them) to f. 0 or -1. */
int lease_store_format(FILE *f, struct pool *const *pools, int n);

#endif
