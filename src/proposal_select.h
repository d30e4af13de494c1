/* Responder proposal selection (RFC 7296 §2.7): the peer's proposals in
 * the peer's order, each checked against ours; the first acceptable one
 * wins, with the peer's preferred transform of each type. */
#ifndef CYGNET_PROPOSAL_SELECT_H
#define CYGNET_PROPOSAL_SELECT_H

#include <stdbool.h>
#include <stdint.h>
#include "conf/proposal.h"
#include "src/ike_msg.h"

struct selected {
	uint16_t encr, keybits, integ, prf, dh, esn;
};

/* proto: PROTO_IKE or PROTO_ESP. ignore_dh: the first CHILD_SA (created
 * in IKE_AUTH, no KE). ke_group: IKE only, the group of the peer's KE
 * payload, chosen when the proposal allows it. On success fills sel and
 * out (a single-transform proposal to send back, with the peer's
 * proposal number, protocol and SPI) and returns 0; -1 when none. */
int proposal_select(const struct ike_prop *peer, int n_peer, uint8_t proto,
                    const struct proposal_list *ours, bool ignore_dh, uint16_t ke_group,
                    struct selected *sel, struct ike_prop *out);

/* Our offer as initiator: the proposals of ours as IKEv2 proposals
 * numbered from 1, for proto (PROTO_IKE or PROTO_ESP), each with spi
 * (spi_size bytes: 0 for IKE_SA_INIT, 8 for an IKE rekey, 4 for ESP).
 * with_dh false leaves the DH groups out (the first CHILD_SA, created in
 * IKE_AUTH without KE). Transforms beyond IKE_MAX_XFORMS in one proposal
 * are left out. Returns the number written to out (at most max). */
int proposal_offer(const struct proposal_list *ours, uint8_t proto, bool with_dh,
                   const uint8_t *spi, uint8_t spi_size, struct ike_prop *out, int max);

/* "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048" for logs */
void selected_format(const struct selected *s, uint8_t proto, char *out, size_t outlen);
/* the peer's whole offer for logs, "AES_CBC_256/.../MODP_1024, AES_..." */
void peer_props_format(const struct ike_prop *peer, int n_peer, char *out, size_t outlen);

#endif
