/* Virtual IP address pools (rightsourceip): leases keyed by identity.
 * A lease stays tied to its identity after release ("offline"), so the
 * same user reconnecting gets the same address back while nobody else
 * took it; an address is never online twice, so two sessions of one
 * identity (uniqueids=no) get distinct addresses. New addresses are handed
 * out in order; when none is unused, the oldest offline lease is reused. */
#ifndef CYGNET_POOL_H
#define CYGNET_POOL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct pool;

/* A pool of addresses from..to inclusive (family AF_INET/AF_INET6,
 * network order). Pools bigger than 2^24 addresses are capped to the
 * first 2^24 (memory is per address in use, not per address in range).
 * name is for logs ("10.1.1.0/24"). */
struct pool *pool_new(const char *name, int family, const uint8_t *from, const uint8_t *to);
/* drops a reference; the last one frees the pool and its leases */
void pool_free(struct pool *p);
/* another reference: a reloaded configuration keeps the pool, and with
 * it every lease, of the configuration it replaces */
struct pool *pool_ref(struct pool *p);
const char *pool_name(const struct pool *p);
int pool_family(const struct pool *p);
/* true when addr is inside the pool's range */
bool pool_contains(const struct pool *p, const uint8_t *addr);

/* Acquires an address for identity id: its offline lease if it has one,
 * else the next never-used address, else the least recently released
 * offline lease of another identity. 0 with out filled; -1 when the pool
 * is exhausted. */
int pool_acquire(struct pool *p, const char *id, uint8_t *out);
/* Acquires exactly addr for identity id (an address RADIUS chose): 0
 * when it is inside the pool and not online (an offline lease of another
 * identity is taken over); -1 else. Fresh addresses skip it afterwards. */
int pool_acquire_addr(struct pool *p, const char *id, const uint8_t *addr);
/* Releases an online lease (it becomes offline, still tied to id). */
void pool_release(struct pool *p, const uint8_t *addr);
/* Undoes a pool_release: addr's offline lease is online again, with the
 * identity it has now (a login that borrowed the address of a session it
 * was to replace, and failed, gives it back). 0, or -1 when addr has no
 * offline lease. */
int pool_unrelease(struct pool *p, const uint8_t *addr);

/* Leases across restarts (src/lease_store.h). pool_restore adds an
 * offline lease of addr for id, the most recently released one (restore
 * in pool_each_lease's order to keep the order of reuse); -1 when addr is
 * outside the pool, already leased, or out of memory. Fresh addresses
 * skip restored ones. */
int pool_restore(struct pool *p, const char *id, const uint8_t *addr);
/* every lease: the offline ones from least to most recently released,
 * then the online ones (released after those, at a restart) */
void pool_each_lease(const struct pool *p,
                     void (*fn)(void *arg, const uint8_t *addr, const char *id), void *arg);
/* true when a lease was acquired or released since the last call */
bool pool_take_dirty(struct pool *p);

/* the smallest prefix covering from..to (a route for the pool): its
 * length, with the network written to net (16 bytes) */
int pool_cover_prefix(int family, const uint8_t *from, const uint8_t *to, uint8_t *net);

/* counters for status output */
size_t pool_size(const struct pool *p);
size_t pool_online(const struct pool *p);
size_t pool_offline(const struct pool *p);
/* iterate online leases: i from 0 while it returns 0 */
int pool_lease_at(const struct pool *p, size_t i, uint8_t *addr, const char **id, bool *online);

#endif
