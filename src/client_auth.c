/* IKE_AUTH as initiator (cygnet as a client): our identity and AUTH
 * (EAP-MSCHAPv2, a shared key or a certificate), the request for virtual
 * IPs and DNS servers, the first CHILD_SA as we offer it; then the
 * server checked (its identity against rightid, its certificate against
 * our CAs and rightca, its signature), the EAP rounds, the final AUTH
 * from the MSK, and the CHILD_SA the server chose. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "crypto/algs.h"
#include "crypto/cert.h"
#include "crypto/prf.h"
#include "crypto/sig.h"
#include "src/child_sa.h"
#include "src/client.h"
#include "src/client_int.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/natd.h"
#include "src/peer_auth.h"
#include "src/proposal_select.h"
#include "src/rekey.h"
#include "src/updown.h"

#define CERT_ENC_X509_SIG 4
#define MSK_LEN 64

static void auth_failed(struct ike_sa *sa, enum ike_end end, const char *why)
{
	char outcome[520];
	snprintf(outcome, sizeof(outcome), "connection to the server failed: %.480s", why);
	ike_sa_log_outcome(sa, outcome);
	if (sa->ini)
		snprintf(sa->ini->why, sizeof(sa->ini->why), "%s", why);
	sa->end = end;
	ike_sa_set_state(sa, IKE_S_DEAD);
}

/* how we authenticate: leftauth=, else a certificate when we have one,
 * else a shared key (strongSwan's authby default is pubkey; without a
 * certificate only a PSK can work) */
static enum conf_auth our_auth(const struct peer_cfg *pc)
{
	enum conf_auth a = pc->conn->left.auth;
	if (a != AUTH_UNSET)
		return a;
	return pc->cert ? AUTH_PUBKEY : AUTH_PSK;
}

/* our IKE identity: leftid / the certificate's subject, else our address */
static void our_id(const struct ike_sa *sa, struct ident *id)
{
	*id = sa->cfg->local_id;
	if (!ident_is_any(id))
		return;
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	addr_bytes((const struct sockaddr *)&sa->local, &ip, &iplen, &port);
	id->type = iplen == 4 ? ID_IPV4_ADDR : ID_IPV6_ADDR;
	memcpy(id->data, ip, iplen);
	id->len = iplen;
}

/* the server's identity we insist on: rightid, else right= as written
 * (strongSwan's default); type 0 when rightid=%any */
static void expected_id(const struct peer_cfg *pc, struct ident *id)
{
	memset(id, 0, sizeof(*id));
	if (pc->conn->right.id) {
		*id = pc->remote_id;
		return;
	}
	if (pc->conn->right.host && ident_parse(pc->conn->right.host, id) != 0)
		memset(id, 0, sizeof(*id));
}

/* the EAP identity: eap_identity= unless it asks for the IKE one */
static void eap_name(const struct ike_sa *sa, const struct ident *me, char *out, size_t len)
{
	const char *e = sa->cfg->conn->eap_identity;
	if (e && strcmp(e, "%identity") != 0 && strcmp(e, "%any") != 0) {
		snprintf(out, len, "%s", e);
		return;
	}
	if (me->type == ID_FQDN || me->type == ID_RFC822_ADDR) {
		size_t n = me->len < len - 1 ? me->len : len - 1;
		memcpy(out, me->data, n);
		out[n] = 0;
		return;
	}
	ident_format(me, out, len);
}

/* TSi: 0.0.0.0/0 (::/0) for a family whose virtual IP we ask for, else
 * our own address; TSr: rightsubnet, else the server's address */
