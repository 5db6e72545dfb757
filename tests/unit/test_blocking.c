/* test_blocking.c - enter-blocking hands the P to a waiting M at once, with no help from the monitor. */
#include "harness.h"

/* Without the monitor, nobody but the entering M can move its P. */
Test(blocking, hands_the_p_to_a_waiter_without_the_monitor, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent h, w;
	agent_start(&h, 1);
	agent_start(&w, 2);
	agent_run(&h, A_ATTACH);
	agent_post(&w, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "W did not park");
	cr_assert_eq(atomic_load(&w.done), 0, "W got a P while H holds the only one");
	struct mp_stats before = stats();

	agent_run(&h, A_ENTER_BLOCKING);
	struct mp_stats s = stats();
	cr_assert(agent_wait(&w, 1, MP_TEST_WAIT_MS),
	          "enter-blocking did not hand the P to the waiting M; %s", stats_str(&s));
	s = stats();
	cr_assert_eq(atomic_load(&w.pid), 0);
	cr_assert_gt(s.handoffs, before.handoffs, "%s", stats_str(&s));
	cr_assert_eq(s.waiting, 0, "%s", stats_str(&s));
	cr_assert_eq(s.running, 1, "%s", stats_str(&s));
	cr_assert_eq(s.in_syscall, 0, "the P stayed in SYSCALL after the hand-off: %s", stats_str(&s));
	cr_assert_null(h.m->p, "H's m.p is stale after the hand-off");

	/* H comes back while W runs: it parks until W lets go. */
	agent_post(&h, A_EXIT);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "H did not park on exit");
	cr_assert_eq(atomic_load(&h.done), 2, "H returned while W holds the only P");
	agent_run(&w, A_DETACH);
	cr_assert(agent_wait(&h, 3, MP_TEST_WAIT_MS), "W's detach did not hand the P to H");
	cr_assert_eq(atomic_load(&h.pid), 0);
	s = stats();
	cr_assert_eq(s.slow_exits, 1, "%s", stats_str(&s));
	cr_assert_eq(s.fast_exits, 0, "%s", stats_str(&s));
	cr_assert_eq(s.retakes, before.retakes, "a retake with the monitor stopped? %s", stats_str(&s));
	agent_run(&h, A_DETACH);

	agent_finish(&h);
	agent_finish(&w);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

/* Two Ps, both held, two waiters: each blocking call frees exactly one. */
Test(blocking, each_blocking_call_frees_one_p, .init = sched_up_nomon_2p, .fini = sched_down, .timeout = 60)
{
	static struct agent h[2], w[2];
	for (int i = 0; i < 2; i++) {
		agent_start(&h[i], 1 + i);
		agent_start(&w[i], 3 + i);
		agent_run(&h[i], A_ATTACH);
	}
	for (int i = 0; i < 2; i++) {
		agent_post(&w[i], A_ATTACH);
		cr_assert(WAIT_UNTIL(stats().waiting == (uint32_t)i + 1, MP_TEST_WAIT_MS), "W%d did not park", i);
	}

	int h0_pid = atomic_load(&h[0].pid);
	agent_run(&h[0], A_ENTER_BLOCKING);
	cr_assert(agent_wait(&w[0], 1, MP_TEST_WAIT_MS), "first waiter not handed H0's P");
	cr_assert_eq(atomic_load(&w[0].pid), h0_pid, "the first waiter got P%d, not H0's P%d", w[0].pid, h0_pid);
	sleep_us(50000);
	cr_assert_eq(atomic_load(&w[1].done), 0, "second waiter got a P while both are held");
	struct mp_stats s = stats();
	cr_assert_eq(s.waiting, 1, "%s", stats_str(&s));

	agent_run(&h[1], A_ENTER_BLOCKING);
	cr_assert(agent_wait(&w[1], 1, MP_TEST_WAIT_MS), "second waiter not handed H1's P");
	cr_assert_neq(atomic_load(&w[0].pid), atomic_load(&w[1].pid), "two Ms on P%d", w[0].pid);

	for (int i = 0; i < 2; i++) {
		agent_post(&h[i], A_EXIT);
		cr_assert(WAIT_UNTIL(stats().waiting == (uint32_t)i + 1, MP_TEST_WAIT_MS), "H%d did not park on exit", i);
	}
	for (int i = 0; i < 2; i++) {
		agent_run(&w[i], A_DETACH);
		cr_assert(agent_wait(&h[i], 3, MP_TEST_WAIT_MS), "H%d not handed a P", i);
	}
	for (int i = 0; i < 2; i++) {
		agent_run(&h[i], A_DETACH);
		agent_finish(&h[i]);
		agent_finish(&w[i]);
	}
	assert_no_worker_failures();
	assert_all_ps_idle(2);
}

