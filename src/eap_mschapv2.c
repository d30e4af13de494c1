/* EAP server: Identity, then MS-CHAPv2 challenge / response / success. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/mschap.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/eap.h"
#include "src/ike_sa.h"
#include "src/log.h"

enum { EAP_REQUEST = 1, EAP_RESPONSE = 2, EAP_SUCCESS_CODE = 3, EAP_FAILURE_CODE = 4 };
enum { EAP_TYPE_IDENTITY = 1, EAP_TYPE_NAK = 3, EAP_TYPE_MSCHAPV2 = 26 };
enum { MS_CHALLENGE = 1, MS_RESPONSE = 2, MS_SUCCESS = 3, MS_FAILURE = 4 };

#define SERVER_NAME "cygnet"

static size_t put_hdr(uint8_t *out, uint8_t code, uint8_t id, size_t len)
{
	out[0] = code;
	out[1] = id;
	out[2] = (uint8_t)(len >> 8);
	out[3] = (uint8_t)len;
	return 4;
}

static size_t challenge(struct ike_sa *sa, uint8_t *out, size_t cap)
{
	size_t namelen = strlen(SERVER_NAME);
	size_t len = 4 + 1 + 4 + 1 + 16 + namelen;
	if (cap < len || RAND_bytes(sa->auth_chal, 16) != 1)
		return 0;
	sa->eap_id++;
	put_hdr(out, EAP_REQUEST, sa->eap_id, len);
	out[4] = EAP_TYPE_MSCHAPV2;
	out[5] = MS_CHALLENGE;
	out[6] = sa->eap_id;                        /* MS-CHAPv2-ID */
	out[7] = (uint8_t)((len - 5) >> 8);         /* MS-Length */
	out[8] = (uint8_t)(len - 5);
	out[9] = 16;                                /* Value-Size */
	memcpy(out + 10, sa->auth_chal, 16);
	memcpy(out + 26, SERVER_NAME, namelen);
	sa->eap = EAP_S_CHALLENGE;
	return len;
}

size_t eap_start(struct ike_sa *sa, int ask_identity, uint8_t *out, size_t cap)
{
	if (!ask_identity)
		return challenge(sa, out, cap);
	if (cap < 5)
		return 0;
	sa->eap_id++;
	put_hdr(out, EAP_REQUEST, sa->eap_id, 5);
	out[4] = EAP_TYPE_IDENTITY;
	sa->eap = EAP_S_IDENTITY;
	return 5;
}

static enum eap_result fail(struct ike_sa *sa, uint8_t *out, size_t *outlen)
{
	sa->eap = EAP_S_FAILED;
	*outlen = put_hdr(out, EAP_FAILURE_CODE, sa->eap_id, 4);
	return EAP_FAILURE;
}

/* a user name without a "DOMAIN\" prefix */
static const char *strip_domain(const char *name)
{
	const char *bs = strrchr(name, '\\');
	return bs ? bs + 1 : name;
}

