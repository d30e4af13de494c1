/* CHILD_SA creation and deletion. */
#include <arpa/inet.h>
#include <stdio.h>
#include <string.h>
#include "crypto/algs.h"
#include "src/child_sa.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/metrics.h"
#include "src/natd.h"
#include "src/proposal_select.h"
#include "src/updown.h"

static size_t ts_alen(uint8_t type)
{
	return type == TS_IPV4_ADDR_RANGE ? 4 : 16;
}

static bool ts_contains(const struct ike_ts *ts, const uint8_t *addr)
{
	size_t n = ts_alen(ts->type);
	return memcmp(ts->start, addr, n) <= 0 && memcmp(addr, ts->end, n) <= 0;
}

void child_ts_from_net(const struct conf_net *net, struct ike_ts *ts)
{
	size_t n = net->family == AF_INET ? 4 : 16;
	memset(ts, 0, sizeof(*ts));
	ts->type = net->family == AF_INET ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
	ts->sport = 0;
	ts->eport = 65535;
	for (size_t i = 0; i < n; i++) {
		int bits = (int)net->prefix - (int)(8 * i);
		uint8_t mask = bits >= 8 ? 0xff : bits <= 0 ? 0 : (uint8_t)(0xff << (8 - bits));
		ts->start[i] = net->addr[i] & mask;
		ts->end[i] = (uint8_t)(net->addr[i] | ~mask);
	}
}

/* a = a ∩ b; false when empty */
static bool ts_intersect(struct ike_ts *a, const struct ike_ts *b)
{
	if (a->type != b->type)
		return false;
	size_t n = ts_alen(a->type);
	if (memcmp(b->start, a->start, n) > 0)
		memcpy(a->start, b->start, n);
	if (memcmp(b->end, a->end, n) < 0)
		memcpy(a->end, b->end, n);
	if (a->sport < b->sport)
		a->sport = b->sport;
	if (a->eport > b->eport)
		a->eport = b->eport;
	if (a->ip_proto == 0)
		a->ip_proto = b->ip_proto;
	else if (b->ip_proto && b->ip_proto != a->ip_proto)
		return false;
	return memcmp(a->start, a->end, n) <= 0 && a->sport <= a->eport;
}

bool child_ts_within(const struct ike_ts *t, const struct ike_ts *set, int n)
{
	size_t alen = ts_alen(t->type);
	for (int i = 0; i < n; i++) {
		const struct ike_ts *s = &set[i];
		if (s->type != t->type || memcmp(s->start, t->start, alen) > 0 ||
		    memcmp(t->end, s->end, alen) > 0 || memcmp(t->start, t->end, alen) > 0)
			continue;
		if (t->sport < s->sport || t->eport > s->eport || t->sport > t->eport)
			continue;
		if (s->ip_proto && s->ip_proto != t->ip_proto)
			continue;
		return true;
	}
	return false;
}

int child_sa_take_rekey_ts(struct child_sa *c, const struct ike_msg *m)
{
	if (m->n_tsi < 1 || m->n_tsi > IKE_MAX_TS || m->n_tsr < 1 || m->n_tsr > IKE_MAX_TS)
		return -1;
	for (int i = 0; i < m->n_tsi; i++)
		if (!child_ts_within(&m->tsi[i], c->tsr, c->n_tsr))
			return -1;
	for (int i = 0; i < m->n_tsr; i++)
		if (!child_ts_within(&m->tsr[i], c->tsi, c->n_tsi))
			return -1;
	memcpy(c->tsr, m->tsi, sizeof(*m->tsi) * (size_t)m->n_tsi);
	c->n_tsr = m->n_tsi;
	memcpy(c->tsi, m->tsr, sizeof(*m->tsr) * (size_t)m->n_tsr);
	c->n_tsi = m->n_tsr;
	return 0;
}

