/* CHILD_SAs: ESP proposal selection, traffic selector narrowing, keys,
 * and installing the SA into the data path. */
#ifndef CYGNET_CHILD_SA_H
#define CYGNET_CHILD_SA_H

#include <stdint.h>
#include "src/ike_msg.h"

struct daemon;
struct ike_sa;

/* Creates the first CHILD_SA of sa (in IKE_AUTH: no KE) from the peer's
 * ESP proposals and traffic selectors, installs it, and appends SA, TSi
 * and TSr payloads to w. Returns 0, or the notify type to answer with
 * (NO_PROPOSAL_CHOSEN, TS_UNACCEPTABLE, ...), with nothing written. */
uint16_t child_sa_create(struct daemon *d, struct ike_sa *sa,
                         const struct ike_prop *props, int n_props,
                         const struct ike_ts *tsi, int n_tsi,
                         const struct ike_ts *tsr, int n_tsr,
                         struct ike_wr *w);

/* removes the CHILD_SA whose inbound SPI (ours) or outbound SPI (the
 * peer's, as in a DELETE payload) is spi; returns our inbound SPI in
 * *spi_in for the answer. 0 when found. */
int child_sa_delete(struct daemon *d, struct ike_sa *sa, uint32_t peer_spi, uint32_t *spi_in);

#endif
