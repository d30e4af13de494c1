/* The server's EAP conversation: Identity, then the conn's method. */
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/x509.h>
#include "crypto/cert.h"
#include "src/auth_limit.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/eap_md5.h"
#include "src/eap_radius.h"
#include "src/eap_server.h"
#include "src/eap_srv.h"
#include "src/eap_tls.h"
#include "src/ike_sa.h"
#include "src/log.h"

const char *eap_server_name(int method)
{
	switch (method) {
	case AUTH_EAP_TLS: return "EAP-TLS";
	case AUTH_EAP_MD5: return "EAP-MD5";
	case AUTH_EAP_RADIUS: return "EAP-RADIUS";
	default: return "EAP-MSCHAPv2";
	}
}

void eap_server_free(struct ike_sa *sa)
{
	if (sa->eap_method == AUTH_EAP_TLS)
		eap_tls_srv_free(sa->eap_ctx);
	else if (sa->eap_method == AUTH_EAP_MD5)
		eap_md5_srv_free(sa->eap_ctx);
	else if (sa->eap_method == AUTH_EAP_RADIUS)
		eap_radius_free_relay(sa);
	sa->eap_ctx = NULL;
}

/* the method's first request, with Identifier sa->eap_id + 1 */
static size_t method_start(struct daemon *d, struct ike_sa *sa, uint8_t *out, size_t cap)
{
	char err[256];
	const struct peer_cfg *pc = sa->cfg;
	uint8_t id = (uint8_t)(sa->eap_id + 1);
	size_t n = 0;
	eap_server_free(sa);
	switch (sa->eap_method) {
	case AUTH_EAP_TLS: {
		struct eap_tls_srv *s = eap_tls_srv_new(pc->cert, pc->key, pc->chain,
		                                        pc->owner->cacerts, pc->owner->crls,
		                                        pc->remote_ca, id, err, sizeof(err));
		if (!s) {
			log_err(LOG_IKE, "%s: EAP-TLS: %s", ike_sa_tag(sa), err);
			return 0;
		}
		sa->eap_ctx = s;
		n = eap_tls_srv_start(s, out, cap);
		break;
	}
	case AUTH_EAP_MD5: {
		struct eap_cred cred;
		uint64_t now = auth_limit_now();
		if (!config_eap_cred(pc->owner, sa->user, &cred) ||
		    auth_limit_blocked(d->alim, pc->owner->conf, cred.account, sa->user,
		                       (const struct sockaddr *)&sa->peer, now)) {
			/* the same exchange as for a real account: a challenge
			 * nobody can answer (the reason goes to the log at the end) */
			static const uint8_t dummy[] = "cygnet-no-such-account";
			sa->auth_fail = config_eap_cred(pc->owner, sa->user, &cred) ? "backed off"
			                                                           : "unknown user";
			sa->eap_ctx = eap_md5_srv_new(dummy, sizeof(dummy) - 1, false, id, err,
			                              sizeof(err));
			sa->eap_md5_dummy = true;
		} else if (!cred.password) {
			log_err(LOG_IKE, "%s: EAP-MD5 for '%s' needs a plaintext EAP password, "
			        "ipsec.secrets has an NTLM hash", ike_sa_tag(sa), sa->user);
			return 0;
		} else {
			snprintf(sa->user, sizeof(sa->user), "%s", cred.account);
			sa->eap_ctx = eap_md5_srv_new((const uint8_t *)cred.password, cred.password_len,
			                              false, id, err, sizeof(err));
			sa->eap_md5_dummy = false;
		}
		if (!sa->eap_ctx) {
			log_err(LOG_IKE, "%s: EAP-MD5: %s", ike_sa_tag(sa), err);
			return 0;
		}
		n = eap_md5_srv_start(sa->eap_ctx, out, cap);
		break;
	}
	default:
		/* EAP-MSCHAPv2 keeps its own state in the IKE_SA */
		return eap_start(sa, 0, out, cap);
	}
	if (n)
		sa->eap_id = id;
	sa->eap = EAP_S_CHALLENGE;
	return n;
}