static void our_selectors(struct ike_sa *sa)
{
	struct ike_ini *ini = sa->ini;
	const struct conf_conn *c = sa->cfg->conn;
	const uint8_t *ip;
	size_t iplen;
	uint16_t port;
	ini->n_tsi = ini->n_tsr = 0;
	if (c->left.want_vip4) {
		struct conf_net any = { .family = AF_INET };
		child_ts_from_net(&any, &ini->tsi[ini->n_tsi++]);
	}
	if (c->left.want_vip6) {
		struct conf_net any = { .family = AF_INET6 };
		child_ts_from_net(&any, &ini->tsi[ini->n_tsi++]);
	}
	if (!ini->n_tsi && c->left.n_subnet) {
		for (int i = 0; i < c->left.n_subnet && ini->n_tsi < IKE_MAX_TS; i++)
			child_ts_from_net(&c->left.subnet[i], &ini->tsi[ini->n_tsi++]);
	} else if (!ini->n_tsi) {
		addr_bytes((const struct sockaddr *)&sa->local, &ip, &iplen, &port);
		struct conf_net me = { .family = iplen == 4 ? AF_INET : AF_INET6,
		                       .prefix = (uint8_t)(iplen * 8) };
		memcpy(me.addr, ip, iplen);
		child_ts_from_net(&me, &ini->tsi[ini->n_tsi++]);
	}
	for (int i = 0; i < c->right.n_subnet && ini->n_tsr < IKE_MAX_TS; i++)
		child_ts_from_net(&c->right.subnet[i], &ini->tsr[ini->n_tsr++]);
	if (!ini->n_tsr) {
		addr_bytes((const struct sockaddr *)&sa->peer, &ip, &iplen, &port);
		struct conf_net srv = { .family = iplen == 4 ? AF_INET : AF_INET6,
		                        .prefix = (uint8_t)(iplen * 8) };
		memcpy(srv.addr, ip, iplen);
		child_ts_from_net(&srv, &ini->tsr[ini->n_tsr++]);
	}
}

static void write_cp_request(struct ike_wr *w, const struct conf_conn *c)
{
	struct ike_cp_attr a[4];
	int n = 0;
	if (c->left.want_vip4) {
		a[n++] = (struct ike_cp_attr){ INTERNAL_IP4_ADDRESS, NULL, 0 };
		a[n++] = (struct ike_cp_attr){ INTERNAL_IP4_DNS, NULL, 0 };
	}
	if (c->left.want_vip6) {
		a[n++] = (struct ike_cp_attr){ INTERNAL_IP6_ADDRESS, NULL, 0 };
		a[n++] = (struct ike_cp_attr){ INTERNAL_IP6_DNS, NULL, 0 };
	}
	if (n)
		ike_wr_cp(w, CFG_REQUEST, a, n);
}

/* CERTREQ: the SHA-1 of each trusted CA's public key (RFC 7296 §3.7), so
 * the server sends its certificate */
static void write_certreq(struct ike_wr *w, const struct config *cfg, X509 *only)
{
	uint8_t hashes[20 * 32];
	size_t n = 0;
	if (only) {
		if (cert_spki_sha1(only, hashes) == 0)
			n = 20;
	} else {
		for (int i = 0; cfg->cacerts && i < sk_X509_num(cfg->cacerts) && n + 20 <= sizeof(hashes);
		     i++)
			if (cert_spki_sha1(sk_X509_value(cfg->cacerts, i), hashes + n) == 0)
				n += 20;
	}
	ike_wr_certreq(w, CERT_ENC_X509_SIG, hashes, n);
}

static void write_our_certs(struct ike_wr *w, const struct peer_cfg *pc)
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