/* TSi: the peer's virtual IPs, where its proposal covers them */
static int narrow_tsi(const struct ike_sa *sa, const struct ike_ts *tsi, int n_tsi,
                      struct ike_ts *out)
{
	int n = 0;
	for (int fam = 0; fam < 2; fam++) {
		bool has = fam == 0 ? sa->has_vip4 : sa->has_vip6;
		const uint8_t *vip = fam == 0 ? sa->vip4 : sa->vip6;
		uint8_t type = fam == 0 ? TS_IPV4_ADDR_RANGE : TS_IPV6_ADDR_RANGE;
		if (!has)
			continue;
		for (int i = 0; i < n_tsi; i++) {
			if (tsi[i].type != type || !ts_contains(&tsi[i], vip))
				continue;
			struct ike_ts *t = &out[n++];
			memset(t, 0, sizeof(*t));
			t->type = type;
			t->ip_proto = tsi[i].ip_proto;
			t->sport = tsi[i].sport;
			t->eport = tsi[i].eport;
			memcpy(t->start, vip, ts_alen(type));
			memcpy(t->end, vip, ts_alen(type));
			break;
		}
	}
	return n;
}

/* TSr: the peer's proposal ∩ leftsubnet, for families with a TSi */
static int narrow_tsr(const struct ike_sa *sa, const struct ike_ts *tsi_out, int n_tsi_out,
                      const struct ike_ts *tsr, int n_tsr, struct ike_ts *out)
{
	const struct conf_end *left = &sa->cfg->conn->left;
	struct conf_net any[2] = { { .family = AF_INET }, { .family = AF_INET6 } };
	const struct conf_net *nets = left->n_subnet ? left->subnet : any;
	int n_nets = left->n_subnet ? left->n_subnet : 2;
	int n = 0;
	for (int i = 0; i < n_tsr && n < IKE_MAX_TS; i++) {
		bool fam_ok = false;
		for (int j = 0; j < n_tsi_out; j++)
			if (tsi_out[j].type == tsr[i].type)
				fam_ok = true;
		if (!fam_ok)
			continue;
		for (int j = 0; j < n_nets && n < IKE_MAX_TS; j++) {
			struct ike_ts net;
			child_ts_from_net(&nets[j], &net);
			struct ike_ts t = tsr[i];
			if (ts_intersect(&t, &net))
				out[n++] = t;
		}
	}
	return n;
}

/* every non-empty intersection of a proposed selector with one of ours */
static int narrow_to(const struct ike_ts *prop, int n_prop, const struct ike_ts *ours, int n_ours,
                     struct ike_ts *out)
{
	int n = 0;
	for (int i = 0; i < n_prop && n < IKE_MAX_TS; i++)
		for (int j = 0; j < n_ours && n < IKE_MAX_TS; j++) {
			struct ike_ts t = prop[i];
			if (ts_intersect(&t, &ours[j]))
				out[n++] = t;
		}
	return n;
}

/* a client answering the server's CREATE_CHILD_SA (a rekey): the
 * server's side (TSi) within rightsubnet (or the server's address), ours
 * (TSr) within our virtual IPs (or our address) */
static void narrow_client(const struct ike_sa *sa, const struct ike_ts *tsi, int n_tsi,
                          const struct ike_ts *tsr, int n_tsr, struct child_sa *c)
{
	const struct conf_end *right = &sa->cfg->conn->right;
	struct ike_ts theirs[IKE_MAX_TS], ours[2];
	int nt = 0, no = 0;
	for (int i = 0; i < right->n_subnet && nt < IKE_MAX_TS; i++)
		child_ts_from_net(&right->subnet[i], &theirs[nt++]);
	const struct sockaddr_storage *hosts[2] = { &sa->peer, &sa->local };
	for (int k = 0; k < 2; k++) {
		if (k == 0 && nt)
			continue;
		if (k == 1 && (sa->got.v4 || sa->got.v6))
			continue;
		const uint8_t *ip;
		size_t iplen;
		uint16_t port;
		addr_bytes((const struct sockaddr *)hosts[k], &ip, &iplen, &port);
		struct conf_net h = { .family = iplen == 4 ? AF_INET : AF_INET6,
		                      .prefix = (uint8_t)(iplen * 8) };
		memcpy(h.addr, ip, iplen);
		child_ts_from_net(&h, k == 0 ? &theirs[nt++] : &ours[no++]);
	}
	if (sa->got.v4) {
		struct conf_net h = { .family = AF_INET, .prefix = 32 };
		memcpy(h.addr, sa->got.vip4, 4);
		child_ts_from_net(&h, &ours[no++]);
	}
	if (sa->got.v6) {
		struct conf_net h = { .family = AF_INET6, .prefix = 128 };
		memcpy(h.addr, sa->got.vip6, 16);
		child_ts_from_net(&h, &ours[no++]);
	}
	c->n_tsi = narrow_to(tsi, n_tsi, theirs, nt, c->tsi);
	c->n_tsr = narrow_to(tsr, n_tsr, ours, no, c->tsr);
}

