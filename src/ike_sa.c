/* IKE_SA lifetime, lookup, state transitions and protected sending. */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <event2/event.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>
#include "crypto/dh.h"
#include "crypto/xform.h"
#include "src/child_sa.h"
#include "src/client.h"
#include "src/daemon.h"
#include "src/eap_radius.h"
#include "src/radius_acct.h"
#include "src/eap_server.h"
#include "src/dp/dp.h"
#include "src/ike_sa.h"
#include "src/updown.h"
#include "src/log.h"
#include "src/metrics.h"
#include "src/natd.h"
#include "src/pool.h"
#include "src/proposal_select.h"
#include "src/redirect.h"
#include "src/rekey.h"
#include "src/config.h"

static const char *const state_names[] = {
	"NEW", "INIT_DONE", "AUTH2", "EAP", "EAP_DONE", "ESTABLISHED", "DELETING", "REKEYED", "DEAD",
};

static void setup_timeout(evutil_socket_t fd, short what, void *arg);
static void start_dpd(struct ike_sa *sa);

/* ---- indexes: chained hash tables through sa->hnext[kind] ---- */

static const uint8_t *our_spi(const struct ike_sa *sa)
{
	return sa->initiator ? sa->spi_i : sa->spi_r;
}

static uint64_t load64(const uint8_t *p)
{
	uint64_t v;
	memcpy(&v, p, 8);
	return v;
}

static size_t sa_hash(const struct daemon *d, enum sa_index_kind k, const struct ike_sa *sa,
                      const uint8_t *spi, uint32_t id)
{
	if (sa) {
		spi = k == SA_BY_SPI ? our_spi(sa) : sa->spi_i;
		id = sa->id;
	}
	switch (k) {
	case SA_BY_SPI:   /* our SPIs are random */
		return (size_t)(load64(spi) * 0x9e3779b97f4a7c15ull >> 16);
	case SA_BY_INIT:  /* the peer chooses these: keyed */
		return (size_t)siphash24(&d->sa_key, spi, 8);
	default:
		return (size_t)((uint64_t)id * 0x9e3779b97f4a7c15ull >> 16);
	}
}

static void idx_insert(struct daemon *d, enum sa_index_kind k, struct ike_sa *sa)
{
	struct sa_index *x = &d->sa_idx[k];
	if (x->n + 1 > x->mask + 1) {
		size_t nb = (x->mask + 1) * 2;
		struct ike_sa **b = calloc(nb, sizeof(*b));
		if (b) {
			for (size_t i = 0; i <= x->mask; i++) {
				struct ike_sa *e = x->b[i];
				while (e) {
					struct ike_sa *n = e->hnext[k];
					size_t h = sa_hash(d, k, e, NULL, 0) & (nb - 1);
					e->hnext[k] = b[h];
					b[h] = e;
					e = n;
				}
			}
			free(x->b);
			x->b = b;
			x->mask = nb - 1;
		}
	}
	size_t h = sa_hash(d, k, sa, NULL, 0) & x->mask;
	sa->hnext[k] = x->b[h];
	x->b[h] = sa;
	x->n++;
}

static void idx_remove(struct daemon *d, enum sa_index_kind k, struct ike_sa *sa)
{
	struct sa_index *x = &d->sa_idx[k];
	struct ike_sa **pp = &x->b[sa_hash(d, k, sa, NULL, 0) & x->mask];
	while (*pp && *pp != sa)
		pp = &(*pp)->hnext[k];
	if (*pp) {
		*pp = sa->hnext[k];
		x->n--;
	}
	sa->hnext[k] = NULL;
}

int ike_sa_tables_init(struct daemon *d)
{
	if (d->sa_idx[SA_BY_SPI].b)
		return 0;
	sipkey_random(&d->sa_key);
	for (int k = 0; k < SA_N_INDEX; k++) {
		d->sa_idx[k].b = calloc(64, sizeof(struct ike_sa *));
		if (!d->sa_idx[k].b)
			return -1;
		d->sa_idx[k].mask = 63;
		d->sa_idx[k].n = 0;
	}
	return src_table_init(&d->sources);
}

void ike_sa_tables_free(struct daemon *d)
{
	for (int k = 0; k < SA_N_INDEX; k++) {
		free(d->sa_idx[k].b);
		memset(&d->sa_idx[k], 0, sizeof(d->sa_idx[k]));
	}
	src_table_free(&d->sources);
	cookie_jar_clear(&d->cookies);
}

