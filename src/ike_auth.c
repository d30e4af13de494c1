/* IKE_AUTH as responder: conn selection by identities and by how the
 * client authenticates (a certificate, a PSK or EAP), its certificate and
 * AUTH checked, the server's own AUTH (a signature or the PSK), EAP rounds
 * and the final MSK-based AUTH, a second round (RFC 4739), virtual IPs
 * and the first CHILD_SA. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "crypto/cert.h"
#include "crypto/prf.h"
#include "crypto/sig.h"
#include "src/child_sa.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/eap.h"
#include "src/eap_radius.h"
#include "src/eap_server.h"
#include "src/eap_srv.h"
#include "src/ike.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/peer_auth.h"
#include "src/pool.h"
#include "src/proposal_select.h"

#define CERT_ENC_X509_SIG 4

/* answers with AUTHENTICATION_FAILED (plus an EAP message if given) and
 * ends the IKE_SA */
static void auth_failed(struct daemon *d, struct ike_sa *sa, uint32_t msgid,
                        const uint8_t *eap, size_t eaplen, const char *why)
{
	uint8_t buf[512];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	if (eap)
		ike_wr_eap(&w, eap, eaplen);
	ike_wr_notify(&w, 0, NULL, 0, N_AUTHENTICATION_FAILED, NULL, 0);
	char outcome[1024];
	snprintf(outcome, sizeof(outcome), "connection refused, %s%s%s: AUTHENTICATION_FAILED",
	         why, sa->auth_fail ? ", " : "", sa->auth_fail ? sa->auth_fail : "");
	ike_sa_log_outcome(sa, outcome);
	d->n_failed[FAIL_AUTH]++;
	ike_sa_send_encrypted(d, sa, IKE_AUTH, true, msgid, &w);
	ike_sa_set_state(sa, IKE_S_DEAD);
}

/* the AUTH after EAP, for our message (ours) or the peer's: from the
 * MSK, or, when the method makes none (EAP-MD5), from SK_pi / SK_pr
 * (RFC 7296 §2.16) */
static int psk_auth(const struct ike_sa *sa, bool ours, uint8_t *out)
{
	if (sa->have_msk)
		return ike_auth_psk(sa, !ours, sa->msk, sizeof(sa->msk), out);
	const uint8_t *k = ours ? sa->sk_pr : sa->sk_pi;
	return ike_auth_psk(sa, !ours, k, sa->prf_len, out);
}

/* whether a conn takes clients that authenticate this way (rightauth;
 * unset is strongSwan's default, pubkey) */
static bool conn_takes(const struct peer_cfg *pc, enum peer_kind kind)
{
	switch (pc->conn->right.auth) {
	case AUTH_PSK:
		return kind == PEER_PSK;
	case AUTH_PUBKEY:
	case AUTH_UNSET:
		return kind == PEER_SIG;
	default:
		return kind == PEER_EAP;
	}
}

/* a conn's fit for the client's certificate or PSK: 0, or -1 with why */
static int conn_fits(struct daemon *d, const struct peer_cfg *pc, enum peer_kind kind,
                     const struct ident *idi, X509 *cert, STACK_OF(X509) *chain,
                     char *why, size_t whylen)
{
	size_t klen;
	if (kind == PEER_SIG)
		return peer_cert_check(cert, chain, pc, idi, &pc->remote_id, why, whylen);
	if (kind == PEER_PSK && !config_psk(d->cfg, &pc->local_id, idi, &klen)) {
		snprintf(why, whylen, "no PSK for this identity in ipsec.secrets");
		return -1;
	}
	return 0;
}

/* the conn for this client: its IDr against leftid (or the
 * certificate), its IDi against rightid, how it authenticates against
 * rightauth, and for a certificate the conn's CA and certificate
 * constraints; the best match in file order. why says why none fits. */
static struct peer_cfg *select_conn(struct daemon *d, const struct ike_msg *m,
                                    const struct ident *idi, enum peer_kind kind, X509 *cert,
                                    STACK_OF(X509) *chain, bool *idr_from_cert,
                                    char *why, size_t whylen)
{
	struct peer_cfg *best = NULL;
	int best_score = 0;
	struct ident idr;
	bool ids_matched = false;
	snprintf(why, whylen, "no conn matches the identities");
	if (m->idr.present)
		ike_id_ident(&m->idr, &idr);
	for (int i = 0; i < d->cfg->n_peers; i++) {
		struct peer_cfg *pc = &d->cfg->peers[i];
		int score;
		bool via_cert = false;
		if (pc->client)
			continue;
		if (!m->idr.present)
			score = 1;
		else if (ident_eq(&idr, &pc->local_id))
			score = 3;
		else if (cert_has_id(pc->cert, idr.type, idr.data, idr.len)) {
			score = 2;
			via_cert = true;
		} else
			continue;
		score *= 4;
		if (ident_is_any(&pc->remote_id))
			score += 1;
		else if (ident_eq(&pc->remote_id, idi))
			score += 2;
		else
			continue;       /* as strongSwan: IDi against rightid only, so seed 003's
			                 * iOS clients (IDi = a SAN) land on the iOS conns */
		if (!ids_matched) {
			ids_matched = true;
			snprintf(why, whylen, "no conn with matching identities takes %s clients",
			         kind == PEER_EAP ? "EAP" : kind == PEER_PSK ? "PSK" : "certificate");
		}
		if (!conn_takes(pc, kind) || score <= best_score)
			continue;
		char w[400];
		if (conn_fits(d, pc, kind, idi, cert, chain, w, sizeof(w)) != 0) {
			snprintf(why, whylen, "conn '%s': %s", pc->name, w);
			continue;
		}
		best = pc;
		best_score = score;
		*idr_from_cert = via_cert;
	}
	return best;
}