_Static_assert(DP_MAX_TS >= IKE_MAX_TS, "every negotiated selector fits the data plane");

/* the negotiated selectors as the data plane checks them */
static int ts_to_dp(const struct ike_ts *ts, int n, struct esp_ts *out)
{
	for (int i = 0; i < n; i++) {
		memset(&out[i], 0, sizeof(out[i]));
		if (ts[i].type != TS_IPV4_ADDR_RANGE && ts[i].type != TS_IPV6_ADDR_RANGE)
			return -1;
		out[i].family = ts[i].type == TS_IPV4_ADDR_RANGE ? AF_INET : AF_INET6;
		out[i].proto = ts[i].ip_proto;
		out[i].sport = ts[i].sport;
		out[i].eport = ts[i].eport;
		memcpy(out[i].start, ts[i].start, ts_alen(ts[i].type));
		memcpy(out[i].end, ts[i].end, ts_alen(ts[i].type));
	}
	return 0;
}

void child_sa_endpoints(const struct ike_sa *sa, struct dp_endpoints *ep)
{
	memset(ep, 0, sizeof(*ep));
	memcpy(&ep->peer, &sa->peer, sa->peer_len);
	ep->peer_len = sa->peer_len;
	memcpy(&ep->local, &sa->local, sa->local_len);
	ep->local_len = sa->local_len;
}

int child_sa_install(struct daemon *d, struct ike_sa *sa, struct child_sa *c,
                     struct dp_sa_params *p)
{
	int rc = -1;
	p->spi_in = c->spi_in;
	p->spi_out = c->spi_out;
	/* c->tsi is always the peer's side, c->tsr ours, whoever initiated */
	if (c->n_tsi > IKE_MAX_TS || c->n_tsr > IKE_MAX_TS ||
	    ts_to_dp(c->tsr, c->n_tsr, p->ts_local) != 0 ||
	    ts_to_dp(c->tsi, c->n_tsi, p->ts_remote) != 0)
		goto out;
	p->n_ts_local = c->n_tsr;
	p->n_ts_remote = c->n_tsi;
	p->has_vip4 = sa->has_vip4;
	p->has_vip6 = sa->has_vip6;
	memcpy(p->vip4, sa->vip4, 4);
	memcpy(p->vip6, sa->vip6, 16);
	child_sa_endpoints(sa, &p->ep);
	p->owner = sa->id;
	if (dp_sa_add(d->dp, p) != 0)
		goto out;
	c->installed = true;
	sa->n_child++;
	rc = 0;
out:
	dp_sa_params_wipe(p);
	return rc;
}

