/* strongSwan proposal strings ("aes256-sha256-modp2048,...!") into IKEv2
 * transform sets, cygnet's default proposals, and strongSwan-style names
 * for logs. */
#include "conf/proposal.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/algs.h"

enum tok_kind { TK_ENCR, TK_INTEG, TK_PRF, TK_DH, TK_ESN };

struct tok {
	const char *name;
	enum tok_kind kind;
	uint16_t id;
	uint16_t keybits;   /* ENCR key length; for TK_INTEG: the implied PRF */
};

/* Every token cygnet understands. AES-GCM names are built by parse_gcm(). */
static const struct tok tokens[] = {
	{ "aes", TK_ENCR, ENCR_AES_CBC, 128 },
	{ "aes128", TK_ENCR, ENCR_AES_CBC, 128 },
	{ "aes192", TK_ENCR, ENCR_AES_CBC, 192 },
	{ "aes256", TK_ENCR, ENCR_AES_CBC, 256 },
	{ "3des", TK_ENCR, ENCR_3DES, 0 },
	{ "chacha20poly1305", TK_ENCR, ENCR_CHACHA20_POLY1305, 0 },
	{ "sha1", TK_INTEG, AUTH_HMAC_SHA1_96, PRF_HMAC_SHA1 },
	{ "sha", TK_INTEG, AUTH_HMAC_SHA1_96, PRF_HMAC_SHA1 },
	{ "sha256", TK_INTEG, AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256 },
	{ "sha2_256", TK_INTEG, AUTH_HMAC_SHA2_256_128, PRF_HMAC_SHA2_256 },
	{ "sha384", TK_INTEG, AUTH_HMAC_SHA2_384_192, PRF_HMAC_SHA2_384 },
	{ "sha2_384", TK_INTEG, AUTH_HMAC_SHA2_384_192, PRF_HMAC_SHA2_384 },
	{ "sha512", TK_INTEG, AUTH_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512 },
	{ "sha2_512", TK_INTEG, AUTH_HMAC_SHA2_512_256, PRF_HMAC_SHA2_512 },
	{ "prfsha1", TK_PRF, PRF_HMAC_SHA1, 0 },
	{ "prfsha256", TK_PRF, PRF_HMAC_SHA2_256, 0 },
	{ "prfsha384", TK_PRF, PRF_HMAC_SHA2_384, 0 },
	{ "prfsha512", TK_PRF, PRF_HMAC_SHA2_512, 0 },
	{ "modp1024", TK_DH, MODP_1024, 0 },
	{ "modp1536", TK_DH, MODP_1536, 0 },
	{ "modp2048", TK_DH, MODP_2048, 0 },
	{ "modp3072", TK_DH, MODP_3072, 0 },
	{ "modp4096", TK_DH, MODP_4096, 0 },
	{ "modp6144", TK_DH, MODP_6144, 0 },
	{ "modp8192", TK_DH, MODP_8192, 0 },
	{ "ecp256", TK_DH, ECP_256, 0 },
	{ "ecp384", TK_DH, ECP_384, 0 },
	{ "ecp521", TK_DH, ECP_521, 0 },
	{ "curve25519", TK_DH, CURVE_25519, 0 },
	{ "x25519", TK_DH, CURVE_25519, 0 },
	{ "esn", TK_ESN, ESN_YES, 0 },
	{ "noesn", TK_ESN, ESN_NO, 0 },
};

/* strongSwan tokens that name algorithms cygnet does not implement: these
 * get "not supported" rather than "unknown algorithm". */
static const char *const unsupported[] = {
	"md5", "md5_128", "prfmd5", "des", "desiv32", "desiv64", "3desiv32",
	"blowfish", "blowfish128", "blowfish192", "blowfish256", "cast128",
	"null", "aesxcbc", "prfaesxcbc", "aescmac", "prfaescmac", "aes128gmac",
	"aes192gmac", "aes256gmac", "sha256_96", "sha1_160", "modpnone",
	"modp768", "modp1024s160", "modp2048s224", "modp2048s256", "ecp192",
	"ecp224", "ecp224bp", "ecp256bp", "ecp384bp", "ecp512bp", "curve448",
	"x448", "ntru112", "ntru128", "ntru192", "ntru256", "newhope128",
	"camellia", "camellia128", "camellia192", "camellia256", "serpent",
	"twofish", "idea", "aesctr", "aes128ctr", "aes192ctr", "aes256ctr",
	"aes128ccm8", "aes128ccm12", "aes128ccm16", "aes192ccm8", "aes192ccm12",
	"aes192ccm16", "aes256ccm8", "aes256ccm12", "aes256ccm16", "aes128ccm",
	"aes192ccm", "aes256ccm", "sha3_256", "sha3_384", "sha3_512",
};

