/* PRF known answers (RFC 2202, RFC 4231) and prf+ (RFC 7296 §2.13). */
#include <string.h>

#include "crypto/algs.h"
#include "crypto/prf.h"
#include "tests/unit/check.h"

struct hmac_case {
	const char *name;
	uint16_t prf;
	uint8_t keybyte;   /* key = keylen bytes of keybyte, or 01 02 .. if 0 */
	size_t keylen;
	const char *keystr; /* overrides the above when set */
	const char *data;   /* text data, or NULL for databyte * datalen */
	uint8_t databyte;
	size_t datalen;
	const char *hex;
};

#define TC6 "Test Using Larger Than Block-Size Key - Hash Key First"
#define TC7 "This is a test using a larger than block-size key and a larger " \
            "than block-size data. The key needs to be hashed before being " \
            "used by the HMAC algorithm."

static const struct hmac_case cases[] = {
	/* RFC 2202 §3, HMAC-SHA-1 test cases 1-7 */
	{ "sha1 tc1", PRF_HMAC_SHA1, 0x0b, 20, NULL, "Hi There", 0, 0,
	  "b617318655057264e28bc0b6fb378c8ef146be00" },
	{ "sha1 tc2", PRF_HMAC_SHA1, 0, 0, "Jefe", "what do ya want for nothing?", 0, 0,
	  "effcdf6ae5eb2fa2d27416d5f184df9c259a7c79" },
	{ "sha1 tc3", PRF_HMAC_SHA1, 0xaa, 20, NULL, NULL, 0xdd, 50,
	  "125d7342b9ac11cd91a39af48aa17b4f63f175d3" },
	{ "sha1 tc4", PRF_HMAC_SHA1, 0, 25, NULL, NULL, 0xcd, 50,
	  "4c9007f4026250c6bc8414f9bf50c86c2d7235da" },
	{ "sha1 tc5", PRF_HMAC_SHA1, 0x0c, 20, NULL, "Test With Truncation", 0, 0,
	  "4c1a03424b55e07fe7f27be1d58bb9324a9a5a04" },
	{ "sha1 tc6", PRF_HMAC_SHA1, 0xaa, 80, NULL, TC6, 0, 0,
	  "aa4ae5e15272d00e95705637ce8a3b55ed402112" },
	{ "sha1 tc7", PRF_HMAC_SHA1, 0xaa, 80, NULL,
	  "Test Using Larger Than Block-Size Key and Larger Than One Block-Size Data", 0, 0,
	  "e8e99d0f45237d786d6bbaa7965c7808bbff1a91" },

	/* RFC 4231 §4.2, test case 1 */
	{ "sha256 tc1", PRF_HMAC_SHA2_256, 0x0b, 20, NULL, "Hi There", 0, 0,
	  "b0344c61d8db38535ca8afceaf0bf12b881dc200c9833da726e9376c2e32cff7" },
	{ "sha384 tc1", PRF_HMAC_SHA2_384, 0x0b, 20, NULL, "Hi There", 0, 0,
	  "afd03944d84895626b0825f4ab46907f15f9dadbe4101ec682aa034c7cebc59c"
	  "faea9ea9076ede7f4af152e8b2fa9cb6" },
	{ "sha512 tc1", PRF_HMAC_SHA2_512, 0x0b, 20, NULL, "Hi There", 0, 0,
	  "87aa7cdea5ef619d4ff0b4241a1d6cb02379f4e2ce4ec2787ad0b30545e17cde"
	  "daa833b7d6b8a702038b274eaea3f4e4be9d914eeb61f1702e696c203a126854" },
	/* RFC 4231 §4.3, test case 2 */
	{ "sha256 tc2", PRF_HMAC_SHA2_256, 0, 0, "Jefe", "what do ya want for nothing?", 0, 0,
	  "5bdcc146bf60754e6a042426089575c75a003f089d2739839dec58b964ec3843" },
	{ "sha384 tc2", PRF_HMAC_SHA2_384, 0, 0, "Jefe", "what do ya want for nothing?", 0, 0,
	  "af45d2e376484031617f78d2b58a6b1b9c7ef464f5a01b47e42ec3736322445e"
	  "8e2240ca5e69e2c78b3239ecfab21649" },
	{ "sha512 tc2", PRF_HMAC_SHA2_512, 0, 0, "Jefe", "what do ya want for nothing?", 0, 0,
	  "164b7a7bfcf819e2e395fbe73b56e0a387bd64222e831fd610270cd7ea250554"
	  "9758bf75c05a994a6d034f65f8f0e6fdcaeab1a34d4a6b4b636e070a38bce737" },
	/* RFC 4231 §4.4, test case 3 */
	{ "sha256 tc3", PRF_HMAC_SHA2_256, 0xaa, 20, NULL, NULL, 0xdd, 50,
	  "773ea91e36800e46854db8ebd09181a72959098b3ef8c122d9635514ced565fe" },
	{ "sha384 tc3", PRF_HMAC_SHA2_384, 0xaa, 20, NULL, NULL, 0xdd, 50,
	  "88062608d3e6ad8a0aa2ace014c8a86f0aa635d947ac9febe83ef4e55966144b"
	  "2a5ab39dc13814b94e3ab6e101a34f27" },
	{ "sha512 tc3", PRF_HMAC_SHA2_512, 0xaa, 20, NULL, NULL, 0xdd, 50,
	  "fa73b0089d56a284efb0f0756c890be9b1b5dbdd8ee81a3655f83e33b2279d39"
	  "bf3e848279a722c806b485a47e67c807b946a337bee8942674278859e13292fb" },
	/* RFC 4231 §4.5, test case 4 (key 0x01..0x19) */
	{ "sha256 tc4", PRF_HMAC_SHA2_256, 0, 25, NULL, NULL, 0xcd, 50,
	  "82558a389a443c0ea4cc819899f2083a85f0faa3e578f8077a2e3ff46729665b" },
	{ "sha384 tc4", PRF_HMAC_SHA2_384, 0, 25, NULL, NULL, 0xcd, 50,
	  "3e8a69b7783c25851933ab6290af6ca77a9981480850009cc5577c6e1f573b4e"
	  "6801dd23c4a7d679ccf8a386c674cffb" },
	{ "sha512 tc4", PRF_HMAC_SHA2_512, 0, 25, NULL, NULL, 0xcd, 50,
	  "b0ba465637458c6990e5a8c5f61d4af7e576d97ff94b872de76f8050361ee3db"
	  "a91ca5c11aa25eb4d679275cc5788063a5f19741120c4f2de2adebeb10a298dd" },
	/* RFC 4231 §4.7, test case 6 (131-byte key) */
	{ "sha256 tc6", PRF_HMAC_SHA2_256, 0xaa, 131, NULL, TC6, 0, 0,
	  "60e431591ee0b67f0d8a26aacbf5b77f8e0bc6213728c5140546040f0ee37f54" },
	{ "sha384 tc6", PRF_HMAC_SHA2_384, 0xaa, 131, NULL, TC6, 0, 0,
	  "4ece084485813e9088d2c63a041bc5b44f9ef1012a2b588f3cd11f05033ac4c6"
	  "0c2ef6ab4030fe8296248df163f44952" },
	{ "sha512 tc6", PRF_HMAC_SHA2_512, 0xaa, 131, NULL, TC6, 0, 0,
	  "80b24263c7c1a3ebb71493c1dd7be8b49b46d1f41b4aeec1121b013783f8f352"
	  "6b56d037e05f2598bd0fd2215d6a1e5295e64f73f63f0aec8b915a985d786598" },
	/* RFC 4231 §4.8, test case 7 */
	{ "sha256 tc7", PRF_HMAC_SHA2_256, 0xaa, 131, NULL, TC7, 0, 0,
	  "9b09ffa71b942fcb27635fbcd5b0e944bfdc63644f0713938a7f51535c3a35e2" },
	{ "sha384 tc7", PRF_HMAC_SHA2_384, 0xaa, 131, NULL, TC7, 0, 0,
	  "6617178e941f020d351e2f254e8fd32c602420feb0b8fb9adccebb82461e99c5"
	  "a678cc31e799176d3860e6110c46523e" },
	{ "sha512 tc7", PRF_HMAC_SHA2_512, 0xaa, 131, NULL, TC7, 0, 0,
	  "e37b6a775dc87dbaa4dfa9f96e5e3ffddebd71f8867289865df5a32d20cdc944"
	  "b6022cac3c4982b10d5eeb55c3e4de15134676fb6de0446065c97440fa8c6a58" },
};