struct ike_sa *ike_sa_new(struct daemon *d, const uint8_t spi_i[8],
                          const struct sockaddr *peer, socklen_t peer_len,
                          const struct sockaddr *local, socklen_t local_len)
{
	/* a stopping daemon may still run its loop a few seconds (RADIUS
	 * accounting's last records): it takes no new client then */
	if (d->stopping)
		return NULL;
	struct ike_sa *sa = calloc(1, sizeof(*sa));
	if (!sa)
		return NULL;
	memcpy(sa->spi_i, spi_i, 8);
	do {
		if (RAND_bytes(sa->spi_r, 8) != 1) {
			free(sa);
			return NULL;
		}
	} while (ike_sa_by_our_spi(d, sa->spi_r));
	if (!d->sa_idx[SA_BY_SPI].b && ike_sa_tables_init(d) != 0) {
		free(sa);
		return NULL;
	}
	sa->src = src_get(&d->sources, peer, true);
	if (!sa->src) {
		free(sa);
		return NULL;
	}
	memcpy(&sa->peer, peer, peer_len);
	sa->peer_len = peer_len;
	memcpy(&sa->local, local, local_len);
	sa->local_len = local_len;
	sa->d = d;
	sa->id = ++d->next_sa_id;
	sa->created = now_sec();
	sa->state = IKE_S_NEW;
	sa->timer = evtimer_new(d->base, setup_timeout, sa);
	if (sa->timer) {
		struct timeval tv = { d->cfg->conf->half_open_timeout, 0 };
		evtimer_add(sa->timer, &tv);
	}
	sa->next = d->sas;
	d->sas = sa;
	for (int k = 0; k < SA_N_INDEX; k++)
		idx_insert(d, (enum sa_index_kind)k, sa);
	d->n_sas++;
	sa->src->total++;
	d->half_open++;
	sa->src->half_open++;
	sa->counted_half_open = true;
	return sa;
}

struct ike_sa *ike_sa_new_initiator(struct daemon *d, const struct sockaddr *peer,
                                    socklen_t peer_len, const struct sockaddr *local,
                                    socklen_t local_len)
{
	static const uint8_t zero[8];
	uint8_t spi[8];
	do {
		if (RAND_bytes(spi, 8) != 1)
			return NULL;
	} while (ike_sa_by_our_spi(d, spi));
	struct ike_sa *sa = ike_sa_new(d, zero, peer, peer_len, local, local_len);
	if (!sa)
		return NULL;
	ike_sa_set_initiator(d, sa, spi, zero);
	sa->client = true;
	if (sa->timer)
		evtimer_del(sa->timer);
	return sa;
}

void ike_sa_set_initiator(struct daemon *d, struct ike_sa *sa, const uint8_t ours[8],
                          const uint8_t theirs[8])
{
	idx_remove(d, SA_BY_SPI, sa);
	idx_remove(d, SA_BY_INIT, sa);
	sa->initiator = true;
	memcpy(sa->spi_i, ours, 8);
	memcpy(sa->spi_r, theirs, 8);
	idx_insert(d, SA_BY_SPI, sa);
	idx_insert(d, SA_BY_INIT, sa);
}

/* no longer half open: established, or on its way out */
static void uncount_half_open(struct daemon *d, struct ike_sa *sa)
{
	if (!sa->counted_half_open)
		return;
	sa->counted_half_open = false;
	if (d->half_open)
		d->half_open--;
	if (sa->src && sa->src->half_open)
		sa->src->half_open--;
}

/* The one line per connection attempt an operator greps for: from where,
 * who, which conn, the algorithms chosen, and how it ended. (A refused
 * IKE_SA_INIT has its own line with the proposals offered.) */
void ike_sa_log_outcome(const struct ike_sa *sa, const char *outcome)
{
	char idtext[256], ike[192], esp[192] = "none", vips[128] = "";
	struct selected s = { .encr = sa->encr, .keybits = sa->keybits, .integ = sa->integ,
	                      .prf = sa->prf, .dh = sa->dh_group };
	ident_format(&sa->idi, idtext, sizeof(idtext));
	if (sa->encr)
		selected_format(&s, PROTO_IKE, ike, sizeof(ike));
	else
		snprintf(ike, sizeof(ike), "none");    /* refused in IKE_SA_INIT */
	if (sa->n_child) {
		const struct child_sa *c = &sa->child[sa->n_child - 1];
		struct selected e = { .encr = c->encr, .keybits = c->keybits, .integ = c->integ };
		selected_format(&e, PROTO_ESP, esp, sizeof(esp));
	}
	/* a server's client's virtual IPs, or a client's own */
	bool v4 = sa->client ? sa->got.v4 : sa->has_vip4, v6 = sa->client ? sa->got.v6 : sa->has_vip6;
	if (v4)
		inet_ntop(AF_INET, sa->client ? sa->got.vip4 : sa->vip4, vips, sizeof(vips));
	if (v6) {
		size_t l = strlen(vips);
		if (l)
			vips[l++] = ' ';
		inet_ntop(AF_INET6, sa->client ? sa->got.vip6 : sa->vip6, vips + l,
		          (socklen_t)(sizeof(vips) - l));
	}
	log_err(LOG_IKE, "%s: %s; user '%s', IKE id '%s', conn '%s', IKE %s, ESP %s, "
	        "virtual IPs %s", ike_sa_tag(sa), outcome, sa->user[0] ? sa->user : "-", idtext,
	        sa->cfg ? sa->cfg->name : "-", ike, esp, vips[0] ? vips : "none");
}

