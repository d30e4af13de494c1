/* The SA tables: inbound SPI -> SA, and virtual IPv4 / IPv6 address ->
 * the SAs that send to it, newest first (several while a CHILD_SA is
 * rekeyed, or a client has more than one CHILD_SA).
 *
 * An SA without any virtual IP (neither has_vip4 nor has_vip6) is a
 * routed SA: cygnet's own SAs as a client towards its server, and
 * site-to-site SAs, whose remote selectors are a subnet or everything.
 * Those sit on one more chain, t->routed, newest first, not hashed (there
 * are a few at most). An outbound packet looks for an SA of its
 * destination's virtual IP first; only when no SA has that address does
 * it walk the routed chain, where the first SA whose selectors allow it
 * wins. An SA with a virtual IP of one family only is not routed: a packet
 * of the other family finds nothing by it. The routed chain lives beside
 * the bucket arrays, not in them, so growth leaves it as it is.
 *
 * Written only by the control thread, read by packet loops that may run
 * on other threads at the same time, without a lock (the RCU pattern):
 *  - each table is an array of buckets of singly linked nodes; a node
 *    points at an SA. Readers load bucket heads and next pointers with
 *    acquire; the writer publishes a filled-in node with one release
 *    store (at a bucket head) and unlinks one with one release store.
 *  - growth builds complete new arrays with new nodes and publishes them
 *    with one release store of t->cur; a reader holds either the old or
 *    the new arrays, both complete.
 *  - nothing unlinked is freed at once: nodes and old arrays are retired
 *    with the epoch the change publishes when it is done (after the
 *    unlinking), and freed by esp_table_reclaim once every reader has
 *    announced (src/dp/dp.c) that it passed a quiescent point having seen
 *    that epoch: it then holds nothing the change unlinked. An SA the
 *    caller deletes is retired the same way, with esp_table_epoch() read
 *    after esp_table_del. */
#include <errno.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>

#include "src/dp/esp.h"

#define TABLE_MIN_BUCKETS 64

struct sa_node {
	struct esp_sa *sa;
	struct sa_node *_Atomic next;
	struct sa_node *retired_next;
	uint64_t retired_epoch;
};

struct buckets {
	size_t n;                               /* a power of two */
	struct sa_node *_Atomic *spi, *_Atomic *v4, *_Atomic *v6;
	struct buckets *retired_next;
	uint64_t retired_epoch;
};

struct esp_table {
	struct buckets *_Atomic cur;
	struct sa_node *_Atomic routed;         /* SAs without a virtual IP, newest first */
	size_t count;                           /* SAs */
	_Atomic uint64_t epoch;
	struct sa_node *retired_nodes;
	struct buckets *retired_buckets;
};

static uint64_t mix64(uint64_t x)
{
	/* splitmix64 finaliser */
	x ^= x >> 30;
	x *= 0xbf58476d1ce4e5b9ULL;
	x ^= x >> 27;
	x *= 0x94d049bb133111ebULL;
	x ^= x >> 31;
	return x;
}

static size_t hash_bytes(const uint8_t *p, size_t n, size_t mask)
{
	uint64_t h = n;
	for (size_t i = 0; i < n; i += 8) {
		uint64_t w = 0;
		size_t k = n - i < 8 ? n - i : 8;
		memcpy(&w, p + i, k);
		h = mix64(h ^ w);
	}
	return (size_t)h & mask;
}

static size_t hash_spi(uint32_t spi, size_t mask)
{
	return (size_t)mix64(spi) & mask;
}

#define LOAD(p) atomic_load_explicit(&(p), memory_order_acquire)
#define STORE(p, v) atomic_store_explicit(&(p), (v), memory_order_release)

/* ---- memory ---- */

static void buckets_free(struct buckets *b)
{
	if (!b)
		return;
	free(b->spi);
	free(b->v4);
	free(b->v6);
	free(b);
}

static struct buckets *buckets_new(size_t n)
{
	struct buckets *b = calloc(1, sizeof(*b));
	if (!b)
		return NULL;
	b->n = n;
	b->spi = calloc(n, sizeof(*b->spi));
	b->v4 = calloc(n, sizeof(*b->v4));
	b->v6 = calloc(n, sizeof(*b->v6));
	if (!b->spi || !b->v4 || !b->v6) {
		buckets_free(b);
		return NULL;
	}
	return b;
}

