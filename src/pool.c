/* Virtual IP address pools: leases keyed by identity (see src/pool.h).
 *
 * An address is known by its offset from the start of the range, computed
 * in 128-bit arithmetic so IPv6 ranges work. Memory is per lease: a lease
 * is created the first time its address is handed out and lives until the
 * pool is freed, bound to one identity at a time. Addresses at offsets
 * >= next_fresh were never handed out. Indexes:
 *   - leases[]: every lease, in address order (leases restored from the
 *     state file can lie above next_fresh: fresh addresses skip them);
 *   - by offset and by identity: chained hash tables;
 *   - offline leases in release order (a doubly linked list), the head
 *     being the least recently released, the one reused first. */
#include "src/pool.h"

#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#define POOL_MAX_SIZE ((size_t)1 << 24)
#define POOL_MIN_BUCKETS 16

typedef unsigned __int128 u128;

struct lease {
	uint32_t off;
	bool online;
	char *id;
	struct lease *next_off, *next_id;       /* hash chains */
	struct lease *lru_prev, *lru_next;      /* offline list */
};

struct pool {
	char *name;
	int family;
	size_t alen;            /* 4 or 16 */
	u128 from;
	size_t size;            /* addresses, <= POOL_MAX_SIZE */
	size_t next_fresh;      /* offsets below were handed out once */
	struct lease **leases;
	size_t nleases, cap;
	struct lease **by_off, **by_id;
	size_t nbuckets;        /* power of two, >= nleases / 1 */
	struct lease *lru_head, *lru_tail;
	size_t online, offline;
	bool dirty;             /* a lease changed since pool_take_dirty */
	int refs;               /* configurations sharing it across reloads */
};

static u128 addr_to_u128(const uint8_t *a, size_t alen)
{
	u128 v = 0;
	for (size_t i = 0; i < alen; i++)
		v = v << 8 | a[i];
	return v;
}

static void u128_to_addr(u128 v, uint8_t *a, size_t alen)
{
	for (size_t i = alen; i-- > 0;) {
		a[i] = (uint8_t)v;
		v >>= 8;
	}
}

static size_t hash_u64(uint64_t x, size_t mask)
{
	x ^= x >> 33;
	x *= 0xff51afd7ed558ccdULL;
	x ^= x >> 33;
	x *= 0xc4ceb9fe1a85ec53ULL;
	x ^= x >> 33;
	return (size_t)x & mask;
}

static size_t hash_str(const char *s, size_t mask)
{
	uint64_t h = 0xcbf29ce484222325ULL;     /* FNV-1a */
	for (; *s; s++) {
		h ^= (uint8_t)*s;
		h *= 0x100000001b3ULL;
	}
	return hash_u64(h, mask);
}

/* ---- offline list ---- */

static void lru_append(struct pool *p, struct lease *l)
{
	l->lru_next = NULL;
	l->lru_prev = p->lru_tail;
	if (p->lru_tail)
		p->lru_tail->lru_next = l;
	else
		p->lru_head = l;
	p->lru_tail = l;
}

static void lru_remove(struct pool *p, struct lease *l)
{
	if (l->lru_prev)
		l->lru_prev->lru_next = l->lru_next;
	else
		p->lru_head = l->lru_next;
	if (l->lru_next)
		l->lru_next->lru_prev = l->lru_prev;
	else
		p->lru_tail = l->lru_prev;
	l->lru_prev = l->lru_next = NULL;
}

/* ---- hash indexes ---- */

static void index_id(struct pool *p, struct lease *l)
{
	size_t b = hash_str(l->id, p->nbuckets - 1);
	l->next_id = p->by_id[b];
	p->by_id[b] = l;
}

static void unindex_id(struct pool *p, struct lease *l)
{
	struct lease **pp = &p->by_id[hash_str(l->id, p->nbuckets - 1)];
	while (*pp && *pp != l)
		pp = &(*pp)->next_id;
	if (*pp)
		*pp = l->next_id;
	l->next_id = NULL;
}

static void index_off(struct pool *p, struct lease *l)
{
	size_t b = hash_u64(l->off, p->nbuckets - 1);
	l->next_off = p->by_off[b];
	p->by_off[b] = l;
}

/* Rebuilds both hash tables with twice the buckets. -1 when out of
 * memory; the old tables stay as they were. */
static int rehash(struct pool *p, size_t nbuckets)
{
	struct lease **off = calloc(nbuckets, sizeof(*off));
	struct lease **id = calloc(nbuckets, sizeof(*id));
	if (!off || !id) {
		free(off);
		free(id);
		return -1;
	}
	free(p->by_off);
	free(p->by_id);
	p->by_off = off;
	p->by_id = id;
	p->nbuckets = nbuckets;
	for (size_t i = 0; i < p->nleases; i++) {
		index_off(p, p->leases[i]);
		index_id(p, p->leases[i]);
	}
	return 0;
}

