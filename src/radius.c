/* RADIUS packets: build, sign, parse, verify (src/radius.h). */
#include "src/radius.h"

#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>

#include "crypto/prf.h"

#define MA_LEN 16

/* out = MD5 over the pieces; 0, or -1 */
static int md5_pieces(const struct prf_piece *pc, size_t n, uint8_t out[16])
{
	EVP_MD_CTX *ctx = EVP_MD_CTX_new();
	unsigned olen = 0;
	int rc = -1;
	if (!ctx || !EVP_DigestInit_ex(ctx, EVP_md5(), NULL))
		goto out;
	for (size_t i = 0; i < n; i++)
		if (pc[i].len && !EVP_DigestUpdate(ctx, pc[i].p, pc[i].len))
			goto out;
	if (EVP_DigestFinal_ex(ctx, out, &olen) && olen == 16)
		rc = 0;
out:
	EVP_MD_CTX_free(ctx);
	return rc;
}

static void put16(uint8_t *p, size_t v)
{
	p[0] = (uint8_t)(v >> 8);
	p[1] = (uint8_t)v;
}

/* ---- building ---- */

void rad_new(struct rad_pkt *p, uint8_t code, uint8_t id)
{
	memset(p->buf, 0, RAD_HDR_LEN);
	p->buf[0] = code;
	p->buf[1] = id;
	p->len = RAD_HDR_LEN;
	p->ma_off = 0;
	p->overflow = false;
}

int rad_put(struct rad_pkt *p, uint8_t type, const void *value, size_t len)
{
	if (len > RAD_ATTR_MAX || p->len + 2 + len > RAD_MAX_LEN) {
		p->overflow = true;
		return -1;
	}
	p->buf[p->len] = type;
	p->buf[p->len + 1] = (uint8_t)(2 + len);
	if (len)
		memcpy(p->buf + p->len + 2, value, len);
	p->len += 2 + len;
	return 0;
}

int rad_put_u32(struct rad_pkt *p, uint8_t type, uint32_t v)
{
	uint8_t b[4] = { (uint8_t)(v >> 24), (uint8_t)(v >> 16), (uint8_t)(v >> 8), (uint8_t)v };
	return rad_put(p, type, b, 4);
}

int rad_put_str(struct rad_pkt *p, uint8_t type, const char *s)
{
	return rad_put(p, type, s, strlen(s));
}

int rad_put_split(struct rad_pkt *p, uint8_t type, const void *value, size_t len)
{
	const uint8_t *v = value;
	do {
		size_t n = len > RAD_ATTR_MAX ? RAD_ATTR_MAX : len;
		if (rad_put(p, type, v, n) != 0)
			return -1;
		v += n;
		len -= n;
	} while (len);
	return 0;
}

int rad_put_vsa(struct rad_pkt *p, uint32_t vendor, uint8_t vtype, const void *value,
                size_t len)
{
	uint8_t b[RAD_ATTR_MAX];
	if (len > RAD_ATTR_MAX - 6) {
		p->overflow = true;
		return -1;
	}
	b[0] = (uint8_t)(vendor >> 24);
	b[1] = (uint8_t)(vendor >> 16);
	b[2] = (uint8_t)(vendor >> 8);
	b[3] = (uint8_t)vendor;
	b[4] = vtype;
	b[5] = (uint8_t)(2 + len);
	if (len)
		memcpy(b + 6, value, len);
	return rad_put(p, RAD_VENDOR_SPECIFIC, b, 6 + len);
}

int rad_put_msg_auth(struct rad_pkt *p)
{
	static const uint8_t zero[MA_LEN];
	if (p->ma_off || rad_put(p, RAD_MESSAGE_AUTHENTICATOR, zero, MA_LEN) != 0)
		return -1;
	p->ma_off = p->len - MA_LEN;
	return 0;
}

