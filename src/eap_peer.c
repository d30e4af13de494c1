/* EAP peer: Identity, then MS-CHAPv2 challenge / success (src/eap_peer.h). */
#include "src/eap_peer.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/mschap.h"
#include "src/escape.h"

enum { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS_CODE = 3, EAP_FAILURE_CODE = 4 };
enum { EAP_TYPE_IDENTITY = 1, EAP_TYPE_NOTIFICATION = 2, EAP_TYPE_NAK = 3,
       EAP_TYPE_MSCHAPV2 = 26 };
enum { MS_CHALLENGE = 1, MS_RESPONSE = 2, MS_SUCCESS = 3, MS_FAILURE = 4 };

#define EAP_HDR 4          /* Code | Identifier | Length(2) */
#define MS_HDR 4           /* OpCode | MS-CHAPv2-ID | MS-Length(2) */
#define CHAL_LEN 16        /* Value-Size of a Challenge */
#define RESP_VALUE_LEN 49  /* Peer-Challenge(16) | Reserved(8) | NT-Response(24) | Flags */
#define AUTH_HEX 40        /* the hex digits after "S=" (RFC 2759 §8.7) */

/* ---- a bounds-checked reader ---- */

struct rd {
	const uint8_t *p;
	size_t left;
};

static bool rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return false;
	*v = r->p[0];
	r->p++;
	r->left--;
	return true;
}

static bool rd_u16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return false;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	r->p += 2;
	r->left -= 2;
	return true;
}

/* n bytes, or NULL when fewer are left */
static const uint8_t *rd_bytes(struct rd *r, size_t n)
{
	if (r->left < n)
		return NULL;
	const uint8_t *at = r->p;
	r->p += n;
	r->left -= n;
	return at;
}

/* ---- results ---- */

static void put_u16(uint8_t *at, size_t v)
{
	at[0] = (uint8_t)(v >> 8);
	at[1] = (uint8_t)v;
}

/* a Response header of len bytes with its Type; returns EAP_HDR + 1 */
static size_t put_resp(uint8_t *out, uint8_t id, size_t len, uint8_t type)
{
	out[0] = EAP_RESPONSE;
	out[1] = id;
	put_u16(out + 2, len);
	out[4] = type;
	return EAP_HDR + 1;
}

static void set_why(struct eap_peer *p, const char *fmt, va_list ap)
{
	vsnprintf(p->why, sizeof(p->why), fmt, ap);
}

__attribute__((format(printf, 2, 3)))
static enum eap_peer_result drop(struct eap_peer *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_why(p, fmt, ap);
	va_end(ap);
	return EAP_PEER_DROP;
}

/* the end: what came from the password is wiped, the MSK with it */
__attribute__((format(printf, 2, 3)))
static enum eap_peer_result fail(struct eap_peer *p, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	set_why(p, fmt, ap);
	va_end(ap);
	p->state = EAP_PEER_S_FAILED;
	p->have_msk = false;
	OPENSSL_cleanse(p->msk, sizeof(p->msk));
	OPENSSL_cleanse(p->nt_resp, sizeof(p->nt_resp));
	OPENSSL_cleanse(p->expect_auth, sizeof(p->expect_auth));
	return EAP_PEER_FAILURE;
}

/* a 6-byte Response of Type with one byte of data (a Nak's proposal,
 * an MS-CHAPv2 Success or Failure Response's OpCode) */
static bool put_short(uint8_t *out, size_t cap, size_t *outlen, uint8_t id, uint8_t type,
                      uint8_t byte)
{
	if (cap < EAP_HDR + 2)
		return false;
	put_resp(out, id, EAP_HDR + 2, type);
	out[5] = byte;
	*outlen = EAP_HDR + 2;
	return true;
}

/* ---- MS-CHAPv2 ---- */

static int unhex(uint8_t c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	return -1;
}

/* The Response to a Challenge: NT-Response, the authenticator response
 * the server must send back and the MSK, all from the password. */
