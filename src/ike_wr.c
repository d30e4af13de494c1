/* IKEv2 message writing (RFC 7296 §3) and the names used in logs. Every
 * write checks the capacity first; what does not fit sets w->overflow
 * and is not written, so a message is either whole or ike_wr_finish
 * returns 0. */
#include "src/ike_msg.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#define NP_NONE ((size_t)-1)

static bool room(struct ike_wr *w, size_t n)
{
	if (w->overflow || n > w->cap - w->len) {
		w->overflow = true;
		return false;
	}
	return true;
}

static void put16(uint8_t *p, uint16_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

void ike_wr_bytes(struct ike_wr *w, const void *p, size_t len)
{
	if (!room(w, len))
		return;
	if (len)
		memcpy(w->buf + w->len, p, len);
	w->len += len;
}

void ike_wr_u8(struct ike_wr *w, uint8_t v)
{
	ike_wr_bytes(w, &v, 1);
}

void ike_wr_u16(struct ike_wr *w, uint16_t v)
{
	uint8_t b[2];

	put16(b, v);
	ike_wr_bytes(w, b, 2);
}

void ike_wr_u32(struct ike_wr *w, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16),
	                 (uint8_t)(v >> 8), (uint8_t)v };

	ike_wr_bytes(w, b, 4);
}

static void wr_zero(struct ike_wr *w, size_t n)
{
	static const uint8_t z[4];

	while (n >= sizeof(z)) {
		ike_wr_bytes(w, z, sizeof(z));
		n -= sizeof(z);
	}
	ike_wr_bytes(w, z, n);
}

/* The header's version is h->version, or 2.0 when that is 0. */
void ike_wr_init(struct ike_wr *w, uint8_t *buf, size_t cap, const struct ike_hdr *h)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->has_hdr = true;
	w->np_off = NP_NONE;
	ike_wr_bytes(w, h->spi_i, 8);
	ike_wr_bytes(w, h->spi_r, 8);
	ike_wr_u8(w, h->next);
	ike_wr_u8(w, h->version ? h->version : 0x20);
	ike_wr_u8(w, h->exchange);
	ike_wr_u8(w, h->flags);
	ike_wr_u32(w, h->msgid);
	ike_wr_u32(w, 0);
	if (!w->overflow)
		w->np_off = 16;
}

void ike_wr_init_inner(struct ike_wr *w, uint8_t *buf, size_t cap)
{
	memset(w, 0, sizeof(*w));
	w->buf = buf;
	w->cap = cap;
	w->np_off = NP_NONE;
}

size_t ike_wr_finish(struct ike_wr *w)
{
	if (w->overflow || w->len > IKE_MAX_MSG)
		return 0;
	if (w->has_hdr) {
		uint32_t n = (uint32_t)w->len;

		w->buf[24] = (uint8_t)(n >> 24);
		w->buf[25] = (uint8_t)(n >> 16);
		w->buf[26] = (uint8_t)(n >> 8);
		w->buf[27] = (uint8_t)n;
	}
	return w->len;
}

size_t ike_wr_begin(struct ike_wr *w, uint8_t type)
{
	size_t off = w->len;

	if (!room(w, 4))
		return off;
	if (w->np_off != NP_NONE)
		w->buf[w->np_off] = type;
	if (!w->first)
		w->first = type;
	ike_wr_u32(w, 0);         /* next 0, flags 0, length 0 */
	w->np_off = off;
	return off;
}

void ike_wr_end(struct ike_wr *w, size_t off)
{
	if (w->overflow || off + 4 > w->len || w->len - off > 0xffff) {
		w->overflow = true;
		return;
	}
	put16(w->buf + off + 2, (uint16_t)(w->len - off));
}

void ike_wr_sa(struct ike_wr *w, const struct ike_prop *p)
{
	ike_wr_sa_list(w, p, 1);
}