static void retire_node(struct esp_table *t, struct sa_node *n, uint64_t epoch)
{
	n->retired_epoch = epoch;
	n->retired_next = t->retired_nodes;
	t->retired_nodes = n;
}

void esp_table_reclaim(struct esp_table *t, uint64_t safe)
{
	for (struct sa_node **pp = &t->retired_nodes; *pp;) {
		struct sa_node *n = *pp;
		if (n->retired_epoch <= safe) {
			*pp = n->retired_next;
			free(n);
		} else {
			pp = &n->retired_next;
		}
	}
	for (struct buckets **pp = &t->retired_buckets; *pp;) {
		struct buckets *b = *pp;
		if (b->retired_epoch <= safe) {
			*pp = b->retired_next;
			buckets_free(b);
		} else {
			pp = &b->retired_next;
		}
	}
}

uint64_t esp_table_epoch(const struct esp_table *t)
{
	return atomic_load_explicit(&t->epoch, memory_order_acquire);
}

uint64_t esp_table_advance(struct esp_table *t)
{
	uint64_t e = atomic_load_explicit(&t->epoch, memory_order_relaxed) + 1;
	STORE(t->epoch, e);
	return e;
}

struct esp_table *esp_table_new(void)
{
	struct esp_table *t = calloc(1, sizeof(*t));
	struct buckets *b = buckets_new(TABLE_MIN_BUCKETS);
	if (!t || !b) {
		free(t);
		buckets_free(b);
		return NULL;
	}
	atomic_init(&t->cur, b);
	atomic_init(&t->routed, NULL);
	atomic_init(&t->epoch, 1);
	return t;
}

static void free_chains(struct sa_node *_Atomic *heads, size_t n)
{
	for (size_t i = 0; i < n; i++) {
		struct sa_node *x = atomic_load_explicit(&heads[i], memory_order_relaxed);
		while (x) {
			struct sa_node *next = atomic_load_explicit(&x->next, memory_order_relaxed);
			free(x);
			x = next;
		}
	}
}

void esp_table_free(struct esp_table *t)
{
	if (!t)
		return;
	esp_table_reclaim(t, UINT64_MAX);
	struct buckets *b = atomic_load_explicit(&t->cur, memory_order_relaxed);
	free_chains(b->spi, b->n);
	free_chains(b->v4, b->n);
	free_chains(b->v6, b->n);
	free_chains(&t->routed, 1);
	buckets_free(b);
	free(t);
}

/* ---- writer (the control thread) ---- */

static int push(struct sa_node *_Atomic *head, struct esp_sa *sa)
{
	struct sa_node *n = calloc(1, sizeof(*n));
	if (!n)
		return -1;
	n->sa = sa;
	atomic_init(&n->next, atomic_load_explicit(head, memory_order_relaxed));
	STORE(*head, n);
	return 0;
}

/* appends at the tail (growth keeps the newest-first order that way) */
static int append(struct sa_node *_Atomic *head, struct esp_sa *sa)
{
	struct sa_node *_Atomic *pp = head;
	struct sa_node *x;
	while ((x = atomic_load_explicit(pp, memory_order_relaxed)))
		pp = &x->next;
	return push(pp, sa);
}

/* unlinks the node of sa from the chain at head; it is retired */
static void unlink_sa(struct esp_table *t, struct sa_node *_Atomic *head,
                      const struct esp_sa *sa, uint64_t epoch)
{
	struct sa_node *_Atomic *pp = head;
	struct sa_node *x;
	while ((x = atomic_load_explicit(pp, memory_order_relaxed))) {
		if (x->sa == sa) {
			STORE(*pp, atomic_load_explicit(&x->next, memory_order_relaxed));
			retire_node(t, x, epoch);
			return;
		}
		pp = &x->next;
	}
}

/* Builds arrays of twice the size and publishes them. On allocation
 * failure the table keeps its size: lookups get slower, nothing breaks. */
