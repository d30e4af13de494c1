/* ESP data path: encap/decap round trips, anti-replay, ICV, padding,
 * inner header and source checks, and the SA tables. */
#include "tests/unit/check.h"

#include "crypto/algs.h"
#include "crypto/xform.h"
#include "src/dp/esp.h"

static const uint8_t CLIENT4[4] = { 198, 18, 50, 7 };
static const uint8_t SERVER4[4] = { 198, 18, 0, 1 };
static const uint8_t CLIENT6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0x50, 0, 0, 0, 0, 0, 0, 0, 0, 0, 7 };
static const uint8_t SERVER6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 1 };

#define SPI_C 0x1000a001u       /* inbound at the client */
#define SPI_S 0x2000b002u       /* inbound at the server */

/* builds an IPv4 packet with a payload of n bytes of a pattern */
static size_t ip4(uint8_t *p, const uint8_t *src, const uint8_t *dst, size_t n)
{
	size_t tot = 20 + n;
	memset(p, 0, 20);
	p[0] = 0x45;
	p[2] = (uint8_t)(tot >> 8);
	p[3] = (uint8_t)tot;
	p[8] = 64;
	p[9] = 17;
	memcpy(p + 12, src, 4);
	memcpy(p + 16, dst, 4);
	for (size_t i = 0; i < n; i++)
		p[20 + i] = (uint8_t)(i * 7 + 3);
	return tot;
}

static size_t ip6(uint8_t *p, const uint8_t *src, const uint8_t *dst, size_t n)
{
	memset(p, 0, 40);
	p[0] = 0x60;
	p[4] = (uint8_t)(n >> 8);
	p[5] = (uint8_t)n;
	p[6] = 17;
	p[7] = 64;
	memcpy(p + 8, src, 16);
	memcpy(p + 24, dst, 16);
	for (size_t i = 0; i < n; i++)
		p[40 + i] = (uint8_t)(i * 5 + 1);
	return 40 + n;
}

/* selectors that allow everything: 0.0.0.0-255.255.255.255 and ::-ff..ff,
 * any protocol and port, on both sides */
static void ts_any(struct esp_sa *sa)
{
	struct esp_ts any[2];
	memset(any, 0, sizeof(any));
	any[0].family = AF_INET;
	any[1].family = AF_INET6;
	for (int i = 0; i < 2; i++) {
		any[i].eport = 0xffff;
		memset(any[i].end, 0xff, 16);
	}
	esp_sa_set_ts(sa, any, 2, any, 2);
}

struct pair {
	struct esp_sa *client, *server;
};

/* client -> server keys are "ci", server -> client "sc"; each side's in is
 * the other's out. The server SA allows the client's virtual IPs. */
static int make_pair(struct pair *pr, uint16_t encr, uint16_t bits, uint16_t integ)
{
	uint8_t ek_cs[64], ak_cs[64], ek_sc[64], ak_sc[64];
	for (int i = 0; i < 64; i++) {
		ek_cs[i] = (uint8_t)(0x10 + i);
		ak_cs[i] = (uint8_t)(0x80 + i);
		ek_sc[i] = (uint8_t)(0xa0 ^ i);
		ak_sc[i] = (uint8_t)(0x33 ^ i);
	}
	pr->client = esp_sa_new(SPI_C, SPI_S, encr, bits, integ, ek_sc, ak_sc, ek_cs, ak_cs);
	pr->server = esp_sa_new(SPI_S, SPI_C, encr, bits, integ, ek_cs, ak_cs, ek_sc, ak_sc);
	if (!pr->client || !pr->server)
		return -1;
	ts_any(pr->client);
	ts_any(pr->server);
	pr->server->has_vip4 = pr->server->has_vip6 = true;
	memcpy(pr->server->vip4, CLIENT4, 4);
	memcpy(pr->server->vip6, CLIENT6, 16);
	return 0;
}

static void free_pair(struct pair *pr)
{
	esp_sa_free(pr->client);
	esp_sa_free(pr->server);
}

struct suite {
	const char *name;
	uint16_t encr, bits, integ;
	size_t ivlen, icvlen, blk;
};

static const struct suite suites[] = {
	{ "gcm128", ENCR_AES_GCM_16, 128, AUTH_NONE, 8, 16, 4 },
	{ "gcm256", ENCR_AES_GCM_16, 256, AUTH_NONE, 8, 16, 4 },
	{ "cbc256-sha256", ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, 16, 16, 16 },
	{ "3des-sha1", ENCR_3DES, 0, AUTH_HMAC_SHA1_96, 8, 12, 8 },
};

