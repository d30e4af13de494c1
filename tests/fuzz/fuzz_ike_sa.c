/* libFuzzer target: whole datagrams into the daemon's IKE entry point
 * (ike_input) with a real configuration, as an unauthenticated attacker
 * sends them: header checks, IKE_SA_INIT handling (proposal selection, KE,
 * nonces, NAT detection, cookies) and lookups of unknown SAs. The
 * configuration is a first-run one (fuzz_sa.h); no sockets are open, so
 * answers are built but go nowhere. Every IKE_SA is torn down after each
 * input. The first byte's bit 0 picks the port: 500, or 4500 as after
 * the non-ESP marker. Seeds: tests/fuzz/corpus/ike_sa/ */
#define _GNU_SOURCE
#include "tests/fuzz/fuzz_sa.h"
#include "src/ike.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	fuzz_daemon_setup();
	struct sockaddr_in peer = fuzz_peer, local = fuzz_local;
	in_port_t port = htons(size && (data[0] & 1) ? 4500 : 500);
	peer.sin_port = local.sin_port = port;
	ike_input(&fuzz_d, data, size, (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	/* the same datagram again: the retransmission path */
	ike_input(&fuzz_d, data, size, (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	fuzz_sa_reap_all();
	return 0;
}