/* "aes{128,192,256}gcm[8|12|16|64|96|128]" */
static int parse_gcm(const char *s, struct tok *out)
{
	static const struct { const char *suffix; uint16_t id; } icv[] = {
		{ "", ENCR_AES_GCM_16 },
		{ "8", ENCR_AES_GCM_8 }, { "12", ENCR_AES_GCM_12 },
		{ "16", ENCR_AES_GCM_16 }, { "64", ENCR_AES_GCM_8 },
		{ "96", ENCR_AES_GCM_12 }, { "128", ENCR_AES_GCM_16 },
	};
	static const uint16_t sizes[] = { 128, 192, 256 };

	if (strncmp(s, "aes", 3) != 0)
		return -1;
	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		char prefix[16];
		snprintf(prefix, sizeof(prefix), "aes%ugcm", sizes[i]);
		size_t pl = strlen(prefix);
		if (strncmp(s, prefix, pl) != 0)
			continue;
		for (size_t j = 0; j < sizeof(icv) / sizeof(icv[0]); j++) {
			if (strcmp(s + pl, icv[j].suffix) == 0) {
				out->name = s;
				out->kind = TK_ENCR;
				out->id = icv[j].id;
				out->keybits = sizes[i];
				return 0;
			}
		}
	}
	return -1;
}

static int lookup(const char *s, struct tok *out)
{
	for (size_t i = 0; i < sizeof(tokens) / sizeof(tokens[0]); i++) {
		if (strcmp(s, tokens[i].name) == 0) {
			*out = tokens[i];
			return 0;
		}
	}
	return parse_gcm(s, out);
}

static bool is_unsupported(const char *s)
{
	for (size_t i = 0; i < sizeof(unsupported) / sizeof(unsupported[0]); i++)
		if (strcmp(s, unsupported[i]) == 0)
			return true;
	return false;
}

static bool is_aead(uint16_t encr)
{
	return encr == ENCR_AES_GCM_8 || encr == ENCR_AES_GCM_12 ||
	       encr == ENCR_AES_GCM_16 || encr == ENCR_CHACHA20_POLY1305;
}

/* Appends a transform unless it is already listed. -1 when full. */
static int add_xf(struct prop_xf *arr, int *n, int max, uint16_t id, uint16_t keybits)
{
	for (int i = 0; i < *n; i++)
		if (arr[i].id == id && arr[i].keybits == keybits)
			return 0;
	if (*n >= max)
		return -1;
	arr[*n].id = id;
	arr[*n].keybits = keybits;
	(*n)++;
	return 0;
}

