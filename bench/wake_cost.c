/*
 * wake_cost.c - what a hand-off between two threads costs on this machine
 * (bench/compare prints it beside its tables).
 *
 * Every hand-off of a P to a parked thread is one: the holder stores the
 * sleeper's futex word, wakes it and goes to sleep itself.  Its price is
 * the machine's, not maxprocs's, and it decides how a cap that leaves CPUs
 * idle compares with taskset, whose threads hand the CPU to each other on
 * one run queue:
 *   - same: both threads on one CPU: the wake makes the sleeper runnable
 *     there and it runs as soon as the waker sleeps (a context switch);
 *   - other: the sleeper on another CPU, idle meanwhile: the wake must
 *     interrupt that CPU (on a VM, through the hypervisor, to a vCPU that
 *     halted);
 *   - free: no pinning, the kernel places the sleeper (what maxprocs's
 *     threads get).
 * Between hand-offs each thread computes --work-us, so an idle CPU has
 * time to halt as it does between a pool's bursts.
 *
 * One line per placement:
 *   workload=wake_cost placement=P rounds=N wake_p50_us=.. wake_p99_us=..
 *   call_p50_us=.. call_p99_us=..
 * wake: from just before the waker's FUTEX_WAKE to the sleeper running;
 * call: how long the waker's FUTEX_WAKE itself took.  A placement the
 * affinity mask cannot give (other, with one CPU) is skipped with a line
 * on stderr.
 *
 * usage: wake_cost [--rounds N] [--work-us W]
 */
#include "workload.h"

#include <getopt.h>
#include <linux/futex.h>
#include <sched.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

struct side {
	_Atomic uint32_t word;   /* 1: its turn */
	int cpu;                 /* -1: unpinned */
	struct wl_hist wake, call;
};

static struct side sides[2];
static _Atomic uint64_t woke_at;   /* the waker's clock before its FUTEX_WAKE */
static uint64_t rounds = 2000, work_ns = 20000;

static void futex_wait(_Atomic uint32_t *w)
{
	while (atomic_load(w) == 0)
		syscall(SYS_futex, w, FUTEX_WAIT_PRIVATE, 0, NULL, NULL, 0);
	atomic_store(w, 0);
}

static void *run(void *arg)
{
	struct side *me = arg, *peer = &sides[me == &sides[0]];
	if (me->cpu >= 0) {
		cpu_set_t one;
		CPU_ZERO(&one);
		CPU_SET(me->cpu, &one);
		if (sched_setaffinity(0, sizeof one, &one) != 0) {
			perror("wake_cost: sched_setaffinity");
			exit(1);
		}
	}
	for (uint64_t i = 0; i < rounds; i++) {
		futex_wait(&me->word);
		uint64_t now = wl_now_ns(), at = atomic_load(&woke_at);
		if (i > 0 || me == &sides[1])
			wl_hist_add(&me->wake, now - at);
		wl_work_ns(work_ns);
		at = wl_now_ns();
		atomic_store(&woke_at, at);
		atomic_store(&peer->word, 1);
		syscall(SYS_futex, &peer->word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
		wl_hist_add(&me->call, wl_now_ns() - at);
	}
	return NULL;
}

static void measure(const char *placement, int cpu0, int cpu1)
{
	memset(sides, 0, sizeof sides);
	sides[0].cpu = cpu0;
	sides[1].cpu = cpu1;
	pthread_t t[2];
	wl_spawn("side 0", &t[0], run, &sides[0]);
	wl_spawn("side 1", &t[1], run, &sides[1]);
	wl_sleep_ns(10000000);   /* both asleep on their words */
	atomic_store(&woke_at, wl_now_ns());
	atomic_store(&sides[0].word, 1);
	syscall(SYS_futex, &sides[0].word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0);
	pthread_join(t[0], NULL);
	pthread_join(t[1], NULL);
	wl_hist_merge(&sides[0].wake, &sides[1].wake);
	wl_hist_merge(&sides[0].call, &sides[1].call);
	printf("workload=wake_cost placement=%s rounds=%llu wake_p50_us=%.2f wake_p99_us=%.2f"
	       " call_p50_us=%.2f call_p99_us=%.2f\n", placement, (unsigned long long)rounds,
	       wl_hist_pct_us(&sides[0].wake, 0.5), wl_hist_pct_us(&sides[0].wake, 0.99),
	       wl_hist_pct_us(&sides[0].call, 0.5), wl_hist_pct_us(&sides[0].call, 0.99));
	fflush(stdout);
}

int main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "rounds", required_argument, NULL, 'r' },
		{ "work-us", required_argument, NULL, 'w' },
		{ NULL, 0, NULL, 0 },
	};
	int c;
	while ((c = getopt_long(argc, argv, "", opts, NULL)) != -1) {
		switch (c) {
		case 'r':
			rounds = wl_arg_u64("--rounds", optarg, 2, 10000000);
			break;
		case 'w':
			work_ns = 1000 * wl_arg_u64("--work-us", optarg, 0, 1000000);
			break;
		default:
			fprintf(stderr, "usage: wake_cost [--rounds N] [--work-us W]\n");
			return 2;
		}
	}
	wl_calibrate();
	cpu_set_t mask;
	if (sched_getaffinity(0, sizeof mask, &mask) != 0) {
		perror("wake_cost: sched_getaffinity");
		return 1;
	}
	int first = -1, second = -1;
	for (int i = 0; i < CPU_SETSIZE && second < 0; i++)
		if (CPU_ISSET(i, &mask)) {
			if (first < 0)
				first = i;
			else
				second = i;
		}
	measure("same", first, first);
	if (second >= 0)
		measure("other", first, second);
	else
		fprintf(stderr, "wake_cost: one CPU in the affinity mask: placement other skipped\n");
	measure("free", -1, -1);
	return 0;
}