size_t eap_server_start(struct daemon *d, struct ike_sa *sa, int method, bool ask_identity,
                        uint8_t *out, size_t cap)
{
	sa->eap_method = method;
	if (method == AUTH_EAP_MSCHAPV2 || method == AUTH_UNSET)
		return eap_start(sa, ask_identity, out, cap);
	if (method == AUTH_EAP_RADIUS && !ask_identity)
		return 0;           /* RADIUS speaks first: eap_radius_begin */
	if (!ask_identity)
		return method_start(d, sa, out, cap);
	if (cap < 5)
		return 0;
	sa->eap_id++;
	eap_put_code(out, cap, EAP_CODE_REQUEST, sa->eap_id);
	out[3] = 5;
	out[4] = EAP_T_IDENTITY;
	sa->eap = EAP_S_IDENTITY;
	return 5;
}

static enum eap_result failed(struct ike_sa *sa, uint8_t *out, size_t cap, size_t *outlen,
                              const char *why)
{
	if (!sa->auth_fail)
		sa->auth_fail = why;
	sa->eap = EAP_S_FAILED;
	*outlen = eap_put_code(out, cap, EAP_CODE_FAILURE, sa->eap_id);
	return EAP_FAILURE;
}

/* EAP-TLS succeeded: the session's user is the identity the client
 * claimed when its certificate carries it, else the certificate's
 * subject; rightcert= (when set) must be that certificate and rightid=
 * (when not %any) must be in it */
static int tls_user(struct ike_sa *sa, X509 *cert)
{
	const struct peer_cfg *pc = sa->cfg;
	if (!cert)
		return -1;
	if (pc->remote_cert && X509_cmp(pc->remote_cert, cert) != 0) {
		sa->auth_fail = "the client certificate is not the one rightcert= names";
		return -1;
	}
	if (!ident_is_any(&pc->remote_id) &&
	    !cert_has_id(cert, pc->remote_id.type, pc->remote_id.data, pc->remote_id.len)) {
		sa->auth_fail = "the client certificate does not carry rightid";
		return -1;
	}
	struct ident claimed;
	bool fits = ident_parse(sa->user, &claimed) == 0 &&
	            cert_has_id(cert, claimed.type, claimed.data, claimed.len);
	if (!fits) {
		char subj[256];
		if (cert_subject_text(cert, subj, sizeof(subj)) != 0)
			return -1;
		log_info(LOG_IKE, "%s: EAP-TLS: '%s' is not in the client certificate; the session "
		         "runs as its subject '%s'", ike_sa_tag(sa), sa->user, subj);
		snprintf(sa->user, sizeof(sa->user), "%s", subj);
	}
	return 0;
}

int eap_identity_text(const uint8_t *data, size_t len, char *out, size_t cap)
{
	bool printable = true;
	for (size_t i = 0; i < len; i++)
		if (data[i] < 0x20 || data[i] == 0x7f)
			printable = false;
	if (printable) {
		if (len >= cap)
			return -1;
		memcpy(out, data, len);
		out[len] = '\0';
		return 0;
	}
	const unsigned char *p = data;
	X509_NAME *dn = len <= IDENT_MAX ? d2i_X509_NAME(NULL, &p, (long)len) : NULL;
	if (!dn)
		return -1;
	X509_NAME_free(dn);
	if (p != data + len)
		return -1;
	struct ident id = { .type = ID_DER_ASN1_DN, .len = len };
	memcpy(id.data, data, len);
	ident_format(&id, out, cap);
	return 0;
}

