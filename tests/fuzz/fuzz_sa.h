/* For the fuzz targets that need a daemon and an IKE_SA: a first-run
 * configuration (server certificate, one EAP user "vpnuser" with a
 * password, pools) created once in a temporary dir and loaded; no sockets
 * are open, so answers are built but go nowhere. fuzz_sa_new makes an
 * IKE_SA as IKE_SA_INIT leaves it (algorithms, nonces, both IKE_SA_INIT
 * messages, SK_* keys), keyed with fixed keys so that the target can
 * protect messages as the peer would (fuzz_peer_x). */
#ifndef CYGNET_FUZZ_SA_H
#define CYGNET_FUZZ_SA_H

#include <arpa/inet.h>
#include <event2/event.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "crypto/algs.h"
#include "crypto/xform.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/firstrun.h"
#include "src/ike.h"
#include "src/ike_sa.h"
#include "src/log.h"

static struct daemon fuzz_d;
static char fuzz_user[64], fuzz_pass[FIRSTRUN_MAX_PASSWORD + 1];
static struct sockaddr_in fuzz_peer, fuzz_local;
static struct xform *fuzz_peer_x;     /* the peer's SK_ei/SK_ai: seals what we open */
static const uint8_t fuzz_ek[32] = "fuzz: SK_e, the same both ways.";
static const uint8_t fuzz_ak[32] = "fuzz: SK_a, the same both ways.";

static inline void fuzz_daemon_setup(void)
{
	char dir[] = "/tmp/cygnet-fuzz-XXXXXX", conf[600], err[512], cmd[700];

	if (fuzz_d.cfg)
		return;
	if (!mkdtemp(dir))
		abort();
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	struct firstrun_opts o = { .server_id = "198.18.0.1", .pools = { "198.19.0.0/24",
	                           "2001:db8:ffff::/112" }, .n_pools = 2 };
	struct firstrun_result res;
	if (firstrun_create(conf, &o, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "firstrun: %s\n", err);
		abort();
	}
	snprintf(fuzz_user, sizeof(fuzz_user), "%s", res.user);
	snprintf(fuzz_pass, sizeof(fuzz_pass), "%s", res.password);
	firstrun_result_wipe(&res);
	log_set_level(-1, -1);
	fuzz_d.cfg = config_load(conf, err, sizeof(err));
	if (!fuzz_d.cfg || fuzz_d.cfg->n_peers < 1) {
		fprintf(stderr, "config: %s\n", err);
		abort();
	}
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		fprintf(stderr, "could not remove %s\n", dir);
	fuzz_d.base = event_base_new();
	struct dp_params dp = { .base = fuzz_d.base, .tun_fd = -1, .on_event = daemon_dp_event,
	                        .arg = &fuzz_d };
	fuzz_d.dp = fuzz_d.base ? dp_new(&dp, NULL, 0) : NULL;
	if (!fuzz_d.base || !fuzz_d.dp)
		abort();
	fuzz_peer.sin_family = AF_INET;
	fuzz_peer.sin_port = htons(4500);
	fuzz_local = fuzz_peer;
	inet_pton(AF_INET, "198.18.0.2", &fuzz_peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &fuzz_local.sin_addr);
}

static inline uint8_t *fuzz_dup(const char *s, size_t len)
{
	uint8_t *p = malloc(len);
	if (!p)
		abort();
	memcpy(p, s, len);
	return p;
}

/* an IKE_SA after IKE_SA_INIT (state IKE_S_INIT_DONE, next request 1),
 * then put into state st */
static inline struct ike_sa *fuzz_sa_new(enum ike_state st, bool peer_frag)
{
	static const uint8_t spi_i[8] = { 0xf0, 0x22, 1, 2, 3, 4, 5, 6 };
	struct ike_sa *sa = ike_sa_new(&fuzz_d, spi_i, (struct sockaddr *)&fuzz_peer,
	                               sizeof(fuzz_peer), (struct sockaddr *)&fuzz_local,
	                               sizeof(fuzz_local));
	if (!sa)
		abort();
	sa->encr = ENCR_AES_CBC;
	sa->keybits = 256;
	sa->integ = AUTH_HMAC_SHA2_256_128;
	sa->prf = PRF_HMAC_SHA2_256;
	sa->dh_group = ECP_256;
	sa->msgid_next = 1;
	sa->peer_frag = peer_frag;
	sa->ni = fuzz_dup("fuzz: Ni, thirty-two bytes long", 32);
	sa->ni_len = 32;
	sa->nr = fuzz_dup("fuzz: Nr, thirty-two bytes long", 32);
	sa->nr_len = 32;
	sa->init_req = fuzz_dup("fuzz: the IKE_SA_INIT request", 29);
	sa->init_req_len = 29;
	sa->init_resp = fuzz_dup("fuzz: the IKE_SA_INIT response", 30);
	sa->init_resp_len = 30;
	sa->prf_len = 32;
	memset(sa->sk_d, 0xd1, sizeof(sa->sk_d));
	memset(sa->sk_pi, 0x71, sizeof(sa->sk_pi));
	memset(sa->sk_pr, 0x72, sizeof(sa->sk_pr));
	sa->x_in = xform_new(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, fuzz_ek, fuzz_ak);
	sa->x_out = xform_new(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, fuzz_ek, fuzz_ak);
	if (!sa->x_in || !sa->x_out)
		abort();
	ike_sa_set_cfg(sa, &fuzz_d.cfg->peers[0]);
	ike_sa_set_state(sa, IKE_S_INIT_DONE);
	if (st != IKE_S_INIT_DONE)
		ike_sa_set_state(sa, st);
	return sa;
}

