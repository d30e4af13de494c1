/* conf/proposal.c: strongSwan proposal strings from the seed guides
 * (seeds/000, 001, 002, 003) parsed into exact transform lists. */
#include "tests/unit/check.h"
#include "conf/proposal.h"
#include "crypto/algs.h"

/* every proposal formatted, joined with " | " */
static const char *fmt_list(const struct proposal_list *l)
{
	static char buf[4096];
	size_t pos = 0;

	buf[0] = '\0';
	for (int i = 0; i < l->n; i++) {
		char one[1024];
		proposal_format(&l->p[i], one, sizeof(one));
		pos += (size_t)snprintf(buf + pos, sizeof(buf) - pos, "%s%s",
		                        i ? " | " : "", one);
	}
	return buf;
}

static int parses_to(const char *s, enum prop_proto proto, const char *want, bool strict)
{
	struct proposal_list l;
	char err[256];

	if (proposal_parse(s, proto, &l, err, sizeof(err)) != 0) {
		printf("# %s: %s\n", s, err);
		return 0;
	}
	if (strcmp(fmt_list(&l), want) != 0) {
		printf("# got  %s\n# want %s\n", fmt_list(&l), want);
		return 0;
	}
	return l.strict == strict;
}

static int fails_with(const char *s, enum prop_proto proto, const char *want)
{
	struct proposal_list l;
	char err[256] = "";

	if (proposal_parse(s, proto, &l, err, sizeof(err)) == 0) {
		printf("# %s parsed\n", s);
		return 0;
	}
	if (strcmp(err, want) != 0) {
		printf("# got  '%s'\n# want '%s'\n", err, want);
		return 0;
	}
	return l.n == 0;
}