static bool keep_request(struct ike_sa *sa, const struct ike_msg *m)
{
	/* a retransmitted request may come here again (crypto queue full) */
	free(sa->child_props);
	free(sa->req_tsi);
	free(sa->req_tsr);
	sa->want_vip4 = sa->want_vip6 = false;
	sa->child_props = malloc(sizeof(*sa->child_props) * (size_t)(m->n_props ? m->n_props : 1));
	sa->req_tsi = malloc(sizeof(struct ike_ts) * (size_t)(m->n_tsi ? m->n_tsi : 1));
	sa->req_tsr = malloc(sizeof(struct ike_ts) * (size_t)(m->n_tsr ? m->n_tsr : 1));
	if (!sa->child_props || !sa->req_tsi || !sa->req_tsr)
		return false;
	memcpy(sa->child_props, m->props, sizeof(*m->props) * (size_t)m->n_props);
	sa->n_child_props = m->n_props;
	memcpy(sa->req_tsi, m->tsi, sizeof(*m->tsi) * (size_t)m->n_tsi);
	sa->n_req_tsi = m->n_tsi;
	memcpy(sa->req_tsr, m->tsr, sizeof(*m->tsr) * (size_t)m->n_tsr);
	sa->n_req_tsr = m->n_tsr;
	sa->has_cp = m->has_cp && m->cp_type == CFG_REQUEST;
	for (int i = 0; sa->has_cp && i < m->n_cp; i++) {
		if (m->cp[i].type == INTERNAL_IP4_ADDRESS)
			sa->want_vip4 = true;
		if (m->cp[i].type == INTERNAL_IP6_ADDRESS)
			sa->want_vip6 = true;
	}
	return true;
}

static void write_certs(struct ike_wr *w, struct peer_cfg *pc)
{
	size_t len;
	uint8_t *der = cert_der(pc->cert, &len);
	if (der) {
		ike_wr_cert(w, CERT_ENC_X509_SIG, der, len);
		free(der);
	}
	for (int i = 0; pc->chain && i < sk_X509_num(pc->chain); i++) {
		der = cert_der(sk_X509_value(pc->chain, i), &len);
		if (der) {
			ike_wr_cert(w, CERT_ENC_X509_SIG, der, len);
			free(der);
		}
	}
}

/* the server's signature in the first IKE_AUTH response, made by a
 * crypto worker (RSA-3072 costs milliseconds: not on the event loop) */
struct sign_job {
	struct job job;
	uint32_t sa_id;
	uint32_t msgid;                     /* of the request we answer */
	EVP_PKEY *key;                      /* a reference of its own */
	uint32_t hashes;
	uint8_t *oct;                       /* the signed octets */
	size_t octlen;
	struct ident me;                    /* IDr */
	bool send_certs;
	bool psk;                           /* leftauth=psk: no signature to make */
	int rc;
	uint8_t method;
	uint8_t sig[1024];
	size_t siglen;
};

static void sign_job_run(struct job *jb)
{
	struct sign_job *j = (struct sign_job *)jb;
	if (j->psk)
		return;
	j->siglen = sizeof(j->sig);
	j->rc = sig_sign(j->key, j->hashes, j->oct, j->octlen, &j->method, j->sig, &j->siglen);
}

static void sign_job_free(struct sign_job *j)
{
	EVP_PKEY_free(j->key);
	free(j->oct);
	free(j);
}

static void session_up(struct daemon *d, struct ike_sa *sa, struct ike_wr *w, uint32_t msgid);
static bool kept_elsewhere(struct daemon *d, const struct ike_sa *sa);

/* an EAP response or start went to RADIUS: the request is answered
 * when RADIUS answers (ike_auth_eap_answer); until then the next request
 * is not taken (busy) and a retransmission finds no cached answer to
 * resend (the cache holds the previous exchange's response) */
static void radius_wait(struct ike_sa *sa)
{
	sa->busy = true;
	free(sa->resp.buf);
	memset(&sa->resp, 0, sizeof(sa->resp));
}

/* the EAP round's first request (method: the conn's rightauth or
 * rightauth2): Identity, or the method's first request for the identity
 * the client claimed; 0 or -1 */
static int start_eap(struct daemon *d, struct ike_sa *sa, int method, struct ike_wr *w,
                     uint32_t msgid)
{
	char idtext[256];
	ident_format(&sa->idi, idtext, sizeof(idtext));
	bool ask = sa->cfg->conn->eap_identity != NULL;
	bool radius_asks = method == AUTH_EAP_RADIUS && sa->cfg->owner->radius->eap_start;
	/* the IKE identity names the user until an EAP-Identity does (with
	 * eap_start, the EAP-Start's User-Name) */
	if (!ask || radius_asks)
		snprintf(sa->user, sizeof(sa->user), "%s", idtext);
	if (method == AUTH_EAP_RADIUS && (!ask || radius_asks)) {
		/* RADIUS speaks first: the response waits for its answer */
		sa->eap_method = method;
		ike_sa_set_state(sa, IKE_S_EAP);
		if (eap_radius_begin(d, sa, w, msgid) != 0)
			return -1;
		radius_wait(sa);
		return 1;
	}
	uint8_t eap[1100];
	size_t eaplen = eap_server_start(d, sa, method, ask, eap, sizeof(eap));
	if (!eaplen)
		return -1;
	ike_wr_eap(w, eap, eaplen);
	ike_sa_set_state(sa, IKE_S_EAP);
	return 0;
}

