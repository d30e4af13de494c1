/* RADIUS packets (RFC 2865, accounting RFC 2866/2869, EAP RFC 3579,
 * dynamic authorization RFC 5176): building and signing what cygnet
 * sends, and checking and reading what it receives. No I/O here.
 *
 * A packet is Code, Identifier, Length (2 octets), a 16-octet
 * Authenticator and attributes: Type, Length (>= 2, the header
 * included), Value. What the Authenticator holds depends on the code:
 *  - Access-Request: 16 random octets (the Request Authenticator); a
 *    Message-Authenticator attribute (HMAC-MD5 keyed with the shared
 *    secret over the packet with that attribute's value zero) protects
 *    it, as RFC 3579 §3.2 requires for EAP.
 *  - Accounting-Request, Disconnect-Request, CoA-Request: MD5(Code |
 *    Identifier | Length | 16 zero octets | attributes | secret); a
 *    Message-Authenticator, when present, is computed first, with the
 *    Authenticator field zero.
 *  - every response (Access-Accept/Reject/Challenge, Accounting-Response,
 *    Disconnect/CoA-ACK/NAK): MD5(Code | Identifier | Length | the
 *    request's Authenticator | attributes | secret); a
 *    Message-Authenticator in it is computed with the request's
 *    Authenticator in the field.
 *
 * MS-MPPE-Send-Key and MS-MPPE-Recv-Key (RFC 2548 §2.4.2, Microsoft's
 * vendor-specific attributes, vendor 311, types 16 and 17) carry the keys
 * an EAP method derived, hidden with the secret and the Access-Request's
 * Authenticator; rad_mppe_key recovers one. */
#ifndef CYGNET_RADIUS_H
#define CYGNET_RADIUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define RAD_HDR_LEN 20
#define RAD_MAX_LEN 4096            /* RFC 2865 §3 */
#define RAD_AUTH_LEN 16
#define RAD_ATTR_MAX 253            /* value octets of one attribute */
#define RAD_VENDOR_MICROSOFT 311

enum rad_code {
	RAD_ACCESS_REQUEST = 1,
	RAD_ACCESS_ACCEPT = 2,
	RAD_ACCESS_REJECT = 3,
	RAD_ACCT_REQUEST = 4,
	RAD_ACCT_RESPONSE = 5,
	RAD_ACCESS_CHALLENGE = 11,
	RAD_DISCONNECT_REQUEST = 40,
	RAD_DISCONNECT_ACK = 41,
	RAD_DISCONNECT_NAK = 42,
	RAD_COA_REQUEST = 43,
	RAD_COA_ACK = 44,
	RAD_COA_NAK = 45,
};

enum rad_attr {
	RAD_USER_NAME = 1,
	RAD_NAS_IP_ADDRESS = 4,
	RAD_NAS_PORT = 5,
	RAD_SERVICE_TYPE = 6,
	RAD_FILTER_ID = 11,
	RAD_FRAMED_PROTOCOL = 7,
	RAD_FRAMED_IP_ADDRESS = 8,
	RAD_FRAMED_IP_NETMASK = 9,
	RAD_REPLY_MESSAGE = 18,
	RAD_STATE = 24,
	RAD_CLASS = 25,
	RAD_VENDOR_SPECIFIC = 26,
	RAD_SESSION_TIMEOUT = 27,
	RAD_IDLE_TIMEOUT = 28,
	RAD_TERMINATION_ACTION = 29,
	RAD_CALLED_STATION_ID = 30,
	RAD_CALLING_STATION_ID = 31,
	RAD_NAS_IDENTIFIER = 32,
	RAD_PROXY_STATE = 33,
	RAD_ACCT_STATUS_TYPE = 40,
	RAD_ACCT_DELAY_TIME = 41,
	RAD_ACCT_INPUT_OCTETS = 42,
	RAD_ACCT_OUTPUT_OCTETS = 43,
	RAD_ACCT_SESSION_ID = 44,
	RAD_ACCT_AUTHENTIC = 45,
	RAD_ACCT_SESSION_TIME = 46,
	RAD_ACCT_INPUT_PACKETS = 47,
	RAD_ACCT_OUTPUT_PACKETS = 48,
	RAD_ACCT_TERMINATE_CAUSE = 49,
	RAD_ACCT_INPUT_GIGAWORDS = 52,
	RAD_ACCT_OUTPUT_GIGAWORDS = 53,
	RAD_EVENT_TIMESTAMP = 55,
	RAD_NAS_PORT_TYPE = 61,
	RAD_TUNNEL_TYPE = 64,
	RAD_EAP_MESSAGE = 79,
	RAD_MESSAGE_AUTHENTICATOR = 80,
	RAD_ACCT_INTERIM_INTERVAL = 85,
	RAD_NAS_PORT_ID = 87,
	RAD_FRAMED_POOL = 88,
	RAD_FRAMED_IPV6_POOL = 100,
	RAD_NAS_IPV6_ADDRESS = 95,
	RAD_ERROR_CAUSE = 101,
	RAD_FRAMED_IPV6_ADDRESS = 168,
	RAD_DNS_SERVER_IPV6_ADDRESS = 169,
};

enum { RAD_MS_MPPE_SEND_KEY = 16, RAD_MS_MPPE_RECV_KEY = 17 };

/* ---- building ---- */

