/* IKE message codec: messages built with the writer are parsed back field
 * by field; every truncation and length lie fails cleanly; the payload
 * rules table accepts and refuses the shapes of RFC 7296 §1.2-1.5.
 * Byte layouts checked by hand against RFC 7296 §3.1-3.16 and RFC 7383
 * §2.5. With "--corpus DIR" it also writes the fuzz seed corpus. */
#include "src/ike_msg.h"
#include "tests/unit/check.h"

#include <stdbool.h>

static struct ike_msg m;      /* large: keep off the stack */
static const char *corpus_dir;

static void save(const char *name, const uint8_t *p, size_t len)
{
	char path[512];
	FILE *f;

	if (!corpus_dir)
		return;
	snprintf(path, sizeof(path), "%s/%s", corpus_dir, name);
	f = fopen(path, "wb");
	if (!f || fwrite(p, 1, len, f) != len)
		printf("not ok corpus %s: cannot write\n", path);
	if (f)
		fclose(f);
}

/* an exact-size heap copy, so that ASan sees any read past the end */
static uint8_t *dup_exact(const uint8_t *p, size_t len)
{
	uint8_t *d = malloc(len ? len : 1);

	if (len)
		memcpy(d, p, len);
	return d;
}

static void set_len(uint8_t *msg, size_t len)
{
	msg[24] = (uint8_t)(len >> 24);
	msg[25] = (uint8_t)(len >> 16);
	msg[26] = (uint8_t)(len >> 8);
	msg[27] = (uint8_t)len;
}

static void fill(uint8_t *p, size_t n, uint8_t seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(seed + i);
}

static struct ike_hdr hdr(uint8_t exch, uint8_t flags, uint32_t msgid)
{
	struct ike_hdr h = { .exchange = exch, .flags = flags, .msgid = msgid };

	fill(h.spi_i, 8, 0x11);
	if (exch != IKE_SA_INIT || (flags & IKE_FLAG_RESPONSE))
		fill(h.spi_r, 8, 0xa1);
	return h;
}

/* The test's own SA encoder for several proposals, written with the
 * primitive writer calls; for one proposal it must give what ike_wr_sa
 * gives. */
static void wr_sa_multi(struct ike_wr *w, const struct ike_prop *p, int n)
{
	size_t sa = ike_wr_begin(w, PL_SA);

	for (int i = 0; i < n; i++) {
		size_t po = w->len;

		ike_wr_u8(w, i + 1 < n ? 2 : 0);
		ike_wr_u8(w, 0);
		ike_wr_u16(w, 0);
		ike_wr_u8(w, p[i].num);
		ike_wr_u8(w, p[i].proto);
		ike_wr_u8(w, p[i].spi_size);
		ike_wr_u8(w, (uint8_t)p[i].n_xf);
		ike_wr_bytes(w, p[i].spi, p[i].spi_size);
		for (int j = 0; j < p[i].n_xf; j++) {
			const struct ike_xf *x = &p[i].xf[j];

			ike_wr_u8(w, j + 1 < p[i].n_xf ? 3 : 0);
			ike_wr_u8(w, 0);
			ike_wr_u16(w, x->keybits ? 12 : 8);
			ike_wr_u8(w, x->type);
			ike_wr_u8(w, 0);
			ike_wr_u16(w, x->id);
			if (x->keybits) {
				ike_wr_u16(w, 0x800e);
				ike_wr_u16(w, x->keybits);
			}
		}
		w->buf[po + 2] = (uint8_t)((w->len - po) >> 8);
		w->buf[po + 3] = (uint8_t)(w->len - po);
	}
	ike_wr_end(w, sa);
}

static const struct ike_prop prop1 = {
	.num = 1, .proto = PROTO_IKE, .spi_size = 0, .n_xf = 6,
	.xf = { { 1, 12, 256, false },  /* ENCR_AES_CBC 256 */
	        { 1, 12, 128, false },  /* ENCR_AES_CBC 128 */
	        { 2, 5, 0, false },     /* PRF_HMAC_SHA2_256 */
	        { 3, 12, 0, false },    /* AUTH_HMAC_SHA2_256_128 */
	        { 4, 19, 0, false },    /* ECP 256 */
	        { 4, 31, 0, false } },  /* Curve25519 */
};
static const struct ike_prop prop2 = {
	.num = 2, .proto = PROTO_IKE, .spi_size = 0, .n_xf = 3,
	.xf = { { 1, 20, 256, false },  /* ENCR_AES_GCM_16 256 */
	        { 2, 7, 0, false },     /* PRF_HMAC_SHA2_512 */
	        { 4, 31, 0, false } },
};

static uint8_t ke_data[32], nonce_data[32], natd_s[20], natd_d[20], vid[16];

/* IKE_SA_INIT request, as Windows/strongSwan send it */
static size_t build_sa_init(uint8_t *buf, size_t cap)
{
	struct ike_wr w;
	struct ike_hdr h = hdr(IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	struct ike_prop props[2] = { prop1, prop2 };

	fill(ke_data, sizeof(ke_data), 0x40);
	fill(nonce_data, sizeof(nonce_data), 0x80);
	fill(natd_s, sizeof(natd_s), 0xc0);
	fill(natd_d, sizeof(natd_d), 0xd0);
	fill(vid, sizeof(vid), 0xe0);
	ike_wr_init(&w, buf, cap, &h);
	wr_sa_multi(&w, props, 2);
	ike_wr_ke(&w, 31, ke_data, sizeof(ke_data));
	ike_wr_nonce(&w, nonce_data, sizeof(nonce_data));
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, natd_s, 20);
	ike_wr_notify(&w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, natd_d, 20);
	ike_wr_notify(&w, 0, NULL, 0, N_IKEV2_FRAGMENTATION_SUPPORTED, NULL, 0);
	{
		size_t v = ike_wr_begin(&w, PL_VENDOR);
		ike_wr_bytes(&w, vid, sizeof(vid));
		ike_wr_end(&w, v);
	}
	return ike_wr_finish(&w);
}

static bool xf_eq(const struct ike_xf *a, const struct ike_xf *b)
{
	return a->type == b->type && a->id == b->id &&
	       a->keybits == b->keybits && a->bad_attr == b->bad_attr;
}

static bool prop_eq(const struct ike_prop *a, const struct ike_prop *b)
{
	if (a->num != b->num || a->proto != b->proto ||
	    a->spi_size != b->spi_size || a->n_xf != b->n_xf ||
	    memcmp(a->spi, b->spi, a->spi_size))
		return false;
	for (int i = 0; i < a->n_xf; i++)
		if (!xf_eq(&a->xf[i], &b->xf[i]))
			return false;
	return true;
}

static void test_wr_sa_bytes(void)
{
	uint8_t buf[128], buf2[128];
	struct ike_wr w, w2;
	struct ike_prop p = { .num = 1, .proto = PROTO_IKE, .n_xf = 1,
	                      .xf = { { 1, 12, 256, false } } };

	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_sa(&w, &p);
	/* SA: next 0, len 24 | proposal: last, len 20, #1, IKE, SPI size 0,
	 * 1 transform | transform: last, len 12, ENCR, AES_CBC, TV 14 256 */
	CHECK_HEX("wr_sa one transform", buf, w.len,
	          "00000018" "0000001401010001" "0000000c0100000c800e0100");
	CHECK("wr_sa inner first", w.first == PL_SA);
	CHECK("wr_sa inner finish", ike_wr_finish(&w) == 24);

	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_sa(&w, &prop1);
	ike_wr_init_inner(&w2, buf2, sizeof(buf2));
	wr_sa_multi(&w2, &prop1, 1);
	CHECK("wr_sa == hand-written proposal",
	      w.len == w2.len && !memcmp(buf, buf2, w.len));

	/* ESP with a 4-byte SPI */
	struct ike_prop esp = { .num = 3, .proto = PROTO_ESP, .spi_size = 4,
	                        .spi = { 0xc0, 0xff, 0xee, 0x01 }, .n_xf = 2,
	                        .xf = { { 1, 20, 128, false }, { 5, 0, 0, false } } };
	ike_wr_init_inner(&w, buf, sizeof(buf));
	ike_wr_sa(&w, &esp);
	CHECK_HEX("wr_sa esp", buf, w.len,
	          "00000024" "0000002003030402" "c0ffee01"
	          "0300000c01000014800e0080" "0000000805000000");
}