/* one proposal substructure (RFC 7296 §3.3.1); last: no more follow */
static void wr_prop(struct ike_wr *w, const struct ike_prop *p, bool last)
{
	size_t prop;
	int n = p->n_xf;

	if (n < 0 || n > IKE_MAX_XFORMS || p->spi_size > sizeof(p->spi)) {
		w->overflow = true;       /* a bad proposal: refuse to write it */
		return;
	}
	prop = w->len;
	ike_wr_u8(w, last ? 0 : 2);
	ike_wr_u8(w, 0);
	ike_wr_u16(w, 0);         /* length, below */
	ike_wr_u8(w, p->num);
	ike_wr_u8(w, p->proto);
	ike_wr_u8(w, p->spi_size);
	ike_wr_u8(w, (uint8_t)n);
	ike_wr_bytes(w, p->spi, p->spi_size);
	for (int i = 0; i < n; i++) {
		const struct ike_xf *x = &p->xf[i];

		ike_wr_u8(w, i + 1 < n ? 3 : 0);
		ike_wr_u8(w, 0);
		ike_wr_u16(w, x->keybits ? 12 : 8);
		ike_wr_u8(w, x->type);
		ike_wr_u8(w, 0);
		ike_wr_u16(w, x->id);
		if (x->keybits) {
			ike_wr_u16(w, 0x8000 | 14);   /* TV Key Length */
			ike_wr_u16(w, x->keybits);
		}
	}
	if (!w->overflow)
		put16(w->buf + prop + 2, (uint16_t)(w->len - prop));
}

void ike_wr_sa_list(struct ike_wr *w, const struct ike_prop *p, int n)
{
	size_t sa = ike_wr_begin(w, PL_SA);
	for (int i = 0; i < n; i++)
		wr_prop(w, &p[i], i + 1 == n);
	ike_wr_end(w, sa);
}

void ike_wr_ke(struct ike_wr *w, uint16_t group, const uint8_t *data, size_t len)
{
	size_t off = ike_wr_begin(w, PL_KE);

	ike_wr_u16(w, group);
	ike_wr_u16(w, 0);
	ike_wr_bytes(w, data, len);
	ike_wr_end(w, off);
}

void ike_wr_nonce(struct ike_wr *w, const uint8_t *n, size_t len)
{
	size_t off = ike_wr_begin(w, PL_NONCE);

	ike_wr_bytes(w, n, len);
	ike_wr_end(w, off);
}

void ike_wr_notify(struct ike_wr *w, uint8_t proto, const uint8_t *spi, uint8_t spi_size,
                   uint16_t type, const uint8_t *data, size_t len)
{
	size_t off = ike_wr_begin(w, PL_NOTIFY);

	ike_wr_u8(w, proto);
	ike_wr_u8(w, spi_size);
	ike_wr_u16(w, type);
	ike_wr_bytes(w, spi, spi_size);
	ike_wr_bytes(w, data, len);
	ike_wr_end(w, off);
}

void ike_wr_id(struct ike_wr *w, uint8_t pltype, uint8_t idtype, const uint8_t *data, size_t len)
{
	size_t off = ike_wr_begin(w, pltype);

	ike_wr_u8(w, idtype);
	wr_zero(w, 3);
	ike_wr_bytes(w, data, len);
	ike_wr_end(w, off);
}

static void wr_blob(struct ike_wr *w, uint8_t pltype, uint8_t enc,
                    const uint8_t *data, size_t len)
{
	size_t off = ike_wr_begin(w, pltype);

	ike_wr_u8(w, enc);
	ike_wr_bytes(w, data, len);
	ike_wr_end(w, off);
}

void ike_wr_cert(struct ike_wr *w, uint8_t enc, const uint8_t *der, size_t len)
{
	wr_blob(w, PL_CERT, enc, der, len);
}

void ike_wr_certreq(struct ike_wr *w, uint8_t enc, const uint8_t *data, size_t len)
{
	wr_blob(w, PL_CERTREQ, enc, data, len);
}

void ike_wr_auth(struct ike_wr *w, uint8_t method, const uint8_t *data, size_t len)
{
	size_t off = ike_wr_begin(w, PL_AUTH);

	ike_wr_u8(w, method);
	wr_zero(w, 3);
	ike_wr_bytes(w, data, len);
	ike_wr_end(w, off);
}

/* A selector of a type other than 7 or 8 is a caller bug: the message is
 * refused (overflow) rather than written wrong. */
