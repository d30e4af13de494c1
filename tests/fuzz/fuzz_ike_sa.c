/* libFuzzer target: whole datagrams into the daemon's IKE entry point
 * (ike_input) with a real configuration, as an unauthenticated attacker
 * sends them: header checks, IKE_SA_INIT handling (proposal selection, KE,
 * nonces, NAT detection, cookies) and lookups of unknown SAs. The
 * configuration is a first-run one created once in a temporary dir; no
 * sockets are open, so answers are built but go nowhere. Every IKE_SA is
 * torn down after each input. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <arpa/inet.h>
#include <event2/event.h>
#include "src/config.h"
#include "src/daemon.h"
#include "src/esp.h"
#include "src/firstrun.h"
#include "src/ike.h"
#include "src/ike_sa.h"
#include "src/log.h"

static struct daemon d;

static int setup(void)
{
	char dir[] = "/tmp/cygnet-fuzz-XXXXXX", err[512];
	if (!mkdtemp(dir))
		return -1;
	char conf[600];
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	struct firstrun_opts o = { .server_id = "198.18.0.1", .pools = { "198.19.0.0/24",
	                           "2001:db8:ffff::/112" }, .n_pools = 2 };
	struct firstrun_result res;
	if (firstrun_create(conf, &o, &res, err, sizeof(err)) != 0) {
		fprintf(stderr, "firstrun: %s\n", err);
		return -1;
	}
	firstrun_result_wipe(&res);
	log_set_level(-1, -1);
	d.cfg = config_load(conf, err, sizeof(err));
	if (!d.cfg) {
		fprintf(stderr, "config: %s\n", err);
		return -1;
	}
	d.base = event_base_new();
	d.esp = esp_table_new();
	d.tun_fd = -1;
	g_daemon = &d;
	return d.base && d.esp ? 0 : -1;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static int ready;
	if (!ready) {
		if (setup() != 0)
			abort();
		ready = 1;
	}
	struct sockaddr_in peer = { .sin_family = AF_INET, .sin_port = htons(500) };
	struct sockaddr_in local = { .sin_family = AF_INET, .sin_port = htons(500) };
	inet_pton(AF_INET, "198.18.0.2", &peer.sin_addr);
	inet_pton(AF_INET, "198.18.0.1", &local.sin_addr);
	/* the first byte picks the port: 500, or 4500 as after the marker */
	if (size && (data[0] & 1)) {
		peer.sin_port = htons(4500);
		local.sin_port = htons(4500);
	}
	ike_input(&d, data, size, (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	/* the same datagram again: the retransmission path */
	ike_input(&d, data, size, (struct sockaddr *)&peer, sizeof(peer),
	          (struct sockaddr *)&local, sizeof(local));
	for (struct ike_sa *sa = d.sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(&d);
	d.half_open = 0;
	return 0;
}
