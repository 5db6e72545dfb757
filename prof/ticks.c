/* ticks.c - the profiler's clock (ticks.h): which counter, and its rate. */
#include "prof/ticks.h"

#include <fcntl.h>
#include <string.h>

#include "shim/raw_syscall.h"

bool mp_ticks_tsc;
static uint64_t tick0, ns0;

/* x86_64: the TSC counts at a constant rate through every power state
 * only if cpuinfo says constant_tsc and nonstop_tsc. */
static bool tsc_usable(void)
{
#if defined(__x86_64__)
	static char buf[16384];
	int fd = (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/cpuinfo",
	                              O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return false;
	long n = mp_raw_syscall(SYS_read, fd, buf, sizeof buf - 1);
	mp_raw_syscall(SYS_close, fd, 0, 0);
	if (n <= 0)
		return false;
	buf[n] = 0;
	char *flags = strstr(buf, "\nflags");
	char *eol = flags ? strchr(flags + 1, '\n') : NULL;
	if (!eol)
		return false;
	*eol = 0;
	return strstr(flags, " constant_tsc") && strstr(flags, " nonstop_tsc");
#else
	return false;
#endif
}

static uint64_t now_ns(void)
{
	int64_t ns = mp_clock_ns(CLOCK_MONOTONIC);
	return ns < 0 ? 0 : (uint64_t)ns;
}

/* One (ticks, ns) pair: the clock read between two tick reads, the
 * narrowest of a few tries (a preemption between the reads makes a wide
 * one), the ticks the midpoint: good to half the width it returns (with
 * the TSC and the vDSO's TSC clock, some 40 ns). */
static uint64_t pair(uint64_t *ticks, uint64_t *ns)
{
	uint64_t best = UINT64_MAX;
	for (int i = 0; i < 5; i++) {
		uint64_t a = mp_ticks(), n = now_ns(), b = mp_ticks();
		if (b >= a && b - a < best) {
			best = b - a;
			*ticks = a + (b - a) / 2;
			*ns = n;
		}
	}
	if (best == UINT64_MAX) {   /* the counter went backwards five times */
		*ticks = mp_ticks();
		*ns = now_ns();
		best = 0;
	}
	return best;
}

static uint64_t width0;   /* of the first pair, ticks */

void mp_ticks_init(void)
{
	mp_ticks_tsc = tsc_usable();
	if (mp_ticks_tsc)
		width0 = pair(&tick0, &ns0);
	else
		tick0 = ns0 = now_ns();
}

/*
 * The rate from the first pair and one taken now, spinning (never
 * sleeping) until the two are far enough apart for the rate to be good to
 * 5e-4: 2000 times their widths (in ns at the rate so far), and at least
 * 200 us; at most 10 ms.  With the TSC and the vDSO's TSC clock that is
 * 200 us, spun once, at start (mp_ticks_per_ns); at the end the
 * first pair is already that far.
 */
static double rate_now(void)
{
	if (!mp_ticks_tsc)
		return 1.0;
	uint64_t t, ns;
	double rate;
	for (;;) {
		uint64_t w = pair(&t, &ns);
		double span = ns > ns0 ? (double)(ns - ns0) : 0;
		if (span >= 10000000.0)
			return t > tick0 ? (double)(t - tick0) / span : 1.0;
		if (t <= tick0 || span <= 0)
			continue;
		rate = (double)(t - tick0) / span;
		double need = 2000.0 * (double)(w + width0) / rate;
		if (span >= need && span >= 200000.0)
			return rate;
	}
}

double mp_ticks_per_ns(void)
{
	return rate_now();
}



uint64_t mp_ticks_mono_ns(uint64_t t, double ticks_per_ns)
{
	if (t >= tick0)
		return ns0 + (uint64_t)((double)(t - tick0) / ticks_per_ns);
	uint64_t back = (uint64_t)((double)(tick0 - t) / ticks_per_ns);
	return back < ns0 ? ns0 - back : 0;
}
