/*
 * signal_race.c - does the preemption signal ever land in a call the
 * library intercepts?  (bench: run it under the launcher; it times nothing.)
 *
 * Two threads compute without calls, so Ms wait and the monitor signals
 * and probes; four more compute bursts of 150, 300, 600 and 1200 us, each
 * followed by a 1 ms poll with no descriptors.  The monitor judges a
 * bursty thread computing and may signal it just as it enters its poll:
 * a handler that runs while the poll sleeps (or during the poll's
 * zero-timeout look, which fails with EINTR when a signal is pending)
 * makes it fail with EINTR, which plain never sees here.  It prints the
 * count; 0 is the only right answer.
 *
 * usage: signal_race [--polls N]   (per bursty thread; default 4000)
 */
#include "workload.h"

#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

static atomic_bool stop;
static atomic_uint eintr, polls_done;
static uint64_t polls = 4000;

static void *compute(void *arg)
{
	(void)arg;
	while (!atomic_load_explicit(&stop, memory_order_relaxed))
		wl_work_ns(1000000);
	return NULL;
}

static void *bursty(void *arg)
{
	uint64_t burst_ns = (uint64_t)(uintptr_t)arg;
	for (uint64_t i = 0; i < polls; i++) {
		wl_work_ns(burst_ns);
		if (poll(NULL, 0, 1) == -1 && errno == EINTR)
			atomic_fetch_add(&eintr, 1);
		atomic_fetch_add(&polls_done, 1);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "polls", required_argument, NULL, 'n' },
		{ 0, 0, 0, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "n:", opts, NULL)) != -1) {
		if (c != 'n') {
			fprintf(stderr, "usage: signal_race [--polls N]\n");
			return 2;
		}
		polls = wl_arg_u64("--polls", optarg, 1, 100000000);
	}
	wl_calibrate();
	pthread_t cpu[2], b[4];
	static const uint64_t burst_us[4] = { 150, 300, 600, 1200 };
	for (int i = 0; i < 2; i++)
		wl_spawn("signal_race", &cpu[i], compute, NULL);
	for (int i = 0; i < 4; i++)
		wl_spawn("signal_race", &b[i], bursty, (void *)(uintptr_t)(burst_us[i] * 1000));
	for (int i = 0; i < 4; i++)
		pthread_join(b[i], NULL);
	atomic_store(&stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(cpu[i], NULL);
	printf("workload=signal_race polls=%u eintr=%u tput=%u\n", atomic_load(&polls_done),
	       atomic_load(&eintr), atomic_load(&polls_done));
	return 0;
}