enum eap_result eap_server_process(struct daemon *d, struct ike_sa *sa, const uint8_t *in,
                                   size_t inlen, uint8_t *out, size_t cap, size_t *outlen)
{
	*outlen = 0;
	if (sa->eap_method == AUTH_EAP_MSCHAPV2 || sa->eap_method == AUTH_UNSET)
		return eap_process(d, sa, in, inlen, out, cap, outlen);
	if (sa->eap_method == AUTH_EAP_RADIUS)
		return failed(sa, out, cap, outlen, "EAP-RADIUS relays in eap_radius_relay");
	const char *name = eap_server_name(sa->eap_method);
	if (sa->eap == EAP_S_IDENTITY) {
		struct eap_frame f;
		if (!eap_frame(in, inlen, &f) || f.code != EAP_CODE_RESPONSE || f.id != sa->eap_id ||
		    f.type != EAP_T_IDENTITY || f.len == 0 || f.len >= sizeof(sa->user) ||
		    eap_identity_text(f.data, f.len, sa->user, sizeof(sa->user)) != 0)
			return failed(sa, out, cap, outlen, "malformed EAP-Identity");
		log_info(LOG_IKE, "%s: EAP identity '%s'", ike_sa_tag(sa), sa->user);
		*outlen = method_start(d, sa, out, cap);
		return *outlen ? EAP_CONTINUE : failed(sa, out, cap, outlen, "EAP start failed");
	}
	if (sa->eap != EAP_S_CHALLENGE || !sa->eap_ctx)
		return failed(sa, out, cap, outlen, "unexpected EAP message");
	enum eap_srv_result r;
	if (sa->eap_method == AUTH_EAP_TLS)
		r = eap_tls_srv_process(sa->eap_ctx, in, inlen, out, cap, outlen);
	else
		r = eap_md5_srv_process(sa->eap_ctx, in, inlen, out, cap, outlen);
	if (r == EAP_SRV_DROP) {
		/* RFC 3748: drop it; in IKE the exchange cannot wait, so fail */
		log_info(LOG_IKE, "%s: %s: malformed response", ike_sa_tag(sa), name);
		return failed(sa, out, cap, outlen, "malformed EAP response");
	}
	if (r == EAP_SRV_CONTINUE) {
		if (*outlen >= 2)
			sa->eap_id = out[1];
		return EAP_CONTINUE;
	}
	const struct ipsec_conf *conf = sa->cfg->owner->conf;
	uint64_t now = auth_limit_now();
	if (sa->eap_method == AUTH_EAP_MD5) {
		struct eap_cred cred;
		const char *acct = config_eap_cred(sa->cfg->owner, sa->user, &cred) ? cred.account
		                                                                    : NULL;
		if (r == EAP_SRV_SUCCESS && sa->eap_md5_dummy)
			r = EAP_SRV_FAILURE;       /* cannot happen: nobody knows the dummy */
		if (r != EAP_SRV_SUCCESS) {
			if (!sa->auth_fail)
				sa->auth_fail = "wrong password";
			if (strcmp(sa->auth_fail, "backed off") == 0)
				auth_limit_refused(d->alim, conf, acct, sa->user,
				                   (const struct sockaddr *)&sa->peer, now);
			else
				auth_limit_failure(d->alim, conf, acct, sa->user,
				                   (const struct sockaddr *)&sa->peer, now);
		} else {
			auth_limit_success(d->alim, acct, (const struct sockaddr *)&sa->peer, now);
		}
	}
	if (r == EAP_SRV_SUCCESS && sa->eap_method == AUTH_EAP_TLS) {
		if (tls_user(sa, eap_tls_srv_peer_cert(sa->eap_ctx)) != 0) {
			r = EAP_SRV_FAILURE;
		} else {
			memcpy(sa->msk, eap_tls_srv_msk(sa->eap_ctx), sizeof(sa->msk));
			sa->have_msk = true;
		}
	}
	if (r != EAP_SRV_SUCCESS) {
		const char *why = sa->eap_method == AUTH_EAP_TLS ? eap_tls_srv_why(sa->eap_ctx)
		                                                 : eap_md5_srv_why(sa->eap_ctx);
		log_info(LOG_IKE, "%s: %s authentication of '%s' failed: %s", ike_sa_tag(sa), name,
		         sa->user, sa->auth_fail ? sa->auth_fail : why ? why : "refused");
		if (!sa->auth_fail)
			sa->auth_fail = "refused";
		sa->eap = EAP_S_FAILED;
		if (!*outlen)
			*outlen = eap_put_code(out, cap, EAP_CODE_FAILURE, sa->eap_id);
		return EAP_FAILURE;
	}
	log_info(LOG_IKE, "%s: %s authentication of '%s' successful", ike_sa_tag(sa), name,
	         sa->user);
	sa->eap = EAP_S_DONE;
	if (!*outlen)
		*outlen = eap_put_code(out, cap, EAP_CODE_SUCCESS, sa->eap_id);
	return EAP_SUCCESS;
}
