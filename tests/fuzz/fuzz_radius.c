/* libFuzzer target for RADIUS packets as they arrive from a RADIUS server
 * or a dynamic-authorization client (src/radius.h): the structure check,
 * every attribute walked, EAP-Message joined, vendor attributes looked
 * up, both authenticator checks, and an MS-MPPE key recovered from any
 * Microsoft vendor attribute. Seeds: tests/fuzz/corpus/radius. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/radius.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t ra[RAD_AUTH_LEN] = { 0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15 };
	static const char secret[] = "s3cr3t-radius";
	struct rad_view v;
	if (rad_parse(data, size, &v) != 0)
		return 0;
	if (v.len < RAD_HDR_LEN || v.len > size || v.len > RAD_MAX_LEN)
		abort();
	size_t off = 0, len, total = 0;
	uint8_t type;
	const uint8_t *val;
	volatile uint8_t x = 0;
	while (rad_next(&v, &off, &type, &val, &len)) {
		if (val < v.buf + RAD_HDR_LEN || val + len > v.buf + v.len)
			abort();
		for (size_t i = 0; i < len; i++)
			x ^= val[i];
		total += len + 2;
	}
	if (total != v.len - RAD_HDR_LEN)
		abort();
	uint8_t eap[RAD_MAX_LEN];
	long el = rad_concat(&v, RAD_EAP_MESSAGE, eap, sizeof(eap));
	if (el > (long)v.len)
		abort();
	rad_verify_response(&v, ra, secret, sizeof(secret) - 1, false);
	rad_verify_request(&v, secret, sizeof(secret) - 1, false);
	for (uint8_t t = RAD_MS_MPPE_SEND_KEY; t <= RAD_MS_MPPE_RECV_KEY; t++) {
		const uint8_t *k = rad_find_vsa(&v, RAD_VENDOR_MICROSOFT, t, &len);
		if (!k)
			continue;
		if (k < v.buf || k + len > v.buf + v.len)
			abort();
		uint8_t key[64];
		size_t kl = 0;
		if (rad_mppe_key(k, len, ra, secret, sizeof(secret) - 1, key, sizeof(key), &kl) == 0 &&
		    kl > sizeof(key))
			abort();
	}
	uint32_t u;
	rad_find_u32(&v, RAD_SESSION_TIMEOUT, &u);
	return 0;
}