/* the rest of the first IKE_AUTH response: IDr, certificates, our AUTH,
 * then the first EAP request, nothing (a second round follows), or the
 * whole session (CP, CHILD_SA) */
static void first_auth_respond(struct daemon *d, struct ike_sa *sa, struct sign_job *j)
{
	uint8_t buf[IKE_MAX_MSG];
	struct peer_cfg *pc = sa->cfg;
	if (j->rc != 0)
		return auth_failed(d, sa, j->msgid, NULL, 0, "signing failed");
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_id(&w, PL_IDR, j->me.type, j->me.data, j->me.len);
	if (j->send_certs && pc->cert)
		write_certs(&w, pc);
	if (j->psk) {
		uint8_t auth[PRF_MAX_OUT];
		size_t klen;
		const uint8_t *key = config_psk(pc->owner, &j->me, &sa->idi, &klen);
		if (!key || ike_auth_psk(sa, false, key, klen, auth) != 0)
			return auth_failed(d, sa, j->msgid, NULL, 0, "no PSK for the server's AUTH");
		ike_wr_auth(&w, AUTHM_PSK, auth, sa->prf_len);
		OPENSSL_cleanse(auth, sizeof(auth));
	} else {
		ike_wr_auth(&w, j->method, j->sig, j->siglen);
	}
	char idtext[256];
	ident_format(&sa->idi, idtext, sizeof(idtext));
	const char *ours = j->psk ? "a pre-shared key" : j->method == AUTHM_RSA ? "RSA signature"
	                   : j->method == AUTHM_DIGITAL_SIGNATURE ? "RFC 7427 signature"
	                   : "ECDSA signature";
	if (sa->kind == PEER_EAP) {
		int rc = start_eap(d, sa, pc->conn->right.auth, &w, j->msgid);
		if (rc < 0)
			return auth_failed(d, sa, j->msgid, NULL, 0, "EAP start failed");
		log_info(LOG_IKE, "%s: '%s' matches conn '%s'; authenticating the server with %s, "
		         "starting %s%s", ike_sa_tag(sa), idtext, pc->name, ours,
		         eap_server_name(pc->conn->right.auth),
		         pc->conn->eap_identity && rc == 0 ? " with EAP-Identity" : "");
		if (rc == 0)
			ike_sa_send_encrypted(d, sa, IKE_AUTH, true, j->msgid, &w);
		return;
	}
	log_info(LOG_IKE, "%s: '%s' authenticated with %s for conn '%s'; authenticating the "
	         "server with %s%s", ike_sa_tag(sa), idtext,
	         sa->kind == PEER_PSK ? "a pre-shared key" : "its certificate", pc->name, ours,
	         sa->another_round ? "; a second round follows" : "");
	if (sa->another_round) {
		ike_sa_set_state(sa, IKE_S_AUTH2);
		ike_sa_send_encrypted(d, sa, IKE_AUTH, true, j->msgid, &w);
		return;
	}
	snprintf(sa->user, sizeof(sa->user), "%s", idtext);
	if (kept_elsewhere(d, sa))
		return auth_failed(d, sa, j->msgid, NULL, 0,
		                   "the user has a session already (uniqueids=keep)");
	session_up(d, sa, &w, j->msgid);
}

static void sign_job_done(struct daemon *d, struct job *jb, bool cancelled)
{
	struct sign_job *j = (struct sign_job *)jb;
	struct ike_sa *sa = cancelled ? NULL : ike_sa_by_id(d, j->sa_id);
	if (sa && sa->busy && sa->state == IKE_S_INIT_DONE) {
		sa->busy = false;
		first_auth_respond(d, sa, j);
	}
	sign_job_free(j);
}

/* the client's certificate or PSK AUTH for conn pc; 0, or -1 with why */
static int check_client(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m, X509 *cert,
                        char *why, size_t whylen)
{
	if (sa->kind == PEER_SIG) {
		if (peer_auth_sig(sa, X509_get0_pubkey(cert), m, true) != 0) {
			snprintf(why, whylen, "the client's AUTH signature does not verify");
			return -1;
		}
		return 0;
	}
	size_t klen;
	const uint8_t *key = config_psk(d->cfg, &sa->cfg->local_id, &sa->idi, &klen);
	if (peer_auth_psk(sa, key, klen, m, true) != 0) {
		snprintf(why, whylen, "the client's PSK AUTH does not match (wrong PSK?)");
		return -1;
	}
	return 0;
}

