/* Key derivation for IKE and CHILD SAs. */
#include <stdlib.h>
#include <string.h>
#include <openssl/crypto.h>
#include "crypto/prf.h"
#include "crypto/xform.h"
#include "src/dp/dp.h"
#include "src/ike_keys.h"
#include "src/ike_sa.h"

static int derive(struct ike_sa *sa, const struct ike_sa *old,
                  const uint8_t *secret, size_t secret_len);

int ike_keys_derive(struct ike_sa *sa, const uint8_t *secret, size_t secret_len)
{
	return derive(sa, NULL, secret, secret_len);
}

int ike_keys_derive_rekey(struct ike_sa *sa, const struct ike_sa *old,
                          const uint8_t *secret, size_t secret_len)
{
	return derive(sa, old, secret, secret_len);
}

static int derive(struct ike_sa *sa, const struct ike_sa *old,
                  const uint8_t *secret, size_t secret_len)
{
	size_t plen = prf_out_len(sa->prf);
	size_t elen = xform_encr_keylen(sa->encr, sa->keybits);
	size_t alen = xform_integ_keylen(sa->integ);
	size_t total = 3 * plen + 2 * elen + 2 * alen;
	uint8_t skeyseed[PRF_MAX_OUT];
	uint8_t *km = NULL, *seed = NULL, *nonces = NULL;
	int rc = -1;
	if (!plen || plen > sizeof(sa->sk_d))
		return -1;
	size_t nlen = sa->ni_len + sa->nr_len;
	nonces = malloc(nlen);
	seed = malloc(nlen + 16);
	km = malloc(total);
	if (!nonces || !seed || !km)
		goto out;
	memcpy(nonces, sa->ni, sa->ni_len);
	memcpy(nonces + sa->ni_len, sa->nr, sa->nr_len);
	if (old) {
		/* SKEYSEED = prf(SK_d (old), g^ir (new) | Ni | Nr), old PRF */
		struct prf_piece p[2] = { { secret, secret_len }, { nonces, nlen } };
		if (prf_compute(old->prf, old->sk_d, old->prf_len, p, 2, skeyseed) != 0)
			goto out;
	} else {
		/* SKEYSEED = prf(Ni | Nr, g^ir) */
		struct prf_piece p = { secret, secret_len };
		if (prf_compute(sa->prf, nonces, nlen, &p, 1, skeyseed) != 0)
			goto out;
	}
	/* SKEYSEED is as long as the output of the PRF that made it */
	size_t seedlen = old ? prf_out_len(old->prf) : plen;
	/* prf+(SKEYSEED, Ni | Nr | SPIi | SPIr) */
	memcpy(seed, nonces, nlen);
	memcpy(seed + nlen, sa->spi_i, 8);
	memcpy(seed + nlen + 8, sa->spi_r, 8);
	if (prf_plus(sa->prf, skeyseed, seedlen, seed, nlen + 16, km, total) != 0)
		goto out;
	const uint8_t *k = km;
	memcpy(sa->sk_d, k, plen); k += plen;
	const uint8_t *ai = k; k += alen;
	const uint8_t *ar = k; k += alen;
	const uint8_t *ei = k; k += elen;
	const uint8_t *er = k; k += elen;
	memcpy(sa->sk_pi, k, plen); k += plen;
	memcpy(sa->sk_pr, k, plen);
	sa->prf_len = plen;
	/* the initiator sends with SK_ei/SK_ai */
	const uint8_t *ein = sa->initiator ? er : ei, *ain = sa->initiator ? ar : ai;
	const uint8_t *eout = sa->initiator ? ei : er, *aout = sa->initiator ? ai : ar;
	sa->x_in = xform_new(sa->encr, sa->keybits, sa->integ, ein, alen ? ain : NULL);
	sa->x_out = xform_new(sa->encr, sa->keybits, sa->integ, eout, alen ? aout : NULL);
	if (sa->x_in && sa->x_out)
		rc = 0;
out:
	OPENSSL_cleanse(skeyseed, sizeof(skeyseed));
	if (km)
		OPENSSL_cleanse(km, total);
	if (seed)
		OPENSSL_cleanse(seed, nlen + 16);
	if (nonces)
		OPENSSL_cleanse(nonces, nlen);
	free(km);
	free(seed);
	free(nonces);
	return rc;
}

int ike_keys_child(const struct ike_sa *sa, bool initiator,
                   uint16_t encr, uint16_t keybits, uint16_t integ,
                   const uint8_t *dh_secret, size_t dh_len,
                   const uint8_t *ni, size_t ni_len,
                   const uint8_t *nr, size_t nr_len, struct dp_sa_params *out)
{
	size_t elen = xform_encr_keylen(encr, keybits);
	size_t alen = xform_integ_keylen(integ);
	size_t total = 2 * (elen + alen);
	size_t slen = dh_len + ni_len + nr_len;
	uint8_t *seed = malloc(slen ? slen : 1);
	uint8_t *km = malloc(total ? total : 1);
	int rc = -1;
	if (!seed || !km || !elen || elen > DP_KEY_MAX || alen > DP_KEY_MAX)
		goto out;
	if (dh_len)
		memcpy(seed, dh_secret, dh_len);
	memcpy(seed + dh_len, ni, ni_len);
	memcpy(seed + dh_len + ni_len, nr, nr_len);
	if (prf_plus(sa->prf, sa->sk_d, sa->prf_len, seed, slen, km, total) != 0)
		goto out;
	/* initiator->responder encr | integ, then responder->initiator; the
	 * initiator is whoever started this exchange */
	const uint8_t *ei = km, *ai = km + elen, *er = km + elen + alen, *ar = er + elen;
	out->encr = encr;
	out->keybits = keybits;
	out->integ = integ;
	out->has_akey = alen != 0;
	memcpy(out->ekey_in, initiator ? er : ei, elen);
	memcpy(out->ekey_out, initiator ? ei : er, elen);
	memcpy(out->akey_in, initiator ? ar : ai, alen);
	memcpy(out->akey_out, initiator ? ai : ar, alen);
	rc = 0;
out:
	if (km)
		OPENSSL_cleanse(km, total);
	if (seed)
		OPENSSL_cleanse(seed, slen);
	free(km);
	free(seed);
	return rc;
}
