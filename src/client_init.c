/* IKE_SA_INIT as initiator (cygnet as a client): our offer, the answers
 * that ask us to try again (COOKIE, INVALID_KE_PAYLOAD, RFC 7296 §2.6,
 * §1.2), the server's choice checked against our offer, the keys, and
 * the move to port 4500 (RFC 7296 §2.23: we always want ESP in UDP). */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/algs.h"
#include "crypto/dh.h"
#include "crypto/sig.h"
#include "src/client.h"
#include "src/client_int.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/proposal_select.h"

#define NONCE_LEN 32
#define DH_MAX 1024

void client_ini_free(struct ike_ini *ini)
{
	if (!ini)
		return;
	dh_free(ini->dh);
	eap_peer_wipe(&ini->peer);
	OPENSSL_cleanse(ini, sizeof(*ini));
	free(ini);
}

/* the setup failed: one log line, the IKE_SA goes (client.c decides
 * whether to try again from end) */
static void init_failed(struct ike_sa *sa, enum ike_end end, const char *why)
{
	char outcome[320];
	snprintf(outcome, sizeof(outcome), "connection to the server failed: %s", why);
	ike_sa_log_outcome(sa, outcome);
	if (sa->ini)
		snprintf(sa->ini->why, sizeof(sa->ini->why), "%s", why);
	sa->end = end;
	ike_sa_set_state(sa, IKE_S_DEAD);
}

