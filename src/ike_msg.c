/* IKEv2 message decoding and payload-rule checks (RFC 7296 §3, RFC 7383
 * §2.5). Every payload goes through pl_take(), which checks the generic
 * header and the declared length before anything else is read; payload
 * bodies are then read only through the bounds-checked struct rd. Nothing
 * is allocated: the decoded struct points into the caller's buffer. The
 * writer and the log names are in ike_wr.c. */
#include "src/ike_msg.h"
#include "src/ident.h"

#include <string.h>

/* ---- bounds-checked reader ---- */

struct rd {
	const uint8_t *p;
	size_t left;
};

static void rd_adv(struct rd *r, size_t n)
{
	if (n) {              /* no arithmetic on a NULL p with n == 0 */
		r->p += n;
		r->left -= n;
	}
}

static bool rd_u8(struct rd *r, uint8_t *v)
{
	if (r->left < 1)
		return false;
	*v = r->p[0];
	rd_adv(r, 1);
	return true;
}

static bool rd_u16(struct rd *r, uint16_t *v)
{
	if (r->left < 2)
		return false;
	*v = (uint16_t)(r->p[0] << 8 | r->p[1]);
	rd_adv(r, 2);
	return true;
}

static bool rd_u32(struct rd *r, uint32_t *v)
{
	if (r->left < 4)
		return false;
	*v = (uint32_t)r->p[0] << 24 | (uint32_t)r->p[1] << 16 |
	     (uint32_t)r->p[2] << 8 | r->p[3];
	rd_adv(r, 4);
	return true;
}

/* takes n bytes: *out points at them (NULL when n == 0) */
static bool rd_bytes(struct rd *r, size_t n, const uint8_t **out)
{
	if (r->left < n)
		return false;
	if (out)
		*out = n ? r->p : NULL;
	rd_adv(r, n);
	return true;
}

static bool rd_copy(struct rd *r, void *dst, size_t n)
{
	const uint8_t *p;

	if (!rd_bytes(r, n, &p))
		return false;
	if (n)
		memcpy(dst, p, n);
	return true;
}

/* splits the next n bytes off as their own reader */
static bool rd_sub(struct rd *r, size_t n, struct rd *sub)
{
	if (r->left < n)
		return false;
	sub->p = r->p;
	sub->left = n;
	rd_adv(r, n);
	return true;
}

/* the rest of r, all of it */
static void rd_rest(struct rd *r, const uint8_t **p, size_t *len)
{
	*len = r->left;
	*p = r->left ? r->p : NULL;
	rd_adv(r, r->left);
}

/* ---- payload framing ---- */

#define PL_IDX(t) ((t) - 32)
#define PL_CRITICAL 0x80

static bool pl_known(uint8_t t)
{
	return (t >= PL_SA && t <= PL_EAP) || t == PL_SKF;
}

/* smallest declared length of each known payload, generic header
 * included (RFC 7296 §3.3-3.16, RFC 7383 §2.5) */
static const uint8_t pl_min[PL_IDX(PL_SKF) + 1] = {
	[PL_IDX(PL_SA)] = 4 + 8,          /* at least one proposal */
	[PL_IDX(PL_KE)] = 4 + 4,          /* group, reserved */
	[PL_IDX(PL_IDI)] = 4 + 4,         /* ID type, reserved */
	[PL_IDX(PL_IDR)] = 4 + 4,
	[PL_IDX(PL_CERT)] = 4 + 1,        /* encoding */
	[PL_IDX(PL_CERTREQ)] = 4 + 1,
	[PL_IDX(PL_AUTH)] = 4 + 4,        /* method, reserved */
	[PL_IDX(PL_NONCE)] = 4 + 16,      /* §3.9: at least 16 bytes */
	[PL_IDX(PL_NOTIFY)] = 4 + 4,      /* proto, SPI size, type */
	[PL_IDX(PL_DELETE)] = 4 + 4,      /* proto, SPI size, number */
	[PL_IDX(PL_VENDOR)] = 4,
	[PL_IDX(PL_TSI)] = 4 + 4,         /* number of TSs, reserved */
	[PL_IDX(PL_TSR)] = 4 + 4,
	[PL_IDX(PL_SK)] = 4,
	[PL_IDX(PL_CP)] = 4 + 4,          /* CFG type, reserved */
	[PL_IDX(PL_EAP)] = 4 + 4,         /* code, id, length */
	[PL_IDX(PL_SKF)] = 4 + 4,         /* fragment number, total */
};