/* One proposal (the text between commas, NUL-terminated and writable). */
static int parse_one(char *s, enum prop_proto proto, struct proposal *p,
                     char *err, size_t errlen)
{
	struct prop_xf implied_prf[PROP_MAX_XF];
	int n_implied = 0, n_aead = 0, n_plain = 0;
	const char *what = proto == PROP_IKE ? "ike" : "esp";
	char *save = NULL, *t;

	memset(p, 0, sizeof(*p));
	if (*s == '\0') {
		snprintf(err, errlen, "empty proposal");
		return -1;
	}
	if (s[0] == '-' || s[strlen(s) - 1] == '-' || strstr(s, "--")) {
		snprintf(err, errlen, "empty algorithm name in '%.64s'", s);
		return -1;
	}
	for (t = strtok_r(s, "-", &save); t; t = strtok_r(NULL, "-", &save)) {
		char low[40];
		struct tok k;
		size_t i;
		int r = 0;

		/* algorithm names are matched case-insensitively */
		for (i = 0; t[i] && i + 1 < sizeof(low); i++)
			low[i] = (char)((t[i] >= 'A' && t[i] <= 'Z') ? t[i] - 'A' + 'a' : t[i]);
		low[i] = '\0';
		if (t[i] || lookup(low, &k) < 0) {
			if (!t[i] && is_unsupported(low))
				snprintf(err, errlen, "algorithm '%.32s' is not supported", t);
			else
				snprintf(err, errlen, "unknown algorithm '%.32s'", t);
			return -1;
		}
		switch (k.kind) {
		case TK_ENCR:
			if (is_aead(k.id))
				n_aead++;
			else
				n_plain++;
			r = add_xf(p->encr, &p->n_encr, PROP_MAX_XF, k.id, k.keybits);
			break;
		case TK_INTEG:
			r = add_xf(p->integ, &p->n_integ, PROP_MAX_XF, k.id, 0);
			if (r == 0)
				r = add_xf(implied_prf, &n_implied, PROP_MAX_XF, k.keybits, 0);
			break;
		case TK_PRF:
			if (proto != PROP_IKE) {
				snprintf(err, errlen, "'%.32s': a PRF is only valid in ike=", t);
				return -1;
			}
			r = add_xf(p->prf, &p->n_prf, PROP_MAX_XF, k.id, 0);
			break;
		case TK_DH:
			r = add_xf(p->dh, &p->n_dh, PROP_MAX_XF, k.id, 0);
			break;
		case TK_ESN:
			if (proto != PROP_ESP) {
				snprintf(err, errlen, "'%.32s': extended sequence numbers are only valid in esp=", t);
				return -1;
			}
			r = add_xf(p->esn, &p->n_esn, 2, k.id, 0);
			break;
		}
		if (r < 0) {
			snprintf(err, errlen, "too many algorithms of one kind (at most %d)",
			         PROP_MAX_XF);
			return -1;
		}
	}
	if (p->n_encr == 0) {
		snprintf(err, errlen, "%s proposal without an encryption algorithm", what);
		return -1;
	}
	if (n_aead && n_plain) {
		snprintf(err, errlen, "%s proposal mixes AEAD and non-AEAD encryption algorithms",
		         what);
		return -1;
	}
	if (proto == PROP_IKE) {
		/* integrity tokens imply the matching PRF unless PRFs are given;
		 * with AEAD they only name the PRF */
		if (p->n_prf == 0) {
			memcpy(p->prf, implied_prf, sizeof(implied_prf[0]) * (size_t)n_implied);
			p->n_prf = n_implied;
		}
		if (n_aead)
			p->n_integ = 0;
		if (!n_aead && p->n_integ == 0) {
			snprintf(err, errlen, "ike proposal without an integrity algorithm");
			return -1;
		}
		if (p->n_prf == 0) {
			snprintf(err, errlen, "ike proposal without a PRF (add e.g. prfsha256)");
			return -1;
		}
		if (p->n_dh == 0) {
			snprintf(err, errlen, "ike proposal without a DH group");
			return -1;
		}
	} else {
		/* an AEAD cipher protects integrity itself: integrity
		 * algorithms are dropped from AEAD ESP proposals */
		if (n_aead)
			p->n_integ = 0;
		if (!n_aead && p->n_integ == 0) {
			snprintf(err, errlen, "esp proposal without an integrity algorithm");
			return -1;
		}
		if (p->n_esn == 0) {
			p->esn[0].id = ESN_NO;
			p->n_esn = 1;
		}
	}
	return 0;
}

int proposal_parse(const char *s, enum prop_proto proto,
                   struct proposal_list *out, char *err, size_t errlen)
{
	char *copy = NULL, *start, *comma;
	size_t len;
	int ret = -1;

	memset(out, 0, sizeof(*out));
	if (err && errlen)
		err[0] = '\0';
	if (!s || (proto != PROP_IKE && proto != PROP_ESP)) {
		snprintf(err, errlen, "no proposal");
		goto out;
	}
	copy = strdup(s);
	if (!copy) {
		snprintf(err, errlen, "out of memory");
		goto out;
	}
	len = strlen(copy);
	if (len > 0 && copy[len - 1] == '!') {
		out->strict = true;
		copy[--len] = '\0';
	}
	if (strchr(copy, '!')) {
		snprintf(err, errlen, "'!' is only allowed at the end of the list");
		goto out;
	}
	if (len == 0) {
		snprintf(err, errlen, "empty proposal list");
		goto out;
	}
	start = copy;
	for (;;) {
		comma = strchr(start, ',');
		if (comma)
			*comma = '\0';
		if (out->n >= PROP_MAX) {
			snprintf(err, errlen, "too many proposals (at most %d)", PROP_MAX);
			goto out;
		}
		if (parse_one(start, proto, &out->p[out->n], err, errlen) < 0)
			goto out;
		out->n++;
		if (!comma)
			break;
		start = comma + 1;
	}
	ret = 0;
out:
	free(copy);
	if (ret < 0)
		memset(out, 0, sizeof(*out));
	return ret;
}

