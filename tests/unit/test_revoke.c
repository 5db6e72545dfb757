/* test_revoke.c - the monitor revokes only Ps whose holder blocked outside the table, never one just handed to a parked M that has not woken yet. */
#include "harness.h"
#include "shim/raw_syscall.h"

/*
 * A releaser wires a P to the first parked M and then wakes it.  If the
 * releaser is preempted in between (or stalls on a page fault, as during a
 * fork), the new owner is still asleep on its futex with no CPU progress:
 * exactly what the monitor takes for "blocked outside the table".  Seen in
 * test_stress and test_fork under load as "wire: P not assigned to this M".
 *
 * The window is a few instructions, so the test builds it by hand: with the
 * monitor stopped, it retakes H's P and assigns it to the parked W the way
 * mp_retake_locked + mp_p_put_locked do, but holds back the wake-up; then it
 * restarts the monitor, with another M queued so that it ticks.
 */
Test(revoke, p_handed_to_a_sleeping_m_is_not_revoked, .init = sched_up_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent h, w, w2;
	agent_start(&h, 1);
	agent_start(&w, 2);
	agent_start(&w2, 3);
	agent_run(&h, A_ATTACH);
	agent_run(&h, A_ENTER_SYSCALL);
	mp_monitor_stop();
	agent_post(&w, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "W did not park");
	agent_post(&w2, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 2, MP_TEST_WAIT_MS), "W2 did not park");

	struct mp_p *pp = &mp_allp[0];
	struct mp_m *wm = w.m;
	mp_lock(&mp_sched.lock);
	uint64_t word = atomic_load(&pp->word);
	bool retaken = pw_state(word) == P_SYSCALL &&
	               atomic_compare_exchange_strong(&pp->word, &word, pw_next_gen(word, P_IDLE));
	bool w_first = mp_sched.qhead == wm;
	if (retaken && w_first) {
		mp_sched.qhead = wm->qnext;
		atomic_fetch_sub(&mp_sched.nwaiting, 1);
		atomic_store(&pp->waking, true);
		atomic_store(&pp->m, wm);
		atomic_store(&pp->tid, wm->tid);
		word = pw_next_gen(atomic_load(&pp->word), P_RUNNING);
		atomic_store(&pp->word, word);
		wm->nextword = word;
		wm->nextp = pp;
	}
	mp_unlock(&mp_sched.lock);
	cr_assert(retaken && w_first, "setup: P0 not in SYSCALL or W not first in the queue");

	/* W sleeps on as the new owner; the monitor ticks for W2. */
	cr_assert_eq(mp_monitor_start(NULL), 0);
	sleep_us(200000);
	struct mp_stats s = stats();
	cr_assert_eq(s.revokes, 0, "the monitor revoked P0 from W, which was handed it but not yet woken: %s",
	             stats_str(&s));

	/* The releaser resumes: W wakes on P0. */
	atomic_store(&wm->park, 1);
	mp_futex_wake((const uint32_t *)&wm->park, 1);
	cr_assert(agent_wait(&w, 1, MP_TEST_WAIT_MS), "W did not wake");
	cr_assert_eq(atomic_load(&w.pid), 0);

	agent_run(&w, A_DETACH);
	cr_assert(agent_wait(&w2, 1, MP_TEST_WAIT_MS), "W2 never got P0");
	agent_run(&w2, A_DETACH);
	agent_run(&h, A_EXIT);
	agent_run(&h, A_DETACH);
	agent_finish(&h);
	agent_finish(&w);
	agent_finish(&w2);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}
