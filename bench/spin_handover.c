/*
 * spin_handover.c - two threads hand a turn back and forth (bench/compare).
 *
 * Thread "ping" waits for its turn, gives the turn to "pong", which gives it
 * back: one round trip.  By default both wait by pure spinning on an atomic
 * word, as hand-written spin locks and polling loops do.  With one CPU
 * between them a spinner makes progress only when something takes the CPU
 * from it (the kernel's time slice, or maxprocs's preemption), so the rate
 * shows how a cap treats a thread that never calls into the kernel.
 *
 * --spin-then-block K spins up to K iterations and then sleeps on a condition
 * variable, as Redis's I/O threads do (K = 1000000 there, of bare atomic
 * loads: no pause instruction, as in Redis): with spare CPUs the turn comes
 * while spinning; without, the spin is CPU thrown away before each sleep.
 * The pure spin mode pauses in each iteration, as spin locks do.
 *
 * It reports round trips per second and the round trip's latency as ping
 * sees it (from giving the turn away to having it back).
 *
 * usage: spin_handover [--seconds D] [--spin-then-block [K]]
 */
#include "workload.h"

#include <ctype.h>
#include <getopt.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>

static inline void cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

static atomic_int turn;          /* 0: ping's, 1: pong's */
static atomic_bool stop;
static bool block;               /* spin-then-block mode */
static uint64_t spin_limit = 1000000;

/* Sleepers register under the mutex before re-checking the turn, and a
 * giver looks for sleepers after storing the turn (both sequentially
 * consistent): either the giver sees the sleeper and signals under the
 * mutex, or the sleeper sees the new turn.  No wake-up is lost. */
static pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static atomic_int sleepers;

static pthread_barrier_t start;

/* Wait until it is me's turn; false once stopped. */
static bool wait_turn(int me)
{
	for (uint64_t i = 0;; i++) {
		if (atomic_load_explicit(&turn, memory_order_acquire) == me)
			return true;
		if (atomic_load_explicit(&stop, memory_order_relaxed))
			return false;
		if (block) {
			/* Redis's loop: bare loads, no pause, so its 1000000
			 * iterations take ~0.3 ms here, not the ~25 ms that a
			 * pause in each would make them. */
			if (i >= spin_limit)
				break;
			continue;
		}
		cpu_relax();
	}
	pthread_mutex_lock(&mutex);
	atomic_fetch_add(&sleepers, 1);
	while (atomic_load(&turn) != me && !atomic_load(&stop))
		pthread_cond_wait(&cond, &mutex);
	atomic_fetch_sub(&sleepers, 1);
	pthread_mutex_unlock(&mutex);
	return !atomic_load(&stop);
}

static void give_turn(int to)
{
	atomic_store(&turn, to);
	if (atomic_load(&sleepers) > 0) {
		pthread_mutex_lock(&mutex);
		pthread_cond_broadcast(&cond);
		pthread_mutex_unlock(&mutex);
	}
}

static uint64_t trips;
static struct wl_hist hist;

static void *ping(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	uint64_t gave = wl_now_ns();
	give_turn(1);
	while (wait_turn(0)) {
		uint64_t now = wl_now_ns();
		wl_hist_add(&hist, now - gave);
		trips++;
		gave = now;
		give_turn(1);
	}
	return NULL;
}

static void *pong(void *arg)
{
	(void)arg;
	pthread_barrier_wait(&start);
	while (wait_turn(1))
		give_turn(0);
	return NULL;
}

static bool all_digits(const char *s)
{
	if (!*s)
		return false;
	for (; *s; s++)
		if (!isdigit((unsigned char)*s))
			return false;
	return true;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "seconds", required_argument, NULL, 'd' },
		{ "spin-then-block", optional_argument, NULL, 'b' },
		{ 0, 0, 0, 0 },
	};
	double seconds = 2;
	int c;
	while ((c = getopt_long(argc, argv, "d:", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			seconds = wl_arg_seconds("--seconds", optarg);
			break;
		case 'b':
			block = true;
			/* "--spin-then-block K" as well as "--spin-then-block=K" */
			if (!optarg && optind < argc && all_digits(argv[optind]))
				optarg = argv[optind++];
			if (optarg)
				spin_limit = wl_arg_u64("--spin-then-block", optarg, 0,
				                        UINT64_MAX);
			break;
		default:
			fprintf(stderr, "usage: spin_handover [--seconds D] [--spin-then-block [K]]\n");
			return 2;
		}
	}

	/* pong waits first: the turn starts as ping's, ping gives it away */
	atomic_store(&turn, 0);
	pthread_barrier_init(&start, NULL, 3);
	pthread_t a, b;
	wl_spawn("spin_handover", &a, ping, NULL);
	wl_spawn("spin_handover", &b, pong, NULL);

	struct wl_usage u;
	pthread_barrier_wait(&start);
	wl_usage_start(&u);
	uint64_t t0 = wl_now_ns();
	wl_sleep_ns((uint64_t)(seconds * 1e9));
	atomic_store(&stop, true);
	pthread_mutex_lock(&mutex);
	pthread_cond_broadcast(&cond);
	pthread_mutex_unlock(&mutex);
	pthread_join(a, NULL);
	pthread_join(b, NULL);
	double elapsed = (double)(wl_now_ns() - t0) / 1e9;
	wl_usage_stop(&u);

	if (block)
		printf("workload=spin_handover mode=spin_then_block spin_limit=%llu",
		       (unsigned long long)spin_limit);
	else
		printf("workload=spin_handover mode=spin");
	printf(" seconds=%.3f trips=%llu tput=%.1f", elapsed,
	       (unsigned long long)trips, (double)trips / elapsed);
	wl_print_pct(stdout, &hist);
	wl_print_usage(stdout, &u);
	printf("\n");
	return 0;
}