struct rad_pkt {
	uint8_t buf[RAD_MAX_LEN];
	size_t len;
	size_t ma_off;              /* the Message-Authenticator's value, 0: none */
	bool overflow;              /* an attribute did not fit: do not send */
};

/* starts a packet: the header, the Authenticator zero */
void rad_new(struct rad_pkt *p, uint8_t code, uint8_t id);
/* appends one attribute (len <= RAD_ATTR_MAX); -1 (and p->overflow) when
 * it does not fit */
int rad_put(struct rad_pkt *p, uint8_t type, const void *value, size_t len);
int rad_put_u32(struct rad_pkt *p, uint8_t type, uint32_t v);
int rad_put_str(struct rad_pkt *p, uint8_t type, const char *s);
/* len bytes as consecutive attributes of type of at most RAD_ATTR_MAX
 * each (EAP-Message, RFC 3579 §3.1); at least one attribute */
int rad_put_split(struct rad_pkt *p, uint8_t type, const void *value, size_t len);
/* a Vendor-Specific attribute holding one vendor attribute (RFC 2865
 * §5.26's suggested format) */
int rad_put_vsa(struct rad_pkt *p, uint32_t vendor, uint8_t vtype, const void *value,
                size_t len);
/* a Message-Authenticator (its value filled in when the packet is signed) */
int rad_put_msg_auth(struct rad_pkt *p);

/* Signs a request: an Access-Request gets auth16 (16 random octets the
 * caller made) as its Authenticator; Accounting-, Disconnect- and
 * CoA-Requests get the MD5 above (auth16 unused, may be NULL). The
 * Message-Authenticator, if put, is computed as described above. 0, or
 * -1 (overflow, or a code that is no request). */
int rad_sign_request(struct rad_pkt *p, const void *secret, size_t slen,
                     const uint8_t *auth16);
/* Signs a response to the request whose Authenticator was req_auth. */
int rad_sign_response(struct rad_pkt *p, const uint8_t req_auth[RAD_AUTH_LEN],
                      const void *secret, size_t slen);

/* ---- reading ---- */

/* A received packet whose structure was checked by rad_parse: the header,
 * Length within what arrived (octets beyond Length are ignored, RFC 2865
 * §3), and every attribute's length at least 2 and inside Length. */
struct rad_view {
	const uint8_t *buf;
	size_t len;                 /* the Length field */
	uint8_t code, id;
	const uint8_t *auth;        /* the Authenticator (16 octets) */
};

/* 0 when buf (n octets) is a well-formed packet, view filled; -1 else */
int rad_parse(const uint8_t *buf, size_t n, struct rad_view *v);

/* The attributes one by one: start with *off = 0; true with type, value
 * and its length while there is one. */
bool rad_next(const struct rad_view *v, size_t *off, uint8_t *type, const uint8_t **value,
              size_t *len);
/* the first attribute of type, NULL when there is none */
const uint8_t *rad_find(const struct rad_view *v, uint8_t type, size_t *len);
/* how many attributes of type there are */
int rad_count(const struct rad_view *v, uint8_t type);
/* the first 4-octet attribute of type as a number; -1 when there is none
 * or it is not 4 octets long */
int rad_find_u32(const struct rad_view *v, uint8_t type, uint32_t *out);
/* every attribute of type, concatenated in order into out (EAP-Message):
 * the total length, or -1 when there is none or it exceeds cap */
long rad_concat(const struct rad_view *v, uint8_t type, uint8_t *out, size_t cap);
/* the first vendor attribute vtype of vendor in a Vendor-Specific
 * attribute (RFC 2865 §5.26 format); NULL when there is none */
const uint8_t *rad_find_vsa(const struct rad_view *v, uint32_t vendor, uint8_t vtype,
                            size_t *len);

/* A response to the request whose Authenticator was req_auth: true when
 * its Response Authenticator matches and, if it has a
 * Message-Authenticator (required when need_ma, and when it carries an
 * EAP-Message: RFC 3579 §3.2), that matches too. Constant-time compares. */
bool rad_verify_response(const struct rad_view *v, const uint8_t req_auth[RAD_AUTH_LEN],
                         const void *secret, size_t slen, bool need_ma);
/* An Accounting-, Disconnect- or CoA-Request received: true when its
 * Authenticator is the MD5 above and its Message-Authenticator, if any
 * (required when need_ma), matches. */
bool rad_verify_request(const struct rad_view *v, const void *secret, size_t slen,
                        bool need_ma);

/* Recovers the key in an MS-MPPE-Send-Key or -Recv-Key value (salt,
 * then the hidden string) of an answer to the request with Authenticator
 * req_auth: 0 with the key in key (*keylen octets, at most cap), -1 when
 * malformed (no salt bit, a string not a multiple of 16, a key length
 * beyond it). */
int rad_mppe_key(const uint8_t *value, size_t len, const uint8_t req_auth[RAD_AUTH_LEN],
                 const void *secret, size_t slen, uint8_t *key, size_t cap, size_t *keylen);
/* Hides key the same way (for tests and a future RADIUS server side):
 * salt (2 octets, the high bit is set here) and key into out; the value's
 * length, or -1 when out (cap) is too small. */
long rad_mppe_hide(const uint8_t *key, size_t klen, const uint8_t salt[2],
                   const uint8_t req_auth[RAD_AUTH_LEN], const void *secret, size_t slen,
                   uint8_t *out, size_t cap);

#endif