void ike_wr_ts(struct ike_wr *w, uint8_t pltype, const struct ike_ts *ts, int n)
{
	size_t off = ike_wr_begin(w, pltype);

	if (n < 0 || n > 255) {
		w->overflow = true;
		return;
	}
	ike_wr_u8(w, (uint8_t)n);
	wr_zero(w, 3);
	for (int i = 0; i < n; i++) {
		size_t alen;

		if (ts[i].type == TS_IPV4_ADDR_RANGE)
			alen = 4;
		else if (ts[i].type == TS_IPV6_ADDR_RANGE)
			alen = 16;
		else {
			w->overflow = true;
			return;
		}
		ike_wr_u8(w, ts[i].type);
		ike_wr_u8(w, ts[i].ip_proto);
		ike_wr_u16(w, (uint16_t)(8 + 2 * alen));
		ike_wr_u16(w, ts[i].sport);
		ike_wr_u16(w, ts[i].eport);
		ike_wr_bytes(w, ts[i].start, alen);
		ike_wr_bytes(w, ts[i].end, alen);
	}
	ike_wr_end(w, off);
}

void ike_wr_cp(struct ike_wr *w, uint8_t cptype, const struct ike_cp_attr *a, int n)
{
	size_t off = ike_wr_begin(w, PL_CP);

	ike_wr_u8(w, cptype);
	wr_zero(w, 3);
	for (int i = 0; i < n; i++) {
		if (a[i].len > 0xffff) {
			w->overflow = true;
			return;
		}
		ike_wr_u16(w, a[i].type & 0x7fff);
		ike_wr_u16(w, (uint16_t)a[i].len);
		ike_wr_bytes(w, a[i].val, a[i].len);
	}
	ike_wr_end(w, off);
}

void ike_wr_eap(struct ike_wr *w, const uint8_t *eap, size_t len)
{
	size_t off = ike_wr_begin(w, PL_EAP);

	ike_wr_bytes(w, eap, len);
	ike_wr_end(w, off);
}

void ike_wr_delete(struct ike_wr *w, uint8_t proto, uint8_t spi_size, const uint8_t *spis, uint16_t n)
{
	size_t off = ike_wr_begin(w, PL_DELETE);

	ike_wr_u8(w, proto);
	ike_wr_u8(w, spi_size);
	ike_wr_u16(w, n);
	ike_wr_bytes(w, spis, (size_t)n * spi_size);
	ike_wr_end(w, off);
}

/* ---- names ---- */

static _Thread_local char num_buf[3][24];

static const char *numbered(int slot, const char *fmt, unsigned v)
{
	snprintf(num_buf[slot], sizeof(num_buf[slot]), fmt, v);
	return num_buf[slot];
}

const char *ike_exchange_name(uint8_t x)
{
	switch (x) {
	case IKE_SA_INIT:     return "IKE_SA_INIT";
	case IKE_AUTH:        return "IKE_AUTH";
	case CREATE_CHILD_SA: return "CREATE_CHILD_SA";
	case INFORMATIONAL:   return "INFORMATIONAL";
	case 43:              return "IKE_INTERMEDIATE";   /* RFC 9242 */
	}
	return numbered(0, "EXCHANGE(%u)", x);
}

const char *ike_payload_name(uint8_t type)
{
	switch (type) {
	case PL_NONE:    return "NONE";
	case PL_SA:      return "SA";
	case PL_KE:      return "KE";
	case PL_IDI:     return "IDi";
	case PL_IDR:     return "IDr";
	case PL_CERT:    return "CERT";
	case PL_CERTREQ: return "CERTREQ";
	case PL_AUTH:    return "AUTH";
	case PL_NONCE:   return "No";
	case PL_NOTIFY:  return "N";
	case PL_DELETE:  return "D";
	case PL_VENDOR:  return "V";
	case PL_TSI:     return "TSi";
	case PL_TSR:     return "TSr";
	case PL_SK:      return "SK";
	case PL_CP:      return "CP";
	case PL_EAP:     return "EAP";
	case PL_SKF:     return "EF";
	}
	return numbered(1, "PL(%u)", type);
}

/* Full names as in the IANA registry for ike_notify_name(), and the
 * short ones strongSwan's logs use, which operators know, for the
 * summary. */
struct notify_name {
	uint16_t type;
	const char *full, *brief;
};

#define NN(x, b) { N_##x, "N(" #x ")", b }

