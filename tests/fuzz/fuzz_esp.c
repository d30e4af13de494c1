/* libFuzzer target for the ESP data path.
 * First input byte: bit 0 picks the suite (AES-GCM-16-128, or AES-CBC-256
 * with HMAC-SHA2-256-128), bit 1 the mode:
 *   - decap: the rest is an ESP packet (UDP payload) fed to esp_decap;
 *     with bit 3 set, the rest is a sequence number (4 bytes) and the
 *     plaintext of an ESP packet (inner packet, padding, pad length, next
 *     header; zero-filled to the cipher's block size), which the target
 *     encrypts with the SA's inbound keys as the peer would, so that
 *     esp_decap's checks after the ICV (padding, next header, inner
 *     header, inner addresses) are what gets fuzzed;
 *   - round trip: the rest becomes the payload of an inner IPv4 or IPv6
 *     packet (bit 2) from the peer's virtual IP, which is encapsulated and
 *     decapsulated again; the result must be the same packet.
 * With bit 4 set, the rest is an inner packet (IPv6 when bit 2 is set)
 * given to the traffic-selector check alone (esp_ts_allows).
 * Build: clang -g -O1 -fsanitize=fuzzer,address,undefined -I. \
 *        tests/fuzz/fuzz_esp.c src/esp.c crypto/xform.c -lcrypto */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/algs.h"
#include "crypto/xform.h"
#include "src/dp/esp.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define SPI 0x0badcafeu

static const uint8_t VIP4[4] = { 198, 18, 9, 9 };
static const uint8_t VIP6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 9, 0, 0, 0, 0, 0, 0, 0, 0, 0, 9 };
/* where the round trips' packets go: a host behind the server */
static const uint8_t LAN4[4] = { 198, 18, 2, 2 };
static const uint8_t LAN6[16] = { 0x20, 0x01, 0x0d, 0xb8, 0, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2 };

static struct esp_sa *make_sa(int suite)
{
	static const uint8_t ekey[36] = "constant-fuzzing-key-and-salt-00000";
	static const uint8_t akey[32] = "constant-fuzzing-integrity-key!";
	struct esp_sa *sa;
	if (suite == 0)
		sa = esp_sa_new(SPI, SPI, ENCR_AES_GCM_16, 128, AUTH_NONE, ekey, NULL, ekey, NULL);
	else
		sa = esp_sa_new(SPI, SPI, ENCR_AES_CBC, 256, AUTH_HMAC_SHA2_256_128,
		                ekey, akey, ekey, akey);
	if (!sa)
		abort();
	/* selectors that allow everything, so fuzzed packets reach the end */
	struct esp_ts any[2];
	memset(any, 0, sizeof(any));
	any[0].family = AF_INET;
	any[1].family = AF_INET6;
	for (int i = 0; i < 2; i++) {
		any[i].eport = 0xffff;
		memset(any[i].end, 0xff, 16);
	}
	esp_sa_set_ts(sa, any, 2, any, 2);
	sa->has_vip4 = sa->has_vip6 = true;
	memcpy(sa->vip4, VIP4, 4);
	memcpy(sa->vip6, VIP6, 16);
	return sa;
}

static void round_trip(struct esp_sa *sa, int v6, const uint8_t *data, size_t size)
{
	static uint8_t ip[ESP_MAX_PACKET], pkt[ESP_MAX_PACKET];
	size_t hlen = v6 ? 40 : 20;
	if (size > 2000)
		size = 2000;
	size_t iplen = hlen + size;
	memset(ip, 0, hlen);
	if (v6) {
		ip[0] = 0x60;
		ip[4] = (uint8_t)(size >> 8);
		ip[5] = (uint8_t)size;
		ip[6] = 17;
		memcpy(ip + 8, VIP6, 16);
		memcpy(ip + 24, LAN6, 16);
	} else {
		ip[0] = 0x45;
		ip[2] = (uint8_t)(iplen >> 8);
		ip[3] = (uint8_t)iplen;
		ip[9] = 17;
		memcpy(ip + 12, VIP4, 4);
		memcpy(ip + 16, LAN4, 4);
	}
	memcpy(ip + hlen, data, size);

	long l = esp_encap(sa, ip, iplen, pkt, sizeof(pkt));
	if (l < 0)
		abort();
	uint8_t *inner;
	size_t ilen;
	if (esp_decap(sa, pkt, (size_t)l, &inner, &ilen, 1) != 1 || ilen != iplen ||
	    memcmp(inner, ip, iplen) != 0)
		abort();
}

