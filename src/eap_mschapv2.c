/* EAP server: Identity, then MS-CHAPv2 challenge / response / success.
 * An account's secret in ipsec.secrets is its password (EAP) or the NT
 * hash of it (NTLM): MS-CHAPv2 needs only the hash (RFC 2759
 * GenerateNTResponse, GenerateAuthenticatorResponse and the MPPE keys all
 * start from NtPasswordHash). */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/mschap.h"
#include "src/auth_limit.h"
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

/* the account of ipsec.secrets a name stands for: the name as it is,
 * else without a "DOMAIN\" prefix (Windows sends DOMAIN\user). The
 * account name (owned by cfg) or NULL; its credentials in *cred. */
static const char *resolve(const struct config *cfg, const char *name, struct eap_cred *cred)
{
	if (config_eap_cred(cfg, name, cred))
		return cred->account;
	if (strcmp(strip_domain(name), name) != 0 && config_eap_cred(cfg, strip_domain(name), cred))
		return cred->account;
	return NULL;
}

/* what a name that is no account, or a refused attempt, is checked
 * against: the same work as a real secret, a result never used */
static const char dummy_secret[] = "cygnet-no-such-account";

/* the NT-Response for cred (NULL: the dummy secret) over the challenges:
 * 0 when it equals nt_resp. nt_hash is left for the caller (wiped by it).
 * An MD4 is computed for every kind of account (of the dummy secret for
 * an NTLM entry, whose hash is then used as it is), so a password, a hash
 * and no account cost the same work for a password of up to 27 characters
 * (one MD4 block). */
static int verify(const struct ike_sa *sa, const struct eap_cred *cred, const uint8_t *peer_chal,
                  const char *uname, const uint8_t *nt_resp, uint8_t nt_hash[16])
{
	const char *pw = cred && cred->password ? cred->password : dummy_secret;
	size_t pwlen = cred && cred->password ? cred->password_len : strlen(dummy_secret);
	uint8_t expect[24];
	int rc = -1;
	if (mschap_nt_hash(pw, pwlen, nt_hash) == 0) {
		if (cred && cred->nt_hash)
			memcpy(nt_hash, cred->nt_hash, 16);
		if (mschap_nt_response(sa->auth_chal, peer_chal, uname, strlen(uname), nt_hash,
		                       expect) == 0)
			rc = CRYPTO_memcmp(expect, nt_resp, 24) == 0 ? 0 : -1;
	}
	OPENSSL_cleanse(expect, sizeof(expect));
	return rc;
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

	/* the identity the session claims (EAP-Identity, else the IKE
	 * identity) and the MS-CHAPv2 Name must be one account, and only
	 * that account's secret is tried. An attempt by a backed-off account
	 * or address, a name that is no account and a mismatch are checked
	 * against a dummy secret: the same work and the same answer as a
	 * wrong password, the reason for the log only. */
	const struct config *cfg = d->cfg;
	const struct ipsec_conf *conf = cfg->conf;
	struct eap_cred cred, cred_name;
	const char *acct = resolve(cfg, sa->user, &cred);
	const char *acct_name = resolve(cfg, name, &cred_name);
	uint64_t now = auth_limit_now();
	bool blocked = auth_limit_blocked(d->alim, conf, acct, sa->user,
	                                  (const struct sockaddr *)&sa->peer, now);
	bool same = acct && acct_name && strcmp(acct, acct_name) == 0;
	bool real = same && !blocked;
	uint8_t nt_hash[16];
	bool ok = verify(sa, real ? &cred : NULL, peer_chal, uname, nt_resp, nt_hash) == 0 && real;
	if (!ok) {
		OPENSSL_cleanse(nt_hash, sizeof(nt_hash));
		if (blocked)
			sa->auth_fail = "backed off";
		else if (!acct && !acct_name)
			sa->auth_fail = "unknown user";
		else if (!same)
			sa->auth_fail = "identity and MS-CHAPv2 name differ";
		else
			sa->auth_fail = "wrong password";
		if (!blocked && !same && (acct || acct_name)) {
			/* the log writer escapes what the peer chose (log.c) */
			log_info(LOG_IKE, "%s: EAP-MSCHAPv2 authentication failed: identity '%s' (%s) vs "
			         "MS-CHAPv2 name '%s' (%s): not the same account", ike_sa_tag(sa), sa->user,
			         acct ? acct : "no account", name, acct_name ? acct_name : "no account");
		} else
			log_info(LOG_IKE, "%s: EAP-MSCHAPv2 authentication of '%s' failed: %s",
			         ike_sa_tag(sa), sa->user, sa->auth_fail);
		if (blocked)
			auth_limit_refused(d->alim, conf, acct, sa->user,
			                   (const struct sockaddr *)&sa->peer, now);
		else
			auth_limit_failure(d->alim, conf, acct, sa->user,
			                   (const struct sockaddr *)&sa->peer, now);
		return fail(sa, out, outlen);
	}
	auth_limit_success(d->alim, acct, (const struct sockaddr *)&sa->peer, now);
	/* the session runs under the account, as ipsec.secrets writes it */
	if (strcmp(sa->user, acct) != 0) {
		log_info(LOG_IKE, "%s: EAP identity '%s' is account '%s'", ike_sa_tag(sa), sa->user,
		         acct);
		snprintf(sa->user, sizeof(sa->user), "%s", acct);
	}
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
	struct eap_cred cred;
	return resolve(cfg, user, &cred) != NULL;
}
