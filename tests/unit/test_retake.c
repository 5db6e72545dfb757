/* test_retake.c - the monitor retakes a P left in SYSCALL while an M waits; the M that comes back finds its CAS failing and parks. */
#include "harness.h"

/* The monitor ticks every 20 us..10 ms while Ms wait: a second is a
 * hundred of its slowest ticks, room for a loaded 2-core VM. */
#define RETAKE_BOUND_MS 1000

Test(retake, p_left_in_syscall_goes_to_a_waiter, .init = sched_up_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent m1, m2;
	agent_start(&m1, 1);
	agent_start(&m2, 2);

	agent_run(&m1, A_ATTACH);
	cr_assert_eq(atomic_load(&m1.pid), 0);
	/* M1 now sits "in the syscall": it waits for its next step without exiting. */
	agent_run(&m1, A_ENTER_SYSCALL);
	struct mp_stats s = stats();
	cr_assert_eq(s.in_syscall, 1, "%s", stats_str(&s));

	uint64_t t0 = now_ns();
	agent_post(&m2, A_ATTACH);
	bool got = agent_wait(&m2, 1, MP_TEST_WAIT_MS);
	uint64_t waited_ms = (now_ns() - t0) / 1000000;
	s = stats();
	cr_assert(got, "M2 never got the P M1 left in SYSCALL: not retaken; %s", stats_str(&s));
	cr_log_info("retake took %lu ms", (unsigned long)waited_ms);
	cr_assert_lt(waited_ms, RETAKE_BOUND_MS, "retake took %lu ms", (unsigned long)waited_ms);
	cr_assert_eq(atomic_load(&m2.pid), 0);
	cr_assert_eq(atomic_load(&m1.done), 2, "M1 left its syscall on its own");
	cr_assert_geq(s.retakes, 1, "%s", stats_str(&s));
	cr_assert_geq(s.handoffs, 1, "%s", stats_str(&s));
	cr_assert_eq(s.running, 1, "%s", stats_str(&s));
	cr_assert_eq(s.in_syscall, 0, "%s", stats_str(&s));
	cr_assert_eq(s.idle, 0, "%s", stats_str(&s));
	cr_assert_eq(s.waiting, 0, "%s", stats_str(&s));
	cr_assert_eq(s.threads, 2, "%s", stats_str(&s));
	/* Still in the call, M1 must not believe it holds anything. */
	cr_assert_null(m1.m->p, "M1's m.p is stale after the retake");

	/* From here on Ms hand the P to each other; the monitor could only
	 * interfere (see sched_up_nomon_1p). */
	mp_monitor_stop();

	/* M1 comes back: the fast CAS fails and, with no idle P, it parks. */
	agent_post(&m1, A_EXIT);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "M1 did not park after losing its P");
	cr_assert_eq(atomic_load(&m1.done), 2, "M1 returned from exit while M2 holds the only P");
	cr_assert_eq(atomic_load(&m2.pid), 0);

	agent_run(&m2, A_DETACH);
	cr_assert(agent_wait(&m1, 3, MP_TEST_WAIT_MS), "M1 was not handed the P M2 released");
	cr_assert_eq(atomic_load(&m1.pid), 0);
	s = stats();
	cr_assert_eq(s.fast_exits, 0, "M1's CAS on a retaken P succeeded: %s", stats_str(&s));
	cr_assert_eq(s.slow_exits, 1, "%s", stats_str(&s));
	cr_assert_geq(s.parks, 1, "%s", stats_str(&s));
	cr_assert_eq(s.running_hwm, 1, "%s", stats_str(&s));

	agent_run(&m1, A_DETACH);
	agent_finish(&m1);
	agent_finish(&m2);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

/*
 * ABA: M1's P is retaken and handed to M2, and M2 enters a syscall on it, so
 * the P is in SYSCALL again when M1 comes back.  M1's CAS must still fail:
 * the P changed hands since M1 left it.
 */
Test(retake, returning_m_does_not_steal_its_old_p_back, .init = sched_up_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent m1, m2;
	agent_start(&m1, 1);
	agent_start(&m2, 2);
	agent_run(&m1, A_ATTACH);
	agent_run(&m1, A_ENTER_SYSCALL);
	agent_run(&m2, A_ATTACH);               /* waits for the retake */
	agent_run(&m2, A_ENTER_SYSCALL);
	struct mp_stats s = stats();
	cr_assert_eq(s.in_syscall, 1, "%s", stats_str(&s));
	uint64_t fast_before = s.fast_exits;

	agent_run(&m1, A_EXIT);                 /* gets P0 the slow way (retaken from M2) */
	cr_assert_eq(atomic_load(&m1.pid), 0);
	s = stats();
	cr_assert_eq(s.fast_exits, fast_before, "M1 CASed back a P that had changed hands: %s", stats_str(&s));
	cr_assert_geq(s.slow_exits, 1, "%s", stats_str(&s));
	cr_assert_geq(s.retakes, 2, "%s", stats_str(&s));

	/* M2 comes back to a P that M1 now runs: it parks. */
	mp_monitor_stop();
	agent_post(&m2, A_EXIT);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "M2 did not park");
	cr_assert_eq(atomic_load(&m2.done), 2, "M2 returned while M1 holds the only P");
	agent_run(&m1, A_DETACH);
	cr_assert(agent_wait(&m2, 3, MP_TEST_WAIT_MS), "M2 was not handed the released P");
	cr_assert_eq(atomic_load(&m2.pid), 0);
	agent_run(&m2, A_DETACH);

	agent_finish(&m1);
	agent_finish(&m2);
	assert_no_worker_failures();
	s = stats();
	cr_assert_eq(s.fast_exits, 0, "%s", stats_str(&s));
	cr_assert_eq(s.slow_exits, 2, "%s", stats_str(&s));
	assert_all_ps_idle(1);
}

/* Under the cap the monitor sleeps: a P may stay in SYSCALL for ever. */
Test(retake, no_retake_while_nobody_waits, .init = sched_up_1p, .fini = sched_down)
{
	mp_m_attach();
	mp_enter_syscall();
	sleep_us(100000);
	struct mp_stats s = stats();
	cr_assert_eq(s.in_syscall, 1, "%s", stats_str(&s));
	cr_assert_eq(s.retakes, 0, "%s", stats_str(&s));
	mp_exit_syscall();
	cr_assert_eq(mp_m_pid(), 0);
	s = stats();
	cr_assert_eq(s.fast_exits, 1, "%s", stats_str(&s));
	cr_assert_eq(s.slow_exits, 0, "%s", stats_str(&s));
	mp_m_detach();
	assert_all_ps_idle(1);
}
