/* test_stress.c - random enter/exit, enter-blocking, yield, hold and re-attach from 1..64 threads never run more than N Ms at once and leave every P accounted for. */
#include <stdlib.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

#define RUN_MS 1500

static atomic_bool stop;
static atomic_int in_user;          /* threads between a P acquisition and the next release */
static atomic_int in_user_max;
static atomic_ulong outer_enters;   /* enters we made, to check the core's counter */
static atomic_ulong yields_given;   /* mp_yield() calls that gave the P away */
static uint32_t nprocs;

static void user_begin(void)
{
	int now = atomic_fetch_add(&in_user, 1) + 1;
	int max = atomic_load(&in_user_max);
	while (now > max && !atomic_compare_exchange_weak(&in_user_max, &max, now))
		;
}

static void user_end(void) { atomic_fetch_sub(&in_user, 1); }

static uint32_t rnd(uint64_t *s)
{
	*s ^= *s << 13;
	*s ^= *s >> 7;
	*s ^= *s << 17;
	return (uint32_t)(*s >> 11);
}

/* What a thread must see right after it gets a P back. */
static void check_holding(int id, const char *after, int expect_pid)
{
	int pid = mp_m_pid();
	if (!mp_m_holds_p() || pid < 0 || (uint32_t)pid >= nprocs)
		worker_fail("thread %d: after %s holds_p=%d pid=%d (nprocs %u)",
		            id, after, mp_m_holds_p(), pid, nprocs);
	else if (expect_pid >= 0 && pid != expect_pid)
		worker_fail("thread %d: P changed from %d to %d during %s", id, expect_pid, pid, after);
}

/* The P must not be held in the call: m.p is never stale. */
static void check_released(int id, const char *in)
{
	if (mp_m_holds_p() || mp_m_pid() != -1)
		worker_fail("thread %d: still holds P%d inside %s", id, mp_m_pid(), in);
}

static void sleep_in_call(uint64_t *seed, unsigned max_us)
{
	unsigned us = rnd(seed) % max_us;
	if (us < 20) {
		spin_ns(us * 1000u);
	} else {
		/* A raw call, as the preload's real one would be. */
		struct timespec ts = { 0, (long)us * 1000 };
		syscall(SYS_nanosleep, &ts, NULL);
	}
}

static void bracketed_call(int id, uint64_t *seed, bool blocking, unsigned max_us)
{
	const char *what = blocking ? "enter-blocking" : "enter-syscall";
	user_end();
	atomic_fetch_add(&outer_enters, 1);
	errno = 1000 + id;
	if (blocking)
		mp_enter_blocking();
	else
		mp_enter_syscall();
	check_released(id, what);
	sleep_in_call(seed, max_us);
	errno = 2000 + id;
	mp_exit_syscall();
	if (errno != 2000 + id)
		worker_fail("thread %d: exit after %s changed errno to %d", id, what, errno);
	user_begin();
	check_holding(id, what, -1);
}

static void *worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)(id + 1);

	mp_m_attach();
	user_begin();
	check_holding(id, "attach", -1);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		unsigned op = rnd(&seed) % 100;
		if (op < 35) {
			bracketed_call(id, &seed, false, 300);
		} else if (op < 38) {
			/* Longer than the monitor's longest tick: retaken if Ms wait. */
			bracketed_call(id, &seed, false, 25000);
		} else if (op < 53) {
			bracketed_call(id, &seed, true, 300);
		} else if (op < 63) {
			user_end();
			bool gave = mp_yield();
			if (gave)
				atomic_fetch_add(&yields_given, 1);
			user_begin();
			check_holding(id, "yield", -1);
		} else if (op < 80) {
			/* Run user code with the P: nobody can take a RUNNING P. */
			int pid = mp_m_pid();
			spin_ns(200000 + rnd(&seed) % 2000000);
			check_holding(id, "a spin holding the P", pid);
		} else if (op < 88) {
			/* A nested call (a handler's write inside a read): one pair acts. */
			user_end();
			atomic_fetch_add(&outer_enters, 1);
			mp_enter_syscall();
			mp_enter_syscall();
			check_released(id, "a nested enter");
			mp_exit_syscall();
			check_released(id, "a nested call after the inner exit");
			mp_exit_syscall();
			user_begin();
			check_holding(id, "nested exit", -1);
		} else if (op < 93) {
			user_end();
			mp_m_detach();
			if (mp_m_attached() || mp_m_holds_p())
				worker_fail("thread %d: still an M after detach", id);
			mp_m_attach();
			user_begin();
			check_holding(id, "re-attach", -1);
		} else {
			spin_ns(rnd(&seed) % 50000);
		}
	}
	user_end();
	mp_m_detach();
	return NULL;
}

