/* xform: known answers for AES-CBC (RFC 3602), HMAC truncations (RFC 4868,
 * RFC 2404), AES-GCM (McGrew & Viega), ChaCha20-Poly1305 (RFC 7539);
 * round trips and tamper detection for every combination; no allocation
 * on the per-packet path. */
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/rand.h>

#include "crypto/algs.h"
#include "crypto/xform.h"
#include "tests/unit/check.h"

/* counts OpenSSL's allocations (set before OpenSSL allocates anything) */
static size_t n_alloc;

static void *count_malloc(size_t n, const char *file, int line)
{
	n_alloc++;
	return malloc(n);
}

static void *count_realloc(void *p, size_t n, const char *file, int line)
{
	n_alloc++;
	return realloc(p, n);
}

static void count_free(void *p, const char *file, int line)
{
	free(p);
}

/* RFC 3602 §4, cases #1-#4 (AES-128-CBC) */
static const struct { const char *key, *iv, *pt, *ct; } cbc_cases[] = {
	{ "06a9214036b8a15b512e03d534120006", "3dafba429d9eb430b422da802c9fac41",
	  "53696e676c6520626c6f636b206d7367", /* "Single block msg" */
	  "e353779c1079aeb82708942dbe77181a" },
	{ "c286696d887c9aa0611bbb3e2025a45a", "562e17996d093d28ddb3ba695a2e6f58",
	  "000102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f",
	  "d296cd94c2cccf8a3a863028b5e1dc0a7586602d253cfff91b8266bea6d61ab1" },
	{ "6c3ea0477630ce21a2ce334aa746c2cd", "c782dc4c098c66cbd9cd27d825682c81",
	  /* "This is a 48-byte message (exactly 3 AES blocks)" */
	  "5468697320697320612034382d62797465206d657373616765202865786163746c7920332041455320626c6f636b7329",
	  "d0a02b3836451753d493665d33f0e8862dea54cdb293abc7506939276772f8d5"
	  "021c19216bad525c8579695d83ba2684" },
	{ "56e47a38c5598974bc46903dba290349", "8ce82eefbea0da3c44699ed7db51b7d9",
	  "a0a1a2a3a4a5a6a7a8a9aaabacadaeafb0b1b2b3b4b5b6b7b8b9babbbcbdbebf"
	  "c0c1c2c3c4c5c6c7c8c9cacbcccdcecfd0d1d2d3d4d5d6d7d8d9dadbdcdddedf",
	  "c30e32ffedc0774e6aff6af0869f71aa0f3af07a9a31a9c684db207eb0ef8e4e"
	  "35907aa632c3ffdf868bb7b29d3d46ad83ce9f9a102ee99d49a53e87f4c3da55" },
};

static void test_cbc_kat(void)
{
	uint8_t key[16], iv[16], pt[64], buf[64], akey[20] = { 0 }, icv[12];
	char name[64];

	for (size_t i = 0; i < sizeof(cbc_cases) / sizeof(cbc_cases[0]); i++) {
		check_unhex(cbc_cases[i].key, key);
		check_unhex(cbc_cases[i].iv, iv);
		size_t n = check_unhex(cbc_cases[i].pt, pt);
		struct xform *x = xform_new(ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96, key, akey);
		memcpy(buf, pt, n);
		snprintf(name, sizeof(name), "rfc3602 case %zu encrypt", i + 1);
		CHECK(name, x && xform_seal_iv(x, NULL, 0, iv, buf, n, icv) == 0 &&
		            check_hex_eq(buf, n, cbc_cases[i].ct));
		snprintf(name, sizeof(name), "rfc3602 case %zu decrypt", i + 1);
		CHECK(name, x && xform_open(x, NULL, 0, iv, buf, n, icv) == 0 &&
		            memcmp(buf, pt, n) == 0);
		xform_free(x);
	}
}

/* HMAC ICVs: with 3DES (8-byte IV) and no ciphertext, the ICV is
 * HMAC(prefix | IV), so any data of 8+ bytes can be fed in. */
