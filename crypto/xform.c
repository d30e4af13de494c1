/* Encryption + integrity for IKE SK payloads and ESP: CBC ciphers with
 * truncated HMAC (RFC 3602, RFC 2451, RFC 2404, RFC 4868), AES-GCM
 * (RFC 4106, RFC 5282) and ChaCha20-Poly1305 (RFC 7634).
 *
 * This is the ESP hot path: every OpenSSL context is created and keyed
 * once in xform_new(); seal/open only set the IV and run, and allocate
 * nothing. An xform keeps separate cipher contexts for seal and open, so
 * one thread may seal while another opens; two threads must not seal (or
 * open) on one xform at the same time.
 *
 * HMAC uses the SHA state structs directly (deprecated in OpenSSL 3 but
 * present in every 3.x): the inner and outer states after the padded key
 * block are computed once and copied per packet. OpenSSL 3.0's EVP_MAC and
 * EVP_MD re-initialisation frees and reallocates the provider context on
 * every call, which the data path must not do. */
#define OPENSSL_SUPPRESS_DEPRECATED
#include "crypto/xform.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/rand.h>
#include <openssl/sha.h>

#include "crypto/algs.h"

#define AEAD_SALT_LEN 4
#define AEAD_IV_LEN 8
#define MAX_ICV 32
#define MAX_MAC 64
#define MAX_HMAC_BLOCK 128

enum hmac_hash { H_SHA1, H_SHA256, H_SHA384, H_SHA512 };

union sha_state {
	SHA_CTX sha1;
	SHA256_CTX sha256;
	SHA512_CTX sha512;   /* SHA-384 too */
};

/* HMAC key schedule: hash states after (K ^ ipad) and (K ^ opad) */
struct hmac_key {
	enum hmac_hash hash;
	union sha_state inner, outer;
};

struct xform {
	uint16_t encr, keybits, integ;
	bool aead;
	size_t iv_len, block_len, icv_len;
	EVP_CIPHER_CTX *enc, *dec;
	struct hmac_key hmac;              /* cipher + HMAC only */
	uint8_t salt[AEAD_SALT_LEN];       /* AEAD only */
	uint64_t counter;                  /* AEAD IV, never reused */
	uint64_t counter_start;
	bool exhausted;
};

static bool integ_params(uint16_t integ, enum hmac_hash *hash, size_t *keylen,
                         size_t *icvlen)
{
	switch (integ) {
	case AUTH_HMAC_SHA1_96:
		*hash = H_SHA1, *keylen = 20, *icvlen = 12;
		return true;
	case AUTH_HMAC_SHA2_256_128:
		*hash = H_SHA256, *keylen = 32, *icvlen = 16;
		return true;
	case AUTH_HMAC_SHA2_384_192:
		*hash = H_SHA384, *keylen = 48, *icvlen = 24;
		return true;
	case AUTH_HMAC_SHA2_512_256:
		*hash = H_SHA512, *keylen = 64, *icvlen = 32;
		return true;
	default:
		*hash = H_SHA1, *keylen = 0, *icvlen = 0;
		return false;
	}
}

static void sha_init(enum hmac_hash h, union sha_state *c)
{
	switch (h) {
	case H_SHA1:   SHA1_Init(&c->sha1); break;
	case H_SHA256: SHA256_Init(&c->sha256); break;
	case H_SHA384: SHA384_Init(&c->sha512); break;
	case H_SHA512: SHA512_Init(&c->sha512); break;
	}
}

static void sha_update(enum hmac_hash h, union sha_state *c, const uint8_t *p, size_t len)
{
	if (!len)
		return;
	switch (h) {
	case H_SHA1:   SHA1_Update(&c->sha1, p, len); break;
	case H_SHA256: SHA256_Update(&c->sha256, p, len); break;
	case H_SHA384: SHA384_Update(&c->sha512, p, len); break;
	case H_SHA512: SHA512_Update(&c->sha512, p, len); break;
	}
}

/* writes the full digest; returns its length */
static size_t sha_final(enum hmac_hash h, union sha_state *c, uint8_t *out)
{
	switch (h) {
	case H_SHA1:   SHA1_Final(out, &c->sha1); return 20;
	case H_SHA256: SHA256_Final(out, &c->sha256); return 32;
	case H_SHA384: SHA384_Final(out, &c->sha512); return 48;
	case H_SHA512: SHA512_Final(out, &c->sha512); return 64;
	}
	return 0;
}

/* RFC 2104 key schedule; IKE/ESP integrity keys are never longer than
 * the hash block (20..64 bytes vs 64/128), checked by the caller. */
