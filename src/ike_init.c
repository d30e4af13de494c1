/* IKE_SA_INIT as responder: proposal, key exchange, nonces, NAT detection
 * (faked so that every client encapsulates ESP in UDP), cookies. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include "crypto/algs.h"
#include "crypto/cert.h"
#include "crypto/dh.h"
#include "crypto/sig.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/ike.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"
#include "src/jobs.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/proposal_select.h"
#include "src/redirect.h"

#define NONCE_LEN 32
#define DH_MAX 1024                    /* MODP-8192 public values */
#define CERT_ENC_X509_SIG 4

/* an unprotected IKE_SA_INIT response carrying one notify, responder SPI 0
 * (RFC 7296 §2.6: INVALID_KE_PAYLOAD, COOKIE, NO_PROPOSAL_CHOSEN) */
static void reply_error(struct daemon *d, const uint8_t spi_i[8], uint16_t type,
                        const uint8_t *data, size_t len,
                        const struct sockaddr *peer, socklen_t peer_len,
                        const struct sockaddr *local)
{
	uint8_t buf[1024];       /* a REDIRECT: 2 + 255 + a nonce of up to 256 */
	struct ike_hdr h = {
		.version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE, .msgid = 0,
	};
	memcpy(h.spi_i, spi_i, 8);
	struct ike_wr w;
	ike_wr_init(&w, buf, sizeof(buf), &h);
	ike_wr_notify(&w, 0, NULL, 0, type, data, len);
	size_t n = ike_wr_finish(&w);
	if (!n)
		return;
	uint16_t port;
	const uint8_t *ip;
	size_t iplen;
	addr_bytes(local, &ip, &iplen, &port);
	if (ntohs(port) == 4500) {
		uint8_t out[1028];
		memset(out, 0, 4);
		memcpy(out + 4, buf, n);
		net_send(d, local, peer, peer_len, out, n + 4);
	} else {
		net_send(d, local, peer, peer_len, buf, n);
	}
}

static bool local_matches(const struct conf_conn *c, const struct sockaddr *local)
{
	const char *h = c->left.host;
	if (!h || h[0] == '%')
		return true;
	uint8_t addr[16];
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes(local, &ip, &iplen, &port);
	if (inet_pton(AF_INET, h, addr) == 1)
		return iplen == 4 && memcmp(addr, ip, 4) == 0;
	if (inet_pton(AF_INET6, h, addr) == 1)
		return iplen == 16 && memcmp(addr, ip, 16) == 0;
	return true;   /* a host name: not checked */
}

/* one log line for a refused request, at most every LIMIT_LOG_SECS per
 * limit, with the count of those not logged since */
#define LIMIT_LOG_SECS 10
static void limit_hit(struct ratelog *rl, const char *from, const char *what)
{
	unsigned more;
	if (ratelog_ok(rl, now_sec(), LIMIT_LOG_SECS, &more))
		log_err(LOG_IKE, "IKE_SA_INIT from %s dropped: %s (%u more dropped for this "
		        "reason in the last %u s)", from, what, more, LIMIT_LOG_SECS);
}

/* answers with a COOKIE notify (stateless) */
static void ask_cookie(struct daemon *d, const struct ike_msg *m, const struct sockaddr *peer,
                       socklen_t peer_len, const struct sockaddr *local)
{
	uint8_t cookie[COOKIE_LEN];
	cookie_make(&d->cookies, now_sec(), m->hdr.spi_i, peer, m->nonce, m->nonce_len, cookie);
	d->n_cookies++;
	reply_error(d, m->hdr.spi_i, N_COOKIE, cookie, sizeof(cookie), peer, peer_len, local);
}

/* The checks that cost nothing, in the order that keeps a spoofing
 * flood cheap: the global half-open cap; a cookie once many IKE_SAs are
 * half open (so that what follows counts only proven addresses); the
 * per-source half-open cap; the IKE_SA caps. true to go on.
 *
 * An address at block_threshold is asked for a cookie too, even when
 * few IKE_SAs are half open: half-open IKE_SAs made with its address
 * spoofed must not lock the real owner out. With a valid cookie it may
 * have up to twice block_threshold. */
