/* The process-wide daemon context and the clock. */
#include <time.h>
#include "src/daemon.h"

struct daemon *g_daemon;

uint64_t now_sec(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec;
}