static void test_sa_init(void)
{
	uint8_t buf[1024];
	size_t len = build_sa_init(buf, sizeof(buf));
	char sum[256];

	CHECK("sa_init built", len > 28);
	save("sa_init_req", buf, len);
	CHECK("sa_init header length", buf[24] == 0 && buf[25] == 0 &&
	      buf[26] == (len >> 8) && buf[27] == (uint8_t)len);
	CHECK("sa_init header next", buf[16] == PL_SA && buf[17] == 0x20);

	CHECK("sa_init parse", ike_parse(buf, len, &m) == IKE_OK);
	CHECK("sa_init hdr", m.hdr.exchange == IKE_SA_INIT &&
	      m.hdr.flags == IKE_FLAG_INITIATOR && m.hdr.msgid == 0 &&
	      m.hdr.length == len && m.hdr.next == PL_SA &&
	      m.hdr.version == 0x20 && m.hdr.spi_i[0] == 0x11 &&
	      m.hdr.spi_i[7] == 0x18 && m.hdr.spi_r[0] == 0);
	CHECK("sa_init raw", m.raw == buf && m.raw_len == len);
	CHECK("sa_init 2 proposals", m.n_props == 2);
	CHECK("sa_init proposal 1", prop_eq(&m.props[0], &prop1));
	CHECK("sa_init proposal 2", prop_eq(&m.props[1], &prop2));
	CHECK("sa_init ke", m.has_ke && m.ke_group == 31 && m.ke_len == 32 &&
	      !memcmp(m.ke, ke_data, 32));
	CHECK("sa_init nonce", m.nonce_len == 32 && !memcmp(m.nonce, nonce_data, 32));
	CHECK("sa_init notifies", m.n_notify == 3 &&
	      m.notify[0].type == N_NAT_DETECTION_SOURCE_IP &&
	      m.notify[0].len == 20 && !memcmp(m.notify[0].data, natd_s, 20) &&
	      m.notify[0].spi_size == 0 && m.notify[0].proto == 0 &&
	      m.notify[1].type == N_NAT_DETECTION_DESTINATION_IP &&
	      !memcmp(m.notify[1].data, natd_d, 20) &&
	      m.notify[2].type == N_IKEV2_FRAGMENTATION_SUPPORTED &&
	      m.notify[2].len == 0);
	CHECK("sa_init find_notify",
	      ike_find_notify(&m, N_NAT_DETECTION_DESTINATION_IP) == &m.notify[1] &&
	      !ike_find_notify(&m, N_COOKIE));
	CHECK("sa_init vendor", m.n_vendor == 1);
	CHECK("sa_init seen", m.seen == ((1ull << 1) | (1ull << 2) | (1ull << 8) |
	                                 (1ull << 9) | (1ull << 11)));
	CHECK("sa_init counts", m.count[PL_SA - 32] == 1 &&
	      m.count[PL_NOTIFY - 32] == 3 && m.count[PL_IDI - 32] == 0);
	CHECK("sa_init no sk", !m.has_sk && !m.unknown_critical);
	CHECK("sa_init verify request", ike_verify(&m, false) == IKE_OK);
	CHECK("sa_init verify as response", ike_verify(&m, true) == IKE_OK);
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("sa_init summary", !strcmp(sum,
	      "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) V ]"));
	if (strcmp(sum, "IKE_SA_INIT request 0 [ SA KE No N(NATD_S_IP) N(NATD_D_IP) N(FRAG_SUP) V ]"))
		printf("# %s\n", sum);
	ike_msg_summary(&m, sum, 12);
	CHECK("summary truncated", strlen(sum) == 11 && !strncmp(sum, "IKE_SA_INIT", 11));

	/* every truncation fails: as received (length field unchanged) and
	 * with the header length patched to match, which reaches payloads */
	int bad_drop = 0, bad_fix = 0;
	for (size_t l = 0; l < len; l++) {
		uint8_t *t = dup_exact(buf, l);

		if (ike_parse(t, l, &m) != IKE_ERR_DROP)
			bad_drop++;
		if (l >= 28) {
			set_len(t, l);
			if (ike_parse(t, l, &m) >= 0)
				bad_fix++;
		}
		free(t);
	}
	CHECK("sa_init truncations dropped", bad_drop == 0);
	CHECK("sa_init truncations with fixed length fail", bad_fix == 0);

	/* a byte of trailing junk after the last payload */
	{
		uint8_t t[1100];

		memcpy(t, buf, len);
		t[len] = 0;
		set_len(t, len + 1);
		CHECK("trailing byte", ike_parse(t, len + 1, &m) == IKE_ERR_SYNTAX);
	}
}

static void test_header(void)
{
	uint8_t buf[1024], t[1024];
	size_t len = build_sa_init(buf, sizeof(buf));

	memcpy(t, buf, len);
	t[17] = 0x30;
	CHECK("header major 3", ike_parse(t, len, &m) == IKE_ERR_VERSION);
	t[17] = 0x21;
	CHECK("header minor 1 accepted", ike_parse(t, len, &m) == IKE_OK);
	t[17] = 0x10;
	CHECK("header major 1", ike_parse(t, len, &m) == IKE_ERR_VERSION);
	memcpy(t, buf, len);
	set_len(t, len + 1);
	CHECK("header length > datagram", ike_parse(t, len, &m) == IKE_ERR_DROP);
	set_len(t, len - 1);
	CHECK("header length < datagram", ike_parse(t, len, &m) == IKE_ERR_DROP);
	CHECK("header 27 bytes", ike_parse_header(buf, 27, &m.hdr) == IKE_ERR_DROP);
	CHECK("header null", ike_parse_header(NULL, 0, &m.hdr) == IKE_ERR_DROP);

	/* a bare header with no payloads */
	memcpy(t, buf, 28);
	t[16] = 0;
	set_len(t, 28);
	CHECK("header only parses", ike_parse(t, 28, &m) == IKE_OK);
	CHECK("header only fails verify", ike_verify(&m, false) == IKE_ERR_SYNTAX);

	/* too long */
	static uint8_t big[IKE_MAX_MSG + 1];
	memcpy(big, buf, len);
	set_len(big, sizeof(big));
	CHECK("header > IKE_MAX_MSG", ike_parse(big, sizeof(big), &m) == IKE_ERR_DROP);
}

/* offsets of payloads in the SA_INIT message */
static size_t pl_off(const uint8_t *buf, size_t len, int index)
{
	size_t off = 28;

	for (int i = 0; i < index && off + 4 <= len; i++)
		off += (size_t)(buf[off + 2] << 8 | buf[off + 3]);
	return off;
}