static void test_round_trips(void)
{
	char name[128];
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct suite *su = &suites[s];
		struct pair pr;
		if (make_pair(&pr, su->encr, su->bits, su->integ) != 0) {
			snprintf(name, sizeof(name), "%s sa_new", su->name);
			CHECK(name, 0);
			free_pair(&pr);
			continue;
		}
		bool all = true;
		uint64_t bytes = 0;
		int npkts = 0;
		/* a range of sizes, both families, so every pad length occurs */
		for (size_t n = 0; n < 70; n++) {
			for (int fam = 0; fam < 2; fam++) {
				uint8_t ip[200], out[400], *inner;
				size_t iplen = fam ? ip6(ip, CLIENT6, SERVER6, n) : ip4(ip, CLIENT4, SERVER4, n);
				long l = esp_encap(pr.client, ip, iplen, out, sizeof(out));
				size_t ct = iplen + 2;
				ct = (ct + su->blk - 1) / su->blk * su->blk;
				if (l != (long)(8 + su->ivlen + ct + su->icvlen)) {
					all = false;
					continue;
				}
				/* SPI and sequence number in clear, big-endian */
				uint32_t seq = (uint32_t)(npkts + 1);
				if (out[0] != (SPI_S >> 24) || out[3] != (SPI_S & 0xff) ||
				    out[4] != (seq >> 24) || out[7] != (seq & 0xff))
					all = false;
				size_t ilen;
				int r = esp_decap(pr.server, out, (size_t)l, &inner, &ilen, 42);
				if (r != 1 || ilen != iplen || memcmp(inner, ip, iplen) != 0 ||
				    inner < out || inner + ilen > out + l)
					all = false;
				bytes += iplen;
				npkts++;
			}
		}
		snprintf(name, sizeof(name), "%s round trip v4+v6, lengths 20..109", su->name);
		CHECK(name, all);
		snprintf(name, sizeof(name), "%s counters", su->name);
		CHECK(name, esp_ctr(pr.client).packets_out == (uint64_t)npkts &&
		      esp_ctr(pr.client).bytes_out == bytes &&
		      esp_ctr(pr.server).packets_in == (uint64_t)npkts &&
		      esp_ctr(pr.server).bytes_in == bytes &&
		      esp_ctr(pr.server).drop_auth == 0 && esp_ctr(pr.server).drop_malformed == 0 &&
		      pr.server->last_in == 42 && pr.client->seq_out == (uint64_t)npkts);

		/* and the other direction: server -> client (no source check
		 * configured at the client: give it the server's addresses) */
		pr.client->has_vip4 = true;
		memcpy(pr.client->vip4, SERVER4, 4);
		uint8_t ip[100], out[300], *inner;
		size_t ilen, iplen = ip4(ip, SERVER4, CLIENT4, 33);
		long l = esp_encap(pr.server, ip, iplen, out, sizeof(out));
		snprintf(name, sizeof(name), "%s reverse direction", su->name);
		CHECK(name, l > 0 && esp_decap(pr.client, out, (size_t)l, &inner, &ilen, 1) == 1 &&
		      ilen == iplen && memcmp(inner, ip, iplen) == 0);
		free_pair(&pr);
	}
}

/* encaps a fixed IPv4 packet from the client with sequence number seq */
static long pkt_seq(struct pair *pr, uint32_t seq, uint8_t *out, size_t outsize)
{
	uint8_t ip[64];
	size_t iplen = ip4(ip, CLIENT4, SERVER4, 10);
	pr->client->seq_out = seq - 1;
	return esp_encap(pr->client, ip, iplen, out, outsize);
}

static int decap_copy(struct esp_sa *sa, const uint8_t *pkt, long len)
{
	uint8_t buf[512], *inner;
	size_t ilen;
	if (len <= 0 || (size_t)len > sizeof(buf))
		return -2;
	memcpy(buf, pkt, (size_t)len);
	return esp_decap(sa, buf, (size_t)len, &inner, &ilen, 0);
}

