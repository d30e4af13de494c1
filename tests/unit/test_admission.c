/* Who may start an IKE_SA: SipHash (reference vector), cookies (HMAC,
 * bound to address, SPI and nonce; rotation; the length-extension forgery
 * that broke the old SHA-256(secret | Ni | IP | SPIi) cookie), and the
 * caps of config setup, driven through ike_input with real IKE_SA_INIT
 * requests: block_threshold per source, cookies above cookie_threshold,
 * init_limit_half_open, ikesa_limit_per_source, retransmissions. */
#include <arpa/inet.h>
#include <event2/event.h>
#include "tests/unit/check.h"
#include "tests/unit/testd.h"
#include "crypto/algs.h"
#include "crypto/dh.h"
#include "src/config.h"
#include "src/cookie.h"
#include "src/daemon.h"
#include "src/dp/esp.h"
#include "src/firstrun.h"
#include "src/ike.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "src/siphash.h"

/* ---- a plain SHA-256 (FIPS 180-4) whose state can be set: what an
 * attacker uses for a length extension ---- */
struct sha { uint32_t h[8]; uint8_t buf[64]; size_t n; uint64_t total; };
static const uint32_t K[64] = {
	0x428a2f98, 0x71374491, 0xb5c0fbcf, 0xe9b5dba5, 0x3956c25b, 0x59f111f1, 0x923f82a4,
	0xab1c5ed5, 0xd807aa98, 0x12835b01, 0x243185be, 0x550c7dc3, 0x72be5d74, 0x80deb1fe,
	0x9bdc06a7, 0xc19bf174, 0xe49b69c1, 0xefbe4786, 0x0fc19dc6, 0x240ca1cc, 0x2de92c6f,
	0x4a7484aa, 0x5cb0a9dc, 0x76f988da, 0x983e5152, 0xa831c66d, 0xb00327c8, 0xbf597fc7,
	0xc6e00bf3, 0xd5a79147, 0x06ca6351, 0x14292967, 0x27b70a85, 0x2e1b2138, 0x4d2c6dfc,
	0x53380d13, 0x650a7354, 0x766a0abb, 0x81c2c92e, 0x92722c85, 0xa2bfe8a1, 0xa81a664b,
	0xc24b8b70, 0xc76c51a3, 0xd192e819, 0xd6990624, 0xf40e3585, 0x106aa070, 0x19a4c116,
	0x1e376c08, 0x2748774c, 0x34b0bcb5, 0x391c0cb3, 0x4ed8aa4a, 0x5b9cca4f, 0x682e6ff3,
	0x748f82ee, 0x78a5636f, 0x84c87814, 0x8cc70208, 0x90befffa, 0xa4506ceb, 0xbef9a3f7,
	0xc67178f2,
};
#define RR(x, n) ((x) >> (n) | (x) << (32 - (n)))
static void sha_block(struct sha *s, const uint8_t *p)
{
	uint32_t w[64], a[8];
	for (int i = 0; i < 16; i++)
		w[i] = (uint32_t)p[4 * i] << 24 | (uint32_t)p[4 * i + 1] << 16 |
		       (uint32_t)p[4 * i + 2] << 8 | p[4 * i + 3];
	for (int i = 16; i < 64; i++)
		w[i] = w[i - 16] + (RR(w[i - 15], 7) ^ RR(w[i - 15], 18) ^ w[i - 15] >> 3) + w[i - 7] +
		       (RR(w[i - 2], 17) ^ RR(w[i - 2], 19) ^ w[i - 2] >> 10);
	memcpy(a, s->h, sizeof(a));
	for (int i = 0; i < 64; i++) {
		uint32_t t1 = a[7] + (RR(a[4], 6) ^ RR(a[4], 11) ^ RR(a[4], 25)) +
		              ((a[4] & a[5]) ^ (~a[4] & a[6])) + K[i] + w[i];
		uint32_t t2 = (RR(a[0], 2) ^ RR(a[0], 13) ^ RR(a[0], 22)) +
		              ((a[0] & a[1]) ^ (a[0] & a[2]) ^ (a[1] & a[2]));
		memmove(a + 1, a, 7 * sizeof(a[0]));
		a[4] += t1;
		a[0] = t1 + t2;
	}
	for (int i = 0; i < 8; i++)
		s->h[i] += a[i];
}
static void sha_init(struct sha *s)
{
	static const uint32_t iv[8] = { 0x6a09e667, 0xbb67ae85, 0x3c6ef372, 0xa54ff53a,
	                                0x510e527f, 0x9b05688c, 0x1f83d9ab, 0x5be0cd19 };
	memcpy(s->h, iv, sizeof(iv));
	s->n = 0;
	s->total = 0;
}
static void sha_update(struct sha *s, const uint8_t *p, size_t len)
{
	for (size_t i = 0; i < len; i++) {
		s->buf[s->n++] = p[i];
		s->total++;
		if (s->n == 64) {
			sha_block(s, s->buf);
			s->n = 0;
		}
	}
}
/* the padding SHA-256 appends to a message of len bytes */
static size_t sha_pad(uint64_t len, uint8_t *out)
{
	size_t n = 1;
	out[0] = 0x80;
	while ((len + n) % 64 != 56)
		out[n++] = 0;
	for (int i = 7; i >= 0; i--)
		out[n++] = (uint8_t)(len * 8 >> (8 * i));
	return n;
}
static void sha_final(struct sha *s, uint8_t out[32])
{
	uint8_t pad[72];
	size_t n = sha_pad(s->total, pad);
	sha_update(s, pad, n);
	for (int i = 0; i < 8; i++)
		for (int b = 0; b < 4; b++)
			out[4 * i + b] = (uint8_t)(s->h[i] >> (24 - 8 * b));
}

