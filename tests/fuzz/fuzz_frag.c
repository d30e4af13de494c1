/* libFuzzer target for IKE fragment reassembly (RFC 7383) through the
 * daemon's entry point ike_input, on an IKE_SA as IKE_SA_INIT left it
 * (waiting for a fragmented IKE_AUTH) or an established one.
 *
 * Input: a control byte, then fragments separated by "FUZZ". The control
 * byte: bit 0 established (else after IKE_SA_INIT), bits 1-2 the exchange
 * (IKE_AUTH, INFORMATIONAL, CREATE_CHILD_SA, IKE_SA_INIT), bit 3 the peer
 * did not announce fragmentation. Each fragment: Fragment Number, Total
 * Fragments, the next-payload byte of the Encrypted Fragment payload, a
 * control byte (bit 0 break the ICV as a forger would, bit 1 the next
 * message ID, bit 2 a plain SK payload instead of SKF, bit 3 the previous
 * message ID (a retransmission), bit 4 an unknown critical payload before
 * it), then the plaintext: the target protects it with the IKE_SA's keys
 * as the peer would (so reassembly, not the ICV, is what gets fuzzed) and
 * hands the datagram to ike_input.
 * Seeds: tests/fuzz/corpus/frag/ */
#define _GNU_SOURCE
#include "tests/fuzz/fuzz_sa.h"
#include "src/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

struct frag_ctx {
	struct ike_sa *sa;
	uint8_t exchange;
	int n;
	bool gone;            /* the IKE_SA was deleted: nothing more to send */
};

static void send_fragment(const uint8_t *p, size_t len, void *arg)
{
	struct frag_ctx *c = arg;

	if (c->gone || c->n++ == 0 || len < 4)
		return;               /* the control byte's part; too short */
	uint8_t num = p[0], total = p[1], next = p[2], ctl = p[3];
	uint32_t msgid = c->sa->msgid_next + (ctl & 2 ? 1 : 0) - (ctl & 8 ? 1 : 0);
	struct fuzz_seal how = {
		.exchange = c->exchange, .msgid = msgid, .skf = !(ctl & 4), .num = num,
		.total = total, .next = next, .crit = ctl & 16, .forge = ctl & 1,
	};
	c->gone = !fuzz_seal_send(c->sa, &how, p + 4, len - 4);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const uint8_t exchanges[4] = { IKE_AUTH, INFORMATIONAL, CREATE_CHILD_SA, IKE_SA_INIT };

	fuzz_daemon_setup();
	if (size < 1)
		return 0;
	uint8_t ctl = data[0];
	struct frag_ctx c = {
		.sa = fuzz_sa_new(ctl & 1 ? IKE_S_ESTABLISHED : IKE_S_INIT_DONE, !(ctl & 8)),
		.exchange = exchanges[ctl >> 1 & 3],
	};
	fuzz_split(data, size, IKE_MAX_FRAGS + 16, send_fragment, &c);
	/* the reassembly state must be consistent */
	struct frag_in *f = &c.sa->frag;
	if (!c.gone && (f->total > IKE_MAX_FRAGS || f->have > f->total ||
	                        f->bytes > IKE_MAX_MSG))
		abort();
	fuzz_sa_reap_all();
	return 0;
}
