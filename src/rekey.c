/* CREATE_CHILD_SA as responder: new and rekeyed CHILD_SAs (with PFS when
 * the proposal has a DH group), and IKE_SA rekeying, which moves the
 * CHILD_SAs, the virtual IPs and the user to a new IKE_SA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/dh.h"
#include "src/child_sa.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/esp.h"
#include "src/ike.h"
#include "src/ike_keys.h"
#include "src/log.h"
#include "src/proposal_select.h"
#include "src/rekey.h"

#define NONCE_LEN 32
/* how long a rekeyed IKE_SA waits for the peer's DELETE */
#define REKEYED_LINGER 30

/* our half of a DH exchange for the peer's KE: public value in pub,
 * shared secret in secret; 0 on success */
static int key_exchange(uint16_t group, const struct ike_msg *m, uint8_t *pub, size_t *publen,
                        uint8_t *secret, size_t *secretlen)
{
	*publen = dh_pub_len(group);
	*secretlen = dh_secret_len(group);
	if (m->ke_len != *publen)
		return -1;
	struct dh *dh = dh_new(group);
	int rc = dh && dh_public(dh, pub, *publen) == 0 &&
	         dh_shared(dh, m->ke, m->ke_len, secret, *secretlen) == 0 ? 0 : -1;
	dh_free(dh);
	return rc;
}

static void reply_invalid_ke(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                             uint16_t group)
{
	uint8_t g[2] = { (uint8_t)(group >> 8), (uint8_t)group };
	ike_reply_notify(d, sa, m, N_INVALID_KE_PAYLOAD, g, 2);
}