static const struct notify_name notify_names[] = {
	NN(UNSUPPORTED_CRITICAL_PAYLOAD, "UNSUPP_CRIT_PL"),
	NN(INVALID_IKE_SPI, "INVAL_IKE_SPI"),
	NN(INVALID_MAJOR_VERSION, "INVAL_MAJOR"),
	NN(INVALID_SYNTAX, "INVAL_SYN"),
	NN(INVALID_MESSAGE_ID, "INVAL_MID"),
	NN(INVALID_SPI, "INVAL_SPI"),
	NN(NO_PROPOSAL_CHOSEN, "NO_PROP"),
	NN(INVALID_KE_PAYLOAD, "INVAL_KE"),
	NN(AUTHENTICATION_FAILED, "AUTH_FAILED"),
	NN(SINGLE_PAIR_REQUIRED, "SINGLE_PAIR"),
	NN(NO_ADDITIONAL_SAS, "NO_ADD_SAS"),
	NN(INTERNAL_ADDRESS_FAILURE, "INT_ADDR_FAIL"),
	NN(FAILED_CP_REQUIRED, "FAIL_CP_REQ"),
	NN(TS_UNACCEPTABLE, "TS_UNACCEPT"),
	NN(INVALID_SELECTORS, "INVAL_SEL"),
	NN(TEMPORARY_FAILURE, "TEMP_FAIL"),
	NN(CHILD_SA_NOT_FOUND, "CHILD_SA_NOT_FOUND"),
	NN(INITIAL_CONTACT, "INIT_CONTACT"),
	NN(SET_WINDOW_SIZE, "SET_WINSIZE"),
	NN(ADDITIONAL_TS_POSSIBLE, "ADD_TS_POSS"),
	NN(IPCOMP_SUPPORTED, "IPCOMP_SUP"),
	NN(NAT_DETECTION_SOURCE_IP, "NATD_S_IP"),
	NN(NAT_DETECTION_DESTINATION_IP, "NATD_D_IP"),
	NN(COOKIE, "COOKIE"),
	NN(USE_TRANSPORT_MODE, "USE_TRANSP"),
	NN(HTTP_CERT_LOOKUP_SUPPORTED, "HTTP_CERT_LOOK_SUP"),
	NN(REKEY_SA, "REKEY_SA"),
	NN(ESP_TFC_PADDING_NOT_SUPPORTED, "ESP_TFC_PAD_N"),
	NN(NON_FIRST_FRAGMENTS_ALSO, "NON_FIRST_FRAG"),
	NN(MOBIKE_SUPPORTED, "MOBIKE_SUP"),
	NN(ADDITIONAL_IP4_ADDRESS, "ADD_4_ADDR"),
	NN(ADDITIONAL_IP6_ADDRESS, "ADD_6_ADDR"),
	NN(NO_ADDITIONAL_ADDRESSES, "NO_ADD_ADDR"),
	NN(UPDATE_SA_ADDRESSES, "UPD_SA_ADDR"),
	NN(COOKIE2, "COOKIE2"),
	NN(NO_NATS_ALLOWED, "NO_NATS"),
	NN(MULTIPLE_AUTH_SUPPORTED, "MULT_AUTH"),
	NN(ANOTHER_AUTH_FOLLOWS, "AUTH_FOLLOWS"),
	NN(REDIRECT_SUPPORTED, "REDIR_SUP"),
	NN(REDIRECT, "REDIR"),
	NN(REDIRECTED_FROM, "REDIR_FROM"),
	NN(EAP_ONLY_AUTHENTICATION, "EAP_ONLY"),
	NN(IKEV2_FRAGMENTATION_SUPPORTED, "FRAG_SUP"),
	NN(SIGNATURE_HASH_ALGORITHMS, "HASH_ALG"),
};

static const struct notify_name *notify_lookup(uint16_t type)
{
	for (size_t i = 0; i < sizeof(notify_names) / sizeof(notify_names[0]); i++)
		if (notify_names[i].type == type)
			return &notify_names[i];
	return NULL;
}

/* "N(NAT_DETECTION_SOURCE_IP)", or "N(12345)" for one not listed */
const char *ike_notify_name(uint16_t type)
{
	const struct notify_name *n = notify_lookup(type);

	return n ? n->full : numbered(2, "N(%u)", type);
}

/* ---- summary ---- */

