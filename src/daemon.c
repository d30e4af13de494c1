/* The process-wide daemon context, the clock, and stopping. */
#include <time.h>
#include <event2/event.h>
#include "src/daemon.h"
#include "src/ike_sa.h"

struct daemon *g_daemon;

uint64_t now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

void daemon_stop(struct daemon *d, int code)
{
	if (code > d->exit_code)
		d->exit_code = code;
	if (d->stopping)
		return;
	d->stopping = true;
	for (struct ike_sa *sa = d->sas; sa; sa = sa->next) {
		if (sa->state == IKE_S_ESTABLISHED)
			ike_sa_send_delete(d, sa);
		ike_sa_set_state(sa, IKE_S_DEAD);
	}
	ike_sa_reap(d);
	event_base_loopexit(d->base, NULL);
}
