/* CREATE_CHILD_SA as responder: new and rekeyed CHILD_SAs (with PFS when
 * the proposal has a DH group), and IKE_SA rekeying, which moves the
 * CHILD_SAs, the virtual IPs and the user to a new IKE_SA. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/algs.h"
#include "crypto/dh.h"
#include "src/child_sa.h"
#include "src/client.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/eap_radius.h"
#include "src/ike.h"
#include "src/ike_keys.h"
#include "src/log.h"
#include "src/proposal_select.h"
#include "src/radius_dae.h"
#include "src/redirect.h"
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

/* nonces compared as big-endian numbers of their bytes */
static int nonce_cmp(const uint8_t *a, size_t alen, const uint8_t *b, size_t blen)
{
	int c = memcmp(a, b, alen < blen ? alen : blen);
	return c ? c : (alen > blen) - (alen < blen);
}

static void reply_invalid_ke(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                             uint16_t group)
{
	uint8_t g[2] = { (uint8_t)(group >> 8), (uint8_t)group };
	ike_reply_notify(d, sa, m, N_INVALID_KE_PAYLOAD, g, 2);
}

/* everything the session is moves from the old IKE_SA to its successor */
static void move_session(struct ike_sa *n, struct ike_sa *sa)
{
	ike_sa_set_cfg(n, sa->cfg);
	n->idi = sa->idi;
	memcpy(n->idi_body, sa->idi_body, sa->idi_body_len);
	n->idi_body_len = sa->idi_body_len;
	memcpy(n->idr_body, sa->idr_body, sa->idr_body_len);
	n->idr_body_len = sa->idr_body_len;
	memcpy(n->user, sa->user, sizeof(n->user));
	n->user_unconfirmed = sa->user_unconfirmed;
	n->sig_hashes = sa->sig_hashes;
	n->peer_frag = sa->peer_frag;
	n->peer_mobike = sa->peer_mobike;
	n->peer_redirect = sa->peer_redirect;
	n->has_vip4 = sa->has_vip4;
	n->has_vip6 = sa->has_vip6;
	memcpy(n->vip4, sa->vip4, 4);
	memcpy(n->vip6, sa->vip6, 16);
	n->pool4 = sa->pool4;
	n->pool6 = sa->pool6;
	n->client = sa->client;
	n->got = sa->got;
	eap_radius_move(sa, n);
	radius_dae_moved(n->d, sa->id, n->id);
	memcpy(n->child, sa->child, sizeof(sa->child));
	n->n_child = sa->n_child;
	for (int i = 0; i < n->n_child; i++)
		if (n->child[i].installed)
			dp_sa_set_owner(n->d->dp, n->child[i].spi_in, n->id);
	n->msgid_next = 0;
	n->our_msgid = 0;
	n->last_in = now_sec();
	sa->n_child = 0;
	sa->has_vip4 = sa->has_vip6 = false;
}

/* the old IKE_SA after a rekey: only its DELETE is left */
static void retire(struct ike_sa *sa)
{
	if (sa->req_timer)
		evtimer_del(sa->req_timer);
	if (sa->dpd_timer)
		evtimer_del(sa->dpd_timer);
	if (sa->life_timer)
		evtimer_del(sa->life_timer);
	sa->req_kind = REQ_NONE;
	ike_sa_set_state(sa, IKE_S_REKEYED);
	if (sa->timer) {
		struct timeval tv = { REKEYED_LINGER, 0 };
		evtimer_add(sa->timer, &tv);
	}
}