static void grow(struct esp_table *t, uint64_t epoch)
{
	struct buckets *old = atomic_load_explicit(&t->cur, memory_order_relaxed);
	if (old->n > SIZE_MAX / 2 / sizeof(void *))
		return;
	struct buckets *nb = buckets_new(old->n * 2);
	if (!nb)
		return;
	size_t mask = nb->n - 1;
	bool ok = true;
	for (size_t i = 0; i < old->n && ok; i++) {
		for (struct sa_node *x = atomic_load_explicit(&old->spi[i], memory_order_relaxed);
		     x && ok; x = atomic_load_explicit(&x->next, memory_order_relaxed))
			ok = push(&nb->spi[hash_spi(x->sa->spi_in, mask)], x->sa) == 0;
		/* an old vip bucket splits into new ones that each get a
		 * subsequence of it: appending keeps newest first */
		for (struct sa_node *x = atomic_load_explicit(&old->v4[i], memory_order_relaxed);
		     x && ok; x = atomic_load_explicit(&x->next, memory_order_relaxed))
			ok = append(&nb->v4[hash_bytes(x->sa->vip4, 4, mask)], x->sa) == 0;
		for (struct sa_node *x = atomic_load_explicit(&old->v6[i], memory_order_relaxed);
		     x && ok; x = atomic_load_explicit(&x->next, memory_order_relaxed))
			ok = append(&nb->v6[hash_bytes(x->sa->vip6, 16, mask)], x->sa) == 0;
	}
	if (!ok) {
		free_chains(nb->spi, nb->n);
		free_chains(nb->v4, nb->n);
		free_chains(nb->v6, nb->n);
		buckets_free(nb);
		return;
	}
	STORE(t->cur, nb);
	/* readers may still walk the old arrays and nodes */
	for (int k = 0; k < 3; k++) {
		struct sa_node *_Atomic *heads = k == 0 ? old->spi : k == 1 ? old->v4 : old->v6;
		for (size_t i = 0; i < old->n; i++) {
			struct sa_node *x = atomic_load_explicit(&heads[i], memory_order_relaxed);
			while (x) {
				struct sa_node *next = atomic_load_explicit(&x->next, memory_order_relaxed);
				retire_node(t, x, epoch);
				x = next;
			}
		}
	}
	old->retired_epoch = epoch;
	old->retired_next = t->retired_buckets;
	t->retired_buckets = old;
}

int esp_table_add(struct esp_table *t, struct esp_sa *sa)
{
	if (esp_table_by_spi(t, sa->spi_in))
		return -1;
	/* what this change unlinks is stamped with the next epoch, which is
	 * published only after the unlinking: a reader that has seen it
	 * cannot reach those nodes any more */
	uint64_t epoch = atomic_load_explicit(&t->epoch, memory_order_relaxed) + 1;
	if (t->count + 1 > atomic_load_explicit(&t->cur, memory_order_relaxed)->n)
		grow(t, epoch);
	struct buckets *b = atomic_load_explicit(&t->cur, memory_order_relaxed);
	size_t mask = b->n - 1;
	/* the address chains first: once the SPI is found, so is the rest */
	struct sa_node *_Atomic *h4 = sa->has_vip4 ? &b->v4[hash_bytes(sa->vip4, 4, mask)] : NULL;
	struct sa_node *_Atomic *h6 = sa->has_vip6 ? &b->v6[hash_bytes(sa->vip6, 16, mask)] : NULL;
	struct sa_node *_Atomic *hr = esp_sa_routed(sa) ? &t->routed : NULL;
	if (h4 && push(h4, sa) != 0)
		return -1;
	if (h6 && push(h6, sa) != 0)
		goto undo4;
	if (hr && push(hr, sa) != 0)
		goto undo6;
	if (push(&b->spi[hash_spi(sa->spi_in, mask)], sa) != 0)
		goto undo_r;
	t->count++;
	STORE(t->epoch, epoch);
	return 0;
undo_r:
	if (hr)
		unlink_sa(t, hr, sa, epoch);
undo6:
	if (h6)
		unlink_sa(t, h6, sa, epoch);
undo4:
	if (h4)
		unlink_sa(t, h4, sa, epoch);
	STORE(t->epoch, epoch);
	return -1;
}

void esp_table_del(struct esp_table *t, struct esp_sa *sa)
{
	if (esp_table_by_spi(t, sa->spi_in) != sa)
		return;         /* not in this table */
	uint64_t epoch = atomic_load_explicit(&t->epoch, memory_order_relaxed) + 1;
	struct buckets *b = atomic_load_explicit(&t->cur, memory_order_relaxed);
	size_t mask = b->n - 1;
	unlink_sa(t, &b->spi[hash_spi(sa->spi_in, mask)], sa, epoch);
	if (sa->has_vip4)
		unlink_sa(t, &b->v4[hash_bytes(sa->vip4, 4, mask)], sa, epoch);
	if (sa->has_vip6)
		unlink_sa(t, &b->v6[hash_bytes(sa->vip6, 16, mask)], sa, epoch);
	if (esp_sa_routed(sa))
		unlink_sa(t, &t->routed, sa, epoch);
	t->count--;
	STORE(t->epoch, epoch);
}

