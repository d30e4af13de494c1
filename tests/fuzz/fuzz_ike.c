/* libFuzzer target for the IKE message decoder: the input as a whole
 * message (ike_parse, then ike_verify both ways, the summary, and, when an
 * SK payload was found, its body as the decrypted chain), and the input
 * as a bare inner chain whose first payload type is the first byte.
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *          tests/fuzz/fuzz_ike.c src/ike_msg.c src/ike_wr.c
 * Seeds: tests/fuzz/corpus/ike/ (written by tests/unit/test_ike_msg --corpus) */
#include "src/ike_msg.h"

#include <stdlib.h>
#include <string.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct ike_msg msg;

static void use(const struct ike_msg *m)
{
	char sum[512];

	ike_verify(m, false);
	ike_verify(m, true);
	ike_find_notify(m, N_COOKIE);
	ike_msg_summary(m, sum, sizeof(sum));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* an exact-size copy, so that any read past the end is caught */
	uint8_t *buf = malloc(size ? size : 1);

	if (!buf)
		return 0;
	if (size)
		memcpy(buf, data, size);

	int r = ike_parse(buf, size, &msg);
	if (r == IKE_OK) {
		if (msg.has_sk && (msg.sk_off + msg.sk_len != size ||
		                   msg.sk_body != buf + msg.sk_off))
			abort();          /* SK must be last, inside raw */
		use(&msg);
		if (msg.has_sk && ike_parse_inner(&msg, msg.sk_body, msg.sk_len) == IKE_OK)
			use(&msg);
	} else if (r == IKE_ERR_CRITICAL && !msg.unknown_critical) {
		abort();
	}

	if (size >= 1) {
		memset(&msg, 0, sizeof(msg));
		msg.sk_next = buf[0];
		if (ike_parse_inner(&msg, buf + 1, size - 1) == IKE_OK)
			use(&msg);
	}
	free(buf);
	return 0;
}
