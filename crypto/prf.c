/* IKEv2 PRFs (HMAC-SHA1/SHA2) and prf+ (RFC 7296 §2.13), on one HMAC. */
#include "crypto/prf.h"

#include <string.h>
#include <openssl/core_names.h>
#include <openssl/crypto.h>
#include <openssl/evp.h>
#include <openssl/params.h>

#include "crypto/algs.h"

static const char *prf_digest(uint16_t prf)
{
	switch (prf) {
	case PRF_HMAC_SHA1:     return "SHA1";
	case PRF_HMAC_SHA2_256: return "SHA256";
	case PRF_HMAC_SHA2_384: return "SHA384";
	case PRF_HMAC_SHA2_512: return "SHA512";
	default:                return NULL;
	}
}

bool prf_supported(uint16_t prf)
{
	return prf_digest(prf) != NULL;
}

size_t prf_out_len(uint16_t prf)
{
	switch (prf) {
	case PRF_HMAC_SHA1:     return 20;
	case PRF_HMAC_SHA2_256: return 32;
	case PRF_HMAC_SHA2_384: return 48;
	case PRF_HMAC_SHA2_512: return 64;
	default:                return 0;
	}
}

/* One HMAC fetched per process; EVP_MAC_fetch is thread-safe. */
static EVP_MAC *hmac_mac(void)
{
	static EVP_MAC *mac;
	EVP_MAC *m = __atomic_load_n(&mac, __ATOMIC_ACQUIRE);

	if (m)
		return m;
	m = EVP_MAC_fetch(NULL, "HMAC", NULL);
	if (!m)
		return NULL;
	EVP_MAC *expected = NULL;
	if (!__atomic_compare_exchange_n(&mac, &expected, m, false,
	                                 __ATOMIC_ACQ_REL, __ATOMIC_ACQUIRE)) {
		EVP_MAC_free(m);
		m = expected;
	}
	return m;
}

int prf_compute(uint16_t prf, const uint8_t *key, size_t keylen,
                const struct prf_piece *data, size_t n, uint8_t *out)
{
	return hmac_compute(prf_digest(prf), key, keylen, data, n, out, prf_out_len(prf));
}

int hmac_compute(const char *md, const uint8_t *key, size_t keylen,
                 const struct prf_piece *data, size_t n, uint8_t *out, size_t outlen)
{
	EVP_MAC *mac = hmac_mac();
	EVP_MAC_CTX *ctx = NULL;
	OSSL_PARAM params[2];
	static const uint8_t empty[1];
	size_t olen = 0;
	int rc = -1;

	if (!md || !mac)
		goto out;
	ctx = EVP_MAC_CTX_new(mac);
	if (!ctx)
		goto out;
	params[0] = OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST,
	                                             (char *)md, 0);
	params[1] = OSSL_PARAM_construct_end();
	/* an empty HMAC key is legal; OpenSSL wants a non-NULL pointer */
	if (!EVP_MAC_init(ctx, keylen ? key : empty, keylen, params))
		goto out;
	for (size_t i = 0; i < n; i++) {
		if (data[i].len && !EVP_MAC_update(ctx, data[i].p, data[i].len))
			goto out;
	}
	if (!outlen || !EVP_MAC_final(ctx, out, &olen, outlen) || olen != outlen)
		goto out;
	rc = 0;
out:
	EVP_MAC_CTX_free(ctx);
	return rc;
}

int prf_plus(uint16_t prf, const uint8_t *key, size_t keylen,
             const uint8_t *seed, size_t seedlen, uint8_t *out, size_t outlen)
{
	size_t hlen = prf_out_len(prf);
	uint8_t t[PRF_MAX_OUT];
	uint8_t counter = 0;
	size_t done = 0;
	int rc = -1;

	if (!hlen || outlen > 255 * hlen)
		goto out;
	while (done < outlen) {
		struct prf_piece pieces[3];
		size_t np = 0;

		counter++;
		if (counter > 1)
			pieces[np++] = (struct prf_piece){ t, hlen };
		pieces[np++] = (struct prf_piece){ seed, seedlen };
		pieces[np++] = (struct prf_piece){ &counter, 1 };
		if (prf_compute(prf, key, keylen, pieces, np, t) != 0)
			goto out;
		size_t take = outlen - done < hlen ? outlen - done : hlen;
		memcpy(out + done, t, take);
		done += take;
	}
	rc = 0;
out:
	OPENSSL_cleanse(t, sizeof(t));
	if (rc != 0 && outlen <= 255 * hlen)
		OPENSSL_cleanse(out, outlen);
	return rc;
}
