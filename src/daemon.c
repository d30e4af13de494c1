/* The daemon context: what the data plane tells it, its RADIUS client,
 * and stopping. */
#include <event2/event.h>
#include "src/daemon.h"
#include <stdio.h>
#include <string.h>
#include "src/client.h"
#include "src/dp/dp.h"
#include "src/ike_sa.h"
#include "src/config.h"
#include "src/log.h"
#include "src/radius_acct.h"
#include "src/radius_client.h"
#include "src/rekey.h"
#include "src/sdnotify.h"

static int radius_client_apply(struct daemon *d)
{
	struct radius_client *old = d->radius;
	d->radius = NULL;
	radius_client_release(old);
	const struct radius_conf *rc = d->cfg->radius;
	if (!rc || !rc->enabled)
		return 0;
	char err[512], desc[2048];
	d->radius = radius_client_new(d->base, d, rc, err, sizeof(err));
	if (!d->radius) {
		log_err(LOG_CFG, "RADIUS: %s: rightauth=eap-radius logins fail", err);
		return -1;
	}
	radius_client_describe(d->radius, desc, sizeof(desc));
	log_err(LOG_CFG, "RADIUS servers: %s", desc);
	return 0;
}

int daemon_radius_apply(struct daemon *d)
{
	int rc = radius_client_apply(d);
	/* accounting switched on or off (a reload), its queue sending
	 * through the new client */
	acct_reload(d);
	return rc;
}

void daemon_stop(struct daemon *d, int code)
{
	if (code > d->exit_code)
		d->exit_code = code;
	if (d->stopping)
		return;
	d->stopping = true;
	sdnotify_stopping();
	client_stop_all(d);
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_ESTABLISHED)
			ike_sa_send_delete(d, sa);
		sa->end = IKE_END_LOCAL;
		acct_set_cause(sa, ACCT_TC_NAS_REBOOT);
		ike_sa_set_state(sa, IKE_S_DEAD);
	}
	ike_sa_reap(d);
	/* the Stops and Accounting-Off get a short grace */
	if (!acct_stopping(d))
		event_base_loopexit(d->base, NULL);
}

void daemon_dp_event(void *arg, const struct dp_event *ev)
{
	struct daemon *d = arg;
	switch (ev->kind) {
	case DP_EV_PEER_MOVED:
		ike_sa_follow_esp(d, ev->owner, ev->spi_in, (const struct sockaddr *)&ev->peer,
		                  ev->peer_len);
		break;
	case DP_EV_SEQ_NEAR_END:
	case DP_EV_SEQ_EXHAUSTED:
		rekey_child_seq(d, ev->owner, ev->spi_in, ev->kind == DP_EV_SEQ_EXHAUSTED);
		break;
	case DP_EV_TUN_GONE:
		dp_stop(d->dp);
		if (d->stopping)
			break;
		log_err(LOG_TUN, "TUN %s is gone (%s: %s): cygnet cannot serve without it; "
		        "stopping with exit status 1 so that the service manager restarts cygnetd",
		        d->tun_name, ev->op ? ev->op : "?", strerror(ev->err));
		daemon_stop(d, 1);
		break;
	}
}
