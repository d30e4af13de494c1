/* Time as cygnet counts it: monotonic seconds (CLOCK_MONOTONIC: a jump of
 * the wall clock moves no timer, lease or back-off; README "Faults"), and
 * log lines rate-limited on that clock. Used by both planes. */
#ifndef CYGNET_CLOCK_H
#define CYGNET_CLOCK_H

#include <stdbool.h>
#include <stdint.h>

uint64_t now_sec(void);

/* A log line that may be printed at most once per interval: the first
 * event at once, later ones summed up ("N more") in the next line. */
struct ratelog {
	uint64_t last;                 /* monotonic seconds of the last line */
	unsigned suppressed;           /* events since then without a line */
	bool any;
};
/* true when a line may be printed now; *suppressed gets the count of
 * events swallowed since the previous line */
bool ratelog_ok(struct ratelog *r, uint64_t now, unsigned interval, unsigned *suppressed);

#endif