static void run_case(const struct hmac_case *c)
{
	uint8_t key[200], data[200], out[PRF_MAX_OUT];
	size_t keylen, datalen;
	char name[64];

	if (c->keystr) {
		keylen = strlen(c->keystr);
		memcpy(key, c->keystr, keylen);
	} else {
		keylen = c->keylen;
		for (size_t i = 0; i < keylen; i++)
			key[i] = c->keybyte ? c->keybyte : (uint8_t)(i + 1);
	}
	if (c->data) {
		datalen = strlen(c->data);
		memcpy(data, c->data, datalen);
	} else {
		datalen = c->datalen;
		memset(data, c->databyte, datalen);
	}

	/* in one piece */
	struct prf_piece one = { data, datalen };
	memset(out, 0, sizeof(out));
	snprintf(name, sizeof(name), "hmac %s", c->name);
	CHECK(name, prf_compute(c->prf, key, keylen, &one, 1, out) == 0 &&
	            check_hex_eq(out, prf_out_len(c->prf), c->hex));

	/* split into three pieces, one of them empty */
	struct prf_piece three[3] = {
		{ data, datalen / 3 }, { data + datalen / 3, 0 },
		{ data + datalen / 3, datalen - datalen / 3 },
	};
	memset(out, 0, sizeof(out));
	snprintf(name, sizeof(name), "hmac %s pieces", c->name);
	CHECK(name, prf_compute(c->prf, key, keylen, three, 3, out) == 0 &&
	            check_hex_eq(out, prf_out_len(c->prf), c->hex));
}

