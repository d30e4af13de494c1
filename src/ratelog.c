/* Rate-limited fault counting (see ratelog.h). */
#include "src/ratelog.h"

uint64_t ratelog_hit(struct ratelog *r, uint64_t now)
{
	r->total++;
	r->pending++;
	if (now < r->next)
		return 0;
	uint64_t n = r->pending;
	r->pending = 0;
	r->next = now + RATELOG_INTERVAL;
	return n;
}