struct out {
	char *p;
	size_t cap, len;
};

static void put(struct out *o, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));

static void put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->cap)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->p + o->len, o->cap - o->len, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	o->len += (size_t)n;
	if (o->len >= o->cap)
		o->len = o->cap;          /* truncated; the buffer stays terminated */
}

static const char *cp_type_name(uint8_t t)
{
	switch (t) {
	case CFG_REQUEST: return "CPRQ";
	case CFG_REPLY:   return "CPRP";
	case CFG_SET:     return "CPS";
	case CFG_ACK:     return "CPA";
	}
	return "CP";
}

static const char *cp_attr_name(uint16_t t)
{
	switch (t) {
	case INTERNAL_IP4_ADDRESS: return "ADDR";
	case INTERNAL_IP4_NETMASK: return "MASK";
	case INTERNAL_IP4_DNS:     return "DNS";
	case INTERNAL_IP4_NBNS:    return "NBNS";
	case INTERNAL_IP4_DHCP:    return "DHCP";
	case APPLICATION_VERSION:  return "VER";
	case INTERNAL_IP6_ADDRESS: return "ADDR6";
	case INTERNAL_IP6_DNS:     return "DNS6";
	case INTERNAL_IP4_SUBNET:  return "SUBNET";
	case SUPPORTED_ATTRIBUTES: return "SUPATTR";
	case INTERNAL_IP6_SUBNET:  return "SUBNET6";
	}
	return NULL;
}

static void put_cp(struct out *o, const struct ike_msg *m)
{
	put(o, " %s", cp_type_name(m->cp_type));
	if (!m->n_cp)
		return;
	put(o, "(");
	for (int i = 0; i < m->n_cp; i++) {
		const char *n = cp_attr_name(m->cp[i].type);

		if (n)
			put(o, "%s%s", i ? " " : "", n);
		else
			put(o, "%s%u", i ? " " : "", m->cp[i].type);
	}
	put(o, ")");
}

static void put_eap(struct out *o, const struct ike_msg *m)
{
	static const char *const codes[] = { "?", "REQ", "RES", "SUCC", "FAIL" };
	uint8_t code = m->eap[0];

	put(o, " EAP/%s", code < 5 ? codes[code] : "?");
	if ((code == 1 || code == 2) && m->eap_len > 4) {
		uint8_t t = m->eap[4];

		if (t == 1)
			put(o, "/ID");
		else if (t == 26)
			put(o, "/MSCHAPV2");
		else if (t == 3)
			put(o, "/NAK");
		else
			put(o, "/%u", t);
	}
}

/* "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) ]": the
 * payloads in message order; an SK whose content was decrypted is shown
 * by its content only. */
void ike_msg_summary(const struct ike_msg *msg, char *out, size_t outlen)
{
	struct out o = { out, outlen, 0 };
	int ni = 0, kept;

	if (!outlen)
		return;
	out[0] = '\0';
	put(&o, "%s %s %u [", ike_exchange_name(msg->hdr.exchange),
	    msg->hdr.flags & IKE_FLAG_RESPONSE ? "response" : "request",
	    msg->hdr.msgid);
	kept = msg->n_order < IKE_MAX_ORDER ? msg->n_order : IKE_MAX_ORDER;
	for (int i = 0; i < kept; i++) {
		uint8_t t = msg->order[i];

		switch (t) {
		case PL_NOTIFY:
			if (ni < msg->n_notify) {
				const struct notify_name *n =
					notify_lookup(msg->notify[ni].type);

				if (n)
					put(&o, " N(%s)", n->brief);
				else
					put(&o, " N(%u)", msg->notify[ni].type);
				ni++;
			} else {
				put(&o, " N");
			}
			break;
		case PL_CP:
			put_cp(&o, msg);
			break;
		case PL_EAP:
			if (msg->eap)
				put_eap(&o, msg);
			else
				put(&o, " EAP");
			break;
		case PL_SK:
			if (!msg->decrypted)
				put(&o, " SK");
			break;
		case PL_SKF:
			put(&o, " EF(%u/%u)", msg->frag_num, msg->frag_total);
			break;
		default:
			put(&o, " %s", ike_payload_name(t));
		}
	}
	if (msg->n_order > kept)
		put(&o, " ...");
	put(&o, " ]");
}
