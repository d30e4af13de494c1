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

#endif