static void setup_timeout(evutil_socket_t fd, short what, void *arg)
{
	struct ike_sa *sa = arg;
	if (sa->state == IKE_S_ESTABLISHED)
		return;
	if (sa->state == IKE_S_REKEYED)
		log_info(LOG_IKE, "%s: rekeyed IKE_SA was not deleted by the peer, removing it",
		         ike_sa_tag(sa));
	else {
		char outcome[160];
		bool early = sa->state == IKE_S_NEW || sa->state == IKE_S_INIT_DONE;
		snprintf(outcome, sizeof(outcome), "connection abandoned by the client %s",
		         early ? "after IKE_SA_INIT (no IKE_AUTH arrived: blocked UDP 4500 or "
		                 "lost fragments?)"
		               : "after the server's certificate (does it trust the CA and "
		                 "the server name?)");
		ike_sa_log_outcome(sa, outcome);
		sa->d->n_failed[FAIL_TIMEOUT]++;
	}
	ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(sa->d);
}

struct ike_sa *ike_sa_by_our_spi(struct daemon *d, const uint8_t spi[8])
{
	struct sa_index *x = &d->sa_idx[SA_BY_SPI];
	if (!x->b)
		return NULL;
	for (struct ike_sa *sa = x->b[sa_hash(d, SA_BY_SPI, NULL, spi, 0) & x->mask]; sa;
	     sa = sa->hnext[SA_BY_SPI])
		if (sa->state != IKE_S_DEAD && memcmp(our_spi(sa), spi, 8) == 0)
			return sa;
	return NULL;
}

struct ike_sa *ike_sa_by_id(struct daemon *d, uint32_t id)
{
	struct sa_index *x = &d->sa_idx[SA_BY_ID];
	if (!x->b)
		return NULL;
	for (struct ike_sa *sa = x->b[sa_hash(d, SA_BY_ID, NULL, NULL, id) & x->mask]; sa;
	     sa = sa->hnext[SA_BY_ID])
		if (sa->id == id)
			return sa->state == IKE_S_DEAD ? NULL : sa;
	return NULL;
}

_Static_assert(DAEMON_MSG_BUF >= IKE_MAX_MSG && DAEMON_FRAG_ROOM >= IKE_MAX_FRAGS * 128,
              "the send buffer holds the largest message and its fragments' overhead");

struct ike_sa *ike_sa_by_init(struct daemon *d, const uint8_t spi_i[8],
                              const struct sockaddr *peer)
{
	struct sa_index *x = &d->sa_idx[SA_BY_INIT];
	if (!x->b)
		return NULL;
	for (struct ike_sa *sa = x->b[sa_hash(d, SA_BY_INIT, NULL, spi_i, 0) & x->mask]; sa;
	     sa = sa->hnext[SA_BY_INIT])
		if (sa->state != IKE_S_DEAD && !sa->initiator && memcmp(sa->spi_i, spi_i, 8) == 0 &&
		    addr_eq(peer, (const struct sockaddr *)&sa->peer, true))
			return sa;
	return NULL;
}

void ike_sa_set_state(struct ike_sa *sa, enum ike_state st)
{
	if (sa->state == st)
		return;
	log_dbg(LOG_IKE, "%s: state %s -> %s", ike_sa_tag(sa), state_names[sa->state],
	        state_names[st]);
	if (st == IKE_S_ESTABLISHED || st == IKE_S_DEAD || st == IKE_S_DELETING ||
	    st == IKE_S_REKEYED)
		uncount_half_open(sa->d, sa);
	redirect_state_change(sa->d, sa, st);
	if (st == IKE_S_ESTABLISHED) {
		sa->established = now_sec();
		if (sa->timer)
			evtimer_del(sa->timer);
		if (sa->cfg) {
			start_dpd(sa);
			rekey_start(sa);
		}
	}
	sa->state = st;
	if (st == IKE_S_ESTABLISHED)
		acct_established(sa->d, sa);
}