/*
 * An M handed a P while parked keeps, in its M slot, which P that was
 * (nextp).  If it then gives that P away in a call (enter-blocking with a
 * waiter) and leaves from inside the call (a cancellation whose cleanup did
 * not run, pthread_exit from a handler), detach must not take the old
 * nextp for a P handed while leaving a park: that P is another M's now.
 * It used to wire it again ("wire: P not assigned to this M").
 */
Test(blocking, detach_inside_a_call_after_a_hand_off_wires_nothing, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent h, w;
	agent_start(&h, 1);
	agent_start(&w, 2);
	agent_run(&h, A_ATTACH);
	agent_post(&w, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "W did not park");

	/* W is handed P0 while parked (nextp = 0). */
	agent_run(&h, A_ENTER_BLOCKING);
	cr_assert(agent_wait(&w, 1, MP_TEST_WAIT_MS), "W was not handed P0");
	cr_assert_eq(atomic_load(&w.pid), 0);
	agent_post(&h, A_EXIT);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "H did not park on exit");

	/* W's blocking call hands P0 back to H at once; W leaves from inside it. */
	agent_run(&w, A_ENTER_BLOCKING);
	cr_assert(agent_wait(&h, 3, MP_TEST_WAIT_MS), "W's blocking call did not hand P0 to H");
	cr_assert_eq(atomic_load(&h.pid), 0);
	agent_run(&w, A_DETACH);
	struct mp_stats s = stats();
	cr_assert_eq(s.threads, 1, "%s", stats_str(&s));
	cr_assert_eq(s.running, 1, "%s", stats_str(&s));
	cr_assert_eq(h.m->p, &mp_allp[0], "H lost P0 to W's detach");
	uint64_t word = atomic_load(&mp_allp[0].word);
	cr_assert_eq(pw_state(word), P_RUNNING, "P0 is in state %u, not H's", pw_state(word));
	cr_assert_eq(pw_gen(word), pw_gen(h.m->pword), "P0 changed hands under H");

	agent_run(&h, A_DETACH);
	agent_finish(&h);
	agent_finish(&w);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

/*
 * An M that leaves while it is linked in the wait queue (issue 7, item 2:
 * a handler of the program that siglongjmps, blocks or is cancelled after
 * the M queued itself and before it slept; parked Ms now block signals, so
 * no path of the library does this, and detach is the backstop): detach
 * unlinks it, so the next hand-off reaches the M queued behind it and not
 * a slot that is gone.  W queues itself by hand, as exit-syscall's slow
 * path does just before it parks.
 */
static void queue_self(struct agent *a)
{
	(void)a;
	mp_lock(&mp_sched.lock);
	waitq_push_locked(mp_self.slot);
	mp_sched_unlock();
}

Test(blocking, detach_while_queued_unlinks_the_m, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent h, w, x;
	agent_start(&h, 1);
	agent_start(&w, 2);
	agent_start(&x, 3);
	agent_run(&w, A_ATTACH);
	agent_post(&h, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "H did not park");
	agent_run(&w, A_ENTER_BLOCKING);
	cr_assert(agent_wait(&h, 1, MP_TEST_WAIT_MS), "W's blocking call did not hand P0 to H");

	/* W, inside its call, is queued; X parks behind it. */
	w.call = queue_self;
	agent_run(&w, A_CALL);
	cr_assert_eq(stats().waiting, 1);
	agent_post(&x, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 2, MP_TEST_WAIT_MS), "X did not park");

	agent_run(&w, A_DETACH);
	struct mp_stats s = stats();
	cr_assert_eq(s.waiting, 1, "W is still linked in the queue: %s", stats_str(&s));
	cr_assert_eq(s.threads, 2, "%s", stats_str(&s));
	cr_assert_eq(h.m->p, &mp_allp[0], "H lost P0 to W's detach");

	/* H lets go: P0 goes to X, the one M still queued. */
	agent_run(&h, A_DETACH);
	cr_assert(agent_wait(&x, 1, MP_TEST_WAIT_MS), "H's detach did not hand P0 to X");
	cr_assert_eq(atomic_load(&x.pid), 0);
	s = stats();
	cr_assert_eq(s.waiting, 0, "%s", stats_str(&s));
	agent_run(&x, A_DETACH);
	agent_finish(&h);
	agent_finish(&w);
	agent_finish(&x);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}