static bool admit(struct daemon *d, const struct ike_msg *m, const struct sockaddr *peer,
                  socklen_t peer_len, const struct sockaddr *local, const char *from)
{
	const struct ipsec_conf *c = d->cfg->conf;
	char why[160];
	if (c->init_limit_half_open && d->half_open >= c->init_limit_half_open) {
		snprintf(why, sizeof(why), "%u IKE_SAs half open (init_limit_half_open)",
		         d->half_open);
		limit_hit(&d->rl_half_open, from, why);
		d->n_failed[FAIL_LIMIT]++;
		return false;
	}
	const struct ike_notify *n = ike_find_notify(m, N_COOKIE);
	bool proven = n && cookie_check(&d->cookies, now_sec(), m->hdr.spi_i, peer, m->nonce,
	                                m->nonce_len, n->data, n->len);
	if (d->half_open >= c->cookie_threshold && !proven) {
		unsigned more;
		if (ratelog_ok(&d->rl_cookie, now_sec(), LIMIT_LOG_SECS, &more))
			log_err(LOG_IKE, "%u IKE_SAs half open: asking new peers for a cookie "
			        "(cookie_threshold %u; %u cookies sent in the last %u s)",
			        d->half_open, c->cookie_threshold, more, LIMIT_LOG_SECS);
		log_dbg(LOG_IKE, "asking %s for a cookie%s", from,
		        n ? " (the one it sent is not valid)" : "");
		ask_cookie(d, m, peer, peer_len, local);
		return false;
	}
	struct src_entry *e = src_get(&d->sources, peer, false);
	if (e && e->half_open >= c->block_threshold && !proven) {
		log_dbg(LOG_IKE, "%u IKE_SAs of %s half open: asking it for a cookie", e->half_open,
		        from);
		ask_cookie(d, m, peer, peer_len, local);
		return false;
	}
	if (e && e->half_open >= 2 * c->block_threshold) {
		snprintf(why, sizeof(why), "%u IKE_SAs of this address half open (block_threshold)",
		         e->half_open);
		limit_hit(&d->rl_block, from, why);
		d->n_failed[FAIL_LIMIT]++;
		return false;
	}
	if (c->ikesa_limit && d->n_sas >= c->ikesa_limit) {
		snprintf(why, sizeof(why), "%u IKE_SAs (ikesa_limit)", d->n_sas);
		limit_hit(&d->rl_sa_limit, from, why);
		d->n_failed[FAIL_LIMIT]++;
		return false;
	}
	if (c->ikesa_limit_per_source && e && e->total >= c->ikesa_limit_per_source) {
		snprintf(why, sizeof(why), "%u IKE_SAs of this address (ikesa_limit_per_source)",
		         e->total);
		limit_hit(&d->rl_src_limit, from, why);
		d->n_failed[FAIL_LIMIT]++;
		return false;
	}
	return true;
}

/* the Diffie-Hellman of one IKE_SA_INIT, done by a crypto worker */
struct init_job {
	struct job job;
	uint32_t sa_id;
	uint16_t group;
	uint8_t peer_ke[DH_MAX];
	size_t peer_ke_len;
	/* the rest of the response */
	struct ike_prop chosen;
	struct selected sel;
	bool natd;
	/* results */
	int rc;                             /* 0; -1 failure; -2 bad peer value */
	uint8_t pub[DH_MAX];
	uint8_t secret[DH_MAX];
};

static void init_job_run(struct job *jb)
{
	struct init_job *j = (struct init_job *)jb;
	size_t publen = dh_pub_len(j->group), slen = dh_secret_len(j->group);
	struct dh *dh = dh_new(j->group);
	j->rc = -1;
	if (dh && publen <= sizeof(j->pub) && slen <= sizeof(j->secret) &&
	    dh_public(dh, j->pub, publen) == 0)
		j->rc = dh_shared(dh, j->peer_ke, j->peer_ke_len, j->secret, slen) == 0 ? 0 : -2;
	dh_free(dh);
}

static void init_job_free(struct init_job *j)
{
	OPENSSL_cleanse(j->secret, sizeof(j->secret));
	free(j);
}

static void init_fail(struct ike_sa *sa, const char *from)
{
	log_err(LOG_IKE, "IKE_SA_INIT from %s: internal failure, IKE_SA dropped", from);
	ike_sa_set_state(sa, IKE_S_DEAD);
}

/* CERTREQ with the SHA-1 of each trusted CA's public key (RFC 7296
 * §3.7) when a conn takes certificate clients: a strongSwan client
 * (send_cert = ifasked, its default) sends its certificate only when
 * asked, as strongSwan's responder does in this message */
static void write_certreq(struct ike_wr *w, const struct config *cfg)
{
	bool wanted = false;
	for (int i = 0; i < cfg->n_peers && !wanted; i++) {
		const struct peer_cfg *pc = &cfg->peers[i];
		enum conf_auth a = pc->conn->right.auth;
		wanted = !pc->client && (a == AUTH_PUBKEY || a == AUTH_UNSET);
	}
	uint8_t hashes[20 * 32];
	size_t n = 0;
	for (int i = 0; wanted && cfg->cacerts && i < sk_X509_num(cfg->cacerts) &&
	     n + 20 <= sizeof(hashes); i++)
		if (cert_spki_sha1(sk_X509_value(cfg->cacerts, i), hashes + n) == 0)
			n += 20;
	if (n)
		ike_wr_certreq(w, CERT_ENC_X509_SIG, hashes, n);
}