static const struct {
	const char *name; uint16_t integ; uint8_t keyb; size_t keylen;
	const char *key; uint8_t datab; size_t datalen; const char *data; const char *icv;
} mac_cases[] = {
	/* RFC 2404 §5 (HMAC-SHA-1-96) uses the RFC 2202 cases, truncated */
	{ "sha1-96 rfc2202 tc1", AUTH_HMAC_SHA1_96, 0x0b, 20, NULL, 0, 0, "Hi There",
	  "b617318655057264e28bc0b6" },
	{ "sha1-96 rfc2202 tc3", AUTH_HMAC_SHA1_96, 0xaa, 20, NULL, 0xdd, 50, NULL,
	  "125d7342b9ac11cd91a39af4" },
	/* RFC 4868 §2.7.2.1, AUTH256-1..4 */
	{ "sha256-128 auth256-1", AUTH_HMAC_SHA2_256_128, 0x0b, 32, NULL, 0, 0, "Hi There",
	  "198a607eb44bfbc69903a0f1cf2bbdc5" },
	{ "sha256-128 auth256-2", AUTH_HMAC_SHA2_256_128, 0, 32, "JefeJefeJefeJefeJefeJefeJefeJefe",
	  0, 0, "what do ya want for nothing?", "167f928588c5cc2eef8e3093caa0e87c" },
	{ "sha256-128 auth256-3", AUTH_HMAC_SHA2_256_128, 0xaa, 32, NULL, 0xdd, 50, NULL,
	  "cdcb1220d1ecccea91e53aba3092f962" },
	{ "sha256-128 auth256-4", AUTH_HMAC_SHA2_256_128, 0, 32, NULL, 0xcd, 50, NULL,
	  "372efcf9b40b35c2115b1346903d2ef4" },
	/* RFC 4868 §2.7.2.2, AUTH384-1 */
	{ "sha384-192 auth384-1", AUTH_HMAC_SHA2_384_192, 0x0b, 48, NULL, 0, 0, "Hi There",
	  "b6a8d5636f5c6a7224f9977dcf7ee6c7fb6d0c48cbdee973" },
	/* RFC 4868 §2.7.2.3, AUTH512-1 */
	{ "sha512-256 auth512-1", AUTH_HMAC_SHA2_512_256, 0x0b, 64, NULL, 0, 0, "Hi There",
	  "637edc6e01dce7e6742a99451aae82df23da3e92439e590e43e761b33e910fb8" },
};

static void test_mac_kat(void)
{
	uint8_t ekey[24], akey[64], data[64], icv[32], empty[8];
	char name[80];

	memset(ekey, 0x5a, sizeof(ekey));
	for (size_t i = 0; i < sizeof(mac_cases) / sizeof(mac_cases[0]); i++) {
		size_t dl;
		if (mac_cases[i].key)
			memcpy(akey, mac_cases[i].key, mac_cases[i].keylen);
		else
			for (size_t k = 0; k < mac_cases[i].keylen; k++)
				akey[k] = mac_cases[i].keyb ? mac_cases[i].keyb : (uint8_t)(k + 1);
		if (mac_cases[i].data) {
			dl = strlen(mac_cases[i].data);
			memcpy(data, mac_cases[i].data, dl);
		} else {
			dl = mac_cases[i].datalen;
			memset(data, mac_cases[i].datab, dl);
		}
		struct xform *x = xform_new(ENCR_3DES, 0, mac_cases[i].integ, ekey, akey);
		size_t il = x ? xform_icv_len(x) : 0;
		snprintf(name, sizeof(name), "%s icv", mac_cases[i].name);
		CHECK(name, x && il == strlen(mac_cases[i].icv) / 2 &&
		            xform_seal_iv(x, data, dl - 8, data + dl - 8, empty, 0, icv) == 0 &&
		            check_hex_eq(icv, il, mac_cases[i].icv));
		snprintf(name, sizeof(name), "%s verify", mac_cases[i].name);
		CHECK(name, x && xform_open(x, data, dl - 8, data + dl - 8, empty, 0, icv) == 0);
		icv[il ? il - 1 : 0] ^= 0x80;
		snprintf(name, sizeof(name), "%s verify tampered", mac_cases[i].name);
		CHECK(name, x && xform_open(x, data, dl - 8, data + dl - 8, empty, 0, icv) != 0);
		xform_free(x);
	}
}