static void first_auth(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	char idtext[256], why[480];
	ike_id_ident(&m->idi, &sa->idi);
	ident_format(&sa->idi, idtext, sizeof(idtext));
	if (m->idi.body_len > sizeof(sa->idi_body))
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "identity too long");
	memcpy(sa->idi_body, m->idi.body, m->idi.body_len);
	sa->idi_body_len = m->idi.body_len;
	sa->kind = !m->has_auth ? PEER_EAP : m->auth_method == AUTHM_PSK ? PEER_PSK : PEER_SIG;
	sa->another_round = ike_find_notify(m, N_ANOTHER_AUTH_FOLLOWS) != NULL;
	if (ike_find_notify(m, N_USE_TRANSPORT_MODE))
		log_info(LOG_IKE, "%s: client asks for transport mode; offering tunnel mode",
		         ike_sa_tag(sa));
	X509 *cert = NULL;
	STACK_OF(X509) *chain = NULL;
	if (sa->kind == PEER_SIG && peer_certs(m, &cert, &chain) != 0)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "the client authenticates with a "
		                   "signature but sent no certificate");
	bool via_cert = false;
	struct peer_cfg *pc = select_conn(d, m, &sa->idi, sa->kind, cert, chain, &via_cert, why,
	                                  sizeof(why));
	if (!pc) {
		char idr[256] = "(none)";
		if (m->idr.present) {
			struct ident t;
			ike_id_ident(&m->idr, &t);
			ident_format(&t, idr, sizeof(idr));
		}
		char full[800];
		snprintf(full, sizeof(full), "no conn for IDi '%.150s' / IDr '%.150s': %.470s", idtext, idr,
		         why);
		X509_free(cert);
		sk_X509_pop_free(chain, X509_free);
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, full);
	}
	ike_sa_set_cfg(sa, pc);
	int crc = sa->kind == PEER_EAP ? 0 : check_client(d, sa, m, cert, why, sizeof(why));
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	if (crc != 0)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, why);
	/* RFC 4739: a conn with rightauth2 wants two rounds, one without
	 * takes one */
	bool two = pc->conn->right.auth2 != AUTH_UNSET;
	if (two != sa->another_round)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, two
		                   ? "the conn wants a second authentication round (rightauth2) and the "
		                     "client offers none"
		                   : "the client wants a second authentication round the conn does not "
		                     "have (no rightauth2)");
	if (two && sa->kind == PEER_EAP)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "an EAP first round followed by "
		                   "another is not supported");
	sa->peer_mobike = pc->conn->mobike && ike_find_notify(m, N_MOBIKE_SUPPORTED) != NULL;
	sa->initial_contact = ike_find_notify(m, N_INITIAL_CONTACT) != NULL;
	if (!keep_request(sa, m))
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "out of memory");

	struct sign_job *j = calloc(1, sizeof(*j));
	if (!j)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "out of memory");
	/* our identity: leftid, or the IDr the client asked for when the
	 * certificate carries it */
	j->me = pc->local_id;
	if (via_cert)
		ike_id_ident(&m->idr, &j->me);
	sa->idr_body[0] = j->me.type;
	memset(sa->idr_body + 1, 0, 3);
	memcpy(sa->idr_body + 4, j->me.data, j->me.len);
	sa->idr_body_len = 4 + j->me.len;
	enum sendcert sc = pc->conn->left.sendcert;
	j->send_certs = sc == SENDCERT_ALWAYS || (sc == SENDCERT_IFASKED && m->n_certreqs > 0);
	j->psk = pc->conn->left.auth == AUTH_PSK;
	j->job.prio = JOB_KNOWN;
	j->job.run = sign_job_run;
	j->job.done = sign_job_done;
	j->sa_id = sa->id;
	j->msgid = m->hdr.msgid;
	j->hashes = sa->sig_hashes;
	if (!j->psk) {
		if (EVP_PKEY_up_ref(pc->key) == 1)
			j->key = pc->key;
		if (!j->key || ike_auth_octets(sa, false, &j->oct, &j->octlen) != 0) {
			sign_job_free(j);
			return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "signing failed");
		}
	}
	sa->busy = true;
	if (jobs_submit(d, &j->job) != 0) {
		/* dropped like a lost packet: the client retransmits */
		sa->busy = false;
		sa->msgid_next--;
		sign_job_free(j);
		log_info(LOG_IKE, "%s: the crypto workers' queue is full, IKE_AUTH dropped",
		         ike_sa_tag(sa));
	}
}

/* RFC 4739: the second round's IKE_AUTH request, a new IDi and no AUTH:
 * EAP (rightauth2) for that identity */
static void second_auth(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t buf[2048];
	if (!m->idi.present || m->has_auth || m->idi.body_len > sizeof(sa->idi_body))
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "second round: IDi without AUTH "
		                   "expected");
	enum conf_auth a2 = sa->cfg->conn->right.auth2;
	if (!conf_auth_is_eap(a2))
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "second round: only EAP methods "
		                   "are built for rightauth2");
	/* the second round's AUTH covers its own IDi */
	ike_id_ident(&m->idi, &sa->idi);
	memcpy(sa->idi_body, m->idi.body, m->idi.body_len);
	sa->idi_body_len = m->idi.body_len;
	sa->kind = PEER_EAP;
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	int rc = start_eap(d, sa, a2, &w, m->hdr.msgid);
	if (rc < 0)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "EAP start failed");
	char idtext[256];
	ident_format(&sa->idi, idtext, sizeof(idtext));
	log_info(LOG_IKE, "%s: second round for '%s': %s", ike_sa_tag(sa), idtext,
	         eap_server_name(a2));
	if (rc == 0)
		ike_sa_send_encrypted(d, sa, IKE_AUTH, true, m->hdr.msgid, &w);
}