static void test_replay(void)
{
	struct pair pr;
	if (make_pair(&pr, ENCR_AES_GCM_16, 128, AUTH_NONE) != 0) {
		CHECK("replay sa_new", 0);
		free_pair(&pr);
		return;
	}
	uint8_t p1[200], p99[200], p100[200], p500[200], p1122[200], p1123[200],
		p1124[200], p1190[200], p5000[200];
	long l1 = pkt_seq(&pr, 1, p1, sizeof(p1));
	long l99 = pkt_seq(&pr, 99, p99, sizeof(p99));
	long l100 = pkt_seq(&pr, 100, p100, sizeof(p100));
	long l500 = pkt_seq(&pr, 500, p500, sizeof(p500));
	long l1122 = pkt_seq(&pr, 1122, p1122, sizeof(p1122));
	long l1123 = pkt_seq(&pr, 1123, p1123, sizeof(p1123));
	long l1124 = pkt_seq(&pr, 1124, p1124, sizeof(p1124));
	long l1190 = pkt_seq(&pr, 1190, p1190, sizeof(p1190));
	long l5000 = pkt_seq(&pr, 5000, p5000, sizeof(p5000));
	struct esp_counters *c = &pr.server->lane[0].ctr;

	CHECK("replay first packet", decap_copy(pr.server, p1, l1) == 1);
	CHECK("replay same packet twice dropped", decap_copy(pr.server, p1, l1) == -1);
	CHECK("replay counted", c->drop_replay == 1);
	CHECK("replay jump ahead", decap_copy(pr.server, p1123, l1123) == 1 &&
	      pr.server->replay_top == 1123);
	CHECK("replay out of order within window", decap_copy(pr.server, p1122, l1122) == 1);
	CHECK("replay oldest in window (top - 1023)", decap_copy(pr.server, p100, l100) == 1);
	CHECK("replay older than window dropped (top - 1024)",
	      decap_copy(pr.server, p99, l99) == -1 && c->drop_replay == 2);
	CHECK("replay middle of window", decap_copy(pr.server, p500, l500) == 1);
	CHECK("replay duplicate in window dropped", decap_copy(pr.server, p500, l500) == -1 &&
	      decap_copy(pr.server, p1122, l1122) == -1 && c->drop_replay == 4);
	/* move the window by 67 bits: not a whole word, bits must carry */
	CHECK("replay shift by 67", decap_copy(pr.server, p1190, l1190) == 1);
	CHECK("replay bits kept across shift",
	      decap_copy(pr.server, p1123, l1123) == -1 &&
	      decap_copy(pr.server, p1122, l1122) == -1 &&
	      decap_copy(pr.server, p500, l500) == -1 && c->drop_replay == 7);
	CHECK("replay unseen after shift accepted", decap_copy(pr.server, p1124, l1124) == 1);
	CHECK("replay 100 now outside window", decap_copy(pr.server, p100, l100) == -1);
	CHECK("replay big jump", decap_copy(pr.server, p5000, l5000) == 1 &&
	      decap_copy(pr.server, p1190, l1190) == -1 && c->drop_replay == 9);
	CHECK("replay counters", c->packets_in == 8 && c->drop_auth == 0);

	/* sequence number 0 is never valid (built by hand: encap can't) */
	uint8_t p0[200];
	long l0 = pkt_seq(&pr, 1, p0, sizeof(p0));
	p0[4] = p0[5] = p0[6] = p0[7] = 0;
	CHECK("replay seq 0 dropped before decrypting",
	      decap_copy(pr.server, p0, l0) == -1 && c->drop_replay == 10 && c->drop_auth == 0);
	free_pair(&pr);
}

static void test_icv(void)
{
	for (size_t s = 0; s < sizeof(suites) / sizeof(suites[0]); s++) {
		const struct suite *su = &suites[s];
		char name[128];
		struct pair pr;
		if (make_pair(&pr, su->encr, su->bits, su->integ) != 0) {
			CHECK("icv sa_new", 0);
			free_pair(&pr);
			continue;
		}
		uint8_t pkt[200], bad[200];
		long l = pkt_seq(&pr, 7, pkt, sizeof(pkt));
		bool ok = l > 0;
		/* flip one bit in turn in ICV, ciphertext, IV, seq */
		size_t where[] = { (size_t)l - 1, (size_t)l - su->icvlen - 3, 8, 7 };
		for (size_t w = 0; ok && w < 4; w++) {
			memcpy(bad, pkt, (size_t)l);
			bad[where[w]] ^= 0x04;
			if (decap_copy(pr.server, bad, l) != -1)
				ok = false;
		}
		snprintf(name, sizeof(name), "%s tampered packet dropped", su->name);
		CHECK(name, ok);
		snprintf(name, sizeof(name), "%s tampered counted as auth", su->name);
		CHECK(name, esp_ctr(pr.server).drop_auth == 4 && esp_ctr(pr.server).drop_replay == 0);
		snprintf(name, sizeof(name), "%s tampered does not move the window", su->name);
		CHECK(name, pr.server->replay_top == 0 && pr.server->replay_map[0] == 0 &&
		      pr.server->last_in == 0);
		snprintf(name, sizeof(name), "%s genuine packet accepted after", su->name);
		CHECK(name, decap_copy(pr.server, pkt, l) == 1 && pr.server->replay_top == 7);
		free_pair(&pr);
	}
}

static void test_spoof(void)
{
	struct pair pr;
	if (make_pair(&pr, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128) != 0) {
		CHECK("spoof sa_new", 0);
		free_pair(&pr);
		return;
	}
	uint8_t ip[100], out[300];
	static const uint8_t other4[4] = { 198, 18, 50, 8 };
	uint8_t other6[16];
	memcpy(other6, CLIENT6, 16);
	other6[15] = 8;

	long l = esp_encap(pr.client, ip, ip4(ip, other4, SERVER4, 20), out, sizeof(out));
	CHECK("spoof v4 source dropped", decap_copy(pr.server, out, l) == -1 &&
	      esp_ctr(pr.server).drop_spoof == 1);
	l = esp_encap(pr.client, ip, ip6(ip, other6, SERVER6, 20), out, sizeof(out));
	CHECK("spoof v6 source dropped", decap_copy(pr.server, out, l) == -1 &&
	      esp_ctr(pr.server).drop_spoof == 2);
	pr.server->has_vip6 = false;
	l = esp_encap(pr.client, ip, ip6(ip, CLIENT6, SERVER6, 20), out, sizeof(out));
	CHECK("spoof v6 on SA without vip6 dropped", decap_copy(pr.server, out, l) == -1 &&
	      esp_ctr(pr.server).drop_spoof == 3);
	l = esp_encap(pr.client, ip, ip4(ip, CLIENT4, SERVER4, 20), out, sizeof(out));
	CHECK("spoof genuine v4 still accepted", decap_copy(pr.server, out, l) == 1 &&
	      esp_ctr(pr.server).packets_in == 1 && esp_ctr(pr.server).drop_malformed == 0);
	free_pair(&pr);
}