/* The Galois/Counter Mode of Operation (McGrew & Viega, revised 2005),
 * test cases 4 (AES-128), 10 (AES-192), 16 (AES-256): 12-byte IV
 * cafebabefacedbaddecaf888 = RFC 4106 salt cafebabe | IV facedbaddecaf888. */
#define GCM_P "d9313225f88406e5a55909c5aff5269a86a7a9531534f7da2e4c303d8a318a72" \
              "1c3c0c95956809532fcf0e2449a6b525b16aedf5aa0de657ba637b39"
#define GCM_A "feedfacedeadbeeffeedfacedeadbeefabaddad2"
static const struct { const char *name; uint16_t bits; const char *key, *ct, *tag; } gcm_cases[] = {
	{ "gcm tc4", 128, "feffe9928665731c6d6a8f9467308308",
	  "42831ec2217774244b7221b784d0d49ce3aa212f2c02a4e035c17e2329aca12e"
	  "21d514b25466931c7d8f6a5aac84aa051ba30b396a0aac973d58e091",
	  "5bc94fbc3221a5db94fae95ae7121a47" },
	{ "gcm tc10", 192, "feffe9928665731c6d6a8f9467308308feffe9928665731c",
	  "3980ca0b3c00e841eb06fac4872a2757859e1ceaa6efd984628593b40ca1e19c"
	  "7d773d00c144c525ac619d18c84a3f4718e2448b2fe324d9ccda2710",
	  "2519498e80f1478f37ba55bd6d27618c" },
	{ "gcm tc16", 256, "feffe9928665731c6d6a8f9467308308feffe9928665731c6d6a8f9467308308",
	  "522dc1f099567d07f47f37a32a84427d643a8cdcbfe5c0c97598a2bd2555d1aa"
	  "8cb08e48590dbb3da7b08b1056828838c5f61e6393ba7a0abcc9f662",
	  "76fc6ece0f4e1768cddf8853bb2d551b" },
};

static void test_gcm_kat(void)
{
	uint8_t ekey[36], iv[8], pt[60], aad[20], buf[60], icv[16];
	static const uint16_t ids[] = { ENCR_AES_GCM_8, ENCR_AES_GCM_12, ENCR_AES_GCM_16 };
	char name[80];

	check_unhex(GCM_P, pt);
	check_unhex(GCM_A, aad);
	check_unhex("facedbaddecaf888", iv);
	for (size_t i = 0; i < sizeof(gcm_cases) / sizeof(gcm_cases[0]); i++) {
		size_t kl = check_unhex(gcm_cases[i].key, ekey);
		check_unhex("cafebabe", ekey + kl); /* key | salt, RFC 4106 §8.1 */
		for (size_t j = 0; j < 3; j++) {
			struct xform *x = xform_new(ids[j], gcm_cases[i].bits, AUTH_NONE, ekey, NULL);
			size_t il = x ? xform_icv_len(x) : 0;
			memcpy(buf, pt, sizeof(pt));
			snprintf(name, sizeof(name), "%s icv%zu seal", gcm_cases[i].name, il);
			/* a truncated tag is the leading part of the full one */
			CHECK(name, x && il == 8 + 4 * j &&
			            xform_seal_iv(x, aad, sizeof(aad), iv, buf, sizeof(buf), icv) == 0 &&
			            check_hex_eq(buf, sizeof(buf), gcm_cases[i].ct));
			uint8_t want[16];
			check_unhex(gcm_cases[i].tag, want);
			snprintf(name, sizeof(name), "%s icv%zu tag", gcm_cases[i].name, il);
			CHECK(name, x && memcmp(icv, want, il) == 0);
			snprintf(name, sizeof(name), "%s icv%zu open", gcm_cases[i].name, il);
			CHECK(name, x && xform_open(x, aad, sizeof(aad), iv, buf, sizeof(buf), icv) == 0 &&
			            memcmp(buf, pt, sizeof(pt)) == 0);
			xform_free(x);
		}
	}
}

