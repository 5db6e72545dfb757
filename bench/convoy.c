/*
 * convoy.c - many threads, one mutex (bench/compare).
 *
 * Each of T threads loops: take the mutex, compute a short critical section
 * (--cs-ns, a few hundred ns), release it, compute privately (--work-ns).
 * With more threads than CPUs this is where a cap hurts most: a thread
 * descheduled inside the critical section holds up every other thread (a
 * lock convoy), and each hand-over of the mutex to a thread that is not
 * running costs a wake-up.  It reports operations per second and how long
 * the lock took to get (from the call to pthread_mutex_lock to holding it).
 *
 * usage: convoy [--threads T] [--seconds D] [--cs-ns NS] [--work-ns NS]
 * defaults: 32 threads, 2 s, 300 ns inside, 1000 ns outside.
 */
#include "workload.h"

#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_barrier_t start;
static atomic_bool stop;
static uint64_t cs_ns = 300, work_ns = 1000;
static uint64_t shared_counter;   /* what the critical section protects */

struct worker {
	pthread_t thread;
	uint64_t ops;
	struct wl_hist hist;      /* lock wait, ns */
};

static void *run(void *arg)
{
	struct worker *w = arg;
	pthread_barrier_wait(&start);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		uint64_t t0 = wl_now_ns();
		pthread_mutex_lock(&lock);
		uint64_t t1 = wl_now_ns();
		wl_work_ns(cs_ns);
		shared_counter++;
		pthread_mutex_unlock(&lock);
		wl_hist_add(&w->hist, t1 - t0);
		w->ops++;
		wl_work_ns(work_ns);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "threads", required_argument, NULL, 't' },
		{ "seconds", required_argument, NULL, 'd' },
		{ "cs-ns", required_argument, NULL, 'c' },
		{ "work-ns", required_argument, NULL, 'w' },
		{ 0, 0, 0, 0 },
	};
	uint64_t nthreads = 32;
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
		case 'c':
			cs_ns = wl_arg_u64("--cs-ns", optarg, 0, 100000000);
			break;
		case 'w':
			work_ns = wl_arg_u64("--work-ns", optarg, 0, 100000000);
			break;
		default:
			fprintf(stderr, "usage: convoy [--threads T] [--seconds D] [--cs-ns NS] [--work-ns NS]\n");
			return 2;
		}
	}

	wl_calibrate();
	struct worker *w = calloc(nthreads, sizeof *w);
	if (!w) {
		perror("convoy: calloc");
		return 1;
	}
	pthread_barrier_init(&start, NULL, (unsigned)nthreads + 1);
	for (uint64_t i = 0; i < nthreads; i++) {
		wl_spawn("convoy", &w[i].thread, run, &w[i]);
	}

	struct wl_usage u;
	pthread_barrier_wait(&start);
	wl_usage_start(&u);
	uint64_t t0 = wl_now_ns();
	wl_sleep_ns((uint64_t)(seconds * 1e9));
	atomic_store(&stop, true);
	uint64_t ops = 0;
	static struct wl_hist all;
	for (uint64_t i = 0; i < nthreads; i++) {
		pthread_join(w[i].thread, NULL);
		ops += w[i].ops;
		wl_hist_merge(&all, &w[i].hist);
	}
	/* Ops finished after stop are counted: the clock stops at the join. */
	double elapsed = (double)(wl_now_ns() - t0) / 1e9;
	wl_usage_stop(&u);

	printf("workload=convoy threads=%llu cs_ns=%llu work_ns=%llu seconds=%.3f ops=%llu tput=%.1f",
	       (unsigned long long)nthreads, (unsigned long long)cs_ns,
	       (unsigned long long)work_ns, elapsed, (unsigned long long)ops,
	       (double)ops / elapsed);
	wl_print_pct(stdout, &all);
	wl_print_usage(stdout, &u);
	printf("\n");
	free(w);
	return shared_counter == ops ? 0 : 1;
}
