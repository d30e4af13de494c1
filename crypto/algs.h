/* IANA IKEv2 transform identifiers (RFC 7296 §3.3.2 and the IANA
 * "Internet Key Exchange Version 2 (IKEv2) Parameters" registry). Plain
 * constants shared by the proposal parser, the crypto wrappers and IKE. */
#ifndef CYGNET_ALGS_H
#define CYGNET_ALGS_H

#include <stdint.h>

enum xform_type {
	XF_ENCR = 1,
	XF_PRF = 2,
	XF_INTEG = 3,
	XF_DH = 4,
	XF_ESN = 5,
};

enum encr_id {
	ENCR_3DES = 3,
	ENCR_AES_CBC = 12,
	ENCR_AES_GCM_8 = 18,
	ENCR_AES_GCM_12 = 19,
	ENCR_AES_GCM_16 = 20,
	ENCR_CHACHA20_POLY1305 = 28,
};

enum prf_id {
	PRF_HMAC_SHA1 = 2,
	PRF_HMAC_SHA2_256 = 5,
	PRF_HMAC_SHA2_384 = 6,
	PRF_HMAC_SHA2_512 = 7,
};

enum integ_id {
	AUTH_NONE = 0,
	AUTH_HMAC_SHA1_96 = 2,
	AUTH_HMAC_SHA2_256_128 = 12,
	AUTH_HMAC_SHA2_384_192 = 13,
	AUTH_HMAC_SHA2_512_256 = 14,
};

enum dh_id {
	DH_NONE = 0,
	MODP_1024 = 2,
	MODP_1536 = 5,
	MODP_2048 = 14,
	MODP_3072 = 15,
	MODP_4096 = 16,
	MODP_6144 = 17,
	MODP_8192 = 18,
	ECP_256 = 19,
	ECP_384 = 20,
	ECP_521 = 21,
	CURVE_25519 = 31,
};

enum esn_id {
	ESN_NO = 0,
	ESN_YES = 1,
};

/* Transform attribute type for the key length (RFC 7296 §3.3.5). */
#define XF_ATTR_KEY_LENGTH 14

#endif
