/* The monotonic clock and rate-limited log lines (src/clock.h). */
#include <time.h>
#include "src/clock.h"

uint64_t now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}

bool ratelog_ok(struct ratelog *r, uint64_t now, unsigned interval, unsigned *suppressed)
{
	if (r->any && now - r->last < interval) {
		r->suppressed++;
		return false;
	}
	*suppressed = r->suppressed;
	r->suppressed = 0;
	r->last = now;
	r->any = true;
	return true;
}