struct pl {
	uint8_t type, next, flags;
	struct rd body;       /* after the generic header */
};

/* The one place a payload is framed. Before anything of the payload is
 * used: its generic header fits in what's left, its declared length is
 * at least the minimum for its type, and at most what's left. */
static bool pl_take(struct rd *chain, uint8_t type, struct pl *pl)
{
	uint16_t len;
	size_t min = pl_known(type) ? pl_min[PL_IDX(type)] : 4;

	if (chain->left < 4)
		return false;
	len = (uint16_t)(chain->p[2] << 8 | chain->p[3]);
	if (len < min || len > chain->left)
		return false;
	pl->type = type;
	pl->next = chain->p[0];
	pl->flags = chain->p[1];
	rd_adv(chain, 4);
	return rd_sub(chain, len - 4u, &pl->body);
}

/* ---- payload bodies ---- */

#define XF_ATTR_TV 0x8000
#define XF_ATTR_KEY_LENGTH 14
#define PROP_LAST 0
#define PROP_MORE 2
#define XF_LAST 0
#define XF_MORE 3

static int dec_xf(struct rd *p, struct ike_xf *xf, bool last)
{
	uint8_t flag, res, res2;
	uint16_t len;
	struct rd t;

	if (!rd_u8(p, &flag) || !rd_u8(p, &res) || !rd_u16(p, &len))
		return IKE_ERR_SYNTAX;
	if (len < 8 || !rd_sub(p, len - 4u, &t))
		return IKE_ERR_SYNTAX;
	if (flag != (last ? XF_LAST : XF_MORE))
		return IKE_ERR_SYNTAX;
	if (!rd_u8(&t, &xf->type) || !rd_u8(&t, &res2) || !rd_u16(&t, &xf->id))
		return IKE_ERR_SYNTAX;
	while (t.left) {
		uint16_t at, val;

		if (!rd_u16(&t, &at) || !rd_u16(&t, &val))
			return IKE_ERR_SYNTAX;
		if (at & XF_ATTR_TV) {
			if ((at & 0x7fff) == XF_ATTR_KEY_LENGTH && val &&
			    !xf->keybits)
				xf->keybits = val;
			else
				xf->bad_attr = true;
		} else {
			/* TLV: val is the value's length */
			if (!rd_bytes(&t, val, NULL))
				return IKE_ERR_SYNTAX;
			xf->bad_attr = true;
		}
	}
	return IKE_OK;
}

static bool spi_size_ok(uint8_t proto, uint8_t size)
{
	switch (proto) {
	case PROTO_IKE:
		return size == 0 || size == 8;
	case PROTO_AH:
	case PROTO_ESP:
		return size == 4;
	default:
		return false;
	}
}

static int dec_sa(struct ike_msg *m, struct rd *b)
{
	do {
		uint8_t flag, res, nxf;
		uint16_t len;
		struct rd p;
		struct ike_prop *pr;
		int err;

		if (m->n_props >= IKE_MAX_PROPS)
			return IKE_ERR_SYNTAX;
		pr = &m->props[m->n_props];
		memset(pr, 0, sizeof(*pr));
		if (!rd_u8(b, &flag) || !rd_u8(b, &res) || !rd_u16(b, &len))
			return IKE_ERR_SYNTAX;
		if (len < 8 || !rd_sub(b, len - 4u, &p))
			return IKE_ERR_SYNTAX;
		/* last/more must agree with whether bytes remain */
		if (flag != (b->left ? PROP_MORE : PROP_LAST))
			return IKE_ERR_SYNTAX;
		if (!rd_u8(&p, &pr->num) || !rd_u8(&p, &pr->proto) ||
		    !rd_u8(&p, &pr->spi_size) || !rd_u8(&p, &nxf))
			return IKE_ERR_SYNTAX;
		if (!spi_size_ok(pr->proto, pr->spi_size) ||
		    !rd_copy(&p, pr->spi, pr->spi_size))
			return IKE_ERR_SYNTAX;
		if (nxf > IKE_MAX_XFORMS)
			return IKE_ERR_SYNTAX;
		for (int i = 0; i < nxf; i++) {
			err = dec_xf(&p, &pr->xf[i], i + 1 == nxf);
			if (err)
				return err;
		}
		if (p.left)
			return IKE_ERR_SYNTAX;   /* more than n transforms */
		pr->n_xf = nxf;
		m->n_props++;
	} while (b->left);
	return IKE_OK;
}