static void rekey_ike(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct selected sel;
	struct ike_prop out;
	uint8_t pub[1024], secret[1024], nr[NONCE_LEN];
	size_t publen, slen;
	if (sa->req_kind == REQ_REKEY_IKE || sa->req_kind == REQ_DELETE ||
	    sa->req_kind == REQ_REDIRECT) {
		/* we are rekeying, deleting or redirecting it ourselves: the
		 * peer retries later if it still wants to (RFC 7296 §2.25) */
		ike_reply_notify(d, sa, m, N_TEMPORARY_FAILURE, NULL, 0);
		return;
	}
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

	move_session(n, sa);

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
	redirect_rekeyed(d, sa, n);

	/* the old IKE_SA only waits for the peer's DELETE now */
	retire(sa);
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
		if (sa->req_kind == REQ_DELETE_CHILD && sa->child[old].spi_in == sa->rk_old_spi_in) {
			/* RFC 7296 §2.25.1: it is being closed */
			ike_reply_notify(d, sa, m, N_TEMPORARY_FAILURE, NULL, 0);
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
	cp.reqid = old >= 0 ? sa->child[old].reqid : 0;
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
	if (old >= 0 && sa->req_kind == REQ_REKEY_CHILD && old_in == sa->rk_old_spi_in) {
		/* a collision with our own rekey of it: remember the lowest
		 * nonce of this exchange to decide which new SA goes */
		bool peer_low = nonce_cmp(m->nonce, m->nonce_len, nr, sizeof(nr)) < 0;
		const uint8_t *low = peer_low ? m->nonce : nr;
		size_t lowlen = peer_low ? m->nonce_len : sizeof(nr);
		sa->collided = true;
		memcpy(sa->coll_nonce, low, lowlen);
		sa->coll_nonce_len = lowlen;
		sa->coll_spi_in = sa->child[sa->n_child - 1].spi_in;
	}
	ike_sa_send_encrypted(d, sa, CREATE_CHILD_SA, true, m->hdr.msgid, &w);
}

/* ---- rekeying started by the server (rekey=yes) ---- */

static uint64_t fuzzed(uint64_t created, uint32_t life, const struct conf_conn *c)
{
	uint32_t margin = c->margintime < life ? c->margintime : life / 2;
	uint64_t spread = (uint64_t)margin * c->rekeyfuzz / 100;
	uint32_t r = 0;
	if (spread)
		RAND_bytes((uint8_t *)&r, sizeof(r));
	return created + life - margin - (spread ? r % (spread + 1) : 0);
}

static void child_times(struct ike_sa *sa, struct child_sa *c)
{
	const struct conf_conn *conn = sa->cfg->conn;
	c->rekey_at = fuzzed(c->created, conn->lifetime, conn);
	c->expire_at = c->created + conn->lifetime;
}

/* one proposal with the current algorithms (known acceptable to both) */
static void current_prop(struct ike_prop *p, uint8_t proto, uint16_t encr, uint16_t keybits,
                         uint16_t integ, uint16_t prf, uint16_t dh)
{
	memset(p, 0, sizeof(*p));
	p->num = 1;
	p->proto = proto;
	p->xf[p->n_xf++] = (struct ike_xf){ XF_ENCR, encr, keybits, false };
	if (prf)
		p->xf[p->n_xf++] = (struct ike_xf){ XF_PRF, prf, 0, false };
	if (integ)
		p->xf[p->n_xf++] = (struct ike_xf){ XF_INTEG, integ, 0, false };
	if (dh)
		p->xf[p->n_xf++] = (struct ike_xf){ XF_DH, dh, 0, false };
	if (proto == PROTO_ESP)
		p->xf[p->n_xf++] = (struct ike_xf){ XF_ESN, ESN_NO, 0, false };
}

/* the PFS group for our CHILD_SA rekeys: the first of the conn's ESP
 * proposals that has the cipher in use */
static uint16_t pfs_group(const struct ike_sa *sa, const struct child_sa *c)
{
	const struct proposal_list *l = &sa->cfg->esp;
	for (int i = 0; i < l->n; i++)
		for (int j = 0; j < l->p[i].n_encr; j++)
			if (l->p[i].encr[j].id == c->encr && l->p[i].encr[j].keybits == c->keybits)
				return l->p[i].n_dh ? l->p[i].dh[0].id : 0;
	return 0;
}

static void reset_pending(struct ike_sa *sa)
{
	sa->collided = false;
	dh_free(sa->rk_dh);
	sa->rk_dh = NULL;
	OPENSSL_cleanse(sa->rk_nonce, sizeof(sa->rk_nonce));
}

static int start_child_rekey(struct daemon *d, struct ike_sa *sa, struct child_sa *c)
{
	uint16_t group = pfs_group(sa, c);
	uint8_t pub[1024], buf[2048];
	size_t publen = group ? dh_pub_len(group) : 0;
	reset_pending(sa);
	if (RAND_bytes(sa->rk_nonce, sizeof(sa->rk_nonce)) != 1)
		return -1;
	if (group && (!(sa->rk_dh = dh_new(group)) || dh_public(sa->rk_dh, pub, publen) != 0))
		return -1;
	sa->rk_spi_in = dp_spi_new(d->dp);
	sa->rk_old_spi_in = c->spi_in;
	struct ike_prop p;
	current_prop(&p, PROTO_ESP, c->encr, c->keybits, c->integ, 0, group);
	p.spi_size = 4;
	p.spi[0] = (uint8_t)(sa->rk_spi_in >> 24);
	p.spi[1] = (uint8_t)(sa->rk_spi_in >> 16);
	p.spi[2] = (uint8_t)(sa->rk_spi_in >> 8);
	p.spi[3] = (uint8_t)sa->rk_spi_in;
	uint8_t old[4] = { (uint8_t)(c->spi_in >> 24), (uint8_t)(c->spi_in >> 16),
	                   (uint8_t)(c->spi_in >> 8), (uint8_t)c->spi_in };
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_notify(&w, PROTO_ESP, old, 4, N_REKEY_SA, NULL, 0);
	ike_wr_sa(&w, &p);
	ike_wr_nonce(&w, sa->rk_nonce, sizeof(sa->rk_nonce));
	if (group)
		ike_wr_ke(&w, group, pub, publen);
	/* we are the initiator of this exchange: our selectors first */
	ike_wr_ts(&w, PL_TSI, c->tsr, c->n_tsr);
	ike_wr_ts(&w, PL_TSR, c->tsi, c->n_tsi);
	log_info(LOG_IKE, "%s: rekeying CHILD_SA %08x_i (lifetime %us)", ike_sa_tag(sa), c->spi_in,
	         sa->cfg->conn->lifetime);
	return ike_sa_request(d, sa, CREATE_CHILD_SA, &w, REQ_REKEY_CHILD);
}

static int start_ike_rekey(struct daemon *d, struct ike_sa *sa)
{
	uint8_t pub[1024], buf[2048];
	size_t publen = dh_pub_len(sa->dh_group);
	reset_pending(sa);
	do {
		if (RAND_bytes(sa->rk_spi, 8) != 1)
			return -1;
	} while (ike_sa_by_our_spi(d, sa->rk_spi));
	if (RAND_bytes(sa->rk_nonce, sizeof(sa->rk_nonce)) != 1 ||
	    !(sa->rk_dh = dh_new(sa->dh_group)) || dh_public(sa->rk_dh, pub, publen) != 0)
		return -1;
	struct ike_prop p;
	current_prop(&p, PROTO_IKE, sa->encr, sa->keybits, sa->integ, sa->prf, sa->dh_group);
	p.spi_size = 8;
	memcpy(p.spi, sa->rk_spi, 8);
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_sa(&w, &p);
	ike_wr_nonce(&w, sa->rk_nonce, sizeof(sa->rk_nonce));
	ike_wr_ke(&w, sa->dh_group, pub, publen);
	log_info(LOG_IKE, "%s: rekeying the IKE_SA (ikelifetime %us)", ike_sa_tag(sa),
	         sa->cfg->conn->ikelifetime);
	return ike_sa_request(d, sa, CREATE_CHILD_SA, &w, REQ_REKEY_IKE);
}

static void delete_child_request(struct daemon *d, struct ike_sa *sa, uint32_t spi_in)
{
	uint8_t buf[64], spi[4] = { (uint8_t)(spi_in >> 24), (uint8_t)(spi_in >> 16),
	                            (uint8_t)(spi_in >> 8), (uint8_t)spi_in };
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_delete(&w, PROTO_ESP, 4, spi, 1);
	sa->rk_old_spi_in = spi_in;
	ike_sa_request(d, sa, INFORMATIONAL, &w, REQ_DELETE_CHILD);
}

static void life_tick(evutil_socket_t fd, short what, void *arg)
{
	struct ike_sa *sa = arg;
	struct daemon *d = sa->d;
	uint64_t now = now_sec();
	struct timeval tv = { 1, 0 };
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	evtimer_add(sa->life_timer, &tv);
	if (sa->expire_at && now >= sa->expire_at) {
		log_err(LOG_IKE, "%s: IKE_SA of '%s' reached its ikelifetime, deleting it",
		        ike_sa_tag(sa), sa->user);
		ike_sa_send_delete(d, sa);
		ike_sa_set_state(sa, IKE_S_DEAD);
		ike_sa_reap(d);
		return;
	}
	for (int i = 0; i < sa->n_child; i++) {
		struct child_sa *c = &sa->child[i];
		if (!c->expire_at)
			child_times(sa, c);
		if (now >= c->expire_at && sa->req_kind == REQ_NONE) {
			log_info(LOG_IKE, "%s: CHILD_SA %08x_i reached its lifetime", ike_sa_tag(sa),
			         c->spi_in);
			delete_child_request(d, sa, c->spi_in);
			return;
		}
	}
	if (sa->req_kind != REQ_NONE)
		return;
	if (sa->rekey_at && now >= sa->rekey_at) {
		if (sa->client && (sa->cfg->conn->reauth || !sa->cfg->conn->rekey)) {
			/* reauth=yes, or the server's AUTH_LIFETIME: a new IKE_SA */
			sa->rekey_at = 0;
			client_reauth(d, sa);
			return;
		}
		if (!sa->cfg->conn->reauth) {
			if (start_ike_rekey(d, sa) != 0)
				sa->rekey_at = now + 10;
			return;
		}
	}
	for (int i = 0; i < sa->n_child; i++) {
		struct child_sa *c = &sa->child[i];
		if (now >= c->rekey_at && c->rekey_at) {
			if (start_child_rekey(d, sa, c) != 0)
				c->rekey_at = now + 10;
			return;
		}
	}
}

void rekey_child_seq(struct daemon *d, uint32_t ike_id, uint32_t spi_in, bool exhausted)
{
	struct ike_sa *sa = ike_sa_by_id(d, ike_id);
	if (!sa || sa->state != IKE_S_ESTABLISHED)
		return;
	struct child_sa *c = NULL;
	for (int i = 0; i < sa->n_child; i++)
		if (sa->child[i].spi_in == spi_in)
			c = &sa->child[i];
	if (!c)
		return;
	bool rekey = sa->cfg->conn->rekey;
	if (exhausted) {
		log_err(LOG_ESP, "%s: CHILD_SA %08x_i has used all 2^32 ESP sequence numbers: "
		        "outbound packets are dropped until %s", ike_sa_tag(sa), c->spi_in,
		        rekey ? "its rekey completes" : "the client rekeys or reconnects (rekey=no)");
		return;
	}
	if (!rekey) {
		log_err(LOG_ESP, "%s: CHILD_SA %08x_i is near the end of its ESP sequence numbers; "
		        "rekey=no, so it stops sending at 2^32 packets unless the client rekeys it",
		        ike_sa_tag(sa), c->spi_in);
		return;
	}
	if (!c->expire_at)
		child_times(sa, c);
	if (c->rekey_at == UINT64_MAX)
		return;         /* already replaced, deleted next */
	log_info(LOG_ESP, "%s: CHILD_SA %08x_i is near the end of its ESP sequence numbers, "
	         "rekeying it", ike_sa_tag(sa), c->spi_in);
	c->rekey_at = now_sec();        /* life_tick starts it within a second */
}

void rekey_start_timer(struct ike_sa *sa)
{
	if (!sa->life_timer)
		sa->life_timer = evtimer_new(sa->d->base, life_tick, sa);
	struct timeval tv = { 1, 0 };
	if (sa->life_timer && !evtimer_pending(sa->life_timer, NULL))
		evtimer_add(sa->life_timer, &tv);
}

void rekey_start(struct ike_sa *sa)
{
	const struct conf_conn *c = sa->cfg->conn;
	if (!c->rekey)
		return;
	sa->expire_at = sa->created + c->ikelifetime;
	/* a server cannot reauthenticate a client: with reauth=yes it lets
	 * the IKE_SA expire (having told the client so, RFC 4478); a client
	 * reauthenticates itself before that */
	sa->rekey_at = c->reauth && !sa->client ? sa->expire_at
	                                        : fuzzed(sa->created, c->ikelifetime, c);
	rekey_start_timer(sa);
}

/* the single proposal the peer chose from ours */
static int chosen(const struct ike_msg *m, uint8_t proto, struct selected *sel, uint8_t *spi)
{
	if (m->n_props != 1 || m->props[0].proto != proto ||
	    m->props[0].spi_size != (proto == PROTO_IKE ? 8 : 4))
		return -1;
	memset(sel, 0, sizeof(*sel));
	const struct ike_prop *p = &m->props[0];
	for (int i = 0; i < p->n_xf; i++) {
		switch (p->xf[i].type) {
		case XF_ENCR: sel->encr = p->xf[i].id; sel->keybits = p->xf[i].keybits; break;
		case XF_INTEG: sel->integ = p->xf[i].id; break;
		case XF_PRF: sel->prf = p->xf[i].id; break;
		case XF_DH: sel->dh = p->xf[i].id; break;
		default: break;
		}
	}
	memcpy(spi, p->spi, p->spi_size);
	return 0;
}

static void child_rekeyed(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct selected sel;
	uint8_t spi[8], secret[1024];
	size_t slen = 0;
	int old = -1;
	for (int i = 0; i < sa->n_child; i++)
		if (sa->child[i].spi_in == sa->rk_old_spi_in)
			old = i;
	if (old < 0 || sa->n_child >= IKE_MAX_CHILD || chosen(m, PROTO_ESP, &sel, spi) != 0 ||
	    !m->nonce || (sel.dh && (!sa->rk_dh || !m->has_ke || m->ke_group != sel.dh))) {
		log_info(LOG_IKE, "%s: unusable CREATE_CHILD_SA response", ike_sa_tag(sa));
		return;
	}
	struct child_sa *oc = &sa->child[old];
	if (sel.dh) {
		slen = dh_secret_len(sel.dh);
		if (dh_shared(sa->rk_dh, m->ke, m->ke_len, secret, slen) != 0)
			return;
	}
	struct child_sa *c = &sa->child[sa->n_child];
	*c = *oc;
	c->installed = false;
	/* our request's selectors were the old SA's; the peer may narrow */
	if (child_sa_take_rekey_ts(c, m) != 0) {
		OPENSSL_cleanse(secret, sizeof(secret));
		log_info(LOG_IKE, "%s: CREATE_CHILD_SA response without our traffic selectors "
		         "or wider than them, unusable", ike_sa_tag(sa));
		oc->rekey_at = now_sec() + 10;  /* try again later, as after a refusal */
		return;
	}
	c->spi_in = sa->rk_spi_in;
	c->spi_out = (uint32_t)spi[0] << 24 | (uint32_t)spi[1] << 16 | (uint32_t)spi[2] << 8 | spi[3];
	c->encr = sel.encr;
	c->keybits = sel.keybits;
	c->integ = sel.integ;
	c->created = now_sec();
	c->expire_at = 0;
	struct dp_sa_params dp;
	memset(&dp, 0, sizeof(dp));
	int rc = ike_keys_child(sa, true, sel.encr, sel.keybits, sel.integ,
	                        sel.dh ? secret : NULL, slen, sa->rk_nonce, sizeof(sa->rk_nonce),
	                        m->nonce, m->nonce_len, &dp);
	OPENSSL_cleanse(secret, sizeof(secret));
	if (rc != 0) {
		dp_sa_params_wipe(&dp);
		return;
	}
	if (child_sa_install(d, sa, c, &dp) != 0)
		return;
	child_times(sa, c);
	oc->rekey_at = oc->expire_at = UINT64_MAX;   /* deleted next */
	log_info(LOG_IKE, "%s: CHILD_SA %08x_i rekeyed into %08x_i %08x_o%s", ike_sa_tag(sa),
	         oc->spi_in, c->spi_in, c->spi_out, sel.dh ? " with PFS" : "");
	if (sa->collided) {
		/* RFC 7296 §2.8.1: of the two new SAs, the one made with the
		 * lowest of the four nonces is closed by whoever made it; the
		 * maker of the other deletes the old SA */
		sa->collided = false;
		bool peer_low = nonce_cmp(m->nonce, m->nonce_len, sa->rk_nonce,
		                          sizeof(sa->rk_nonce)) < 0;
		const uint8_t *low = peer_low ? m->nonce : sa->rk_nonce;
		size_t lowlen = peer_low ? m->nonce_len : sizeof(sa->rk_nonce);
		if (nonce_cmp(low, lowlen, sa->coll_nonce, sa->coll_nonce_len) < 0) {
			log_info(LOG_IKE, "%s: rekey collision: our CHILD_SA %08x_i is redundant, "
			         "closing it", ike_sa_tag(sa), c->spi_in);
			delete_child_request(d, sa, c->spi_in);
			return;
		}
		log_info(LOG_IKE, "%s: rekey collision: the peer closes its CHILD_SA %08x_i",
		         ike_sa_tag(sa), sa->coll_spi_in);
	}
	delete_child_request(d, sa, oc->spi_in);
}

static void ike_rekeyed(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct selected sel;
	uint8_t spi[8], secret[1024];
	if (chosen(m, PROTO_IKE, &sel, spi) != 0 || !m->nonce || !m->has_ke ||
	    m->ke_group != sa->dh_group || !sa->rk_dh) {
		log_info(LOG_IKE, "%s: unusable IKE_SA rekey response", ike_sa_tag(sa));
		return;
	}
	size_t slen = dh_secret_len(sa->dh_group);
	if (dh_shared(sa->rk_dh, m->ke, m->ke_len, secret, slen) != 0)
		return;
	static const uint8_t zero[8];
	struct ike_sa *n = ike_sa_new(d, zero, (struct sockaddr *)&sa->peer, sa->peer_len,
	                              (struct sockaddr *)&sa->local, sa->local_len);
	if (!n) {
		OPENSSL_cleanse(secret, sizeof(secret));
		return;
	}
	/* the side that rekeys is the new IKE_SA's original initiator */
	ike_sa_set_initiator(d, n, sa->rk_spi, spi);
	n->encr = sel.encr;
	n->keybits = sel.keybits;
	n->integ = sel.integ;
	n->prf = sel.prf;
	n->dh_group = sa->dh_group;
	n->ni = malloc(sizeof(sa->rk_nonce));
	n->nr = malloc(m->nonce_len);
	int krc = -1;
	if (n->ni && n->nr) {
		memcpy(n->ni, sa->rk_nonce, sizeof(sa->rk_nonce));
		n->ni_len = sizeof(sa->rk_nonce);
		memcpy(n->nr, m->nonce, m->nonce_len);
		n->nr_len = m->nonce_len;
		krc = ike_keys_derive_rekey(n, sa, secret, slen);
	}
	OPENSSL_cleanse(secret, sizeof(secret));
	if (krc != 0) {
		ike_sa_set_state(n, IKE_S_DEAD);
		return;
	}
	move_session(n, sa);
	log_info(LOG_IKE, "%s: IKE_SA rekeyed into #%u", ike_sa_tag(sa), n->id);
	ike_sa_set_state(n, IKE_S_ESTABLISHED);
	redirect_rekeyed(d, sa, n);
	/* the old IKE_SA: DELETE it, then it is gone */
	retire(sa);
	uint8_t buf[64];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_delete(&w, PROTO_IKE, 0, NULL, 0);
	ike_sa_request(d, sa, INFORMATIONAL, &w, REQ_DELETE);
}

void rekey_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m,
                    enum req_kind kind)
{
	const struct ike_notify *err = ike_find_error(m);
	if (kind == REQ_DELETE_CHILD) {
		uint32_t ours;
		child_sa_delete(d, sa, sa->rk_old_spi_in, &ours);
		return;
	}
	if (err) {
		log_info(LOG_IKE, "%s: the peer refused our %s rekey: %s", ike_sa_tag(sa),
		         kind == REQ_REKEY_IKE ? "IKE_SA" : "CHILD_SA", ike_notify_name(err->type));
		/* try again later; the hard lifetime still applies */
		if (kind == REQ_REKEY_IKE)
			sa->rekey_at = now_sec() + 10;
		for (int i = 0; kind == REQ_REKEY_CHILD && i < sa->n_child; i++)
			if (sa->child[i].spi_in == sa->rk_old_spi_in)
				sa->child[i].rekey_at = now_sec() + 10;
		reset_pending(sa);
		return;
	}
	if (kind == REQ_REKEY_CHILD)
		child_rekeyed(d, sa, m);
	else
		ike_rekeyed(d, sa, m);
	reset_pending(sa);
}