static void eap_round(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t out[1100];
	size_t outlen;
	char why[64];
	if (!m->eap)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "EAP payload expected");
	if (sa->eap_method == AUTH_EAP_RADIUS) {
		if (eap_radius_relay(d, sa, m->eap, m->eap_len, m->hdr.msgid) == 0) {
			radius_wait(sa);
			return;
		}
		outlen = eap_put_code(out, sizeof(out), EAP_CODE_FAILURE, sa->eap_id);
		return auth_failed(d, sa, m->hdr.msgid, out, outlen, "EAP-RADIUS failed");
	}
	enum eap_result r = eap_server_process(d, sa, m->eap, m->eap_len, out, sizeof(out),
	                                       &outlen);
	if (r == EAP_FAILURE) {
		snprintf(why, sizeof(why), "%s failed", eap_server_name(sa->eap_method));
		auth_failed(d, sa, m->hdr.msgid, out, outlen, why);
		OPENSSL_cleanse(out, sizeof(out));
		return;
	}
	uint8_t buf[1200];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_eap(&w, out, outlen);
	if (r == EAP_SUCCESS)
		ike_sa_set_state(sa, IKE_S_EAP_DONE);
	ike_sa_send_encrypted(d, sa, IKE_AUTH, true, m->hdr.msgid, &w);
	/* the plaintext held the MS-CHAPv2 authenticator response */
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(buf, sizeof(buf));
}

void ike_auth_eap_answer(struct daemon *d, struct ike_sa *sa, uint32_t msgid,
                         const struct ike_wr *prefix, enum eap_result r, const uint8_t *eap,
                         size_t len)
{
	if (sa->state != IKE_S_EAP)
		return;
	sa->busy = false;
	if (r == EAP_FAILURE)
		return auth_failed(d, sa, msgid, eap, len, "EAP-RADIUS failed");
	uint8_t *buf = d->buf_auth;
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(d->buf_auth));
	if (prefix && prefix->len <= w.cap) {
		memcpy(buf, prefix->buf, prefix->len);
		w.len = prefix->len;
		w.np_off = prefix->np_off;
		w.first = prefix->first;
		w.overflow = prefix->overflow;
	}
	ike_wr_eap(&w, eap, len);
	if (r == EAP_SUCCESS)
		ike_sa_set_state(sa, IKE_S_EAP_DONE);
	ike_sa_send_encrypted(d, sa, IKE_AUTH, true, msgid, &w);
	OPENSSL_cleanse(buf, w.len < w.cap ? w.len : w.cap);
}

/* two sessions of one user towards the same server identity, for
 * uniqueids; a name RADIUS did not confirm (user_unconfirmed) is only a
 * claim, and a claim makes nobody the same user: a client with its own
 * password must not end, or be kept out by, another user's session by
 * giving that user's name as its outer EAP identity */
static bool same_user(const struct ike_sa *a, const struct ike_sa *b)
{
	return !a->user_unconfirmed && !b->user_unconfirmed && strcmp(a->user, b->user) == 0 &&
	       ident_eq(&a->cfg->local_id, &b->cfg->local_id);
}

/* uniqueids=keep: a user who has a session gets no second one */
static bool kept_elsewhere(struct daemon *d, const struct ike_sa *sa)
{
	if (d->cfg->conf->uniqueids != UNIQUE_KEEP)
		return false;
	for (const struct ike_sa *o = d->sas; o; o = o->next)
		if (o != sa && o->state == IKE_S_ESTABLISHED && same_user(o, sa))
			return true;
	return false;
}

/* Uniqueness is by what RFC 7296 §2.15 calls the identity: the EAP user.
 * uniqueids=yes/replace: the user's older sessions go. uniqueids=no: only
 * when the client says INITIAL_CONTACT, and only its own older sessions
 * (same address: a device that restarted); never: nothing.
 * replaced_by: o is one of the sessions sa replaces (enforce_unique's
 * matching, also asked before sa's addresses are taken) */
static bool replaced_by(struct daemon *d, const struct ike_sa *sa, const struct ike_sa *o)
{
	enum uniqueids u = d->cfg->conf->uniqueids;
	if (u == UNIQUE_NEVER || u == UNIQUE_KEEP || (u == UNIQUE_NO && !sa->initial_contact))
		return false;
	if (o == sa || o->state != IKE_S_ESTABLISHED || !same_user(o, sa))
		return false;
	if (u == UNIQUE_NO && !addr_eq((const struct sockaddr *)&o->peer,
	                               (const struct sockaddr *)&sa->peer, false))
		return false;
	return true;
}

bool ike_auth_replaces(struct daemon *d, const struct ike_sa *sa, const struct ike_sa *o)
{
	return replaced_by(d, sa, o);
}

static void enforce_unique(struct daemon *d, struct ike_sa *sa)
{
	enum uniqueids u = d->cfg->conf->uniqueids;
	for (struct ike_sa *o = d->sas; o; o = o->next) {
		if (!replaced_by(d, sa, o))
			continue;
		log_info(LOG_IKE, "%s: replaces IKE_SA #%u of '%s' (%s)", ike_sa_tag(sa), o->id,
		         sa->user, u == UNIQUE_NO ? "INITIAL_CONTACT" : "uniqueids");
		ike_sa_send_delete(d, o);
		ike_sa_set_state(o, IKE_S_DEAD);
		ike_sa_children_gone(d, o);
	}
}

/* The pool addresses of the sessions sa replaces are free for sa while
 * its addresses are taken (the same user gets its address back):
 * released, and given back (unlend) when the login fails, so that a
 * failed login leaves the user's session as it was. */
#define LEND_MAX 16
struct lend {
	struct ike_sa *o;
	bool v6;
};

