/* Who may start an IKE_SA: counts of half-open and of all IKE_SAs per
 * source address (the peer's IP, any port) and in total, checked against
 * the caps of `config setup` before an IKE_SA_INIT costs anything.
 *
 * The table is keyed with SipHash under a random key (addresses are the
 * peer's choice) and holds an entry only while that address has an
 * IKE_SA, so its size is bounded by the IKE_SA caps. */
#ifndef CYGNET_IKE_LIMITS_H
#define CYGNET_IKE_LIMITS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/socket.h>
#include "src/clock.h"
#include "src/siphash.h"

struct src_entry {
	struct src_entry *next;
	uint8_t family;
	uint8_t addr[16];
	unsigned half_open;            /* IKE_SAs of this address not established */
	unsigned total;                /* all its IKE_SAs */
};

struct src_table {
	struct sipkey key;
	struct src_entry **b;
	size_t mask;                   /* buckets - 1 (a power of two) */
	size_t n;                      /* entries */
};

int src_table_init(struct src_table *t);
void src_table_free(struct src_table *t);
/* the entry of peer's address; NULL when there is none and !create (or
 * no memory) */
struct src_entry *src_get(struct src_table *t, const struct sockaddr *peer, bool create);
/* frees e when no IKE_SA of its address is left */
void src_release(struct src_table *t, struct src_entry *e);

#endif