static enum eap_result check_response(struct daemon *d, struct ike_sa *sa,
                                      const uint8_t *ms, size_t mslen,
                                      uint8_t *out, size_t cap, size_t *outlen)
{
	/* OpCode | MS-ID | MS-Length(2) | Value-Size | Peer-Challenge(16) |
	 * Reserved(8) | NT-Response(24) | Flags | Name */
	if (mslen < 4 + 1 + 49 || ms[0] != MS_RESPONSE || ms[4] != 49) {
		log_info(LOG_IKE, "%s: malformed EAP-MSCHAPv2 response", ike_sa_tag(sa));
		return fail(sa, out, outlen);
	}
	const uint8_t *peer_chal = ms + 5, *nt_resp = ms + 5 + 24;
	char name[256];
	size_t namelen = mslen - 54;
	if (namelen >= sizeof(name))
		namelen = sizeof(name) - 1;
	memcpy(name, ms + 54, namelen);
	name[namelen] = '\0';
	const char *uname = strip_domain(name);

	/* the secret: by EAP identity, then by the name in the response */
	size_t pwlen = 0;
	const char *pw = config_eap_secret(d->cfg, sa->user, &pwlen);
	if (!pw)
		pw = config_eap_secret(d->cfg, strip_domain(sa->user), &pwlen);
	if (!pw)
		pw = config_eap_secret(d->cfg, uname, &pwlen);
	uint8_t nt_hash[16], expect[24];
	bool ok = false;
	if (pw && mschap_nt_hash(pw, pwlen, nt_hash) == 0 &&
	    mschap_nt_response(sa->auth_chal, peer_chal, uname, strlen(uname), nt_hash, expect) == 0)
		ok = CRYPTO_memcmp(expect, nt_resp, 24) == 0;
	if (!ok) {
		sa->auth_fail = pw ? "wrong password" : "unknown user";
		log_info(LOG_IKE, "%s: EAP-MSCHAPv2 authentication of '%s' failed: %s", ike_sa_tag(sa),
		         sa->user, sa->auth_fail);
		OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
		OPENSSL_cleanse(expect, sizeof(expect));
		return fail(sa, out, outlen);
	}
	OPENSSL_cleanse(expect, sizeof(expect));
	char auth_resp[43];
	if (mschap_auth_response(nt_hash, nt_resp, peer_chal, sa->auth_chal, uname, strlen(uname),
	                         auth_resp) != 0 ||
	    mschap_msk(nt_hash, nt_resp, sa->msk) != 0) {
		OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
		OPENSSL_cleanse(auth_resp, sizeof(auth_resp));
		return fail(sa, out, outlen);
	}
	OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
	sa->have_msk = true;
	/* Success request: "S=<auth response> M=<message>" */
	char msg[128];
	int ml = snprintf(msg, sizeof(msg), "%s M=Welcome to cygnet", auth_resp);
	OPENSSL_cleanse(auth_resp, sizeof(auth_resp));
	size_t len = 4 + 1 + 4 + (size_t)ml;
	if (cap < len) {
		OPENSSL_cleanse(msg, sizeof(msg));
		return fail(sa, out, outlen);
	}
	uint8_t ms_id = ms[1];
	sa->eap_id++;
	put_hdr(out, EAP_REQUEST, sa->eap_id, len);
	out[4] = EAP_TYPE_MSCHAPV2;
	out[5] = MS_SUCCESS;
	out[6] = ms_id;
	out[7] = (uint8_t)((len - 5) >> 8);
	out[8] = (uint8_t)(len - 5);
	memcpy(out + 9, msg, (size_t)ml);
	OPENSSL_cleanse(msg, sizeof(msg));
	*outlen = len;
	sa->eap = EAP_S_SUCCESS_REQ;
	return EAP_CONTINUE;
}

enum eap_result eap_process(struct daemon *d, struct ike_sa *sa, const uint8_t *in,
                            size_t inlen, uint8_t *out, size_t cap, size_t *outlen)
{
	*outlen = 0;
	if (inlen < 5 || in[0] != EAP_RESPONSE || in[1] != sa->eap_id ||
	    (size_t)(in[2] << 8 | in[3]) != inlen) {
		log_info(LOG_IKE, "%s: unexpected EAP message (code %u, id %u)", ike_sa_tag(sa),
		         inlen ? in[0] : 0, inlen > 1 ? in[1] : 0);
		return fail(sa, out, outlen);
	}
	uint8_t type = in[4];
	const uint8_t *data = in + 5;
	size_t dlen = inlen - 5;
	if (type == EAP_TYPE_NAK) {
		log_err(LOG_IKE, "%s: the client refused EAP-MSCHAPv2 (EAP-Nak)", ike_sa_tag(sa));
		return fail(sa, out, outlen);
	}
	switch (sa->eap) {
	case EAP_S_IDENTITY: {
		if (type != EAP_TYPE_IDENTITY || dlen == 0 || dlen >= sizeof(sa->user))
			return fail(sa, out, outlen);
		for (size_t i = 0; i < dlen; i++)
			if (data[i] < 0x20 || data[i] == 0x7f)
				return fail(sa, out, outlen);
		memcpy(sa->user, data, dlen);
		sa->user[dlen] = '\0';
		log_info(LOG_IKE, "%s: EAP identity '%s'", ike_sa_tag(sa), sa->user);
		*outlen = challenge(sa, out, cap);
		return *outlen ? EAP_CONTINUE : fail(sa, out, outlen);
	}
	case EAP_S_CHALLENGE:
		if (type != EAP_TYPE_MSCHAPV2)
			return fail(sa, out, outlen);
		return check_response(d, sa, data, dlen, out, cap, outlen);
	case EAP_S_SUCCESS_REQ:
		if (type != EAP_TYPE_MSCHAPV2 || dlen < 1 || data[0] != MS_SUCCESS)
			return fail(sa, out, outlen);
		*outlen = put_hdr(out, EAP_SUCCESS_CODE, sa->eap_id, 4);
		sa->eap = EAP_S_DONE;
		log_info(LOG_IKE, "%s: EAP-MSCHAPv2 authentication of '%s' successful",
		         ike_sa_tag(sa), sa->user);
		return EAP_SUCCESS;
	default:
		return fail(sa, out, outlen);
	}
}

bool eap_user_known(const struct config *cfg, const char *user)
{
	size_t len;
	return config_eap_secret(cfg, user, &len) || config_eap_secret(cfg, strip_domain(user), &len);
}
