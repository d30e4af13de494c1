/* Diffie-Hellman for IKE KE payloads: MODP (RFC 2409 group 2, RFC 3526),
 * ECP with the RFC 5903 x|y encoding, Curve25519 (RFC 8031). */
#include "crypto/dh.h"

#include <stdlib.h>
#include <string.h>
#include <openssl/bn.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/dh.h>
#include <openssl/ec.h>
#include <openssl/evp.h>
#include <openssl/obj_mac.h>
#include <openssl/param_build.h>

#include "crypto/algs.h"

enum dh_kind { KIND_MODP, KIND_ECP, KIND_X25519 };

struct dh_group {
	uint16_t id;
	enum dh_kind kind;
	size_t len;        /* MODP: prime bytes; ECP: field bytes; X25519: 32 */
	const char *name;  /* OpenSSL group name; NULL for MODP-1024 */
	int nid;           /* ECP curve NID */
};

static const struct dh_group groups[] = {
	{ MODP_1024, KIND_MODP, 128, NULL, 0 },
	{ MODP_1536, KIND_MODP, 192, "modp_1536", 0 },
	{ MODP_2048, KIND_MODP, 256, "modp_2048", 0 },
	{ MODP_3072, KIND_MODP, 384, "modp_3072", 0 },
	{ MODP_4096, KIND_MODP, 512, "modp_4096", 0 },
	{ MODP_6144, KIND_MODP, 768, "modp_6144", 0 },
	{ MODP_8192, KIND_MODP, 1024, "modp_8192", 0 },
	{ ECP_256, KIND_ECP, 32, "prime256v1", NID_X9_62_prime256v1 },
	{ ECP_384, KIND_ECP, 48, "secp384r1", NID_secp384r1 },
	{ ECP_521, KIND_ECP, 66, "secp521r1", NID_secp521r1 },
	{ CURVE_25519, KIND_X25519, 32, "X25519", 0 },
};

struct dh {
	const struct dh_group *g;
	EVP_PKEY *key;
	uint8_t *pub;      /* our public value in IKE encoding */
	size_t publen;
};

static const struct dh_group *find_group(uint16_t id)
{
	for (size_t i = 0; i < sizeof(groups) / sizeof(groups[0]); i++)
		if (groups[i].id == id)
			return &groups[i];
	return NULL;
}

bool dh_supported(uint16_t group)
{
	return find_group(group) != NULL;
}

size_t dh_pub_len(uint16_t group)
{
	const struct dh_group *g = find_group(group);

	if (!g)
		return 0;
	return g->kind == KIND_ECP ? 2 * g->len : g->len;
}

size_t dh_secret_len(uint16_t group)
{
	const struct dh_group *g = find_group(group);

	return g ? g->len : 0;
}

uint16_t dh_group(const struct dh *dh)
{
	return dh ? dh->g->id : 0;
}

/* The group's prime as a BIGNUM (new). */
static BIGNUM *modp_prime(const struct dh_group *g)
{
	switch (g->id) {
	case MODP_1024: return BN_get_rfc2409_prime_1024(NULL);
	case MODP_1536: return BN_get_rfc3526_prime_1536(NULL);
	case MODP_2048: return BN_get_rfc3526_prime_2048(NULL);
	case MODP_3072: return BN_get_rfc3526_prime_3072(NULL);
	case MODP_4096: return BN_get_rfc3526_prime_4096(NULL);
	case MODP_6144: return BN_get_rfc3526_prime_6144(NULL);
	case MODP_8192: return BN_get_rfc3526_prime_8192(NULL);
	default:        return NULL;
	}
}

/* Adds the group's domain parameters to bld: a named group, or p and g
 * for MODP-1024, which OpenSSL has no name for. */
