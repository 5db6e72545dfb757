/* test_fastpath.c - an uncontended enter/exit gets the same P back and never touches the park queue (counters prove it). */
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

#define PAIRS 100000

struct pair_result {
	int pid;               /* the P held before the pairs */
	long moved;            /* exits that came back on another P */
	long held_inside;      /* pairs where the M still held a P inside the call */
	long errno_changed;
};

static void run_pairs(struct pair_result *r)
{
	r->pid = mp_m_pid();
	for (int i = 0; i < PAIRS; i++) {
		errno = 77;
		mp_enter_syscall();
		if (mp_m_holds_p() || mp_m_pid() != -1)
			r->held_inside++;
		syscall(SYS_getppid);
		errno = 78;
		mp_exit_syscall();
		if (mp_m_pid() != r->pid)
			r->moved++;
		if (errno != 78)
			r->errno_changed++;
	}
}

static void assert_pairs_clean(const struct pair_result *r)
{
	cr_assert_eq(r->moved, 0, "%ld of %d uncontended exits came back on another P", r->moved, PAIRS);
	cr_assert_eq(r->held_inside, 0, "m.p stale: the M held a P inside the call %ld times", r->held_inside);
	cr_assert_eq(r->errno_changed, 0, "exit changed errno %ld times", r->errno_changed);
}

/* No M waited, so nothing may have gone near the queue or the monitor. */
static void assert_no_slow_path(const struct mp_stats *s, uint64_t pairs)
{
	const char *line = stats_str(s);
	cr_assert_eq(s->enters, pairs, "%s", line);
	cr_assert_eq(s->fast_exits, pairs, "%s", line);
	cr_assert_eq(s->slow_exits, 0, "%s", line);
	cr_assert_eq(s->parks, 0, "%s", line);
	cr_assert_eq(s->handoffs, 0, "%s", line);
	cr_assert_eq(s->retakes, 0, "%s", line);
	cr_assert_eq(s->waiting, 0, "%s", line);
}

Test(fastpath, one_m_gets_its_p_back, .init = sched_up_1p, .fini = sched_down, .timeout = 60)
{
	mp_m_attach();
	cr_assert(mp_m_attached());
	cr_assert(mp_m_holds_p());
	cr_assert_eq(mp_m_pid(), 0);

	struct pair_result r = { 0 };
	run_pairs(&r);
	assert_pairs_clean(&r);
	struct mp_stats s = stats();
	assert_no_slow_path(&s, PAIRS);
	cr_assert_eq(s.running, 1, "%s", stats_str(&s));
	cr_assert_eq(s.threads, 1, "%s", stats_str(&s));

	mp_m_detach();
	cr_assert(!mp_m_attached());
	assert_all_ps_idle(1);
}

static struct pair_result results[2];
/* Both hold their P for the whole run, so they are really on two Ps at
 * once (no M waits, so the monitor sleeps through the barrier waits). */
static pthread_barrier_t both_attached, both_done;

static void *pair_thread(void *arg)
{
	struct pair_result *r = arg;
	mp_m_attach();
	pthread_barrier_wait(&both_attached);
	run_pairs(r);
	pthread_barrier_wait(&both_done);
	mp_m_detach();
	return NULL;
}

Test(fastpath, two_ms_on_two_ps_never_meet, .init = sched_up_2p, .fini = sched_down, .timeout = 60)
{
	pthread_t t[2];
	pthread_barrier_init(&both_attached, NULL, 2);
	pthread_barrier_init(&both_done, NULL, 2);
	for (int i = 0; i < 2; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, pair_thread, &results[i]), 0);
	for (int i = 0; i < 2; i++)
		pthread_join(t[i], NULL);
	for (int i = 0; i < 2; i++)
		assert_pairs_clean(&results[i]);
	cr_assert_neq(results[0].pid, results[1].pid, "both Ms held P%d", results[0].pid);
	struct mp_stats s = stats();
	assert_no_slow_path(&s, 2 * PAIRS);
	assert_all_ps_idle(2);
}

Test(fastpath, nested_pair_acts_once, .init = sched_up_1p, .fini = sched_down)
{
	mp_m_attach();
	mp_enter_syscall();
	mp_enter_syscall();     /* a signal handler's write inside a read */
	cr_assert(!mp_m_holds_p());
	mp_exit_syscall();
	cr_assert(!mp_m_holds_p(), "the inner exit took the P back while the outer call still runs");
	mp_exit_syscall();
	cr_assert_eq(mp_m_pid(), 0);
	struct mp_stats s = stats();
	assert_no_slow_path(&s, 1);
	mp_m_detach();
	assert_all_ps_idle(1);
}

Test(fastpath, yield_without_waiters_keeps_the_p, .init = sched_up_1p, .fini = sched_down)
{
	mp_m_attach();
	for (int i = 0; i < 1000; i++)
		cr_assert(!mp_yield(), "mp_yield gave the P away with no M waiting");
	cr_assert_eq(mp_m_pid(), 0);
	struct mp_stats s = stats();
	assert_no_slow_path(&s, 0);
	mp_m_detach();
	assert_all_ps_idle(1);
}

Test(fastpath, blocking_call_without_waiters_does_not_park, .init = sched_up_1p, .fini = sched_down)
{
	mp_m_attach();
	for (int i = 0; i < 1000; i++) {
		mp_enter_blocking();
		cr_assert(!mp_m_holds_p());
		mp_exit_syscall();
		cr_assert_eq(mp_m_pid(), 0);
	}
	struct mp_stats s = stats();
	cr_assert_eq(s.enters, 1000, "%s", stats_str(&s));
	cr_assert_eq(s.parks, 0, "%s", stats_str(&s));
	cr_assert_eq(s.waiting, 0, "%s", stats_str(&s));
	mp_m_detach();
	assert_all_ps_idle(1);
}