static void stress(uint32_t n, int nthreads)
{
	pthread_t threads[64];
	nprocs = n;
	cr_assert_leq(nthreads, 64);
	for (int i = 0; i < nthreads; i++)
		cr_assert_eq(pthread_create(&threads[i], NULL, worker, (void *)(intptr_t)i), 0);
	sleep_us(RUN_MS * 1000);
	atomic_store(&stop, true);

	join_all_or_fail(threads, nthreads, n, "stress");

	struct mp_stats s = stats();
	cr_log_info("stress %u Ps x %d threads: max in user %d; %s", n, nthreads,
	            atomic_load(&in_user_max), stats_str(&s));
	assert_no_worker_failures();
	/* A P revoked from an M that slept outside the table lets that M run on
	 * without one until its next call: the only overshoot the design allows. */
	cr_assert_leq(atomic_load(&in_user_max), (int)(n + s.revokes),
	              "%d threads ran user code at once on %u Ps (%lu revokes)",
	              atomic_load(&in_user_max), n, (unsigned long)s.revokes);
	cr_assert_eq(s.nprocs, n, "%s", stats_str(&s));
	cr_assert_eq(s.enters, atomic_load(&outer_enters),
	             "the core counted %lu enters, we made %lu (nested calls must count once)",
	             (unsigned long)s.enters, (unsigned long)atomic_load(&outer_enters));
	/* Every enter has one exit.  An M whose P was revoked still bumps that
	 * P's owner-only enters counter once, racing the new owner: allow
	 * that many lost counts, no more. */
	uint64_t exits = s.fast_exits + s.slow_exits;
	cr_assert(exits <= s.enters + s.revokes && s.enters <= exits + s.revokes,
	          "enters and exits do not pair up: %s", stats_str(&s));
	if ((uint32_t)nthreads <= n) {
		/* Never over the cap: no M ever waits, so nothing parks, is
		 * retaken or handed off, and every exit is fast. */
		cr_assert_eq(s.parks, 0, "%s", stats_str(&s));
		cr_assert_eq(s.retakes, 0, "%s", stats_str(&s));
		cr_assert_eq(s.handoffs, 0, "%s", stats_str(&s));
		cr_assert_eq(s.slow_exits, 0, "%s", stats_str(&s));
		cr_assert_eq(atomic_load(&yields_given), 0, "mp_yield gave the P away with no M waiting");
	} else if ((uint32_t)nthreads >= 4 * n) {
		/* Proof the run exercised what it claims to. */
		cr_assert_gt(s.parks, 0, "%s", stats_str(&s));
		cr_assert_gt(s.retakes, 0, "%s", stats_str(&s));
		cr_assert_gt(s.handoffs, 0, "%s", stats_str(&s));
	}
	assert_all_ps_idle(n);
}

#define STRESS(n, t) \
	Test(stress, p##n##_threads##t, .init = sched_up_##n##p, .fini = sched_down, .timeout = 60) \
	{ stress(n, t); }

STRESS(1, 1)
STRESS(1, 2)
STRESS(1, 8)
STRESS(1, 64)
STRESS(2, 1)
STRESS(2, 2)
STRESS(2, 8)
STRESS(2, 64)
STRESS(8, 1)
STRESS(8, 2)
STRESS(8, 8)
STRESS(8, 64)