/* our AUTH payload for a shared key or a signature; 0 or -1 with why */
static int write_our_auth(struct ike_sa *sa, struct ike_wr *w, enum conf_auth how,
                          const struct ident *me, char *why, size_t whylen)
{
	const struct peer_cfg *pc = sa->cfg;
	if (how == AUTH_PSK) {
		struct ident peer;
		expected_id(pc, &peer);
		size_t klen;
		const uint8_t *key = config_psk(pc->owner, me, &peer, &klen);
		uint8_t auth[PRF_MAX_OUT];
		if (!key) {
			snprintf(why, whylen, "no PSK in ipsec.secrets for this conn");
			return -1;
		}
		if (ike_auth_psk(sa, true, key, klen, auth) != 0) {
			snprintf(why, whylen, "AUTH computation failed");
			return -1;
		}
		ike_wr_auth(w, AUTHM_PSK, auth, sa->prf_len);
		OPENSSL_cleanse(auth, sizeof(auth));
		return 0;
	}
	if (!pc->cert || !pc->key) {
		snprintf(why, whylen, "leftauth=pubkey needs leftcert= and its private key");
		return -1;
	}
	uint8_t *oct = NULL, sig[1024], method;
	size_t octlen, siglen = sizeof(sig);
	if (ike_auth_octets(sa, true, &oct, &octlen) != 0 ||
	    sig_sign(pc->key, sa->sig_hashes, oct, octlen, &method, sig, &siglen) != 0) {
		free(oct);
		snprintf(why, whylen, "signing failed");
		return -1;
	}
	free(oct);
	ike_wr_auth(w, method, sig, siglen);
	return 0;
}

int client_auth_start(struct daemon *d, struct ike_sa *sa)
{
	struct ike_ini *ini = sa->ini;
	const struct peer_cfg *pc = sa->cfg;
	const struct conf_conn *c = pc->conn;
	enum conf_auth how = our_auth(pc);
	struct ident me, srv;
	char why[400];
	our_id(sa, &me);
	expected_id(pc, &srv);
	sa->idi_body[0] = me.type;
	memset(sa->idi_body + 1, 0, 3);
	memcpy(sa->idi_body + 4, me.data, me.len);
	sa->idi_body_len = 4 + me.len;
	ini->eap = how == AUTH_EAP_MSCHAPV2;
	if (ini->eap) {
		size_t pwlen;
		eap_name(sa, &me, sa->user, sizeof(sa->user));
		const char *pw = config_eap_secret(pc->owner, sa->user, &pwlen);
		if (!pw) {
			snprintf(why, sizeof(why), "no EAP secret for '%s' in ipsec.secrets", sa->user);
			auth_failed(sa, IKE_END_AUTH, why);
			return -1;
		}
		eap_peer_init(&ini->peer, sa->user, (const uint8_t *)pw, pwlen);
	} else {
		ident_format(&me, sa->user, sizeof(sa->user));
	}
	ini->child_spi = dp_spi_new(d->dp);
	if (!ini->child_spi) {
		auth_failed(sa, IKE_END_FAILED, "no SPI");
		return -1;
	}
	our_selectors(sa);

	uint8_t *buf = d->buf_auth;
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(d->buf_auth));
	ike_wr_id(&w, PL_IDI, me.type, me.data, me.len);
	if (how == AUTH_PUBKEY && pc->cert)
		write_our_certs(&w, pc);
	ike_wr_notify(&w, 0, NULL, 0, N_INITIAL_CONTACT, NULL, 0);
	write_certreq(&w, pc->owner, pc->remote_ca);
	if (c->right.id && !ident_is_any(&srv))
		ike_wr_id(&w, PL_IDR, srv.type, srv.data, srv.len);
	if (!ini->eap && write_our_auth(sa, &w, how, &me, why, sizeof(why)) != 0) {
		auth_failed(sa, IKE_END_AUTH, why);
		return -1;
	}
	write_cp_request(&w, c);
	static struct ike_prop props[PROP_MAX];
	uint8_t spi[4] = { (uint8_t)(ini->child_spi >> 24), (uint8_t)(ini->child_spi >> 16),
	                   (uint8_t)(ini->child_spi >> 8), (uint8_t)ini->child_spi };
	int n = proposal_offer(&pc->esp, PROTO_ESP, false, spi, 4, props, PROP_MAX);
	ike_wr_sa_list(&w, props, n);
	ike_wr_ts(&w, PL_TSI, ini->tsi, ini->n_tsi);
	ike_wr_ts(&w, PL_TSR, ini->tsr, ini->n_tsr);
	if (c->mobike)
		ike_wr_notify(&w, 0, NULL, 0, N_MOBIKE_SUPPORTED, NULL, 0);
	ini->step = INI_AUTH;
	int rc = ike_sa_request(d, sa, IKE_AUTH, &w, REQ_AUTH);
	OPENSSL_cleanse(buf, w.len < sizeof(d->buf_auth) ? w.len : sizeof(d->buf_auth));
	if (rc != 0) {
		auth_failed(sa, IKE_END_FAILED, "cannot send IKE_AUTH");
		return -1;
	}
	return 0;
}

