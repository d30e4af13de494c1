/* EAP-TLS, server side (RFC 5216; TLS 1.3: RFC 9190), for the
 * "IKEv2 EAP certificate" clients (iOS, Android, strongSwan's eap-tls):
 * a TLS handshake carried in EAP Type 13, the client authenticated by its
 * certificate, the MSK taken from the TLS exporter. It knows nothing of
 * IKE: the caller sends what eap_tls_srv_start writes, hands each EAP
 * response to eap_tls_srv_process and sends back what comes out; after
 * EAP_SRV_SUCCESS it takes the MSK for the AUTH payloads (RFC 7296 §2.16)
 * and the client's certificate for its identity checks.
 *
 * The conversation (TLS 1.2; TLS 1.3 in brackets):
 *
 *   server (this module)                         peer
 *   Request/EAP-TLS Start (S bit)           ->
 *                                           <-   ClientHello
 *   ServerHello, Certificate,               ->
 *     CertificateRequest, ServerHelloDone
 *     [ServerHello ... Finished]
 *                                           <-   Certificate, ClientKeyExchange,
 *                                                CertificateVerify, CCS, Finished
 *                                                [Certificate, CertificateVerify,
 *                                                 Finished]
 *   CCS, Finished                           ->
 *     [application data: one byte 0x00,
 *      the protected success indication,
 *      RFC 9190 §2.5]
 *                                           <-   empty EAP-TLS Response
 *   EAP-Success                             ->
 *
 * Fragmentation (RFC 5216 §2.1.5, §3.1): a TLS flight longer than the
 * fragment size (eap_tls_srv_set_max_fragment, default 1000 bytes of TLS
 * data per EAP message, and never more than the caller's buffer allows)
 * goes out in pieces, the first with the L bit and the total length, all
 * but the last with the M bit; each is acknowledged by an empty Response
 * before the next is sent. The peer's fragments (M bit) are acknowledged
 * with an empty Request and reassembled, at most 64 KiB in all (and no
 * more than an L bit declared). At most 256 Responses per conversation.
 *
 * The client's certificate (RFC 5216 §5.3):
 *  - required: a handshake without one fails ("the client sent no
 *    certificate");
 *  - verified by OpenSSL against cas, every certificate there a trust
 *    anchor (X509_V_FLAG_PARTIAL_CHAIN, as strongSwan treats its cacerts),
 *    intermediates from what the client sends; validity periods now;
 *    OpenSSL's "sslclient" purpose: when the certificate has an extended
 *    key usage it must include clientAuth, when it has a key usage it must
 *    allow digitalSignature (or keyAgreement);
 *  - with required_ca (rightca=) the verified chain must contain it;
 *  - CRLs: when crls is non-empty every certificate of the chain whose
 *    issuer has a CRL there is checked against it (X509_V_FLAG_CRL_CHECK
 *    | CRL_CHECK_ALL) and a revoked one fails. A certificate whose issuer
 *    has no CRL loaded, or whose CRL is out of its validity period, is
 *    accepted (an out-of-date CRL still revokes what it lists): what
 *    strongSwan does with its default strictcrlpolicy=no.
 * A failed check is answered with the TLS alert OpenSSL chooses
 * (certificate_expired, unknown_ca, certificate_revoked, ...) in an
 * EAP-TLS Request (RFC 5216 §2.1.3: EAP_SRV_CONTINUE), and the peer's
 * next Response with EAP-Failure (EAP_SRV_FAILURE); why is set from the
 * moment of the alert. eap_tls_srv_set_send_alerts(s, false) skips the
 * alert: EAP_SRV_FAILURE and EAP-Failure at once.
 *
 * TLS: 1.2 and 1.3 (nothing older), OpenSSL's default cipher suites and
 * security level, no session tickets, no resumption.
 *
 * The MSK (64 bytes) and EMSK (64 bytes) are the two halves of 128 bytes
 * of keying material:
 *  - TLS 1.2 (RFC 5216 §2.3): TLS-PRF(master_secret, "client EAP
 *    encryption", client.random || server.random), which is OpenSSL's
 *    SSL_export_keying_material with that label and no context (RFC 5705
 *    §4: without a context the seed is client.random || server.random);
 *  - TLS 1.3 (RFC 9190 §2.3): TLS-Exporter("EXPORTER_EAP_TLS_Key_Material",
 *    0x0D, 128), i.e. SSL_export_keying_material with the one-byte
 *    context 0x0D (use_context 1). The length is part of the TLS 1.3
 *    exporter's input, so the 128 bytes are exported at once and split.
 *
 * Identifiers: the Start carries eap_id_first, each further Request the
 * previous one plus 1 (mod 256); a Response must echo the Identifier of
 * the last Request. EAP-Success / EAP-Failure carry that same Identifier
 * (RFC 3748 §4.2).
 *
 * No logging and no globals: the caller logs eap_tls_srv_why. The
 * OpenSSL error queue of the calling thread is cleared by each call. */