static void hmac_setkey(struct hmac_key *k, enum hmac_hash h, const uint8_t *key,
                        size_t keylen)
{
	size_t block = (h == H_SHA384 || h == H_SHA512) ? 128 : 64;
	uint8_t pad[MAX_HMAC_BLOCK];

	k->hash = h;
	memset(pad, 0x36, block);
	for (size_t i = 0; i < keylen; i++)
		pad[i] ^= key[i];
	sha_init(h, &k->inner);
	sha_update(h, &k->inner, pad, block);
	memset(pad, 0x5c, block);
	for (size_t i = 0; i < keylen; i++)
		pad[i] ^= key[i];
	sha_init(h, &k->outer);
	sha_update(h, &k->outer, pad, block);
	OPENSSL_cleanse(pad, sizeof(pad));
}

/* OpenSSL cipher name, or NULL when encr/keybits is not usable. Also
 * gives the raw cipher key length (without the AEAD salt). */
static const char *cipher_name(uint16_t encr, uint16_t keybits, size_t *keylen)
{
	*keylen = keybits / 8;
	switch (encr) {
	case ENCR_AES_CBC:
		switch (keybits) {
		case 128: return "AES-128-CBC";
		case 192: return "AES-192-CBC";
		case 256: return "AES-256-CBC";
		}
		return NULL;
	case ENCR_AES_GCM_8:
	case ENCR_AES_GCM_12:
	case ENCR_AES_GCM_16:
		switch (keybits) {
		case 128: return "AES-128-GCM";
		case 192: return "AES-192-GCM";
		case 256: return "AES-256-GCM";
		}
		return NULL;
	case ENCR_3DES:
		/* fixed key length; no Key Length attribute is sent */
		if (keybits != 0 && keybits != 192)
			return NULL;
		*keylen = 24;
		return "DES-EDE3-CBC";
	case ENCR_CHACHA20_POLY1305:
		if (keybits != 0 && keybits != 256)
			return NULL;
		*keylen = 32;
		return "ChaCha20-Poly1305";
	}
	return NULL;
}

bool xform_is_aead(uint16_t encr)
{
	return encr == ENCR_AES_GCM_8 || encr == ENCR_AES_GCM_12 ||
	       encr == ENCR_AES_GCM_16 || encr == ENCR_CHACHA20_POLY1305;
}

bool xform_supported(uint16_t encr, uint16_t keybits, uint16_t integ)
{
	enum hmac_hash h;
	size_t kl, il;

	if (!cipher_name(encr, keybits, &kl))
		return false;
	if (xform_is_aead(encr))
		return integ == AUTH_NONE;
	return integ_params(integ, &h, &kl, &il);
}

size_t xform_encr_keylen(uint16_t encr, uint16_t keybits)
{
	size_t kl;

	if (!cipher_name(encr, keybits, &kl))
		return 0;
	return xform_is_aead(encr) ? kl + AEAD_SALT_LEN : kl;
}

size_t xform_integ_keylen(uint16_t integ)
{
	enum hmac_hash h;
	size_t kl, il;

	integ_params(integ, &h, &kl, &il);
	return kl;
}

static size_t aead_icv_len(uint16_t encr)
{
	switch (encr) {
	case ENCR_AES_GCM_8:  return 8;
	case ENCR_AES_GCM_12: return 12;
	default:              return 16;
	}
}

static EVP_CIPHER_CTX *cipher_new(EVP_CIPHER *cipher, const uint8_t *key, int enc,
                                  bool aead)
{
	EVP_CIPHER_CTX *ctx = EVP_CIPHER_CTX_new();

	if (!ctx)
		return NULL;
	if (!EVP_CipherInit_ex2(ctx, cipher, key, NULL, enc, NULL))
		goto fail;
	if (aead) {
		/* nonce = 4-byte salt | 8-byte IV: 12 bytes, the default
		 * for both GCM and ChaCha20-Poly1305, but say so */
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_AEAD_SET_IVLEN,
		                        AEAD_SALT_LEN + AEAD_IV_LEN, NULL) <= 0)
			goto fail;
	} else if (!EVP_CIPHER_CTX_set_padding(ctx, 0)) {
		goto fail;
	}
	return ctx;
fail:
	EVP_CIPHER_CTX_free(ctx);
	return NULL;
}