struct esp_sa *esp_table_any(struct esp_table *t)
{
	struct buckets *b = LOAD(t->cur);
	for (size_t i = 0; i < b->n; i++) {
		struct sa_node *x = LOAD(b->spi[i]);
		if (x)
			return x->sa;
	}
	return NULL;
}

/* 0 when no random bytes could be had (0 is never a valid SPI) */
uint32_t esp_table_new_spi(struct esp_table *t)
{
	for (int tries = 0; tries < 1000; tries++) {
		uint32_t spi;
		ssize_t n = getrandom(&spi, sizeof(spi), 0);
		if (n < 0 && errno == EINTR)
			continue;
		if (n != (ssize_t)sizeof(spi))
			return 0;
		if (spi >= 256 && !esp_table_by_spi(t, spi))
			return spi;
	}
	return 0;
}

/* ---- readers (any thread) ---- */

struct esp_sa *esp_table_by_spi(struct esp_table *t, uint32_t spi)
{
	struct buckets *b = LOAD(t->cur);
	for (struct sa_node *x = LOAD(b->spi[hash_spi(spi, b->n - 1)]); x; x = LOAD(x->next))
		if (x->sa->spi_in == spi)
			return x->sa;
	return NULL;
}

/* the first node of dst's chain whose SA has that virtual IP */
static struct sa_node *first_of(struct esp_table *t, const uint8_t *ip, size_t len, bool *v4)
{
	if (len < 1)
		return NULL;
	struct buckets *b = LOAD(t->cur);
	struct sa_node *x;
	if (ip[0] >> 4 == 4 && len >= 20) {
		*v4 = true;
		x = LOAD(b->v4[hash_bytes(ip + 16, 4, b->n - 1)]);
		while (x && memcmp(x->sa->vip4, ip + 16, 4) != 0)
			x = LOAD(x->next);
		return x;
	}
	if (ip[0] >> 4 == 6 && len >= 40) {
		*v4 = false;
		x = LOAD(b->v6[hash_bytes(ip + 24, 16, b->n - 1)]);
		while (x && memcmp(x->sa->vip6, ip + 24, 16) != 0)
			x = LOAD(x->next);
		return x;
	}
	return NULL;
}

struct esp_sa *esp_table_by_dst(struct esp_table *t, const uint8_t *ip, size_t len)
{
	bool v4;
	struct sa_node *x = first_of(t, ip, len, &v4);
	return x ? x->sa : NULL;
}

/* a routed SA for an outbound packet that no virtual IP claimed (one load
 * of an empty head on a server without routed SAs) */
static struct esp_sa *routed_out(struct esp_table *t, int lane, const uint8_t *ip, size_t len)
{
	struct sa_node *first = LOAD(t->routed);
	if (!first)
		return NULL;
	for (struct sa_node *x = first; x; x = LOAD(x->next))
		if (esp_ts_allows(x->sa, ip, len, false))
			return x->sa;
	/* refused: blamed on the newest SA whose remote selectors hold the
	 * destination, as a VIP SA is blamed for its address; a destination
	 * no SA routes is nobody's (as one without a VIP SA) */
	for (struct sa_node *x = first; x; x = LOAD(x->next))
		if (esp_ts_has_dst(x->sa, ip, len)) {
			x->sa->lane[lane].ctr.drop_ts_out++;
			break;
		}
	return NULL;
}

struct esp_sa *esp_table_out(struct esp_table *t, int lane, const uint8_t *ip, size_t len)
{
	bool v4;
	struct sa_node *first = first_of(t, ip, len, &v4);
	if (!first)
		return routed_out(t, lane, ip, len);
	const uint8_t *dst = v4 ? ip + 16 : ip + 24;
	/* newest first; an older SA of the same address may have other
	 * selectors (several CHILD_SAs of one client) */
	for (struct sa_node *x = first; x; x = LOAD(x->next)) {
		if (v4 ? memcmp(x->sa->vip4, dst, 4) != 0 : memcmp(x->sa->vip6, dst, 16) != 0)
			continue;
		if (esp_ts_allows(x->sa, ip, len, false))
			return x->sa;
	}
	/* the address is a peer's: never sent through a routed SA */
	first->sa->lane[lane].ctr.drop_ts_out++;
	return NULL;
}