#ifndef CYGNET_EAP_TLS_H
#define CYGNET_EAP_TLS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <openssl/x509.h>
#include "src/eap_srv.h"

#define EAP_TLS_MSK_LEN 64
#define EAP_TLS_DEFAULT_FRAGMENT 1000   /* TLS bytes per EAP message */
#define EAP_TLS_MAX_MESSAGE 65536       /* the peer's reassembled TLS data */
#define EAP_TLS_MAX_ROUNDS 256          /* Responses per conversation */

struct eap_tls_srv;

/* A conversation as the server with certificate server_cert and its
 * private key (they must match), the intermediates chain to send after it
 * (may be NULL), trust anchors cas (must hold at least one certificate),
 * crls (may be NULL or empty), required_ca (may be NULL: any of cas).
 * Takes its own references to everything: the caller keeps and frees
 * its own. eap_id_first is the Identifier of the Start. NULL with a
 * one-line reason in err when the arguments do not make a TLS server. */
struct eap_tls_srv *eap_tls_srv_new(X509 *server_cert, EVP_PKEY *key, STACK_OF(X509) *chain,
                                    STACK_OF(X509) *cas, STACK_OF(X509_CRL) *crls,
                                    X509 *required_ca, uint8_t eap_id_first, char *err,
                                    size_t errlen);

/* The largest piece of TLS data put in one EAP-Request (16..65000, other
 * values clamped; default EAP_TLS_DEFAULT_FRAGMENT). The caller's cap
 * also bounds it: a Request is at most cap bytes, i.e. cap - 10 of TLS
 * data. Call it before eap_tls_srv_start. */
void eap_tls_srv_set_max_fragment(struct eap_tls_srv *s, size_t n);

/* Whether a failed handshake sends its TLS alert before EAP-Failure
 * (default true, RFC 5216 §2.1.3) or ends at once. */
void eap_tls_srv_set_send_alerts(struct eap_tls_srv *s, bool on);

/* Writes the EAP-TLS Start (Request, Type 13, Flags S; 6 bytes) to out.
 * Returns 6, or 0 when cap < 6 or it was called before (once per
 * conversation). */
size_t eap_tls_srv_start(struct eap_tls_srv *s, uint8_t *out, size_t cap);

/* Processes one EAP message from the peer: in[0..inlen), its Length at
 * most inlen (octets past Length are ignored). *outlen is the length
 * written to out (cap bytes available; at least 64 wanted, fragments
 * shrink to fit). Returns
 *  - EAP_SRV_CONTINUE: out holds the next Request (TLS data, an
 *    acknowledgement of the peer's fragment, or our alert);
 *  - EAP_SRV_SUCCESS: out holds EAP-Success; eap_tls_srv_msk and
 *    eap_tls_srv_peer_cert are set;
 *  - EAP_SRV_FAILURE: out holds EAP-Failure (nothing when cap < 4); why
 *    says why: the client's certificate ("client certificate \"CN=..\"
 *    expired", "... from an unknown CA", "... revoked", "not issued by
 *    the CA rightca= names"), a TLS alert from the peer, a Nak, a failed
 *    handshake, a protocol error (data where an acknowledgement belongs,
 *    a message over 64 KiB, too many rounds);
 *  - EAP_SRV_DROP: not a Response of Type 13 (or Nak) echoing the last
 *    Identifier, a Length that does not fit, a missing Flags octet or
 *    TLS Message Length, or no conversation (before start, after the
 *    end): nothing changes, *outlen is 0.
 * Never reads past inlen. */
enum eap_srv_result eap_tls_srv_process(struct eap_tls_srv *s, const uint8_t *in, size_t inlen,
                                        uint8_t *out, size_t cap, size_t *outlen);

/* The client's verified certificate after EAP_SRV_SUCCESS (NULL before):
 * owned by s, valid until eap_tls_srv_free (X509_up_ref to keep it). */
X509 *eap_tls_srv_peer_cert(const struct eap_tls_srv *s);

/* The 64-byte MSK / EMSK after EAP_SRV_SUCCESS, NULL before; owned by s,
 * wiped by eap_tls_srv_free. */
const uint8_t *eap_tls_srv_msk(const struct eap_tls_srv *s);
const uint8_t *eap_tls_srv_emsk(const struct eap_tls_srv *s);

/* The negotiated TLS version (TLS1_2_VERSION, TLS1_3_VERSION) once the
 * handshake is done, else 0. For the log. */
int eap_tls_srv_tls_version(const struct eap_tls_srv *s);

/* Why the conversation failed, or why the last message was dropped; ""
 * when nothing went wrong. After the end it keeps the reason of the
 * failure (later messages, all dropped, do not change it). Printable
 * ASCII; owned by s. */
const char *eap_tls_srv_why(const struct eap_tls_srv *s);

/* Frees s: the TLS state and keys, the buffers, the MSK wiped. NULL-safe. */
void eap_tls_srv_free(struct eap_tls_srv *s);

#endif