static void put16(uint8_t *p, unsigned v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

static void test_length_lies(void)
{
	uint8_t buf[1024], t[1024];
	size_t len = build_sa_init(buf, sizeof(buf));
	size_t sa = pl_off(buf, len, 0), ke = pl_off(buf, len, 1);
	size_t no = pl_off(buf, len, 2), n1 = pl_off(buf, len, 3);

	CHECK("offsets", buf[sa] == PL_KE && buf[ke] == PL_NONCE &&
	      buf[no] == PL_NOTIFY && buf[n1] == PL_NOTIFY);

#define LIE(name, off, val, want) do { \
		memcpy(t, buf, len); put16(t + (off), (val)); \
		CHECK(name, ike_parse(t, len, &m) == (want)); \
	} while (0)

	LIE("SA length > left", sa + 2, (unsigned)(len - sa + 1), IKE_ERR_SYNTAX);
	LIE("SA length 0", sa + 2, 0, IKE_ERR_SYNTAX);
	LIE("SA length 4 (< minimum)", sa + 2, 4, IKE_ERR_SYNTAX);
	LIE("SA length 11 (< minimum)", sa + 2, 11, IKE_ERR_SYNTAX);
	LIE("SA length 0xffff", sa + 2, 0xffff, IKE_ERR_SYNTAX);
	LIE("KE length 7", ke + 2, 7, IKE_ERR_SYNTAX);
	LIE("KE length 8 (chain then breaks)", ke + 2, 8, IKE_ERR_SYNTAX);
	LIE("Nonce length 4", no + 2, 4, IKE_ERR_SYNTAX);
	LIE("Notify length 7", n1 + 2, 7, IKE_ERR_SYNTAX);
	LIE("last payload length short", pl_off(buf, len, 6) + 2, 4 + 15, IKE_ERR_SYNTAX);
	/* inside SA: proposal and transform lengths */
	LIE("proposal length 7", sa + 4 + 2, 7, IKE_ERR_SYNTAX);
	LIE("proposal length past SA", sa + 4 + 2, 0x400, IKE_ERR_SYNTAX);
	LIE("proposal length +4", sa + 4 + 2,
	    (unsigned)(buf[sa + 6] << 8 | buf[sa + 7]) + 4, IKE_ERR_SYNTAX);
	LIE("transform length 7", sa + 4 + 8 + 2, 7, IKE_ERR_SYNTAX);
	LIE("transform length 0x100", sa + 4 + 8 + 2, 0x100, IKE_ERR_SYNTAX);
	LIE("transform length 8 (attr left over)", sa + 4 + 8 + 2, 8, IKE_ERR_SYNTAX);
	/* proposal/transform counts and flags */
	memcpy(t, buf, len); t[sa + 4 + 7] = 7;
	CHECK("transform count 7 of 6", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	memcpy(t, buf, len); t[sa + 4 + 7] = 5;
	CHECK("transform count 5 of 6", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	memcpy(t, buf, len); t[sa + 4] = 0;
	CHECK("proposal says last but more follow", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	memcpy(t, buf, len); t[sa + 4 + 8] = 0;
	CHECK("transform says last but more follow", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	memcpy(t, buf, len); t[sa + 4 + 6] = 3;
	CHECK("proposal spi size 3", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	memcpy(t, buf, len); t[sa + 4 + 5] = 9;
	CHECK("proposal protocol 9", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	/* second transform's TV attribute changed to another type */
	memcpy(t, buf, len); t[sa + 4 + 8 + 12 + 9] = 0x0f;
	CHECK("other TV attribute parses", ike_parse(t, len, &m) == IKE_OK);
	CHECK("other TV attribute marks bad_attr", m.props[0].xf[1].bad_attr &&
	      m.props[0].xf[1].keybits == 0 && !m.props[0].xf[0].bad_attr);
	/* turned into a TLV with a 0x80-byte value: runs past the transform */
	memcpy(t, buf, len); t[sa + 4 + 8 + 12 + 8] = 0x00;
	CHECK("TLV attribute overrunning", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	/* header's first payload type points nowhere sensible */
	memcpy(t, buf, len); t[16] = PL_SK;
	CHECK("SK not last", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
#undef LIE
}

/* one payload of any type with arbitrary body, then the usual chain */
static size_t build_with(uint8_t *buf, size_t cap, uint8_t type, uint8_t flags,
                         const uint8_t *body, size_t blen)
{
	struct ike_wr w;
	struct ike_hdr h = hdr(IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	size_t o;

	ike_wr_init(&w, buf, cap, &h);
	ike_wr_sa(&w, &prop1);
	o = ike_wr_begin(&w, type);
	w.buf[o + 1] = flags;
	ike_wr_bytes(&w, body, blen);
	ike_wr_end(&w, o);
	ike_wr_ke(&w, 19, ke_data, 32);
	ike_wr_nonce(&w, nonce_data, 32);
	return ike_wr_finish(&w);
}

static void test_unknown_and_nonce(void)
{
	uint8_t buf[1024], body[300];
	size_t len;

	fill(body, sizeof(body), 1);
	len = build_with(buf, sizeof(buf), 99, 0x80, body, 5);
	CHECK("critical unknown", ike_parse(buf, len, &m) == IKE_ERR_CRITICAL &&
	      m.unknown_critical == 99);
	save("sa_init_critical", buf, len);
	len = build_with(buf, sizeof(buf), 99, 0x00, body, 5);
	CHECK("non-critical unknown skipped", ike_parse(buf, len, &m) == IKE_OK &&
	      m.unknown_critical == 0 && m.has_ke && m.nonce_len == 32 &&
	      m.ke_group == 19 && m.n_props == 1);
	CHECK("non-critical unknown verify", ike_verify(&m, false) == IKE_OK);
	CHECK("non-critical unknown not in seen", m.seen ==
	      ((1ull << 1) | (1ull << 2) | (1ull << 8)));
	len = build_with(buf, sizeof(buf), 49, 0x80, body, 0);
	CHECK("critical unknown 49 (in 33..53)", ike_parse(buf, len, &m) ==
	      IKE_ERR_CRITICAL && m.unknown_critical == 49);
	len = build_with(buf, sizeof(buf), 200, 0x7f, body, 0);
	CHECK("other flag bits ignored", ike_parse(buf, len, &m) == IKE_OK);
	/* critical bit on a known payload means nothing */
	len = build_with(buf, sizeof(buf), PL_VENDOR, 0x80, body, 3);
	CHECK("critical known payload", ike_parse(buf, len, &m) == IKE_OK &&
	      m.n_vendor == 1);

	/* nonce lengths: the second nonce makes verify fail, but the
	 * parser must take 16 and 256 and refuse 15 and 257 */
	len = build_with(buf, sizeof(buf), PL_NONCE, 0, body, 15);
	CHECK("nonce 15", ike_parse(buf, len, &m) == IKE_ERR_SYNTAX);
	len = build_with(buf, sizeof(buf), PL_NONCE, 0, body, 16);
	CHECK("nonce 16", ike_parse(buf, len, &m) == IKE_OK);
	CHECK("two nonces fail verify", ike_verify(&m, false) == IKE_ERR_SYNTAX);
	len = build_with(buf, sizeof(buf), PL_NONCE, 0, body, 256);
	CHECK("nonce 256", ike_parse(buf, len, &m) == IKE_OK);
	len = build_with(buf, sizeof(buf), PL_NONCE, 0, body, 257);
	CHECK("nonce 257", ike_parse(buf, len, &m) == IKE_ERR_SYNTAX);

	/* a second SA */
	len = build_with(buf, sizeof(buf), PL_SA, 0, buf, 0);
	CHECK("empty SA", ike_parse(buf, len, &m) == IKE_ERR_SYNTAX);
	{
		uint8_t sa[64];
		struct ike_wr w;

		ike_wr_init_inner(&w, sa, sizeof(sa));
		ike_wr_sa(&w, &prop2);
		len = build_with(buf, sizeof(buf), PL_SA, 0, sa + 4, w.len - 4);
		CHECK("duplicate SA parses", ike_parse(buf, len, &m) == IKE_OK &&
		      m.n_props == 2 && m.count[PL_SA - 32] == 2);
		CHECK("duplicate SA fails verify", ike_verify(&m, false) == IKE_ERR_SYNTAX);
	}
	/* SK in IKE_SA_INIT */
	len = build_with(buf, sizeof(buf), PL_SK, 0, body, 0);
	CHECK("SK in the middle", ike_parse(buf, len, &m) == IKE_ERR_SYNTAX);
}

static void test_verify_sa_init(void)
{
	uint8_t buf[1024];
	struct ike_wr w;
	struct ike_hdr h = hdr(IKE_SA_INIT, IKE_FLAG_INITIATOR, 0);
	size_t len;

	/* no KE */
	ike_wr_init(&w, buf, sizeof(buf), &h);
	ike_wr_sa(&w, &prop1);
	ike_wr_nonce(&w, nonce_data, 32);
	len = ike_wr_finish(&w);
	CHECK("no KE parses", ike_parse(buf, len, &m) == IKE_OK);
	CHECK("no KE fails verify", ike_verify(&m, false) == IKE_ERR_SYNTAX);

	/* COOKIE retry: N(COOKIE) first, then the rest */
	ike_wr_init(&w, buf, sizeof(buf), &h);
	ike_wr_notify(&w, 0, NULL, 0, N_COOKIE, vid, 16);
	ike_wr_sa(&w, &prop1);
	ike_wr_ke(&w, 19, ke_data, 32);
	ike_wr_nonce(&w, nonce_data, 32);
	ike_wr_certreq(&w, 4, natd_s, 20);
	len = ike_wr_finish(&w);
	CHECK("cookie request", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_verify(&m, false) == IKE_OK && m.notify[0].type == N_COOKIE &&
	      m.n_certreqs == 1 && m.certreqs[0].enc == 4 && m.certreqs[0].len == 20);

	/* responses made of notifies only */
	h = hdr(IKE_SA_INIT, IKE_FLAG_RESPONSE, 0);
	ike_wr_init(&w, buf, sizeof(buf), &h);
	{
		uint8_t g[2] = { 0, 19 };
		ike_wr_notify(&w, 0, NULL, 0, N_INVALID_KE_PAYLOAD, g, 2);
	}
	len = ike_wr_finish(&w);
	save("sa_init_invalid_ke", buf, len);
	CHECK("INVALID_KE response", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_verify(&m, true) == IKE_OK && m.notify[0].len == 2);
	CHECK("INVALID_KE as request fails", ike_verify(&m, false) == IKE_ERR_SYNTAX);
	char sum[128];
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("summary response", !strcmp(sum, "IKE_SA_INIT response 0 [ N(INVAL_KE) ]"));

	/* unknown exchange */
	uint8_t t[1024];
	len = build_sa_init(t, sizeof(t));
	t[18] = 40;
	CHECK("exchange 40 parses", ike_parse(t, len, &m) == IKE_OK);
	CHECK("exchange 40 fails verify", ike_verify(&m, false) == IKE_ERR_SYNTAX &&
	      ike_verify(&m, true) == IKE_ERR_SYNTAX);
}

static const uint8_t idi_data[] = "client.example.org";
static const uint8_t idr_data[] = { 198, 18, 0, 1 };

static int build_ts(struct ike_ts ts[2])
{
	memset(ts, 0, 2 * sizeof(*ts));
	ts[0].type = TS_IPV4_ADDR_RANGE;
	ts[0].sport = 0;
	ts[0].eport = 65535;
	memset(ts[0].end, 0xff, 4);
	ts[1].type = TS_IPV6_ADDR_RANGE;
	ts[1].ip_proto = 17;
	ts[1].sport = 500;
	ts[1].eport = 4500;
	ts[1].start[0] = 0x20; ts[1].start[1] = 0x01; ts[1].start[2] = 0x0d;
	ts[1].start[3] = 0xb8;
	memset(ts[1].end, 0xff, 16);
	return 2;
}

/* IKE_AUTH inner chain of a first request with EAP to follow */
static size_t build_auth_inner(uint8_t *buf, size_t cap, uint8_t *first)
{
	struct ike_wr w;
	struct ike_ts ts[2];
	struct ike_prop esp = { .num = 1, .proto = PROTO_ESP, .spi_size = 4,
	                        .spi = { 0xc1, 0x02, 0x03, 0x04 }, .n_xf = 2,
	                        .xf = { { 1, 20, 256, false }, { 5, 0, 0, false } } };
	struct ike_cp_attr cp[4] = { { INTERNAL_IP4_ADDRESS, NULL, 0 },
	                             { INTERNAL_IP4_DNS, NULL, 0 },
	                             { INTERNAL_IP6_ADDRESS, NULL, 0 },
	                             { INTERNAL_IP6_DNS, NULL, 0 } };

	ike_wr_init_inner(&w, buf, cap);
	ike_wr_id(&w, PL_IDI, 2, idi_data, sizeof(idi_data) - 1);   /* FQDN */
	ike_wr_id(&w, PL_IDR, 1, idr_data, 4);                       /* IPv4 */
	ike_wr_certreq(&w, 4, natd_d, 20);
	ike_wr_cp(&w, CFG_REQUEST, cp, 4);
	ike_wr_sa(&w, &esp);
	ike_wr_ts(&w, PL_TSI, ts, build_ts(ts));
	ike_wr_ts(&w, PL_TSR, ts, 2);
	ike_wr_notify(&w, 0, NULL, 0, N_MOBIKE_SUPPORTED, NULL, 0);
	ike_wr_notify(&w, PROTO_ESP, esp.spi, 4, N_REKEY_SA, NULL, 0);
	*first = w.first;
	return ike_wr_finish(&w);
}

/* wraps an inner chain in SK as if it were encrypted: the "ciphertext"
 * is the plaintext, no IV or ICV */
static size_t build_sk(uint8_t *buf, size_t cap, uint8_t exch, uint8_t flags,
                       uint32_t msgid, const uint8_t *inner, size_t ilen,
                       uint8_t first)
{
	struct ike_wr w;
	struct ike_hdr h = hdr(exch, flags, msgid);
	size_t o;

	ike_wr_init(&w, buf, cap, &h);
	o = ike_wr_begin(&w, PL_SK);
	w.buf[o] = first;
	ike_wr_bytes(&w, inner, ilen);
	ike_wr_end(&w, o);
	return ike_wr_finish(&w);
}

static void test_auth(void)
{
	uint8_t inner[1024], buf[1200];
	uint8_t first;
	size_t ilen = build_auth_inner(inner, sizeof(inner), &first);
	size_t len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_INITIATOR, 1,
	                      inner, ilen, first);
	char sum[256];

	CHECK("auth inner built", ilen > 0 && first == PL_IDI);
	save("auth_req_sk", buf, len);
	{
		uint8_t seed[1100];
		seed[0] = first;
		memcpy(seed + 1, inner, ilen);
		save("auth_req_inner", seed, ilen + 1);
	}
	CHECK("auth outer parse", ike_parse(buf, len, &m) == IKE_OK);
	CHECK("auth outer SK", m.has_sk && m.sk_next == PL_IDI &&
	      m.sk_off == 32 && m.sk_body == buf + 32 && m.sk_len == ilen &&
	      m.frag_num == 0);
	CHECK("auth outer only SK", m.seen == (1ull << (PL_SK - 32)));
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("auth summary before decryption", !strcmp(sum, "IKE_AUTH request 1 [ SK ]"));

	CHECK("auth inner parse", ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK);
	CHECK("auth idi", m.idi.present && m.idi.type == 2 &&
	      m.idi.len == sizeof(idi_data) - 1 &&
	      !memcmp(m.idi.data, idi_data, m.idi.len) &&
	      m.idi.body == m.idi.data - 4 && m.idi.body_len == m.idi.len + 4 &&
	      m.idi.body[0] == 2 && m.idi.body[1] == 0 && m.idi.body[3] == 0);
	CHECK("auth idr", m.idr.present && m.idr.type == 1 && m.idr.len == 4 &&
	      !memcmp(m.idr.data, idr_data, 4));
	CHECK("auth certreq", m.n_certreqs == 1 && m.certreqs[0].enc == 4 &&
	      m.certreqs[0].len == 20 && !memcmp(m.certreqs[0].data, natd_d, 20));
	CHECK("auth esp proposal", m.n_props == 1 && m.props[0].proto == PROTO_ESP &&
	      m.props[0].spi_size == 4 && m.props[0].spi[0] == 0xc1 &&
	      m.props[0].spi[3] == 0x04 && m.props[0].n_xf == 2 &&
	      m.props[0].xf[0].type == 1 && m.props[0].xf[0].id == 20 &&
	      m.props[0].xf[0].keybits == 256 && m.props[0].xf[1].type == 5 &&
	      m.props[0].xf[1].id == 0);
	struct ike_ts ts[2];
	build_ts(ts);
	CHECK("auth tsi", m.n_tsi == 2 && !memcmp(&m.tsi[0], &ts[0], sizeof(ts[0])) &&
	      !memcmp(&m.tsi[1], &ts[1], sizeof(ts[1])));
	CHECK("auth tsr", m.n_tsr == 2 && m.tsr[1].ip_proto == 17 &&
	      m.tsr[1].sport == 500 && m.tsr[1].eport == 4500 &&
	      m.tsr[1].start[3] == 0xb8 && m.tsr[1].end[15] == 0xff &&
	      m.tsr[0].eport == 65535 && m.tsr[0].end[3] == 0xff &&
	      m.tsr[0].end[4] == 0);
	CHECK("auth cp", m.has_cp && m.cp_type == CFG_REQUEST && m.n_cp == 4 &&
	      m.cp[0].type == INTERNAL_IP4_ADDRESS && m.cp[0].len == 0 &&
	      m.cp[3].type == INTERNAL_IP6_DNS && m.cp[3].len == 0);
	CHECK("auth notifies", m.n_notify == 2 &&
	      m.notify[0].type == N_MOBIKE_SUPPORTED && m.notify[0].spi == NULL &&
	      m.notify[1].type == N_REKEY_SA && m.notify[1].proto == PROTO_ESP &&
	      m.notify[1].spi_size == 4 && m.notify[1].spi[0] == 0xc1 &&
	      m.notify[1].len == 0);
	CHECK("auth no auth/eap", !m.has_auth && !m.eap);
	CHECK("auth verify request", ike_verify(&m, false) == IKE_OK);
	CHECK("auth verify response", ike_verify(&m, true) == IKE_ERR_SYNTAX);
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("auth summary", !strcmp(sum, "IKE_AUTH request 1 [ IDi IDr CERTREQ "
	      "CPRQ(ADDR DNS ADDR6 DNS6) SA TSi TSr N(MOBIKE_SUP) N(REKEY_SA) ]"));
	if (strcmp(sum, "IKE_AUTH request 1 [ IDi IDr CERTREQ CPRQ(ADDR DNS ADDR6 DNS6) SA TSi TSr N(MOBIKE_SUP) N(REKEY_SA) ]"))
		printf("# %s\n", sum);

	/* inner truncations */
	int bad = 0;
	for (size_t l = 0; l < ilen; l++) {
		uint8_t *t = dup_exact(inner, l);

		ike_parse(buf, len, &m);
		if (ike_parse_inner(&m, t, l) >= 0)
			bad++;
		free(t);
	}
	CHECK("inner truncations fail", bad == 0);

	/* outer truncations, header length fixed: the SK payload's own
	 * length then overruns */
	bad = 0;
	for (size_t l = 28; l < len; l++) {
		uint8_t *t = dup_exact(buf, l);

		set_len(t, l);
		if (ike_parse(t, l, &m) >= 0)
			bad++;
		free(t);
	}
	CHECK("outer truncations", bad == 0);

	/* TS with a bad type and a bad selector length */
	{
		uint8_t t[1024];
		size_t tsi = 0;

		ike_parse(buf, len, &m);
		/* find TSi in the inner chain: walk */
		uint8_t type = first;
		while (type != PL_TSI && tsi + 4 <= ilen) {
			type = inner[tsi];
			tsi += (size_t)(inner[tsi + 2] << 8 | inner[tsi + 3]);
		}
		memcpy(t, inner, ilen);
		t[tsi + 8] = 9;
		CHECK("TS type 9", ike_parse_inner(&m, t, ilen) == IKE_ERR_SYNTAX);
		ike_parse(buf, len, &m);
		memcpy(t, inner, ilen);
		t[tsi + 8 + 3] = 17;
		CHECK("TS v4 selector length 17", ike_parse_inner(&m, t, ilen) == IKE_ERR_SYNTAX);
		ike_parse(buf, len, &m);
		memcpy(t, inner, ilen);
		t[tsi + 4] = 3;
		CHECK("TS count 3 of 2", ike_parse_inner(&m, t, ilen) == IKE_ERR_SYNTAX);
		ike_parse(buf, len, &m);
		memcpy(t, inner, ilen);
		t[tsi + 4] = 1;
		CHECK("TS count 1 of 2", ike_parse_inner(&m, t, ilen) == IKE_ERR_SYNTAX);
	}

	/* SK inside an inner chain */
	ike_parse(buf, len, &m);
	m.sk_next = PL_SK;
	{
		uint8_t sk[8] = { 0, 0, 0, 8, 1, 2, 3, 4 };
		CHECK("SK inside SK", ike_parse_inner(&m, sk, 8) == IKE_ERR_SYNTAX);
	}
	/* empty inner chain (liveness check) */
	ike_parse(buf, len, &m);
	m.sk_next = 0;
	CHECK("empty inner", ike_parse_inner(&m, NULL, 0) == IKE_OK);
	m.sk_next = 0;
	CHECK("inner junk with no first payload", ike_parse_inner(&m, inner, 4) == IKE_ERR_SYNTAX);
}

static void test_auth_shapes(void)
{
	uint8_t inner[256], buf[512];
	struct ike_wr w;
	size_t ilen, len;
	char sum[128];
	/* EAP-Response/Identity "alice" (RFC 3748 §4, §5.1) */
	static const uint8_t eap_id[] = { 2, 7, 0, 10, 1, 'a', 'l', 'i', 'c', 'e' };
	uint8_t auth[32];

	fill(auth, sizeof(auth), 9);

	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_eap(&w, eap_id, sizeof(eap_id));
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_INITIATOR, 2, inner, ilen, w.first);
	save("auth_eap_sk", buf, len);
	CHECK("eap continuation", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
	      m.eap_len == 10 && !memcmp(m.eap, eap_id, 10));
	CHECK("eap continuation verify", ike_verify(&m, false) == IKE_OK);
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("eap summary", !strcmp(sum, "IKE_AUTH request 2 [ EAP/RES/ID ]"));

	/* EAP length field lies */
	inner[4 + 3] = 11;
	len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_INITIATOR, 2, inner, ilen, w.first);
	CHECK("eap length field 11 of 10", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_ERR_SYNTAX);
	{
		uint8_t e[8] = { 0, 0, 0, 7, 3, 1, 0, 3 };  /* EAP len 3 in a 7-byte payload */
		ike_parse(buf, len, &m);
		m.sk_next = PL_EAP;
		CHECK("eap payload < 8", ike_parse_inner(&m, e, 7) == IKE_ERR_SYNTAX);
		e[3] = 8; e[7] = 4;
		ike_parse(buf, len, &m);
		m.sk_next = PL_EAP;
		CHECK("eap success (4 bytes)", ike_parse_inner(&m, e, 8) == IKE_OK &&
		      m.eap_len == 4);
	}

	/* final AUTH */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_auth(&w, 2, auth, sizeof(auth));
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_INITIATOR, 3, inner, ilen, w.first);
	CHECK("final auth", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
	      m.has_auth && m.auth_method == 2 && m.auth_len == 32 &&
	      !memcmp(m.auth, auth, 32));
	CHECK("final auth verify", ike_verify(&m, false) == IKE_OK);

	/* AUTH + EAP fits no request shape */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_auth(&w, 2, auth, sizeof(auth));
	ike_wr_eap(&w, eap_id, sizeof(eap_id));
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_INITIATOR, 3, inner, ilen, w.first);
	CHECK("auth+eap parses", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK);
	CHECK("auth+eap request fails verify", ike_verify(&m, false) == IKE_ERR_SYNTAX);
	CHECK("auth+eap response ok", ike_verify(&m, true) == IKE_OK);

	/* first IKE_AUTH without TSr */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_id(&w, PL_IDI, 2, idi_data, 5);
	ike_wr_sa(&w, &prop2);
	{
		struct ike_ts ts[2];
		ike_wr_ts(&w, PL_TSI, ts, build_ts(ts));
	}
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_INITIATOR, 1, inner, ilen, w.first);
	CHECK("auth without TSr", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
	      ike_verify(&m, false) == IKE_ERR_SYNTAX);

	/* CREATE_CHILD_SA with TSi only, then with neither (IKE rekey) */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_sa(&w, &prop2);
	ike_wr_nonce(&w, nonce_data, 32);
	{
		struct ike_ts ts[2];
		ike_wr_ts(&w, PL_TSI, ts, build_ts(ts));
	}
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), CREATE_CHILD_SA, IKE_FLAG_INITIATOR, 4, inner, ilen, w.first);
	CHECK("create_child TSi only", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
	      ike_verify(&m, false) == IKE_ERR_SYNTAX);
	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_sa(&w, &prop2);
	ike_wr_nonce(&w, nonce_data, 32);
	ike_wr_ke(&w, 31, ke_data, 32);
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), CREATE_CHILD_SA, IKE_FLAG_INITIATOR, 4, inner, ilen, w.first);
	save("create_child_rekey_sk", buf, len);
	CHECK("create_child IKE rekey", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
	      ike_verify(&m, false) == IKE_OK);
}

