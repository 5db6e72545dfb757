/* test_race.c - millions of fast enter/exit pairs from 2..64 threads while the monitor retakes and waiters steal as fast as they can, at 1, 2 and 8 Ps: never more than N threads in user code (counted here, not by the core), no lost wake-up, every P accounted for once at the end.  Run under both protocols (race, race_cas) and on one CPU (MP_TEST_ONE_CPU=1: race_1cpu, race_1cpu_cas). */
#include <sched.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"
#include "sched/fastpath.h"

#define RUN_MS 1200
#define PAIRS_PER_THREAD 3000000  /* or RUN_MS, whichever comes first */

static atomic_bool stop;
static atomic_int in_user;        /* threads holding a P outside a call */
static atomic_int in_user_max;
static atomic_ulong pairs_made;
static atomic_int finished;
static uint32_t nprocs;

static void user_begin(int id)
{
	int now = atomic_fetch_add(&in_user, 1) + 1;
	int max = atomic_load(&in_user_max);
	while (now > max && !atomic_compare_exchange_weak(&in_user_max, &max, now))
		;
	if (!mp_m_holds_p())
		worker_fail("thread %d: back in user code without a P", id);
}

static void user_end(void) { atomic_fetch_sub(&in_user, 1); }

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

static void raw_sleep_us(unsigned us)
{
	struct timespec ts = { 0, (long)us * 1000 };
	syscall(SYS_nanosleep, &ts, NULL);
}

/* One call as the preload's wrappers make it: the inline fast bracket, or
 * the general one when the fast one declines (CAS protocol, waiters on a
 * blocking call). */
static void call(bool blocking, unsigned spin_us, unsigned sleep_us)
{
	bool fast = blocking ? !mp_waiters() && mp_fast_enter(MC_ENTER_BLOCKING)
	                     : mp_fast_enter(MC_ENTER);
	if (!fast) {
		if (blocking)
			mp_enter_blocking();
		else
			mp_enter_syscall();
	}
	if (mp_m_holds_p())
		worker_fail("holds P%d inside a call", mp_m_pid());
	if (spin_us)
		spin_ns(spin_us * 1000ull);
	if (sleep_us)
		raw_sleep_us(sleep_us);
	if (fast)
		mp_fast_exit(blocking ? MC_EXIT_BLOCKING : MC_EXIT);
	else
		mp_exit_syscall();
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);
	unsigned long pairs = 0;

	mp_m_attach();
	user_begin(id);
	while (pairs < PAIRS_PER_THREAD && !atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned op = rnd(&seed) % 10000;
		user_end();
		if (op < 9900)
			call(false, 0, 0);                          /* the race itself */
		else if (op < 9960)
			call(false, 1 + rnd(&seed) % 40, 0);        /* may be claimed mid-call */
		else if (op < 9990)
			call(true, 0, 10 + rnd(&seed) % 150);       /* stolen by a waiter */
		else
			call(false, 0, 30 + rnd(&seed) % 100);      /* retaken by the monitor */
		pairs++;
		user_begin(id);
		if (op % 500 == 0)
			spin_ns(rnd(&seed) % 20000);                /* user code holding the P */
	}
	user_end();
	atomic_fetch_add(&pairs_made, pairs);
	mp_m_detach();
	atomic_fetch_add(&finished, 1);
	return NULL;
}

static void race(uint32_t n, int nthreads)
{
	pthread_t threads[64];
	nprocs = n;
	cr_assert_leq(nthreads, 64);
	uint64_t t0 = now_ns();
	for (int i = 0; i < nthreads; i++)
		cr_assert_eq(pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i), 0);
	while (now_ns() - t0 < RUN_MS * 1000000ull && atomic_load(&finished) < nthreads)
		sleep_us(10000);
	atomic_store(&stop, true);

	join_all_or_fail(threads, nthreads, n, "race");
	double secs = (double)(now_ns() - t0) / 1e9;
	struct mp_stats s = stats();
	cr_log_info("race %u Ps x %d threads (%s): %lu pairs in %.2f s, max in user %d; %s", n,
	            nthreads, mp_sched_sync(NULL) == MP_SYNC_CAS ? "cas" : "membarrier",
	            (unsigned long)atomic_load(&pairs_made), secs, atomic_load(&in_user_max),
	            stats_str(&s));
	assert_no_worker_failures();
	/* Revokes are the design's only overshoot; nothing here blocks outside
	 * a call, so there should be none, but a descheduled spinner can look
	 * blocked to the monitor on a loaded machine. */
	cr_assert_leq(atomic_load(&in_user_max), (int)(n + s.revokes),
	              "%d threads ran user code at once on %u Ps (%lu revokes)",
	              atomic_load(&in_user_max), n, (unsigned long)s.revokes);
	cr_assert_eq(s.enters, atomic_load(&pairs_made), "the core counted %lu calls, we made %lu",
	             (unsigned long)s.enters, (unsigned long)atomic_load(&pairs_made));
	cr_assert_eq(s.fast_exits + s.slow_exits, s.enters, "%s", stats_str(&s));
	if ((uint32_t)nthreads >= 4 * n)
		cr_assert_gt(s.retakes, 0, "no P was retaken or stolen: %s", stats_str(&s));
	assert_all_ps_idle(n);
}

/* MP_TEST_ONE_CPU=1: every thread, the monitor's too, on the first CPU
 * allowed (what `taskset -c 0` does), set before the scheduler starts. */
static void one_cpu_if_asked(void)
{
	const char *e = getenv("MP_TEST_ONE_CPU");
	cpu_set_t set;
	if (!e || strcmp(e, "1") != 0 || sched_getaffinity(0, sizeof set, &set) != 0)
		return;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set)) {
			CPU_ZERO(&set);
			CPU_SET(c, &set);
			cr_assert_eq(sched_setaffinity(0, sizeof set, &set), 0);
			return;
		}
}

static void up_1p(void) { one_cpu_if_asked(); sched_up_1p(); }
static void up_2p(void) { one_cpu_if_asked(); sched_up_2p(); }
static void up_8p(void) { one_cpu_if_asked(); sched_up_8p(); }

#define RACE(n, t) \
	Test(race, p##n##_threads##t, .init = up_##n##p, .fini = sched_down, .timeout = 60) \
	{ race(n, t); }

RACE(1, 2)
RACE(1, 8)
RACE(2, 4)
RACE(2, 16)
RACE(8, 16)
RACE(8, 64)