static int lend(struct daemon *d, struct ike_sa *sa, struct lend *l)
{
	int n = 0;
	for (struct ike_sa *o = d->sas; o && n + 2 <= LEND_MAX; o = o->next) {
		if (!replaced_by(d, sa, o))
			continue;
		if (o->has_vip4 && o->pool4) {
			pool_release(o->pool4, o->vip4);
			l[n++] = (struct lend){ o, false };
		}
		if (o->has_vip6 && o->pool6) {
			pool_release(o->pool6, o->vip6);
			l[n++] = (struct lend){ o, true };
		}
	}
	return n;
}

/* the login failed: sa gives back what it took, the old sessions get
 * their leases again */
static void unlend(struct ike_sa *sa, struct lend *l, int n)
{
	ike_sa_drop_vips(sa);
	for (int i = 0; i < n; i++) {
		struct ike_sa *o = l[i].o;
		if (pool_unrelease(l[i].v6 ? o->pool6 : o->pool4, l[i].v6 ? o->vip6 : o->vip4) != 0)
			log_err(LOG_IKE, "%s: could not give IKE_SA #%u its address back", ike_sa_tag(sa),
			        o->id);
	}
}

/* the login succeeds: the old sessions hold their leases no more (they
 * are released already; sa may hold the same address now) */
static void lent_gone(struct lend *l, int n)
{
	for (int i = 0; i < n; i++) {
		if (l[i].v6)
			l[i].o->pool6 = NULL;
		else
			l[i].o->pool4 = NULL;
	}
}

static bool assign_vips(struct ike_sa *sa)
{
	struct peer_cfg *pc = sa->cfg;
	char kb[sizeof(sa->user) + sizeof(IKE_SA_UNCONFIRMED_LEASE)];
	const char *key = ike_sa_lease_id(sa, kb, sizeof(kb));
	/* addresses RADIUS gave (eap_radius_vips) come first */
	if (sa->want_vip4 && !sa->has_vip4 && pc->pool4 &&
	    pool_acquire(pc->pool4, key, sa->vip4) == 0) {
		sa->has_vip4 = true;
		sa->pool4 = pc->pool4;
	}
	if (sa->want_vip6 && !sa->has_vip6 && pc->pool6 &&
	    pool_acquire(pc->pool6, key, sa->vip6) == 0) {
		sa->has_vip6 = true;
		sa->pool6 = pc->pool6;
	}
	char a4[INET_ADDRSTRLEN] = "-", a6[INET6_ADDRSTRLEN] = "-";
	if (sa->has_vip4)
		inet_ntop(AF_INET, sa->vip4, a4, sizeof(a4));
	if (sa->has_vip6)
		inet_ntop(AF_INET6, sa->vip6, a6, sizeof(a6));
	if (sa->has_vip4 || sa->has_vip6)
		log_info(LOG_IKE, "%s: assigning virtual IPs %s %s to '%s'", ike_sa_tag(sa), a4, a6,
		         sa->user);
	if ((sa->want_vip4 && pc->pool4 && !sa->has_vip4) ||
	    (sa->want_vip6 && pc->pool6 && !sa->has_vip6))
		log_err(LOG_IKE, "%s: address pool exhausted", ike_sa_tag(sa));
	return sa->has_vip4 || sa->has_vip6;
}

static void write_cp(struct ike_wr *w, struct ike_sa *sa)
{
	struct ike_cp_attr a[IKE_MAX_CP_ATTR];
	uint8_t v6[17];
	int n = 0;
	if (sa->has_vip4)
		a[n++] = (struct ike_cp_attr){ INTERNAL_IP4_ADDRESS, sa->vip4, 4 };
	if (sa->has_vip6) {
		memcpy(v6, sa->vip6, 16);
		v6[16] = 128;
		a[n++] = (struct ike_cp_attr){ INTERNAL_IP6_ADDRESS, v6, 17 };
	}
	/* rightdns, else dns1/dns2 of config setup; nbns1/nbns2 (WINS) */
	struct conf_addr dns[CONF_MAX_NETS], nbns[2];
	/* RADIUS's DNS servers replace the conn's for this client */
	int nd = eap_radius_dns(sa, dns, CONF_MAX_NETS);
	if (!nd)
		nd = config_conn_dns(sa->cfg, dns, CONF_MAX_NETS);
	int nn = config_conn_nbns(sa->cfg, nbns, 2);
	for (int i = 0; i < nd && n < IKE_MAX_CP_ATTR; i++) {
		if (dns[i].family == AF_INET)
			a[n++] = (struct ike_cp_attr){ INTERNAL_IP4_DNS, dns[i].addr, 4 };
		else
			a[n++] = (struct ike_cp_attr){ INTERNAL_IP6_DNS, dns[i].addr, 16 };
	}
	for (int i = 0; i < nn && n < IKE_MAX_CP_ATTR; i++)
		if (nbns[i].family == AF_INET)
			a[n++] = (struct ike_cp_attr){ INTERNAL_IP4_NBNS, nbns[i].addr, 4 };
	ike_wr_cp(w, CFG_REPLY, a, n);
}

/* A conn for this very user (seed 000's `rightid=putin` with a single
 * rightsourceip), found once the user is known: a Windows client names
 * itself by its IP address in IKE and by its user name only in
 * EAP-Identity, so the conn chosen by IKE identities may be the generic
 * one. Switched to when everything negotiated so far holds for it: the
 * same server certificate (or, without one, the same leftid), the same
 * way of authenticating.
 * (strongSwan picks conns by IKE identities only.) */