static void set_xfs(struct prop_xf *arr, int *n, const uint16_t *ids,
                    const uint16_t *bits, int count)
{
	for (int i = 0; i < count; i++) {
		arr[i].id = ids[i];
		arr[i].keybits = bits ? bits[i] : 0;
	}
	*n = count;
}

void proposal_defaults(enum prop_proto proto, struct proposal_list *out)
{
	/* the AEADs strongSwan offers by default too, ChaCha20-Poly1305
	 * included (the fast one without AES instructions) */
	static const uint16_t aead[] = { ENCR_AES_GCM_16, ENCR_AES_GCM_16, ENCR_CHACHA20_POLY1305 };
	static const uint16_t aead_bits[] = { 128, 256, 0 };
	static const uint16_t cbc[] = { ENCR_AES_CBC, ENCR_AES_CBC };
	static const uint16_t bits[] = { 128, 256 };
	static const uint16_t ike_integ[] = {
		AUTH_HMAC_SHA2_256_128, AUTH_HMAC_SHA2_384_192, AUTH_HMAC_SHA2_512_256,
	};
	static const uint16_t ike_prf[] = {
		PRF_HMAC_SHA2_256, PRF_HMAC_SHA2_384, PRF_HMAC_SHA2_512,
	};
	/* fast groups only: a stranger picks the group and we compute it
	 * (MODP-3072 costs ~3x, MODP-4096 ~8x MODP-2048); slower ones only
	 * when a conn's ike= names them */
	static const uint16_t ike_dh[] = {
		CURVE_25519, ECP_256, ECP_384, MODP_2048,
	};
	static const uint16_t esp_integ[] = {
		AUTH_HMAC_SHA2_256_128, AUTH_HMAC_SHA2_384_192, AUTH_HMAC_SHA2_512_256,
		AUTH_HMAC_SHA1_96,
	};
	struct proposal *p;

	memset(out, 0, sizeof(*out));
	/* the defaults are complete in themselves: nothing is appended */
	out->strict = true;
	out->n = 2;
	if (proto == PROP_IKE) {
		p = &out->p[0];
		set_xfs(p->encr, &p->n_encr, aead, aead_bits, 3);
		set_xfs(p->prf, &p->n_prf, ike_prf, NULL, 3);
		set_xfs(p->dh, &p->n_dh, ike_dh, NULL, 4);
		p = &out->p[1];
		set_xfs(p->encr, &p->n_encr, cbc, bits, 2);
		set_xfs(p->integ, &p->n_integ, ike_integ, NULL, 3);
		set_xfs(p->prf, &p->n_prf, ike_prf, NULL, 3);
		set_xfs(p->dh, &p->n_dh, ike_dh, NULL, 4);
	} else {
		static const uint16_t noesn[] = { ESN_NO };
		p = &out->p[0];
		set_xfs(p->encr, &p->n_encr, aead, aead_bits, 3);
		set_xfs(p->esn, &p->n_esn, noesn, NULL, 1);
		p = &out->p[1];
		set_xfs(p->encr, &p->n_encr, cbc, bits, 2);
		set_xfs(p->integ, &p->n_integ, esp_integ, NULL, 4);
		set_xfs(p->esn, &p->n_esn, noesn, NULL, 1);
	}
}

static const char *encr_name(uint16_t id)
{
	switch (id) {
	case ENCR_3DES: return "3DES_CBC";
	case ENCR_AES_CBC: return "AES_CBC";
	case ENCR_AES_GCM_8: return "AES_GCM_8";
	case ENCR_AES_GCM_12: return "AES_GCM_12";
	case ENCR_AES_GCM_16: return "AES_GCM_16";
	case ENCR_CHACHA20_POLY1305: return "CHACHA20_POLY1305";
	default: return NULL;
	}
}

