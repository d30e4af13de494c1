/* EAP-MD5-Challenge, server side (src/eap_md5.h). */
#include "src/eap_md5.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>

#define MD5_LEN 16
#define MAX_SECRET 1024

enum md5_state {
	MD5_S_NEW,          /* the challenge not sent yet */
	MD5_S_CHALLENGED,   /* waiting for the Response */
	MD5_S_DONE,         /* SUCCESS or FAILURE returned */
};

struct eap_md5_srv {
	enum md5_state state;
	uint8_t id;                         /* the challenge's Identifier */
	uint8_t chal[EAP_MD5_CHAL_LEN];
	uint8_t *secret;
	size_t secret_len;
	char why[160];
};

__attribute__((format(printf, 2, 3)))
static void set_why(struct eap_md5_srv *s, const char *fmt, ...)
{
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(s->why, sizeof(s->why), fmt, ap);
	va_end(ap);
}

struct eap_md5_srv *eap_md5_srv_new(const uint8_t *secret, size_t len, bool nt_hash,
                                    uint8_t eap_id_first, char *err, size_t errlen)
{
	struct eap_md5_srv *s;

	if (nt_hash) {
		snprintf(err, errlen, "EAP-MD5 needs the plaintext password, but the user's secret "
		         "is an NTLM hash: use a plaintext EAP secret or another EAP method");
		return NULL;
	}
	if (!secret || len == 0 || len > MAX_SECRET) {
		snprintf(err, errlen, "EAP-MD5: the user's EAP secret is %s",
		         len == 0 || !secret ? "empty" : "longer than 1024 bytes");
		return NULL;
	}
	s = calloc(1, sizeof(*s));
	if (s)
		s->secret = malloc(len);
	if (!s || !s->secret) {
		free(s);
		snprintf(err, errlen, "out of memory");
		return NULL;
	}
	memcpy(s->secret, secret, len);
	s->secret_len = len;
	s->id = eap_id_first;
	if (RAND_bytes(s->chal, sizeof(s->chal)) != 1) {
		eap_md5_srv_free(s);
		snprintf(err, errlen, "EAP-MD5: no random bytes for the challenge");
		return NULL;
	}
	return s;
}

void eap_md5_srv_fix_challenge(struct eap_md5_srv *s, const uint8_t chal[EAP_MD5_CHAL_LEN])
{
	memcpy(s->chal, chal, EAP_MD5_CHAL_LEN);
}

size_t eap_md5_srv_start(struct eap_md5_srv *s, uint8_t *out, size_t cap)
{
	if (s->state != MD5_S_NEW || cap < EAP_MD5_START_LEN)
		return 0;
	out[0] = EAP_CODE_REQUEST;
	out[1] = s->id;
	out[2] = 0;
	out[3] = EAP_MD5_START_LEN;
	out[4] = EAP_T_MD5;
	out[5] = EAP_MD5_CHAL_LEN;                 /* Value-Size */
	memcpy(out + 6, s->chal, EAP_MD5_CHAL_LEN); /* Value; no Name */
	s->state = MD5_S_CHALLENGED;
	return EAP_MD5_START_LEN;
}

/* MD5(Identifier | secret | challenge) (RFC 1994 §4.1) into md; 0 or -1 */
static int md5_response(const struct eap_md5_srv *s, uint8_t md[MD5_LEN])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int ok = ctx && EVP_DigestInit_ex(ctx, EVP_md5(), NULL) == 1 &&
	         EVP_DigestUpdate(ctx, &s->id, 1) == 1 &&
	         EVP_DigestUpdate(ctx, s->secret, s->secret_len) == 1 &&
	         EVP_DigestUpdate(ctx, s->chal, sizeof(s->chal)) == 1 &&
	         EVP_DigestFinal_ex(ctx, md, &n) == 1 && n == MD5_LEN;
	EVP_MD_CTX_free(ctx);
	return ok ? 0 : -1;
}

/* the end of the conversation: EAP-Success or EAP-Failure for the
 * challenge's Identifier */
static enum eap_srv_result finish(struct eap_md5_srv *s, bool ok, uint8_t *out, size_t cap,
                                  size_t *outlen)
{
	s->state = MD5_S_DONE;
	OPENSSL_cleanse(s->secret, s->secret_len);
	*outlen = eap_put_code(out, cap, ok ? EAP_CODE_SUCCESS : EAP_CODE_FAILURE, s->id);
	if (ok && *outlen == 0) {
		set_why(s, "no room for EAP-Success");
		return EAP_SRV_FAILURE;
	}
	return ok ? EAP_SRV_SUCCESS : EAP_SRV_FAILURE;
}

/* a Nak's proposals, for the log: "proposes 26 13" or "proposes nothing" */
static void why_nak(struct eap_md5_srv *s, const uint8_t *types, size_t n)
{
	int at = snprintf(s->why, sizeof(s->why), "the peer refused EAP-MD5 (Nak), proposes");
	if (n == 0 || (n == 1 && types[0] == 0))
		snprintf(s->why + at, sizeof(s->why) - (size_t)at, " nothing");
	for (size_t i = 0; i < n && at > 0 && (size_t)at < sizeof(s->why) - 5; i++)
		at += snprintf(s->why + at, sizeof(s->why) - (size_t)at, " %u", types[i]);
}

enum eap_srv_result eap_md5_srv_process(struct eap_md5_srv *s, const uint8_t *in, size_t inlen,
                                        uint8_t *out, size_t cap, size_t *outlen)
{
	struct eap_frame f;
	uint8_t md[MD5_LEN];
	enum eap_srv_result res;

	*outlen = 0;
	if (s->state != MD5_S_CHALLENGED) {
		/* after the end why keeps the reason of the failure */
		if (s->state == MD5_S_NEW)
			set_why(s, "EAP-MD5: no challenge sent yet");
		return EAP_SRV_DROP;
	}
	if (!eap_frame(in, inlen, &f) || f.code != EAP_CODE_RESPONSE || f.id != s->id ||
	    f.type == 0) {
		set_why(s, "EAP-MD5: not a Response to the challenge (Identifier %u)", s->id);
		return EAP_SRV_DROP;
	}
	if (f.type == EAP_T_NAK) {
		why_nak(s, f.data, f.len);
		return finish(s, false, out, cap, outlen);
	}
	/* Value-Size | Value | Name */
	if (f.type != EAP_T_MD5 || f.len < 1 || f.data[0] != MD5_LEN || f.len < 1 + MD5_LEN) {
		set_why(s, "EAP-MD5: a Response of Type %u, or with a Value-Size other than 16",
		        f.type);
		return EAP_SRV_DROP;
	}
	if (md5_response(s, md) != 0) {
		set_why(s, "EAP-MD5: MD5 is not available (FIPS mode?)");
		res = finish(s, false, out, cap, outlen);
	} else if (CRYPTO_memcmp(md, f.data + 1, MD5_LEN) != 0) {
		set_why(s, "wrong EAP-MD5 response (wrong password?)");
		res = finish(s, false, out, cap, outlen);
	} else {
		s->why[0] = '\0';
		res = finish(s, true, out, cap, outlen);
	}
	OPENSSL_cleanse(md, sizeof(md));
	return res;
}

const char *eap_md5_srv_why(const struct eap_md5_srv *s)
{
	return s->why;
}

void eap_md5_srv_free(struct eap_md5_srv *s)
{
	if (!s)
		return;
	if (s->secret) {
		OPENSSL_cleanse(s->secret, s->secret_len);
		free(s->secret);
	}
	OPENSSL_cleanse(s, sizeof(*s));
	free(s);
}