struct xform *xform_new(uint16_t encr, uint16_t keybits, uint16_t integ,
                        const uint8_t *ekey, const uint8_t *akey)
{
	struct xform *x = NULL;
	EVP_CIPHER *cipher = NULL;
	const char *cname;
	enum hmac_hash h;
	size_t ckeylen, akeylen = 0, icvlen = 0;

	if (!xform_supported(encr, keybits, integ))
		goto fail;
	cname = cipher_name(encr, keybits, &ckeylen);
	x = calloc(1, sizeof(*x));
	if (!x)
		goto fail;
	x->encr = encr;
	x->keybits = keybits;
	x->integ = integ;
	x->aead = xform_is_aead(encr);
	cipher = EVP_CIPHER_fetch(NULL, cname, NULL);
	if (!cipher)
		goto fail;
	if (x->aead) {
		x->iv_len = AEAD_IV_LEN;
		x->block_len = 4;
		x->icv_len = aead_icv_len(encr);
		memcpy(x->salt, ekey + ckeylen, AEAD_SALT_LEN);
		if (RAND_bytes((unsigned char *)&x->counter, sizeof(x->counter)) != 1)
			goto fail;
		x->counter_start = x->counter;
	} else {
		integ_params(integ, &h, &akeylen, &icvlen);
		x->iv_len = (size_t)EVP_CIPHER_get_iv_length(cipher);
		x->block_len = (size_t)EVP_CIPHER_get_block_size(cipher);
		x->icv_len = icvlen;
		hmac_setkey(&x->hmac, h, akey, akeylen);
	}
	x->enc = cipher_new(cipher, ekey, 1, x->aead);
	x->dec = cipher_new(cipher, ekey, 0, x->aead);
	if (!x->enc || !x->dec)
		goto fail;
	EVP_CIPHER_free(cipher);
	return x;
fail:
	EVP_CIPHER_free(cipher);
	xform_free(x);
	return NULL;
}

void xform_free(struct xform *x)
{
	if (!x)
		return;
	/* the _free functions cleanse the key schedules they hold */
	EVP_CIPHER_CTX_free(x->enc);
	EVP_CIPHER_CTX_free(x->dec);
	OPENSSL_cleanse(x, sizeof(*x));
	free(x);
}

size_t xform_iv_len(const struct xform *x)
{
	return x->iv_len;
}

size_t xform_block_len(const struct xform *x)
{
	return x->block_len;
}

size_t xform_icv_len(const struct xform *x)
{
	return x->icv_len;
}

/* HMAC(prefix | iv | ct) into mac (full length), from copies of the
 * precomputed states: no allocation, no shared mutable state. */
static void hmac_run(const struct hmac_key *k, const uint8_t *prefix, size_t prefixlen,
                     const uint8_t *iv, size_t ivlen, const uint8_t *ct, size_t len,
                     uint8_t mac[MAX_MAC])
{
	union sha_state c = k->inner;
	uint8_t ih[MAX_MAC];
	size_t ihlen;

	sha_update(k->hash, &c, prefix, prefixlen);
	sha_update(k->hash, &c, iv, ivlen);
	sha_update(k->hash, &c, ct, len);
	ihlen = sha_final(k->hash, &c, ih);
	c = k->outer;
	sha_update(k->hash, &c, ih, ihlen);
	sha_final(k->hash, &c, mac);
	OPENSSL_cleanse(&c, sizeof(c));
	OPENSSL_cleanse(ih, sizeof(ih));
}

static void aead_nonce(const struct xform *x, const uint8_t *iv, uint8_t nonce[12])
{
	memcpy(nonce, x->salt, AEAD_SALT_LEN);
	memcpy(nonce + AEAD_SALT_LEN, iv, AEAD_IV_LEN);
}

static bool len_ok(const struct xform *x, size_t len)
{
	/* CBC needs whole blocks; the AEAD ciphers take any length (ESP
	 * aligns to 4, but IKE peers may pad AEAD payloads to 1) */
	if (len > INT32_MAX)
		return false;
	return x->aead || len % x->block_len == 0;
}