/* the Message-Authenticator over the packet as it is (its value zero) */
static int sign_ma(struct rad_pkt *p, const void *secret, size_t slen)
{
	if (!p->ma_off)
		return 0;
	memset(p->buf + p->ma_off, 0, MA_LEN);
	struct prf_piece pc = { p->buf, p->len };
	return hmac_compute("MD5", secret, slen, &pc, 1, p->buf + p->ma_off, MA_LEN);
}

/* Authenticator = MD5(header with auth in its place | attributes | secret) */
static int sign_md5(struct rad_pkt *p, const uint8_t auth[RAD_AUTH_LEN], const void *secret,
                    size_t slen)
{
	struct prf_piece pc[4] = {
		{ p->buf, 4 }, { auth, RAD_AUTH_LEN },
		{ p->buf + RAD_HDR_LEN, p->len - RAD_HDR_LEN }, { secret, slen },
	};
	uint8_t out[16];
	if (md5_pieces(pc, 4, out) != 0)
		return -1;
	memcpy(p->buf + 4, out, RAD_AUTH_LEN);
	return 0;
}

int rad_sign_request(struct rad_pkt *p, const void *secret, size_t slen,
                     const uint8_t *auth16)
{
	static const uint8_t zero[RAD_AUTH_LEN];
	if (p->overflow)
		return -1;
	put16(p->buf + 2, p->len);
	switch (p->buf[0]) {
	case RAD_ACCESS_REQUEST:
		if (!auth16)
			return -1;
		memcpy(p->buf + 4, auth16, RAD_AUTH_LEN);
		return sign_ma(p, secret, slen);
	case RAD_ACCT_REQUEST:
	case RAD_DISCONNECT_REQUEST:
	case RAD_COA_REQUEST:
		memset(p->buf + 4, 0, RAD_AUTH_LEN);
		if (sign_ma(p, secret, slen) != 0)
			return -1;
		return sign_md5(p, zero, secret, slen);
	default:
		return -1;
	}
}

int rad_sign_response(struct rad_pkt *p, const uint8_t req_auth[RAD_AUTH_LEN],
                      const void *secret, size_t slen)
{
	if (p->overflow)
		return -1;
	put16(p->buf + 2, p->len);
	memcpy(p->buf + 4, req_auth, RAD_AUTH_LEN);
	if (sign_ma(p, secret, slen) != 0)
		return -1;
	return sign_md5(p, req_auth, secret, slen);
}

/* ---- reading ---- */

int rad_parse(const uint8_t *buf, size_t n, struct rad_view *v)
{
	if (n < RAD_HDR_LEN)
		return -1;
	size_t len = (size_t)buf[2] << 8 | buf[3];
	if (len < RAD_HDR_LEN || len > RAD_MAX_LEN || len > n)
		return -1;
	for (size_t off = RAD_HDR_LEN; off < len;) {
		if (len - off < 2 || buf[off + 1] < 2 || buf[off + 1] > len - off)
			return -1;
		off += buf[off + 1];
	}
	v->buf = buf;
	v->len = len;
	v->code = buf[0];
	v->id = buf[1];
	v->auth = buf + 4;
	return 0;
}

bool rad_next(const struct rad_view *v, size_t *off, uint8_t *type, const uint8_t **value,
              size_t *len)
{
	if (*off < RAD_HDR_LEN)
		*off = RAD_HDR_LEN;
	if (*off >= v->len)
		return false;
	const uint8_t *a = v->buf + *off;
	*type = a[0];
	*value = a + 2;
	*len = (size_t)a[1] - 2;
	*off += a[1];
	return true;
}

const uint8_t *rad_find(const struct rad_view *v, uint8_t type, size_t *len)
{
	size_t off = 0, l;
	uint8_t t;
	const uint8_t *val;
	while (rad_next(v, &off, &t, &val, &l)) {
		if (t == type) {
			*len = l;
			return val;
		}
	}
	return NULL;
}

int rad_count(const struct rad_view *v, uint8_t type)
{
	size_t off = 0, l;
	uint8_t t;
	const uint8_t *val;
	int n = 0;
	while (rad_next(v, &off, &t, &val, &l))
		n += t == type;
	return n;
}

