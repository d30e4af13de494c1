/* libFuzzer target for the config parsers: the input, as text, goes to
 * ipsec_conf_parse, secrets_parse and proposal_parse.
 *
 * Build with clang -fsanitize=fuzzer,address,undefined -I. and every .c
 * file in conf/ plus this one; seed it with tests/unit/data.
 *
 * Inputs with "include" are skipped: the parsers would read whatever
 * files the fuzzer names (include handling has unit tests instead). */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ipsec_conf.h"
#include "conf/proposal.h"
#include "conf/secrets.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512];
	char *text;
	struct proposal_list pl;

	if (size > 64 * 1024)
		return 0;
	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	if (strstr(text, "include")) {
		free(text);
		return 0;
	}
	ipsec_conf_free(ipsec_conf_parse("fuzz.conf", text, err, sizeof(err)));
	if (strlen(err) >= sizeof(err) || strchr(err, '\n'))
		abort();   /* one line, always terminated */
	secrets_free(secrets_parse("fuzz.secrets", text, err, sizeof(err)));
	if (strchr(err, '\n'))
		abort();
	proposal_parse(text, PROP_IKE, &pl, err, sizeof(err));
	proposal_parse(text, PROP_ESP, &pl, err, sizeof(err));
	free(text);
	return 0;
}