static enum eap_peer_result answer_challenge(struct eap_peer *p, uint8_t id, uint8_t ms_id,
                                             const uint8_t *chal, uint8_t *out, size_t cap,
                                             size_t *outlen)
{
	size_t len = EAP_HDR + 1 + MS_HDR + 1 + RESP_VALUE_LEN + p->idlen;
	uint8_t nt_hash[16];
	char auth[43];
	uint8_t *w;
	enum eap_peer_result res;

	if (p->bad_input)
		return fail(p, "the identity or the password is too long");
	if (cap < len)
		return drop(p, "no room for the MS-CHAPv2 Response (%zu bytes)", len);
	memcpy(p->auth_chal, chal, CHAL_LEN);
	if (!p->fixed_chal && RAND_bytes(p->peer_chal, CHAL_LEN) != 1)
		return fail(p, "no random bytes for the MS-CHAPv2 Peer-Challenge");
	p->fixed_chal = false;
	/* the whole identity goes in: mschap_challenge_hash drops a DOMAIN\ */
	if (mschap_nt_hash((const char *)p->password, p->pwlen, nt_hash) != 0) {
		res = fail(p, "the password is not valid UTF-8 or too long for MS-CHAPv2");
		goto out;
	}
	if (mschap_nt_response(p->auth_chal, p->peer_chal, p->identity, p->idlen, nt_hash,
	                       p->nt_resp) != 0 ||
	    mschap_auth_response(nt_hash, p->nt_resp, p->peer_chal, p->auth_chal, p->identity,
	                         p->idlen, auth) != 0 ||
	    mschap_msk(nt_hash, p->nt_resp, p->msk) != 0) {
		res = fail(p, "MS-CHAPv2 computation failed");
		goto out;
	}
	for (size_t i = 0; i < sizeof(p->expect_auth); i++)
		p->expect_auth[i] = (uint8_t)(unhex((uint8_t)auth[2 + 2 * i]) << 4 |
		                              unhex((uint8_t)auth[3 + 2 * i]));

	/* OpCode | MS-CHAPv2-ID | MS-Length | Value-Size | Peer-Challenge |
	 * Reserved | NT-Response | Flags | Name (RFC 2759 §4, in the draft's framing) */
	w = out + put_resp(out, id, len, EAP_TYPE_MSCHAPV2);
	w[0] = MS_RESPONSE;
	w[1] = ms_id;
	put_u16(w + 2, len - EAP_HDR - 1);
	w[4] = RESP_VALUE_LEN;
	memcpy(w + 5, p->peer_chal, CHAL_LEN);
	memset(w + 5 + CHAL_LEN, 0, 8);
	memcpy(w + 5 + CHAL_LEN + 8, p->nt_resp, 24);
	w[5 + RESP_VALUE_LEN - 1] = 0;                /* Flags */
	memcpy(w + 5 + RESP_VALUE_LEN, p->identity, p->idlen);
	*outlen = len;
	p->state = EAP_PEER_S_RESPONDED;
	res = EAP_PEER_REPLY;
out:
	OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
	OPENSSL_cleanse(auth, sizeof(auth));
	return res;
}

/* The text after "key=" in msg up to the next space (M= runs to the
 * end: its text may hold spaces), or NULL; *n its length. */
static const uint8_t *field(const uint8_t *msg, size_t len, char key, size_t *n)
{
	for (size_t i = 0; i + 1 < len; i++) {
		if ((i > 0 && msg[i - 1] != ' ') || msg[i] != (uint8_t)key || msg[i + 1] != '=')
			continue;
		const uint8_t *v = msg + i + 2;
		size_t end = i + 2;
		if (key != 'M')
			while (end < len && msg[end] != ' ')
				end++;
		else
			end = len;
		*n = end - (i + 2);
		return v;
	}
	return NULL;
}

/* Success-Request: "S=<40 hex> M=<message>" (RFC 2759 §5: a missing or
 * wrong authenticator response ends the session) */
static enum eap_peer_result check_success(struct eap_peer *p, uint8_t id, struct rd *r,
                                          uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *msg = r->p;
	size_t len = r->left, n;
	uint8_t got[sizeof(p->expect_auth)];

	if (len < 2 + AUTH_HEX || msg[0] != 'S' || msg[1] != '=' ||
	    (len > 2 + AUTH_HEX && msg[2 + AUTH_HEX] != ' '))
		return fail(p, "MS-CHAPv2 Success-Request without an S=<40 hex digits>: the server "
		            "did not prove it knows the password");
	for (size_t i = 0; i < sizeof(got); i++) {
		int hi = unhex(msg[2 + 2 * i]), lo = unhex(msg[3 + 2 * i]);
		if (hi < 0 || lo < 0)
			return fail(p, "MS-CHAPv2 Success-Request with an S= that is not hex: the "
			            "server did not prove it knows the password");
		got[i] = (uint8_t)(hi << 4 | lo);
	}
	if (CRYPTO_memcmp(got, p->expect_auth, sizeof(got)) != 0)
		return fail(p, "the MS-CHAPv2 authenticator response is wrong: the server does "
		            "not know the password: possible impostor");
	if (!put_short(out, cap, outlen, id, EAP_TYPE_MSCHAPV2, MS_SUCCESS))
		return drop(p, "no room for the MS-CHAPv2 Success Response");
	const uint8_t *m = field(msg + 2 + AUTH_HEX, len - 2 - AUTH_HEX, 'M', &n);
	esc_text(m ? m : (const uint8_t *)"", m ? n : 0, p->server_msg, sizeof(p->server_msg), 0);
	p->state = EAP_PEER_S_VERIFIED;
	return EAP_PEER_REPLY;
}

