/* DH/ECDH groups: agreement for every group, known answers (RFC 7748,
 * RFC 5903), rejection of bad public values. */
#include <string.h>

#include "crypto/algs.h"
#include "crypto/dh.h"
#include "tests/unit/check.h"

static const struct { uint16_t id; size_t pub, sec; const char *name; } groups[] = {
	{ MODP_1024, 128, 128, "modp1024" },
	{ MODP_1536, 192, 192, "modp1536" },
	{ MODP_2048, 256, 256, "modp2048" },
	{ MODP_3072, 384, 384, "modp3072" },
	{ MODP_4096, 512, 512, "modp4096" },
	{ MODP_6144, 768, 768, "modp6144" },
	{ MODP_8192, 1024, 1024, "modp8192" },
	{ ECP_256, 64, 32, "ecp256" },
	{ ECP_384, 96, 48, "ecp384" },
	{ ECP_521, 132, 66, "ecp521" },
	{ CURVE_25519, 32, 32, "x25519" },
};

static void test_agreement(uint16_t id, size_t publen, size_t seclen, const char *gname)
{
	struct dh *a = dh_new(id), *b = dh_new(id);
	uint8_t pa[1024], pb[1024], sa[1024], sb[1024];
	char name[80];

	snprintf(name, sizeof(name), "%s lengths", gname);
	CHECK(name, dh_supported(id) && dh_pub_len(id) == publen && dh_secret_len(id) == seclen);
	snprintf(name, sizeof(name), "%s new", gname);
	CHECK(name, a && b && dh_group(a) == id);
	if (!a || !b)
		goto out;
	snprintf(name, sizeof(name), "%s public", gname);
	CHECK(name, dh_public(a, pa, publen) == 0 && dh_public(b, pb, publen) == 0 &&
	            memcmp(pa, pb, publen) != 0);
	snprintf(name, sizeof(name), "%s public wrong len", gname);
	CHECK(name, dh_public(a, pa, publen + 1) != 0);
	memset(sa, 0x11, sizeof(sa));
	memset(sb, 0x22, sizeof(sb));
	snprintf(name, sizeof(name), "%s shared agrees", gname);
	CHECK(name, dh_shared(a, pb, publen, sa, seclen) == 0 &&
	            dh_shared(b, pa, publen, sb, seclen) == 0 &&
	            memcmp(sa, sb, seclen) == 0);
	snprintf(name, sizeof(name), "%s shared wrong lengths", gname);
	CHECK(name, dh_shared(a, pb, publen - 1, sa, seclen) != 0 &&
	            dh_shared(a, pb, publen, sa, seclen + 1) != 0);
out:
	dh_free(a);
	dh_free(b);
}

static void test_x25519_kat(void)
{
	/* RFC 7748 §6.1 */
	uint8_t apriv[32], bpriv[32], pub[32], peer[32], k[32];
	check_unhex("77076d0a7318a57d3c16c17251b26645df4c2f87ebc0992ab177fba51db92c2a", apriv);
	check_unhex("5dab087e624a8a4b79e17f8b83800ee66f3bb1292618b6fd1c2f8b27ff88e0eb", bpriv);
	struct dh *a = dh_new_from_private(CURVE_25519, apriv, 32);
	struct dh *b = dh_new_from_private(CURVE_25519, bpriv, 32);

	CHECK("x25519 kat import", a && b);
	if (!a || !b)
		goto out;
	CHECK("x25519 kat alice pub", dh_public(a, pub, 32) == 0 && check_hex_eq(pub, 32,
	      "8520f0098930a754748b7ddcb43ef75a0dbf3a0d26381af4eba4a98eaa9b4e6a"));
	CHECK("x25519 kat bob pub", dh_public(b, peer, 32) == 0 && check_hex_eq(peer, 32,
	      "de9edb7d7b7dc1b4d35b61c2ece435373f8343c85b78674dadfc7e146f882b4f"));
	CHECK("x25519 kat shared", dh_shared(a, peer, 32, k, 32) == 0 && check_hex_eq(k, 32,
	      "4a5d9d5ba4ce2de1728e3bf480350f25e07e21c947d19e3376f09b3c1e161742"));
	/* a low-order point (here 0) gives the all-zero secret: reject
	 * (RFC 8031 §2.3, RFC 7748 §6.1) */
	memset(peer, 0, 32);
	CHECK("x25519 zero point rejected", dh_shared(a, peer, 32, k, 32) != 0);
	memset(peer, 0, 32);
	peer[0] = 1; /* u = 1 is of order 1 too */
	CHECK("x25519 u=1 rejected", dh_shared(a, peer, 32, k, 32) != 0);
out:
	dh_free(a);
	dh_free(b);
}

