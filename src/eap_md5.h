/* EAP-MD5-Challenge, server side (RFC 3748 §5.4: CHAP, RFC 1994 §4.1,
 * carried in EAP Type 4). The strongSwan macOS app offers it; cygnet uses
 * it only where a conn says rightauth=eap-md5. It knows nothing of IKE:
 * the caller sends what eap_md5_srv_start writes, hands each EAP response
 * to eap_md5_srv_process and sends back what comes out.
 *
 *   server (this module)                      peer
 *   Request/MD5-Challenge: Value-Size 16,  ->
 *       16 random bytes, no Name
 *                                          <-  Response/MD5-Challenge: Value-Size 16,
 *                                              MD5(Identifier | secret | challenge),
 *                                              optional Name (ignored)
 *   EAP-Success or EAP-Failure             ->
 *
 * The Identifier in the hash is the one of the Request (the Response
 * echoes it). The value is compared with CRYPTO_memcmp.
 *
 * EAP-MD5 derives no keys: there is no MSK. RFC 7296 §2.16 then wants
 * the AUTH payloads computed with SK_pi / SK_pr as the shared key (what
 * strongSwan does too). It also does not authenticate the server and
 * offers a passive observer an offline dictionary attack on the password
 * (inside IKE the exchange is encrypted, but the server end is whoever
 * holds the IKE_SA): only for conns that ask for it.
 *
 * The secret must be the plaintext password: an NT hash (ipsec.secrets
 * `NTLM 0x...`) cannot compute an MD5 response and is refused by
 * eap_md5_srv_new.
 *
 * No logging: the caller logs eap_md5_srv_why. No globals. */
#ifndef CYGNET_EAP_MD5_H
#define CYGNET_EAP_MD5_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include "src/eap_srv.h"

#define EAP_MD5_CHAL_LEN 16
#define EAP_MD5_START_LEN (4 + 1 + 1 + EAP_MD5_CHAL_LEN)   /* the Request's length */

struct eap_md5_srv;

/* A conversation for one user whose EAP secret is secret[0..len) (copied;
 * the caller may wipe its own). nt_hash says the secret is an NT hash
 * (16 bytes of MD4 of the UTF-16 password) rather than the password:
 * then NULL with "EAP-MD5 needs the plaintext password, ..." in err. An
 * empty secret, or one over 1024 bytes, is refused the same way.
 * eap_id_first is the Identifier of the challenge. The challenge is
 * drawn here (RAND_bytes). NULL with a one-line reason in err on failure. */
struct eap_md5_srv *eap_md5_srv_new(const uint8_t *secret, size_t len, bool nt_hash,
                                    uint8_t eap_id_first, char *err, size_t errlen);

/* For tests: the challenge to send instead of the random one. Call it
 * before eap_md5_srv_start. */
void eap_md5_srv_fix_challenge(struct eap_md5_srv *s, const uint8_t chal[EAP_MD5_CHAL_LEN]);

/* Writes the Request/MD5-Challenge to out. Returns its length
 * (EAP_MD5_START_LEN), or 0 when cap is too small or it was called before
 * (once per conversation). */
size_t eap_md5_srv_start(struct eap_md5_srv *s, uint8_t *out, size_t cap);

/* Processes one EAP message from the peer: in[0..inlen), its Length
 * field at most inlen (octets past Length are ignored). *outlen is the
 * length written to out (cap bytes available), 0 for DROP.
 *  - Response/MD5-Challenge with the Request's Identifier, Value-Size 16
 *    and the right value: SUCCESS, out = EAP-Success with that Identifier;
 *  - a wrong value: FAILURE, out = EAP-Failure, why "wrong EAP-MD5 response
 *    (wrong password?)";
 *  - a Nak (Type 3): FAILURE, why names the Types the peer proposed;
 *  - anything else (no challenge sent yet, the conversation over, not a
 *    Response, another Identifier or Type, a Length that does not fit,
 *    a Value-Size other than 16): DROP, nothing changes (why may say
 *    what was wrong).
 * After SUCCESS or FAILURE every further message is DROP. Never reads
 * past inlen. */
enum eap_srv_result eap_md5_srv_process(struct eap_md5_srv *s, const uint8_t *in, size_t inlen,
                                        uint8_t *out, size_t cap, size_t *outlen);

/* Why the conversation failed, or why the last message was dropped; ""
 * when nothing went wrong. After the end it keeps the reason of the
 * failure (later messages, all dropped, do not change it). Printable
 * ASCII; owned by s. */
const char *eap_md5_srv_why(const struct eap_md5_srv *s);

/* Wipes the secret and the challenge and frees s. NULL-safe. */
void eap_md5_srv_free(struct eap_md5_srv *s);

#endif
