/* EAP peer (client) side for an IKEv2 initiator (RFC 7296 §2.16):
 * EAP-Identity and EAP-MSCHAPv2 (RFC 2759 over EAP type 26 with the
 * framing of draft-kamath-pppext-eap-mschapv2, as strongSwan and Windows
 * use it). The counterpart of the server in src/eap.h; it knows nothing
 * of IKE: the caller takes each EAP message out of the server's EAP
 * payload, hands it to eap_peer_process and sends back what comes out.
 *
 * One conversation, message by message (RFC 3748 §4; draft §2):
 *
 *   server                                  peer (this module)
 *   Request/Identity               ->  Response/Identity: identity
 *   Request/MS-CHAPv2 Challenge    ->  Response/MS-CHAPv2 Response:
 *       (Value-Size 16,                   random Peer-Challenge, NT-Response
 *        Authenticator Challenge)         (RFC 2759 §8.1), Flags 0,
 *                                         Name = the whole identity
 *   Request/MS-CHAPv2 Success      ->  Response/MS-CHAPv2 Success (opcode
 *       "S=<40 hex> M=<msg>"              only) when S= is the authenticator
 *                                         response (RFC 2759 §8.7) we expect
 *   EAP-Success                    ->  EAP_PEER_SUCCESS, msk set
 *
 * The Name sent in the Response is the identity as given, "DOMAIN\user"
 * included (what Windows and strongSwan's peer send); the ChallengeHash
 * (RFC 2759 §8.2) is over the user name without the domain, which
 * mschap_challenge_hash strips. The MSK is the 64 bytes the server
 * computes (mschap_msk: MasterReceiveKey | MasterSendKey | 32 zeros).
 *
 * Anything else: EAP-Failure, an MS-CHAPv2 Failure-Request, a Success-
 * Request whose S= is missing or wrong (the server does not know the
 * password: RFC 2759 §5 wants the session ended) or
 * an EAP-Success before a verified Success-Request end the conversation
 * with EAP_PEER_FAILURE. A Request of another method is answered with a
 * Nak proposing MS-CHAPv2 (RFC 3748 §5.3.1), a Notification with an empty
 * Response/Notification (§5.2). What does not parse, does not fit the
 * state or comes after the end is EAP_PEER_DROP: the caller ignores it
 * and nothing changes. The Identifier of EAP-Success/Failure is not
 * checked against the last Response's (RFC 3748 §4.2 wants them equal,
 * but servers differ, and IKE protects the message anyway).
 *
 * No allocation, no globals, no logging: the caller logs p->why. */
#ifndef CYGNET_EAP_PEER_H
#define CYGNET_EAP_PEER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* where the conversation is */
enum eap_peer_state {
	EAP_PEER_S_START,        /* nothing answered but Identity/Notification/Nak */
	EAP_PEER_S_RESPONDED,    /* Challenge answered: Success- or Failure-Request next */
	EAP_PEER_S_VERIFIED,     /* the server's S= verified: EAP-Success next */
	EAP_PEER_S_SUCCEEDED,    /* EAP-Success taken: the end */
	EAP_PEER_S_FAILED,       /* the end, p->why says why */
};

struct eap_peer {
	char identity[256];             /* sent in EAP-Identity and as MS-CHAPv2 name */
	size_t idlen;
	uint8_t password[256];          /* UTF-8; wiped by eap_peer_wipe */
	size_t pwlen;
	bool bad_input;                 /* identity or password did not fit: fails at once */
	enum eap_peer_state state;
	/* the MS-CHAPv2 exchange, from the Challenge on */
	uint8_t auth_chal[16];          /* the server's Authenticator Challenge */
	uint8_t peer_chal[16];          /* ours */
	uint8_t nt_resp[24];            /* the NT-Response sent */
	uint8_t expect_auth[20];        /* the authenticator response S= must carry */
	bool fixed_chal;                /* tests: peer_chal is set, no random one */
	char server_msg[128];           /* M= of the Success-Request or a Notification's
	                                   text, escaped (esc_text): for the log */
	uint8_t msk[64];                /* valid when have_msk */
	bool have_msk;
	char why[160];                  /* failure reason for the log (printable ASCII) */
};

/* Starts a conversation for identity (NUL-terminated, at most 255 bytes)
 * with the password pw (pwlen bytes of UTF-8, at most 256; copied, so the
 * caller may wipe its own). Too long an identity or password is noted and
 * fails the conversation at the first Identity or Challenge request, with
 * why set. identity NULL is the empty identity. */
void eap_peer_init(struct eap_peer *p, const char *identity, const uint8_t *pw, size_t pwlen);

/* For tests (RFC 2759 §9.2 vectors): the Peer-Challenge the next
 * Challenge is answered with, instead of a random one. */
void eap_peer_fix_challenge(struct eap_peer *p, const uint8_t chal[16]);

enum eap_peer_result {
	EAP_PEER_REPLY,     /* out/outlen hold the EAP response to send */
	EAP_PEER_SUCCESS,   /* EAP-Success after a verified MS-CHAPv2 success: msk set */
	EAP_PEER_FAILURE,   /* EAP-Failure, a Failure-Request, a bad authenticator...: why set;
	                       out may hold a final response to send (e.g. Failure-Response) */
	EAP_PEER_DROP,      /* malformed / unexpected: ignore the message */
};

/* Processes one EAP message from the server: in[0..inlen), its Length
 * field at most inlen (octets past Length are ignored, RFC 3748 §4.1).
 * *outlen is set to the length of the response written to out (cap bytes
 * available; 0 when there is none: always 0 for SUCCESS and DROP, and for
 * FAILURE except after a Failure-Request, answered with a Failure
 * Response). The response echoes the request's Identifier. After
 * EAP_PEER_SUCCESS p->msk holds the MSK (p->have_msk); after
 * EAP_PEER_FAILURE p->why says why. A DROP leaves p as it was (why may
 * say what was wrong with the message). Once SUCCESS or FAILURE was
 * returned every further message is dropped. Never reads past inlen. */
enum eap_peer_result eap_peer_process(struct eap_peer *p, const uint8_t *in, size_t inlen,
                                      uint8_t *out, size_t cap, size_t *outlen);

/* Wipes all of *p (OPENSSL_cleanse): the password, the MSK and every
 * value derived from the password. p needs eap_peer_init before it is
 * used again. NULL-safe. */
void eap_peer_wipe(struct eap_peer *p);

#endif
