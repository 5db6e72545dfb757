/* test_signal_gate.c - an enter that finds a preemption signal announced
 * in its M slot waits for it before the call (invariant 10), and gives up
 * after a bounded wait when the signal never comes (never a hang). */
#include "harness.h"

static _Atomic uint32_t *coming_flag(struct agent *a)
{
	return &mslot_of_call(__atomic_load_n(&a->m, __ATOMIC_ACQUIRE)->call)->signal_coming;
}

Test(signal_gate, enter_waits_until_the_handler_has_run, .init = sched_up_nomon_1p,
     .fini = sched_down, .timeout = 60)
{
	static struct agent a;
	agent_start(&a, 1);
	agent_run(&a, A_ATTACH);
	/* The monitor's announcement, its signal not yet landed. */
	atomic_store(coming_flag(&a), 1);
	agent_post(&a, A_ENTER_SYSCALL);
	/* It gives up after 20 ms: 5 ms in, it must still wait. */
	cr_assert(!agent_wait(&a, 2, 5), "the enter went into its call with a signal announced");
	/* What our handler does first when it runs (mp_signal_landed). */
	atomic_store(coming_flag(&a), 0);
	cr_assert(agent_wait(&a, 2, MP_TEST_WAIT_MS), "the enter did not go on once the signal landed");
	agent_run(&a, A_EXIT);
	agent_run(&a, A_DETACH);
	agent_finish(&a);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

Test(signal_gate, enter_gives_up_on_a_signal_that_never_comes, .init = sched_up_nomon_1p,
     .fini = sched_down, .timeout = 60)
{
	static struct agent a;
	agent_start(&a, 1);
	agent_run(&a, A_ATTACH);
	atomic_store(coming_flag(&a), 1);   /* a signal the thread blocked: it stays pending */
	uint64_t t0 = now_ns();
	agent_post(&a, A_ENTER_SYSCALL);
	cr_assert(agent_wait(&a, 2, 10000), "the enter waits for ever for a signal that never comes");
	cr_assert_geq(now_ns() - t0, 20000000, "the enter gave up on the announced signal before 20 ms");
	atomic_store(coming_flag(&a), 0);
	agent_run(&a, A_EXIT);
	agent_run(&a, A_DETACH);
	agent_finish(&a);
	assert_no_worker_failures();
}
