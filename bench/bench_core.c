/*
 * bench_core.c - what an uncontended enter/exit pair costs in the core.
 *
 * Every intercepted call pays one mp_enter_syscall/mp_exit_syscall pair, so
 * the pair must stay small beside the cheapest real system call (issue 2:
 * it adds <= 10 ns; getppid costs ~170 ns on the reference VM).  A second
 * M on a second P must pay the same: if it pays more, the two share a cache
 * line they should not.  The yardstick is measured in the same run, and each
 * figure is the minimum over runs because noise on a shared VM only adds;
 * many short runs (a few ms each) find the quiet moments of a busy machine
 * better than a few long ones.
 *
 * usage: bench_core [RUNS [ITERATIONS]]      (default 31 runs of 500000)
 */
#include "sched/sched.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

/* getppid is ~30x dearer than a pair: fewer calls keep its runs as short. */
#define SYSCALL_ITER_DIVISOR 16

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static double time_pairs(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		mp_enter_syscall();
		mp_exit_syscall();
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double time_getppid(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++)
		syscall(SYS_getppid);
	return (double)(now_ns() - t0) / (double)n;
}

static double time_bracketed_getppid(long n)
{
	uint64_t t0 = now_ns();
	for (long i = 0; i < n; i++) {
		mp_enter_syscall();
		syscall(SYS_getppid);
		mp_exit_syscall();
	}
	return (double)(now_ns() - t0) / (double)n;
}

static double min_of(double a, double b)
{
	return b < a ? b : a;
}

/* The second M: measures when the main thread does, on its own P. */
struct partner {
	pthread_barrier_t start, done;
	long iterations;
	int runs;
	double best;
};

static void *partner_main(void *arg)
{
	struct partner *pt = arg;

	mp_m_attach();
	for (int r = 0; r < pt->runs; r++) {
		pthread_barrier_wait(&pt->start);
		pt->best = min_of(pt->best, time_pairs(pt->iterations));
		pthread_barrier_wait(&pt->done);
	}
	mp_m_detach();
	return NULL;
}

static long parse_count(const char *what, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_core: %s '%s' is not a number from %ld to %ld\n",
		        what, s, lo, hi);
		exit(2);
	}
	return v;
}

int main(int argc, char **argv)
{
	if (argc > 3 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_core [RUNS [ITERATIONS]]\n");
		return 2;
	}
	int runs = argc > 1 ? (int)parse_count("RUNS", argv[1], 1, 1000) : 31;
	long iter = argc > 2 ? parse_count("ITERATIONS", argv[2], 16000, 1000000000) : 500000;
	long sys_iter = iter / SYSCALL_ITER_DIVISOR;

	struct mp_options opt = { .nprocs = 2 };
	int err = mp_sched_init(&opt);
	if (err) {
		fprintf(stderr, "bench_core: mp_sched_init: %s\n", strerror(-err));
		return 1;
	}
	mp_m_attach();

	struct partner pt = { .iterations = iter, .runs = runs, .best = 1e300 };
	pthread_barrier_init(&pt.start, NULL, 2);
	pthread_barrier_init(&pt.done, NULL, 2);
	pthread_t tid;
	err = pthread_create(&tid, NULL, partner_main, &pt);
	if (err) {
		fprintf(stderr, "bench_core: pthread_create: %s\n", strerror(err));
		return 1;
	}

	double pair1 = 1e300, pair2 = 1e300, ppid = 1e300, bracketed = 1e300;
	time_pairs(iter / 10);  /* warm the caches and the CPU clock */
	for (int r = 0; r < runs; r++) {
		pair1 = min_of(pair1, time_pairs(iter));
		ppid = min_of(ppid, time_getppid(sys_iter));
		bracketed = min_of(bracketed, time_bracketed_getppid(sys_iter));
		pthread_barrier_wait(&pt.start);
		pair2 = min_of(pair2, time_pairs(iter));
		pthread_barrier_wait(&pt.done);
	}
	pthread_join(tid, NULL);

	struct mp_stats st;
	mp_stats_snapshot(&st);
	mp_m_detach();

	double worst2 = pair2 > pt.best ? pair2 : pt.best;
	printf("bench_core: minimum of %d runs; %ld pairs, %ld getppid per run\n",
	       runs, iter, sys_iter);
#ifdef MP_DEBUG
	printf("  WARNING: invariant checks are on (debug build); use a release build\n");
#endif
	printf("  %-34s %8.2f ns\n", "enter/exit pair, 1 M on 1 P", pair1);
	printf("  %-34s %8.2f ns   %8.2f ns\n", "enter/exit pair, 2 Ms on 2 Ps", pair2, pt.best);
	printf("  %-34s %8.2f ns\n", "getppid syscall", ppid);
	printf("  %-34s %8.2f ns   (%+.2f ns)\n", "getppid inside a pair", bracketed,
	       bracketed - ppid);
	printf("  pair / getppid            %6.1f %%\n", 100.0 * pair1 / ppid);
	printf("  2-thread / 1-thread       %6.2f   (slower of the two Ms)\n", worst2 / pair1);
	printf("  goal pair <= 10 ns: %s; goal 2-thread ~= 1-thread: %s\n",
	       pair1 <= 10.0 ? "met" : "MISSED",
	       worst2 / pair1 <= 1.15 ? "met" : "MISSED");
	printf("  counters: enters %" PRIu64 ", fast exits %" PRIu64 ", slow exits %" PRIu64
	       ", parks %" PRIu64 ", running high-water %" PRIu32 "\n",
	       st.enters, st.fast_exits, st.slow_exits, st.parks, st.running_hwm);
	if (st.slow_exits || st.parks)
		printf("  WARNING: some exits left the fast path; the figures are not the "
		       "uncontended cost\n");
	return 0;
}