static void rekey_ike(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct selected sel;
	struct ike_prop out;
	uint8_t pub[1024], secret[1024], nr[NONCE_LEN];
	size_t publen, slen;
	if (proposal_select(m->props, m->n_props, PROTO_IKE, &sa->cfg->ike, false, m->ke_group,
	                    &sel, &out) != 0 || out.spi_size != 8) {
		log_info(LOG_CFG, "%s: no acceptable proposal to rekey the IKE_SA", ike_sa_tag(sa));
		ike_reply_notify(d, sa, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (!m->has_ke || m->ke_group != sel.dh) {
		reply_invalid_ke(d, sa, m, sel.dh);
		return;
	}
	if (key_exchange(sel.dh, m, pub, &publen, secret, &slen) != 0 ||
	    RAND_bytes(nr, sizeof(nr)) != 1) {
		OPENSSL_cleanse(secret, sizeof(secret));
		ike_reply_notify(d, sa, m, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	struct ike_sa *n = ike_sa_new(d, out.spi, (struct sockaddr *)&sa->peer, sa->peer_len,
	                              (struct sockaddr *)&sa->local, sa->local_len);
	if (!n) {
		OPENSSL_cleanse(secret, sizeof(secret));
		ike_reply_notify(d, sa, m, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	n->encr = sel.encr;
	n->keybits = sel.keybits;
	n->integ = sel.integ;
	n->prf = sel.prf;
	n->dh_group = sel.dh;
	n->ni = malloc(m->nonce_len);
	n->nr = malloc(sizeof(nr));
	if (!n->ni || !n->nr) {
		OPENSSL_cleanse(secret, sizeof(secret));
		ike_sa_set_state(n, IKE_S_DEAD);
		ike_reply_notify(d, sa, m, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	memcpy(n->ni, m->nonce, m->nonce_len);
	n->ni_len = m->nonce_len;
	memcpy(n->nr, nr, sizeof(nr));
	n->nr_len = sizeof(nr);
	int krc = ike_keys_derive_rekey(n, sa, secret, slen);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (krc != 0) {
		ike_sa_set_state(n, IKE_S_DEAD);
		ike_reply_notify(d, sa, m, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}

	/* everything the session is moves to the new IKE_SA */
	n->cfg = sa->cfg;
	n->idi = sa->idi;
	memcpy(n->idi_body, sa->idi_body, sa->idi_body_len);
	n->idi_body_len = sa->idi_body_len;
	memcpy(n->idr_body, sa->idr_body, sa->idr_body_len);
	n->idr_body_len = sa->idr_body_len;
	memcpy(n->user, sa->user, sizeof(n->user));
	n->sig_hashes = sa->sig_hashes;
	n->peer_frag = sa->peer_frag;
	n->peer_mobike = sa->peer_mobike;
	n->has_vip4 = sa->has_vip4;
	n->has_vip6 = sa->has_vip6;
	memcpy(n->vip4, sa->vip4, 4);
	memcpy(n->vip6, sa->vip6, 16);
	n->pool4 = sa->pool4;
	n->pool6 = sa->pool6;
	memcpy(n->child, sa->child, sizeof(sa->child));
	n->n_child = sa->n_child;
	for (int i = 0; i < n->n_child; i++)
		if (n->child[i].esp)
			n->child[i].esp->ike_id = n->id;
	n->msgid_next = 0;
	n->our_msgid = 0;
	n->last_in = now_sec();
	n->created = sa->created;
	sa->n_child = 0;
	sa->has_vip4 = sa->has_vip6 = false;

	uint8_t buf[2048];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	memcpy(out.spi, n->spi_r, 8);
	ike_wr_sa(&w, &out);
	ike_wr_nonce(&w, nr, sizeof(nr));
	ike_wr_ke(&w, sel.dh, pub, publen);
	char chosen[256];
	selected_format(&sel, PROTO_IKE, chosen, sizeof(chosen));
	log_info(LOG_IKE, "%s: IKE_SA rekeyed by the peer into #%u (%s)", ike_sa_tag(sa), n->id,
	         chosen);
	ike_sa_send_encrypted(d, sa, CREATE_CHILD_SA, true, m->hdr.msgid, &w);
	ike_sa_set_state(n, IKE_S_ESTABLISHED);

	/* the old IKE_SA only waits for the peer's DELETE now */
	if (sa->req_timer)
		evtimer_del(sa->req_timer);
	if (sa->dpd_timer)
		evtimer_del(sa->dpd_timer);
	sa->req_kind = REQ_NONE;
	ike_sa_set_state(sa, IKE_S_REKEYED);
	if (sa->timer) {
		struct timeval tv = { REKEYED_LINGER, 0 };
		evtimer_add(sa->timer, &tv);
	}
}

void ike_child_request(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	if (sa->state != IKE_S_ESTABLISHED) {
		ike_reply_notify(d, sa, m, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
	for (int i = 0; i < m->n_props; i++) {
		if (m->props[i].proto == PROTO_IKE) {
			rekey_ike(d, sa, m);
			return;
		}
	}
	/* a CHILD_SA rekey names the SA by the peer's inbound SPI */
	const struct ike_notify *rk = ike_find_notify(m, N_REKEY_SA);
	int old = -1;
	if (rk) {
		if (rk->proto != PROTO_ESP || rk->spi_size != 4) {
			ike_reply_notify(d, sa, m, N_INVALID_SYNTAX, NULL, 0);
			return;
		}
		uint32_t spi = (uint32_t)rk->spi[0] << 24 | (uint32_t)rk->spi[1] << 16 |
		               (uint32_t)rk->spi[2] << 8 | rk->spi[3];
		for (int i = 0; i < sa->n_child; i++)
			if (sa->child[i].spi_out == spi)
				old = i;
		if (old < 0) {
			log_info(LOG_IKE, "%s: rekey of unknown CHILD_SA %08x", ike_sa_tag(sa), spi);
			ike_reply_notify(d, sa, m, N_CHILD_SA_NOT_FOUND, NULL, 0);
			return;
		}
	}
	if (!m->n_tsi || !m->n_tsr) {
		ike_reply_notify(d, sa, m, N_TS_UNACCEPTABLE, NULL, 0);
		return;
	}
	struct selected sel;
	struct ike_prop out;
	uint16_t ke = m->has_ke ? m->ke_group : 0;
	if (proposal_select(m->props, m->n_props, PROTO_ESP, &sa->cfg->esp, false, ke, &sel,
	                    &out) != 0) {
		char offer[1024];
		peer_props_format(m->props, m->n_props, offer, sizeof(offer));
		log_info(LOG_CFG, "%s: no acceptable ESP proposal in %s", ike_sa_tag(sa), offer);
		ike_reply_notify(d, sa, m, N_NO_PROPOSAL_CHOSEN, NULL, 0);
		return;
	}
	if (sel.dh && ke != sel.dh) {
		reply_invalid_ke(d, sa, m, sel.dh);
		return;
	}
	uint8_t pub[1024], secret[1024], nr[NONCE_LEN];
	size_t publen = 0, slen = 0;
	if ((sel.dh && key_exchange(sel.dh, m, pub, &publen, secret, &slen) != 0) ||
	    RAND_bytes(nr, sizeof(nr)) != 1) {
		OPENSSL_cleanse(secret, sizeof(secret));
		ike_reply_notify(d, sa, m, N_INVALID_SYNTAX, NULL, 0);
		return;
	}
	uint8_t buf[2048];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	struct child_params cp = {
		.ke_group = ke, .dh = sel.dh ? secret : NULL, .dh_len = sel.dh ? slen : 0,
		.ni = m->nonce, .ni_len = m->nonce_len, .nr = nr, .nr_len = sizeof(nr),
	};
	uint32_t old_in = old >= 0 ? sa->child[old].spi_in : 0;
	uint16_t err = child_sa_create(d, sa, m->props, m->n_props, m->tsi, m->n_tsi, m->tsr,
	                               m->n_tsr, &cp, &w);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (err) {
		ike_reply_notify(d, sa, m, err, NULL, 0);
		return;
	}
	ike_wr_nonce(&w, nr, sizeof(nr));
	if (sel.dh)
		ike_wr_ke(&w, sel.dh, pub, publen);
	if (old >= 0)
		log_info(LOG_IKE, "%s: CHILD_SA %08x_i rekeyed by the peer into %08x_i%s",
		         ike_sa_tag(sa), old_in, sa->child[sa->n_child - 1].spi_in,
		         sel.dh ? " with PFS" : "");
	ike_sa_send_encrypted(d, sa, CREATE_CHILD_SA, true, m->hdr.msgid, &w);
}

void rekey_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                    enum req_kind kind)
{
	/* the server starts no rekeying yet (rekey=yes is reported as not
	 * implemented at start) */
	log_info(LOG_IKE, "%s: unexpected CREATE_CHILD_SA response", ike_sa_tag(sa));
}
