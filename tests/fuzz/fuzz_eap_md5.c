/* libFuzzer target for the EAP-MD5 server (src/eap_md5.c): the peer's
 * responses to one challenge, fed to eap_md5_srv_process one after the
 * other.
 *
 * Input: a control byte, then EAP messages separated by "FUZZ". Control
 * byte: bit 0 the target sets each message's EAP Length to its length,
 * bit 1 the output buffer is 3 bytes (too small for EAP-Success), else 64.
 * The server's Identifier is 0x2a, the secret "clientPass", the challenge
 * 10 11 .. 1f (as in tests/unit/test_eap_md5.c), so a seed with the right
 * value reaches SUCCESS.
 *
 * Checked after every message: DROP sends nothing; SUCCESS / FAILURE
 * send a 4-byte EAP-Success / EAP-Failure with Identifier 0x2a (nothing
 * when the buffer is too small, and then never SUCCESS); after the end
 * everything is DROP; why is printable.
 * Seeds: tests/fuzz/corpus/eap_md5/ (tests/unit/test_eap_md5 --corpus). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "src/eap_md5.h"
#include "src/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const uint8_t chal[16] = { 0x10, 0x11, 0x12, 0x13, 0x14, 0x15, 0x16, 0x17,
                                  0x18, 0x19, 0x1a, 0x1b, 0x1c, 0x1d, 0x1e, 0x1f };

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = { 'F', 'U', 'Z', 'Z' };
	static uint8_t m[2048];
	uint8_t req[EAP_MD5_START_LEN], out[64];
	char err[200];
	bool over = false;

	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	size_t cap = ctl & 2 ? 3 : sizeof(out);
	data++;
	size--;
	struct eap_md5_srv *s = eap_md5_srv_new((const uint8_t *)"clientPass", 10, false, 0x2a,
	                                        err, sizeof(err));
	if (!s)
		abort();
	eap_md5_srv_fix_challenge(s, chal);
	if (eap_md5_srv_start(s, req, sizeof(req)) != sizeof(req))
		abort();
	for (int i = 0; i < 16; i++) {
		const uint8_t *e = size >= 4 ? memmem(data, size, sep, 4) : NULL;
		size_t len = e ? (size_t)(e - data) : size;
		if (len <= sizeof(m)) {
			memcpy(m, data, len);
			if ((ctl & 1) && len >= 4) {
				m[2] = (uint8_t)(len >> 8);
				m[3] = (uint8_t)len;
			}
			size_t outlen = 999;
			enum eap_srv_result r = eap_md5_srv_process(s, m, len, out, cap, &outlen);
			if (r == EAP_SRV_DROP && outlen != 0)
				abort();
			if (r == EAP_SRV_SUCCESS && (outlen != 4 || out[0] != 3 || out[1] != 0x2a))
				abort();
			if (r == EAP_SRV_FAILURE && (outlen != (cap >= 4 ? 4u : 0u) ||
			                             (outlen && (out[0] != 4 || out[1] != 0x2a))))
				abort();
			if (r != EAP_SRV_DROP && over)
				abort();
			if (r == EAP_SRV_SUCCESS || r == EAP_SRV_FAILURE)
				over = true;
			if (r == EAP_SRV_CONTINUE || !esc_is_clean(eap_md5_srv_why(s)))
				abort();
		}
		if (!e)
			break;
		data = e + 4;
		size -= len + 4;
	}
	eap_md5_srv_free(s);
	return 0;
}
