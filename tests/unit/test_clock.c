/* The wall clock jumps (issue 9, README "Faults"): cygnet's timers are
 * libevent timers and its intervals are now_sec(), both on a monotonic
 * clock. This test makes the wall clock jump inside this process only
 * (the host's clock is never touched): clock_gettime(CLOCK_REALTIME...)
 * and gettimeofday are interposed and return real time plus an offset
 * that jumps an hour back, then a day forward, while libevent timers run.
 * Timers on the wall clock would fire at once (forward) or not for an
 * hour (back); monotonic ones fire on time. */
#define _GNU_SOURCE
#include "tests/unit/check.h"

#include <signal.h>
#include <stdbool.h>
#include <sys/syscall.h>
#include <sys/time.h>
#include <time.h>
#include <unistd.h>
#include <event2/event.h>

#include "src/daemon.h"

static long long wall_offset;           /* seconds added to the wall clock */
static unsigned clocks_seen;            /* bit per clock id used */

static int real_clock(clockid_t id, struct timespec *ts)
{
	return (int)syscall(SYS_clock_gettime, id, ts);
}

/* interposed for the whole process, libevent included */
int clock_gettime(clockid_t id, struct timespec *ts)
{
	int rc = real_clock(id, ts);
	if ((unsigned)id < 32)
		clocks_seen |= 1u << id;
	if (rc == 0 && (id == CLOCK_REALTIME || id == CLOCK_REALTIME_COARSE))
		ts->tv_sec += wall_offset;
	return rc;
}

int gettimeofday(struct timeval *tv, void *tz)
{
	struct timespec ts;
	(void)tz;
	if (clock_gettime(CLOCK_REALTIME, &ts) != 0)
		return -1;
	tv->tv_sec = ts.tv_sec;
	tv->tv_usec = ts.tv_nsec / 1000;
	return 0;
}

static double mono(void)
{
	struct timespec ts;
	real_clock(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

struct run {
	struct event_base *base;
	double armed, fired;
	long long jump;
	int step;
};

/* a 0.3 s timer; the wall clock jumps right after it is armed */
static void on_timer(evutil_socket_t fd, short what, void *arg)
{
	struct run *r = arg;
	r->fired = mono();
	event_base_loopbreak(r->base);
}

static void on_stuck(int sig)
{
	(void)sig;
	static const char m[] = "not ok clock: a timer did not fire within 10 s\n";
	if (write(1, m, sizeof(m) - 1) < 0)
		_exit(1);
	_exit(1);
}

static double timer_after_jump(struct event_base *base, long long jump)
{
	struct run r = { base, 0, 0, jump, 0 };
	struct timeval tv = { 0, 300000 };
	struct event *ev = evtimer_new(base, on_timer, &r);
	if (!ev || evtimer_add(ev, &tv) != 0)
		return -1;
	r.armed = mono();
	wall_offset += jump;
	event_base_dispatch(base);
	event_free(ev);
	return r.fired - r.armed;
}

int main(void)
{
	signal(SIGALRM, on_stuck);
	alarm(10);
	struct event_base *base = event_base_new();
	CHECK("clock event base", base != NULL);
	if (!base)
		CHECK_DONE();
	double back = timer_after_jump(base, -3600);
	CHECK("clock timer fires on time after the wall clock went back 1 h",
	      back >= 0.25 && back < 2.0);
	double fwd = timer_after_jump(base, 86400);
	CHECK("clock timer fires on time after the wall clock went forward 1 day",
	      fwd >= 0.25 && fwd < 2.0);
	printf("# timers fired after %.3f s and %.3f s (armed for 0.3 s)\n", back, fwd);
	CHECK("clock libevent used a monotonic clock",
	      (clocks_seen & (1u << CLOCK_MONOTONIC | 1u << CLOCK_MONOTONIC_COARSE)) != 0);
	/* the jumps did reach libevent: its idea of the wall clock moved */
	struct timeval ev_wall;
	struct timespec real;
	real_clock(CLOCK_REALTIME, &real);
	CHECK("clock the jumps reach libevent",
	      event_base_gettimeofday_cached(base, &ev_wall) == 0 &&
	      ev_wall.tv_sec - real.tv_sec > 86400 - 3600 - 5 &&
	      ev_wall.tv_sec - real.tv_sec < 86400 - 3600 + 5);

	uint64_t a = now_sec();
	wall_offset -= 7 * 86400;
	uint64_t b = now_sec();
	CHECK("clock now_sec ignores a wall clock jump", b >= a && b - a <= 1);
	event_base_free(base);
	CHECK_DONE();
}