static int add_group_params(OSSL_PARAM_BLD *bld, const struct dh_group *g,
                            BIGNUM **p, BIGNUM **gen)
{
	if (g->name)
		return OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME,
		                                       g->name, 0) ? 0 : -1;
	*p = modp_prime(g);
	*gen = BN_new();
	if (!*p || !*gen || !BN_set_word(*gen, 2))
		return -1;
	if (!OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_P, *p) ||
	    !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_FFC_G, *gen))
		return -1;
	return 0;
}

/* Builds an EVP_PKEY from the group plus the given public/private parts
 * (pub: MODP BIGNUM-able bytes or EC point octets; priv: BIGNUM). */
static EVP_PKEY *pkey_from_parts(const struct dh_group *g, const uint8_t *pubraw,
                                 size_t publen, const BIGNUM *priv, int selection)
{
	OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
	OSSL_PARAM *params = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *key = NULL;
	BIGNUM *p = NULL, *gen = NULL, *pubbn = NULL;

	if (!bld || add_group_params(bld, g, &p, &gen) != 0)
		goto out;
	if (pubraw) {
		if (g->kind == KIND_MODP) {
			pubbn = BN_bin2bn(pubraw, (int)publen, NULL);
			if (!pubbn || !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PUB_KEY, pubbn))
				goto out;
		} else if (!OSSL_PARAM_BLD_push_octet_string(bld, OSSL_PKEY_PARAM_PUB_KEY,
		                                             pubraw, publen)) {
			goto out;
		}
	}
	if (priv && !OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, priv))
		goto out;
	params = OSSL_PARAM_BLD_to_param(bld);
	ctx = EVP_PKEY_CTX_new_from_name(NULL, g->kind == KIND_MODP ? "DH" : "EC", NULL);
	if (!params || !ctx || EVP_PKEY_fromdata_init(ctx) <= 0)
		goto out;
	if (EVP_PKEY_fromdata(ctx, &key, selection, params) <= 0)
		key = NULL;
out:
	EVP_PKEY_CTX_free(ctx);
	OSSL_PARAM_free(params);
	OSSL_PARAM_BLD_free(bld);
	BN_free(p);
	BN_free(gen);
	BN_free(pubbn);
	return key;
}

/* Fills dh->pub from dh->key in IKE encoding. */
static int export_public(struct dh *dh)
{
	const struct dh_group *g = dh->g;
	BIGNUM *y = NULL;
	uint8_t pt[1 + 2 * 66];
	size_t ptlen = 0;
	int rc = -1;

	dh->publen = dh_pub_len(g->id);
	dh->pub = malloc(dh->publen);
	if (!dh->pub)
		goto out;
	switch (g->kind) {
	case KIND_MODP:
		if (!EVP_PKEY_get_bn_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY, &y) ||
		    BN_bn2binpad(y, dh->pub, (int)dh->publen) < 0)
			goto out;
		break;
	case KIND_ECP:
		/* uncompressed point 0x04 | x | y; IKE drops the 0x04 */
		if (!EVP_PKEY_get_octet_string_param(dh->key, OSSL_PKEY_PARAM_PUB_KEY,
		                                     pt, sizeof(pt), &ptlen) ||
		    ptlen != 1 + dh->publen || pt[0] != 0x04)
			goto out;
		memcpy(dh->pub, pt + 1, dh->publen);
		break;
	case KIND_X25519:
		ptlen = dh->publen;
		if (!EVP_PKEY_get_raw_public_key(dh->key, dh->pub, &ptlen) ||
		    ptlen != dh->publen)
			goto out;
		break;
	}
	rc = 0;
out:
	BN_free(y);
	return rc;
}

static struct dh *dh_wrap(const struct dh_group *g, EVP_PKEY *key)
{
	struct dh *dh = calloc(1, sizeof(*dh));

	if (!dh) {
		EVP_PKEY_free(key);
		return NULL;
	}
	dh->g = g;
	dh->key = key;
	if (export_public(dh) != 0) {
		dh_free(dh);
		return NULL;
	}
	return dh;
}

struct dh *dh_new(uint16_t group)
{
	const struct dh_group *g = find_group(group);
	EVP_PKEY_CTX *ctx = NULL;
	EVP_PKEY *params = NULL, *key = NULL;
	struct dh *dh = NULL;