/* the IKE_SA's algorithms are among pc's ike= proposals */
static bool ike_algs_allowed(const struct ike_sa *sa, const struct peer_cfg *pc)
{
	for (int i = 0; i < pc->ike.n; i++) {
		const struct proposal *p = &pc->ike.p[i];
		bool e = false, g = sa->integ == 0, f = false, h = false;
		for (int j = 0; j < p->n_encr; j++)
			e |= p->encr[j].id == sa->encr && p->encr[j].keybits == sa->keybits;
		for (int j = 0; j < p->n_integ; j++)
			g |= p->integ[j].id == sa->integ;
		for (int j = 0; j < p->n_prf; j++)
			f |= p->prf[j].id == sa->prf;
		for (int j = 0; j < p->n_dh; j++)
			h |= p->dh[j].id == sa->dh_group;
		if (e && g && f && h)
			return true;
	}
	return false;
}

/* sa, authenticated on conn cur, may go on with conn pc instead: the
 * server authenticated with pc's certificate (seed 000's per-user conn
 * has also= the Apple conn's leftid, a Windows client came in on the
 * conn without it) or with cur's leftid, the client the same way, with
 * algorithms pc allows */
static bool may_switch(const struct ike_sa *sa, const struct peer_cfg *cur,
                      const struct peer_cfg *pc)
{
	bool same_server = pc->cert ? cur->cert && X509_cmp(pc->cert, cur->cert) == 0
	                            : !cur->cert && ident_eq(&pc->local_id, &cur->local_id);
	return same_server && pc->conn->right.auth == cur->conn->right.auth &&
	       pc->conn->right.auth2 == cur->conn->right.auth2 && ike_algs_allowed(sa, pc);
}

static void user_conn(struct ike_sa *sa)
{
	struct peer_cfg *cur = sa->cfg;
	/* only for a user proven by a password alone (EAP-MSCHAPv2 or
	 * EAP-MD5 in a single round): a certificate or PSK was checked
	 * against cur's constraints (rightca, rightcert) only, never the
	 * other conn's */
	if (!ident_is_any(&cur->remote_id) || !sa->user[0] || sa->kind != PEER_EAP ||
	    sa->another_round || (sa->eap_method != AUTH_EAP_MSCHAPV2 &&
	                          sa->eap_method != AUTH_EAP_MD5))
		return;
	struct config *cfg = cur->owner;
	for (int i = 0; i < cfg->n_peers; i++) {
		struct peer_cfg *pc = &cfg->peers[i];
		char t[256];
		if (pc == cur || pc->client || ident_is_any(&pc->remote_id))
			continue;
		ident_format(&pc->remote_id, t, sizeof(t));
		if (strcmp(t, sa->user) != 0 || !may_switch(sa, cur, pc))
			continue;
		log_info(LOG_CFG, "%s: user '%s' has a conn of its own: switching from conn '%s' to "
		         "'%s'", ike_sa_tag(sa), sa->user, cur->name, pc->name);
		ike_sa_set_cfg(sa, pc);
		return;
	}
}

/* rightgroups=: a user outside the conn's groups goes on with the first
 * other conn (in the order of the configuration) that fits the IKE_SA
 * (for a client authenticated by EAP alone), is for any client (or for
 * this very user, confirmed) and whose groups the user is in (or that
 * has none), as strongSwan picks among its candidate conns once the peer
 * is authenticated; false when there is none. Groups come from RADIUS
 * (class_group, filter_id): any other user is in no group. */
static bool group_conn(struct ike_sa *sa)
{
	struct peer_cfg *cur = sa->cfg;
	const char *want = cur->conn->right.groups;
	if (eap_radius_member(sa, want))
		return true;
	struct config *cfg = cur->owner;
	/* only a client that proved itself by EAP alone: a certificate or PSK
	 * was checked against cur's constraints only */
	for (int i = 0; sa->kind == PEER_EAP && i < cfg->n_peers; i++) {
		struct peer_cfg *pc = &cfg->peers[i];
		if (pc == cur || pc->client || !may_switch(sa, cur, pc) ||
		    !eap_radius_member(sa, pc->conn->right.groups))
			continue;
		/* a conn for one identity only when that is the user RADIUS
		 * confirmed: the IKE identity is only what the client claims */
		if (!ident_is_any(&pc->remote_id)) {
			char t[256];
			ident_format(&pc->remote_id, t, sizeof(t));
			if (sa->user_unconfirmed || strcmp(t, sa->user) != 0)
				continue;
		}
		log_info(LOG_CFG, "%s: '%s' is in none of conn '%s''s groups (%s): switching to "
		         "conn '%s'", ike_sa_tag(sa), sa->user, cur->name, want, pc->name);
		ike_sa_set_cfg(sa, pc);
		return true;
	}
	log_err(LOG_CFG, "%s: '%s' is in none of conn '%s''s groups (%s), and no other conn "
	        "takes the user", ike_sa_tag(sa), sa->user, cur->name, want);
	return false;
}

/* the end of a successful IKE_AUTH: after our AUTH in w, the virtual IPs
 * (CP), the first CHILD_SA, MOBIKE and AUTH_LIFETIME notifies; the
 * IKE_SA is established and the response sent */