/* how fuzz_seal_send builds a protected request */
struct fuzz_seal {
	uint8_t exchange;
	uint32_t msgid;
	bool skf;                 /* an Encrypted Fragment payload (RFC 7383) */
	uint8_t num, total;       /* its Fragment Number and Total Fragments */
	uint8_t next;             /* the first inner payload type */
	bool crit;                /* an unknown critical payload before SK/SKF */
	bool forge;               /* a broken ICV */
};

/* Protects plaintext (an inner payload chain, padded here) as the peer
 * of sa would, in a request to sa, and hands the datagram to ike_input.
 * Returns whether sa still exists afterwards (a DELETE or a failed
 * authentication removes it). */
static inline bool fuzz_seal_send(struct ike_sa *sa, const struct fuzz_seal *how,
                           const uint8_t *p, size_t len)
{
	static uint8_t dgram[IKE_MAX_MSG];
	if (!fuzz_peer_x)
		fuzz_peer_x = xform_new(ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, fuzz_ek, fuzz_ak);
	if (!fuzz_peer_x)
		abort();
	size_t ivlen = xform_iv_len(fuzz_peer_x), icvlen = xform_icv_len(fuzz_peer_x);
	size_t block = xform_block_len(fuzz_peer_x);
	size_t ctlen = (len + 1 + block - 1) / block * block;
	size_t crit = how->crit ? 4 : 0;
	size_t hdr = IKE_HDR_LEN + crit + 4 + (how->skf ? 4 : 0);
	size_t total_len = hdr + ivlen + ctlen + icvlen;
	uint8_t sk = how->skf ? PL_SKF : PL_SK;
	if (total_len > sizeof(dgram))
		return true;
	uint8_t *h = dgram;
	memcpy(h, sa->spi_i, 8);
	memcpy(h + 8, sa->spi_r, 8);
	h[16] = crit ? 0xc0 : sk;         /* 0xc0: an unassigned type */
	h[17] = 0x20;
	h[18] = how->exchange;
	h[19] = IKE_FLAG_INITIATOR;
	for (int i = 0; i < 4; i++) {
		h[20 + i] = (uint8_t)(how->msgid >> (24 - 8 * i));
		h[24 + i] = (uint8_t)(total_len >> (24 - 8 * i));
	}
	uint8_t *pl = h + IKE_HDR_LEN;
	if (crit) {
		pl[0] = sk;
		pl[1] = 0x80;
		pl[2] = 0;
		pl[3] = 4;
		pl += 4;
	}
	size_t pllen = total_len - IKE_HDR_LEN - crit;
	pl[0] = how->next;
	pl[1] = 0;
	pl[2] = (uint8_t)(pllen >> 8);
	pl[3] = (uint8_t)pllen;
	if (how->skf) {
		pl[4] = 0;
		pl[5] = how->num;
		pl[6] = 0;
		pl[7] = how->total;
	}
	uint8_t *iv = dgram + hdr, *ct = iv + ivlen;
	memset(iv, 0x5a, ivlen);
	memcpy(ct, p, len);
	memset(ct + len, 0, ctlen - len - 1);
	ct[ctlen - 1] = (uint8_t)(ctlen - len - 1);
	if (xform_seal_iv(fuzz_peer_x, dgram, hdr, iv, ct, ctlen, ct + ctlen) != 0)
		abort();
	if (how->forge)
		ct[ctlen + icvlen - 1] ^= 1;
	ike_input(&fuzz_d, dgram, total_len, (struct sockaddr *)&fuzz_peer, sizeof(fuzz_peer),
	          (struct sockaddr *)&fuzz_local, sizeof(fuzz_local));
	for (struct ike_sa *s = fuzz_d.sas; s; s = s->next)
		if (s == sa && s->state != IKE_S_DEAD)
			return true;
	return false;
}

/* every IKE_SA goes, as after each input */
static inline void fuzz_sa_reap_all(void)
{
	for (struct ike_sa *sa = fuzz_d.sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(&fuzz_d);
	fuzz_d.half_open = 0;
}

/* splits data at each "FUZZ" (so that mutations of one part do not shift
 * the others): calls part() for every piece, at most max of them */
static inline void fuzz_split(const uint8_t *data, size_t size, int max,
                       void (*part)(const uint8_t *p, size_t len, void *arg), void *arg)
{
	static const uint8_t sep[4] = { 'F', 'U', 'Z', 'Z' };
	int n = 0;
	while (n < max) {
		const uint8_t *s = size >= 4 ? memmem(data, size, sep, 4) : NULL;
		size_t len = s ? (size_t)(s - data) : size;
		part(data, len, arg);
		n++;
		if (!s)
			break;
		data = s + 4;
		size -= len + 4;
	}
}

#endif
