/* EAP-MSCHAPv2 (src/eap_mschapv2.c) with an NTLM secret: "user : NTLM
 * 0x<NtPasswordHash>" authenticates the user's password exactly as
 * "user : EAP password" does (same authenticator response, same MSK), a
 * wrong password is refused, and the account counts as known. The hash is
 * RFC 2759 §9.2's NtPasswordHash of "clientPass". */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <openssl/rand.h>
#include "conf/ipsec_conf.h"
#include "conf/secrets.h"
#include "crypto/mschap.h"
#include "src/auth_limit.h"
#include "src/config.h"
#include "src/daemon.h"
#include "src/eap.h"
#include "src/ike_sa.h"
#include "src/log.h"
#include "tests/unit/check.h"

static struct daemon d;

/* challenge, then the peer's response for name with password pw; the
 * EAP answer in out (512 bytes) */
static enum eap_result round_trip(struct ike_sa *sa, const char *name, const char *pw,
                                  const uint8_t peer_chal[16], uint8_t *out, size_t *outlen)
{
	uint8_t req[128], msg[512], nt_hash[16];
	snprintf(sa->user, sizeof(sa->user), "%s", name);
	sa->eap = EAP_S_IDENTITY;
	sa->auth_fail = NULL;
	sa->have_msk = false;
	if (eap_start(sa, 0, req, sizeof(req)) == 0)
		return EAP_FAILURE;
	size_t nlen = strlen(name), len = 4 + 1 + 4 + 1 + 49 + nlen;
	uint8_t *ms = msg + 5;
	memset(msg, 0, sizeof(msg));
	msg[0] = 2;
	msg[1] = sa->eap_id;
	msg[2] = (uint8_t)(len >> 8);
	msg[3] = (uint8_t)len;
	msg[4] = 26;
	ms[0] = 2;
	ms[1] = req[6];
	ms[2] = (uint8_t)((len - 5) >> 8);
	ms[3] = (uint8_t)(len - 5);
	ms[4] = 49;
	memcpy(ms + 5, peer_chal, 16);
	mschap_nt_hash(pw, strlen(pw), nt_hash);
	mschap_nt_response(sa->auth_chal, ms + 5, name, nlen, nt_hash, ms + 5 + 24);
	memcpy(ms + 54, name, nlen);
	return eap_process(&d, sa, msg, len, out, 512, outlen);
}

int main(void)
{
	char err[256];
	struct config cfg = { 0 };
	uint8_t chal[16], out[512];
	size_t outlen;

	log_set_level(-1, -1);
	cfg.conf = ipsec_conf_parse("t.conf", "config setup\n", err, sizeof(err));
	cfg.secrets = secrets_parse("t.secrets",
	                            "hashed : NTLM 0x44EBBA8D5312B8D611474411F56989AE\n"
	                            "plain : EAP \"clientPass\"\n", err, sizeof(err));
	CHECK("config parsed", cfg.conf && cfg.secrets);
	if (!cfg.conf || !cfg.secrets)
		return 1;
	d.cfg = &cfg;
	d.alim = auth_limit_new();
	struct ike_sa *sa = calloc(1, sizeof(*sa)), *sb = calloc(1, sizeof(*sb));
	sa->peer.ss_family = AF_INET;
	sb->peer.ss_family = AF_INET;
	RAND_bytes(chal, sizeof(chal));

	CHECK("EAP password: accepted", round_trip(sb, "plain", "clientPass", chal, out,
	      &outlen) == EAP_CONTINUE && sb->have_msk);
	/* what the password gives over the NTLM run's challenges */
	enum eap_result r = round_trip(sa, "hashed", "clientPass", chal, out, &outlen);
	CHECK("NTLM hash: accepted", r == EAP_CONTINUE && sa->have_msk &&
	      strcmp(sa->user, "hashed") == 0);
	{
		uint8_t expect_msk[64], nt_hash[16], nt_resp[24];
		char auth[43];
		mschap_nt_hash("clientPass", 10, nt_hash);
		mschap_nt_response(sa->auth_chal, chal, "hashed", 6, nt_hash, nt_resp);
		mschap_msk(nt_hash, nt_resp, expect_msk);
		mschap_auth_response(nt_hash, nt_resp, chal, sa->auth_chal, "hashed", 6, auth);
		CHECK("NTLM hash: the MSK of the password", memcmp(sa->msk, expect_msk, 64) == 0);
		CHECK("NTLM hash: the authenticator response of the password",
		      outlen > 9 + 42 && memcmp(out + 9, auth, 42) == 0);
	}
	CHECK("NTLM hash: wrong password refused",
	      round_trip(sa, "hashed", "clientpass", chal, out, &outlen) == EAP_FAILURE &&
	      !sa->have_msk && strcmp(sa->auth_fail, "wrong password") == 0);
	CHECK("NTLM account is known", eap_user_known(&cfg, "hashed") &&
	      eap_user_known(&cfg, "CORP\\hashed") && !eap_user_known(&cfg, "nobody"));
	auth_limit_free(d.alim);
	free(sa);
	free(sb);
	secrets_free(cfg.secrets);
	ipsec_conf_free(cfg.conf);
	CHECK_DONE();
}