/* the server's certificate chain and signature; 0, or -1 with why */
static int check_server_sig(struct ike_sa *sa, const struct ike_msg *m, const struct ident *idr,
                            char *why, size_t whylen)
{
	const struct peer_cfg *pc = sa->cfg;
	X509 *cert;
	STACK_OF(X509) *chain;
	char err[320];
	struct ident want;
	if (peer_certs(m, &cert, &chain) != 0) {
		snprintf(why, whylen, "the server sent no certificate");
		return -1;
	}
	expected_id(pc, &want);
	int rc = -1;
	if (peer_cert_check(cert, chain, pc, idr, &want, err, sizeof(err)) != 0)
		snprintf(why, whylen, "the server's %s", err);
	else if (peer_auth_sig(sa, X509_get0_pubkey(cert), m, false) != 0)
		snprintf(why, whylen, "the server's AUTH signature does not verify");
	else
		rc = 0;
	X509_free(cert);
	sk_X509_pop_free(chain, X509_free);
	return rc;
}

/* IDr and the server's AUTH of the first response; 0, or -1 (failed) */
static int check_server(struct ike_sa *sa, const struct ike_msg *m)
{
	char why[400];
	struct ident idr;
	if (!m->idr.present || !m->has_auth || m->idr.body_len > sizeof(sa->idr_body)) {
		auth_failed(sa, IKE_END_AUTH, "the server's answer has no identity or AUTH");
		return -1;
	}
	ike_id_ident(&m->idr, &idr);
	sa->idi = idr;        /* the peer's identity, for logs and status */
	memcpy(sa->idr_body, m->idr.body, m->idr.body_len);
	sa->idr_body_len = m->idr.body_len;
	enum conf_auth ra = sa->cfg->conn->right.auth;
	bool psk_expected = ra == AUTH_PSK || (ra == AUTH_UNSET && our_auth(sa->cfg) == AUTH_PSK);
	if (m->auth_method != AUTHM_PSK && ra == AUTH_PSK) {
		auth_failed(sa, IKE_END_AUTH, "the server signs, but rightauth=psk");
		return -1;
	}
	if (m->auth_method == AUTHM_PSK) {
		struct ident me, want;
		size_t klen;
		our_id(sa, &me);
		expected_id(sa->cfg, &want);
		if (!psk_expected) {
			auth_failed(sa, IKE_END_AUTH, "the server authenticates with a PSK, but "
			            "rightauth is not psk");
			return -1;
		}
		/* the server must be the one we wanted, and the key is the one
		 * for that server, whatever identity it names */
		if (!ident_is_any(&want) && !ident_eq(&idr, &want)) {
			char t[256];
			ident_format(&want, t, sizeof(t));
			snprintf(why, sizeof(why), "the server's identity is not '%s' (rightid)", t);
			auth_failed(sa, IKE_END_AUTH, why);
			return -1;
		}
		const uint8_t *key = config_psk(sa->cfg->owner, &me, ident_is_any(&want) ? &idr : &want,
		                                &klen);
		if (peer_auth_psk(sa, key, klen, m, false) != 0) {
			auth_failed(sa, IKE_END_AUTH, "the server's PSK AUTH does not match ours");
			return -1;
		}
	} else if (check_server_sig(sa, m, &idr, why, sizeof(why)) != 0) {
		auth_failed(sa, IKE_END_AUTH, why);
		return -1;
	}
	char t[256];
	ident_format(&idr, t, sizeof(t));
	log_info(LOG_IKE, "%s: server '%s' authenticated with %s", ike_sa_tag(sa), t,
	         m->auth_method == AUTHM_PSK ? "a pre-shared key" : "its certificate");
	sa->ini->server_authed = true;
	return 0;
}