static void test_informational(void)
{
	uint8_t inner[256], buf[512], t[256];
	struct ike_wr w;
	size_t ilen, len;
	static const uint8_t spis[8] = { 0xc1, 2, 3, 4, 0xc5, 6, 7, 8 };
	char sum[128];

	ike_wr_init_inner(&w, inner, sizeof(inner));
	ike_wr_delete(&w, PROTO_ESP, 4, spis, 2);
	ike_wr_delete(&w, PROTO_IKE, 0, NULL, 0);
	ilen = ike_wr_finish(&w);
	CHECK_HEX("delete bytes", inner, ilen,
	          "2a000010" "03040002" "c1020304c5060708" "00000008" "01000000");
	len = build_sk(buf, sizeof(buf), INFORMATIONAL, IKE_FLAG_INITIATOR, 5,
	               inner, ilen, w.first);
	save("info_delete_sk", buf, len);
	CHECK("info parse", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK);
	CHECK("info deletes", m.n_del == 2 && m.del[0].proto == PROTO_ESP &&
	      m.del[0].spi_size == 4 && m.del[0].n_spi == 2 &&
	      !memcmp(m.del[0].spis, spis, 8) && m.del[1].proto == PROTO_IKE &&
	      m.del[1].spi_size == 0 && m.del[1].n_spi == 0);
	CHECK("info verify", ike_verify(&m, false) == IKE_OK &&
	      ike_verify(&m, true) == IKE_OK);
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("info summary", !strcmp(sum, "INFORMATIONAL request 5 [ D D ]"));

	memcpy(t, inner, ilen);
	t[7] = 3;      /* n_spi 3, bytes for 2 */
	ike_parse(buf, len, &m);
	CHECK("delete n_spi 3 of 2", ike_parse_inner(&m, t, ilen) == IKE_ERR_SYNTAX);
	memcpy(t, inner, ilen);
	t[7] = 1;
	ike_parse(buf, len, &m);
	CHECK("delete n_spi 1 of 2", ike_parse_inner(&m, t, ilen) == IKE_ERR_SYNTAX);
	{
		uint8_t d[12] = { 0, 0, 0, 12, 1, 4, 0, 1, 1, 2, 3, 4 };
		ike_parse(buf, len, &m);
		m.sk_next = PL_DELETE;
		CHECK("delete IKE with spi size 4", ike_parse_inner(&m, d, 12) == IKE_ERR_SYNTAX);
		d[4] = PROTO_ESP; d[5] = 8; d[7] = 0; d[3] = 8;
		ike_parse(buf, len, &m);
		m.sk_next = PL_DELETE;
		CHECK("delete ESP with spi size 8", ike_parse_inner(&m, d, 8) == IKE_ERR_SYNTAX);
	}

	/* an empty INFORMATIONAL (liveness) */
	len = build_sk(buf, sizeof(buf), INFORMATIONAL, IKE_FLAG_INITIATOR, 6, NULL, 0, 0);
	CHECK("dpd", ike_parse(buf, len, &m) == IKE_OK && m.has_sk &&
	      m.sk_len == 0 && m.sk_next == 0 && m.sk_off == 32 &&
	      ike_parse_inner(&m, m.sk_body, 0) == IKE_OK &&
	      ike_verify(&m, false) == IKE_OK);
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("dpd summary", !strcmp(sum, "INFORMATIONAL request 6 [ ]"));
}

