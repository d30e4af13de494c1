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

/* <SignedOctets> = message | nonce of the other side | prf(SK_p, ID') */
int ike_auth_octets(const struct ike_sa *sa, bool by_initiator, uint8_t **out, size_t *outlen)
{
	const uint8_t *msg = by_initiator ? sa->init_req : sa->init_resp;
	size_t msglen = by_initiator ? sa->init_req_len : sa->init_resp_len;
	const uint8_t *nonce = by_initiator ? sa->nr : sa->ni;
	size_t nlen = by_initiator ? sa->nr_len : sa->ni_len;
	const uint8_t *key = by_initiator ? sa->sk_pi : sa->sk_pr;
	struct prf_piece id = { by_initiator ? sa->idi_body : sa->idr_body,
	                        by_initiator ? sa->idi_body_len : sa->idr_body_len };
	if (!msg || !nonce)
		return -1;
	size_t total = msglen + nlen + sa->prf_len;
	uint8_t *buf = malloc(total);
	if (!buf)
		return -1;
	memcpy(buf, msg, msglen);
	memcpy(buf + msglen, nonce, nlen);
	if (prf_compute(sa->prf, key, sa->prf_len, &id, 1, buf + msglen + nlen) != 0) {
		free(buf);
		return -1;
	}
	*out = buf;
	*outlen = total;
	return 0;
}

#define KEY_PAD "Key Pad for IKEv2"

int ike_auth_psk(const struct ike_sa *sa, bool by_initiator, const uint8_t *key, size_t keylen,
                 uint8_t *out)
{
	uint8_t inner[PRF_MAX_OUT];
	uint8_t *oct = NULL;
	size_t octlen;
	int rc = -1;
	struct prf_piece pad = { (const uint8_t *)KEY_PAD, strlen(KEY_PAD) };
	if (ike_auth_octets(sa, by_initiator, &oct, &octlen) != 0)
		return -1;
	struct prf_piece p = { oct, octlen };
	if (prf_compute(sa->prf, key, keylen, &pad, 1, inner) == 0 &&
	    prf_compute(sa->prf, inner, sa->prf_len, &p, 1, out) == 0)
		rc = 0;
	OPENSSL_cleanse(inner, sizeof(inner));
	free(oct);
	return rc;
}
