/* libFuzzer target for the single payload decoders of src/ike_msg.c (SA
 * with its proposals and transforms, KE, IDi/IDr, CERT, CERTREQ, AUTH,
 * Nonce, Notify, Delete, Vendor ID, TSi/TSr, SK, CP, EAP, SKF): the first
 * input byte picks the payload type (byte % 17: types 33..48, then 53),
 * the rest is the payload body after its generic header, decoded by
 * ike_parse_payload. Every pointer the decoder hands out must lie inside
 * the body, and every count within its table.
 * Seeds: tests/fuzz/corpus/payload/ (payloads of captured exchanges). */
#include <stdlib.h>
#include <string.h>

#include "src/ike_msg.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t *lo, *hi;

static void inside(const uint8_t *p, size_t len)
{
	if (!p) {
		if (len)
			abort();
		return;
	}
	if (p < lo || p > hi || len > (size_t)(hi - p))
		abort();
}

static void check(const struct ike_msg *m)
{
	if (m->n_props < 0 || m->n_props > IKE_MAX_PROPS || m->n_notify > IKE_MAX_NOTIFY ||
	    m->n_certs > IKE_MAX_CERT || m->n_certreqs > IKE_MAX_CERT ||
	    m->n_del > IKE_MAX_DELETE || m->n_tsi > IKE_MAX_TS || m->n_tsr > IKE_MAX_TS ||
	    m->n_cp > IKE_MAX_CP_ATTR)
		abort();
	for (int i = 0; i < m->n_props; i++)
		if (m->props[i].n_xf > IKE_MAX_XFORMS || m->props[i].spi_size > 8)
			abort();
	inside(m->ke, m->ke_len);
	inside(m->nonce, m->nonce_len);
	if (m->nonce && (m->nonce_len < 16 || m->nonce_len > 256))
		abort();
	inside(m->idi.data, m->idi.len);
	inside(m->idi.body, m->idi.body_len);
	inside(m->idr.data, m->idr.len);
	for (int i = 0; i < m->n_certs; i++)
		inside(m->certs[i].data, m->certs[i].len);
	for (int i = 0; i < m->n_certreqs; i++)
		inside(m->certreqs[i].data, m->certreqs[i].len);
	inside(m->auth, m->auth_len);
	for (int i = 0; i < m->n_notify; i++) {
		inside(m->notify[i].spi, m->notify[i].spi_size);
		inside(m->notify[i].data, m->notify[i].len);
	}
	for (int i = 0; i < m->n_del; i++)
		inside(m->del[i].spis, (size_t)m->del[i].n_spi * m->del[i].spi_size);
	for (int i = 0; i < m->n_cp; i++)
		inside(m->cp[i].val, m->cp[i].len);
	inside(m->eap, m->eap_len);
	if (m->eap && (m->eap_len < 4 || (size_t)(m->eap[2] << 8 | m->eap[3]) != m->eap_len))
		abort();
	if (m->has_sk)
		inside(m->sk_body, m->sk_len);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ike_msg msg;
	static const uint8_t types[17] = {
		PL_SA, PL_KE, PL_IDI, PL_IDR, PL_CERT, PL_CERTREQ, PL_AUTH, PL_NONCE,
		PL_NOTIFY, PL_DELETE, PL_VENDOR, PL_TSI, PL_TSR, PL_SK, PL_CP, PL_EAP, PL_SKF,
	};

	if (size < 1)
		return 0;
	uint8_t type = types[data[0] % 17];
	size_t len = size - 1;
	/* an exact-size copy, so that any read past the end is caught */
	uint8_t *body = malloc(len ? len : 1);
	if (!body)
		return 0;
	memcpy(body, data + 1, len);
	lo = body;
	hi = body + len;
	if (ike_parse_payload(&msg, type, body, len) == IKE_OK)
		check(&msg);
	free(body);
	return 0;
}