static void session_up(struct daemon *d, struct ike_sa *sa, struct ike_wr *w, uint32_t msgid)
{
	user_conn(sa);
	if (!group_conn(sa))
		return auth_failed(d, sa, msgid, NULL, 0, "not a member of the conn's rightgroups");
	/* the addresses first, the user's older sessions replaced only once
	 * this login will be established: a login that fails leaves them up */
	struct lend lent[LEND_MAX];
	int nl = lend(d, sa, lent);
	char why[300];
	int rv = sa->radius ? eap_radius_vips(d, sa, why, sizeof(why)) : 0;
	if (rv == -1) {
		unlend(sa, lent, nl);
		return auth_failed(d, sa, msgid, NULL, 0, why);
	}
	if (rv == -2)
		log_err(LOG_IKE, "%s: %s", ike_sa_tag(sa), why);
	bool want = sa->want_vip4 || sa->want_vip6;
	bool pools = sa->cfg->pool4 || sa->cfg->pool6;
	uint16_t err = 0;
	if (!sa->has_cp && pools) {
		err = N_FAILED_CP_REQUIRED;
	} else if (rv == -2 || (want && !assign_vips(sa))) {
		err = N_INTERNAL_ADDRESS_FAILURE;
	}
	if (err) {
		unlend(sa, lent, nl);
	} else {
		lent_gone(lent, nl);
		enforce_unique(d, sa);
		eap_radius_routes(d, sa);
		if (sa->has_cp)
			write_cp(w, sa);
		size_t mark = w->len;
		struct ike_wr saved = *w;
		struct child_params cp = {
			.first = true, .ni = sa->ni, .ni_len = sa->ni_len,
			.nr = sa->nr, .nr_len = sa->nr_len,
		};
		err = child_sa_create(d, sa, sa->child_props, sa->n_child_props, sa->req_tsi,
		                      sa->n_req_tsi, sa->req_tsr, sa->n_req_tsr, &cp, w);
		if (err) {
			*w = saved;
			w->len = mark;
		}
	}
	if (err)
		ike_wr_notify(w, PROTO_ESP, NULL, 0, err, NULL, 0);
	if (sa->peer_mobike)
		ike_wr_notify(w, 0, NULL, 0, N_MOBIKE_SUPPORTED, NULL, 0);
	const struct conf_conn *cc = sa->cfg->conn;
	/* RFC 4478: a server cannot reauthenticate a client itself; it
	 * tells the client to do so before the IKE_SA expires, or before
	 * RADIUS's Session-Timeout ends the session */
	uint32_t t = 0;
	if (cc->rekey && cc->reauth)
		t = cc->ikelifetime > cc->margintime ? cc->ikelifetime - cc->margintime
		                                     : cc->ikelifetime;
	uint32_t rt = sa->radius ? eap_radius_established(d, sa) : 0;
	if (rt && (!t || rt < t))
		t = rt;
	if (t) {
		uint8_t v[4] = { (uint8_t)(t >> 24), (uint8_t)(t >> 16), (uint8_t)(t >> 8), (uint8_t)t };
		ike_wr_notify(w, 0, NULL, 0, N_AUTH_LIFETIME, v, 4);
	}
	ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	d->n_established++;
	char outcome[128];
	snprintf(outcome, sizeof(outcome), "connection established%s%s",
	         err ? " without a CHILD_SA: " : "", err ? ike_notify_name(err) : "");
	ike_sa_log_outcome(sa, outcome);
	ike_sa_send_encrypted(d, sa, IKE_AUTH, true, msgid, w);
	OPENSSL_cleanse(w->buf, w->len < w->cap ? w->len : w->cap);  /* an AUTH from a key */
}

static void final_auth(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	uint8_t *buf = d->buf_auth;
	uint8_t expect[PRF_MAX_OUT], mine[PRF_MAX_OUT];
	if (!m->has_auth || m->auth_method != AUTHM_PSK || m->auth_len != sa->prf_len)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "AUTH with the EAP key expected");
	if (psk_auth(sa, false, expect) != 0 ||
	    CRYPTO_memcmp(expect, m->auth, sa->prf_len) != 0) {
		OPENSSL_cleanse(expect, sizeof(expect));
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "the client's AUTH does not match the EAP key");
	}
	OPENSSL_cleanse(expect, sizeof(expect));
	if (psk_auth(sa, true, mine) != 0)
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "AUTH computation failed");
	if (kept_elsewhere(d, sa))
		return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "the user has a session already (uniqueids=keep)");

	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(d->buf_auth));
	ike_wr_auth(&w, AUTHM_PSK, mine, sa->prf_len);
	OPENSSL_cleanse(mine, sizeof(mine));
	session_up(d, sa, &w, m->hdr.msgid);
}

void ike_auth_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	if (sa->client) {
		/* IKE_AUTH requests come from initiators, and we are it */
		ike_reply_notify(d, sa, m, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	if (sa->busy) {
		/* the answer to the previous request is still being made (a
		 * crypto worker signs it): a client waits for it before its next
		 * request, so this one is not taken, as if lost */
		sa->msgid_next--;
		return;
	}
	switch (sa->state) {
	case IKE_S_INIT_DONE:
		if (!m->count[PL_SA - 32] || !m->count[PL_TSI - 32] || !m->count[PL_TSR - 32]) {
			/* the shape of a later round's request (RFC 4739) */
			ike_reply_notify(d, sa, m, N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		if (!m->idi.present)
			return auth_failed(d, sa, m->hdr.msgid, NULL, 0, "IDi missing");
		first_auth(d, sa, m);
		break;
	case IKE_S_AUTH2:
		second_auth(d, sa, m);
		break;
	case IKE_S_EAP:
		eap_round(d, sa, m);
		break;
	case IKE_S_EAP_DONE:
		final_auth(d, sa, m);
		break;
	default:
		ike_reply_notify(d, sa, m, N_INVALID_SYNTAX, NULL, 0);
		break;
	}
}
