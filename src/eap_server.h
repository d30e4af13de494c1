/* The server's EAP conversation in IKE_AUTH (RFC 7296 §2.16): an
 * EAP-Identity round when the conn asks for one (eap_identity=), then
 * the conn's method: EAP-MSCHAPv2 (src/eap_mschapv2.c), EAP-TLS
 * (src/eap_tls.c, RFC 5216 / 9190) or EAP-MD5 (src/eap_md5.c, only where
 * configured). The method's state lives in the IKE_SA (sa->eap_method,
 * sa->eap_ctx) and is freed with it (eap_server_free). */
#ifndef CYGNET_EAP_SERVER_H
#define CYGNET_EAP_SERVER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/eap.h"

struct daemon;
struct ike_sa;

/* the first request of method (enum conf_auth: AUTH_EAP_MSCHAPV2,
 * AUTH_EAP_TLS, AUTH_EAP_MD5) for sa, after an EAP-Identity round when
 * ask_identity; its length (0 on failure, logged). AUTH_EAP_RADIUS: only
 * the EAP-Identity round is ours (0 without one: the relay of
 * src/eap_radius.h starts the conversation). */
size_t eap_server_start(struct daemon *d, struct ike_sa *sa, int method, bool ask_identity,
                        uint8_t *out, size_t cap);
/* one EAP response (not for AUTH_EAP_RADIUS, whose responses go to
 * eap_radius_relay): the next request (EAP_CONTINUE), EAP-Success
 * (EAP_SUCCESS: sa->msk set when the method makes one, sa->user the
 * authenticated user) or EAP-Failure (EAP_FAILURE, sa->auth_fail says
 * why); out holds what to send */
enum eap_result eap_server_process(struct daemon *d, struct ike_sa *sa, const uint8_t *in,
                                   size_t inlen, uint8_t *out, size_t cap, size_t *outlen);
/* the method's name for logs ("EAP-MSCHAPv2", ...) */
const char *eap_server_name(int method);
/* frees the method's state (NULL-safe, wiped) */
void eap_server_free(struct ike_sa *sa);

/* An EAP-Identity as the session's name: printable text as it is, or a
 * DER distinguished name (strongSwan's EAP-TLS client, whose IKE identity
 * is its certificate's subject, sends the DN's encoding) as "O=.., CN=..".
 * 0, or -1 for other bytes or when out (cap) is too small. */
int eap_identity_text(const uint8_t *data, size_t len, char *out, size_t cap);

#endif