int rad_find_u32(const struct rad_view *v, uint8_t type, uint32_t *out)
{
	size_t l;
	const uint8_t *a = rad_find(v, type, &l);
	if (!a || l != 4)
		return -1;
	*out = (uint32_t)a[0] << 24 | (uint32_t)a[1] << 16 | (uint32_t)a[2] << 8 | a[3];
	return 0;
}

long rad_concat(const struct rad_view *v, uint8_t type, uint8_t *out, size_t cap)
{
	size_t off = 0, l, total = 0;
	uint8_t t;
	const uint8_t *val;
	bool any = false;
	while (rad_next(v, &off, &t, &val, &l)) {
		if (t != type)
			continue;
		if (l > cap - total)
			return -1;
		memcpy(out + total, val, l);
		total += l;
		any = true;
	}
	return any ? (long)total : -1;
}

const uint8_t *rad_find_vsa(const struct rad_view *v, uint32_t vendor, uint8_t vtype,
                            size_t *len)
{
	size_t off = 0, l;
	uint8_t t;
	const uint8_t *val;
	while (rad_next(v, &off, &t, &val, &l)) {
		if (t != RAD_VENDOR_SPECIFIC || l < 4)
			continue;
		uint32_t id = (uint32_t)val[0] << 24 | (uint32_t)val[1] << 16 |
		              (uint32_t)val[2] << 8 | val[3];
		if (id != vendor)
			continue;
		/* one or more vendor attributes: type, length (>= 2), value */
		for (size_t k = 4; k + 2 <= l && val[k + 1] >= 2 && val[k + 1] <= l - k;
		     k += val[k + 1]) {
			if (val[k] == vtype) {
				*len = (size_t)val[k + 1] - 2;
				return val + k + 2;
			}
		}
	}
	return NULL;
}

/* where the Message-Authenticator's value is (0: none; -1: two of them,
 * or one of the wrong length) */
static long ma_offset(const struct rad_view *v)
{
	size_t off = 0, l;
	uint8_t t;
	const uint8_t *val;
	long at = 0;
	while (rad_next(v, &off, &t, &val, &l)) {
		if (t != RAD_MESSAGE_AUTHENTICATOR)
			continue;
		if (at || l != MA_LEN)
			return -1;
		at = val - v->buf;
	}
	return at;
}

/* the received Message-Authenticator equals the HMAC over the packet
 * with auth in the Authenticator field and the attribute's value zero */
static bool ma_ok(const struct rad_view *v, size_t at, const uint8_t auth[RAD_AUTH_LEN],
                  const void *secret, size_t slen)
{
	static const uint8_t zero[MA_LEN];
	uint8_t mac[MA_LEN];
	struct prf_piece pc[5] = {
		{ v->buf, 4 }, { auth, RAD_AUTH_LEN },
		{ v->buf + RAD_HDR_LEN, at - RAD_HDR_LEN }, { zero, MA_LEN },
		{ v->buf + at + MA_LEN, v->len - at - MA_LEN },
	};
	return hmac_compute("MD5", secret, slen, pc, 5, mac, MA_LEN) == 0 &&
	       CRYPTO_memcmp(mac, v->buf + at, MA_LEN) == 0;
}

/* the Authenticator equals MD5(header with auth | attributes | secret) */
static bool md5_ok(const struct rad_view *v, const uint8_t auth[RAD_AUTH_LEN],
                   const void *secret, size_t slen)
{
	struct prf_piece pc[4] = {
		{ v->buf, 4 }, { auth, RAD_AUTH_LEN },
		{ v->buf + RAD_HDR_LEN, v->len - RAD_HDR_LEN }, { secret, slen },
	};
	uint8_t out[16];
	return md5_pieces(pc, 4, out) == 0 && CRYPTO_memcmp(out, v->auth, RAD_AUTH_LEN) == 0;
}

