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
#include "crypto/dh.h"
#include "crypto/sig.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/ike.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/proposal_select.h"

/* more half-open IKE_SAs than this and new peers must return a cookie */
#define COOKIE_THRESHOLD 64
#define NONCE_LEN 32

/* an unprotected IKE_SA_INIT response carrying one notify, responder SPI 0
 * (RFC 7296 §2.6: INVALID_KE_PAYLOAD, COOKIE, NO_PROPOSAL_CHOSEN) */
static void reply_error(struct daemon *d, const struct ike_msg *m, uint16_t type,
                        const uint8_t *data, size_t len,
                        const struct sockaddr *peer, socklen_t peer_len,
                        const struct sockaddr *local)
{
	uint8_t buf[256];
	struct ike_hdr h = {
		.version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE, .msgid = 0,
	};
	memcpy(h.spi_i, m->hdr.spi_i, 8);
	struct ike_wr w;
	ike_wr_init(&w, buf, sizeof(buf), &h);
	ike_wr_notify(&w, 0, NULL, 0, type, data, len);
	size_t n = ike_wr_finish(&w);
	if (!n)
		return;
	uint16_t port = local->sa_family == AF_INET
		? ntohs(((const struct sockaddr_in *)local)->sin_port)
		: ntohs(((const struct sockaddr_in6 *)local)->sin6_port);
	if (port == 4500) {
		uint8_t out[260];
		memset(out, 0, 4);
		memcpy(out + 4, buf, n);
		net_send(d, local, peer, peer_len, out, n + 4);
	} else {
		net_send(d, local, peer, peer_len, buf, n);
	}
}


/* cookie = 0x01 | SHA-256(secret | Ni | IPi | SPIi), RFC 7296 §2.6 */
static void make_cookie(struct daemon *d, const struct ike_msg *m, const struct sockaddr *peer,
                        uint8_t out[33])
{
	uint64_t now = now_sec();
	if (!d->cookie_secret_time || now - d->cookie_secret_time > 300) {
		RAND_bytes(d->cookie_secret, sizeof(d->cookie_secret));
		d->cookie_secret_time = now;
	}
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes(peer, &ip, &iplen, &port);
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int olen = 32;
	out[0] = 1;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha256(), NULL) ||
	    !EVP_DigestUpdate(ctx, d->cookie_secret, sizeof(d->cookie_secret)) ||
	    !EVP_DigestUpdate(ctx, m->nonce, m->nonce_len) ||
	    !EVP_DigestUpdate(ctx, ip, iplen) ||
	    !EVP_DigestUpdate(ctx, m->hdr.spi_i, 8) ||
	    !EVP_DigestFinal_ex(ctx, out + 1, &olen))
		memset(out + 1, 0, 32);
	EVP_MD_CTX_free(ctx);
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

static uint32_t parse_sig_hashes(const struct ike_notify *n)
{
	uint32_t mask = 0;
	for (size_t i = 0; n && i + 1 < n->len; i += 2) {
		uint16_t hv = (uint16_t)(n->data[i] << 8 | n->data[i + 1]);
		if (hv < 32)
			mask |= 1u << hv;
	}
	return mask;
}

