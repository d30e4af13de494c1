/* IKE_SA and CHILD_SA key derivation (RFC 7296 §2.14, §2.17). */
#ifndef CYGNET_IKE_KEYS_H
#define CYGNET_IKE_KEYS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct ike_sa;
struct dp_sa_params;

/* SKEYSEED and SK_* from the shared DH secret; sets sa->sk_d/pi/pr and
 * creates sa->x_in / sa->x_out. 0 on success. */
int ike_keys_derive(struct ike_sa *sa, const uint8_t *secret, size_t secret_len);
/* the same for a rekeyed IKE_SA (RFC 7296 §2.18): SKEYSEED =
 * prf_old(SK_d old, g^ir new | Ni | Nr) */
int ike_keys_derive_rekey(struct ike_sa *sa, const struct ike_sa *old,
                          const uint8_t *secret, size_t secret_len);

/* KEYMAT = prf+(SK_d, [g^ir (new) |] Ni | Nr) split into the keys and
 * algorithms of out (the rest of out is the caller's); initiator: we
 * started the exchange (our outbound keys come first). 0, or -1 (out's
 * keys untouched or partly written: wipe it either way). */
int ike_keys_child(const struct ike_sa *sa, bool initiator,
                   uint16_t encr, uint16_t keybits, uint16_t integ,
                   const uint8_t *dh_secret, size_t dh_len,
                   const uint8_t *ni, size_t ni_len,
                   const uint8_t *nr, size_t nr_len, struct dp_sa_params *out);

/* The octets an AUTH payload covers (RFC 7296 §2.15) for the message of
 * the initiator (by_initiator: IKE_SA_INIT request | Nr | prf(SK_pi,
 * IDi')) or of the responder (response | Ni | prf(SK_pr, IDr')); IDi' and
 * IDr' are sa->idi_body and sa->idr_body. malloc'd in *out; 0 or -1. */
int ike_auth_octets(const struct ike_sa *sa, bool by_initiator, uint8_t **out, size_t *outlen);
/* AUTH for a shared key or an EAP MSK: prf(prf(key, "Key Pad for
 * IKEv2"), octets); out receives sa->prf_len bytes. 0 or -1. */
int ike_auth_psk(const struct ike_sa *sa, bool by_initiator, const uint8_t *key, size_t keylen,
                 uint8_t *out);

#endif