static const char *integ_name(uint16_t id)
{
	switch (id) {
	case AUTH_HMAC_SHA1_96: return "HMAC_SHA1_96";
	case AUTH_HMAC_SHA2_256_128: return "HMAC_SHA2_256_128";
	case AUTH_HMAC_SHA2_384_192: return "HMAC_SHA2_384_192";
	case AUTH_HMAC_SHA2_512_256: return "HMAC_SHA2_512_256";
	default: return NULL;
	}
}

static const char *prf_name(uint16_t id)
{
	switch (id) {
	case PRF_HMAC_SHA1: return "PRF_HMAC_SHA1";
	case PRF_HMAC_SHA2_256: return "PRF_HMAC_SHA2_256";
	case PRF_HMAC_SHA2_384: return "PRF_HMAC_SHA2_384";
	case PRF_HMAC_SHA2_512: return "PRF_HMAC_SHA2_512";
	default: return NULL;
	}
}

static const char *dh_name(uint16_t id)
{
	switch (id) {
	case MODP_1024: return "MODP_1024";
	case MODP_1536: return "MODP_1536";
	case MODP_2048: return "MODP_2048";
	case MODP_3072: return "MODP_3072";
	case MODP_4096: return "MODP_4096";
	case MODP_6144: return "MODP_6144";
	case MODP_8192: return "MODP_8192";
	case ECP_256: return "ECP_256";
	case ECP_384: return "ECP_384";
	case ECP_521: return "ECP_521";
	case CURVE_25519: return "CURVE_25519";
	default: return NULL;
	}
}

const char *proposal_xf_name(uint8_t type, uint16_t id)
{
	switch (type) {
	case XF_ENCR: return encr_name(id);
	case XF_INTEG: return integ_name(id);
	case XF_PRF: return prf_name(id);
	case XF_DH: return dh_name(id);
	case XF_ESN: return id == ESN_YES ? "EXT_SEQ" : id == ESN_NO ? "NO_EXT_SEQ" : NULL;
	default: return NULL;
	}
}

/* appends "/name" (no slash first) to out, truncating safely */
static void append(char *out, size_t outlen, size_t *pos, const char *name,
                   const char *unknown_prefix, uint16_t id, uint16_t keybits)
{
	char item[48];
	int w;

	if (name && keybits)
		snprintf(item, sizeof(item), "%s_%u", name, keybits);
	else if (name)
		snprintf(item, sizeof(item), "%s", name);
	else
		snprintf(item, sizeof(item), "%s_%u", unknown_prefix, id);
	if (*pos >= outlen)
		return;
	w = snprintf(out + *pos, outlen - *pos, "%s%s", *pos ? "/" : "", item);
	if (w < 0)
		return;
	*pos += (size_t)w;
	if (*pos >= outlen)
		*pos = outlen;
}

void proposal_format(const struct proposal *p, char *out, size_t outlen)
{
	size_t pos = 0;

	if (!out || outlen == 0)
		return;
	out[0] = '\0';
	if (!p)
		return;
	for (int i = 0; i < p->n_encr && i < PROP_MAX_XF; i++)
		append(out, outlen, &pos, encr_name(p->encr[i].id), "ENCR",
		       p->encr[i].id, p->encr[i].keybits);
	for (int i = 0; i < p->n_integ && i < PROP_MAX_XF; i++)
		append(out, outlen, &pos, integ_name(p->integ[i].id), "INTEG",
		       p->integ[i].id, 0);
	for (int i = 0; i < p->n_prf && i < PROP_MAX_XF; i++)
		append(out, outlen, &pos, prf_name(p->prf[i].id), "PRF",
		       p->prf[i].id, 0);
	for (int i = 0; i < p->n_dh && i < PROP_MAX_XF; i++)
		append(out, outlen, &pos, dh_name(p->dh[i].id), "DH",
		       p->dh[i].id, 0);
	for (int i = 0; i < p->n_esn && i < 2; i++)
		append(out, outlen, &pos,
		       p->esn[i].id == ESN_YES ? "EXT_SEQ" : "NO_EXT_SEQ", "ESN",
		       p->esn[i].id, 0);
}
