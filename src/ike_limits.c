/* Per-source IKE_SA counts (see ike_limits.h). */
#include "src/ike_limits.h"

#include <stdlib.h>
#include <string.h>
#include <netinet/in.h>
#include "src/natd.h"

#define SRC_MIN_BUCKETS 64

int src_table_init(struct src_table *t)
{
	memset(t, 0, sizeof(*t));
	sipkey_random(&t->key);
	t->b = calloc(SRC_MIN_BUCKETS, sizeof(*t->b));
	if (!t->b)
		return -1;
	t->mask = SRC_MIN_BUCKETS - 1;
	return 0;
}

void src_table_free(struct src_table *t)
{
	for (size_t i = 0; t->b && i <= t->mask; i++) {
		struct src_entry *e = t->b[i];
		while (e) {
			struct src_entry *n = e->next;
			free(e);
			e = n;
		}
	}
	free(t->b);
	memset(t, 0, sizeof(*t));
}

static size_t bucket(const struct src_table *t, uint8_t family, const uint8_t addr[16])
{
	uint8_t key[17];
	key[0] = family;
	memcpy(key + 1, addr, 16);
	return (size_t)siphash24(&t->key, key, sizeof(key)) & t->mask;
}

/* doubles the buckets when the table is fuller than one entry a bucket */
static void grow(struct src_table *t)
{
	size_t nb = (t->mask + 1) * 2;
	struct src_entry **b = calloc(nb, sizeof(*b));
	if (!b)
		return;   /* longer chains, still correct */
	struct src_entry **old = t->b;
	size_t old_n = t->mask + 1;
	t->b = b;
	t->mask = nb - 1;
	for (size_t i = 0; i < old_n; i++) {
		struct src_entry *e = old[i];
		while (e) {
			struct src_entry *n = e->next;
			size_t h = bucket(t, e->family, e->addr);
			e->next = t->b[h];
			t->b[h] = e;
			e = n;
		}
	}
	free(old);
}

struct src_entry *src_get(struct src_table *t, const struct sockaddr *peer, bool create)
{
	if (!t->b && (!create || src_table_init(t) != 0))
		return NULL;
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes(peer, &ip, &iplen, &port);
	uint8_t family = peer->sa_family == AF_INET ? 4 : 6;
	uint8_t addr[16] = { 0 };
	memcpy(addr, ip, iplen > 16 ? 16 : iplen);
	size_t h = bucket(t, family, addr);
	for (struct src_entry *e = t->b[h]; e; e = e->next)
		if (e->family == family && memcmp(e->addr, addr, 16) == 0)
			return e;
	if (!create)
		return NULL;
	struct src_entry *e = calloc(1, sizeof(*e));
	if (!e)
		return NULL;
	e->family = family;
	memcpy(e->addr, addr, 16);
	e->next = t->b[h];
	t->b[h] = e;
	if (++t->n > t->mask + 1)
		grow(t);
	return e;
}

void src_release(struct src_table *t, struct src_entry *e)
{
	if (!e || e->total || e->half_open)
		return;
	struct src_entry **pp = &t->b[bucket(t, e->family, e->addr)];
	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp) {
		*pp = e->next;
		t->n--;
		free(e);
	}
}

