/* libFuzzer target for the Dynamic Authorization listener
 * (src/radius_dae.h) past its signature check: the harness signs what the
 * fuzzer gives with the DAE secret, so the attribute rules (dae_decode),
 * the NAS checks, session matching against two established IKE_SAs
 * (user "vpnuser" with virtual IPs, and an escaped IKE identity), the
 * Disconnect/CoA actions, the answer with Proxy-State copies and the
 * replay cache all see arbitrary attributes. Every answer must parse and
 * carry a valid Response Authenticator (and Message-Authenticator when
 * the request had one).
 *
 * Input: a control byte, then the attributes (raw, any bytes).
 *   bit 0: CoA-Request, else Disconnect-Request
 *   bit 1: left unsigned (the attributes as they are: dropped, counted)
 *   bit 2: a Message-Authenticator appended
 *   bit 3: dae.require_event_timestamp = yes
 *   bit 4: dae.clients set; it holds the sender's /24 when bit 5 (the
 *          Identifier's lowest bit) is set, else only other prefixes
 *   bits 5-7: the Identifier (a repeated one may hit the cache)
 * Seeds: tests/fuzz/corpus/radius_dae. */
#define _GNU_SOURCE
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "src/radius.h"
#include "src/radius_dae.h"
#include "tests/fuzz/fuzz_sa.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char dae_secret[] = "fuzz-dae-secret";

static void sessions(void)
{
	struct ike_sa *a = fuzz_sa_new(IKE_S_ESTABLISHED, false);
	snprintf(a->user, sizeof(a->user), "vpnuser");
	a->has_vip4 = true;
	inet_pton(AF_INET, "198.19.0.7", a->vip4);
	a->has_vip6 = true;
	inet_pton(AF_INET6, "2001:db8:ffff::7", a->vip6);
	struct ike_sa *b = fuzz_sa_new(IKE_S_ESTABLISHED, false);
	snprintf(b->user, sizeof(b->user), "CN=caf\\xc3\\xa9, O=\\\\x");
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static struct rad_pkt p;
	static uint8_t out[RAD_MAX_LEN];
	struct sockaddr_in dac = { .sin_family = AF_INET, .sin_port = htons(3799) };
	if (size < 1 || size > RAD_MAX_LEN - RAD_HDR_LEN - 18)
		return 0;
	fuzz_daemon_setup();
	struct radius_conf *rc = fuzz_d.cfg->radius;
	/* a fresh listener every 1000 inputs: its replay cache only empties
	 * by age (10 minutes), and a full one drops every new request */
	static unsigned runs;
	if (++runs % 1000 == 0)
		radius_dae_close(&fuzz_d);
	if (!fuzz_d.dae) {
		rc->dae.enable = true;
		memcpy(rc->dae.secret, dae_secret, sizeof(dae_secret));
		rc->dae.secret_len = sizeof(dae_secret) - 1;
		if (!radius_dae_new(&fuzz_d))
			abort();
	}
	inet_pton(AF_INET, "198.18.2.2", &dac.sin_addr);
	uint8_t ctl = data[0];
	bool coa = ctl & 1, raw = ctl & 2, ma = ctl & 4;
	rc->dae.require_timestamp = ctl & 8;
	rc->dae.n_clients = 0;
	if (ctl & 16) {
		char why[128];
		rc->dae.n_clients = 2;
		if (radius_prefix_parse("2001:db8:2::/64", &rc->dae.clients[0], why, sizeof(why)) ||
		    radius_prefix_parse(ctl & 32 ? "198.18.2.0/24" : "198.18.3.0/24",
		                        &rc->dae.clients[1], why, sizeof(why)))
			abort();
	}
	rad_new(&p, coa ? RAD_COA_REQUEST : RAD_DISCONNECT_REQUEST, ctl >> 5);
	memcpy(p.buf + RAD_HDR_LEN, data + 1, size - 1);
	p.len = RAD_HDR_LEN + size - 1;
	if (ma)
		rad_put_msg_auth(&p);
	if (!raw && rad_sign_request(&p, dae_secret, sizeof(dae_secret) - 1, NULL) != 0)
		return 0;
	if (raw) {
		p.buf[2] = (uint8_t)(p.len >> 8);
		p.buf[3] = (uint8_t)p.len;
	}
	sessions();
	size_t n = radius_dae_input(&fuzz_d, p.buf, p.len, (struct sockaddr *)&dac, out,
	                            sizeof(out));
	if (n) {
		/* the request as parsed: the appended Message-Authenticator may
		 * sit inside a fuzzed attribute's length */
		struct rad_view v, q;
		size_t l;
		bool had_ma = rad_parse(p.buf, p.len, &q) == 0 &&
		              rad_find(&q, RAD_MESSAGE_AUTHENTICATOR, &l) != NULL;
		if (rad_parse(out, n, &v) != 0 || v.id != p.buf[1] ||
		    !rad_verify_response(&v, p.buf + 4, dae_secret, sizeof(dae_secret) - 1, had_ma))
			abort();
		if (v.code != p.buf[0] + 1 && v.code != p.buf[0] + 2)
			abort();
	}
	radius_dae_tick(&fuzz_d, now_sec() + 100000);
	char line[1024];
	radius_dae_status(&fuzz_d, line, sizeof(line));
	fuzz_sa_reap_all();
	return 0;
}