void ike_sa_update_addrs(struct ike_sa *sa, const struct sockaddr *peer, socklen_t peer_len,
                         const struct sockaddr *local, socklen_t local_len)
{
	bool moved = !addr_eq(peer, (const struct sockaddr *)&sa->peer, true);
	if (moved) {
		char before[128];
		snprintf(before, sizeof(before), "%s", ike_sa_tag(sa));
		memcpy(&sa->peer, peer, peer_len);
		sa->peer_len = peer_len;
		log_dbg(LOG_IKE, "%s: peer address changed (was %s)", ike_sa_tag(sa), before);
	}
	if (local != (const struct sockaddr *)&sa->local) {
		memcpy(&sa->local, local, local_len);
		sa->local_len = local_len;
	}
	struct dp_endpoints ep;
	child_sa_endpoints(sa, &ep);
	for (int i = 0; i < sa->n_child; i++)
		if (sa->child[i].installed)
			dp_sa_move(sa->d->dp, sa->child[i].spi_in, &ep);
}

void ike_sa_follow_esp(struct daemon *d, uint32_t ike_id, uint32_t spi_in,
                       const struct sockaddr *peer, socklen_t peer_len)
{
	struct ike_sa *sa = ike_sa_by_id(d, ike_id);
	if (!sa || sa->state != IKE_S_ESTABLISHED)
		return;
	/* the event may be older than a rekey or delete: only a CHILD_SA
	 * this IKE_SA still has moves it */
	bool ours = false;
	for (int i = 0; i < sa->n_child; i++)
		ours |= sa->child[i].installed && sa->child[i].spi_in == spi_in;
	if (!ours || addr_eq(peer, (const struct sockaddr *)&sa->peer, true))
		return;
	log_info(LOG_IKE, "%s: ESP arrives from a new address (NAT rebinding), following it",
	         ike_sa_tag(sa));
	ike_sa_update_addrs(sa, peer, peer_len, (struct sockaddr *)&sa->local, sa->local_len);
}

void ike_sa_drop_vips(struct ike_sa *sa)
{
	if (sa->has_vip4 && sa->pool4)
		pool_release(sa->pool4, sa->vip4);
	if (sa->has_vip6 && sa->pool6)
		pool_release(sa->pool6, sa->vip6);
	sa->has_vip4 = sa->has_vip6 = false;
	sa->pool4 = sa->pool6 = NULL;
}

void ike_sa_children_gone(struct daemon *d, struct ike_sa *sa)
{
	for (int i = 0; i < sa->n_child; i++) {
		struct child_sa *c = &sa->child[i];
		if (c->installed) {
			metrics_child_gone(d, sa, c->spi_in);
			dp_sa_del(d->dp, c->spi_in);
		}
		/* one down event per CHILD_SA, not per rekeyed generation */
		bool seen = false;
		for (int j = 0; j < i; j++)
			if (sa->child[j].reqid == c->reqid)
				seen = true;
		if (!seen && sa->cfg && !sa->probe)
			updown_child(d, sa, c, false);
	}
	sa->n_child = 0;
}

const char *ike_sa_lease_id(const struct ike_sa *sa, char *buf, size_t len)
{
	if (!sa->user_unconfirmed)
		return sa->user;
	snprintf(buf, len, "%s%s", IKE_SA_UNCONFIRMED_LEASE, sa->user);
	return buf;
}

const char *ike_sa_tag(const struct ike_sa *sa)
{
	static _Thread_local char buf[128];
	char addr[INET6_ADDRSTRLEN] = "?";
	uint16_t port = 0;
	if (sa->peer.ss_family == AF_INET) {
		const struct sockaddr_in *s = (const void *)&sa->peer;
		inet_ntop(AF_INET, &s->sin_addr, addr, sizeof(addr));
		port = ntohs(s->sin_port);
	} else if (sa->peer.ss_family == AF_INET6) {
		const struct sockaddr_in6 *s = (const void *)&sa->peer;
		inet_ntop(AF_INET6, &s->sin6_addr, addr, sizeof(addr));
		port = ntohs(s->sin6_port);
	}
	snprintf(buf, sizeof(buf), "#%u %s[%u]", sa->id, addr, port);
	return buf;
}

