/* The peer's certificate and AUTH payload (src/peer_auth.h). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/x509v3.h>
#include "crypto/cert.h"
#include "crypto/prf.h"
#include "crypto/sig.h"
#include "src/config.h"
#include "src/ike_keys.h"
#include "src/ike_msg.h"
#include "src/ike_sa.h"
#include "src/peer_auth.h"

#define CERT_ENC_X509_SIG 4

int peer_certs(const struct ike_msg *m, X509 **cert, STACK_OF(X509) **chain)
{
	*cert = NULL;
	*chain = sk_X509_new_null();
	if (!*chain)
		return -1;
	for (int i = 0; i < m->n_certs; i++) {
		if (m->certs[i].enc != CERT_ENC_X509_SIG)
			continue;
		const unsigned char *p = m->certs[i].data;
		X509 *x = d2i_X509(NULL, &p, (long)m->certs[i].len);
		if (!x)
			continue;
		if (!*cert)
			*cert = x;
		else if (!sk_X509_push(*chain, x))
			X509_free(x);
	}
	if (!*cert) {
		sk_X509_pop_free(*chain, X509_free);
		*chain = NULL;
		return -1;
	}
	return 0;
}

int peer_cert_check(X509 *cert, STACK_OF(X509) *chain, const struct peer_cfg *pc,
                    const struct ident *id, const struct ident *want, char *why, size_t whylen)
{
	char err[256], subj[256] = "?";
	cert_subject_text(cert, subj, sizeof(subj));
	if (cert_verify(cert, chain, pc->owner->cacerts, pc->owner->crls,
	                (int)pc->owner->conf->strictcrlpolicy, pc->remote_ca, err,
	                sizeof(err)) != 0) {
		snprintf(why, whylen, "certificate '%.160s' is not trusted: %.120s", subj, err);
		return -1;
	}
	if (pc->remote_cert && X509_cmp(pc->remote_cert, cert) != 0) {
		snprintf(why, whylen, "certificate '%.160s' is not the one rightcert= names", subj);
		return -1;
	}
	uint32_t ku = X509_get_key_usage(cert);
	if ((X509_get_extension_flags(cert) & EXFLAG_KUSAGE) &&
	    !(ku & (KU_DIGITAL_SIGNATURE | KU_NON_REPUDIATION))) {
		snprintf(why, whylen, "certificate '%.160s' may not sign (keyUsage)", subj);
		return -1;
	}
	if (!cert_has_id(cert, id->type, id->data, id->len)) {
		char t[256];
		ident_format(id, t, sizeof(t));
		snprintf(why, whylen, "identity '%.120s' is not in certificate '%.160s'", t, subj);
		return -1;
	}
	if (want && !ident_is_any(want) && !ident_eq(want, id) &&
	    !cert_has_id(cert, want->type, want->data, want->len)) {
		char t[256];
		ident_format(want, t, sizeof(t));
		snprintf(why, whylen, "certificate '%.160s' is not for '%.120s' (rightid)", subj, t);
		return -1;
	}
	return 0;
}

int peer_auth_sig(const struct ike_sa *sa, EVP_PKEY *pub, const struct ike_msg *m,
                  bool by_initiator)
{
	uint8_t *oct = NULL;
	size_t octlen;
	if (!pub || !m->has_auth || m->auth_method == AUTHM_PSK ||
	    ike_auth_octets(sa, by_initiator, &oct, &octlen) != 0)
		return -1;
	int rc = sig_verify(pub, m->auth_method, m->auth, m->auth_len, oct, octlen);
	free(oct);
	return rc;
}

int peer_auth_psk(const struct ike_sa *sa, const uint8_t *key, size_t keylen,
                  const struct ike_msg *m, bool by_initiator)
{
	uint8_t expect[PRF_MAX_OUT];
	if (!key || !m->has_auth || m->auth_method != AUTHM_PSK || m->auth_len != sa->prf_len ||
	    ike_auth_psk(sa, by_initiator, key, keylen, expect) != 0)
		return -1;
	int rc = CRYPTO_memcmp(expect, m->auth, sa->prf_len) == 0 ? 0 : -1;
	OPENSSL_cleanse(expect, sizeof(expect));
	return rc;
}
