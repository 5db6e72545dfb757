/*
 * ticks.h - the profiler's clock: the CPU's cycle counter where it is
 * constant and never stops (x86_64 constant_tsc + nonstop_tsc: about 9 ns
 * a read, against 22 ns for the vDSO clock), else the vDSO's
 * CLOCK_MONOTONIC.  Ticks become nanoseconds only when the report is
 * written (mp_ticks_per_ns), never on the hot path.  The rate comes from
 * two (ticks, CLOCK_MONOTONIC) pairs, each the clock read between two
 * tick reads: the first at init, the second 200 us later (spun, for the
 * threshold) and again at the end.
 */
#ifndef MAXPROCS_PROF_TICKS_H
#define MAXPROCS_PROF_TICKS_H

#include <stdbool.h>
#include <stdint.h>

#include "shim/vdso.h"

extern bool mp_ticks_tsc __attribute__((visibility("hidden")));

static inline uint64_t mp_ticks(void)
{
#if defined(__x86_64__)
	if (__builtin_expect(mp_ticks_tsc, 1)) {
		uint32_t lo, hi;
		__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
		return ((uint64_t)hi << 32) | lo;
	}
#endif
	int64_t ns = mp_clock_ns(CLOCK_MONOTONIC);
	return ns < 0 ? 0 : (uint64_t)ns;
}

/* Decide the clock (reads /proc/cpuinfo's flags on x86_64) and take the
 * first calibration pair. */
void mp_ticks_init(void);
/* Ticks per nanosecond, from the first pair and one taken now, good to
 * 5e-4 or better: it spins (never sleeps) until the pairs are at least
 * 200 us and 2000 pair widths apart (at most 10 ms), so only the first
 * call after mp_ticks_init waits. */
double mp_ticks_per_ns(void);
/* Ticks t as CLOCK_MONOTONIC nanoseconds: a time base every process of a
 * tree shares (trace.json). */
uint64_t mp_ticks_mono_ns(uint64_t t, double ticks_per_ns);

#endif