/* builds and sends IKE_SA_INIT with the current group and cookie */
static int send_init(struct daemon *d, struct ike_sa *sa)
{
	struct ike_ini *ini = sa->ini;
	const struct peer_cfg *pc = sa->cfg;
	uint8_t pub[DH_MAX];
	size_t publen = dh_pub_len(ini->group);
	dh_free(ini->dh);
	ini->dh = dh_new(ini->group);
	if (!ini->dh || publen > sizeof(pub) || dh_public(ini->dh, pub, publen) != 0)
		return -1;
	static struct ike_prop props[PROP_MAX];
	int n = proposal_offer(&pc->ike, PROTO_IKE, true, NULL, 0, props, PROP_MAX);
	uint8_t *buf = sa->d->buf_out;
	struct ike_hdr h = {
		.version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR, .msgid = 0,
	};
	memcpy(h.spi_i, sa->spi_i, 8);
	struct ike_wr w;
	ike_wr_init(&w, buf, IKE_MAX_MSG, &h);
	if (ini->cookie_len)
		ike_wr_notify(&w, 0, NULL, 0, N_COOKIE, ini->cookie, ini->cookie_len);
	ike_wr_sa_list(&w, props, n);
	ike_wr_ke(&w, ini->group, pub, publen);
	ike_wr_nonce(&w, sa->ni, sa->ni_len);
	/* NAT detection with our own hash faked, so the server sees us
	 * behind a NAT and both sides encapsulate ESP in UDP (strongSwan's
	 * forceencaps); its hash is real */
	uint8_t fake[20], real[20];
	static const uint8_t zero[8];
	if (RAND_bytes(fake, sizeof(fake)) != 1)
		return -1;
	natd_hash(sa->spi_i, zero, (struct sockaddr *)&sa->peer, real);
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, fake, sizeof(fake));
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, real, sizeof(real));
	if (pc->conn->fragmentation != FRAG_NO)
		ike_wr_notify(&w, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	uint8_t hashes[] = { 0, SIGHASH_SHA2_256, 0, SIGHASH_SHA2_384, 0, SIGHASH_SHA2_512 };
	ike_wr_notify(&w, 0, NULL, 0, N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	/* RFC 5685 §4-5: REDIRECTED_FROM the gateway that sent us here,
	 * else REDIRECT_SUPPORTED (not for the load generator's probes) */
	uint8_t rf[2 + REDIRECT_GW_MAX];
	size_t rf_len = ini->redirected ? redirect_data_build(&ini->redirected_from, NULL, 0, rf,
	                                                      sizeof(rf)) : 0;
	if (rf_len)
		ike_wr_notify(&w, 0, NULL, 0, N_REDIRECTED_FROM, rf, rf_len);
	else if (d->cfg->conf->follow_redirects && !sa->probe)
		ike_wr_notify(&w, 0, NULL, 0, N_REDIRECT_SUPPORTED, NULL, 0);
	size_t len = ike_wr_finish(&w);
	if (!len)
		return -1;
	free(sa->init_req);
	if (!(sa->init_req = malloc(len)))
		return -1;
	memcpy(sa->init_req, buf, len);
	sa->init_req_len = len;
	log_dbg(LOG_ENC, "%s: sending IKE_SA_INIT request (%zu bytes, KE group %u%s)",
	        ike_sa_tag(sa), len, ini->group, ini->cookie_len ? ", with a cookie" : "");
	return ike_sa_request_raw(d, sa, buf, len, REQ_INIT);
}

int client_init_start(struct daemon *d, struct ike_sa *sa)
{
	return client_init_start_from(d, sa, NULL);
}

int client_init_start_from(struct daemon *d, struct ike_sa *sa, const struct redirect_gw *from)
{
	const struct peer_cfg *pc = sa->cfg;
	struct ike_ini *ini = calloc(1, sizeof(*ini));
	sa->ini = ini;
	if (ini && from) {
		ini->redirected = true;
		ini->redirected_from = *from;
	}
	sa->ni = malloc(NONCE_LEN);
	if (!ini || !sa->ni || RAND_bytes(sa->ni, NONCE_LEN) != 1 || pc->ike.n < 1 ||
	    pc->ike.p[0].n_dh < 1) {
		init_failed(sa, IKE_END_FAILED, "internal error (memory, random numbers or no "
		            "IKE proposal with a DH group)");
		return -1;
	}
	sa->ni_len = NONCE_LEN;
	sa->our_msgid = 0;
	sa->msgid_next = 0;
	ini->group = pc->ike.p[0].dh[0].id;
	ini->step = INI_INIT;
	if (send_init(d, sa) != 0) {
		init_failed(sa, IKE_END_FAILED, "cannot build IKE_SA_INIT");
		return -1;
	}
	log_info(LOG_IKE, "%s: initiating IKE_SA for conn '%s'", ike_sa_tag(sa), pc->name);
	return 0;
}

static bool group_offered(const struct peer_cfg *pc, uint16_t group)
{
	for (int i = 0; i < pc->ike.n; i++)
		for (int j = 0; j < pc->ike.p[i].n_dh; j++)
			if (pc->ike.p[i].dh[j].id == group)
				return true;
	return false;
}

/* RFC 5685 §5: a REDIRECT answering our IKE_SA_INIT (unauthenticated:
 * only with our Ni in it; one without is ignored, as if lost, and our
 * request sent again, at most INI_MAX_RETRIES times); true when handled */
static bool redirected(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	struct redirect_gw gw;
	const char *bad;
	char why[REDIRECT_GW_MAX * 4 + 200], to[REDIRECT_GW_MAX * 4 + 1];
	int r = client_redirect_of(d, sa, m, sa->ni, sa->ni_len, &gw, &bad);
	if (r == 0)
		return false;
	if (r < 0) {
		log_info(LOG_IKE, "%s: a REDIRECT answering our IKE_SA_INIT ignored: %s",
		         ike_sa_tag(sa), bad);
		if (++ini->retries > INI_MAX_RETRIES)
			init_failed(sa, IKE_END_FAILED, "the IKE_SA_INIT answers are REDIRECTs we "
			            "cannot take");
		else if (ike_sa_request_raw(d, sa, sa->init_req, sa->init_req_len, REQ_INIT) != 0)
			init_failed(sa, IKE_END_FAILED, "cannot send IKE_SA_INIT");
		return true;
	}
	redirect_gw_format(&gw, to, sizeof(to));
	if (client_redirect_setup(d, sa, &gw, why, sizeof(why)) != 0) {
		init_failed(sa, IKE_END_FAILED, why);
		return true;
	}
	log_info(LOG_IKE, "%s: the server redirects us to %s at IKE_SA_INIT", ike_sa_tag(sa), to);
	sa->end = IKE_END_LOCAL;
	ike_sa_set_state(sa, IKE_S_DEAD);
	return true;
}

/* an answer asking us to try again: true when handled */
static bool try_again(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	const struct ike_notify *c = ike_find_notify(m, N_COOKIE);
	const struct ike_notify *k = ike_find_notify(m, N_INVALID_KE_PAYLOAD);
	if (!c && !k)
		return false;
	if (++ini->retries > INI_MAX_RETRIES) {
		init_failed(sa, IKE_END_FAILED, "the server keeps asking for another IKE_SA_INIT "
		            "(COOKIE / INVALID_KE_PAYLOAD)");
		return true;
	}
	if (c) {
		if (c->len < 1 || c->len > INI_MAX_COOKIE) {
			init_failed(sa, IKE_END_FAILED, "the server sent a malformed COOKIE");
			return true;
		}
		memcpy(ini->cookie, c->data, c->len);
		ini->cookie_len = c->len;
		log_info(LOG_IKE, "%s: the server asks for a cookie, sending IKE_SA_INIT again",
		         ike_sa_tag(sa));
	} else {
		uint16_t g = k->len == 2 ? (uint16_t)(k->data[0] << 8 | k->data[1]) : 0;
		if (!g || g == ini->group || !group_offered(sa->cfg, g) || !dh_supported(g)) {
			char why[128];
			snprintf(why, sizeof(why), "the server wants KE group %u, which our ike= "
			         "proposals do not offer", g);
			init_failed(sa, IKE_END_FAILED, why);
			return true;
		}
		log_info(LOG_IKE, "%s: the server wants KE group %u instead of %u, sending "
		         "IKE_SA_INIT again", ike_sa_tag(sa), g, ini->group);
		ini->group = g;
	}
	if (send_init(d, sa) != 0)
		init_failed(sa, IKE_END_FAILED, "cannot build IKE_SA_INIT");
	return true;
}

void client_init_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	const struct peer_cfg *pc = sa->cfg;
	if (!ini || ini->step != INI_INIT)
		return;
	if (redirected(d, sa, m) || try_again(d, sa, m))
		return;
	const struct ike_notify *err = ike_find_error(m);
	if (err || !m->n_props) {
		char why[160];
		snprintf(why, sizeof(why), "the server refused IKE_SA_INIT: %s%s",
		         err ? ike_notify_name(err->type) : "no SA payload",
		         err && err->type == N_NO_PROPOSAL_CHOSEN ? " (compare ike= on both sides)" : "");
		init_failed(sa, IKE_END_FAILED, why);
		return;
	}
	static const uint8_t zero[8];
	struct selected sel;
	struct ike_prop out;
	if (m->n_props != 1 || m->props[0].spi_size != 0 ||
	    memcmp(m->hdr.spi_r, zero, 8) == 0 ||
	    proposal_select(m->props, 1, PROTO_IKE, &pc->ike, false, m->ke_group, &sel, &out) != 0 ||
	    sel.dh != ini->group || !m->has_ke || m->ke_group != ini->group ||
	    m->ke_len != dh_pub_len(ini->group) || !m->nonce || m->nonce_len < 16 ||
	    m->nonce_len > 256) {
		init_failed(sa, IKE_END_FAILED, "the server's IKE_SA_INIT answer does not match our "
		            "offer");
		return;
	}
	if (!ike_find_notify(m, N_NAT_DETECTION_SOURCE_IP) ||
	    !ike_find_notify(m, N_NAT_DETECTION_DESTINATION_IP)) {
		init_failed(sa, IKE_END_FAILED, "the server does not do NAT traversal, so ESP "
		            "cannot go in UDP; cygnet has no raw ESP");
		return;
	}
	uint8_t ours[8];
	memcpy(ours, sa->spi_i, 8);
	ike_sa_set_initiator(d, sa, ours, m->hdr.spi_r);
	sa->encr = sel.encr;
	sa->keybits = sel.keybits;
	sa->integ = sel.integ;
	sa->prf = sel.prf;
	sa->dh_group = sel.dh;
	sa->sig_hashes = ike_sig_hashes(ike_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS));
	sa->peer_frag = ike_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL &&
	                pc->conn->fragmentation != FRAG_NO;
	sa->nr = malloc(m->nonce_len);
	sa->init_resp = malloc(m->raw_len);
	uint8_t secret[DH_MAX];
	size_t slen = dh_secret_len(ini->group);
	if (!sa->nr || !sa->init_resp || slen > sizeof(secret)) {
		init_failed(sa, IKE_END_FAILED, "out of memory");
		return;
	}
	memcpy(sa->nr, m->nonce, m->nonce_len);
	sa->nr_len = m->nonce_len;
	memcpy(sa->init_resp, m->raw, m->raw_len);
	sa->init_resp_len = m->raw_len;
	if (dh_shared(ini->dh, m->ke, m->ke_len, secret, slen) != 0) {
		OPENSSL_cleanse(secret, sizeof(secret));
		init_failed(sa, IKE_END_FAILED, "the server's KE value is invalid");
		return;
	}
	int krc = ike_keys_derive(sa, secret, slen);
	OPENSSL_cleanse(secret, sizeof(secret));
	dh_free(ini->dh);
	ini->dh = NULL;
	if (krc != 0) {
		init_failed(sa, IKE_END_FAILED, "key derivation failed");
		return;
	}
	char chosen[256];
	selected_format(&sel, PROTO_IKE, chosen, sizeof(chosen));
	log_info(LOG_CFG, "%s: selected proposal IKE:%s (conn '%s')", ike_sa_tag(sa), chosen,
	         pc->name);
	/* RFC 7296 §2.23 / RFC 3948: on to port 4500 with the non-ESP marker */
	addr_set_port(&sa->peer, 4500);
	addr_set_port(&sa->local, 4500);
	sa->our_msgid = 1;
	ike_sa_set_state(sa, IKE_S_INIT_DONE);
	client_auth_start(d, sa);
}