void ike_init_request(struct daemon *d, const struct ike_msg *m,
                      const struct sockaddr *peer, socklen_t peer_len,
                      const struct sockaddr *local, socklen_t local_len)
{
	char offer[1024], chosen[256];
	const char *from = "?";
	char frombuf[INET6_ADDRSTRLEN];
	{
		const uint8_t *ip;
		size_t iplen;
		uint16_t port;
		addr_bytes(peer, &ip, &iplen, &port);
		if (inet_ntop(peer->sa_family, ip, frombuf, sizeof(frombuf)))
			from = frombuf;
	}
	peer_props_format(m->props, m->n_props, offer, sizeof(offer));

	/* cookies when many IKE_SAs are half open */
	if (d->half_open >= COOKIE_THRESHOLD) {
		uint8_t cookie[33];
		make_cookie(d, m, peer, cookie);
		const struct ike_notify *n = ike_find_notify(m, N_COOKIE);
		if (!n || n->len != sizeof(cookie) || CRYPTO_memcmp(n->data, cookie, sizeof(cookie))) {
			log_dbg(LOG_IKE, "%u half-open IKE_SAs: asking %s for a cookie", d->half_open, from);
			reply_error(d, m, N_COOKIE, cookie, sizeof(cookie), peer, peer_len, local);
			return;
		}
	}

	/* the first conn whose IKE proposals accept the offer */
	struct selected sel;
	struct ike_prop chosen_prop;
	struct peer_cfg *pc = NULL;
	for (int i = 0; i < d->cfg->n_peers && !pc; i++) {
		struct peer_cfg *c = &d->cfg->peers[i];
		if (!local_matches(c->conn, local))
			continue;
		if (proposal_select(m->props, m->n_props, PROTO_IKE, &c->ike, false, m->ke_group,
		                    &sel, &chosen_prop) == 0)
			pc = c;
	}
	if (!pc) {
		log_info(LOG_CFG, "IKE_SA_INIT from %s: no acceptable proposal in %s: "
		         "sending NO_PROPOSAL_CHOSEN", from, offer);
		reply_error(d, m, N_NO_PROPOSAL_CHOSEN, NULL, 0, peer, peer_len, local);
		return;
	}
	if (sel.dh != m->ke_group) {
		uint8_t g[2] = { (uint8_t)(sel.dh >> 8), (uint8_t)sel.dh };
		log_info(LOG_IKE, "IKE_SA_INIT from %s: KE group %u not chosen, asking for %u "
		         "(INVALID_KE_PAYLOAD)", from, m->ke_group, sel.dh);
		reply_error(d, m, N_INVALID_KE_PAYLOAD, g, 2, peer, peer_len, local);
		return;
	}
	if (m->ke_len != dh_pub_len(sel.dh)) {
		log_info(LOG_IKE, "IKE_SA_INIT from %s: KE of %zu bytes for group %u, "
		         "sending INVALID_SYNTAX", from, m->ke_len, sel.dh);
		reply_error(d, m, N_INVALID_SYNTAX, NULL, 0, peer, peer_len, local);
		return;
	}

	struct ike_sa *sa = ike_sa_new(d, m->hdr.spi_i, peer, peer_len, local, local_len);
	if (!sa)
		return;
	sa->encr = sel.encr;
	sa->keybits = sel.keybits;
	sa->integ = sel.integ;
	sa->prf = sel.prf;
	sa->dh_group = sel.dh;
	sa->msgid_next = 1;
	sa->sig_hashes = parse_sig_hashes(ike_find_notify(m, N_SIGNATURE_HASH_ALGORITHMS));
	sa->peer_frag = ike_find_notify(m, N_IKEV2_FRAGMENTATION_SUPPORTED) != NULL;

	uint8_t pub[1024], secret[1024];
	size_t publen = dh_pub_len(sel.dh), slen = dh_secret_len(sel.dh);
	sa->dh = dh_new(sel.dh);
	sa->ni = malloc(m->nonce_len);
	sa->nr = malloc(NONCE_LEN);
	sa->init_req = malloc(m->raw_len);
	if (!sa->dh || !sa->ni || !sa->nr || !sa->init_req || publen > sizeof(pub) ||
	    slen > sizeof(secret) || dh_public(sa->dh, pub, publen) != 0 ||
	    RAND_bytes(sa->nr, NONCE_LEN) != 1)
		goto fail;
	if (dh_shared(sa->dh, m->ke, m->ke_len, secret, slen) != 0) {
		log_info(LOG_IKE, "IKE_SA_INIT from %s: invalid KE public value", from);
		OPENSSL_cleanse(secret, sizeof(secret));
		reply_error(d, m, N_INVALID_SYNTAX, NULL, 0, peer, peer_len, local);
		goto fail;
	}
	memcpy(sa->ni, m->nonce, m->nonce_len);
	sa->ni_len = m->nonce_len;
	sa->nr_len = NONCE_LEN;
	memcpy(sa->init_req, m->raw, m->raw_len);
	sa->init_req_len = m->raw_len;
	int krc = ike_keys_derive(sa, secret, slen);
	OPENSSL_cleanse(secret, sizeof(secret));
	dh_free(sa->dh);
	sa->dh = NULL;
	if (krc != 0)
		goto fail;

	/* the response */
	static uint8_t buf[IKE_MAX_MSG];
	struct ike_hdr h = {
		.version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_RESPONSE, .msgid = 0,
	};
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	struct ike_wr w;
	ike_wr_init(&w, buf, sizeof(buf), &h);
	chosen_prop.spi_size = 0;
	ike_wr_sa(&w, &chosen_prop);
	ike_wr_ke(&w, sel.dh, pub, publen);
	ike_wr_nonce(&w, sa->nr, sa->nr_len);
	if (ike_find_notify(m, N_NAT_DETECTION_SOURCE_IP)) {
		/* forced UDP encapsulation: our own NAT-D hash is random, so
		 * the client sees "the server is behind a NAT" and moves to
		 * 4500 with ESP in UDP (what strongSwan calls encap=yes) */
		uint8_t fake[20], real[20];
		RAND_bytes(fake, sizeof(fake));
		natd_hash(sa->spi_i, sa->spi_r, peer, real);
		ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, fake, sizeof(fake));
		ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, real, sizeof(real));
	} else {
		log_err(LOG_IKE, "IKE_SA_INIT from %s: the client does not do NAT traversal, so it "
		        "cannot encapsulate ESP in UDP; cygnet has no raw ESP", from);
	}
	/* RFC 7383: fragmentation when both sides support it */
	if (pc->conn->fragmentation == FRAG_NO)
		sa->peer_frag = false;
	if (sa->peer_frag)
		ike_wr_notify(&w, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	if (sa->sig_hashes) {
		uint8_t hashes[] = { 0, SIGHASH_SHA2_256, 0, SIGHASH_SHA2_384, 0, SIGHASH_SHA2_512 };
		ike_wr_notify(&w, 0, NULL, 0, N_SIGNATURE_HASH_ALGORITHMS, hashes, sizeof(hashes));
	}
	size_t len = ike_wr_finish(&w);
	if (!len)
		goto fail;
	sa->init_resp = malloc(len);
	if (!sa->init_resp)
		goto fail;
	memcpy(sa->init_resp, buf, len);
	sa->init_resp_len = len;
	ike_sa_set_cfg(sa, pc);
	selected_format(&sel, PROTO_IKE, chosen, sizeof(chosen));
	log_info(LOG_CFG, "%s: IKE_SA_INIT, offered %s", ike_sa_tag(sa), offer);
	log_info(LOG_CFG, "%s: selected proposal IKE:%s (conn '%s')", ike_sa_tag(sa), chosen, pc->name);
	ike_sa_set_state(sa, IKE_S_INIT_DONE);
	ike_sa_send_raw(d, sa, buf, len);
	return;
fail:
	log_err(LOG_IKE, "IKE_SA_INIT from %s: internal failure, IKE_SA dropped", from);
	ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(d);
}
