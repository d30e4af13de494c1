/* libFuzzer target for cygnetctl's reader of "status --json" answers
 * (src/cli_status.h), which "user list" uses to show who is online: the
 * answer comes over the control socket (a socket given with -s may be
 * anyone's), so it is read as untrusted. Every session read back must
 * have NUL-terminated fields; nothing may read past the input.
 * Seeds: tests/fuzz/corpus/status. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/cli_status.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct session *s = NULL;
	int n = 0;
	/* an exact-size copy, so that ASan sees any read past the end */
	char *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (status_sessions_parse(copy, size, &s, &n) == 0) {
		for (int i = 0; i < n; i++)
			if (strnlen(s[i].user, sizeof(s[i].user)) == sizeof(s[i].user) ||
			    strnlen(s[i].peer, sizeof(s[i].peer)) == sizeof(s[i].peer) ||
			    strnlen(s[i].vip4, sizeof(s[i].vip4)) == sizeof(s[i].vip4) ||
			    strnlen(s[i].vip6, sizeof(s[i].vip6)) == sizeof(s[i].vip6) ||
			    strnlen(s[i].role, sizeof(s[i].role)) == sizeof(s[i].role))
				abort();
	} else if (s || n) {
		abort();
	}
	free(s);
	free(copy);
	return 0;
}
