/* libFuzzer target for the REDIRECT / REDIRECTED_FROM notify data of RFC
 * 5685 (src/redirect.h) as a peer sends it: the parser, the identity
 * formatted for a log line (always printable ASCII), and a rebuild that
 * must give the same bytes back. Seeds: tests/fuzz/corpus/redirect. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/redirect.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redirect_gw gw;
	const uint8_t *nonce;
	size_t nonce_len;
	if (redirect_data_parse(data, size, &gw, &nonce, &nonce_len) != 0)
		return 0;
	if (2 + (size_t)gw.len + nonce_len != size || (nonce_len && nonce != data + 2 + gw.len))
		abort();
	char text[REDIRECT_GW_MAX * 4 + 1];
	redirect_gw_format(&gw, text, sizeof(text));
	for (const char *p = text; *p; p++)
		if (*p < 0x20 || *p > 0x7e)
			abort();
	uint8_t again[2 + REDIRECT_GW_MAX + 1024];
	if (nonce_len > 1024)
		return 0;
	size_t n = redirect_data_build(&gw, nonce, nonce_len, again, sizeof(again));
	if (n != size || memcmp(again, data, size) != 0)
		abort();
	return 0;
}