/* the CP reply: our virtual IPs and DNS servers */
static void take_cp(struct ike_sa *sa, const struct ike_msg *m)
{
	struct cp_got *g = &sa->got;
	memset(g, 0, sizeof(*g));
	if (!m->has_cp || m->cp_type != CFG_REPLY)
		return;
	for (int i = 0; i < m->n_cp; i++) {
		const struct ike_cp_attr *a = &m->cp[i];
		if (a->type == INTERNAL_IP4_ADDRESS && a->len == 4 && !g->v4) {
			memcpy(g->vip4, a->val, 4);
			g->v4 = true;
		} else if (a->type == INTERNAL_IP6_ADDRESS && a->len == 17 && !g->v6) {
			memcpy(g->vip6, a->val, 16);
			g->v6 = true;
		} else if (a->type == INTERNAL_IP4_DNS && a->len == 4 && g->n_dns4 < CP_MAX_DNS) {
			memcpy(g->dns4[g->n_dns4++], a->val, 4);
		} else if (a->type == INTERNAL_IP6_DNS && (a->len == 16 || a->len == 17) &&
		           g->n_dns6 < CP_MAX_DNS) {
			memcpy(g->dns6[g->n_dns6++], a->val, 16);
		}
	}
}

/* The server's TSi narrowed to our virtual IPs: for a family we asked a
 * virtual IP of, each selector of that family cut to the address (with
 * its protocol and ports); selectors of other families as granted. The
 * count written to out. */
static int narrow_to_vips(const struct ike_sa *sa, const struct ike_ts *tsi, int n,
                          struct ike_ts *out)
{
	const struct conf_end *left = &sa->cfg->conn->left;
	int k = 0;
	for (int i = 0; i < n && k < IKE_MAX_TS; i++) {
		bool v4 = tsi[i].type == TS_IPV4_ADDR_RANGE;
		bool asked = v4 ? left->want_vip4 : left->want_vip6;
		bool got = v4 ? sa->got.v4 : sa->got.v6;
		if (!asked) {
			out[k++] = tsi[i];
			continue;
		}
		if (!got)
			continue;
		const uint8_t *vip = v4 ? sa->got.vip4 : sa->got.vip6;
		size_t alen = v4 ? 4 : 16;
		if (memcmp(tsi[i].start, vip, alen) > 0 || memcmp(vip, tsi[i].end, alen) > 0)
			continue;
		out[k] = tsi[i];
		memcpy(out[k].start, vip, alen);
		memcpy(out[k].end, vip, alen);
		k++;
	}
	return k;
}

