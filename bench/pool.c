/*
 * pool.c - a pool of mostly sleeping threads with short CPU bursts
 * (bench/compare).
 *
 * Each of T threads loops: sleep until its next due time, compute a burst of
 * B microseconds of CPU, then set the next due time S ms after the burst
 * ended.  This is a server's worker pool under a steady load: what counts is
 * the response time, from the moment a thread is due (its sleep should have
 * ended) to the end of its burst, which includes the wake-up, any wait for
 * a CPU (or a P), any time the cap kept it off a CPU mid-burst, and the
 * burst itself.  The defaults (64 threads, 100 us, 5 ms) ask for about 1.25
 * CPUs: more than one CPU can give, less than two.
 *
 * It reports bursts per second and the response time's p50/p99/p99.9.
 *
 * usage: pool [--threads T] [--seconds D] [--burst-us B] [--sleep-ms S]
 */
#include "workload.h"

#include <errno.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static uint64_t burst_ns = 100 * 1000, sleep_ns = 5 * 1000000;
static uint64_t nthreads = 64;
static atomic_bool stop;
static pthread_barrier_t start;
static uint64_t t_start;

struct worker {
	pthread_t thread;
	uint64_t index, bursts;
	struct wl_hist hist;     /* due -> burst done, ns */
};

static void sleep_until(uint64_t due)
{
	struct timespec ts = { (time_t)(due / 1000000000u), (long)(due % 1000000000u) };
	while (clock_nanosleep(CLOCK_MONOTONIC, TIMER_ABSTIME, &ts, NULL) == EINTR)
		;
}

static void *run(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(&start);
	/* Spread the first due times over one sleep, so that the threads
	 * are not all due at once (a steady load, not a thundering herd). */
	uint64_t due = t_start + sleep_ns * w->index / nthreads;
	for (;;) {
		sleep_until(due);
		if (atomic_load_explicit(&stop, memory_order_relaxed))
			break;
		wl_work_ns(burst_ns);
		uint64_t done = wl_now_ns();
		wl_hist_add(&w->hist, done - due);
		w->bursts++;
		due = done + sleep_ns;
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "burst-us", required_argument, NULL, 'b' },
		{ "sleep-ms", required_argument, NULL, 's' },
		{ 0, 0, 0, 0 },
	};
	double seconds = 2;
	int c;
	while ((c = getopt_long(argc, argv, "t:d:", opts, NULL)) != -1) {
		switch (c) {
		case 't':
			nthreads = wl_arg_u64("--threads", optarg, 1, 4096);
			break;
		case 'd':
			seconds = wl_arg_seconds("--seconds", optarg);
			break;
		case 'b':
			burst_ns = 1000 * wl_arg_u64("--burst-us", optarg, 0, 10000000);
			break;
		case 's':
			sleep_ns = 1000000 * wl_arg_u64("--sleep-ms", optarg, 0, 100000);
			break;
		default:
			fprintf(stderr, "usage: pool [--threads T] [--seconds D] [--burst-us B] [--sleep-ms S]\n");
			return 2;
		}
	}

	wl_calibrate();
	struct worker *w = calloc(nthreads, sizeof *w);
	if (!w) {
		perror("pool: calloc");
		return 1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (uint64_t i = 0; i < nthreads; i++) {
		w[i].index = i;
		wl_spawn("pool", &w[i].thread, run, &w[i]);
	}

	struct wl_usage u;
	t_start = wl_now_ns();           /* before the barrier lets them read it */
	pthread_barrier_wait(&start);
	wl_usage_start(&u);
	wl_sleep_ns((uint64_t)(seconds * 1e9));
	atomic_store(&stop, true);
	/* Bursts are counted until stop: each thread sees it at its next due. */
	double elapsed = (double)(wl_now_ns() - t_start) / 1e9;
	uint64_t bursts = 0;
	static struct wl_hist all;
	for (uint64_t i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		bursts += w[i].bursts;
		wl_hist_merge(&all, &w[i].hist);
	}
	wl_usage_stop(&u);

	printf("workload=pool threads=%llu burst_us=%llu sleep_ms=%llu seconds=%.3f bursts=%llu tput=%.1f",
	       (unsigned long long)nthreads, (unsigned long long)(burst_ns / 1000),
	       (unsigned long long)(sleep_ns / 1000000), elapsed,
	       (unsigned long long)bursts, (double)bursts / elapsed);
	wl_print_pct(stdout, &all);
	wl_print_usage(stdout, &u);
	printf("\n");
	free(w);
	return 0;
}
