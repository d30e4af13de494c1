/* libFuzzer target for the EAP peer (src/eap_peer.c): the messages an
 * EAP server (or whoever answers an IKEv2 initiator) sends, fed to
 * eap_peer_process one after the other.
 *
 * Input: a control byte, then EAP messages separated by "FUZZ". Control
 * byte: bit 0 the identity is "CORP\vpnuser" (else "vpnuser"), bit 1 the
 * output buffer is 16 bytes (else 1024). Each message starts with its own
 * control byte: bit 0 the target sets the EAP Length (and, for an
 * MS-CHAPv2 Request, the MS-Length) to the message's length, bit 1 it
 * writes the S= a server knowing the password would send into an
 * MS-CHAPv2 Success-Request long enough to hold one, so that the fuzzer
 * reaches the verified state and EAP-Success too. The Peer-Challenge is
 * fixed, so every input replays the same way.
 *
 * Checked after every message: a response fits the buffer and is a
 * well-formed EAP Response with the request's Identifier; DROP changes
 * nothing and sends nothing; SUCCESS comes with the MSK, FAILURE with a
 * reason and without it; the texts kept for the log are printable.
 * Seeds: tests/fuzz/corpus/eap_peer/ (tests/unit/test_eap_peer --corpus:
 * cygnet's server's messages in whole conversations). */
#define _GNU_SOURCE
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include "src/eap_peer.h"
#include "src/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t fixed_chal[16] = "fuzz: peer chal";

struct ctx {
	struct eap_peer p;
	size_t cap;
	int n;
};

static void one(const uint8_t *in, size_t len, struct ctx *c)
{
	static uint8_t m[2048], out[1024];
	struct eap_peer *p = &c->p;

	if (len < 1 || len - 1 > sizeof(m))
		return;
	uint8_t ctl = in[0];
	len--;
	memcpy(m, in + 1, len);
	if ((ctl & 1) && len >= 4) {
		m[2] = (uint8_t)(len >> 8);
		m[3] = (uint8_t)len;
		if (len >= 9 && m[0] == 1 && m[4] == 26) {
			m[7] = (uint8_t)((len - 5) >> 8);
			m[8] = (uint8_t)(len - 5);
		}
	}
	/* Code 1, Type 26, OpCode 3, then "S=" and 40 hex digits */
	if ((ctl & 2) && len >= 9 + 42 && m[0] == 1 && m[4] == 26 && m[5] == 3) {
		char hex[41];
		for (size_t i = 0; i < 20; i++)
			snprintf(hex + 2 * i, 3, "%02X", p->expect_auth[i]);
		memcpy(m + 9, "S=", 2);
		memcpy(m + 11, hex, 40);
	}
	if (p->state == EAP_PEER_S_START)
		eap_peer_fix_challenge(p, fixed_chal);

	struct eap_peer before;
	memcpy(&before, p, sizeof(before));
	size_t outlen = 12345;
	enum eap_peer_result r = eap_peer_process(p, m, len, out, c->cap, &outlen);
	switch (r) {
	case EAP_PEER_REPLY:
		if (outlen < 5 || outlen > c->cap || out[0] != 2 || out[1] != m[1] ||
		    (size_t)(out[2] << 8 | out[3]) != outlen || p->state >= EAP_PEER_S_SUCCEEDED)
			abort();
		break;
	case EAP_PEER_SUCCESS:
		if (outlen != 0 || !p->have_msk || p->state != EAP_PEER_S_SUCCEEDED)
			abort();
		break;
	case EAP_PEER_FAILURE:
		if (p->have_msk || p->state != EAP_PEER_S_FAILED || !p->why[0] ||
		    (outlen && (outlen != 6 || out[0] != 2 || out[1] != m[1] || out[5] != 4)))
			abort();
		break;
	case EAP_PEER_DROP:
		/* nothing changes but the reason */
		memcpy(before.why, p->why, sizeof(p->why));
		if (outlen != 0 || memcmp(&before, p, sizeof(before)) != 0)
			abort();
		break;
	default:
		abort();
	}
	if (!esc_is_clean(p->why) || !esc_is_clean(p->server_msg))
		abort();
	c->n++;
}

static void split(const uint8_t *data, size_t size, struct ctx *c)
{
	static const uint8_t sep[4] = { 'F', 'U', 'Z', 'Z' };
	for (int n = 0; n < 16; n++) {
		const uint8_t *s = size >= 4 ? memmem(data, size, sep, 4) : NULL;
		size_t len = s ? (size_t)(s - data) : size;
		one(data, len, c);
		if (!s)
			break;
		data = s + 4;
		size -= len + 4;
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct ctx c;
	static const uint8_t pw[] = "fuzz password";

	if (size < 1)
		return 0;
	memset(&c, 0, sizeof(c));
	eap_peer_init(&c.p, data[0] & 1 ? "CORP\\vpnuser" : "vpnuser", pw, sizeof(pw) - 1);
	c.cap = data[0] & 2 ? 16 : 1024;
	split(data + 1, size - 1, &c);
	eap_peer_wipe(&c.p);
	return 0;
}