static void test_chacha_kat(void)
{
	/* RFC 7539 §2.8.2 AEAD_CHACHA20_POLY1305 example; RFC 7634 §2
	 * builds the nonce the same way: salt (the "constant") | IV */
	uint8_t ekey[36], iv[8], aad[12], buf[114], icv[16];
	const char *pt = "Ladies and Gentlemen of the class of '99: If I could offer you "
	                 "only one tip for the future, sunscreen would be it.";

	for (int i = 0; i < 32; i++)
		ekey[i] = (uint8_t)(0x80 + i);
	check_unhex("07000000", ekey + 32);
	check_unhex("4041424344454647", iv);
	check_unhex("50515253c0c1c2c3c4c5c6c7", aad);
	memcpy(buf, pt, sizeof(buf));
	struct xform *x = xform_new(ENCR_CHACHA20_POLY1305, 0, AUTH_NONE, ekey, NULL);
	CHECK("chacha20-poly1305 new", x && xform_iv_len(x) == 8 && xform_icv_len(x) == 16 &&
	      xform_block_len(x) == 4);
	if (!x)
		return;
	CHECK("chacha20-poly1305 rfc7539 2.8.2 seal",
	      xform_seal_iv(x, aad, sizeof(aad), iv, buf, sizeof(buf), icv) == 0 &&
	      check_hex_eq(buf, sizeof(buf),
	        "d31a8d34648e60db7b86afbc53ef7ec2a4aded51296e08fea9e2b5a736ee62d6"
	        "3dbea45e8ca9671282fafb69da92728b1a71de0a9e060b2905d6a5b67ecd3b36"
	        "92ddbd7f2d778b8c9803aee328091b58fab324e4fad675945585808b4831d7bc"
	        "3ff4def08e4b7a9de576d26586cec64b6116") &&
	      check_hex_eq(icv, 16, "1ae10b594f09e26a7e902ecbd0600691"));
	CHECK("chacha20-poly1305 rfc7539 2.8.2 open",
	      xform_open(x, aad, sizeof(aad), iv, buf, sizeof(buf), icv) == 0 &&
	      memcmp(buf, pt, sizeof(buf)) == 0);
	xform_free(x);
}

struct combo { uint16_t encr, bits, integ; size_t iv, block, icv; };

static const struct combo combos[] = {
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA1_96, 16, 16, 12 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_256_128, 16, 16, 16 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_384_192, 16, 16, 24 },
	{ ENCR_AES_CBC, 128, AUTH_HMAC_SHA2_512_256, 16, 16, 32 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA1_96, 16, 16, 12 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_256_128, 16, 16, 16 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_384_192, 16, 16, 24 },
	{ ENCR_AES_CBC, 192, AUTH_HMAC_SHA2_512_256, 16, 16, 32 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA1_96, 16, 16, 12 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128, 16, 16, 16 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_384_192, 16, 16, 24 },
	{ ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_512_256, 16, 16, 32 },
	{ ENCR_3DES, 0, AUTH_HMAC_SHA1_96, 8, 8, 12 },
	{ ENCR_3DES, 0, AUTH_HMAC_SHA2_256_128, 8, 8, 16 },
	{ ENCR_3DES, 0, AUTH_HMAC_SHA2_384_192, 8, 8, 24 },
	{ ENCR_3DES, 0, AUTH_HMAC_SHA2_512_256, 8, 8, 32 },
	{ ENCR_AES_GCM_8, 128, AUTH_NONE, 8, 4, 8 },
	{ ENCR_AES_GCM_8, 192, AUTH_NONE, 8, 4, 8 },
	{ ENCR_AES_GCM_8, 256, AUTH_NONE, 8, 4, 8 },
	{ ENCR_AES_GCM_12, 128, AUTH_NONE, 8, 4, 12 },
	{ ENCR_AES_GCM_12, 192, AUTH_NONE, 8, 4, 12 },
	{ ENCR_AES_GCM_12, 256, AUTH_NONE, 8, 4, 12 },
	{ ENCR_AES_GCM_16, 128, AUTH_NONE, 8, 4, 16 },
	{ ENCR_AES_GCM_16, 192, AUTH_NONE, 8, 4, 16 },
	{ ENCR_AES_GCM_16, 256, AUTH_NONE, 8, 4, 16 },
	{ ENCR_CHACHA20_POLY1305, 0, AUTH_NONE, 8, 4, 16 },
};

