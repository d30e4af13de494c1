/* EAP server side for IKEv2 (RFC 7296 §2.16): EAP-Identity and
 * EAP-MSCHAPv2 (draft-kamath-pppext-eap-mschapv2 framing over RFC 2759). */
#ifndef CYGNET_EAP_H
#define CYGNET_EAP_H

#include <stddef.h>
#include <stdint.h>

#include <stdbool.h>

struct daemon;
struct ike_sa;
struct config;

enum eap_result {
	EAP_CONTINUE,    /* out holds the next request */
	EAP_SUCCESS,     /* out holds EAP-Success; sa->msk is set */
	EAP_FAILURE,     /* out holds EAP-Failure */
};

/* the first request: Identity when ask_identity, else the MSCHAPv2
 * challenge for sa->user. Returns the EAP message length (0 on error). */
size_t eap_start(struct ike_sa *sa, int ask_identity, uint8_t *out, size_t cap);
/* processes one EAP response from the peer */
enum eap_result eap_process(struct daemon *d, struct ike_sa *sa, const uint8_t *in,
                            size_t inlen, uint8_t *out, size_t cap, size_t *outlen);

/* true when cfg has an EAP secret for the user as authenticated (the
 * EAP identity, with or without a DOMAIN\ prefix) */
bool eap_user_known(const struct config *cfg, const char *user);

#endif