static struct lease *find_off(const struct pool *p, uint32_t off)
{
	struct lease *l = p->by_off[hash_u64(off, p->nbuckets - 1)];
	while (l && l->off != off)
		l = l->next_off;
	return l;
}

static struct lease *find_offline_of(const struct pool *p, const char *id)
{
	struct lease *l = p->by_id[hash_str(id, p->nbuckets - 1)];
	for (; l; l = l->next_id) {
		if (!l->online && strcmp(l->id, id) == 0)
			return l;
	}
	return NULL;
}

/* ---- pool ---- */

struct pool *pool_new(const char *name, int family, const uint8_t *from, const uint8_t *to)
{
	struct pool *p = NULL;

	if (family != AF_INET && family != AF_INET6)
		goto fail;
	p = calloc(1, sizeof(*p));
	if (!p)
		goto fail;
	p->refs = 1;
	p->family = family;
	p->alen = family == AF_INET ? 4 : 16;
	p->from = addr_to_u128(from, p->alen);
	u128 hi = addr_to_u128(to, p->alen);
	if (hi < p->from)
		goto fail;
	u128 span = hi - p->from;       /* size - 1; no overflow for ::/0 */
	p->size = span >= POOL_MAX_SIZE - 1 ? POOL_MAX_SIZE : (size_t)span + 1;
	p->name = strdup(name ? name : "");
	if (!p->name)
		goto fail;
	p->nbuckets = POOL_MIN_BUCKETS;
	p->by_off = calloc(p->nbuckets, sizeof(*p->by_off));
	p->by_id = calloc(p->nbuckets, sizeof(*p->by_id));
	if (!p->by_off || !p->by_id)
		goto fail;
	return p;
fail:
	pool_free(p);
	return NULL;
}

struct pool *pool_ref(struct pool *p)
{
	p->refs++;
	return p;
}

void pool_free(struct pool *p)
{
	if (!p || --p->refs > 0)
		return;
	for (size_t i = 0; i < p->nleases; i++) {
		free(p->leases[i]->id);
		free(p->leases[i]);
	}
	free(p->leases);
	free(p->by_off);
	free(p->by_id);
	free(p->name);
	free(p);
}

const char *pool_name(const struct pool *p)
{
	return p->name;
}

int pool_family(const struct pool *p)
{
	return p->family;
}

/* offset of addr in the (capped) range, or -1 */
static long offset_of(const struct pool *p, const uint8_t *addr)
{
	u128 a = addr_to_u128(addr, p->alen);
	if (a < p->from || a - p->from >= p->size)
		return -1;
	return (long)(a - p->from);
}

bool pool_contains(const struct pool *p, const uint8_t *addr)
{
	return offset_of(p, addr) >= 0;
}

/* moves next_fresh past addresses that restored leases hold */
static void skip_taken(struct pool *p)
{
	while (p->next_fresh < p->size && find_off(p, (uint32_t)p->next_fresh))
		p->next_fresh++;
}

