/* test_spinwait.c - the spinning waiter (sched/spinwait.c): it takes the P of a holder asleep in a call without the monitor, never one whose holder runs, and counts the time it spun. */
#include "harness.h"

/* No monitor: only the spinning waiter can take a P left in a call.  It
 * spins up to 200 ms here (50 us in the library), so that a loaded machine
 * that takes its CPU away for a while cannot end the spin before it looked. */
static void sched_up_spin_1p(void)
{
	struct mp_options opt = { .nprocs = 1, .sync = test_sync(), .spin_ns = 200000000 };
	int rc = mp_sched_init(&opt);
	cr_assert_eq(rc, 0, "mp_sched_init = %d", rc);
}

static void sched_up_nospin_1p(void)
{
	struct mp_options opt = { .nprocs = 1, .sync = test_sync(), .spin_ns = 0 };
	int rc = mp_sched_init(&opt);
	cr_assert_eq(rc, 0, "mp_sched_init = %d", rc);
}

/* M1 sits in a may-block call, asleep (agent_await_step sleeps without a
 * P): the spinning M2 sees its CPU clock stand still and takes the P. */
Test(spinwait, takes_the_p_of_a_holder_asleep_in_a_call, .init = sched_up_spin_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent m1, m2;
	agent_start(&m1, 1);
	agent_start(&m2, 2);
	agent_run(&m1, A_ATTACH);
	agent_run(&m1, A_ENTER_SYSCALL);

	agent_post(&m2, A_ATTACH);
	bool got = agent_wait(&m2, 1, MP_TEST_WAIT_MS);
	struct mp_stats s = stats();
	cr_assert(got, "M2 never got the P M1 left asleep in a call, with no monitor: %s", stats_str(&s));
	cr_assert_eq(atomic_load(&m2.pid), 0);
	cr_assert_geq(s.sleeper_steals, 1, "%s", stats_str(&s));
	cr_assert_gt(s.waitspin_ns, 0, "the spin was not counted: %s", stats_str(&s));
	cr_assert_eq(s.running, 1, "%s", stats_str(&s));
	cr_assert_eq(s.running_hwm, 1, "%s", stats_str(&s));
	cr_assert_null(m1.m->p, "M1's m.p is stale after the steal");

	/* M1 comes back to a P that is gone: it parks until M2 lets go. */
	agent_post(&m1, A_EXIT);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "M1 did not park after losing its P");
	agent_run(&m2, A_DETACH);
	cr_assert(agent_wait(&m1, 3, MP_TEST_WAIT_MS), "M1 was not handed the P M2 released");
	cr_assert_eq(atomic_load(&m1.pid), 0);
	agent_run(&m1, A_DETACH);
	agent_finish(&m1);
	agent_finish(&m2);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

/* M1 holds the P running user code (its CPU clock moves: it waits on the
 * CPU): M2 spins at most a moment, takes nothing, and sleeps until M1
 * lets go. */
Test(spinwait, never_takes_the_p_of_a_running_holder, .init = sched_up_spin_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent m1, m2;
	agent_start(&m1, 1);
	agent_start(&m2, 2);
	agent_run(&m1, A_ATTACH);
	agent_post(&m2, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "M2 did not queue");
	usleep(20000);
	struct mp_stats s = stats();
	cr_assert_eq(atomic_load(&m2.done), 0, "M2 got a P M1 holds: %s", stats_str(&s));
	cr_assert_eq(s.sleeper_steals, 0, "%s", stats_str(&s));
	agent_run(&m1, A_DETACH);
	cr_assert(agent_wait(&m2, 1, MP_TEST_WAIT_MS), "M2 was not handed the P M1 released");
	s = stats();
	cr_assert_eq(s.sleeper_steals, 0, "%s", stats_str(&s));
	cr_assert_eq(s.running_hwm, 1, "%s", stats_str(&s));
	agent_run(&m2, A_DETACH);
	agent_finish(&m1);
	agent_finish(&m2);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

/* spin_ns 0: the waiter sleeps at once, and with no monitor the P of a
 * holder asleep in a call stays with it until it returns. */
Test(spinwait, off_means_no_spin, .init = sched_up_nospin_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent m1, m2;
	agent_start(&m1, 1);
	agent_start(&m2, 2);
	agent_run(&m1, A_ATTACH);
	agent_run(&m1, A_ENTER_SYSCALL);
	agent_post(&m2, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "M2 did not queue");
	usleep(20000);
	struct mp_stats s = stats();
	cr_assert_eq(atomic_load(&m2.done), 0, "M2 got the P without a spinner or a monitor: %s", stats_str(&s));
	cr_assert_eq(s.sleeper_steals, 0, "%s", stats_str(&s));
	cr_assert_eq(s.waitspin_ns, 0, "%s", stats_str(&s));
	agent_post(&m1, A_EXIT);   /* keeps its P (fast exit) */
	cr_assert(agent_wait(&m1, 3, MP_TEST_WAIT_MS), "M1 did not come back");
	agent_run(&m1, A_DETACH);
	cr_assert(agent_wait(&m2, 1, MP_TEST_WAIT_MS), "M2 was not handed the P M1 released");
	agent_run(&m2, A_DETACH);
	agent_finish(&m1);
	agent_finish(&m2);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}
