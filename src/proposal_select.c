/* Responder proposal selection. */
#include <stdio.h>
#include <string.h>
#include "crypto/algs.h"
#include "crypto/dh.h"
#include "crypto/prf.h"
#include "crypto/xform.h"
#include "src/proposal_select.h"

static bool in_list(const struct prop_xf *l, int n, uint16_t id, uint16_t keybits)
{
	for (int i = 0; i < n; i++)
		if (l[i].id == id && l[i].keybits == keybits)
			return true;
	return false;
}

/* peer's transforms of one type, in order */
static int peer_of_type(const struct ike_prop *p, uint8_t type, const struct ike_xf **out)
{
	int n = 0;
	for (int i = 0; i < p->n_xf && n < IKE_MAX_XFORMS; i++)
		if (p->xf[i].type == type && !p->xf[i].bad_attr)
			out[n++] = &p->xf[i];
	return n;
}

static int peer_count_type(const struct ike_prop *p, uint8_t type)
{
	int n = 0;
	for (int i = 0; i < p->n_xf; i++)
		if (p->xf[i].type == type)
			n++;
	return n;
}

/* first transform of the peer's list that ours has; -1 if none */
static int pick(const struct ike_xf **peer, int n, const struct prop_xf *ours, int n_ours,
                uint16_t prefer)
{
	if (prefer) {
		for (int i = 0; i < n; i++)
			if (peer[i]->id == prefer && in_list(ours, n_ours, prefer, 0))
				return i;
	}
	for (int i = 0; i < n; i++)
		if (in_list(ours, n_ours, peer[i]->id, peer[i]->keybits))
			return i;
	return -1;
}

static int match_one(const struct ike_prop *pp, uint8_t proto, const struct proposal *op,
                     bool ignore_dh, uint16_t ke_group, struct selected *sel)
{
	const struct ike_xf *encr[IKE_MAX_XFORMS], *integ[IKE_MAX_XFORMS], *prf[IKE_MAX_XFORMS],
		*dh[IKE_MAX_XFORMS], *esn[IKE_MAX_XFORMS];
	int ne = peer_of_type(pp, XF_ENCR, encr);
	int ni = peer_of_type(pp, XF_INTEG, integ);
	int np = peer_of_type(pp, XF_PRF, prf);
	int nd = peer_of_type(pp, XF_DH, dh);
	int ns = peer_of_type(pp, XF_ESN, esn);
	memset(sel, 0, sizeof(*sel));

	/* encryption, and integrity to go with it */
	bool found = false;
	for (int i = 0; i < ne && !found; i++) {
		uint16_t id = encr[i]->id, kb = encr[i]->keybits;
		if (!in_list(op->encr, op->n_encr, id, kb))
			continue;
		if (xform_is_aead(id)) {
			/* the peer may list no integrity or only NONE */
			bool ok = true;
			for (int j = 0; j < ni; j++)
				if (integ[j]->id != AUTH_NONE)
					ok = false;
			if (!ok && ni > 0) {
				/* a mixed proposal: fine if NONE is among them */
				ok = false;
				for (int j = 0; j < ni; j++)
					if (integ[j]->id == AUTH_NONE)
						ok = true;
			}
			if (!ok || !xform_supported(id, kb, AUTH_NONE))
				continue;
			sel->encr = id; sel->keybits = kb; sel->integ = AUTH_NONE;
			found = true;
		} else {
			int j = pick(integ, ni, op->integ, op->n_integ, 0);
			if (j < 0 || !xform_supported(id, kb, integ[j]->id))
				continue;
			sel->encr = id; sel->keybits = kb; sel->integ = integ[j]->id;
			found = true;
		}
	}
	if (!found)
		return -1;

	if (proto == PROTO_IKE) {
		int j = pick(prf, np, op->prf, op->n_prf, 0);
		if (j < 0 || !prf_supported(prf[j]->id))
			return -1;
		sel->prf = prf[j]->id;
		j = pick(dh, nd, op->dh, op->n_dh, ke_group);
		if (j < 0 || !dh_supported(dh[j]->id))
			return -1;
		sel->dh = dh[j]->id;
		return 0;
	}

	/* ESP: DH is PFS for rekeying; the first CHILD_SA has none */
	if (!ignore_dh) {
		if (op->n_dh > 0) {
			int j = pick(dh, nd, op->dh, op->n_dh, ke_group);
			if (j < 0 || !dh_supported(dh[j]->id))
				return -1;
			sel->dh = dh[j]->id;
		} else {
			bool none_ok = nd == 0;
			for (int j = 0; j < nd; j++)
				if (dh[j]->id == DH_NONE)
					none_ok = true;
			if (!none_ok)
				return -1;
		}
	}
	/* ESN: cygnet does 32-bit sequence numbers */
	bool no_esn = ns == 0;
	for (int j = 0; j < ns; j++)
		if (esn[j]->id == ESN_NO)
			no_esn = true;
	if (!no_esn)
		return -1;
	sel->esn = ESN_NO;
	return 0;
}

static void add_xf(struct ike_prop *out, uint8_t type, uint16_t id, uint16_t keybits)
{
	if (out->n_xf >= IKE_MAX_XFORMS)
		return;
	out->xf[out->n_xf].type = type;
	out->xf[out->n_xf].id = id;
	out->xf[out->n_xf].keybits = keybits;
	out->xf[out->n_xf].bad_attr = false;
	out->n_xf++;
}

