/* MS-CHAPv2 (RFC 2759) and the MPPE keys of RFC 3079 §3.4, turned into
 * the EAP-MSCHAPv2 MSK.
 *
 * MD4 and single DES live in OpenSSL 3's "legacy" provider, which is not
 * always installed or loadable (containers, FIPS setups). So MD4 is
 * written out here from RFC 1320 (it is only ever applied to password
 * hashes), and single DES is 3DES-EDE with K1 = K2 = K3 from the default
 * provider: E(K, D(K, E(K, x))) = E(K, x). */
#include "crypto/mschap.h"

#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#define MAX_PASSWORD_UNITS 256 /* RFC 2759: passwords up to 256 characters */

/* ---- MD4, RFC 1320 ---- */

struct md4 {
	uint32_t h[4];
	uint64_t len;      /* bytes so far */
	uint8_t buf[64];
	size_t used;
};

static uint32_t rol(uint32_t x, int s)
{
	return (x << s) | (x >> (32 - s));
}

static void md4_block(uint32_t h[4], const uint8_t p[64])
{
	/* RFC 1320 §3.4: word order, rounds and shift amounts */
	static const uint8_t k2[16] = { 0, 4, 8, 12, 1, 5, 9, 13, 2, 6, 10, 14, 3, 7, 11, 15 };
	static const uint8_t k3[16] = { 0, 8, 4, 12, 2, 10, 6, 14, 1, 9, 5, 13, 3, 11, 7, 15 };
	static const uint8_t s1[4] = { 3, 7, 11, 19 }, s2[4] = { 3, 5, 9, 13 },
	                     s3[4] = { 3, 9, 11, 15 };
	uint32_t x[16], v[4] = { h[0], h[1], h[2], h[3] };

	for (int i = 0; i < 16; i++)
		x[i] = (uint32_t)p[4 * i] | (uint32_t)p[4 * i + 1] << 8 |
		       (uint32_t)p[4 * i + 2] << 16 | (uint32_t)p[4 * i + 3] << 24;
	/* step i updates word (4 - i % 4) % 4 of (a, b, c, d) using the
	 * next three in rotation: a from (b,c,d), then d from (a,b,c)... */
	for (int i = 0; i < 16; i++) {
		int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
		uint32_t f = (v[b] & v[c]) | (~v[b] & v[d]);
		v[a] = rol(v[a] + f + x[i], s1[i % 4]);
	}
	for (int i = 0; i < 16; i++) {
		int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
		uint32_t g = (v[b] & v[c]) | (v[b] & v[d]) | (v[c] & v[d]);
		v[a] = rol(v[a] + g + x[k2[i]] + 0x5A827999u, s2[i % 4]);
	}
	for (int i = 0; i < 16; i++) {
		int a = (4 - i % 4) % 4, b = (a + 1) % 4, c = (a + 2) % 4, d = (a + 3) % 4;
		uint32_t hh = v[b] ^ v[c] ^ v[d];
		v[a] = rol(v[a] + hh + x[k3[i]] + 0x6ED9EBA1u, s3[i % 4]);
	}
	for (int i = 0; i < 4; i++)
		h[i] += v[i];
	OPENSSL_cleanse(x, sizeof(x));
	OPENSSL_cleanse(v, sizeof(v));
}

static void md4_init(struct md4 *m)
{
	m->h[0] = 0x67452301u;
	m->h[1] = 0xefcdab89u;
	m->h[2] = 0x98badcfeu;
	m->h[3] = 0x10325476u;
	m->len = 0;
	m->used = 0;
}

static void md4_update(struct md4 *m, const uint8_t *p, size_t n)
{
	m->len += n;
	while (n > 0) {
		size_t take = 64 - m->used < n ? 64 - m->used : n;
		memcpy(m->buf + m->used, p, take);
		m->used += take;
		p += take;
		n -= take;
		if (m->used == 64) {
			md4_block(m->h, m->buf);
			m->used = 0;
		}
	}
}

static void md4_final(struct md4 *m, uint8_t out[16])
{
	uint64_t bits = m->len * 8;
	uint8_t pad[72] = { 0x80 };
	size_t padlen = (m->used < 56 ? 56 : 120) - m->used;

	for (int i = 0; i < 8; i++)
		pad[padlen + i] = (uint8_t)(bits >> (8 * i));
	md4_update(m, pad, padlen + 8);
	for (int i = 0; i < 4; i++)
		for (int j = 0; j < 4; j++)
			out[4 * i + j] = (uint8_t)(m->h[i] >> (8 * j));
	OPENSSL_cleanse(m, sizeof(*m));
}

static void md4(const uint8_t *p, size_t n, uint8_t out[16])
{
	struct md4 m;

	md4_init(&m);
	md4_update(&m, p, n);
	md4_final(&m, out);
}

/* ---- helpers ---- */