/* SPI | seq | IV | ciphertext | ICV from a plaintext, as the peer sends it */
static void sealed(struct esp_sa *sa, const uint8_t *data, size_t size)
{
	static uint8_t pkt[ESP_MAX_PACKET];
	size_t ivlen = xform_iv_len(sa->lane[0].in), icvlen = xform_icv_len(sa->lane[0].in);
	size_t block = xform_block_len(sa->lane[0].in);

	if (size < 4)
		return;
	size_t ptlen = (size - 4 + block - 1) / block * block;
	if (8 + ivlen + ptlen + icvlen > sizeof(pkt))
		return;
	pkt[0] = SPI >> 24;
	pkt[1] = SPI >> 16 & 0xff;
	pkt[2] = SPI >> 8 & 0xff;
	pkt[3] = SPI & 0xff;
	memcpy(pkt + 4, data, 4);
	uint8_t *iv = pkt + 8, *ct = iv + ivlen;
	memset(iv, 0x3c, ivlen);
	memset(ct, 0, ptlen);
	memcpy(ct, data + 4, size - 4);
	if (xform_seal_iv(sa->lane[0].in, pkt, 8, iv, ct, ptlen, ct + ptlen) != 0)
		abort();
	/* a fresh window for this input (inputs do not replay each other),
	 * and the round trips' window back afterwards: their sequence
	 * numbers run on across inputs */
	uint64_t top = sa->replay_top, map[ESP_REPLAY_WINDOW / 64];
	memcpy(map, sa->replay_map, sizeof(map));
	sa->replay_top = 0;
	memset(sa->replay_map, 0, sizeof(sa->replay_map));
	size_t len = 8 + ivlen + ptlen + icvlen;
	uint8_t *inner;
	size_t ilen;
	int r = esp_decap(sa, pkt, len, &inner, &ilen, 0);
	if (r == 1 && (inner < ct || inner + ilen > ct + ptlen))
		abort();
	sa->replay_top = top;
	memcpy(sa->replay_map, map, sizeof(map));
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static uint8_t buf[ESP_MAX_PACKET + 1];
	static struct esp_sa *sas[2];

	if (size < 1)
		return 0;
	int suite = data[0] & 1, mode = data[0] >> 1 & 1, v6 = data[0] >> 2 & 1;
	int seal = data[0] >> 3 & 1, ts_only = data[0] >> 4 & 1;
	data++;
	size--;
	if (!sas[suite])
		sas[suite] = make_sa(suite);
	struct esp_sa *sa = sas[suite];

	if (ts_only) {
		/* the selector check alone on an arbitrary inner packet (IPv6
		 * extension header walk, fragments, ports), both directions;
		 * on the input itself so that any over-read is caught */
		(void)esp_ts_allows(sa, data, size, v6);
		return 0;
	}

	if (mode == 0 && seal) {
		sealed(sa, data, size);
	} else if (mode == 0) {
		if (size > sizeof(buf))
			size = sizeof(buf);
		memcpy(buf, data, size);
		uint8_t *inner;
		size_t ilen;
		int r = esp_decap(sa, buf, size, &inner, &ilen, 0);
		if (r == 1 && (inner < buf || ilen > size || inner + ilen > buf + size))
			abort();
	} else {
		/* sequence numbers run on across inputs: start over before
		 * they run out, and keep the window in step */
		if (sa->seq_out > 0xfffff000u) {
			sa->seq_out = 0;
			sa->replay_top = 0;
			memset(sa->replay_map, 0, sizeof(sa->replay_map));
		}
		round_trip(sa, v6, data, size);
	}
	return 0;
}