static void test_fragments(void)
{
	uint8_t buf[256], t[256];
	struct ike_wr w;
	struct ike_hdr h = hdr(IKE_AUTH, IKE_FLAG_INITIATOR, 1);
	size_t o, len;
	char sum[128];

	ike_wr_init(&w, buf, sizeof(buf), &h);
	o = ike_wr_begin(&w, PL_SKF);
	w.buf[o] = PL_IDI;
	ike_wr_u16(&w, 1);
	ike_wr_u16(&w, 3);
	ike_wr_bytes(&w, vid, 16);
	ike_wr_end(&w, o);
	len = ike_wr_finish(&w);
	save("auth_skf_1of3", buf, len);
	CHECK("skf parse", ike_parse(buf, len, &m) == IKE_OK && m.has_sk &&
	      m.frag_num == 1 && m.frag_total == 3 && m.sk_next == PL_IDI &&
	      m.sk_off == 36 && m.sk_len == 16 && m.sk_body == buf + 36);
	/* a lone fragment has no content yet: verify is for after
	 * reassembly and decryption */
	CHECK("skf alone fails IKE_AUTH verify", ike_verify(&m, false) == IKE_ERR_SYNTAX);
	memcpy(t, buf, len);
	t[18] = INFORMATIONAL;
	CHECK("skf INFORMATIONAL verify", ike_parse(t, len, &m) == IKE_OK &&
	      ike_verify(&m, false) == IKE_OK);
	ike_parse(buf, len, &m);
	ike_msg_summary(&m, sum, sizeof(sum));
	CHECK("skf summary", !strcmp(sum, "IKE_AUTH request 1 [ EF(1/3) ]"));

	memcpy(t, buf, len);
	t[33] = 0;
	CHECK("skf number 0", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	t[33] = 4;
	CHECK("skf number 4 of 3", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	t[33] = 3;
	CHECK("skf number 3 of 3", ike_parse(t, len, &m) == IKE_OK);
	memcpy(t, buf, len);
	put16(t + 30, 7);
	CHECK("skf length 7", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	/* SKF followed by more bytes */
	memcpy(t, buf, len);
	put16(t + 30, (unsigned)(len - 28 - 4));
	CHECK("skf not last", ike_parse(t, len, &m) == IKE_ERR_SYNTAX);
	/* SKF in IKE_SA_INIT fails verify */
	memcpy(t, buf, len);
	t[18] = IKE_SA_INIT;
	CHECK("skf in IKE_SA_INIT", ike_parse(t, len, &m) == IKE_OK &&
	      ike_verify(&m, false) == IKE_ERR_SYNTAX);
}

static void test_limits(void)
{
	static uint8_t buf[8192], inner[8192];
	struct ike_wr w;
	size_t ilen, len;
	uint8_t cert[40];

	fill(cert, sizeof(cert), 3);
	/* 33 notifies */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	for (int i = 0; i < IKE_MAX_NOTIFY + 1; i++)
		ike_wr_notify(&w, 0, NULL, 0, (uint16_t)(40000 + i), NULL, 0);
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), INFORMATIONAL, 0, 7, inner, ilen, w.first);
	CHECK("33 notifies", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_ERR_SYNTAX);
	/* 32 notifies are fine, and the summary shows unknown numbers */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	for (int i = 0; i < IKE_MAX_NOTIFY; i++)
		ike_wr_notify(&w, 0, NULL, 0, (uint16_t)(40000 + i), NULL, 0);
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), INFORMATIONAL, 0, 7, inner, ilen, w.first);
	CHECK("32 notifies", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK && m.n_notify == 32);
	{
		char sum[512];
		ike_msg_summary(&m, sum, sizeof(sum));
		CHECK("summary unknown notify", strstr(sum, " N(40000) N(40001) ") != NULL);
	}

	/* 10 CERTs: the first 8 kept */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	for (int i = 0; i < IKE_MAX_CERT + 2; i++) {
		cert[0] = (uint8_t)i;
		ike_wr_cert(&w, 4, cert, sizeof(cert));
	}
	ilen = ike_wr_finish(&w);
	len = build_sk(buf, sizeof(buf), IKE_AUTH, IKE_FLAG_RESPONSE, 1, inner, ilen, w.first);
	CHECK("10 certs", ike_parse(buf, len, &m) == IKE_OK &&
	      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
	      m.n_certs == IKE_MAX_CERT && m.certs[7].data[0] == 7 &&
	      m.certs[0].enc == 4 && m.certs[0].len == 40 &&
	      m.count[PL_CERT - 32] == 10);
	CHECK("10 certs response verify", ike_verify(&m, true) == IKE_OK);

	/* 33 proposals */
	ike_wr_init_inner(&w, inner, sizeof(inner));
	{
		static struct ike_prop ps[IKE_MAX_PROPS + 1];
		for (int i = 0; i <= IKE_MAX_PROPS; i++) {
			ps[i] = prop2;
			ps[i].num = (uint8_t)(i + 1);
		}
		wr_sa_multi(&w, ps, IKE_MAX_PROPS + 1);
		ilen = ike_wr_finish(&w);
		len = build_sk(buf, sizeof(buf), IKE_AUTH, 0, 1, inner, ilen, w.first);
		CHECK("33 proposals", ike_parse(buf, len, &m) == IKE_OK &&
		      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_ERR_SYNTAX);
		ike_wr_init_inner(&w, inner, sizeof(inner));
		wr_sa_multi(&w, ps, IKE_MAX_PROPS);
		ilen = ike_wr_finish(&w);
		len = build_sk(buf, sizeof(buf), IKE_AUTH, 0, 1, inner, ilen, w.first);
		CHECK("32 proposals", ike_parse(buf, len, &m) == IKE_OK &&
		      ike_parse_inner(&m, m.sk_body, m.sk_len) == IKE_OK &&
		      m.n_props == 32 && m.props[31].num == 32);
	}
	/* 65 transforms */
	{
		static struct ike_prop p;
		memset(&p, 0, sizeof(p));
		p.num = 1; p.proto = PROTO_IKE; p.n_xf = IKE_MAX_XFORMS;
		for (int i = 0; i < IKE_MAX_XFORMS; i++)
			p.xf[i] = (struct ike_xf){ 1, (uint16_t)i, 0, false };
		ike_wr_init_inner(&w, inner, sizeof(inner));
		ike_wr_sa(&w, &p);
		ilen = ike_wr_finish(&w);
		m.sk_next = PL_SA;
		memset(&m, 0, sizeof(m));
		m.sk_next = PL_SA;
		CHECK("64 transforms", ike_parse_inner(&m, inner, ilen) == IKE_OK &&
		      m.props[0].n_xf == 64 && m.props[0].xf[63].id == 63);
		/* bump the count to 65 and add a transform */
		inner[4 + 7] = 65;
		inner[4 + 8 + 63 * 8] = 3;
		static const uint8_t x[8] = { 0, 0, 0, 8, 1, 0, 0, 64 };
		memcpy(inner + ilen, x, 8);
		put16(inner + 2, (unsigned)(ilen + 8));
		put16(inner + 6, (unsigned)(ilen + 8 - 4));
		memset(&m, 0, sizeof(m));
		m.sk_next = PL_SA;
		CHECK("65 transforms", ike_parse_inner(&m, inner, ilen + 8) == IKE_ERR_SYNTAX);
	}
	/* 33 CP attributes, 17 TS */
	{
		struct ike_cp_attr a[IKE_MAX_CP_ATTR + 1];
		for (int i = 0; i <= IKE_MAX_CP_ATTR; i++)
			a[i] = (struct ike_cp_attr){ INTERNAL_IP4_DNS, NULL, 0 };
		ike_wr_init_inner(&w, inner, sizeof(inner));
		ike_wr_cp(&w, CFG_REPLY, a, IKE_MAX_CP_ATTR + 1);
		ilen = ike_wr_finish(&w);
		memset(&m, 0, sizeof(m));
		m.sk_next = PL_CP;
		CHECK("33 cp attrs", ike_parse_inner(&m, inner, ilen) == IKE_ERR_SYNTAX);
		ike_wr_init_inner(&w, inner, sizeof(inner));
		ike_wr_cp(&w, CFG_REPLY, a, IKE_MAX_CP_ATTR);
		ilen = ike_wr_finish(&w);
		memset(&m, 0, sizeof(m));
		m.sk_next = PL_CP;
		CHECK("32 cp attrs", ike_parse_inner(&m, inner, ilen) == IKE_OK &&
		      m.n_cp == 32 && m.cp_type == CFG_REPLY);

		struct ike_ts ts[IKE_MAX_TS + 1];
		memset(ts, 0, sizeof(ts));
		for (int i = 0; i <= IKE_MAX_TS; i++)
			ts[i].type = TS_IPV4_ADDR_RANGE;
		ike_wr_init_inner(&w, inner, sizeof(inner));
		ike_wr_ts(&w, PL_TSR, ts, IKE_MAX_TS + 1);
		ilen = ike_wr_finish(&w);
		memset(&m, 0, sizeof(m));
		m.sk_next = PL_TSR;
		CHECK("17 TS", ike_parse_inner(&m, inner, ilen) == IKE_ERR_SYNTAX);
	}
}

