/* What one step of a server-side EAP method (RFC 3748) returns: the
 * results shared by the method modules that know nothing of IKE
 * (src/eap_tls.h, src/eap_md5.h). The caller (IKE_AUTH, RFC 7296 §2.16)
 * puts what the method wrote into the next EAP payload, or drops the
 * response, or ends the exchange. */
#ifndef CYGNET_EAP_SRV_H
#define CYGNET_EAP_SRV_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

enum eap_srv_result {
	EAP_SRV_CONTINUE,   /* out holds the next EAP-Request to send */
	EAP_SRV_SUCCESS,    /* out holds EAP-Success: the peer is authenticated */
	EAP_SRV_FAILURE,    /* out holds EAP-Failure (or nothing when the caller's buffer
	                       was too small for even that); the method's why says why */
	EAP_SRV_DROP,       /* the response does not parse or does not fit the state
	                       (wrong Code, Identifier or Type): ignore it, nothing
	                       changed, nothing to send */
};

/* EAP Codes and the Types these modules use (RFC 3748 §4, §5) */
enum {
	EAP_CODE_REQUEST = 1,
	EAP_CODE_RESPONSE = 2,
	EAP_CODE_SUCCESS = 3,
	EAP_CODE_FAILURE = 4,
};
enum {
	EAP_T_IDENTITY = 1,
	EAP_T_NAK = 3,
	EAP_T_MD5 = 4,
	EAP_T_TLS = 13,
};

/* One EAP packet as framed by eap_frame: data/len is what follows the
 * Type (empty for a 4-byte packet, whose type is 0). */
struct eap_frame {
	uint8_t code;
	uint8_t id;
	uint8_t type;
	const uint8_t *data;
	size_t len;
};

/* Frames in[0..inlen) (RFC 3748 §4.1): the 4-byte header fits, Length is
 * at least 4 and at most inlen (octets past Length are padding and
 * ignored). false when it does not frame. Reads nothing past inlen. */
static inline bool eap_frame(const uint8_t *in, size_t inlen, struct eap_frame *f)
{
	if (!in || inlen < 4)
		return false;
	size_t len = (size_t)in[2] << 8 | in[3];
	if (len < 4 || len > inlen)
		return false;
	f->code = in[0];
	f->id = in[1];
	f->type = len > 4 ? in[4] : 0;
	f->data = len > 5 ? in + 5 : in + len;
	f->len = len > 5 ? len - 5 : 0;
	return true;
}

/* Writes a 4-byte EAP-Success or EAP-Failure (code) with Identifier id.
 * Returns 4, or 0 when cap < 4. */
static inline size_t eap_put_code(uint8_t *out, size_t cap, uint8_t code, uint8_t id)
{
	if (!out || cap < 4)
		return 0;
	out[0] = code;
	out[1] = id;
	out[2] = 0;
	out[3] = 4;
	return 4;
}

#endif