/* prf+ computed the obvious way, T1..Tn each by prf_compute */
static void prf_plus_ref(uint16_t prf, const uint8_t *key, size_t keylen,
                         const uint8_t *seed, size_t seedlen,
                         uint8_t *out, size_t outlen)
{
	size_t h = prf_out_len(prf);
	uint8_t all[255 * PRF_MAX_OUT];
	uint8_t buf[PRF_MAX_OUT + 300];
	size_t n = (outlen + h - 1) / h;

	for (size_t i = 1; i <= n; i++) {
		size_t bl = 0;
		if (i > 1) {
			memcpy(buf, all + (i - 2) * h, h);
			bl = h;
		}
		memcpy(buf + bl, seed, seedlen);
		bl += seedlen;
		buf[bl++] = (uint8_t)i;
		struct prf_piece p = { buf, bl };
		prf_compute(prf, key, keylen, &p, 1, all + (i - 1) * h);
	}
	memcpy(out, all, outlen);
}

static void test_prf_plus(uint16_t prf, const char *pname)
{
	uint8_t key[48], seed[100];
	static uint8_t got[255 * PRF_MAX_OUT + 1], want[255 * PRF_MAX_OUT];
	size_t h = prf_out_len(prf);
	size_t lens[] = { 1, h - 1, h, h + 1, 3 * h + 7, 255 * h };
	char name[80];

	for (size_t i = 0; i < sizeof(key); i++)
		key[i] = (uint8_t)(0x40 + i);
	for (size_t i = 0; i < sizeof(seed); i++)
		seed[i] = (uint8_t)(i * 7);

	for (size_t i = 0; i < sizeof(lens) / sizeof(lens[0]); i++) {
		memset(got, 0xee, sizeof(got));
		prf_plus_ref(prf, key, sizeof(key), seed, sizeof(seed), want, lens[i]);
		snprintf(name, sizeof(name), "prf+ %s len %zu", pname, lens[i]);
		CHECK(name, prf_plus(prf, key, sizeof(key), seed, sizeof(seed), got, lens[i]) == 0 &&
		            memcmp(got, want, lens[i]) == 0 && got[lens[i]] == 0xee);
	}
	snprintf(name, sizeof(name), "prf+ %s over limit", pname);
	CHECK(name, prf_plus(prf, key, sizeof(key), seed, sizeof(seed), got, 255 * h + 1) != 0);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
		run_case(&cases[i]);

	CHECK("out len sha1", prf_out_len(PRF_HMAC_SHA1) == 20);
	CHECK("out len sha256", prf_out_len(PRF_HMAC_SHA2_256) == 32);
	CHECK("out len sha384", prf_out_len(PRF_HMAC_SHA2_384) == 48);
	CHECK("out len sha512", prf_out_len(PRF_HMAC_SHA2_512) == 64);
	CHECK("unsupported prf", !prf_supported(1) && prf_out_len(1) == 0);

	uint8_t out[PRF_MAX_OUT];
	struct prf_piece p = { (const uint8_t *)"x", 1 };
	CHECK("compute unsupported", prf_compute(4, (const uint8_t *)"k", 1, &p, 1, out) != 0);

	test_prf_plus(PRF_HMAC_SHA1, "sha1");
	test_prf_plus(PRF_HMAC_SHA2_256, "sha256");
	test_prf_plus(PRF_HMAC_SHA2_384, "sha384");
	test_prf_plus(PRF_HMAC_SHA2_512, "sha512");

	/* T1 of prf+ is prf(K, S | 0x01) (RFC 7296 §2.13) */
	uint8_t t1[32], direct[32];
	uint8_t s1[] = { 's', 'e', 'e', 'd', 0x01 };
	struct prf_piece ps = { s1, sizeof(s1) };
	prf_compute(PRF_HMAC_SHA2_256, (const uint8_t *)"key", 3, &ps, 1, direct);
	CHECK("prf+ T1 definition",
	      prf_plus(PRF_HMAC_SHA2_256, (const uint8_t *)"key", 3, s1, 4, t1, 32) == 0 &&
	      memcmp(t1, direct, 32) == 0);
	CHECK_DONE();
}