static int dec_ke(struct ike_msg *m, struct rd *b)
{
	uint16_t res;

	if (!rd_u16(b, &m->ke_group) || !rd_u16(b, &res))
		return IKE_ERR_SYNTAX;
	m->has_ke = true;
	rd_rest(b, &m->ke, &m->ke_len);
	return IKE_OK;
}

static int dec_nonce(struct ike_msg *m, struct rd *b)
{
	if (b->left < 16 || b->left > 256)
		return IKE_ERR_SYNTAX;
	rd_rest(b, &m->nonce, &m->nonce_len);
	return IKE_OK;
}

static int dec_id(struct ike_id *id, struct rd *b)
{
	const uint8_t *res;

	id->body = b->p;
	id->body_len = b->left;
	if (!rd_u8(b, &id->type) || !rd_bytes(b, 3, &res))
		return IKE_ERR_SYNTAX;
	id->present = true;
	rd_rest(b, &id->data, &id->len);
	return IKE_OK;
}

/* CERT and CERTREQ: beyond IKE_MAX_CERT the rest are not kept */
static int dec_blob(struct ike_blob *tab, int *n, struct rd *b)
{
	struct ike_blob x;

	if (!rd_u8(b, &x.enc))
		return IKE_ERR_SYNTAX;
	rd_rest(b, &x.data, &x.len);
	if (*n < IKE_MAX_CERT)
		tab[(*n)++] = x;
	return IKE_OK;
}

static int dec_auth(struct ike_msg *m, struct rd *b)
{
	if (!rd_u8(b, &m->auth_method) || !rd_bytes(b, 3, NULL))
		return IKE_ERR_SYNTAX;
	m->has_auth = true;
	rd_rest(b, &m->auth, &m->auth_len);
	return IKE_OK;
}

static int dec_notify(struct ike_msg *m, struct rd *b)
{
	struct ike_notify *n;

	if (m->n_notify >= IKE_MAX_NOTIFY)
		return IKE_ERR_SYNTAX;
	n = &m->notify[m->n_notify];
	if (!rd_u8(b, &n->proto) || !rd_u8(b, &n->spi_size) ||
	    !rd_u16(b, &n->type) || !rd_bytes(b, n->spi_size, &n->spi))
		return IKE_ERR_SYNTAX;
	rd_rest(b, &n->data, &n->len);
	m->n_notify++;
	return IKE_OK;
}

static int dec_delete(struct ike_msg *m, struct rd *b)
{
	struct ike_delete *d;

	if (m->n_del >= IKE_MAX_DELETE)
		return IKE_ERR_SYNTAX;
	d = &m->del[m->n_del];
	if (!rd_u8(b, &d->proto) || !rd_u8(b, &d->spi_size) ||
	    !rd_u16(b, &d->n_spi))
		return IKE_ERR_SYNTAX;
	/* §3.11: SPI size 0 for IKE (the SA is the one the message is
	 * protected by), 4 for AH and ESP */
	if (d->proto == PROTO_IKE ? d->spi_size != 0 :
	    !spi_size_ok(d->proto, d->spi_size))
		return IKE_ERR_SYNTAX;
	if ((size_t)d->n_spi * d->spi_size != b->left)
		return IKE_ERR_SYNTAX;
	rd_bytes(b, b->left, &d->spis);
	m->n_del++;
	return IKE_OK;
}

