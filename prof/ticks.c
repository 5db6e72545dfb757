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

void mp_ticks_init(void)
{
	mp_ticks_tsc = tsc_usable();
	ns0 = now_ns();
	tick0 = mp_ticks();
}

static double rate_after(uint64_t wait_ns)
{
	if (!mp_ticks_tsc)
		return 1.0;
	uint64_t ns = now_ns();
	while (ns < ns0 + wait_ns) {
		struct timespec ts = { 0, (long)(ns0 + wait_ns - ns) };
		mp_raw_syscall(SYS_nanosleep, &ts, 0, 0);
		ns = now_ns();
	}
	uint64_t t = mp_ticks();
	ns = now_ns();
	return t > tick0 ? (double)(t - tick0) / (double)(ns - ns0) : 1.0;
}

/* At least 10 ms between the pairs: the rate to better than 0.1 %. */
double mp_ticks_per_ns(void)
{
	return rate_after(10000000);
}

/* For a threshold at start: 2 ms, good to about 1 %. */
double mp_ticks_per_ns_quick(void)
{
	return rate_after(2000000);
}

uint64_t mp_ticks_mono_ns(uint64_t t, double ticks_per_ns)
{
	if (t >= tick0)
		return ns0 + (uint64_t)((double)(t - tick0) / ticks_per_ns);
	uint64_t back = (uint64_t)((double)(tick0 - t) / ticks_per_ns);
	return back < ns0 ? ns0 - back : 0;
}