static void test_writer(void)
{
	uint8_t buf[64 + 8];
	struct ike_wr w;
	struct ike_hdr h = hdr(INFORMATIONAL, IKE_FLAG_RESPONSE, 0x01020304);

	memset(buf, 0xaa, sizeof(buf));
	ike_wr_init(&w, buf, 64, &h);
	CHECK_HEX("header bytes", buf, 28,
	          "1112131415161718" "a1a2a3a4a5a6a7a8" "00" "20" "25" "20"
	          "01020304" "00000000");
	CHECK("header np_off", w.np_off == 16 && w.len == 28);
	ike_wr_nonce(&w, nonce_data, 32);   /* 28 + 36 = 64: fits exactly */
	CHECK("exact fit", !w.overflow && ike_wr_finish(&w) == 64 && buf[16] == PL_NONCE);
	ike_wr_u8(&w, 1);
	CHECK("one more byte overflows", w.overflow && ike_wr_finish(&w) == 0);
	{
		int guard_ok = 1;
		for (int i = 64; i < 72; i++)
			if (buf[i] != 0xaa)
				guard_ok = 0;
		CHECK("nothing written past cap", guard_ok);
	}
	memset(buf, 0xaa, sizeof(buf));
	ike_wr_init(&w, buf, 20, &h);
	CHECK("header does not fit", w.overflow && ike_wr_finish(&w) == 0);
	ike_wr_nonce(&w, nonce_data, 32);
	CHECK("no write after overflow", buf[20] == 0xaa && ike_wr_finish(&w) == 0);

	/* np chaining across payloads */
	ike_wr_init_inner(&w, buf, 64);
	ike_wr_notify(&w, 0, NULL, 0, N_COOKIE, NULL, 0);
	ike_wr_eap(&w, (const uint8_t *)"\x03\x01\x00\x04", 4);
	CHECK_HEX("inner chain", buf, w.len, "3000000800004006" "0000000803010004");
	CHECK("inner first", w.first == PL_NOTIFY && ike_wr_finish(&w) == 16);

	/* TS bytes */
	struct ike_ts ts[2];
	build_ts(ts);
	uint8_t tb[128];
	ike_wr_init_inner(&w, tb, sizeof(tb));
	ike_wr_ts(&w, PL_TSI, ts, 2);
	CHECK_HEX("ts bytes", tb, w.len,
	          "00000040" "02000000"
	          "07000010" "0000ffff" "00000000" "ffffffff"
	          "08110028" "01f41194" "20010db8000000000000000000000000"
	          "ffffffffffffffffffffffffffffffff");
	ts[0].type = 9;
	ike_wr_init_inner(&w, tb, sizeof(tb));
	ike_wr_ts(&w, PL_TSI, ts, 1);
	CHECK("ts bad type refused", w.overflow && ike_wr_finish(&w) == 0);

	/* CP bytes: R bit never set */
	struct ike_cp_attr a[2] = { { INTERNAL_IP4_ADDRESS, (const uint8_t *)"\xc6\x12\x00\x02", 4 },
	                            { 0x8000 | INTERNAL_IP4_DNS, NULL, 0 } };
	ike_wr_init_inner(&w, tb, sizeof(tb));
	ike_wr_cp(&w, CFG_REPLY, a, 2);
	CHECK_HEX("cp bytes", tb, w.len, "00000014" "02000000" "00010004c6120002" "00030000");
	/* ID, AUTH, KE, CERT bytes */
	ike_wr_init_inner(&w, tb, sizeof(tb));
	ike_wr_id(&w, PL_IDR, 2, (const uint8_t *)"vpn", 3);
	ike_wr_auth(&w, 14, (const uint8_t *)"\x01\x02", 2);
	ike_wr_ke(&w, 19, (const uint8_t *)"\x09", 1);
	ike_wr_cert(&w, 4, (const uint8_t *)"\x30", 1);
	CHECK_HEX("id auth ke cert bytes", tb, w.len,
	          "2700000b" "02000000" "76706e"
	          "2200000a" "0e000000" "0102"
	          "25000009" "00130000" "09"
	          "00000006" "04" "30");
	CHECK("first IDr", w.first == PL_IDR);
}