static uint16_t local_port(const struct ike_sa *sa)
{
	if (sa->local.ss_family == AF_INET)
		return ntohs(((const struct sockaddr_in *)&sa->local)->sin_port);
	return ntohs(((const struct sockaddr_in6 *)&sa->local)->sin6_port);
}

static int send_buf(struct daemon *d, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	if (local_port(sa) == 500)
		return net_send(d, (struct sockaddr *)&sa->local, (struct sockaddr *)&sa->peer,
		                sa->peer_len, buf, len);
	/* port 4500: the non-ESP marker (RFC 3948 §2.2) */
	uint8_t out[IKE_MAX_MSG + 4];
	if (len > IKE_MAX_MSG)
		return -1;
	memset(out, 0, 4);
	memcpy(out + 4, buf, len);
	return net_send(d, (struct sockaddr *)&sa->local, (struct sockaddr *)&sa->peer,
	                sa->peer_len, out, len + 4);
}

void ike_sa_resend(struct daemon *d, struct ike_sa *sa, const struct msg_cache *c)
{
	const uint8_t *p = c->buf;
	for (int i = 0; i < c->n; i++) {
		send_buf(d, sa, p, c->len[i]);
		p += c->len[i];
	}
}

int ike_sa_send_raw(struct daemon *d, struct ike_sa *sa, const uint8_t *buf, size_t len)
{
	return send_buf(d, sa, buf, len);
}

void ike_sa_frag_reset(struct frag_in *f)
{
	for (int i = 0; i < IKE_MAX_FRAGS; i++) {
		if (f->part[i])
			OPENSSL_cleanse(f->part[i], f->part_len[i]);
		free(f->part[i]);
	}
	if (f->whole)
		OPENSSL_cleanse(f->whole, f->bytes);
	free(f->whole);
	memset(f, 0, sizeof(*f));
}

/* one protected datagram: header | SK or SKF payload header | IV |
 * encrypted(chunk | padding | pad length) | ICV; returns its length */
static size_t seal_one(struct ike_sa *sa, const struct ike_hdr *h, uint8_t first,
                       uint16_t num, uint16_t total, const uint8_t *chunk, size_t chunklen,
                       uint8_t *buf, size_t cap)
{
	size_t ivlen = xform_iv_len(sa->x_out);
	size_t block = xform_block_len(sa->x_out);
	size_t icvlen = xform_icv_len(sa->x_out);
	size_t plain = chunklen + 1;
	size_t padlen = (block - plain % block) % block;
	size_t ctlen = plain + padlen;
	struct ike_hdr hh = *h;
	hh.next = total ? PL_SKF : PL_SK;
	struct ike_wr w;
	ike_wr_init(&w, buf, cap, &hh);
	size_t sk = ike_wr_begin(&w, hh.next);
	if (w.overflow)
		return 0;
	buf[sk] = first;             /* the first inner payload (fragment 1 only) */
	if (total) {
		ike_wr_u16(&w, num);
		ike_wr_u16(&w, total);
	}
	size_t ivoff = w.len;
	if (ivoff + ivlen + ctlen + icvlen > cap)
		return 0;
	size_t ctoff = ivoff + ivlen;
	memcpy(buf + ctoff, chunk, chunklen);
	if (padlen && RAND_bytes(buf + ctoff + chunklen, (int)padlen) != 1)
		return 0;
	buf[ctoff + ctlen - 1] = (uint8_t)padlen;
	w.len = ctoff + ctlen + icvlen;
	ike_wr_end(&w, sk);
	size_t len = ike_wr_finish(&w);
	if (!len || xform_seal(sa->x_out, buf, ivoff, buf + ivoff, buf + ctoff, ctlen,
	                       buf + ctoff + ctlen) != 0)
		return 0;
	return len;
}

/* the plaintext that fits in one fragment of at most frag_size bytes of
 * IP datagram (RFC 7383 §2.5.1) */
static size_t frag_room(const struct ike_sa *sa, size_t frag_size)
{
	size_t over = (sa->peer.ss_family == AF_INET ? 20 : 40) + 8 +
	              (sa->local.ss_family == AF_INET
	               ? (ntohs(((const struct sockaddr_in *)&sa->local)->sin_port) == 500 ? 0 : 4)
	               : (ntohs(((const struct sockaddr_in6 *)&sa->local)->sin6_port) == 500 ? 0 : 4)) +
	              IKE_HDR_LEN + 8 + xform_iv_len(sa->x_out) + xform_icv_len(sa->x_out);
	size_t block = xform_block_len(sa->x_out);
	if (frag_size <= over + block + 16)
		return 0;
	size_t room = frag_size - over;
	return room / block * block - 1;   /* one byte for the pad length */
}

