/* libFuzzer target for the EAP server (src/eap_mschapv2.c): EAP-Identity
 * and EAP-MSCHAPv2 responses from a client, on an IKE_SA in the EAP
 * state with a configuration that has a user ("vpnuser", its password).
 *
 * Input: a control byte, then EAP messages separated by "FUZZ". Control
 * byte: bit 0 the server starts with EAP-Identity (else the challenge for
 * the IKE identity as user), bit 1 the messages go the way a client sends
 * them (in the EAP payload of a protected IKE_AUTH request through
 * ike_input), else straight to eap_process. Each message starts with its
 * own control byte: bit 0 the target sets the EAP Identifier and Length
 * to what the server expects, bit 1 it writes the NT-Response a client
 * knowing the user's password would send (for the Peer-Challenge and
 * Name in the message, when it is long enough to hold them), so that the
 * fuzzer reaches the success path too.
 * Seeds: tests/fuzz/corpus/eap/ */
#define _GNU_SOURCE
#include "tests/fuzz/fuzz_sa.h"
#include "crypto/mschap.h"
#include "src/eap.h"
#include "src/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct eap_ctx {
	struct ike_sa *sa;
	bool via_ike;
	int n;
	bool over;
};

/* EAP header (4), type (1), MS-CHAPv2 OpCode | MS-ID | MS-Length (4) |
 * Value-Size (1) | Peer-Challenge (16) | Reserved (8) | NT-Response (24) |
 * Flags (1) | Name */
#define MS_PEER_CHAL (4 + 1 + 5)
#define MS_NT_RESP (MS_PEER_CHAL + 24)
#define MS_NAME (MS_NT_RESP + 25)

static void fix_nt_response(const struct ike_sa *sa, uint8_t *m, size_t len)
{
	uint8_t nt_hash[16];
	char name[256];

	if (len < MS_NAME || m[4] != 26)
		return;
	size_t nl = len - MS_NAME < sizeof(name) - 1 ? len - MS_NAME : sizeof(name) - 1;
	memcpy(name, m + MS_NAME, nl);
	name[nl] = '\0';
	const char *user = strrchr(name, '\\') ? strrchr(name, '\\') + 1 : name;
	if (mschap_nt_hash(fuzz_pass, strlen(fuzz_pass), nt_hash) != 0 ||
	    mschap_nt_response(sa->auth_chal, m + MS_PEER_CHAL, user, strlen(user), nt_hash,
	                       m + MS_NT_RESP) != 0)
		abort();
}

static void send_eap(const uint8_t *p, size_t len, void *arg)
{
	static uint8_t m[2048], out[1024];
	struct eap_ctx *c = arg;

	if (c->over || c->n++ == 0 || len < 1 || len - 1 > sizeof(m))
		return;
	uint8_t ctl = p[0];
	len--;
	memcpy(m, p + 1, len);
	if ((ctl & 1) && len >= 4) {
		m[1] = c->sa->eap_id;
		m[2] = (uint8_t)(len >> 8);
		m[3] = (uint8_t)len;
	}
	if (ctl & 2)
		fix_nt_response(c->sa, m, len);
	if (c->via_ike) {
		/* the EAP payload of an IKE_AUTH request */
		uint8_t chain[2100];
		size_t pl = 4 + len;
		if (pl > 0xffff)
			return;
		chain[0] = 0;
		chain[1] = 0;
		chain[2] = (uint8_t)(pl >> 8);
		chain[3] = (uint8_t)pl;
		memcpy(chain + 4, m, len);
		struct fuzz_seal how = { .exchange = IKE_AUTH, .msgid = c->sa->msgid_next,
		                         .next = PL_EAP };
		if (!fuzz_seal_send(c->sa, &how, chain, pl))
			c->over = true;
		return;
	}
	size_t outlen = 0;
	enum eap_result r = eap_process(&fuzz_d, c->sa, m, len, out, sizeof(out), &outlen);
	if (outlen > sizeof(out) || (r != EAP_CONTINUE && r != EAP_SUCCESS && r != EAP_FAILURE))
		abort();
	if (r == EAP_SUCCESS && !c->sa->have_msk)
		abort();              /* success without the MSK AUTH needs */
	if (outlen && (outlen < 4 || (size_t)(out[2] << 8 | out[3]) != outlen))
		abort();              /* what we send back is well-formed EAP */
	if (r != EAP_CONTINUE)
		c->over = true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	uint8_t first[256];

	fuzz_daemon_setup();
	if (size < 1)
		return 0;
	struct eap_ctx c = { .via_ike = data[0] & 2 };
	c.sa = fuzz_sa_new(IKE_S_EAP, false);
	bool ask = data[0] & 1;
	if (!ask)
		snprintf(c.sa->user, sizeof(c.sa->user), "%s", fuzz_user);
	if (eap_start(c.sa, ask, first, sizeof(first)) == 0)
		abort();
	fuzz_split(data, size, 8, send_eap, &c);
	fuzz_sa_reap_all();
	return 0;
}