static void test_combo(const struct combo *c)
{
	uint8_t ekey[64], akey[64], prefix[8], iv[16], iv2[16], pt[96], buf[96], icv[32], t[96];
	size_t len = 96; /* a multiple of 16, 8 and 4 */
	char name[96], tag[48];
	struct xform *s = NULL, *o = NULL;

	snprintf(tag, sizeof(tag), "e%u/%u/i%u", c->encr, c->bits, c->integ);
	RAND_bytes(ekey, sizeof(ekey));
	RAND_bytes(akey, sizeof(akey));
	RAND_bytes(prefix, sizeof(prefix));
	RAND_bytes(pt, sizeof(pt));
	snprintf(name, sizeof(name), "%s supported", tag);
	CHECK(name, xform_supported(c->encr, c->bits, c->integ) &&
	            xform_is_aead(c->encr) == (c->integ == AUTH_NONE));
	s = xform_new(c->encr, c->bits, c->integ, ekey, akey);
	o = xform_new(c->encr, c->bits, c->integ, ekey, akey);
	snprintf(name, sizeof(name), "%s new + lengths", tag);
	CHECK(name, s && o && xform_iv_len(s) == c->iv && xform_block_len(s) == c->block &&
	            xform_icv_len(s) == c->icv);
	if (!s || !o)
		goto out;

	for (int round = 0; round < 3; round++) {
		memcpy(buf, pt, len);
		snprintf(name, sizeof(name), "%s round %d seal", tag, round);
		CHECK(name, xform_seal(s, prefix, sizeof(prefix), iv, buf, len, icv) == 0 &&
		            memcmp(buf, pt, len) != 0);
		memcpy(t, buf, len);
		snprintf(name, sizeof(name), "%s round %d open", tag, round);
		CHECK(name, xform_open(o, prefix, sizeof(prefix), iv, t, len, icv) == 0 &&
		            memcmp(t, pt, len) == 0);
	}

	/* tampering anywhere fails: prefix, IV, ciphertext, ICV */
	memcpy(buf, pt, len);
	xform_seal(s, prefix, sizeof(prefix), iv, buf, len, icv);
	memcpy(t, buf, len);
	prefix[3] ^= 0x04;
	snprintf(name, sizeof(name), "%s tampered prefix", tag);
	CHECK(name, xform_open(o, prefix, sizeof(prefix), iv, t, len, icv) != 0);
	prefix[3] ^= 0x04;
	memcpy(t, buf, len);
	iv[c->iv - 1] ^= 0x01;
	snprintf(name, sizeof(name), "%s tampered iv", tag);
	CHECK(name, xform_open(o, prefix, sizeof(prefix), iv, t, len, icv) != 0);
	iv[c->iv - 1] ^= 0x01;
	memcpy(t, buf, len);
	t[40] ^= 0x20;
	snprintf(name, sizeof(name), "%s tampered ciphertext", tag);
	CHECK(name, xform_open(o, prefix, sizeof(prefix), iv, t, len, icv) != 0);
	memcpy(t, buf, len);
	icv[0] ^= 0x01;
	snprintf(name, sizeof(name), "%s tampered icv", tag);
	CHECK(name, xform_open(o, prefix, sizeof(prefix), iv, t, len, icv) != 0);
	icv[0] ^= 0x01;
	memcpy(t, buf, len);
	snprintf(name, sizeof(name), "%s untampered after failures", tag);
	CHECK(name, xform_open(o, prefix, sizeof(prefix), iv, t, len, icv) == 0 &&
	            memcmp(t, pt, len) == 0);

	/* IVs: AEAD counts up by one, CBC is random */
	memcpy(buf, pt, len);
	xform_seal(s, prefix, sizeof(prefix), iv, buf, len, icv);
	memcpy(buf, pt, len);
	xform_seal(s, prefix, sizeof(prefix), iv2, buf, len, icv);
	snprintf(name, sizeof(name), "%s fresh iv", tag);
	if (c->integ == AUTH_NONE) {
		uint64_t a = 0, b = 0;
		for (int i = 0; i < 8; i++) {
			a = a << 8 | iv[i];
			b = b << 8 | iv2[i];
		}
		CHECK(name, b == a + 1);
	} else {
		CHECK(name, memcmp(iv, iv2, c->iv) != 0);
	}

	/* a key made of other bytes does not open it */
	ekey[0] ^= 1;
	akey[0] ^= 1;
	struct xform *w = xform_new(c->encr, c->bits, c->integ, ekey, akey);
	memcpy(t, buf, len);
	snprintf(name, sizeof(name), "%s wrong key", tag);
	CHECK(name, w && xform_open(w, prefix, sizeof(prefix), iv2, t, len, icv) != 0);
	xform_free(w);

	/* length rules */
	if (c->integ != AUTH_NONE) {
		snprintf(name, sizeof(name), "%s partial block rejected", tag);
		CHECK(name, xform_seal(s, prefix, sizeof(prefix), iv, buf, len - 4, icv) != 0 &&
		            xform_open(o, prefix, sizeof(prefix), iv, buf, len - 4, icv) != 0);
	}

	/* the per-packet path allocates nothing */
	size_t before = n_alloc;
	for (int i = 0; i < 10; i++) {
		memcpy(buf, pt, len);
		xform_seal(s, prefix, sizeof(prefix), iv, buf, len, icv);
		xform_open(o, prefix, sizeof(prefix), iv, buf, len, icv);
	}
	snprintf(name, sizeof(name), "%s no allocation per packet (%zu)", tag, n_alloc - before);
	CHECK(name, n_alloc == before);
out:
	xform_free(s);
	xform_free(o);
}