/* the last response: CP, the CHILD_SA; the IKE_SA is established */
static void finish(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	const struct peer_cfg *pc = sa->cfg;
	const struct conf_conn *c = pc->conn;
	char why[256];
	take_cp(sa, m);
	if ((c->left.want_vip4 || c->left.want_vip6) && !sa->got.v4 && !sa->got.v6) {
		auth_failed(sa, IKE_END_FAILED, "we asked for a virtual IP (leftsourceip) and the "
		            "server gave none");
		return;
	}
	sa->peer_mobike = c->mobike && ike_find_notify(m, N_MOBIKE_SUPPORTED) != NULL;
	const struct ike_notify *al = ike_find_notify(m, N_AUTH_LIFETIME);
	if (al && al->len == 4) {
		ini->got_auth_lifetime = true;
		ini->auth_lifetime = (uint32_t)al->data[0] << 24 | (uint32_t)al->data[1] << 16 |
		                     (uint32_t)al->data[2] << 8 | al->data[3];
	}
	const struct ike_notify *err = ike_find_error(m);
	struct selected sel;
	struct ike_prop out;
	if (err || m->n_props != 1 || m->props[0].spi_size != 4 ||
	    proposal_select(m->props, 1, PROTO_ESP, &pc->esp, true, 0, &sel, &out) != 0 ||
	    m->n_tsi < 1 || m->n_tsr < 1) {
		snprintf(why, sizeof(why), "the server made no CHILD_SA: %s",
		         err ? ike_notify_name(err->type) : "its choice does not match our offer");
		goto fail;
	}
	for (int i = 0; i < m->n_tsi; i++)
		if (!child_ts_within(&m->tsi[i], ini->tsi, ini->n_tsi))
			goto wide;
	for (int i = 0; i < m->n_tsr; i++)
		if (!child_ts_within(&m->tsr[i], ini->tsr, ini->n_tsr))
			goto wide;
	/* our side is our virtual IPs, whatever the server grants (as
	 * strongSwan narrows a dynamic TSi): packets it sends to any other
	 * inner destination are dropped, never written to our TUN device */
	struct ike_ts ours[IKE_MAX_TS];
	int n_ours = narrow_to_vips(sa, m->tsi, m->n_tsi, ours);
	if (!n_ours) {
		snprintf(why, sizeof(why), "the server's TSi holds none of our virtual IPs");
		goto fail;
	}
	struct child_sa *ch = &sa->child[0];
	memset(ch, 0, sizeof(*ch));
	ch->spi_in = ini->child_spi;
	const uint8_t *s = m->props[0].spi;
	ch->spi_out = (uint32_t)s[0] << 24 | (uint32_t)s[1] << 16 | (uint32_t)s[2] << 8 | s[3];
	ch->encr = sel.encr;
	ch->keybits = sel.keybits;
	ch->integ = sel.integ;
	ch->created = now_sec();
	/* tsi is always the peer's side, tsr ours */
	memcpy(ch->tsi, m->tsr, sizeof(*m->tsr) * (size_t)m->n_tsr);
	ch->n_tsi = m->n_tsr;
	memcpy(ch->tsr, ours, sizeof(*ours) * (size_t)n_ours);
	ch->n_tsr = n_ours;
	struct dp_sa_params dp;
	memset(&dp, 0, sizeof(dp));
	if (ike_keys_child(sa, true, sel.encr, sel.keybits, sel.integ, NULL, 0, sa->ni, sa->ni_len,
	                   sa->nr, sa->nr_len, &dp) != 0) {
		dp_sa_params_wipe(&dp);
		snprintf(why, sizeof(why), "CHILD_SA key derivation failed");
		goto fail;
	}
	if (child_sa_install(d, sa, ch, &dp) != 0) {
		snprintf(why, sizeof(why), "the data plane refused the CHILD_SA");
		goto fail;
	}
	ch->reqid = ++d->next_reqid;
	char chosen[256];
	selected_format(&sel, PROTO_ESP, chosen, sizeof(chosen));
	log_info(LOG_CFG, "%s: selected proposal ESP:%s, SPIs %08x_i %08x_o", ike_sa_tag(sa),
	         chosen, ch->spi_in, ch->spi_out);
	if (sa->got.v4 || sa->got.v6 || sa->got.n_dns4 || sa->got.n_dns6) {
		char line[512] = "", a[INET6_ADDRSTRLEN];
		size_t l = 0;
		if (sa->got.v4)
			l += (size_t)snprintf(line + l, sizeof(line) - l, " %s",
			                      inet_ntop(AF_INET, sa->got.vip4, a, sizeof(a)));
		if (sa->got.v6 && l < sizeof(line))
			l += (size_t)snprintf(line + l, sizeof(line) - l, " %s",
			                      inet_ntop(AF_INET6, sa->got.vip6, a, sizeof(a)));
		if (l < sizeof(line))
			l += (size_t)snprintf(line + l, sizeof(line) - l, ", DNS servers");
		for (int i = 0; i < sa->got.n_dns4 && l < sizeof(line); i++)
			l += (size_t)snprintf(line + l, sizeof(line) - l, " %s",
			                      inet_ntop(AF_INET, sa->got.dns4[i], a, sizeof(a)));
		for (int i = 0; i < sa->got.n_dns6 && l < sizeof(line); i++)
			l += (size_t)snprintf(line + l, sizeof(line) - l, " %s",
			                      inet_ntop(AF_INET6, sa->got.dns6[i], a, sizeof(a)));
		log_info(LOG_IKE, "%s: virtual IPs%s", ike_sa_tag(sa), line);
	}
	if (ini->got_auth_lifetime)
		log_info(LOG_IKE, "%s: the server asks for reauthentication within %us (RFC 4478)",
		         ike_sa_tag(sa), ini->auth_lifetime);
	uint32_t auth_lifetime = ini->got_auth_lifetime ? ini->auth_lifetime : 0;
	client_ini_free(sa->ini);
	sa->ini = NULL;
	ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	if (auth_lifetime) {
		/* reauthenticate a tenth before the server's deadline */
		uint64_t at = sa->established + auth_lifetime - auth_lifetime / 10;
		if (!sa->rekey_at || at < sa->rekey_at)
			sa->rekey_at = at;
		rekey_start_timer(sa);
	}
	ike_sa_log_outcome(sa, "connection established");
	if (!sa->probe)
		updown_child(d, sa, ch, true);
	client_sa_up(d, sa);
	return;
wide:
	snprintf(why, sizeof(why), "the server's traffic selectors are wider than we proposed");
fail:
	/* authenticated, but useless without a CHILD_SA: delete it */
	ike_sa_log_outcome(sa, why);
	snprintf(ini->why, sizeof(ini->why), "%s", why);
	ike_sa_send_delete(d, sa);
	sa->end = IKE_END_FAILED;
	ike_sa_set_state(sa, IKE_S_DEAD);
}