uint16_t child_sa_create(struct daemon *d, struct ike_sa *sa,
                         const struct ike_prop *props, int n_props,
                         const struct ike_ts *tsi, int n_tsi,
                         const struct ike_ts *tsr, int n_tsr,
                         const struct child_params *p, struct ike_wr *w)
{
	char offer[1024], chosen[256];
	struct selected sel;
	struct ike_prop out;
	if (sa->n_child >= IKE_MAX_CHILD)
		return N_NO_ADDITIONAL_SAS;
	peer_props_format(props, n_props, offer, sizeof(offer));
	if (proposal_select(props, n_props, PROTO_ESP, &sa->cfg->esp, p->first, p->ke_group,
	                    &sel, &out) != 0) {
		log_info(LOG_CFG, "%s: no acceptable ESP proposal in %s", ike_sa_tag(sa), offer);
		return N_NO_PROPOSAL_CHOSEN;
	}
	struct child_sa *c = &sa->child[sa->n_child];
	memset(c, 0, sizeof(*c));
	if (sa->client) {
		narrow_client(sa, tsi, n_tsi, tsr, n_tsr, c);
	} else {
		c->n_tsi = narrow_tsi(sa, tsi, n_tsi, c->tsi);
		c->n_tsr = narrow_tsr(sa, c->tsi, c->n_tsi, tsr, n_tsr, c->tsr);
	}
	if (!c->n_tsi || !c->n_tsr) {
		log_info(LOG_CFG, "%s: traffic selectors unacceptable (no virtual IP inside TSi, "
		         "or TSr outside leftsubnet)", ike_sa_tag(sa));
		return N_TS_UNACCEPTABLE;
	}
	c->spi_in = dp_spi_new(d->dp);
	c->spi_out = (uint32_t)out.spi[0] << 24 | (uint32_t)out.spi[1] << 16 |
	             (uint32_t)out.spi[2] << 8 | out.spi[3];
	c->encr = sel.encr;
	c->keybits = sel.keybits;
	c->integ = sel.integ;
	c->created = now_sec();
	struct dp_sa_params dp;
	memset(&dp, 0, sizeof(dp));
	if (!c->spi_in ||
	    ike_keys_child(sa, false, sel.encr, sel.keybits, sel.integ, p->dh, p->dh_len,
	                   p->ni, p->ni_len, p->nr, p->nr_len, &dp) != 0) {
		dp_sa_params_wipe(&dp);
		return N_NO_PROPOSAL_CHOSEN;
	}
	if (child_sa_install(d, sa, c, &dp) != 0)
		return N_NO_PROPOSAL_CHOSEN;
	c->reqid = p->reqid ? p->reqid : ++d->next_reqid;
	if (!p->reqid)
		updown_child(d, sa, c, true);
	/* our SPI in the proposal we send back */
	out.spi[0] = (uint8_t)(c->spi_in >> 24);
	out.spi[1] = (uint8_t)(c->spi_in >> 16);
	out.spi[2] = (uint8_t)(c->spi_in >> 8);
	out.spi[3] = (uint8_t)c->spi_in;
	ike_wr_sa(w, &out);
	ike_wr_ts(w, PL_TSI, c->tsi, c->n_tsi);
	ike_wr_ts(w, PL_TSR, c->tsr, c->n_tsr);
	selected_format(&sel, PROTO_ESP, chosen, sizeof(chosen));
	log_info(LOG_CFG, "%s: selected proposal ESP:%s, SPIs %08x_i %08x_o", ike_sa_tag(sa),
	         chosen, c->spi_in, c->spi_out);
	return 0;
}

int child_sa_delete(struct daemon *d, struct ike_sa *sa, uint32_t peer_spi, uint32_t *spi_in)
{
	for (int i = 0; i < sa->n_child; i++) {
		struct child_sa *c = &sa->child[i];
		if (c->spi_out != peer_spi && c->spi_in != peer_spi)
			continue;
		*spi_in = c->spi_in;
		if (c->installed) {
			metrics_child_gone(d, sa, c->spi_in);
			dp_sa_del(d->dp, c->spi_in);
			c->installed = false;
		}
		log_info(LOG_IKE, "%s: CHILD_SA %08x_i %08x_o deleted", ike_sa_tag(sa), c->spi_in,
		         c->spi_out);
		/* gone for good unless a rekey replaced it */
		bool replaced = false;
		for (int j = 0; j < sa->n_child; j++)
			if (j != i && sa->child[j].reqid == c->reqid)
				replaced = true;
		if (!replaced)
			updown_child(d, sa, c, false);
		sa->child[i] = sa->child[sa->n_child - 1];
		sa->n_child--;
		return 0;
	}
	return -1;
}
