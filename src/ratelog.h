/* Rate-limited reporting of faults that can happen once per packet
 * (a full socket buffer, a TUN device that is down): every event is
 * counted, and at most one log line per interval says how many there were,
 * so a flood of them costs a counter increment, not a log line each. */
#ifndef CYGNET_RATELOG_H
#define CYGNET_RATELOG_H

#include <stdint.h>

#define RATELOG_INTERVAL 10         /* seconds between two lines */

struct ratelog {
	uint64_t total;                 /* events since start */
	uint64_t pending;               /* events not yet reported in a line */
	uint64_t next;                  /* monotonic second from which a line may go */
};

/* Counts one event at monotonic second now. Returns 0 when no line is due;
 * else the number of events the line should report (this one and those
 * held back since the last line), and starts a new interval. The first
 * event after a quiet interval is reported at once. */
uint64_t ratelog_hit(struct ratelog *r, uint64_t now);

#endif