static void test_queries(void)
{
	CHECK("keylen aes-cbc-128", xform_encr_keylen(ENCR_AES_CBC, 128) == 16);
	CHECK("keylen aes-cbc-256", xform_encr_keylen(ENCR_AES_CBC, 256) == 32);
	CHECK("keylen 3des", xform_encr_keylen(ENCR_3DES, 0) == 24);
	CHECK("keylen gcm-128 (key|salt)", xform_encr_keylen(ENCR_AES_GCM_16, 128) == 20);
	CHECK("keylen gcm-256 (key|salt)", xform_encr_keylen(ENCR_AES_GCM_8, 256) == 36);
	CHECK("keylen chacha (key|salt)", xform_encr_keylen(ENCR_CHACHA20_POLY1305, 0) == 36);
	CHECK("integ keylens", xform_integ_keylen(AUTH_HMAC_SHA1_96) == 20 &&
	      xform_integ_keylen(AUTH_HMAC_SHA2_256_128) == 32 &&
	      xform_integ_keylen(AUTH_HMAC_SHA2_384_192) == 48 &&
	      xform_integ_keylen(AUTH_HMAC_SHA2_512_256) == 64 &&
	      xform_integ_keylen(AUTH_NONE) == 0);
	CHECK("unsupported: aes-cbc 100 bits", !xform_supported(ENCR_AES_CBC, 100, AUTH_HMAC_SHA1_96));
	CHECK("unsupported: cbc without integ", !xform_supported(ENCR_AES_CBC, 128, AUTH_NONE));
	CHECK("unsupported: gcm with integ", !xform_supported(ENCR_AES_GCM_16, 128, AUTH_HMAC_SHA1_96));
	CHECK("unsupported: gcm without keybits", !xform_supported(ENCR_AES_GCM_16, 0, AUTH_NONE));
	CHECK("unsupported: des", !xform_supported(2, 0, AUTH_HMAC_SHA1_96));
	CHECK("unsupported: unknown integ", !xform_supported(ENCR_AES_CBC, 128, 5));
	CHECK("new refuses unsupported",
	      xform_new(ENCR_AES_CBC, 128, AUTH_NONE, (uint8_t[16]){0}, NULL) == NULL);
	xform_free(NULL);
}

int main(void)
{
	CRYPTO_set_mem_functions(count_malloc, count_realloc, count_free);
	test_queries();
	test_cbc_kat();
	test_mac_kat();
	test_gcm_kat();
	test_chacha_kat();
	for (size_t i = 0; i < sizeof(combos) / sizeof(combos[0]); i++)
		test_combo(&combos[i]);
	CHECK_DONE();
}
