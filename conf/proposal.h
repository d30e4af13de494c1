/* strongSwan proposal strings ("aes256-sha256-modp2048,aes128gcm16-prfsha256-ecp256!")
 * parsed into IKEv2 transform sets. */
#ifndef CYGNET_PROPOSAL_H
#define CYGNET_PROPOSAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define PROP_MAX_XF 16   /* transforms of one type in one proposal */
#define PROP_MAX 16      /* proposals in one list */

enum prop_proto { PROP_IKE = 1, PROP_ESP = 3 };

struct prop_xf {
	uint16_t id;        /* enum encr_id / prf_id / integ_id / dh_id / esn_id */
	uint16_t keybits;   /* ENCR with a key length attribute, else 0 */
};

/* One proposal: for each transform type, the acceptable transforms in
 * order of preference. */
struct proposal {
	struct prop_xf encr[PROP_MAX_XF]; int n_encr;
	struct prop_xf integ[PROP_MAX_XF]; int n_integ;
	struct prop_xf prf[PROP_MAX_XF]; int n_prf;
	struct prop_xf dh[PROP_MAX_XF]; int n_dh;
	struct prop_xf esn[2]; int n_esn;
};

struct proposal_list {
	struct proposal p[PROP_MAX];
	int n;
	/* "!" at the end: only these; otherwise the defaults are accepted too
	 * (appended after the configured proposals, as strongSwan does) */
	bool strict;
};

/* Parses a comma-separated list of proposals for IKE or ESP in
 * strongSwan syntax. Rules:
 *  - tokens separated by '-': encryption (aes128, aes192, aes256, aes =
 *    aes128, 3des, aes128gcm16/aes256gcm16/aes192gcm16 and gcm8/gcm12 and
 *    aes*gcm = gcm16, chacha20poly1305), integrity (sha1, sha256,
 *    sha384, sha512, also sha2_256 etc.), prf (prfsha1, prfsha256, ...),
 *    DH (modp1024..modp8192, ecp256, ecp384, ecp521, curve25519 / x25519),
 *    ESN (esn, noesn);
 *  - IKE: with non-AEAD ciphers each integrity algorithm also implies the
 *    matching PRF unless prf tokens are given; with AEAD ciphers an
 *    integrity token means that PRF (strongSwan's rule);
 *  - ESP: a DH group means PFS on rekeying; ESN defaults to noesn;
 *  - a trailing '!' sets strict.
 * Unknown tokens, a proposal without encryption, IKE without DH or prf,
 * mixing AEAD and non-AEAD ciphers in one proposal, or more than the
 * maxima above fail with a one-line reason in err. 0 on success. */
int proposal_parse(const char *s, enum prop_proto proto,
                   struct proposal_list *out, char *err, size_t errlen);

/* cygnet's defaults, used when ike=/esp= are absent and appended when
 * they are given without '!': IKE AES-GCM-16 and AES-CBC 128/256 with
 * SHA-256/384/512, DH curve25519, ecp256, ecp384, modp3072, modp2048,
 * modp4096; ESP AES-GCM-16 128/256 and AES-CBC 128/256 with SHA-256/384/512
 * and SHA-1. No 3DES, no MODP-1024, no SHA-1 for IKE. */
void proposal_defaults(enum prop_proto proto, struct proposal_list *out);

/* strongSwan's name of one transform ("AES_CBC", "HMAC_SHA2_256_128",
 * "MODP_2048", "NO_EXT_SEQ", ...; type is enum xform_type), NULL if unknown */
const char *proposal_xf_name(uint8_t type, uint16_t id);

/* Formats one proposal strongSwan style ("AES_CBC_256/HMAC_SHA2_256_128/
 * PRF_HMAC_SHA2_256/MODP_2048") for logs. */
void proposal_format(const struct proposal *p, char *out, size_t outlen);

#endif