static int dec_ts(struct ike_ts *tab, int *n, struct rd *b)
{
	uint8_t count;

	if (!rd_u8(b, &count) || !rd_bytes(b, 3, NULL))
		return IKE_ERR_SYNTAX;
	for (int i = 0; i < count; i++) {
		struct ike_ts *ts;
		uint16_t len;
		size_t alen;

		if (*n >= IKE_MAX_TS)
			return IKE_ERR_SYNTAX;
		ts = &tab[*n];
		memset(ts, 0, sizeof(*ts));
		if (!rd_u8(b, &ts->type) || !rd_u8(b, &ts->ip_proto) ||
		    !rd_u16(b, &len))
			return IKE_ERR_SYNTAX;
		if (ts->type == TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (ts->type == TS_IPV6_ADDR_RANGE)
			alen = 16;
		else
			return IKE_ERR_SYNTAX;
		if (len != 8 + 2 * alen)
			return IKE_ERR_SYNTAX;
		if (!rd_u16(b, &ts->sport) || !rd_u16(b, &ts->eport) ||
		    !rd_copy(b, ts->start, alen) || !rd_copy(b, ts->end, alen))
			return IKE_ERR_SYNTAX;
		(*n)++;
	}
	return b->left ? IKE_ERR_SYNTAX : IKE_OK;
}

static int dec_cp(struct ike_msg *m, struct rd *b)
{
	if (!rd_u8(b, &m->cp_type) || !rd_bytes(b, 3, NULL))
		return IKE_ERR_SYNTAX;
	m->has_cp = true;
	while (b->left) {
		struct ike_cp_attr *a;
		uint16_t type, len;

		if (m->n_cp >= IKE_MAX_CP_ATTR)
			return IKE_ERR_SYNTAX;
		a = &m->cp[m->n_cp];
		if (!rd_u16(b, &type) || !rd_u16(b, &len) ||
		    !rd_bytes(b, len, &a->val))
			return IKE_ERR_SYNTAX;
		a->type = type & 0x7fff;    /* R bit */
		a->len = len;
		m->n_cp++;
	}
	return IKE_OK;
}

static int dec_eap(struct ike_msg *m, struct rd *b)
{
	/* the EAP header's length field (after code and identifier) must
	 * be the whole payload body; pl_min has made sure it is there */
	struct rd h = *b;
	uint16_t len;

	if (!rd_bytes(&h, 2, NULL) || !rd_u16(&h, &len) || len != b->left)
		return IKE_ERR_SYNTAX;
	rd_rest(b, &m->eap, &m->eap_len);
	return IKE_OK;
}

static int dec_sk(struct ike_msg *m, struct pl *pl)
{
	struct rd *b = &pl->body;

	if (pl->type == PL_SKF) {
		if (!rd_u16(b, &m->frag_num) || !rd_u16(b, &m->frag_total))
			return IKE_ERR_SYNTAX;
		if (m->frag_num < 1 || m->frag_num > m->frag_total)
			return IKE_ERR_SYNTAX;
	}
	m->has_sk = true;
	m->sk_next = pl->next;
	m->sk_off = (size_t)(b->p - m->raw);   /* b->p >= raw + 28 */
	m->sk_body = b->p;        /* inside raw even when empty */
	m->sk_len = b->left;
	rd_adv(b, b->left);
	return IKE_OK;
}

static int dec_body(struct ike_msg *m, struct pl *pl)
{
	struct rd *b = &pl->body;

	switch (pl->type) {
	case PL_SA:      return dec_sa(m, b);
	case PL_KE:      return dec_ke(m, b);
	case PL_IDI:     return dec_id(&m->idi, b);
	case PL_IDR:     return dec_id(&m->idr, b);
	case PL_CERT:    return dec_blob(m->certs, &m->n_certs, b);
	case PL_CERTREQ: return dec_blob(m->certreqs, &m->n_certreqs, b);
	case PL_AUTH:    return dec_auth(m, b);
	case PL_NONCE:   return dec_nonce(m, b);
	case PL_NOTIFY:  return dec_notify(m, b);
	case PL_DELETE:  return dec_delete(m, b);
	case PL_VENDOR:  m->n_vendor++; return IKE_OK;
	case PL_TSI:     return dec_ts(m->tsi, &m->n_tsi, b);
	case PL_TSR:     return dec_ts(m->tsr, &m->n_tsr, b);
	case PL_CP:      return dec_cp(m, b);
	case PL_EAP:     return dec_eap(m, b);
	case PL_SK:
	case PL_SKF:     return dec_sk(m, pl);
	}
	return IKE_ERR_SYNTAX;    /* not reached: pl_known() was checked */
}

static void note_order(struct ike_msg *m, uint8_t type)
{
	if (m->n_order < IKE_MAX_ORDER)
		m->order[m->n_order] = type;
	if (m->n_order < IKE_MAX_MSG)
		m->n_order++;
}

/* Walks a payload chain starting with type next. In the outer chain an
 * SK/SKF payload must be the last thing in the message; in an inner one
 * it is not allowed at all. */
static int parse_chain(struct ike_msg *m, struct rd *chain, uint8_t next,
                       bool inner)
{
	while (next != PL_NONE) {
		struct pl pl;
		int err;

		if (!pl_take(chain, next, &pl))
			return IKE_ERR_SYNTAX;
		note_order(m, next);
		if (!pl_known(next)) {
			if (pl.flags & PL_CRITICAL) {
				m->unknown_critical = next;
				return IKE_ERR_CRITICAL;
			}
			next = pl.next;
			continue;
		}
		if ((next == PL_SK || next == PL_SKF) &&
		    (inner || chain->left))
			return IKE_ERR_SYNTAX;
		m->seen |= 1ull << PL_IDX(next);
		if (m->count[PL_IDX(next)] < 255)
			m->count[PL_IDX(next)]++;
		err = dec_body(m, &pl);
		if (err)
			return err;
		if (next == PL_SK || next == PL_SKF)
			return IKE_OK;    /* its next is the inner chain's */
		next = pl.next;
	}
	/* nothing may follow the last payload */
	return chain->left ? IKE_ERR_SYNTAX : IKE_OK;
}

/* ---- entry points ---- */

int ike_parse_header(const uint8_t *buf, size_t len, struct ike_hdr *h)
{
	struct rd r = { buf, len };

	if (!buf || len < IKE_HDR_LEN || len > IKE_MAX_MSG)
		return IKE_ERR_DROP;
	memset(h, 0, sizeof(*h));
	rd_copy(&r, h->spi_i, 8);
	rd_copy(&r, h->spi_r, 8);
	rd_u8(&r, &h->next);
	rd_u8(&r, &h->version);
	rd_u8(&r, &h->exchange);
	rd_u8(&r, &h->flags);
	rd_u32(&r, &h->msgid);
	rd_u32(&r, &h->length);
	if (h->length != len)
		return IKE_ERR_DROP;
	if (h->version >> 4 != 2)
		return IKE_ERR_VERSION;
	return IKE_OK;
}

int ike_parse(const uint8_t *buf, size_t len, struct ike_msg *msg)
{
	struct rd r;
	int err;

	memset(msg, 0, sizeof(*msg));
	msg->raw = buf;
	msg->raw_len = len;
	err = ike_parse_header(buf, len, &msg->hdr);
	if (err)
		return err;
	r.p = buf + IKE_HDR_LEN;
	r.left = len - IKE_HDR_LEN;
	return parse_chain(msg, &r, msg->hdr.next, false);
}

int ike_parse_inner(struct ike_msg *msg, const uint8_t *buf, size_t len)
{
	struct rd r = { buf, len };

	if (!buf && len)
		return IKE_ERR_SYNTAX;
	msg->decrypted = true;
	return parse_chain(msg, &r, msg->sk_next, true);
}

int ike_parse_payload(struct ike_msg *msg, uint8_t type, const uint8_t *body, size_t len)
{
	struct pl pl = { .type = type, .body = { body, len } };

	memset(msg, 0, sizeof(*msg));
	msg->raw = body;          /* an SK/SKF body's offset is then 0 */
	msg->raw_len = len;
	if (!pl_known(type) || (!body && len) || len > IKE_MAX_MSG - 4 ||
	    len + 4 < pl_min[PL_IDX(type)])
		return IKE_ERR_SYNTAX;
	return dec_body(msg, &pl);
}

const struct ike_notify *ike_find_notify(const struct ike_msg *msg, uint16_t type)
{
	for (int i = 0; i < msg->n_notify; i++)
		if (msg->notify[i].type == type)
			return &msg->notify[i];
	return NULL;
}

const struct ike_notify *ike_find_error(const struct ike_msg *msg)
{
	for (int i = 0; i < msg->n_notify; i++)
		if (msg->notify[i].type < 16384)
			return &msg->notify[i];
	return NULL;
}

uint32_t ike_sig_hashes(const struct ike_notify *n)
{
	uint32_t mask = 0;
	for (size_t i = 0; n && i + 1 < n->len; i += 2) {
		uint16_t hv = (uint16_t)(n->data[i] << 8 | n->data[i + 1]);
		if (hv < 32)
			mask |= 1u << hv;
	}
	return mask;
}

void ike_id_ident(const struct ike_id *in, struct ident *out)
{
	memset(out, 0, sizeof(*out));
	out->type = in->type;
	out->len = in->len < IDENT_MAX ? in->len : IDENT_MAX;
	memcpy(out->data, in->data, out->len);
}

/* ---- payload rules (RFC 7296 §1.2-1.5, §2.6, §3.3) ----
 *
 * Each row is one allowed shape of a message: for every payload type the
 * least and most times it may appear (a type not named may not appear).
 * A message is valid when it fits at least one row for its exchange and
 * direction. SK/SKF are framing, not content: one of them may appear in
 * every exchange but IKE_SA_INIT; whether a message had to be encrypted
 * is the state machine's call. Verify after ike_parse_inner, since the
 * counts cover both chains. */

#define ANY 255
#define ONE(t) [PL_IDX(t)] = 1
#define MANY(t) [PL_IDX(t)] = ANY
#define SK_OK ONE(PL_SK), ONE(PL_SKF)

struct shape {
	uint8_t exchange;
	bool response;
	uint8_t min[32], max[32];
};

static const struct shape shapes[] = {
	/* IKE_SA_INIT request (with or without N(COOKIE)) */
	{ IKE_SA_INIT, false,
	  .min = { ONE(PL_SA), ONE(PL_KE), ONE(PL_NONCE) },
	  .max = { ONE(PL_SA), ONE(PL_KE), ONE(PL_NONCE), MANY(PL_NOTIFY),
	           MANY(PL_VENDOR), MANY(PL_CERTREQ) } },
	/* IKE_SA_INIT response: accepted ... */
	{ IKE_SA_INIT, true,
	  .min = { ONE(PL_SA), ONE(PL_KE), ONE(PL_NONCE) },
	  .max = { ONE(PL_SA), ONE(PL_KE), ONE(PL_NONCE), MANY(PL_NOTIFY),
	           MANY(PL_VENDOR), MANY(PL_CERTREQ) } },
	/* ... or an error, COOKIE or INVALID_KE_PAYLOAD */
	{ IKE_SA_INIT, true,
	  .min = { ONE(PL_NOTIFY) },
	  .max = { MANY(PL_NOTIFY), MANY(PL_VENDOR) } },

	/* IKE_AUTH request: the first one */
	{ IKE_AUTH, false,
	  .min = { ONE(PL_IDI), ONE(PL_SA), ONE(PL_TSI), ONE(PL_TSR) },
	  .max = { ONE(PL_IDI), MANY(PL_CERT), MANY(PL_CERTREQ), ONE(PL_IDR),
	           ONE(PL_AUTH), ONE(PL_SA), ONE(PL_TSI), ONE(PL_TSR),
	           ONE(PL_CP), MANY(PL_NOTIFY), MANY(PL_VENDOR), SK_OK } },
	/* a later round's first request (RFC 4739): its own IDi, then EAP */
	{ IKE_AUTH, false,
	  .min = { ONE(PL_IDI) },
	  .max = { ONE(PL_IDI), MANY(PL_CERT), MANY(PL_CERTREQ), ONE(PL_AUTH),
	           MANY(PL_NOTIFY), MANY(PL_VENDOR), SK_OK } },
	/* an EAP round */
	{ IKE_AUTH, false,
	  .min = { ONE(PL_EAP) },
	  .max = { ONE(PL_EAP), MANY(PL_NOTIFY), MANY(PL_VENDOR), SK_OK } },
	/* the final AUTH after EAP */
	{ IKE_AUTH, false,
	  .min = { ONE(PL_AUTH) },
	  .max = { ONE(PL_AUTH), MANY(PL_NOTIFY), SK_OK } },
	/* IKE_AUTH response, any of its steps */
	{ IKE_AUTH, true,
	  .min = { 0 },
	  .max = { ONE(PL_IDR), MANY(PL_CERT), ONE(PL_AUTH), ONE(PL_EAP),
	           ONE(PL_SA), ONE(PL_TSI), ONE(PL_TSR), ONE(PL_CP),
	           MANY(PL_NOTIFY), MANY(PL_VENDOR), SK_OK } },

	/* CREATE_CHILD_SA: a CHILD_SA, new or rekeyed (TSi and TSr) ... */
	{ CREATE_CHILD_SA, false,
	  .min = { ONE(PL_SA), ONE(PL_NONCE), ONE(PL_TSI), ONE(PL_TSR) },
	  .max = { ONE(PL_SA), ONE(PL_NONCE), ONE(PL_KE), ONE(PL_TSI),
	           ONE(PL_TSR), MANY(PL_NOTIFY), SK_OK } },
	/* ... or the IKE SA rekeyed (no TS) */
	{ CREATE_CHILD_SA, false,
	  .min = { ONE(PL_SA), ONE(PL_NONCE) },
	  .max = { ONE(PL_SA), ONE(PL_NONCE), ONE(PL_KE), MANY(PL_NOTIFY),
	           SK_OK } },
	{ CREATE_CHILD_SA, true,
	  .min = { ONE(PL_SA), ONE(PL_NONCE), ONE(PL_TSI), ONE(PL_TSR) },
	  .max = { ONE(PL_SA), ONE(PL_NONCE), ONE(PL_KE), ONE(PL_TSI),
	           ONE(PL_TSR), MANY(PL_NOTIFY), SK_OK } },
	{ CREATE_CHILD_SA, true,
	  .min = { ONE(PL_SA), ONE(PL_NONCE) },
	  .max = { ONE(PL_SA), ONE(PL_NONCE), ONE(PL_KE), MANY(PL_NOTIFY),
	           SK_OK } },
	/* ... or refused (NO_PROPOSAL_CHOSEN, INVALID_KE_PAYLOAD, ...) */
	{ CREATE_CHILD_SA, true,
	  .min = { ONE(PL_NOTIFY) },
	  .max = { MANY(PL_NOTIFY), SK_OK } },

	/* INFORMATIONAL, either way; empty is a liveness check */
	{ INFORMATIONAL, false,
	  .min = { 0 },
	  .max = { MANY(PL_NOTIFY), MANY(PL_DELETE), ONE(PL_CP),
	           MANY(PL_VENDOR), SK_OK } },
	{ INFORMATIONAL, true,
	  .min = { 0 },
	  .max = { MANY(PL_NOTIFY), MANY(PL_DELETE), ONE(PL_CP),
	           MANY(PL_VENDOR), SK_OK } },
};

static bool fits(const struct shape *s, const uint8_t count[32])
{
	for (int i = 0; i < 32; i++)
		if (count[i] < s->min[i] || count[i] > s->max[i])
			return false;
	return true;
}

int ike_verify(const struct ike_msg *msg, bool response)
{
	for (size_t i = 0; i < sizeof(shapes) / sizeof(shapes[0]); i++) {
		const struct shape *s = &shapes[i];

		if (s->exchange == msg->hdr.exchange &&
		    s->response == response && fits(s, msg->count))
			return IKE_OK;
	}
	return IKE_ERR_SYNTAX;
}