/* keys, then the response: SA, KE, Nr, NAT-D, fragmentation, hashes,
 * multiple authentication, CERTREQ */
static void init_respond(struct daemon *d, struct ike_sa *sa, struct init_job *j)
{
	char from[INET6_ADDRSTRLEN + 8];
	addr_format((struct sockaddr *)&sa->peer, from, sizeof(from));
	if (j->rc == -2) {
		log_info(LOG_IKE, "IKE_SA_INIT from %s: invalid KE public value", from);
		reply_error(d, sa->spi_i, N_INVALID_SYNTAX, NULL, 0, (struct sockaddr *)&sa->peer,
		            sa->peer_len, (struct sockaddr *)&sa->local);
		ike_sa_set_state(sa, IKE_S_DEAD);
		return;
	}
	if (j->rc != 0 || ike_keys_derive(sa, j->secret, dh_secret_len(j->group)) != 0)
		return init_fail(sa, from);

	uint8_t buf[IKE_MAX_MSG];
	struct ike_hdr h = {
		.version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE, .msgid = 0,
	};
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	struct ike_wr w;
	ike_wr_init(&w, buf, sizeof(buf), &h);
	j->chosen.spi_size = 0;
	ike_wr_sa(&w, &j->chosen);
	ike_wr_ke(&w, j->group, j->pub, dh_pub_len(j->group));
	ike_wr_nonce(&w, sa->nr, sa->nr_len);
	if (j->natd) {
		/* forced UDP encapsulation: our own NAT-D hash is random, so
		 * the client sees "the server is behind a NAT" and moves to
		 * 4500 with ESP in UDP (what strongSwan calls encap=yes) */
		uint8_t fake[20], real[20];
		RAND_bytes(fake, sizeof(fake));
		natd_hash(sa->spi_i, sa->spi_r, (struct sockaddr *)&sa->peer, real);
		ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, fake, sizeof(fake));
		ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, real, sizeof(real));
	}
	if (sa->peer_frag)
		ike_wr_notify(&w, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (sa->sig_hashes) {
		uint8_t hashes[] = { 0, SIGHASH_SHA2_256, 0, SIGHASH_SHA2_384, 0, SIGHASH_SHA2_512 };
		ike_wr_notify(&w, 0, NULL, 0, N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	}
	/* RFC 4739: a client does a second round only when we announce it */
	for (int i = 0; i < d->cfg->n_peers; i++)
		if (!d->cfg->peers[i].client && d->cfg->peers[i].conn->right.auth2 != AUTH_UNSET) {
			ike_wr_notify(&w, 0, NULL, 0, N_MULTIPLE_AUTH_SUPPORTED, NULL, 0);
			break;
		}
	write_certreq(&w, d->cfg);
	size_t len = ike_wr_finish(&w);
	if (!len || !(sa->init_resp = malloc(len)))
		return init_fail(sa, from);
	memcpy(sa->init_resp, buf, len);
	sa->init_resp_len = len;
	char chosen[256];
	selected_format(&j->sel, PROTO_IKE, chosen, sizeof(chosen));
	log_info(LOG_CFG, "%s: selected proposal IKE:%s (conn '%s')", ike_sa_tag(sa), chosen,
	         sa->cfg->name);
	ike_sa_set_state(sa, IKE_S_INIT_DONE);
	ike_sa_send_raw(d, sa, buf, len);
}

static void init_job_done(struct daemon *d, struct job *jb, bool cancelled)
{
	struct init_job *j = (struct init_job *)jb;
	struct ike_sa *sa = cancelled ? NULL : ike_sa_by_id(d, j->sa_id);
	if (sa && sa->busy) {
		sa->busy = false;
		init_respond(d, sa, j);
	}
	init_job_free(j);
}

void ike_init_request(struct daemon *d, const struct ike_msg *m,
                      const struct sockaddr *peer, socklen_t peer_len,
                      const struct sockaddr *local, socklen_t local_len)
{
	char from[INET6_ADDRSTRLEN + 8];
	addr_format(peer, from, sizeof(from));
	if (!admit(d, m, peer, peer_len, local, from))
		return;

	/* the first conn whose IKE proposals accept the offer */
	char offer[1024];
	peer_props_format(m->props, m->n_props, offer, sizeof(offer));
	struct selected sel;
	struct ike_prop chosen_prop;
	struct peer_cfg *pc = NULL;
	for (int i = 0; i < d->cfg->n_peers && !pc; i++) {
		struct peer_cfg *c = &d->cfg->peers[i];
		if (c->client || !local_matches(c->conn, local))
			continue;   /* a conn we initiate does not answer */
		if (proposal_select(m->props, m->n_props, PROTO_IKE, &c->ike, false, m->ke_group,
		                    &sel, &chosen_prop) == 0)
			pc = c;
	}
	if (!pc) {
		log_info(LOG_CFG, "IKE_SA_INIT from %s: no acceptable proposal in %s: "
		         "sending NO_PROPOSAL_CHOSEN", from, offer);
		reply_error(d, m->hdr.spi_i, N_NO_PROPOSAL_CHOSEN, NULL, 0, peer, peer_len, local);
		d->n_failed[FAIL_NO_PROPOSAL]++;
		return;
	}
	/* RFC 5685: draining, or above redirect_above: elsewhere, no state */
	uint8_t redir[2 + REDIRECT_GW_MAX + 256];
	size_t redir_len = redirect_at_init(d, m, peer, redir, sizeof(redir));
	if (redir_len) {
		reply_error(d, m->hdr.spi_i, N_REDIRECT, redir, redir_len, peer, peer_len, local);
		return;
	}
	if (sel.dh != m->ke_group) {
		uint8_t g[2] = { (uint8_t)(sel.dh >> 8), (uint8_t)sel.dh };
		log_info(LOG_IKE, "IKE_SA_INIT from %s: KE group %u not chosen, asking for %u "
		         "(INVALID_KE_PAYLOAD)", from, m->ke_group, sel.dh);
		reply_error(d, m->hdr.spi_i, N_INVALID_KE_PAYLOAD, g, 2, peer, peer_len, local);
		return;
	}
	if (m->ke_len != dh_pub_len(sel.dh) || m->ke_len > DH_MAX) {
		log_info(LOG_IKE, "IKE_SA_INIT from %s: KE of %zu bytes for group %u, "
		         "sending INVALID_SYNTAX", from, m->ke_len, sel.dh);
		reply_error(d, m->hdr.spi_i, N_INVALID_SYNTAX, NULL, 0, peer, peer_len, local);
		return;
	}

	struct ike_sa *sa = ike_sa_new(d, m->hdr.spi_i, peer, peer_len, local, local_len);
	if (!sa)
		return;
	struct init_job *j = calloc(1, sizeof(*j));
	sa->encr = sel.encr;
	sa->keybits = sel.keybits;
	sa->integ = sel.integ;
	sa->prf = sel.prf;
	sa->dh_group = sel.dh;
	sa->msgid_next = 1;
	sa->sig_hashes = ike_sig_hashes(ike_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS));
	/* RFC 7383: fragmentation when both sides support it */
	sa->peer_frag = ike_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL &&
	                pc->conn->fragmentation != FRAG_NO;
	sa->peer_redirect = redirect_supported(m);
	sa->ni = malloc(m->nonce_len);
	sa->nr = malloc(NONCE_LEN);
	sa->init_req = malloc(m->raw_len);
	if (!j || !sa->ni || !sa->nr || !sa->init_req || RAND_bytes(sa->nr, NONCE_LEN) != 1) {
		free(j);
		init_fail(sa, from);
		ike_sa_reap(d);
		return;
	}
	memcpy(sa->ni, m->nonce, m->nonce_len);
	sa->ni_len = m->nonce_len;
	sa->nr_len = NONCE_LEN;
	memcpy(sa->init_req, m->raw, m->raw_len);
	sa->init_req_len = m->raw_len;
	ike_sa_set_cfg(sa, pc);
	log_info(LOG_CFG, "%s: IKE_SA_INIT, offered %s", ike_sa_tag(sa), offer);
	if (!ike_find_notify(m, N_NAT_DETECTION_SOURCE_IP))
		log_err(LOG_IKE, "IKE_SA_INIT from %s: the client does not do NAT traversal, so it "
		        "cannot encapsulate ESP in UDP; cygnet has no raw ESP", from);

	/* the key exchange runs on a crypto worker; the response follows */
	j->job.prio = JOB_STRANGER;
	j->job.run = init_job_run;
	j->job.done = init_job_done;
	j->sa_id = sa->id;
	j->group = sel.dh;
	memcpy(j->peer_ke, m->ke, m->ke_len);
	j->peer_ke_len = m->ke_len;
	j->chosen = chosen_prop;
	j->sel = sel;
	j->natd = ike_find_notify(m, N_NAT_DETECTION_SOURCE_IP) != NULL;
	sa->busy = true;
	if (jobs_submit(d, &j->job) != 0) {
		init_job_free(j);
		sa->busy = false;
		limit_hit(&d->rl_busy, from, "the crypto workers' queue is full");
		d->n_failed[FAIL_LIMIT]++;
		ike_sa_set_state(sa, IKE_S_DEAD);
		ike_sa_reap(d);
	}
}
