/*
 * yield.c - sched_yield: a thread that yields wants others to run, so it
 * first hands its P to a waiting M (if any) and queues for one again, then
 * yields the CPU as asked.
 */
#include "preload/real.h"
#include "preload/wrap.h"

MP_EXPORT int sched_yield(void)
{
	mp_yield();
	return mp_real_sched_yield()();
}