/* SHA-1 over up to four pieces */
static int sha1(const void *a, size_t al, const void *b, size_t bl,
                const void *c, size_t cl, const void *d, size_t dl, uint8_t out[20])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned int n = 0;
	int rc = -1;

	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_sha1(), NULL))
		goto out;
	if ((al && !EVP_DigestUpdate(ctx, a, al)) || (bl && !EVP_DigestUpdate(ctx, b, bl)) ||
	    (cl && !EVP_DigestUpdate(ctx, c, cl)) || (dl && !EVP_DigestUpdate(ctx, d, dl)))
		goto out;
	if (!EVP_DigestFinal_ex(ctx, out, &n) || n != 20)
		goto out;
	rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

/* RFC 2759 §8.6 DesEncrypt: the 7-byte key spread over 8 bytes (the low
 * bit of each, DES parity, is ignored), one 8-byte block, ECB. */
static int des_encrypt(const uint8_t clear[8], const uint8_t key7[7], uint8_t out[8])
{
	EVP_CIPHER *des = EVP_CIPHER_fetch(NULL, "DES-EDE3-ECB", NULL);
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();
	uint8_t k[24];
	int outl = 0, rc = -1;

	k[0] = key7[0];
	for (int i = 1; i < 7; i++)
		k[i] = (uint8_t)(key7[i - 1] << (8 - i) | key7[i] >> i);
	k[7] = (uint8_t)(key7[6] << 1);
	for (int i = 0; i < 8; i++)
		k[i] &= 0xfe;
	memcpy(k + 8, k, 8);
	memcpy(k + 16, k, 8);
	if (!des || !ctx || !EVP_EncryptInit_ex2(ctx, des, k, NULL, NULL) ||
	    !EVP_CIPHER_CTX_set_padding(ctx, 0) ||
	    !EVP_EncryptUpdate(ctx, out, &outl, clear, 8) || outl != 8)
		goto out;
	rc = 0;
out:
	OPENSSL_cleanse(k, sizeof(k));
	EVP_CIPHER_CTX_free(ctx);
	EVP_CIPHER_free(des);
	return rc;
}

/* UTF-8 -> UTF-16LE, characters beyond the BMP as surrogate pairs.
 * Returns the number of bytes written, -1 on bad UTF-8 or overflow. */
static long utf8_to_utf16le(const char *s, size_t len, uint8_t *out, size_t outmax)
{
	size_t o = 0;

	for (size_t i = 0; i < len;) {
		uint8_t c = (uint8_t)s[i];
		uint32_t cp;
		size_t n;

		if (c < 0x80)
			cp = c, n = 1;
		else if ((c & 0xe0) == 0xc0)
			cp = c & 0x1f, n = 2;
		else if ((c & 0xf0) == 0xe0)
			cp = c & 0x0f, n = 3;
		else if ((c & 0xf8) == 0xf0)
			cp = c & 0x07, n = 4;
		else
			return -1;
		if (i + n > len)
			return -1;
		for (size_t j = 1; j < n; j++) {
			if (((uint8_t)s[i + j] & 0xc0) != 0x80)
				return -1;
			cp = cp << 6 | ((uint8_t)s[i + j] & 0x3f);
		}
		/* overlong forms, surrogates, beyond U+10FFFF */
		if ((n == 2 && cp < 0x80) || (n == 3 && cp < 0x800) ||
		    (n == 4 && cp < 0x10000) || cp > 0x10ffff ||
		    (cp >= 0xd800 && cp <= 0xdfff))
			return -1;
		i += n;
		if (cp >= 0x10000) {
			uint32_t v = cp - 0x10000;
			uint16_t hi = (uint16_t)(0xd800 | v >> 10), lo = (uint16_t)(0xdc00 | (v & 0x3ff));
			if (o + 4 > outmax)
				return -1;
			out[o++] = (uint8_t)hi, out[o++] = (uint8_t)(hi >> 8);
			out[o++] = (uint8_t)lo, out[o++] = (uint8_t)(lo >> 8);
		} else {
			if (o + 2 > outmax)
				return -1;
			out[o++] = (uint8_t)cp, out[o++] = (uint8_t)(cp >> 8);
		}
	}
	return (long)o;
}

/* ---- RFC 2759 ---- */

int mschap_nt_hash(const char *password, size_t len, uint8_t out[16])
{
	uint8_t u[2 * MAX_PASSWORD_UNITS];
	long n = utf8_to_utf16le(password, len, u, sizeof(u));
	int rc = -1;

	if (n < 0)
		goto out;
	md4(u, (size_t)n, out);
	rc = 0;
out:
	OPENSSL_cleanse(u, sizeof(u));
	return rc;
}