/* index in leases[] where a lease at off belongs (address order) */
static size_t sorted_pos(const struct pool *p, uint32_t off)
{
	size_t lo = 0, hi = p->nleases;
	while (lo < hi) {
		size_t mid = lo + (hi - lo) / 2;
		if (p->leases[mid]->off < off)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

/* creates a lease at offset off (not leased), tied to id; NULL when out
 * of memory */
static struct lease *add_lease(struct pool *p, uint32_t off, const char *id)
{
	struct lease *l = NULL;

	if (p->nleases == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct lease **v = realloc(p->leases, cap * sizeof(*v));
		if (!v)
			goto fail;
		p->leases = v;
		p->cap = cap;
	}
	if (p->nleases + 1 > p->nbuckets)
		rehash(p, p->nbuckets * 2);     /* on failure, chains get longer */
	l = calloc(1, sizeof(*l));
	if (!l)
		goto fail;
	l->id = strdup(id);
	if (!l->id)
		goto fail;
	l->off = off;
	size_t at = sorted_pos(p, off);
	memmove(p->leases + at + 1, p->leases + at, (p->nleases - at) * sizeof(*p->leases));
	p->leases[at] = l;
	p->nleases++;
	index_off(p, l);
	index_id(p, l);
	return l;
fail:
	if (l)
		free(l->id);
	free(l);
	return NULL;
}

/* creates a lease for the next never-used address; NULL when none is
 * left or out of memory */
static struct lease *new_lease(struct pool *p, const char *id)
{
	skip_taken(p);
	if (p->next_fresh >= p->size)
		return NULL;
	struct lease *l = add_lease(p, (uint32_t)p->next_fresh, id);
	if (l)
		p->next_fresh++;
	return l;
}

int pool_acquire(struct pool *p, const char *id, uint8_t *out)
{
	struct lease *l = find_offline_of(p, id);
	skip_taken(p);
	if (l) {
		lru_remove(p, l);
		p->offline--;
	} else if (p->next_fresh < p->size) {
		l = new_lease(p, id);
		if (!l)
			return -1;
	} else if (p->lru_head) {
		/* take over another identity's oldest offline lease */
		char *nid = strdup(id);
		if (!nid)
			return -1;
		l = p->lru_head;
		lru_remove(p, l);
		p->offline--;
		unindex_id(p, l);
		free(l->id);
		l->id = nid;
		index_id(p, l);
	} else {
		return -1;
	}
	l->online = true;
	p->online++;
	p->dirty = true;
	u128_to_addr(p->from + l->off, out, p->alen);
	return 0;
}

int pool_acquire_addr(struct pool *p, const char *id, const uint8_t *addr)
{
	long off = offset_of(p, addr);
	if (off < 0)
		return -1;
	struct lease *l = find_off(p, (uint32_t)off);
	if (l && l->online)
		return -1;
	if (l) {
		lru_remove(p, l);
		p->offline--;
		if (strcmp(l->id, id) != 0) {
			char *nid = strdup(id);
			if (!nid) {
				lru_append(p, l);
				p->offline++;
				return -1;
			}
			unindex_id(p, l);
			free(l->id);
			l->id = nid;
			index_id(p, l);
		}
	} else if (!(l = add_lease(p, (uint32_t)off, id))) {
		return -1;
	}
	l->online = true;
	p->online++;
	p->dirty = true;
	return 0;
}

int pool_restore(struct pool *p, const char *id, const uint8_t *addr)
{
	long off = offset_of(p, addr);
	if (off < 0 || find_off(p, (uint32_t)off))
		return -1;
	struct lease *l = add_lease(p, (uint32_t)off, id);
	if (!l)
		return -1;
	lru_append(p, l);
	p->offline++;
	return 0;
}

void pool_each_lease(const struct pool *p,
                     void (*fn)(void *arg, const uint8_t *addr, const char *id), void *arg)
{
	uint8_t addr[16];
	for (const struct lease *l = p->lru_head; l; l = l->lru_next) {
		u128_to_addr(p->from + l->off, addr, p->alen);
		fn(arg, addr, l->id);
	}
	for (size_t i = 0; i < p->nleases; i++) {
		if (!p->leases[i]->online)
			continue;
		u128_to_addr(p->from + p->leases[i]->off, addr, p->alen);
		fn(arg, addr, p->leases[i]->id);
	}
}

bool pool_take_dirty(struct pool *p)
{
	bool d = p->dirty;
	p->dirty = false;
	return d;
}

void pool_release(struct pool *p, const uint8_t *addr)
{
	long off = offset_of(p, addr);
	if (off < 0)
		return;
	struct lease *l = find_off(p, (uint32_t)off);
	if (!l || !l->online)
		return;
	l->online = false;
	p->online--;
	p->offline++;
	p->dirty = true;
	lru_append(p, l);
}

int pool_unrelease(struct pool *p, const uint8_t *addr)
{
	long off = offset_of(p, addr);
	if (off < 0)
		return -1;
	struct lease *l = find_off(p, (uint32_t)off);
	if (!l || l->online)
		return -1;
	lru_remove(p, l);
	p->offline--;
	l->online = true;
	p->online++;
	p->dirty = true;
	return 0;
}

size_t pool_size(const struct pool *p)
{
	return p->size;
}

size_t pool_online(const struct pool *p)
{
	return p->online;
}

size_t pool_offline(const struct pool *p)
{
	return p->offline;
}

/* every lease, online and offline, in address order */
int pool_lease_at(const struct pool *p, size_t i, uint8_t *addr, const char **id, bool *online)
{
	if (i >= p->nleases)
		return -1;
	const struct lease *l = p->leases[i];
	if (addr)
		u128_to_addr(p->from + l->off, addr, p->alen);
	if (id)
		*id = l->id;
	if (online)
		*online = l->online;
	return 0;
}

int pool_cover_prefix(int family, const uint8_t *from, const uint8_t *to, uint8_t *net)
{
	size_t n = family == AF_INET ? 4 : 16;
	int prefix = 0;
	while ((size_t)prefix < 8 * n) {
		int byte = prefix / 8, bit = 7 - prefix % 8;
		if (((from[byte] >> bit) & 1) != ((to[byte] >> bit) & 1))
			break;
		prefix++;
	}
	memset(net, 0, 16);
	for (size_t i = 0; i < n; i++) {
		int bits = prefix - (int)(8 * i);
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		net[i] = from[i] & mask;
	}
	return prefix;
}