/* sends our next IKE_AUTH request (an EAP response or the final AUTH) */
static void send_next(struct daemon *d, struct ike_sa *sa, const uint8_t *eap, size_t eaplen,
                      const uint8_t *auth, size_t authlen)
{
	uint8_t buf[1024];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	if (eap)
		ike_wr_eap(&w, eap, eaplen);
	if (auth)
		ike_wr_auth(&w, AUTHM_PSK, auth, authlen);
	if (ike_sa_request(d, sa, IKE_AUTH, &w, REQ_AUTH) != 0)
		auth_failed(sa, IKE_END_FAILED, "cannot send IKE_AUTH");
	OPENSSL_cleanse(buf, sizeof(buf));
}

static void eap_step(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	uint8_t out[512], auth[PRF_MAX_OUT];
	size_t outlen = 0;
	if (!m->eap) {
		auth_failed(sa, IKE_END_FAILED, "the server's answer has no EAP message (does the "
		            "server expect another authentication method than EAP?)");
		return;
	}
	enum eap_peer_result r = eap_peer_process(&ini->peer, m->eap, m->eap_len, out, sizeof(out),
	                                          &outlen);
	switch (r) {
	case EAP_PEER_REPLY:
		ini->step = INI_EAP;
		send_next(d, sa, out, outlen, NULL, 0);
		break;
	case EAP_PEER_SUCCESS:
		if (ike_auth_psk(sa, true, ini->peer.msk, MSK_LEN, auth) != 0) {
			auth_failed(sa, IKE_END_FAILED, "AUTH computation failed");
			break;
		}
		ini->step = INI_FINAL;
		log_info(LOG_IKE, "%s: EAP-MSCHAPv2 succeeded for '%s'", ike_sa_tag(sa), sa->user);
		send_next(d, sa, NULL, 0, auth, sa->prf_len);
		break;
	case EAP_PEER_FAILURE: {
		char why[480];
		snprintf(why, sizeof(why), "EAP-MSCHAPv2 as '%s' failed: %s", sa->user,
		         ini->peer.why[0] ? ini->peer.why : "refused");
		if (outlen) {
			/* the Failure-Response the server waits for; then it ends */
			uint8_t tmp[512];
			memcpy(tmp, out, outlen);
			send_next(d, sa, tmp, outlen, NULL, 0);
		}
		auth_failed(sa, IKE_END_AUTH, why);
		break;
	}
	default:
		auth_failed(sa, IKE_END_FAILED, "malformed EAP message from the server");
		break;
	}
	OPENSSL_cleanse(out, sizeof(out));
	OPENSSL_cleanse(auth, sizeof(auth));
}

