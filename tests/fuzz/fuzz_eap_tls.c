/* libFuzzer target for the EAP-TLS server (src/eap_tls.c): the peer's
 * responses after the Start, fed to eap_tls_srv_process one after the
 * other: EAP framing, the L/M/S flags, reassembly and its bounds, the
 * acknowledgements, and what OpenSSL makes of the TLS data inside.
 *
 * Input: a control byte, then EAP messages separated by "FUZZ" (at most
 * 300). Control byte: bit 0 the target writes the Identifier of the last
 * Request and the message's length into each message (so that it gets
 * past the framing), bit 1 the server's fragment size is 64 (else the
 * default 1000), bit 2 the output buffer is 128 bytes (else 1500), bit 3
 * alerts are off, bit 4 a CRL is loaded. The server's certificate, key and
 * CA (ECDSA P-256) are made once, in memory (tests/unit/tls_pki.h).
 *
 * Checked after every message: DROP sends nothing; CONTINUE sends a
 * well-formed EAP-TLS Request that fits the buffer, with the next
 * Identifier; FAILURE sends EAP-Failure with the last Identifier and has
 * a reason, and no MSK; SUCCESS sends EAP-Success and has the MSK and the
 * client's certificate; after the end everything is DROP; why is
 * printable.
 * Seeds: tests/fuzz/corpus/eap_tls/ (tests/unit/test_eap_tls --corpus:
 * the messages of its in-process peer in whole conversations, TLS 1.2 and
 * 1.3, unfragmented and fragmented). */
#define _GNU_SOURCE
#include <stdlib.h>
#include <string.h>
#include "tests/unit/tls_pki.h"
#include "src/eap_tls.h"
#include "src/escape.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static struct {
	EVP_PKEY *ca_k, *srv_k;
	X509 *ca, *srv;
	STACK_OF(X509) *cas;
	STACK_OF(X509_CRL) *crls;
} k;

static void setup(void)
{
	if (k.cas)
		return;
	k.ca_k = pki_key(false);
	k.srv_k = pki_key(false);
	k.ca = pki_cert("Fuzz CA", k.ca_k, NULL, NULL, true, -86400, 86400 * 3650, 1, NULL);
	k.srv = pki_cert("fuzz.example.org", k.srv_k, k.ca, k.ca_k, false, -86400, 86400 * 3650,
	                 2, "serverAuth");
	k.cas = sk_X509_new_null();
	k.crls = sk_X509_CRL_new_null();
	X509_CRL *crl = k.ca ? pki_crl(k.ca, k.ca_k, 99) : NULL;
	if (!k.ca || !k.srv || !k.cas || !k.crls || !crl)
		abort();
	sk_X509_push(k.cas, k.ca);
	sk_X509_CRL_push(k.crls, crl);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t sep[4] = { 'F', 'U', 'Z', 'Z' };
	static uint8_t m[70000], out[1500];
	char err[200];
	bool over = false;

	if (size < 1)
		return 0;
	setup();
	uint8_t ctl = data[0];
	size_t cap = ctl & 4 ? 128 : sizeof(out);
	data++;
	size--;
	struct eap_tls_srv *s = eap_tls_srv_new(k.srv, k.srv_k, NULL, k.cas,
	                                        ctl & 16 ? k.crls : NULL, NULL, 200, err,
	                                        sizeof(err));
	if (!s)
		abort();
	if (ctl & 2)
		eap_tls_srv_set_max_fragment(s, 64);
	if (ctl & 8)
		eap_tls_srv_set_send_alerts(s, false);
	if (eap_tls_srv_start(s, out, cap) != 6)
		abort();
	uint8_t id = out[1];
	for (int i = 0; i < 300; i++) {
		const uint8_t *e = size >= 4 ? memmem(data, size, sep, 4) : NULL;
		size_t len = e ? (size_t)(e - data) : size;
		if (len <= sizeof(m)) {
			memcpy(m, data, len);
			if ((ctl & 1) && len >= 4) {
				m[1] = id;
				m[2] = (uint8_t)(len >> 8);
				m[3] = (uint8_t)len;
			}
			size_t outlen = 99999;
			enum eap_srv_result r = eap_tls_srv_process(s, m, len, out, cap, &outlen);
			if (over && r != EAP_SRV_DROP)
				abort();
			switch (r) {
			case EAP_SRV_DROP:
				if (outlen != 0)
					abort();
				break;
			case EAP_SRV_CONTINUE:
				if (outlen < 6 || outlen > cap || out[0] != 1 || out[1] != (uint8_t)(id + 1) ||
				    (size_t)(out[2] << 8 | out[3]) != outlen || out[4] != 13 ||
				    (out[5] & 0x3f) != 0)
					abort();
				id = out[1];
				break;
			case EAP_SRV_SUCCESS:
				if (outlen != 4 || out[0] != 3 || out[1] != id || !eap_tls_srv_msk(s) ||
				    !eap_tls_srv_peer_cert(s))
					abort();
				over = true;
				break;
			case EAP_SRV_FAILURE:
				if (outlen != 4 || out[0] != 4 || out[1] != id || eap_tls_srv_msk(s) ||
				    !eap_tls_srv_why(s)[0])
					abort();
				over = true;
				break;
			default:
				abort();
			}
			if (!esc_is_clean(eap_tls_srv_why(s)))
				abort();
		}
		if (!e)
			break;
		data = e + 4;
		size -= len + 4;
	}
	eap_tls_srv_free(s);
	return 0;
}