bool rad_verify_response(const struct rad_view *v, const uint8_t req_auth[RAD_AUTH_LEN],
                         const void *secret, size_t slen, bool need_ma)
{
	long at = ma_offset(v);
	if (at < 0 || (!at && (need_ma || rad_count(v, RAD_EAP_MESSAGE) > 0)))
		return false;
	if (!md5_ok(v, req_auth, secret, slen))
		return false;
	return !at || ma_ok(v, (size_t)at, req_auth, secret, slen);
}

bool rad_verify_request(const struct rad_view *v, const void *secret, size_t slen,
                        bool need_ma)
{
	static const uint8_t zero[RAD_AUTH_LEN];
	if (v->code != RAD_ACCT_REQUEST && v->code != RAD_DISCONNECT_REQUEST &&
	    v->code != RAD_COA_REQUEST)
		return false;
	long at = ma_offset(v);
	if (at < 0 || (!at && need_ma))
		return false;
	if (!md5_ok(v, zero, secret, slen))
		return false;
	return !at || ma_ok(v, (size_t)at, zero, secret, slen);
}

/* ---- MS-MPPE keys (RFC 2548 §2.4.2) ----
 * b(1) = MD5(secret | request authenticator | salt), b(i) = MD5(secret |
 * c(i-1)); c(i) = p(i) xor b(i), p being the key's length (1 octet), the
 * key and zero padding to a multiple of 16. */

static int mppe_block(const void *secret, size_t slen, const uint8_t *a, size_t alen,
                      const uint8_t *b, size_t blen, uint8_t out[16])
{
	struct prf_piece pc[3] = { { secret, slen }, { a, alen }, { b, blen } };
	return md5_pieces(pc, 3, out);
}

int rad_mppe_key(const uint8_t *value, size_t len, const uint8_t req_auth[RAD_AUTH_LEN],
                 const void *secret, size_t slen, uint8_t *key, size_t cap, size_t *keylen)
{
	uint8_t plain[RAD_ATTR_MAX], b[16];
	int rc = -1;
	if (len < 2 + 16 || len - 2 > sizeof(plain) || (len - 2) % 16 || !(value[0] & 0x80))
		return -1;
	const uint8_t *c = value + 2;
	size_t n = len - 2;
	for (size_t i = 0; i < n; i += 16) {
		int r = i == 0 ? mppe_block(secret, slen, req_auth, RAD_AUTH_LEN, value, 2, b)
		               : mppe_block(secret, slen, c + i - 16, 16, NULL, 0, b);
		if (r != 0)
			goto out;
		for (int k = 0; k < 16; k++)
			plain[i + k] = c[i + k] ^ b[k];
	}
	if ((size_t)plain[0] + 1 > n || plain[0] > cap)
		goto out;
	memcpy(key, plain + 1, plain[0]);
	*keylen = plain[0];
	rc = 0;
out:
	OPENSSL_cleanse(plain, sizeof(plain));
	OPENSSL_cleanse(b, sizeof(b));
	return rc;
}

long rad_mppe_hide(const uint8_t *key, size_t klen, const uint8_t salt[2],
                   const uint8_t req_auth[RAD_AUTH_LEN], const void *secret, size_t slen,
                   uint8_t *out, size_t cap)
{
	size_t n = (1 + klen + 15) / 16 * 16;
	uint8_t b[16];
	if (klen > 255 || 2 + n > cap || 2 + n > RAD_ATTR_MAX)
		return -1;
	out[0] = salt[0] | 0x80;
	out[1] = salt[1];
	uint8_t *c = out + 2;
	memset(c, 0, n);
	c[0] = (uint8_t)klen;
	memcpy(c + 1, key, klen);
	for (size_t i = 0; i < n; i += 16) {
		int r = i == 0 ? mppe_block(secret, slen, req_auth, RAD_AUTH_LEN, out, 2, b)
		               : mppe_block(secret, slen, c + i - 16, 16, NULL, 0, b);
		if (r != 0)
			return -1;
		for (int k = 0; k < 16; k++)
			c[i + k] ^= b[k];
	}
	OPENSSL_cleanse(b, sizeof(b));
	return (long)(2 + n);
}