/* RFC 5685 §6: a REDIRECT in an IKE_AUTH answer of the authenticated
 * server (with EAP: the one with EAP-Success, or the last): this IKE_SA
 * is deleted and the conn connects there; true when there was one */
static bool auth_redirected(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	struct redirect_gw gw;
	const char *bad;
	char rwhy[REDIRECT_GW_MAX * 4 + 200], to[REDIRECT_GW_MAX * 4 + 1];
	int r = client_redirect_of(d, sa, m, NULL, 0, &gw, &bad);
	if (r == 0)
		return false;
	if (r < 0) {
		snprintf(rwhy, sizeof(rwhy), "the server's REDIRECT in IKE_AUTH: %s", bad);
	} else if (client_redirect_setup(d, sa, &gw, rwhy, sizeof(rwhy)) == 0) {
		log_info(LOG_IKE, "%s: the server redirects us to %s in IKE_AUTH", ike_sa_tag(sa),
		         redirect_gw_format(&gw, to, sizeof(to)));
		ike_sa_send_delete(d, sa);
		sa->end = IKE_END_LOCAL;
		ike_sa_set_state(sa, IKE_S_DEAD);
		return true;
	}
	ike_sa_log_outcome(sa, rwhy);
	snprintf(ini->why, sizeof(ini->why), "%.250s", rwhy);
	ike_sa_send_delete(d, sa);
	sa->end = IKE_END_FAILED;
	ike_sa_set_state(sa, IKE_S_DEAD);
	return true;
}

void client_auth_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	struct ike_ini *ini = sa->ini;
	if (!ini || ini->step == INI_INIT)
		return;
	const struct ike_notify *err = ike_find_error(m);
	if (err && (err->type == N_AUTHENTICATION_FAILED || !m->has_auth)) {
		/* an answer from a server that has not proven itself yet may be
		 * anyone's: a failed attempt (tried again per keyingtries), not
		 * a verdict on our credentials */
		bool verdict = ini->server_authed && err->type == N_AUTHENTICATION_FAILED;
		char why[320];
		const char *hint = "";
		if (err->type == N_AUTHENTICATION_FAILED && !ini->server_authed &&
		    sa->cfg->conn->right.id)
			hint = " (is the server's identity the one rightid= names? or are our "
			       "credentials wrong?)";
		else if (err->type == N_AUTHENTICATION_FAILED)
			hint = ini->eap ? " (wrong user name or password?)" : " (wrong credentials?)";
		snprintf(why, sizeof(why), "the server answered %s%s", ike_notify_name(err->type),
		         hint);
		auth_failed(sa, verdict ? IKE_END_AUTH : IKE_END_FAILED, why);
		return;
	}
	if (!ini->server_authed && check_server(sa, m) != 0)
		return;
	if (auth_redirected(d, sa, m))
		return;
	if (!ini->eap) {
		finish(d, sa, m);
		return;
	}
	if (ini->step != INI_FINAL) {
		eap_step(d, sa, m);
		return;
	}
	/* the server's AUTH from the MSK */
	uint8_t expect[PRF_MAX_OUT];
	if (!m->has_auth || m->auth_method != AUTHM_PSK || m->auth_len != sa->prf_len ||
	    ike_auth_psk(sa, false, ini->peer.msk, MSK_LEN, expect) != 0 ||
	    CRYPTO_memcmp(expect, m->auth, sa->prf_len) != 0) {
		OPENSSL_cleanse(expect, sizeof(expect));
		auth_failed(sa, IKE_END_AUTH, "the server's AUTH from the EAP key does not match");
		return;
	}
	OPENSSL_cleanse(expect, sizeof(expect));
	finish(d, sa, m);
}