	if (!g)
		goto out;
	if (g->kind == KIND_X25519) {
		ctx = EVP_PKEY_CTX_new_from_name(NULL, "X25519", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
			goto out;
	} else if (g->name) {
		OSSL_PARAM p[2] = {
			OSSL_PARAM_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)g->name, 0),
			OSSL_PARAM_END,
		};
		ctx = EVP_PKEY_CTX_new_from_name(NULL, g->kind == KIND_MODP ? "DH" : "EC", NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0 ||
		    EVP_PKEY_CTX_set_params(ctx, p) <= 0)
			goto out;
	} else {
		/* MODP-1024: explicit p and g as domain parameters */
		params = pkey_from_parts(g, NULL, 0, NULL, EVP_PKEY_KEY_PARAMETERS);
		if (!params)
			goto out;
		ctx = EVP_PKEY_CTX_new_from_pkey(NULL, params, NULL);
		if (!ctx || EVP_PKEY_keygen_init(ctx) <= 0)
			goto out;
	}
	if (EVP_PKEY_keygen(ctx, &key) <= 0)
		goto out;
	dh = dh_wrap(g, key);
out:
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(params);
	return dh;
}

/* Test-only: see dh.h. */
struct dh *dh_new_from_private(uint16_t group, const uint8_t *priv, size_t len)
{
	const struct dh_group *g = find_group(group);
	EC_GROUP *ecg = NULL;
	EC_POINT *pt = NULL;
	BIGNUM *d = NULL;
	EVP_PKEY *key = NULL;
	uint8_t pub[1 + 2 * 66];
	size_t publen;
	struct dh *dh = NULL;

	if (!g)
		goto out;
	if (g->kind == KIND_X25519) {
		if (len != 32)
			goto out;
		key = EVP_PKEY_new_raw_private_key(EVP_PKEY_X25519, NULL, priv, len);
	} else if (g->kind == KIND_ECP) {
		/* OpenSSL does not derive the public point on import */
		d = BN_bin2bn(priv, (int)len, NULL);
		ecg = EC_GROUP_new_by_curve_name(g->nid);
		pt = ecg ? EC_POINT_new(ecg) : NULL;
		if (!d || !pt || !EC_POINT_mul(ecg, pt, d, NULL, NULL, NULL))
			goto out;
		publen = EC_POINT_point2oct(ecg, pt, POINT_CONVERSION_UNCOMPRESSED,
		                            pub, sizeof(pub), NULL);
		if (publen != 1 + 2 * g->len)
			goto out;
		key = pkey_from_parts(g, pub, publen, d, EVP_PKEY_KEYPAIR);
	} else {
		/* MODP: y = 2^x mod p */
		BIGNUM *p = modp_prime(g), *y = BN_new(), *two = BN_new();
		BN_CTX *bctx = BN_CTX_new();
		uint8_t ybuf[1024];
		int ok;

		d = BN_bin2bn(priv, (int)len, NULL);
		ok = p && y && two && bctx && d && BN_set_word(two, 2) &&
		     BN_mod_exp(y, two, d, p, bctx) &&
		     BN_bn2binpad(y, ybuf, (int)g->len) == (int)g->len;
		if (ok)
			key = pkey_from_parts(g, ybuf, g->len, d, EVP_PKEY_KEYPAIR);
		BN_free(p);
		BN_free(y);
		BN_free(two);
		BN_CTX_free(bctx);
	}
	if (key)
		dh = dh_wrap(g, key);
out:
	BN_clear_free(d);
	EC_POINT_free(pt);
	EC_GROUP_free(ecg);
	return dh;
}

int dh_public(const struct dh *dh, uint8_t *out, size_t outlen)
{
	if (!dh || outlen != dh->publen)
		return -1;
	memcpy(out, dh->pub, dh->publen);
	return 0;
}