/* RFC 2759 §6 error codes */
static const char *error_name(long e)
{
	switch (e) {
	case 646: return "restricted logon hours";
	case 647: return "account disabled";
	case 648: return "password expired";
	case 649: return "no dial-in permission";
	case 691: return "authentication failure";
	case 709: return "error changing password";
	default: return "unknown error";
	}
}

/* Failure-Request: "E=eeeeeeeeee R=r C=<32 hex> V=vvvvvvvvvv M=<msg>"
 * (RFC 2759 §6). Not retried: answered with a Failure
 * Response, the end. */
static enum eap_peer_result failure_request(struct eap_peer *p, uint8_t id, struct rd *r,
                                            uint8_t *out, size_t cap, size_t *outlen)
{
	const uint8_t *msg = r->p, *v;
	size_t len = r->left, n;
	long code = -1;
	char text[100];

	if ((v = field(msg, len, 'E', &n)) != NULL && n > 0 && n <= 10) {
		code = 0;
		for (size_t i = 0; i < n && code >= 0; i++)
			code = v[i] >= '0' && v[i] <= '9' ? code * 10 + (v[i] - '0') : -1;
	}
	v = field(msg, len, 'M', &n);
	esc_text(v ? v : (const uint8_t *)"", v ? n : 0, text, sizeof(text), 0);
	if (code >= 0)
		fail(p, "MS-CHAPv2 Failure-Request E=%ld (%s): '%s'", code, error_name(code), text);
	else
		fail(p, "MS-CHAPv2 Failure-Request without an error code: '%s'", text);
	if (!put_short(out, cap, outlen, id, EAP_TYPE_MSCHAPV2, MS_FAILURE))
		*outlen = 0;
	return EAP_PEER_FAILURE;
}

static enum eap_peer_result mschapv2(struct eap_peer *p, uint8_t id, struct rd *r,
                                     uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t op, ms_id, vsize;
	uint16_t ms_len;
	const uint8_t *chal;

	if (!rd_u8(r, &op) || !rd_u8(r, &ms_id) || !rd_u16(r, &ms_len))
		return drop(p, "MS-CHAPv2 request shorter than its header");
	/* MS-Length: the MS-CHAPv2 packet, from the OpCode on */
	if ((size_t)ms_len != r->left + MS_HDR)
		return drop(p, "MS-CHAPv2 MS-Length %u does not match the EAP Length", ms_len);
	switch (op) {
	case MS_CHALLENGE:
		if (p->state != EAP_PEER_S_START)
			return drop(p, "MS-CHAPv2 Challenge after the Response");
		/* Value-Size | Challenge | Name (the server's, not used) */
		if (!rd_u8(r, &vsize) || vsize != CHAL_LEN || !(chal = rd_bytes(r, CHAL_LEN)))
			return drop(p, "MS-CHAPv2 Challenge without a 16-byte challenge");
		return answer_challenge(p, id, ms_id, chal, out, cap, outlen);
	case MS_SUCCESS:
		if (p->state != EAP_PEER_S_RESPONDED)
			return drop(p, "MS-CHAPv2 Success-Request before a Response");
		return check_success(p, id, r, out, cap, outlen);
	case MS_FAILURE:
		if (p->state != EAP_PEER_S_RESPONDED)
			return drop(p, "MS-CHAPv2 Failure-Request before a Response");
		return failure_request(p, id, r, out, cap, outlen);
	default:
		return drop(p, "MS-CHAPv2 request with OpCode %u", op);
	}
}

/* ---- EAP ---- */

