/* libFuzzer target for the ipsec.conf parser: the input, as text, goes
 * to ipsec_conf_parse (and, as the same text, to secrets_parse and
 * proposal_parse for IKE and ESP).
 *
 * The text is named as the ipsec.conf of a directory whose includes
 * ("include conf.d/\*.conf", "include more.conf", ...) are answered from
 * a recorded snapshot (fuzz_files.h): include handling is fuzzed, the
 * file system is never read. Seeds: tests/fuzz/corpus/conf/ */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/proposal.h"
#include "tests/fuzz/fuzz_files.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char err[512], name[128];
	const char *dir = fuzz_files_setup();
	struct proposal_list pl;

	char *text = fuzz_text(data, size);
	if (!text)
		return 0;
	snprintf(name, sizeof(name), "%s/ipsec.conf", dir);
	err[0] = '\0';
	ipsec_conf_free(ipsec_conf_parse(name, text, err, sizeof(err)));
	if (strlen(err) >= sizeof(err) || strchr(err, '\n'))
		abort();   /* one line, always terminated */
	snprintf(name, sizeof(name), "%s/ipsec.secrets", dir);
	secrets_free(secrets_parse(name, text, err, sizeof(err)));
	if (strchr(err, '\n'))
		abort();
	proposal_parse(text, PROP_IKE, &pl, err, sizeof(err));
	proposal_parse(text, PROP_ESP, &pl, err, sizeof(err));
	free(text);
	return 0;
}