/* RFC 7296 §3.4 / SP 800-56A: reject 0, 1, p-1 and anything >= p. */
static bool modp_peer_ok(const struct dh_group *g, const uint8_t *peer, size_t len)
{
	BIGNUM *p = modp_prime(g), *y = BN_bin2bn(peer, (int)len, NULL);
	bool ok = false;

	if (!p || !y || !BN_sub_word(p, 1))
		goto out;
	/* now p holds p-1 */
	ok = BN_cmp(y, BN_value_one()) > 0 && BN_cmp(y, p) < 0;
out:
	BN_free(p);
	BN_free(y);
	return ok;
}

static EVP_PKEY *peer_key(const struct dh_group *g, const uint8_t *peer, size_t len)
{
	uint8_t pt[1 + 2 * 66];

	switch (g->kind) {
	case KIND_MODP:
		if (!modp_peer_ok(g, peer, len))
			return NULL;
		return pkey_from_parts(g, peer, len, NULL, EVP_PKEY_PUBLIC_KEY);
	case KIND_ECP:
		pt[0] = 0x04;
		memcpy(pt + 1, peer, len);
		/* import decodes the point, which fails when it is not on
		 * the curve; the derive below also runs the public check */
		return pkey_from_parts(g, pt, len + 1, NULL, EVP_PKEY_PUBLIC_KEY);
	case KIND_X25519:
		return EVP_PKEY_new_raw_public_key(EVP_PKEY_X25519, NULL, peer, len);
	}
	return NULL;
}

int dh_shared(struct dh *dh, const uint8_t *peer, size_t peerlen,
              uint8_t *out, size_t outlen)
{
	EVP_PKEY *pk = NULL;
	EVP_PKEY_CTX *ctx = NULL;
	uint8_t *tmp = NULL;
	size_t tlen = 0, want;
	int rc = -1;

	if (!dh || peerlen != dh->publen || outlen != dh_secret_len(dh->g->id))
		goto out;
	want = outlen;
	pk = peer_key(dh->g, peer, peerlen);
	if (!pk)
		goto out;
	ctx = EVP_PKEY_CTX_new_from_pkey(NULL, dh->key, NULL);
	if (!ctx || EVP_PKEY_derive_init(ctx) <= 0)
		goto out;
	/* MODP range checks are done above, so skip OpenSSL's costly
	 * subgroup exponentiation; ECP gets the full point validation */
	if (EVP_PKEY_derive_set_peer_ex(ctx, pk, dh->g->kind == KIND_ECP) <= 0)
		goto out;
	if (dh->g->kind == KIND_MODP && EVP_PKEY_CTX_set_dh_pad(ctx, 1) <= 0)
		goto out;
	if (EVP_PKEY_derive(ctx, NULL, &tlen) <= 0 || tlen == 0 || tlen > want)
		goto out;
	tmp = malloc(tlen);
	if (!tmp || EVP_PKEY_derive(ctx, tmp, &tlen) <= 0 || tlen > want)
		goto out;
	/* left-pad to the full length (a no-op when OpenSSL already did) */
	memset(out, 0, want - tlen);
	memcpy(out + (want - tlen), tmp, tlen);
	if (dh->g->kind == KIND_X25519) {
		/* RFC 8031 §2.3 / RFC 7748 §6.1: reject the all-zero output */
		uint8_t acc = 0;
		for (size_t i = 0; i < want; i++)
			acc |= out[i];
		if (acc == 0) {
			OPENSSL_cleanse(out, want);
			goto out;
		}
	}
	rc = 0;
out:
	if (tmp) {
		OPENSSL_cleanse(tmp, tlen);
		free(tmp);
	}
	EVP_PKEY_CTX_free(ctx);
	EVP_PKEY_free(pk);
	return rc;
}

void dh_free(struct dh *dh)
{
	if (!dh)
		return;
	EVP_PKEY_free(dh->key); /* OpenSSL clears private key material */
	free(dh->pub);
	OPENSSL_cleanse(dh, sizeof(*dh));
	free(dh);
}
