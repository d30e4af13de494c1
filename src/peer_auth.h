/* Checking the peer's authentication in IKE_AUTH (RFC 7296 §2.15), the
 * same whether the peer is a client (cygnet as a server) or a server
 * (cygnet as a client): its certificate from the CERT payloads, checked
 * against our CAs and the conn's constraints, and its AUTH payload, a
 * signature over its octets or a MAC with a pre-shared key. */
#ifndef CYGNET_PEER_AUTH_H
#define CYGNET_PEER_AUTH_H

#include <stdbool.h>
#include <stddef.h>
#include <openssl/x509.h>

struct ike_sa;
struct ike_msg;
struct ident;
struct peer_cfg;

/* The end-entity certificate (the first X.509 CERT) and the others as
 * intermediates, decoded from m. 0 with *cert (caller frees, and
 * *chain with sk_X509_pop_free), or -1 when m has no usable
 * certificate (nothing to free). */
int peer_certs(const struct ike_msg *m, X509 **cert, STACK_OF(X509) **chain);

/* Whether cert may authenticate the peer of conn pc as id (the identity
 * it sent): a chain to a CA of pc's configuration through chain, every
 * certificate valid now and not revoked by a loaded CRL; through
 * rightca= when set, equal to rightcert= when set; id is the
 * certificate's subject or one of its subjectAltNames; want (rightid,
 * type 0 = any) is equal to id or in the certificate too; a keyUsage
 * extension, if present, allows signatures. 0, or -1 with why. */
int peer_cert_check(X509 *cert, STACK_OF(X509) *chain, const struct peer_cfg *pc,
                    const struct ident *id, const struct ident *want, char *why, size_t whylen);

/* The peer's AUTH payload in m over its octets: those of the IKE_SA's
 * initiator (by_initiator) or responder. With pub, a signature (methods
 * 1, 9-11, 14); with key, the MAC of a shared key (method 2). 0 when it
 * verifies. */
int peer_auth_sig(const struct ike_sa *sa, EVP_PKEY *pub, const struct ike_msg *m,
                  bool by_initiator);
int peer_auth_psk(const struct ike_sa *sa, const uint8_t *key, size_t keylen,
                  const struct ike_msg *m, bool by_initiator);

#endif