/* Seals a hand-made ESP plaintext (payload | pad | padlen | nh) with the
 * client's outbound transform, as a misbehaving peer would. */
static long seal_raw(struct pair *pr, const uint8_t *pt, size_t ptlen, uint8_t *out)
{
	struct xform *x = pr->client->lane[0].out;
	size_t ivlen = xform_iv_len(x);
	uint32_t seq = (uint32_t)++pr->client->seq_out;
	out[0] = (uint8_t)(SPI_S >> 24);
	out[1] = (uint8_t)(SPI_S >> 16);
	out[2] = (uint8_t)(SPI_S >> 8);
	out[3] = (uint8_t)SPI_S;
	out[4] = (uint8_t)(seq >> 24);
	out[5] = (uint8_t)(seq >> 16);
	out[6] = (uint8_t)(seq >> 8);
	out[7] = (uint8_t)seq;
	memcpy(out + 8 + ivlen, pt, ptlen);
	if (xform_seal(x, out, 8, out + 8, out + 8 + ivlen, ptlen, out + 8 + ivlen + ptlen) != 0)
		return -1;
	return (long)(8 + ivlen + ptlen + xform_icv_len(x));
}

static void test_malformed(void)
{
	struct pair pr;
	if (make_pair(&pr, ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128) != 0) {
		CHECK("malformed sa_new", 0);
		free_pair(&pr);
		return;
	}
	struct esp_counters *c = &pr.server->lane[0].ctr;
	uint8_t pt[128], out[300], *inner;
	size_t ilen;

	/* 20-byte IPv4 + pad 1..10 + padlen 10 + nh 4 = 32: correct first */
	size_t iplen = ip4(pt, CLIENT4, SERVER4, 0);
	for (int i = 0; i < 10; i++)
		pt[iplen + i] = (uint8_t)(i + 1);
	pt[30] = 10;
	pt[31] = 4;
	long l = seal_raw(&pr, pt, 32, out);
	CHECK("hand-built packet accepted", decap_copy(pr.server, out, l) == 1);

	pt[25] = 0;     /* pad byte 6 is not 6 */
	l = seal_raw(&pr, pt, 32, out);
	CHECK("bad padding bytes dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 1 && c->drop_auth == 0);
	CHECK("bad padding still moves the window (it was authentic)",
	      pr.server->replay_top == pr.client->seq_out);
	pt[25] = 6;

	pt[30] = 31;    /* pad length beyond the plaintext */
	l = seal_raw(&pr, pt, 32, out);
	CHECK("pad length too big dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 2);
	pt[30] = 10;

	pt[31] = 17;    /* next header UDP: not allowed in tunnel mode */
	l = seal_raw(&pr, pt, 32, out);
	CHECK("next header 17 dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 3);
	pt[31] = 41;    /* says IPv6, is IPv4 */
	l = seal_raw(&pr, pt, 32, out);
	CHECK("next header 41 with IPv4 inside dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 4);
	pt[31] = 4;

	pt[3] = 21;     /* IPv4 total length beyond what is there */
	l = seal_raw(&pr, pt, 32, out);
	CHECK("inner total length too big dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 5);
	pt[3] = 20;
	pt[0] = 0x44;   /* IHL 4 */
	l = seal_raw(&pr, pt, 32, out);
	CHECK("inner IHL < 5 dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 6);
	pt[0] = 0x45;

	/* inner IPv4 total length shorter than the payload: trimmed */
	iplen = ip4(pt, CLIENT4, SERVER4, 8);  /* 28 bytes, says 24 */
	pt[3] = 24;
	pt[28] = 1;
	pt[29] = 2;
	pt[30] = 2;
	pt[31] = 4;
	l = seal_raw(&pr, pt, 32, out);
	int r = esp_decap(pr.server, out, (size_t)l, &inner, &ilen, 0);
	CHECK("inner IPv4 trimmed to its total length", r == 1 && ilen == 24);

	/* IPv6 with payload length beyond what is there */
	iplen = ip6(pt, CLIENT6, SERVER6, 6);    /* 46 */
	pt[5] = 7;
	for (int i = 0; i < 16; i++)
		pt[46 + i] = (uint8_t)(i + 1);
	pt[62] = 16;
	pt[63] = 41;
	l = seal_raw(&pr, pt, 64, out);
	CHECK("inner IPv6 payload length too big dropped", decap_copy(pr.server, out, l) == -1 &&
	      c->drop_malformed == 7);
	pt[5] = 6;
	l = seal_raw(&pr, pt, 64, out);
	CHECK("inner IPv6 well-formed accepted", decap_copy(pr.server, out, l) == 1);

	/* dummy packet, next header 59 */
	uint64_t in_before = c->packets_in;
	for (int i = 0; i < 14; i++)
		pt[i] = (uint8_t)(i + 1);
	pt[14] = 14;
	pt[15] = 59;
	l = seal_raw(&pr, pt, 16, out);
	r = esp_decap(pr.server, out, (size_t)l, &inner, &ilen, 99);
	CHECK("dummy packet returns 0", r == 0 && inner == NULL && ilen == 0);
	CHECK("dummy packet not counted as drop or delivery",
	      c->packets_in == in_before && c->drop_malformed == 7 && pr.server->last_in == 99);

	/* outer lengths */
	l = esp_encap(pr.client, pt, ip4(pt, CLIENT4, SERVER4, 10), out, sizeof(out));
	uint64_t m = c->drop_malformed;
	CHECK("truncated to header dropped", decap_copy(pr.server, out, 8) == -1);
	CHECK("empty packet dropped", esp_decap(pr.server, out, 0, &inner, &ilen, 0) == -1);
	CHECK("ciphertext not whole blocks dropped", decap_copy(pr.server, out, l - 1) == -1);
	CHECK("length errors counted as malformed", c->drop_malformed == m + 3 && c->drop_auth == 0);
	out[0] ^= 1;
	CHECK("wrong SPI dropped", decap_copy(pr.server, out, l) == -1 && c->drop_malformed == m + 4);
	out[0] ^= 1;
	CHECK("intact after length checks", decap_copy(pr.server, out, l) == 1);
	free_pair(&pr);
}

static void test_encap_limits(void)
{
	struct pair pr;
	if (make_pair(&pr, ENCR_AES_GCM_16, 256, AUTH_NONE) != 0) {
		CHECK("limits sa_new", 0);
		free_pair(&pr);
		return;
	}
	uint8_t ip[100], out[300];
	size_t iplen = ip4(ip, CLIENT4, SERVER4, 10);
	pr.client->seq_out = 0xfffffffeu;
	long l = esp_encap(pr.client, ip, iplen, out, sizeof(out));
	CHECK("encap last sequence number 2^32-1", l > 0 && out[4] == 0xff && out[7] == 0xff);
	CHECK("encap refuses to wrap", esp_encap(pr.client, ip, iplen, out, sizeof(out)) == -1 &&
	      pr.client->seq_out == 0xffffffffu);
	CHECK("encap refusal counted", esp_ctr(pr.client).drop_seq == 1);
	pr.client->seq_out = 0;
	/* 30 + 2 = 32, GCM: 8 + 8 + 32 + 16 = 64 */
	CHECK("encap output too small", esp_encap(pr.client, ip, iplen, out, 63) == -1 &&
	      pr.client->seq_out == 0);
	CHECK("encap output exact size", esp_encap(pr.client, ip, iplen, out, 64) == 64);
	CHECK("encap empty packet refused", esp_encap(pr.client, ip, 0, out, sizeof(out)) == -1);
	ip[0] = 0x50;
	CHECK("encap non-IP refused", esp_encap(pr.client, ip, iplen, out, sizeof(out)) == -1);
	/* in place: the packet already sits where the payload goes */
	iplen = ip4(out + 16, CLIENT4, SERVER4, 10);
	memcpy(ip, out + 16, iplen);
	l = esp_encap(pr.client, out + 16, iplen, out, sizeof(out));
	uint8_t *inner;
	size_t ilen;
	CHECK("encap in place", l == 64 && esp_decap(pr.server, out, 64, &inner, &ilen, 0) == 1 &&
	      ilen == iplen && memcmp(inner, ip, iplen) == 0);
	free_pair(&pr);
}

/* the outbound counter near its end: ESP_SEQ_NEAR_END once after
 * ESP_SEQ_REKEY, ESP_SEQ_EXHAUSTED once at the first refusal */
static void test_seq_events(void)
{
	struct pair pr;
	if (make_pair(&pr, ENCR_AES_GCM_16, 128, AUTH_NONE) != 0) {
		CHECK("seq sa_new", 0);
		free_pair(&pr);
		return;
	}
	uint8_t ip[100], out[300];
	size_t iplen = ip4(ip, CLIENT4, SERVER4, 10);
	CHECK("seq no event on a fresh SA", esp_seq_event(pr.client) == ESP_SEQ_NONE);
	CHECK("seq high-water mark 2^24 below the end",
	      ESP_SEQ_REKEY == 0xffffffffu - 0x1000000u && ESP_SEQ_MAX == 0xffffffffu);
	pr.client->seq_out = ESP_SEQ_REKEY - 1;
	CHECK("seq at the mark: no event", esp_encap(pr.client, ip, iplen, out, sizeof(out)) > 0 &&
	      esp_seq_event(pr.client) == ESP_SEQ_NONE);
	CHECK("seq past the mark: near end", esp_encap(pr.client, ip, iplen, out, sizeof(out)) > 0 &&
	      esp_seq_event(pr.client) == ESP_SEQ_NEAR_END);
	CHECK("seq near end told once", esp_encap(pr.client, ip, iplen, out, sizeof(out)) > 0 &&
	      esp_seq_event(pr.client) == ESP_SEQ_NONE);
	pr.client->seq_out = ESP_SEQ_MAX - 1;
	bool ok = esp_encap(pr.client, ip, iplen, out, sizeof(out)) > 0 &&
	          esp_seq_event(pr.client) == ESP_SEQ_NONE;
	uint8_t *inner;
	size_t ilen;
	/* the receiver takes the last number */
	pr.server->replay_top = ESP_SEQ_MAX - 2;
	ok = ok && esp_decap(pr.server, out, 64, &inner, &ilen, 0) == 1;
	CHECK("seq last number sent and accepted", ok);
	CHECK("seq exhausted: refused and told once",
	      esp_encap(pr.client, ip, iplen, out, sizeof(out)) == -1 &&
	      esp_seq_event(pr.client) == ESP_SEQ_EXHAUSTED &&
	      esp_encap(pr.client, ip, iplen, out, sizeof(out)) == -1 &&
	      esp_seq_event(pr.client) == ESP_SEQ_NONE && esp_ctr(pr.client).drop_seq == 2 &&
	      pr.client->seq_out == ESP_SEQ_MAX);
	free_pair(&pr);

	/* an SA preset past the mark that then runs out reports only once */
	if (make_pair(&pr, ENCR_AES_GCM_16, 128, AUTH_NONE) != 0) {
		CHECK("seq sa_new 2", 0);
		free_pair(&pr);
		return;
	}
	pr.client->seq_out = ESP_SEQ_MAX;
	CHECK("seq preset at the end: exhausted, no near-end after",
	      esp_encap(pr.client, ip, iplen, out, sizeof(out)) == -1 &&
	      esp_seq_event(pr.client) == ESP_SEQ_EXHAUSTED &&
	      esp_seq_event(pr.client) == ESP_SEQ_NONE);
	free_pair(&pr);
}

/* ---- known answers ----
 * ESP packets from draft-mcgrew-gcm-test-01 §4 (AES-GCM-16 in ESP, no ESN:
 * AAD = SPI | seq, nonce = salt | IV). Their trailers say next header 1,
 * which a tunnel-mode SA must refuse: esp_decap has to verify the ICV,
 * decrypt in place to the given plaintext, move the window, and only then
 * drop the packet as malformed. */
struct kat {
	const char *name;
	uint16_t bits;
	const char *key_salt, *spi_seq, *iv, *plain, *cipher, *tag;
};

static const struct kat kats[] = {
	{ "draft-mcgrew-gcm-test-01 AES-256 SPI 4a2cbfe3 seq 2", 256,
	  "abbccddef00112233445566778899aababbccddef00112233445566778899aab" "11223344",
	  "4a2cbfe300000002", "0102030405060708",
	  "4500003069a6400080062690c0a801029389155e0a9e008b2dc57ee000000000"
	  "7002400020bf0000020405b40101040201020201",
	  "ff425c9b724599df7a3bcd510194e00d6a78107f1b0b1cbf06efae9d65a5d763"
	  "748a637985771d347f0545659f14e99def842d8e",
	  "b335f4eecfdbf831824b4c4915956c96" },
	{ "draft-mcgrew-gcm-test-01 AES-128 zero key, SPI 0 seq 1", 128,
	  "00000000000000000000000000000000" "00000000",
	  "0000000000000001", "0000000000000000",
	  "4500003c99c500008001cb7a40679318010101010800075c0200440061626364"
	  "65666768696a6b6c6d6e6f707172737475767761626364656667686901020201",
	  "4688daf2f973a392732909c331d56d60f694abaa414b5e7ff5fdcdfff5e9a284"
	  "456476492719ffb64de7d9dca1e1d894bc3bd57873ed4d181d19d4d5c8c18af3",
	  "f821d496eeb096e98ad2b69e4799c71d" },
};

static void test_kat(void)
{
	char name[160];
	for (size_t k = 0; k < sizeof(kats) / sizeof(kats[0]); k++) {
		const struct kat *v = &kats[k];
		uint8_t key[36], hdr[8], pkt[256], plain[128], *inner;
		size_t ilen;
		check_unhex(v->key_salt, key);
		check_unhex(v->spi_seq, hdr);
		uint32_t spi = (uint32_t)hdr[0] << 24 | (uint32_t)hdr[1] << 16 | hdr[2] << 8 | hdr[3];
		struct esp_sa *sa = esp_sa_new(spi, spi, ENCR_AES_GCM_16, v->bits, AUTH_NONE,
		                               key, NULL, key, NULL);
		if (!sa) {
			snprintf(name, sizeof(name), "%s: sa_new", v->name);
			CHECK(name, 0);
			continue;
		}
		size_t len = 0;
		memcpy(pkt, hdr, 8);
		len = 8;
		len += check_unhex(v->iv, pkt + len);
		size_t ct_at = len;
		len += check_unhex(v->cipher, pkt + len);
		len += check_unhex(v->tag, pkt + len);
		size_t plen = check_unhex(v->plain, plain);

		int r = esp_decap(sa, pkt, len, &inner, &ilen, 5);
		snprintf(name, sizeof(name), "%s: ICV verifies", v->name);
		CHECK(name, esp_ctr(sa).drop_auth == 0 && sa->replay_top == hdr[7]);
		snprintf(name, sizeof(name), "%s: decrypts to the plaintext", v->name);
		CHECK(name, memcmp(pkt + ct_at, plain, plen) == 0);
		snprintf(name, sizeof(name), "%s: next header 1 refused", v->name);
		CHECK(name, r == -1 && esp_ctr(sa).drop_malformed == 1);

		/* outbound: encap the same inner packet; reseal the plaintext we
		 * expect (padding 1, 2, pad length 2, next header 4) with the IV
		 * encap chose: the bytes must be identical */
		size_t iplen = plen - 4;
		uint8_t out[256], want[256];
		sa->seq_out = hdr[7] - 1u;
		long l = esp_encap(sa, plain, iplen, out, sizeof(out));
		memcpy(want, plain, plen);
		want[plen - 1] = 4;
		int s = xform_seal_iv(sa->lane[0].out, out, 8, out + 8, want, plen, want + plen);
		snprintf(name, sizeof(name), "%s: encap layout byte-exact", v->name);
		CHECK(name, l == (long)len && s == 0 && memcmp(out, hdr, 8) == 0 &&
		      memcmp(out + 16, want, plen + 16) == 0);
		esp_sa_free(sa);
	}
}

/* ---- tables ---- */

static struct esp_sa *fake_sa(uint32_t spi, int v4, int v6)
{
	struct esp_sa *sa = calloc(1, sizeof(*sa));
	sa->spi_in = spi;
	if (v4 >= 0) {
		sa->has_vip4 = true;
		sa->vip4[0] = 10;
		sa->vip4[1] = (uint8_t)(v4 >> 16);
		sa->vip4[2] = (uint8_t)(v4 >> 8);
		sa->vip4[3] = (uint8_t)v4;
	}
	if (v6 >= 0) {
		sa->has_vip6 = true;
		memcpy(sa->vip6, CLIENT6, 16);
		sa->vip6[13] = (uint8_t)(v6 >> 16);
		sa->vip6[14] = (uint8_t)(v6 >> 8);
		sa->vip6[15] = (uint8_t)v6;
	}
	return sa;
}

static void test_table(void)
{
	struct esp_table *t = esp_table_new();
	CHECK("table new", t != NULL);
	if (!t)
		return;
	enum { N = 5000 };
	static struct esp_sa *sas[N];
	for (int i = 0; i < N; i++)
		sas[i] = fake_sa(0x1000u + (uint32_t)i * 7919u, i, i % 2 ? i : -1);
	bool added = true;
	for (int i = 0; i < N; i++)
		if (esp_table_add(t, sas[i]) != 0)
			added = false;
	CHECK("table add 5000", added);
	struct esp_sa *dup = fake_sa(sas[1234]->spi_in, 99999, -1);
	CHECK("table SPI clash refused", esp_table_add(t, dup) == -1);

	bool spi_ok = true, v4_ok = true, v6_ok = true;
	uint8_t pkt[64];
	for (int i = 0; i < N; i++) {
		if (esp_table_by_spi(t, sas[i]->spi_in) != sas[i])
			spi_ok = false;
		ip4(pkt, SERVER4, sas[i]->vip4, 0);
		if (esp_table_by_dst(t, pkt, 20) != sas[i])
			v4_ok = false;
		if (i % 2) {
			ip6(pkt, SERVER6, sas[i]->vip6, 0);
			if (esp_table_by_dst(t, pkt, 40) != sas[i])
				v6_ok = false;
		}
	}
	CHECK("table lookup by spi after growth", spi_ok);
	CHECK("table lookup by v4 dst after growth", v4_ok);
	CHECK("table lookup by v6 dst after growth", v6_ok);
	CHECK("table unknown spi", esp_table_by_spi(t, 0xdeadbeef) == NULL);
	uint8_t nowhere[4] = { 10, 200, 0, 1 };
	ip4(pkt, SERVER4, nowhere, 0);
	CHECK("table unknown dst", esp_table_by_dst(t, pkt, 20) == NULL);
	ip6(pkt, SERVER6, sas[2]->vip6, 0);      /* even: no vip6 */
	CHECK("table SA without vip6 not found by v6", esp_table_by_dst(t, pkt, 40) == NULL);
	ip4(pkt, SERVER4, sas[5]->vip4, 0);
	CHECK("table by_dst short v4 header", esp_table_by_dst(t, pkt, 19) == NULL &&
	      esp_table_by_dst(t, pkt, 0) == NULL);
	ip6(pkt, SERVER6, sas[5]->vip6, 0);
	CHECK("table by_dst short v6 header", esp_table_by_dst(t, pkt, 39) == NULL);
	pkt[0] = 0x50;
	CHECK("table by_dst not IP", esp_table_by_dst(t, pkt, 40) == NULL);

	/* delete every third */
	for (int i = 0; i < N; i += 3)
		esp_table_del(t, sas[i]);
	bool del_ok = true;
	for (int i = 0; i < N; i++) {
		struct esp_sa *want = i % 3 ? sas[i] : NULL;
		if (esp_table_by_spi(t, sas[i]->spi_in) != want)
			del_ok = false;
		ip4(pkt, SERVER4, sas[i]->vip4, 0);
		if (esp_table_by_dst(t, pkt, 20) != want)
			del_ok = false;
		if (i % 2) {
			ip6(pkt, SERVER6, sas[i]->vip6, 0);
			if (esp_table_by_dst(t, pkt, 40) != want)
				del_ok = false;
		}
	}
	CHECK("table del", del_ok);
	esp_table_del(t, sas[0]);       /* not in the table any more: no-op */
	CHECK("table del twice harmless", esp_table_by_spi(t, sas[1]->spi_in) == sas[1]);

	/* rekey: two SAs for one vip, newest wins, the old one remains */
	struct esp_sa *rekeyed = fake_sa(0x77777777u, 1, 1);
	CHECK("table add rekeyed SA", esp_table_add(t, rekeyed) == 0);
	ip4(pkt, SERVER4, sas[1]->vip4, 0);
	CHECK("table dst finds newest SA of a vip", esp_table_by_dst(t, pkt, 20) == rekeyed);
	esp_table_del(t, rekeyed);
	CHECK("table dst finds older SA after newest deleted", esp_table_by_dst(t, pkt, 20) == sas[1]);
	/* same, across a growth step */
	esp_table_add(t, rekeyed);
	for (int i = 0; i < N; i += 3)
		esp_table_add(t, sas[i]);
	bool more_ok = true;
	for (int i = 0; i < N; i++)
		if (esp_table_by_spi(t, sas[i]->spi_in) != sas[i])
			more_ok = false;
	CHECK("table re-add after del", more_ok);
	ip4(pkt, SERVER4, sas[1]->vip4, 0);
	CHECK("table newest vip SA kept first across growth", esp_table_by_dst(t, pkt, 20) == rekeyed);

	bool spi_fresh = true;
	for (int i = 0; i < 1000; i++) {
		uint32_t spi = esp_table_new_spi(t);
		if (spi < 256 || esp_table_by_spi(t, spi))
			spi_fresh = false;
	}
	CHECK("table new_spi >= 256 and unused", spi_fresh);

	esp_table_free(t);
	esp_table_free(NULL);
	for (int i = 0; i < N; i++)
		free(sas[i]);
	free(dup);
	free(rekeyed);
}

/* AEAD: the IV of each packet is its sequence number (RFC 4106 §3.1,
 * RFC 7634 §2), so per-thread cipher contexts need no shared counter;
 * CBC keeps random IVs */
static void test_iv_is_seq(void)
{
	static const uint16_t aeads[][2] = { { ENCR_AES_GCM_16, 128 }, { ENCR_CHACHA20_POLY1305, 0 } };
	for (int k = 0; k < 2; k++) {
		struct pair pr;
		if (make_pair(&pr, aeads[k][0], aeads[k][1], AUTH_NONE) != 0) {
			CHECK("iv: pair", 0);
			free_pair(&pr);
			continue;
		}
		uint8_t ip[60], out[256];
		size_t n = ip4(ip, CLIENT4, SERVER4, 20);
		bool ok = true;
		pr.client->seq_out = 0x1234;
		for (uint32_t i = 1; i <= 3; i++) {
			long l = esp_encap(pr.client, ip, n, out, sizeof(out));
			uint64_t seq = 0x1234 + i, iv = 0;
			for (int b = 0; b < 8; b++)
				iv = iv << 8 | out[8 + b];
			ok &= l > 0 && iv == seq;
			uint8_t *inner;
			size_t innerlen;
			ok &= esp_decap(pr.server, out, (size_t)l, &inner, &innerlen, 1) == 1;
		}
		CHECK(k ? "chacha20-poly1305: IV = sequence number, decrypts"
		        : "gcm: IV = sequence number, decrypts", ok);
		free_pair(&pr);
	}
}

int main(void)
{
	esp_sa_free(NULL);
	test_iv_is_seq();
	CHECK("sa_new rejects unknown transform",
	      esp_sa_new(1, 2, 9999, 0, 9999, (const uint8_t *)"k", NULL, (const uint8_t *)"k", NULL) == NULL);
	test_round_trips();
	test_replay();
	test_icv();
	test_spoof();
	test_malformed();
	test_encap_limits();
	test_seq_events();
	test_kat();
	test_table();
	CHECK_DONE();
}