/* the cookie cygnet used to make: 0x01 | SHA-256(secret | Ni | IP | SPIi) */
static void old_cookie(const uint8_t secret[32], const uint8_t *ni, size_t nilen,
                       const uint8_t ip[4], const uint8_t spi[8], uint8_t out[33])
{
	struct sha s;
	sha_init(&s);
	sha_update(&s, secret, 32);
	sha_update(&s, ni, nilen);
	sha_update(&s, ip, 4);
	sha_update(&s, spi, 8);
	out[0] = 1;
	sha_final(&s, out + 1);
}

static void test_siphash(void)
{
	/* SipHash paper, Appendix A: key 00..0f, message 00..0e */
	struct sipkey k = { 0x0706050403020100ull, 0x0f0e0d0c0b0a0908ull };
	uint8_t msg[15];
	for (int i = 0; i < 15; i++)
		msg[i] = (uint8_t)i;
	CHECK("siphash-2-4 reference vector", siphash24(&k, msg, 15) == 0xa129ca6149be45e5ull);
}

static struct sockaddr_in v4(const char *ip, uint16_t port)
{
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };
	inet_pton(AF_INET, ip, &a.sin_addr);
	return a;
}

static void test_cookies(void)
{
	struct cookie_jar j = { 0 };
	struct sockaddr_in a = v4("198.18.1.10", 500), b = v4("198.18.1.11", 500);
	struct sockaddr_in a2 = v4("198.18.1.10", 4500);
	uint8_t spi[8] = { 1, 2, 3, 4, 5, 6, 7, 8 }, ni[32], c[COOKIE_LEN];
	memset(ni, 0x5a, sizeof(ni));
	cookie_make(&j, 1000, spi, (struct sockaddr *)&a, ni, sizeof(ni), c);
	CHECK("cookie accepted from its address", cookie_check(&j, 1000, spi, (struct sockaddr *)&a,
	                                                       ni, sizeof(ni), c, sizeof(c)));
	CHECK("cookie accepted from another port of that address",
	      cookie_check(&j, 1000, spi, (struct sockaddr *)&a2, ni, sizeof(ni), c, sizeof(c)));
	CHECK("cookie refused from another address",
	      !cookie_check(&j, 1000, spi, (struct sockaddr *)&b, ni, sizeof(ni), c, sizeof(c)));
	uint8_t spi2[8] = { 1, 2, 3, 4, 5, 6, 7, 9 };
	CHECK("cookie refused for another SPIi",
	      !cookie_check(&j, 1000, spi2, (struct sockaddr *)&a, ni, sizeof(ni), c, sizeof(c)));
	CHECK("cookie refused for another nonce",
	      !cookie_check(&j, 1000, spi, (struct sockaddr *)&a, ni, 31, c, sizeof(c)));
	CHECK("truncated cookie refused",
	      !cookie_check(&j, 1000, spi, (struct sockaddr *)&a, ni, sizeof(ni), c, 32));
	uint8_t t[COOKIE_LEN];
	memcpy(t, c, sizeof(t));
	t[COOKIE_LEN - 1] ^= 1;
	CHECK("altered cookie refused",
	      !cookie_check(&j, 1000, spi, (struct sockaddr *)&a, ni, sizeof(ni), t, sizeof(t)));
	memcpy(t, c, sizeof(t));
	t[0] ^= 0x80;
	CHECK("unknown secret version refused",
	      !cookie_check(&j, 1000, spi, (struct sockaddr *)&a, ni, sizeof(ni), t, sizeof(t)));
	/* one period later the secret changed: the old cookie is still good;
	 * a period after that it is not */
	CHECK("previous secret accepted for one period",
	      cookie_check(&j, 1000 + COOKIE_PERIOD, spi, (struct sockaddr *)&a, ni, sizeof(ni), c,
	                   sizeof(c)));
	uint8_t c2[COOKIE_LEN];
	cookie_make(&j, 1000 + COOKIE_PERIOD, spi, (struct sockaddr *)&a, ni, sizeof(ni), c2);
	CHECK("new cookie after rotation differs", memcmp(c, c2, sizeof(c)) != 0);
	CHECK("cookie refused after two periods",
	      !cookie_check(&j, 1000 + 2 * COOKIE_PERIOD, spi, (struct sockaddr *)&a, ni,
	                    sizeof(ni), c, sizeof(c)));
	CHECK("newer cookie still accepted one period on",
	      cookie_check(&j, 1000 + 2 * COOKIE_PERIOD, spi, (struct sockaddr *)&a, ni, sizeof(ni),
	                   c2, sizeof(c2)));

	/* The length extension: from one real old-style cookie for (Ni, IP,
	 * SPIi) anyone could compute the cookie for nonce' = Ni | IP | SPIi |
	 * padding, a spoofed IP' and any SPIi' without the secret. Shown
	 * against the old construction, then tried against ours. */
	uint8_t secret[32], ip[4] = { 198, 18, 1, 10 }, spoof_ip[4] = { 198, 18, 1, 66 };
	memset(secret, 0x42, sizeof(secret));
	uint8_t real[33];
	old_cookie(secret, ni, sizeof(ni), ip, spi, real);
	/* the attacker's side: state from the digest, continue hashing */
	size_t msglen = 32 + sizeof(ni) + 4 + 8;
	uint8_t pad[72];
	size_t padlen = sha_pad(msglen, pad);
	struct sha s;
	sha_init(&s);
	for (int i = 0; i < 8; i++)
		s.h[i] = (uint32_t)real[1 + 4 * i] << 24 | (uint32_t)real[2 + 4 * i] << 16 |
		         (uint32_t)real[3 + 4 * i] << 8 | real[4 + 4 * i];
	s.total = msglen + padlen;
	sha_update(&s, spoof_ip, 4);
	sha_update(&s, spi2, 8);
	uint8_t forged[33];
	forged[0] = 1;
	sha_final(&s, forged + 1);
	uint8_t ni2[128];
	size_t ni2len = 0;
	memcpy(ni2, ni, sizeof(ni));
	ni2len += sizeof(ni);
	memcpy(ni2 + ni2len, ip, 4);
	ni2len += 4;
	memcpy(ni2 + ni2len, spi, 8);
	ni2len += 8;
	memcpy(ni2 + ni2len, pad, padlen);
	ni2len += padlen;
	uint8_t check_old[33];
	old_cookie(secret, ni2, ni2len, spoof_ip, spi2, check_old);
	CHECK("length extension forges the old cookie for a spoofed address",
	      memcmp(check_old, forged, 33) == 0);
	struct sockaddr_in spoofed = v4("198.18.1.66", 500);
	uint8_t ours[COOKIE_LEN];
	cookie_make(&j, 2000, spi, (struct sockaddr *)&a, ni, sizeof(ni), ours);
	bool refused = !cookie_check(&j, 2000, spi2, (struct sockaddr *)&spoofed, ni2, ni2len,
	                             forged, sizeof(forged));
	/* the same trick applied to a real cookie of ours */
	uint8_t forged2[COOKIE_LEN];
	memcpy(forged2, ours, sizeof(forged2));
	sha_init(&s);
	for (int i = 0; i < 8; i++)
		s.h[i] = (uint32_t)ours[1 + 4 * i] << 24 | (uint32_t)ours[2 + 4 * i] << 16 |
		         (uint32_t)ours[3 + 4 * i] << 8 | ours[4 + 4 * i];
	s.total = 64 + 27 + sizeof(ni) + sha_pad(64 + 27 + sizeof(ni), pad);
	sha_update(&s, spoof_ip, 4);
	sha_final(&s, forged2 + 1);
	refused = refused && !cookie_check(&j, 2000, spi2, (struct sockaddr *)&spoofed, ni2, ni2len,
	                                   forged2, sizeof(forged2));
	CHECK("length-extension cookies refused", refused);
	cookie_jar_clear(&j);
}