int ike_sa_send_encrypted(struct daemon *d, struct ike_sa *sa, uint8_t exchange,
                          bool response, uint32_t msgid, const struct ike_wr *inner)
{
	uint8_t *out = d->buf_out;
	if (inner->overflow || !sa->x_out)
		return -1;
	struct ike_hdr h = {
		.version = 0x20,
		.exchange = exchange,
		.flags = (response ? IKE_FLAG_RESPONSE : 0) | (sa->initiator ? IKE_FLAG_INITIATOR : 0),
		.msgid = msgid,
	};
	memcpy(h.spi_i, sa->spi_i, 8);
	memcpy(h.spi_r, sa->spi_r, 8);
	struct msg_cache c = { 0 };
	size_t used = 0;
	size_t whole = IKE_HDR_LEN + 4 + xform_iv_len(sa->x_out) + inner->len + 1 +
	               xform_block_len(sa->x_out) + xform_icv_len(sa->x_out) +
	               (sa->peer.ss_family == AF_INET ? 20 : 40) + 8 + 4;
	enum frag_mode fm = sa->cfg ? sa->cfg->conn->fragmentation : FRAG_NO;
	size_t room = frag_room(sa, FRAG_SIZE);
	if (sa->peer_frag && (fm == FRAG_YES || fm == FRAG_FORCE) && whole > FRAG_SIZE && room &&
	    exchange != IKE_SA_INIT) {
		/* RFC 7383: each fragment protected on its own */
		size_t n = (inner->len + room - 1) / room;
		if (n > IKE_MAX_FRAGS)
			return -1;
		for (size_t i = 0; i < n; i++) {
			size_t off = i * room;
			size_t chunk = inner->len - off < room ? inner->len - off : room;
			size_t len = seal_one(sa, &h, i == 0 ? inner->first : 0, (uint16_t)(i + 1),
			                      (uint16_t)n, inner->buf + off, chunk, out + used,
			                      sizeof(d->buf_out) - used);
			if (!len)
				return -1;
			c.len[c.n++] = len;
			used += len;
		}
	} else {
		size_t len = seal_one(sa, &h, inner->first, 0, 0, inner->buf, inner->len, out,
		                      IKE_MAX_MSG);
		if (!len) {
			log_err(LOG_ENC, "%s: cannot build a %s message of %zu bytes", ike_sa_tag(sa),
			        ike_exchange_name(exchange), inner->len);
			return -1;
		}
		c.len[c.n++] = len;
		used = len;
	}
	c.buf = malloc(used);
	if (!c.buf)
		return -1;
	memcpy(c.buf, out, used);
	struct msg_cache *slot = response ? &sa->resp : &sa->req;
	free(slot->buf);
	*slot = c;
	if (!response) {
		sa->req_msgid = msgid;
		sa->req_exchange = exchange;
	}
	log_dbg(LOG_ENC, "%s: sending %s %s %u (%zu bytes%s)", ike_sa_tag(sa),
	        ike_exchange_name(exchange), response ? "response" : "request", msgid, used,
	        c.n > 1 ? ", fragmented" : "");
	ike_sa_resend(d, sa, slot);
	return 0;
}

static void dpd_check(evutil_socket_t fd, short what, void *arg);

static void arm(struct event *ev, double seconds)
{
	if (!ev)
		return;
	if (seconds < 0)
		seconds = 0;
	struct timeval tv = { (time_t)seconds, (suseconds_t)((seconds - (double)(time_t)seconds) * 1e6) };
	evtimer_add(ev, &tv);
}

uint64_t ike_sa_last_in(const struct ike_sa *sa)
{
	uint64_t last = sa->last_in;
	struct dp_sa_stats st;
	for (int i = 0; i < sa->n_child; i++)
		if (sa->child[i].installed && dp_sa_stats(sa->d->dp, sa->child[i].spi_in, &st) == 0 &&
		    st.last_in > last)
			last = st.last_in;
	return last;
}

static void start_dpd(struct ike_sa *sa)
{
	const struct conf_conn *c = sa->cfg->conn;
	if (c->dpdaction == DPD_NONE || c->dpddelay == 0)
		return;
	if (!sa->dpd_timer)
		sa->dpd_timer = evtimer_new(sa->d->base, dpd_check, sa);
	arm(sa->dpd_timer, c->dpddelay);
}

