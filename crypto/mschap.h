/* MS-CHAPv2 primitives (RFC 2759) and the MPPE master keys (RFC 3079) that
 * EAP-MSCHAPv2 turns into the 64-byte MSK used by IKEv2 AUTH. */
#ifndef CYGNET_MSCHAP_H
#define CYGNET_MSCHAP_H

#include <stddef.h>
#include <stdint.h>

/* NtPasswordHash: MD4 of the UTF-16LE password (password is UTF-8;
 * ASCII and BMP characters converted). 0 on success. */
int mschap_nt_hash(const char *password, size_t len, uint8_t out[16]);
/* ChallengeHash(peer_challenge, auth_challenge, user): 8 bytes */
void mschap_challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                           const char *user, size_t userlen, uint8_t out[8]);
/* GenerateNTResponse from the NT password hash: 24 bytes */
int mschap_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                       const char *user, size_t userlen,
                       const uint8_t nt_hash[16], uint8_t out[24]);
/* GenerateAuthenticatorResponse: the 42-char "S=<40 HEX>" string plus NUL */
int mschap_auth_response(const uint8_t nt_hash[16], const uint8_t nt_response[24],
                         const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                         const char *user, size_t userlen, char out[43]);
/* MSK for EAP-MSCHAPv2 in IKEv2, 64 bytes: MasterReceiveKey |
 * MasterSendKey (RFC 3079 §3.4 keys, as seen by the authenticator, i.e.
 * the order strongSwan and Windows use) | 32 zero bytes. */
int mschap_msk(const uint8_t nt_hash[16], const uint8_t nt_response[24],
               uint8_t msk[64]);

#endif