static void test_names(void)
{
	CHECK("exchange names", !strcmp(ike_exchange_name(IKE_SA_INIT), "IKE_SA_INIT") &&
	      !strcmp(ike_exchange_name(INFORMATIONAL), "INFORMATIONAL") &&
	      !strcmp(ike_exchange_name(99), "EXCHANGE(99)"));
	CHECK("payload names", !strcmp(ike_payload_name(PL_NONCE), "No") &&
	      !strcmp(ike_payload_name(PL_SKF), "EF") &&
	      !strcmp(ike_payload_name(PL_TSR), "TSr") &&
	      !strcmp(ike_payload_name(200), "PL(200)"));
	CHECK("notify names",
	      !strcmp(ike_notify_name(N_NAT_DETECTION_SOURCE_IP), "N(NAT_DETECTION_SOURCE_IP)") &&
	      !strcmp(ike_notify_name(N_UNSUPPORTED_CRITICAL_PAYLOAD), "N(UNSUPPORTED_CRITICAL_PAYLOAD)") &&
	      !strcmp(ike_notify_name(N_SIGNATURE_HASH_ALGORITHMS), "N(SIGNATURE_HASH_ALGORITHMS)") &&
	      !strcmp(ike_notify_name(12345), "N(12345)"));
	/* every value in the header's enum has a name */
	static const uint16_t all[] = {
		1, 4, 5, 7, 9, 11, 14, 17, 24, 34, 35, 36, 37, 38, 39, 43, 44,
		16384, 16385, 16386, 16387, 16388, 16389, 16390, 16391, 16392,
		16393, 16394, 16395, 16396, 16397, 16398, 16399, 16400, 16401,
		16402, 16404, 16405, 16406, 16417, 16430, 16431,
	};
	int unnamed = 0;
	for (size_t i = 0; i < sizeof(all) / sizeof(all[0]); i++)
		if (!strncmp(ike_notify_name(all[i]), "N(1", 3) ||
		    !strncmp(ike_notify_name(all[i]), "N(2", 3) ||
		    !strncmp(ike_notify_name(all[i]), "N(3", 3) ||
		    !strncmp(ike_notify_name(all[i]), "N(4", 3))
			unnamed++;
	CHECK("every notify named", unnamed == 0);
}