int main(void)
{
	struct proposal_list l;
	char err[256], buf[512];

	/* seeds/000: ike=aes256-sha256-modp1024,aes256-sha256-modp2048 */
	CHECK("seed000 ike", parses_to("aes256-sha256-modp1024,aes256-sha256-modp2048", PROP_IKE,
		"AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_1024 | "
		"AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", false));
	CHECK("seed000 ike ids", proposal_parse("aes256-sha256-modp1024,aes256-sha256-modp2048",
		PROP_IKE, &l, err, sizeof(err)) == 0 && l.n == 2 &&
		l.p[0].n_encr == 1 && l.p[0].encr[0].id == ENCR_AES_CBC && l.p[0].encr[0].keybits == 256 &&
		l.p[0].n_integ == 1 && l.p[0].integ[0].id == AUTH_HMAC_SHA2_256_128 &&
		l.p[0].n_prf == 1 && l.p[0].prf[0].id == PRF_HMAC_SHA2_256 &&
		l.p[0].n_dh == 1 && l.p[0].dh[0].id == MODP_1024 && l.p[0].n_esn == 0 &&
		l.p[1].dh[0].id == MODP_2048 && !l.strict);

	/* seeds/001 */
	CHECK("seed001 ike", parses_to(
		"aes256-aes192-aes128-sha384-sha256-sha1-modp3072-modp2048-modp1536-modp1024!", PROP_IKE,
		"AES_CBC_256/AES_CBC_192/AES_CBC_128/HMAC_SHA2_384_192/HMAC_SHA2_256_128/HMAC_SHA1_96/"
		"PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_256/PRF_HMAC_SHA1/MODP_3072/MODP_2048/MODP_1536/MODP_1024",
		true));
	CHECK("seed001 esp", parses_to("aes256-aes192-aes128-sha384-sha256-sha1!", PROP_ESP,
		"AES_CBC_256/AES_CBC_192/AES_CBC_128/HMAC_SHA2_384_192/HMAC_SHA2_256_128/HMAC_SHA1_96/"
		"NO_EXT_SEQ", true));
	CHECK("seed001 esp ids", proposal_parse("aes256-aes192-aes128-sha384-sha256-sha1!", PROP_ESP,
		&l, err, sizeof(err)) == 0 && l.n == 1 && l.p[0].n_prf == 0 && l.p[0].n_dh == 0 &&
		l.p[0].n_esn == 1 && l.p[0].esn[0].id == ESN_NO && l.p[0].integ[2].id == AUTH_HMAC_SHA1_96);

	/* seeds/002 */
	CHECK("seed002 ike", parses_to(
		"aes256gcm16-aes256gcm12-aes128gcm16-aes128gcm12-sha256-sha1-modp2048-modp4096-modp1024,"
		"aes256-aes128-sha256-sha1-modp2048-modp4096-modp1024,3des-sha1-modp1024!", PROP_IKE,
		"AES_GCM_16_256/AES_GCM_12_256/AES_GCM_16_128/AES_GCM_12_128/PRF_HMAC_SHA2_256/"
		"PRF_HMAC_SHA1/MODP_2048/MODP_4096/MODP_1024 | "
		"AES_CBC_256/AES_CBC_128/HMAC_SHA2_256_128/HMAC_SHA1_96/PRF_HMAC_SHA2_256/PRF_HMAC_SHA1/"
		"MODP_2048/MODP_4096/MODP_1024 | "
		"3DES_CBC/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_1024", true));
	CHECK("seed002 ike aead has no integ", proposal_parse(
		"aes256gcm16-aes256gcm12-sha256-modp2048", PROP_IKE, &l, err, sizeof(err)) == 0 &&
		l.p[0].n_integ == 0 && l.p[0].n_prf == 1 && l.p[0].encr[1].id == ENCR_AES_GCM_12);
	CHECK("seed002 esp", parses_to(
		"aes128gcm12-aes128gcm16-aes256gcm12-aes256gcm16-modp2048-modp4096-modp1024,"
		"aes128-aes256-sha1-sha256-modp2048-modp4096-modp1024,aes128-sha1-modp2048,"
		"aes128-sha1-modp1024,3des-sha1-modp1024,aes128-aes256-sha1-sha256,aes128-sha1,3des-sha1!",
		PROP_ESP,
		"AES_GCM_12_128/AES_GCM_16_128/AES_GCM_12_256/AES_GCM_16_256/MODP_2048/MODP_4096/"
		"MODP_1024/NO_EXT_SEQ | "
		"AES_CBC_128/AES_CBC_256/HMAC_SHA1_96/HMAC_SHA2_256_128/MODP_2048/MODP_4096/MODP_1024/"
		"NO_EXT_SEQ | "
		"AES_CBC_128/HMAC_SHA1_96/MODP_2048/NO_EXT_SEQ | "
		"AES_CBC_128/HMAC_SHA1_96/MODP_1024/NO_EXT_SEQ | "
		"3DES_CBC/HMAC_SHA1_96/MODP_1024/NO_EXT_SEQ | "
		"AES_CBC_128/AES_CBC_256/HMAC_SHA1_96/HMAC_SHA2_256_128/NO_EXT_SEQ | "
		"AES_CBC_128/HMAC_SHA1_96/NO_EXT_SEQ | "
		"3DES_CBC/HMAC_SHA1_96/NO_EXT_SEQ", true));

	/* seeds/003 */
	CHECK("seed003 ike", parses_to("aes256-aes128-sha1-sha256-modp2048-modp3072", PROP_IKE,
		"AES_CBC_256/AES_CBC_128/HMAC_SHA1_96/HMAC_SHA2_256_128/PRF_HMAC_SHA1/"
		"PRF_HMAC_SHA2_256/MODP_2048/MODP_3072", false));
	CHECK("seed003 esp", parses_to("aes128-aes256-sha256-modp3072-modp2048,aes128-aes256-sha256",
		PROP_ESP,
		"AES_CBC_128/AES_CBC_256/HMAC_SHA2_256_128/MODP_3072/MODP_2048/NO_EXT_SEQ | "
		"AES_CBC_128/AES_CBC_256/HMAC_SHA2_256_128/NO_EXT_SEQ", false));
	CHECK("seed003 esp typo es128", fails_with("aes128-aes256-sha1-modp1024,es128-aes256-sha1",
		PROP_ESP, "unknown algorithm 'es128'"));

	/* aliases */
	CHECK("aes = aes128", parses_to("aes-sha-modp2048", PROP_IKE,
		"AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048", false));
	CHECK("gcm aliases", parses_to("aes128gcm-aes192gcm64-aes256gcm96-aes128gcm128-aes256gcm8-prfsha384-x25519",
		PROP_IKE, "AES_GCM_16_128/AES_GCM_8_192/AES_GCM_12_256/AES_GCM_8_256/PRF_HMAC_SHA2_384/"
		"CURVE_25519", false));
	CHECK("sha2_ aliases", parses_to("aes256-sha2_256-sha2_384-sha2_512-ecp384", PROP_IKE,
		"AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/PRF_HMAC_SHA2_256/"
		"PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/ECP_384", false));
	CHECK("explicit prf replaces implied", parses_to("aes128-sha256-prfsha512-curve25519", PROP_IKE,
		"AES_CBC_128/HMAC_SHA2_256_128/PRF_HMAC_SHA2_512/CURVE_25519", false));
	CHECK("chacha ike", parses_to("chacha20poly1305-prfsha256-ecp256-ecp521-modp8192-modp6144",
		PROP_IKE, "CHACHA20_POLY1305/PRF_HMAC_SHA2_256/ECP_256/ECP_521/MODP_8192/MODP_6144", false));
	CHECK("esp esn", parses_to("aes128gcm16-esn-noesn", PROP_ESP,
		"AES_GCM_16_128/EXT_SEQ/NO_EXT_SEQ", false));
	CHECK("esp aead drops integ", parses_to("aes256gcm16-sha256", PROP_ESP,
		"AES_GCM_16_256/NO_EXT_SEQ", false));
	CHECK("case-insensitive", parses_to("AES256-SHA256-MODP2048", PROP_IKE,
		"AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048", false));
	CHECK("duplicates collapsed", parses_to("aes128-aes128-sha1-sha1-modp2048", PROP_IKE,
		"AES_CBC_128/HMAC_SHA1_96/PRF_HMAC_SHA1/MODP_2048", false));

	/* errors */
	CHECK("err unknown", fails_with("aes257-sha256-modp2048", PROP_IKE, "unknown algorithm 'aes257'"));
	CHECK("err md5", fails_with("aes128-md5-modp2048", PROP_IKE, "algorithm 'md5' is not supported"));
	CHECK("err modp768", fails_with("aes128-sha1-modp768", PROP_IKE, "algorithm 'modp768' is not supported"));
	CHECK("err ike no dh", fails_with("aes128-sha256", PROP_IKE, "ike proposal without a DH group"));
	CHECK("err ike aead no prf", fails_with("aes128gcm16-modp2048", PROP_IKE,
		"ike proposal without a PRF (add e.g. prfsha256)"));
	CHECK("err ike no integ", fails_with("aes128-prfsha256-modp2048", PROP_IKE,
		"ike proposal without an integrity algorithm"));
	CHECK("err no encr", fails_with("sha256-modp2048", PROP_IKE,
		"ike proposal without an encryption algorithm"));
	CHECK("err esp no integ", fails_with("aes128-modp2048", PROP_ESP,
		"esp proposal without an integrity algorithm"));
	CHECK("err mix", fails_with("aes128-aes128gcm16-sha256-modp2048", PROP_IKE,
		"ike proposal mixes AEAD and non-AEAD encryption algorithms"));
	CHECK("err esp prf", fails_with("aes128-sha1-prfsha1", PROP_ESP,
		"'prfsha1': a PRF is only valid in ike="));
	CHECK("err ike esn", fails_with("aes128-sha1-modp2048-esn", PROP_IKE,
		"'esn': extended sequence numbers are only valid in esp="));
	CHECK("err empty alg", fails_with("aes128--sha1", PROP_ESP, "empty algorithm name in 'aes128--sha1'"));
	CHECK("err empty proposal", fails_with("aes128-sha1,,aes256-sha1", PROP_ESP, "empty proposal"));
	CHECK("err trailing comma", fails_with("aes128-sha1,", PROP_ESP, "empty proposal"));
	CHECK("err bang middle", fails_with("aes128-sha1!,aes256-sha1", PROP_ESP,
		"'!' is only allowed at the end of the list"));
	CHECK("err empty", fails_with("", PROP_ESP, "empty proposal list"));
	CHECK("err only bang", fails_with("!", PROP_ESP, "empty proposal list"));
	{
		char big[2048] = "";
		for (int i = 0; i < 17; i++)
			strcat(big, i ? ",aes128-sha1" : "aes128-sha1");
		CHECK("err too many proposals", fails_with(big, PROP_ESP, "too many proposals (at most 16)"));
	}
	CHECK("all dh groups", proposal_parse("aes128-sha1-modp1024-modp1536-modp2048-modp3072-modp4096-"
		"modp6144-modp8192-ecp256-ecp384-ecp521-curve25519-x25519", PROP_IKE, &l, err, sizeof(err)) == 0 &&
		l.p[0].n_dh == 11 && l.p[0].dh[10].id == CURVE_25519);
	CHECK("strict flag off", proposal_parse("aes128-sha1", PROP_ESP, &l, err, sizeof(err)) == 0 && !l.strict);
	CHECK("strict flag on", proposal_parse("aes128-sha1!", PROP_ESP, &l, err, sizeof(err)) == 0 && l.strict);

	/* defaults */
	proposal_defaults(PROP_IKE, &l);
	CHECK("defaults ike", strcmp(fmt_list(&l),
		"AES_GCM_16_128/AES_GCM_16_256/CHACHA20_POLY1305/PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/"
		"CURVE_25519/ECP_256/ECP_384/MODP_2048 | "
		"AES_CBC_128/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/"
		"PRF_HMAC_SHA2_256/PRF_HMAC_SHA2_384/PRF_HMAC_SHA2_512/"
		"CURVE_25519/ECP_256/ECP_384/MODP_2048") == 0);
	proposal_defaults(PROP_ESP, &l);
	CHECK("defaults esp", strcmp(fmt_list(&l),
		"AES_GCM_16_128/AES_GCM_16_256/CHACHA20_POLY1305/NO_EXT_SEQ | "
		"AES_CBC_128/AES_CBC_256/HMAC_SHA2_256_128/HMAC_SHA2_384_192/HMAC_SHA2_512_256/"
		"HMAC_SHA1_96/NO_EXT_SEQ") == 0);

	/* format truncates safely */
	proposal_parse("aes256-sha256-modp2048", PROP_IKE, &l, err, sizeof(err));
	proposal_format(&l.p[0], buf, 10);
	CHECK("format truncates", strcmp(buf, "AES_CBC_2") == 0);
	proposal_format(&l.p[0], buf, sizeof(buf));
	CHECK("format", strcmp(buf, "AES_CBC_256/HMAC_SHA2_256_128/PRF_HMAC_SHA2_256/MODP_2048") == 0);
	CHECK_DONE();
}