void mschap_challenge_hash(const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                           const char *user, size_t userlen, uint8_t out[8])
{
	uint8_t d[20];

	/* RFC 2759 §8.2: the user name without any "DOMAIN\" prefix */
	for (size_t i = userlen; i > 0; i--) {
		if (user[i - 1] == '\\') {
			user += i;
			userlen -= i;
			break;
		}
	}
	if (sha1(peer_chal, 16, auth_chal, 16, user, userlen, NULL, 0, d) != 0)
		memset(d, 0, sizeof(d)); /* unreachable unless OpenSSL is broken */
	memcpy(out, d, 8);
}

int mschap_nt_response(const uint8_t auth_chal[16], const uint8_t peer_chal[16],
                       const char *user, size_t userlen,
                       const uint8_t nt_hash[16], uint8_t out[24])
{
	uint8_t chal[8], z[21];
	int rc = -1;

	mschap_challenge_hash(peer_chal, auth_chal, user, userlen, chal);
	/* ChallengeResponse: the hash zero-padded to 21 bytes, three DES
	 * keys of 7 bytes each */
	memset(z, 0, sizeof(z));
	memcpy(z, nt_hash, 16);
	for (int i = 0; i < 3; i++)
		if (des_encrypt(chal, z + 7 * i, out + 8 * i) != 0)
			goto out;
	rc = 0;
out:
	OPENSSL_cleanse(z, sizeof(z));
	return rc;
}

/* RFC 2759 §8.7 */
static const char auth_magic1[] = "Magic server to client signing constant";
static const char auth_magic2[] = "Pad to make it do more than one iteration";

int mschap_auth_response(const uint8_t nt_hash[16], const uint8_t nt_response[24],
                         const uint8_t peer_chal[16], const uint8_t auth_chal[16],
                         const char *user, size_t userlen, char out[43])
{
	uint8_t hh[16], d[20], chal[8];
	int rc = -1;

	md4(nt_hash, 16, hh);
	if (sha1(hh, 16, nt_response, 24, auth_magic1, sizeof(auth_magic1) - 1,
	         NULL, 0, d) != 0)
		goto out;
	mschap_challenge_hash(peer_chal, auth_chal, user, userlen, chal);
	if (sha1(d, 20, chal, 8, auth_magic2, sizeof(auth_magic2) - 1, NULL, 0, d) != 0)
		goto out;
	out[0] = 'S';
	out[1] = '=';
	for (int i = 0; i < 20; i++)
		snprintf(out + 2 + 2 * i, 3, "%02X", d[i]);
	rc = 0;
out:
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

/* ---- RFC 3079 §3.4 ---- */

static const char mppe_magic1[] = "This is the MPPE Master Key";
/* client send key = server receive key */
static const char mppe_magic2[] = "On the client side, this is the send key; "
                                  "on the server side, it is the receive key.";
/* client receive key = server send key */
static const char mppe_magic3[] = "On the client side, this is the receive key; "
                                  "on the server side, it is the send key.";

/* GetAsymmetricStartKey for a 128-bit session key */
static int start_key(const uint8_t master[16], const char *magic, size_t magiclen,
                     uint8_t out[16])
{
	uint8_t pad1[40], pad2[40], d[20];
	int rc;

	memset(pad1, 0x00, sizeof(pad1));
	memset(pad2, 0xf2, sizeof(pad2));
	rc = sha1(master, 16, pad1, 40, magic, magiclen, pad2, 40, d);
	memcpy(out, d, 16);
	OPENSSL_cleanse(d, sizeof(d));
	return rc;
}

int mschap_msk(const uint8_t nt_hash[16], const uint8_t nt_response[24],
               uint8_t msk[64])
{
	uint8_t hh[16], d[20], master[16];
	int rc = -1;

	memset(msk, 0, 64);
	/* GetMasterKey(PasswordHashHash, NTResponse) */
	md4(nt_hash, 16, hh);
	if (sha1(hh, 16, nt_response, 24, mppe_magic1, sizeof(mppe_magic1) - 1,
	         NULL, 0, d) != 0)
		goto out;
	memcpy(master, d, 16);
	/* the authenticator's MasterReceiveKey (IsSend false, IsServer
	 * true: Magic2), then its MasterSendKey (IsSend, IsServer: Magic3).
	 * RFC 3079 §3.5.3's SendStartKey128 is that Magic3 key. Both ends
	 * build the MSK in this order, so it is the same on both. */
	if (start_key(master, mppe_magic2, sizeof(mppe_magic2) - 1, msk) != 0 ||
	    start_key(master, mppe_magic3, sizeof(mppe_magic3) - 1, msk + 16) != 0)
		goto out;
	rc = 0;
out:
	if (rc != 0)
		OPENSSL_cleanse(msk, 64);
	OPENSSL_cleanse(hh, sizeof(hh));
	OPENSSL_cleanse(d, sizeof(d));
	OPENSSL_cleanse(master, sizeof(master));
	return rc;
}