static enum eap_peer_result request(struct eap_peer *p, uint8_t id, struct rd *r,
                                    uint8_t *out, size_t cap, size_t *outlen)
{
	uint8_t type;

	if (!rd_u8(r, &type))
		return drop(p, "EAP Request without a Type");
	switch (type) {
	case EAP_TYPE_IDENTITY: {
		/* its data, a displayable message, is not used (RFC 3748 §5.1) */
		size_t len = EAP_HDR + 1 + p->idlen;
		if (p->bad_input)
			return fail(p, "the identity or the password is too long");
		if (p->state != EAP_PEER_S_START)
			return drop(p, "EAP Identity request after MS-CHAPv2 began");
		if (cap < len)
			return drop(p, "no room for the EAP Identity response");
		memcpy(out + put_resp(out, id, len, EAP_TYPE_IDENTITY), p->identity, p->idlen);
		*outlen = len;
		return EAP_PEER_REPLY;
	}
	case EAP_TYPE_NOTIFICATION:
		/* displayable text, answered with an empty Response (§5.2) */
		if (cap < EAP_HDR + 1)
			return drop(p, "no room for the EAP Notification response");
		esc_text(r->p, r->left, p->server_msg, sizeof(p->server_msg), 0);
		*outlen = put_resp(out, id, EAP_HDR + 1, EAP_TYPE_NOTIFICATION);
		return EAP_PEER_REPLY;
	case EAP_TYPE_MSCHAPV2:
		return mschapv2(p, id, r, out, cap, outlen);
	case 0:
	case EAP_TYPE_NAK:
		return drop(p, "EAP Request of Type %u", type);
	default:
		/* a method we do not have: propose MS-CHAPv2 (Nak, §5.3.1);
		 * not once MS-CHAPv2 began (§2.1: the server may not switch) */
		if (p->state != EAP_PEER_S_START)
			return drop(p, "EAP Request of Type %u during MS-CHAPv2", type);
		if (!put_short(out, cap, outlen, id, EAP_TYPE_NAK, EAP_TYPE_MSCHAPV2))
			return drop(p, "no room for an EAP Nak");
		return EAP_PEER_REPLY;
	}
}

enum eap_peer_result eap_peer_process(struct eap_peer *p, const uint8_t *in, size_t inlen,
                                      uint8_t *out, size_t cap, size_t *outlen)
{
	struct rd r = { in, inlen };
	uint8_t code, id;
	uint16_t len;

	*outlen = 0;
	if (p->state == EAP_PEER_S_SUCCEEDED || p->state == EAP_PEER_S_FAILED)
		return EAP_PEER_DROP;                 /* why keeps the reason of the end */
	if (!in || !rd_u8(&r, &code) || !rd_u8(&r, &id) || !rd_u16(&r, &len) ||
	    len < EAP_HDR || len > inlen)
		return drop(p, "EAP message shorter than its header or its Length");
	r.left = len - EAP_HDR;                   /* octets past Length: padding */
	switch (code) {
	case EAP_REQUEST:
		return request(p, id, &r, out, cap, outlen);
	case EAP_SUCCESS_CODE:
		if (p->state != EAP_PEER_S_VERIFIED)
			return fail(p, "EAP-Success before the server proved it knows the password");
		p->state = EAP_PEER_S_SUCCEEDED;
		p->have_msk = true;
		return EAP_PEER_SUCCESS;
	case EAP_FAILURE_CODE:
		switch (p->state) {
		case EAP_PEER_S_START:
			return fail(p, "EAP-Failure: the server refused before MS-CHAPv2");
		case EAP_PEER_S_RESPONDED:
			return fail(p, "EAP-Failure: the server refused the user name or password");
		default:
			return fail(p, "EAP-Failure after the MS-CHAPv2 success");
		}
	default:
		return drop(p, "EAP message with Code %u", code);
	}
}

void eap_peer_init(struct eap_peer *p, const char *identity, const uint8_t *pw, size_t pwlen)
{
	size_t idlen = identity ? strlen(identity) : 0;

	memset(p, 0, sizeof(*p));
	p->state = EAP_PEER_S_START;
	if (idlen >= sizeof(p->identity) || pwlen > sizeof(p->password)) {
		p->bad_input = true;
		return;
	}
	memcpy(p->identity, identity ? identity : "", idlen);
	p->idlen = idlen;
	if (pwlen)
		memcpy(p->password, pw, pwlen);
	p->pwlen = pwlen;
}

void eap_peer_fix_challenge(struct eap_peer *p, const uint8_t chal[16])
{
	memcpy(p->peer_chal, chal, CHAL_LEN);
	p->fixed_chal = true;
}

void eap_peer_wipe(struct eap_peer *p)
{
	if (p)
		OPENSSL_cleanse(p, sizeof(*p));
}
