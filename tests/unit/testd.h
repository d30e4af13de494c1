/* An in-process daemon for unit tests that drive the IKE code: a
 * first-run configuration (CA, server certificate, a user, one IPv4 pool)
 * in a new temporary dir, loaded, with an event base and a data plane; no
 * sockets, no TUN device, no worker threads (jobs run inline). */
#ifndef CYGNET_TESTD_H
#define CYGNET_TESTD_H

#include <stdio.h>
#include <stdlib.h>
#include <event2/event.h>
#include "src/config.h"
#include "src/daemon.h"
#include "src/dp/dp.h"
#include "src/firstrun.h"
#include "crypto/algs.h"
#include "src/ike.h"
#include "src/ike_msg.h"
#include "src/ike_sa.h"
#include "src/log.h"

/* fills d; dir (at least 32 bytes) gets the temporary dir. 0 on success */
static inline int testd_open(struct daemon *d, char *dir, const char *server_id)
{
	char conf[600], err[512];
	snprintf(dir, 32, "/tmp/cygnet-test-XXXXXX");
	if (!mkdtemp(dir))
		return -1;
	snprintf(conf, sizeof(conf), "%s/conf", dir);
	struct firstrun_opts o = { .server_id = server_id, .pools = { "198.19.0.0/24" }, .n_pools = 1 };
	struct firstrun_result res;
	int rc = firstrun_create(conf, &o, &res, err, sizeof(err));
	firstrun_result_wipe(&res);
	if (rc != 0)
		return -1;
	log_set_level(-1, -1);
	d->cfg = config_load(conf, err, sizeof(err));
	d->base = event_base_new();
	struct dp_params dp = { .base = d->base, .tun_fd = -1, .on_event = daemon_dp_event,
	                        .arg = d };
	d->dp = d->base ? dp_new(&dp, NULL, 0) : NULL;
	return d->cfg && d->base && d->dp && ike_sa_tables_init(d) == 0 ? 0 : -1;
}

/* frees what testd_open made (every IKE_SA included) and removes dir */
static inline void testd_close(struct daemon *d, const char *dir)
{
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next)
		ike_sa_set_state(sa, IKE_S_DEAD);
	ike_sa_reap(d);
	ike_sa_tables_free(d);
	dp_free(d->dp);
	if (d->base)
		event_base_free(d->base);
	config_free(d->cfg);
	char cmd[128];
	snprintf(cmd, sizeof(cmd), "rm -rf '%s'", dir);
	if (system(cmd) != 0)
		printf("# could not remove %s\n", dir);
}

/* the start of an IKE_SA_INIT request as a strongSwan client builds it
 * (SPI and nonce filled with seed, a COOKIE when cookie is given, an
 * AES-GCM/SHA-256/ECP-256 proposal, the public key ke_pub, both NAT-D
 * notifies) in w over buf; the caller may add payloads, then
 * ike_wr_finish */
static inline void testd_init_request(struct ike_wr *w, uint8_t *buf, size_t cap, uint8_t seed,
                                      const uint8_t *cookie, size_t cookie_len,
                                      const uint8_t *ke_pub, size_t ke_len)
{
	struct ike_hdr h = { .version = 0x20, .exchange = IKE_SA_INIT, .flags = IKE_FLAG_INITIATOR };
	memset(h.spi_i, seed, 8);
	ike_wr_init(w, buf, cap, &h);
	if (cookie)
		ike_wr_notify(w, 0, NULL, 0, N_COOKIE, cookie, cookie_len);
	struct ike_prop p = { .num = 1, .proto = PROTO_IKE };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_ENCR, .id = ENCR_AES_GCM_16, .keybits = 256 };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_PRF, .id = PRF_HMAC_SHA2_256 };
	p.xf[p.n_xf++] = (struct ike_xf){ .type = XF_DH, .id = ECP_256 };
	ike_wr_sa(w, &p);
	ike_wr_ke(w, ECP_256, ke_pub, ke_len);
	uint8_t nonce[32];
	memset(nonce, seed, sizeof(nonce));
	ike_wr_nonce(w, nonce, sizeof(nonce));
	uint8_t natd[20] = { 0 };
	ike_wr_notify(w, 0, NULL, 0, N_NAT_DETECTION_SOURCE_IP, natd, 20);
	ike_wr_notify(w, 0, NULL, 0, N_NAT_DETECTION_DESTINATION_IP, natd, 20);
}

#endif