static void dpd_check(evutil_socket_t fd, short what, void *arg)
{
	struct ike_sa *sa = arg;
	uint32_t delay = sa->cfg->conn->dpddelay;
	uint64_t now = now_sec(), last = ike_sa_last_in(sa);
	if (sa->state != IKE_S_ESTABLISHED)
		return;
	if (now - last < delay || sa->req_kind != REQ_NONE) {
		/* heard from the peer lately, or already waiting for it */
		arm(sa->dpd_timer, now - last < delay ? (double)(last + delay - now) : delay);
		return;
	}
	uint8_t buf[16];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	log_dbg(LOG_IKE, "%s: nothing heard for %llus, checking liveness", ike_sa_tag(sa),
	        (unsigned long long)(now - last));
	ike_sa_request(sa->d, sa, INFORMATIONAL, &w, REQ_DPD);
	arm(sa->dpd_timer, delay);
}

static const char *const kind_names[] = {
	"none", "liveness check", "IKE_SA delete", "CHILD_SA delete", "CHILD_SA rekey",
	"IKE_SA rekey", "IKE_SA_INIT", "IKE_AUTH", "address update", "redirect",
};

static void peer_dead(struct daemon *d, struct ike_sa *sa)
{
	if (sa->client) {
		client_no_answer(d, sa, kind_names[sa->req_kind],
		                 now_sec() - sa->req_started);
		ike_sa_reap(d);
		return;
	}
	const char *action = "clear";
	switch (sa->cfg ? sa->cfg->conn->dpdaction : DPD_CLEAR) {
	case DPD_HOLD: action = "hold (as clear: a server cannot call the client back)"; break;
	case DPD_RESTART: action = "restart (as clear: a server cannot call the client back)"; break;
	default: break;
	}
	log_err(LOG_IKE, "%s: no answer from '%s' to our %s for %llus: peer is dead, deleting the "
	        "IKE_SA, dpdaction=%s", ike_sa_tag(sa), sa->user, kind_names[sa->req_kind],
	        (unsigned long long)(now_sec() - sa->req_started), action);
	acct_set_cause(sa, sa->req_kind == REQ_DPD ? ACCT_TC_LOST_CARRIER : ACCT_TC_LOST_SERVICE);
	ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(d);
}

static void retransmit(evutil_socket_t fd, short what, void *arg)
{
	struct ike_sa *sa = arg;
	struct daemon *d = sa->d;
	const struct ipsec_conf *conf = d->cfg->conf;
	uint64_t now = now_sec();
	uint32_t dpdtimeout = sa->cfg ? sa->cfg->conn->dpdtimeout : 0;
	bool dpd_over = sa->req_kind == REQ_DPD && dpdtimeout && now - sa->req_started >= dpdtimeout;
	if (sa->req_tries >= conf->retransmit_tries || dpd_over) {
		peer_dead(d, sa);
		return;
	}
	sa->req_tries++;
	log_dbg(LOG_IKE, "%s: retransmit %u of request %u (%s)", ike_sa_tag(sa), sa->req_tries,
	        sa->req_msgid, kind_names[sa->req_kind]);
	ike_sa_resend(d, sa, &sa->req);
	double next = conf->retransmit_timeout;
	for (unsigned i = 0; i < sa->req_tries; i++)
		next *= conf->retransmit_base;
	/* dpdtimeout caps how long a liveness check may take (strongSwan
	 * ignores it for IKEv2; cygnet honours it, see README) */
	if (sa->req_kind == REQ_DPD && dpdtimeout &&
	    (double)(sa->req_started + dpdtimeout - now) < next)
		next = (double)(sa->req_started + dpdtimeout - now);
	arm(sa->req_timer, next);
}

/* the retransmission schedule of a request just sent */
static void request_sent(struct daemon *d, struct ike_sa *sa, enum req_kind kind)
{
	sa->req_kind = kind;
	sa->req_tries = 0;
	sa->req_started = now_sec();
	if (!sa->req_timer)
		sa->req_timer = evtimer_new(d->base, retransmit, sa);
	double first = d->cfg->conf->retransmit_timeout;
	uint32_t dpdtimeout = sa->cfg ? sa->cfg->conn->dpdtimeout : 0;
	if (kind == REQ_DPD && dpdtimeout && dpdtimeout < first)
		first = dpdtimeout;
	arm(sa->req_timer, first);
}

int ike_sa_request(struct daemon *d, struct ike_sa *sa, uint8_t exchange,
                   const struct ike_wr *inner, enum req_kind kind)
{
	if (sa->req_kind != REQ_NONE)
		return -1;
	if (ike_sa_send_encrypted(d, sa, exchange, false, sa->our_msgid, inner) != 0)
		return -1;
	sa->our_msgid++;
	request_sent(d, sa, kind);
	return 0;
}

