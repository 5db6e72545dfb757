/* frozen_clock: a preload (loaded after libmaxprocs.so) whose clock_gettime, gettimeofday and time return a frozen instant, as libfaketime can. */
#include <sys/time.h>
#include <time.h>

#define FROZEN_S 1000000000L

int clock_gettime(clockid_t clk, struct timespec *ts)
{
	(void)clk;
	ts->tv_sec = FROZEN_S;
	ts->tv_nsec = 0;
	return 0;
}

int gettimeofday(struct timeval *restrict tv, void *restrict tz)
{
	(void)tz;
	tv->tv_sec = FROZEN_S;
	tv->tv_usec = 0;
	return 0;
}

time_t time(time_t *t)
{
	if (t)
		*t = FROZEN_S;
	return FROZEN_S;
}