static void test_ecp256_kat(void)
{
	/* RFC 5903 §8.1 */
	uint8_t i[32], r[32], pub[64], peer[64], k[32];
	check_unhex("C88F01F510D9AC3F70A292DAA2316DE544E9AAB8AFE84049C62A9C57862D1433", i);
	check_unhex("C6EF9C5D78AE012A011164ACB397CE2088685D8F06BF9BE0B283AB46476BEE53", r);
	struct dh *a = dh_new_from_private(ECP_256, i, 32);
	struct dh *b = dh_new_from_private(ECP_256, r, 32);

	CHECK("ecp256 kat import", a && b);
	if (!a || !b)
		goto out;
	CHECK("ecp256 kat g^i", dh_public(a, pub, 64) == 0 && check_hex_eq(pub, 64,
	      "DAD0B65394221CF9B051E1FECA5787D098DFE637FC90B9EF945D0C3772581180"
	      "5271A0461CDB8252D61F1C456FA3E59AB1F45B33ACCF5F58389E0577B8990BB3"));
	CHECK("ecp256 kat g^r", dh_public(b, peer, 64) == 0 && check_hex_eq(peer, 64,
	      "D12DFB5289C8D4F81208B70270398C342296970A0BCCB74C736FC7554494BF63"
	      "56FBF3CA366CC23E8157854C13C58D6AAC23F046ADA30F8353E74F33039872AB"));
	CHECK("ecp256 kat g^ir x", dh_shared(a, peer, 64, k, 32) == 0 && check_hex_eq(k, 32,
	      "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"));
	CHECK("ecp256 kat other side", dh_shared(b, pub, 64, k, 32) == 0 && check_hex_eq(k, 32,
	      "D6840F6B42F6EDAFD13116E0E12565202FEF8E9ECE7DCE03812464D04B9442DE"));
	/* a point off the curve: change y */
	peer[63] ^= 1;
	CHECK("ecp256 off-curve rejected", dh_shared(a, peer, 64, k, 32) != 0);
	memset(peer, 0, 64);
	CHECK("ecp256 zero point rejected", dh_shared(a, peer, 64, k, 32) != 0);
out:
	dh_free(a);
	dh_free(b);
}

static void test_modp_ranges(void)
{
	struct dh *a = dh_new(MODP_2048);
	uint8_t y[256], k[256];

	CHECK("modp range new", a != NULL);
	if (!a)
		return;
	memset(y, 0, sizeof(y));
	CHECK("modp y=0 rejected", dh_shared(a, y, 256, k, 256) != 0);
	y[255] = 1;
	CHECK("modp y=1 rejected", dh_shared(a, y, 256, k, 256) != 0);
	memset(y, 0xff, sizeof(y));
	CHECK("modp y=2^2048-1 (> p) rejected", dh_shared(a, y, 256, k, 256) != 0);
	/* the RFC 3526 primes start and end with 64 one bits: p-1 = ...FE */
	y[255] = 0xfe;
	CHECK("modp y=p-1 rejected", dh_shared(a, y, 256, k, 256) != 0);
	memset(y, 0, sizeof(y));
	y[255] = 2;
	CHECK("modp y=2 accepted", dh_shared(a, y, 256, k, 256) == 0);

	/* with y = 2 (= g) the secret is our public value g^x */
	uint8_t pub[256];
	CHECK("modp g^x with y=g", dh_public(a, pub, 256) == 0 && memcmp(pub, k, 256) == 0);
	dh_free(a);
}

static void test_modp_kat(void)
{
	/* small fixed exponents, checked against the definition: 2^1 = 2;
	 * shared = (2^3)^5 = 2^15 = 0x8000, left-padded to 128 bytes */
	uint8_t x1[] = { 3 }, x2[] = { 5 };
	struct dh *a = dh_new_from_private(MODP_1024, x1, 1);
	struct dh *b = dh_new_from_private(MODP_1024, x2, 1);
	uint8_t pa[128], pb[128], k[128], want[128];

	CHECK("modp1024 fixed import", a && b);
	if (!a || !b)
		goto out;
	memset(want, 0, sizeof(want));
	want[127] = 8;
	CHECK("modp1024 fixed pub 2^3", dh_public(a, pa, 128) == 0 && memcmp(pa, want, 128) == 0);
	dh_public(b, pb, 128);
	want[127] = 0;
	want[126] = 0x80;
	CHECK("modp1024 fixed shared 2^15 padded",
	      dh_shared(a, pb, 128, k, 128) == 0 && memcmp(k, want, 128) == 0);
out:
	dh_free(a);
	dh_free(b);
}

int main(void)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		test_agreement(groups[i].id, groups[i].pub, groups[i].sec, groups[i].name);
	CHECK("unsupported group", !dh_supported(1) && dh_pub_len(22) == 0 &&
	      dh_secret_len(0) == 0 && dh_new(22) == NULL);
	dh_free(NULL);
	test_x25519_kat();
	test_ecp256_kat();
	test_modp_ranges();
	test_modp_kat();
	CHECK_DONE();
}