/* ike_parse_payload: one payload body through its decoder, with the same
 * framing checks as the chain walk (the fuzz_payload target's door) */
static void test_single_payload(void)
{
	uint8_t nonce[32], ts[4 + 16], eap[5] = { 2, 7, 0, 5, 1 }, sk[40];
	memset(nonce, 0x4e, sizeof(nonce));
	CHECK("payload: nonce decoded", ike_parse_payload(&m, PL_NONCE, nonce, 32) == IKE_OK &&
	      m.nonce == nonce && m.nonce_len == 32);
	CHECK("payload: 15-byte nonce refused (pl_min)",
	      ike_parse_payload(&m, PL_NONCE, nonce, 15) == IKE_ERR_SYNTAX && !m.nonce);
	CHECK("payload: unknown type refused", ike_parse_payload(&m, 49, nonce, 8) == IKE_ERR_SYNTAX);
	CHECK("payload: NULL body with a length refused",
	      ike_parse_payload(&m, PL_VENDOR, NULL, 4) == IKE_ERR_SYNTAX);
	CHECK("payload: empty vendor ID", ike_parse_payload(&m, PL_VENDOR, NULL, 0) == IKE_OK &&
	      m.n_vendor == 1);
	/* TSi with one IPv4 range 198.18.0.0-198.18.0.255, any protocol */
	static const uint8_t ts4[4 + 16] = { 1, 0, 0, 0, TS_IPV4_ADDR_RANGE, 0, 0, 16, 0, 0, 0xff, 0xff,
	                                     198, 18, 0, 0, 198, 18, 0, 255 };
	memcpy(ts, ts4, sizeof(ts));
	CHECK("payload: TSi decoded", ike_parse_payload(&m, PL_TSI, ts, sizeof(ts)) == IKE_OK &&
	      m.n_tsi == 1 && m.tsi[0].end[3] == 255 && m.tsi[0].eport == 0xffff);
	ts[0] = 2;
	CHECK("payload: TSi count beyond the body refused",
	      ike_parse_payload(&m, PL_TSI, ts, sizeof(ts)) == IKE_ERR_SYNTAX);
	CHECK("payload: EAP decoded", ike_parse_payload(&m, PL_EAP, eap, 5) == IKE_OK &&
	      m.eap == eap && m.eap_len == 5);
	eap[3] = 6;
	CHECK("payload: EAP length lie refused", ike_parse_payload(&m, PL_EAP, eap, 5) == IKE_ERR_SYNTAX);
	memset(sk, 0, sizeof(sk));
	sk[1] = 1;
	sk[3] = 2;
	CHECK("payload: SKF 1 of 2, body after the numbers",
	      ike_parse_payload(&m, PL_SKF, sk, sizeof(sk)) == IKE_OK && m.frag_num == 1 &&
	      m.frag_total == 2 && m.sk_body == sk + 4 && m.sk_len == sizeof(sk) - 4 && m.sk_off == 4);
	sk[1] = 3;
	CHECK("payload: SKF 3 of 2 refused", ike_parse_payload(&m, PL_SKF, sk, sizeof(sk)) == IKE_ERR_SYNTAX);
}

int main(int argc, char **argv)
{
	if (argc == 3 && !strcmp(argv[1], "--corpus"))
		corpus_dir = argv[2];
	test_wr_sa_bytes();
	test_sa_init();
	test_header();
	test_length_lies();
	test_unknown_and_nonce();
	test_verify_sa_init();
	test_auth();
	test_auth_shapes();
	test_informational();
	test_fragments();
	test_limits();
	test_writer();
	test_names();
	test_single_payload();
	CHECK_DONE();
}
