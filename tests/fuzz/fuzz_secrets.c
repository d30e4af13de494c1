/* libFuzzer target for the ipsec.secrets parser (conf/secrets.c): the
 * input, as text, goes to secrets_parse under the name of an ipsec.secrets
 * in a directory whose includes ("include secrets.d/\*.secrets",
 * "include more.secrets", ...) are answered from a recorded snapshot
 * (fuzz_files.h): include globs are fuzzed, the file system is not. The
 * result must be well-formed: error text one line, every entry with a
 * value of the stated length and its file:line.
 * Seeds: tests/fuzz/corpus/secrets/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "tests/fuzz/fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], name[128];
	const char *dir = fuzz_files_setup();

	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	snprintf(name, sizeof(name), "%s/ipsec.secrets", dir);
	err[0] = '\0';
	struct secrets *s = secrets_parse(name, text, err, sizeof(err));
	if (strlen(err) >= sizeof(err) || strchr(err, '\n'))
		abort();
	if (s) {
		for (int i = 0; i < s->n; i++) {
			const struct secret *e = &s->s[i];
			if (!e->value || !e->file || e->line < 1 || e->n_ids < 0 ||
			    (e->n_ids && !e->ids))
				abort();
			for (int j = 0; j < e->n_ids; j++)
				if (!e->ids[j])
					abort();
			/* binary secrets (0x..., 0s...) may hold NULs: read every byte */
			volatile uint8_t sum = 0;
			for (size_t j = 0; j < e->value_len; j++)
				sum ^= (uint8_t)e->value[j];
			(void)sum;
		}
		for (int i = 0; i < s->n_warnings; i++)
			if (strchr(s->warnings[i], '\n'))
				abort();
	}
	secrets_free(s);
	free(text);
	return 0;
}