int proposal_select(const struct ike_prop *peer, int n_peer, uint8_t proto,
                    const struct proposal_list *ours, bool ignore_dh, uint16_t ke_group,
                    struct selected *sel, struct ike_prop *out)
{
	for (int i = 0; i < n_peer; i++) {
		const struct ike_prop *pp = &peer[i];
		if (pp->proto != proto)
			continue;
		if (proto == PROTO_ESP && pp->spi_size != 4)
			continue;
		for (int j = 0; j < ours->n; j++) {
			if (match_one(pp, proto, &ours->p[j], ignore_dh, ke_group, sel) != 0)
				continue;
			memset(out, 0, sizeof(*out));
			out->num = pp->num;
			out->proto = pp->proto;
			out->spi_size = pp->spi_size;
			memcpy(out->spi, pp->spi, pp->spi_size <= 8 ? pp->spi_size : 8);
			add_xf(out, XF_ENCR, sel->encr, sel->keybits);
			if (proto == PROTO_IKE)
				add_xf(out, XF_PRF, sel->prf, 0);
			if (sel->integ != AUTH_NONE)
				add_xf(out, XF_INTEG, sel->integ, 0);
			if (sel->dh != DH_NONE)
				add_xf(out, XF_DH, sel->dh, 0);
			if (proto == PROTO_ESP && peer_count_type(pp, XF_ESN) > 0)
				add_xf(out, XF_ESN, ESN_NO, 0);
			return 0;
		}
	}
	return -1;
}

static void append(char *out, size_t outlen, size_t *pos, const char *text)
{
	if (*pos + 1 >= outlen)
		return;
	int n = snprintf(out + *pos, outlen - *pos, "%s", text);
	if (n > 0)
		*pos += (size_t)n;
	if (*pos >= outlen)
		*pos = outlen - 1;
}

static void xf_text(char *out, size_t outlen, size_t *pos, uint8_t type, uint16_t id, uint16_t kb)
{
	const char *sep = *pos && out[*pos - 1] != ' ' ? "/" : "";
	char buf[64];
	const char *name = proposal_xf_name(type, id);
	if (type == XF_INTEG && id == AUTH_NONE)
		return;
	if (type == XF_DH && id == DH_NONE)
		return;
	if (name && kb)
		snprintf(buf, sizeof(buf), "%s%s_%u", sep, name, kb);
	else if (name)
		snprintf(buf, sizeof(buf), "%s%s", sep, name);
	else
		snprintf(buf, sizeof(buf), "%sUNKNOWN_%u_%u", sep, type, id);
	append(out, outlen, pos, buf);
}

void selected_format(const struct selected *s, uint8_t proto, char *out, size_t outlen)
{
	size_t pos = 0;
	out[0] = '\0';
	xf_text(out, outlen, &pos, XF_ENCR, s->encr, s->keybits);
	xf_text(out, outlen, &pos, XF_INTEG, s->integ, 0);
	if (proto == PROTO_IKE)
		xf_text(out, outlen, &pos, XF_PRF, s->prf, 0);
	xf_text(out, outlen, &pos, XF_DH, s->dh, 0);
	if (proto == PROTO_ESP)
		xf_text(out, outlen, &pos, XF_ESN, s->esn, 0);
}

void peer_props_format(const struct ike_prop *peer, int n_peer, char *out, size_t outlen)
{
	size_t pos = 0;
	out[0] = '\0';
	for (int i = 0; i < n_peer; i++) {
		if (i)
			append(out, outlen, &pos, ", ");
		for (int j = 0; j < peer[i].n_xf; j++)
			xf_text(out, outlen, &pos, peer[i].xf[j].type, peer[i].xf[j].id,
			        peer[i].xf[j].keybits);
	}
}

static void offer_type(struct ike_prop *p, uint8_t type, const struct prop_xf *l, int n)
{
	for (int i = 0; i < n && p->n_xf < IKE_MAX_XFORMS; i++)
		p->xf[p->n_xf++] = (struct ike_xf){ type, l[i].id, l[i].keybits, false };
}

int proposal_offer(const struct proposal_list *ours, uint8_t proto, bool with_dh,
                   const uint8_t *spi, uint8_t spi_size, struct ike_prop *out, int max)
{
	int n = 0;
	for (int i = 0; i < ours->n && n < max && n < 255; i++) {
		const struct proposal *q = &ours->p[i];
		struct ike_prop *p = &out[n];
		memset(p, 0, sizeof(*p));
		p->num = (uint8_t)(n + 1);
		p->proto = proto;
		p->spi_size = spi_size <= sizeof(p->spi) ? spi_size : 0;
		if (p->spi_size)
			memcpy(p->spi, spi, p->spi_size);
		offer_type(p, XF_ENCR, q->encr, q->n_encr);
		if (proto == PROTO_IKE)
			offer_type(p, XF_PRF, q->prf, q->n_prf);
		offer_type(p, XF_INTEG, q->integ, q->n_integ);
		if (with_dh)
			offer_type(p, XF_DH, q->dh, q->n_dh);
		if (proto == PROTO_ESP) {
			if (q->n_esn)
				offer_type(p, XF_ESN, q->esn, q->n_esn);
			else if (p->n_xf < IKE_MAX_XFORMS)
				p->xf[p->n_xf++] = (struct ike_xf){ XF_ESN, ESN_NO, 0, false };
		}
		n++;
	}
	return n;
}