int ike_sa_request_raw(struct daemon *d, struct ike_sa *sa, const uint8_t *buf, size_t len,
                       enum req_kind kind)
{
	uint8_t *copy = malloc(len ? len : 1);
	if (!copy)
		return -1;
	memcpy(copy, buf, len);
	free(sa->req.buf);
	memset(&sa->req, 0, sizeof(sa->req));
	sa->req.buf = copy;
	sa->req.len[0] = len;
	sa->req.n = 1;
	sa->req_msgid = 0;
	ike_sa_resend(d, sa, &sa->req);
	request_sent(d, sa, kind);
	return 0;
}

void ike_sa_response(struct daemon *d, struct ike_sa *sa, const struct ike_msg *m)
{
	enum req_kind kind = sa->req_kind;
	if (sa->req_timer)
		evtimer_del(sa->req_timer);
	free(sa->req.buf);
	memset(&sa->req, 0, sizeof(sa->req));
	sa->req_kind = REQ_NONE;
	switch (kind) {
	case REQ_DELETE:
		ike_sa_set_state(sa, IKE_S_DEAD);
		break;
	case REQ_REKEY_CHILD:
	case REQ_REKEY_IKE:
	case REQ_DELETE_CHILD:
		rekey_response(d, sa, m, kind);
		break;
	case REQ_INIT:
		client_init_response(d, sa, m);
		break;
	case REQ_AUTH:
		client_auth_response(d, sa, m);
		break;
	case REQ_MOBIKE:
		client_move_response(d, sa, m);
		break;
	case REQ_REDIRECT:
		redirect_answered(d, sa, m);
		break;
	default:
		break;
	}
}

void ike_sa_send_delete(struct daemon *d, struct ike_sa *sa)
{
	uint8_t buf[64];
	struct ike_wr w;
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_delete(&w, PROTO_IKE, 0, NULL, 0);
	ike_sa_send_encrypted(d, sa, INFORMATIONAL, false, sa->our_msgid++, &w);
}

void ike_sa_set_cfg(struct ike_sa *sa, struct peer_cfg *pc)
{
	if (pc)
		config_ref(pc->owner);
	if (sa->cfg)
		config_free(sa->cfg->owner);
	sa->cfg = pc;
}

void ike_sa_destroy(struct daemon *d, struct ike_sa *sa)
{
	if (sa->client)
		client_sa_gone(d, sa);
	client_ini_free(sa->ini);
	sa->ini = NULL;
	eap_server_free(sa);
	redirect_sa_free(sa);
	ike_sa_frag_reset(&sa->frag_resp);
	ike_sa_children_gone(d, sa);
	/* the Stop, with every CHILD_SA's counts (metrics_child_gone) */
	acct_sa_gone(d, sa);
	eap_radius_sess_free(sa);
	ike_sa_drop_vips(sa);
	ike_sa_set_cfg(sa, NULL);
	if (sa->timer)
		event_free(sa->timer);
	if (sa->req_timer)
		event_free(sa->req_timer);
	if (sa->dpd_timer)
		event_free(sa->dpd_timer);
	if (sa->life_timer)
		event_free(sa->life_timer);
	dh_free(sa->rk_dh);
	free(sa->req.buf);
	ike_sa_frag_reset(&sa->frag);
	dh_free(sa->dh);
	xform_free(sa->x_in);
	xform_free(sa->x_out);
	if (sa->ni)
		OPENSSL_cleanse(sa->ni, sa->ni_len);
	if (sa->nr)
		OPENSSL_cleanse(sa->nr, sa->nr_len);
	free(sa->ni);
	free(sa->nr);
	free(sa->init_req);
	free(sa->init_resp);
	free(sa->resp.buf);
	free(sa->child_props);
	free(sa->req_tsi);
	free(sa->req_tsr);
	OPENSSL_cleanse(sa, sizeof(*sa));
	free(sa);
}

void ike_sa_reap(struct daemon *d)
{
	struct ike_sa **pp = &d->sas;
	while (*pp) {
		struct ike_sa *sa = *pp;
		if (sa->state == IKE_S_DEAD) {
			*pp = sa->next;
			for (int k = 0; k < SA_N_INDEX; k++)
				idx_remove(d, (enum sa_index_kind)k, sa);
			uncount_half_open(d, sa);
			if (sa->src) {
				sa->src->total--;
				src_release(&d->sources, sa->src);
				sa->src = NULL;
			}
			d->n_sas--;
			ike_sa_destroy(d, sa);
		} else {
			pp = &sa->next;
		}
	}
}
