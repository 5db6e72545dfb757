/*
 * bench_clocks.c - what the profiler's clock choices cost here
 * (docs/profiler.md, "Cost"): each clock read back to back, and the tick
 * reads around a one-byte write to /dev/null made with the raw system
 * call (no libc, no preload), before it, after it, or both.  Each figure
 * is the minimum over ROUNDS rounds of ns per iteration.
 *
 * usage: bench_clocks [ROUNDS]
 */
#include <fcntl.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>
#include <unistd.h>

static double now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

#if defined(__x86_64__)
static inline uint64_t rdtsc(void)
{
	uint32_t lo, hi;
	__asm__ volatile("rdtsc" : "=a"(lo), "=d"(hi));
	return ((uint64_t)hi << 32) | lo;
}

static inline uint64_t rdtscp(void)
{
	uint32_t lo, hi, aux;
	__asm__ volatile("rdtscp" : "=a"(lo), "=d"(hi), "=c"(aux));
	return ((uint64_t)hi << 32) | lo;
}

static inline long raw_write(int fd, const void *buf, long n)
{
	long r;
	__asm__ volatile("syscall"
	                 : "=a"(r)
	                 : "0"(1L), "D"((long)fd), "S"(buf), "d"(n)
	                 : "rcx", "r11", "memory");
	return r;
}
#endif

static uint64_t sink;

static uint64_t clock_read(clockid_t c)
{
	struct timespec ts;
	clock_gettime(c, &ts);
	return (uint64_t)ts.tv_nsec;
}

enum { N_READS = 2000000, N_CALLS = 200000 };

enum kind {
	K_RDTSC, K_RDTSCP, K_MONO, K_COARSE,
	K_CALL, K_CALL_BEFORE, K_CALL_AFTER, K_CALL_BOTH, NKINDS
};
static const char *const names[NKINDS] = {
	"rdtsc", "rdtscp", "clock_gettime(MONOTONIC)", "clock_gettime(MONOTONIC_COARSE)",
	"raw write(2)", "  + rdtsc before", "  + rdtsc after", "  + rdtsc before and after",
};

static double run(enum kind k, int fd)
{
	uint64_t acc = 0;
	int n = k < K_CALL ? N_READS : N_CALLS;
	double t0 = now_ns();
	for (int i = 0; i < n; i++) {
		switch (k) {
#if defined(__x86_64__)
		case K_RDTSC: acc += rdtsc(); break;
		case K_RDTSCP: acc += rdtscp(); break;
		case K_CALL: acc += (uint64_t)raw_write(fd, "x", 1); break;
		case K_CALL_BEFORE: {
			uint64_t a = rdtsc();
			acc += (uint64_t)raw_write(fd, "x", 1) + a;
			break;
		}
		case K_CALL_AFTER: {
			acc += (uint64_t)raw_write(fd, "x", 1);
			acc += rdtsc();
			break;
		}
		case K_CALL_BOTH: {
			uint64_t a = rdtsc();
			acc += (uint64_t)raw_write(fd, "x", 1);
			acc += rdtsc() - a;
			break;
		}
#else
		case K_RDTSC: case K_RDTSCP: case K_CALL: case K_CALL_BEFORE:
		case K_CALL_AFTER: case K_CALL_BOTH:
			return -1;
#endif
		case K_MONO: acc += clock_read(CLOCK_MONOTONIC); break;
		case K_COARSE: acc += clock_read(CLOCK_MONOTONIC_COARSE); break;
		case NKINDS: break;
		}
	}
	sink += acc;
	return (now_ns() - t0) / n;
}

int main(int argc, char **argv)
{
	int rounds = argc > 1 ? atoi(argv[1]) : 9;
	int fd = open("/dev/null", O_WRONLY);
	if (rounds < 1 || fd < 0) {
		fprintf(stderr, "usage: bench_clocks [ROUNDS]\n");
		return 2;
	}
	double best[NKINDS];
	for (int k = 0; k < NKINDS; k++)
		best[k] = 1e300;
	for (int r = 0; r < rounds; r++)
		for (int k = 0; k < NKINDS; k++) {
			double t = run((enum kind)k, fd);
			if (t < best[k])
				best[k] = t;
		}
	struct timespec res;
	clock_getres(CLOCK_MONOTONIC_COARSE, &res);
	printf("bench_clocks: minimum of %d rounds, ns per iteration\n", rounds);
	for (int k = 0; k < NKINDS; k++)
		printf("  %-34s %7.1f\n", names[k], best[k]);
	printf("  clock_getres(MONOTONIC_COARSE)    %7.0f us\n", (double)res.tv_nsec / 1e3);
	return (int)(sink & 0);
}