/* Seals with a given IV; the IV must never repeat under one key. */
static int seal_with_iv(struct xform *x, const uint8_t *prefix, size_t prefixlen,
                        const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	uint8_t nonce[AEAD_SALT_LEN + AEAD_IV_LEN];
	uint8_t mac[MAX_MAC];
	int outl = 0, finl = 0;
	int rc = -1;

	if (!len_ok(x, len))
		goto out;
	if (x->aead) {
		aead_nonce(x, iv, nonce);
		if (!EVP_CipherInit_ex2(x->enc, NULL, NULL, nonce, 1, NULL))
			goto out;
		if (prefixlen && !EVP_CipherUpdate(x->enc, NULL, &outl, prefix, (int)prefixlen))
			goto out;
		if (len && !EVP_CipherUpdate(x->enc, buf, &outl, buf, (int)len))
			goto out;
		if (!EVP_CipherFinal_ex(x->enc, buf + outl, &finl))
			goto out;
		if (EVP_CIPHER_CTX_ctrl(x->enc, EVP_CTRL_AEAD_GET_TAG, (int)x->icv_len, icv) <= 0)
			goto out;
	} else {
		if (!EVP_CipherInit_ex2(x->enc, NULL, NULL, iv, 1, NULL))
			goto out;
		if (len && !EVP_CipherUpdate(x->enc, buf, &outl, buf, (int)len))
			goto out;
		if ((size_t)outl != len || !EVP_CipherFinal_ex(x->enc, buf + outl, &finl))
			goto out;
		hmac_run(&x->hmac, prefix, prefixlen, iv, x->iv_len, buf, len, mac);
		memcpy(icv, mac, x->icv_len);
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}

int xform_seal(struct xform *x, const uint8_t *prefix, size_t prefixlen,
               uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	if (x->aead) {
		/* 64-bit counter from a random start; refuse to wrap around
		 * onto a value already used (2^64 packets: never, but
		 * reusing a GCM nonce would be fatal) */
		if (x->exhausted)
			return -1;
		uint64_t c = x->counter++;
		if (x->counter == x->counter_start)
			x->exhausted = true;
		for (int i = 0; i < AEAD_IV_LEN; i++)
			iv[i] = (uint8_t)(c >> (56 - 8 * i));
	} else if (RAND_bytes(iv, (int)x->iv_len) != 1) {
		return -1;
	}
	return seal_with_iv(x, prefix, prefixlen, iv, buf, len, icv);
}

int xform_seal_seq(struct xform *x, uint64_t seq, const uint8_t *prefix, size_t prefixlen,
                   uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	if (!x->aead)
		return xform_seal(x, prefix, prefixlen, iv, buf, len, icv);
	for (int i = 0; i < AEAD_IV_LEN; i++)
		iv[i] = (uint8_t)(seq >> (56 - 8 * i));
	return seal_with_iv(x, prefix, prefixlen, iv, buf, len, icv);
}

/* Test-only: see xform.h. */
int xform_seal_iv(struct xform *x, const uint8_t *prefix, size_t prefixlen,
                  const uint8_t *iv, uint8_t *buf, size_t len, uint8_t *icv)
{
	return seal_with_iv(x, prefix, prefixlen, iv, buf, len, icv);
}

int xform_open(struct xform *x, const uint8_t *prefix, size_t prefixlen,
               const uint8_t *iv, uint8_t *buf, size_t len, const uint8_t *icv)
{
	uint8_t nonce[AEAD_SALT_LEN + AEAD_IV_LEN];
	uint8_t mac[MAX_MAC];
	uint8_t tag[16];
	int outl = 0, finl = 0;
	int rc = -1;

	if (!len_ok(x, len))
		goto out;
	if (x->aead) {
		aead_nonce(x, iv, nonce);
		memcpy(tag, icv, x->icv_len);
		if (!EVP_CipherInit_ex2(x->dec, NULL, NULL, nonce, 0, NULL))
			goto out;
		if (prefixlen && !EVP_CipherUpdate(x->dec, NULL, &outl, prefix, (int)prefixlen))
			goto out;
		if (len && !EVP_CipherUpdate(x->dec, buf, &outl, buf, (int)len))
			goto out;
		if (EVP_CIPHER_CTX_ctrl(x->dec, EVP_CTRL_AEAD_SET_TAG, (int)x->icv_len, tag) <= 0)
			goto out;
		/* OpenSSL compares the tag in constant time here */
		if (EVP_CipherFinal_ex(x->dec, buf + outl, &finl) <= 0)
			goto out;
	} else {
		/* verify first, decrypt only authentic data */
		hmac_run(&x->hmac, prefix, prefixlen, iv, x->iv_len, buf, len, mac);
		if (CRYPTO_memcmp(mac, icv, x->icv_len) != 0)
			goto out;
		if (!EVP_CipherInit_ex2(x->dec, NULL, NULL, iv, 0, NULL))
			goto out;
		if (len && !EVP_CipherUpdate(x->dec, buf, &outl, buf, (int)len))
			goto out;
		if ((size_t)outl != len || !EVP_CipherFinal_ex(x->dec, buf + outl, &finl))
			goto out;
	}
	rc = 0;
out:
	OPENSSL_cleanse(mac, sizeof(mac));
	return rc;
}
