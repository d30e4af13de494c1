/* CHILD_SAs: ESP proposal selection, traffic selector narrowing, keys,
 * and installing the SA into the data path. */
#ifndef CYGNET_CHILD_SA_H
#define CYGNET_CHILD_SA_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/ike_msg.h"

struct daemon;
struct ike_sa;
struct child_sa;
struct dp_endpoints;
struct dp_sa_params;

struct child_params {
	bool first;                     /* in IKE_AUTH: no KE, DH ignored */
	uint16_t ke_group;              /* the group of the peer's KE, 0 if none */
	const uint8_t *dh; size_t dh_len;   /* the new DH secret (PFS), or none */
	const uint8_t *ni, *nr;         /* the exchange's nonces */
	size_t ni_len, nr_len;
	uint32_t reqid;                 /* of the CHILD_SA rekeyed, 0 for a new one */
};

/* Creates a CHILD_SA of sa (as responder) from the peer's ESP proposals
 * and traffic selectors, installs it, and appends SA, TSi and TSr payloads
 * to w. Returns 0, or the notify type to answer with (NO_PROPOSAL_CHOSEN,
 * TS_UNACCEPTABLE, ...), with nothing written. */
uint16_t child_sa_create(struct daemon *d, struct ike_sa *sa,
                         const struct ike_prop *props, int n_props,
                         const struct ike_ts *tsi, int n_tsi,
                         const struct ike_ts *tsr, int n_tsr,
                         const struct child_params *p, struct ike_wr *w);

/* c, the next free slot of sa->child (SPIs and selectors set), with its
 * algorithms and keys in *p (ike_keys_child): fills in the rest of *p
 * (SPIs, selectors, the peer's endpoints and virtual IPs, sa as owner),
 * installs it in the data plane and counts it. *p is wiped either way.
 * -1 when the data plane refuses it (SPI taken, bad selectors). */
int child_sa_install(struct daemon *d, struct ike_sa *sa, struct child_sa *c,
                     struct dp_sa_params *p);
/* sa's current outer addresses, as the data plane takes them */
void child_sa_endpoints(const struct ike_sa *sa, struct dp_endpoints *ep);

/* The selectors of the CREATE_CHILD_SA response to our own rekey of a
 * CHILD_SA, whose request carried TSi = c->tsr (ours) and TSr = c->tsi
 * (the peer's): the response's TSi is our side, its TSr the peer's.
 * The responder may only narrow (RFC 7296 §2.9): each selector must lie
 * inside one we proposed. Stores them in c (tsi = the peer's, tsr =
 * ours); -1, c unchanged, when missing or wider. */
int child_sa_take_rekey_ts(struct child_sa *c, const struct ike_msg *m);

/* the selector of a subnet (all ports and protocols) */
struct conf_net;
void child_ts_from_net(const struct conf_net *net, struct ike_ts *ts);
/* t lies inside one of set[0..n) (addresses, ports, protocol) */
bool child_ts_within(const struct ike_ts *t, const struct ike_ts *set, int n);

/* removes the CHILD_SA whose inbound SPI (ours) or outbound SPI (the
 * peer's, as in a DELETE payload) is spi; returns our inbound SPI in
 * *spi_in for the answer. 0 when found. */
int child_sa_delete(struct daemon *d, struct ike_sa *sa, uint32_t peer_spi, uint32_t *spi_in);

#endif
