/* libFuzzer target for the checks cygnet as a client makes on a server's
 * REDIRECT notify data (RFC 5685, client_redirect_parse in
 * src/client_int.h): once as in an INFORMATIONAL request or IKE_AUTH (no
 * nonce allowed) and once as an IKE_SA_INIT answer, with our Ni taken as
 * whatever follows the identity (so the Nonce Data matches) and with an
 * Ni one byte off (it must not). An accepted identity must be a unicast
 * address of the right length or a NUL-free DNS name. Seeds:
 * tests/fuzz/corpus/client_redirect. */
#include <netinet/in.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "conf/ipsec_conf.h"
#include "src/client_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void accepted(const struct redirect_gw *gw)
{
	switch (gw->type) {
	case GW_IPV4:
		if (gw->len != 4 || gw->id[0] == 0 || gw->id[0] == 127 || gw->id[0] >= 224)
			abort();
		break;
	case GW_IPV6:
		if (gw->len != 16 || gw->id[0] == 0xff)
			abort();
		break;
	case GW_FQDN: {
		char name[REDIRECT_GW_MAX + 1];
		if (!gw->len || memchr(gw->id, 0, gw->len))
			abort();
		memcpy(name, gw->id, gw->len);
		name[gw->len] = '\0';
		if (!conf_redirect_host_ok(name))
			abort();
		break;
	}
	default:
		abort();
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct redirect_gw gw;
	const char *why = NULL;
	/* copied: a read past the input is seen by ASan */
	uint8_t *copy = malloc(size ? size : 1);
	if (!copy)
		return 0;
	memcpy(copy, data, size);
	if (client_redirect_parse(copy, size, NULL, 0, &gw, &why) == 0) {
		accepted(&gw);
		if (2 + (size_t)gw.len != size)
			abort();          /* no Nonce Data outside IKE_SA_INIT */
	} else if (!why) {
		abort();
	}
	if (size >= 2 && (size_t)copy[1] + 2 < size) {
		size_t off = 2 + (size_t)copy[1], nl = size - off;
		uint8_t *ni = malloc(nl);
		if (ni) {
			memcpy(ni, copy + off, nl);
			why = NULL;
			int rc = client_redirect_parse(copy, size, ni, nl, &gw, &why);
			if (rc == 0)
				accepted(&gw);
			else if (!why)
				abort();
			ni[nl - 1] ^= 0x01;
			if (client_redirect_parse(copy, size, ni, nl, &gw, &why) == 0)
				abort();  /* another nonce is never taken */
			free(ni);
		}
	}
	free(copy);
	return 0;
}