/* ---- admission through ike_input ---- */

static struct daemon d;
static uint8_t ke_pub[256];
static size_t ke_len;

/* an IKE_SA_INIT request as a strongSwan client builds it */
static size_t build_init(uint8_t spi_seed, const uint8_t *cookie, size_t cookie_len,
                         uint8_t *buf, size_t cap)
{
	struct ike_wr w;
	testd_init_request(&w, buf, cap, spi_seed, cookie, cookie_len, ke_pub, ke_len);
	return ike_wr_finish(&w);
}

static struct sockaddr_in local_addr;

static void send_init(const char *from, uint8_t spi_seed, const uint8_t *cookie)
{
	uint8_t buf[1024];
	struct sockaddr_in peer = v4(from, 500);
	size_t len = build_init(spi_seed, cookie, cookie ? COOKIE_LEN : 0, buf, sizeof(buf));
	ike_input(&d, buf, len, (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local_addr, sizeof(local_addr));
}

static unsigned count_sas(void)
{
	unsigned n = 0;
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		n += sa->state != IKE_S_DEAD;
	return n;
}

static void kill_all(void)
{
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(&d);
}

static void test_admission(void)
{
	local_addr = v4("198.18.1.1", 500);
	struct dh *dh = dh_new(ECP_256);
	ke_len = dh_pub_len(ECP_256);
	CHECK("client key", dh && dh_public(dh, ke_pub, ke_len) == 0);
	dh_free(dh);
	struct ipsec_conf *c = d.cfg->conf;
	CHECK("defaults", c->cookie_threshold == 10 && c->block_threshold == 5 &&
	      c->init_limit_half_open == 1000 && c->half_open_timeout == 30);

	/* one source: block_threshold half-open IKE_SAs, then nothing */
	for (int i = 1; i <= 8; i++)
		send_init("198.18.1.10", (uint8_t)i, NULL);
	CHECK("block_threshold: 5 half-open IKE_SAs from one address", count_sas() == 5 &&
	      d.half_open == 5);
	send_init("198.18.1.10", 1, NULL);
	CHECK("a retransmission creates nothing", count_sas() == 5);
	send_init("198.18.1.11", 20, NULL);
	CHECK("another address is not blocked", count_sas() == 6);
	/* the five may have been made with the address spoofed: its real
	 * owner gets a cookie and with it in (up to twice the threshold) */
	struct sockaddr_in p10 = v4("198.18.1.10", 500);
	uint8_t nonce[32], spi[8], cookie[COOKIE_LEN];
	for (int i = 9; i <= 14; i++) {
		memset(nonce, i, sizeof(nonce));
		memset(spi, i, sizeof(spi));
		cookie_make(&d.cookies, now_sec(), spi, (struct sockaddr *)&p10, nonce, sizeof(nonce),
		            cookie);
		send_init("198.18.1.10", (uint8_t)i, cookie);
	}
	CHECK("block_threshold: with a cookie up to twice as many", count_sas() == 11);
	kill_all();
	for (int i = 1; i <= 5; i++)
		send_init("198.18.1.10", (uint8_t)i, NULL);
	send_init("198.18.1.11", 20, NULL);

	/* cookies once cookie_threshold IKE_SAs are half open */
	c->cookie_threshold = 6;
	send_init("198.18.1.12", 30, NULL);
	CHECK("above cookie_threshold: no IKE_SA without a cookie", count_sas() == 6);
	struct sockaddr_in p12 = v4("198.18.1.12", 500), p13 = v4("198.18.1.13", 500);
	memset(nonce, 30, sizeof(nonce));
	memset(spi, 30, sizeof(spi));
	cookie_make(&d.cookies, now_sec(), spi, (struct sockaddr *)&p13, nonce, sizeof(nonce), cookie);
	send_init("198.18.1.12", 30, cookie);
	CHECK("a cookie made for another address is refused", count_sas() == 6);
	cookie_make(&d.cookies, now_sec(), spi, (struct sockaddr *)&p12, nonce, sizeof(nonce), cookie);
	send_init("198.18.1.12", 30, cookie);
	CHECK("with its cookie the request goes through", count_sas() == 7);

	/* the global half-open cap: nothing, not even with a cookie */
	c->init_limit_half_open = 7;
	memset(nonce, 31, sizeof(nonce));
	memset(spi, 31, sizeof(spi));
	cookie_make(&d.cookies, now_sec(), spi, (struct sockaddr *)&p13, nonce, sizeof(nonce), cookie);
	send_init("198.18.1.13", 31, cookie);
	CHECK("init_limit_half_open", count_sas() == 7);

	/* established IKE_SAs no longer count as half open, but as IKE_SAs
	 * of their address (ikesa_limit_per_source) */
	kill_all();
	c->cookie_threshold = 10;
	c->init_limit_half_open = 1000;
	c->ikesa_limit_per_source = 3;
	for (int i = 40; i < 43; i++)
		send_init("198.18.1.20", (uint8_t)i, NULL);
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_ESTABLISHED);
	CHECK("established: not half open", d.half_open == 0 && count_sas() == 3);
	send_init("198.18.1.20", 43, NULL);
	CHECK("ikesa_limit_per_source", count_sas() == 3);
	c->ikesa_limit = 4;
	send_init("198.18.1.21", 44, NULL);
	send_init("198.18.1.22", 45, NULL);
	CHECK("ikesa_limit", count_sas() == 4);
	kill_all();
	CHECK("counts back to zero", d.half_open == 0 && d.n_sas == 0 && d.sources.n == 0);
	CHECK("lookups by id and SPI", ike_sa_by_id(&d, 1) == NULL);
}

int main(void)
{
	log_set_level(-1, -1);
	test_siphash();
	test_cookies();
	char dir[32];
	CHECK("daemon context", testd_open(&d, dir, "198.18.1.1") == 0);
	if (d.cfg && d.base && d.dp)
		test_admission();
	testd_close(&d, dir);
	CHECK_DONE();
}
