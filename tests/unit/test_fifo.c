/* test_fifo.c - parked Ms receive Ps in the order they queued (FIFO), whichever way the holder lets go. */
#include "harness.h"

#include <sys/syscall.h>
#include <unistd.h>

#define NWAITERS 6

enum release_by { BY_DETACH, BY_ENTER_BLOCKING, BY_YIELD };

/*
 * W1..Wn attach one at a time, each visibly parked before the next starts
 * (H holds the only P); each will note its rank the moment it has the P
 * and detach, handing it on.  first, if given, runs in each before it
 * attaches (one step more).
 */
static void queue_waiters(struct agent *w, int n, void (*first)(struct agent *))
{
	for (int i = 0; i < n; i++) {
		agent_start(&w[i], i + 1);
		if (first) {
			w[i].call = first;
			agent_run(&w[i], A_CALL);
		}
		agent_post(&w[i], A_ATTACH);
		agent_post(&w[i], A_NOTE_ORDER);
		agent_post(&w[i], A_DETACH);
		struct mp_stats s = stats();
		cr_assert(WAIT_UNTIL((s = stats()).waiting == (uint32_t)i + 1, MP_TEST_WAIT_MS),
		          "W%d did not park; %s", i + 1, stats_str(&s));
	}
}

/*
 * H holds the only P; W1..Wk queue one at a time, each visibly parked
 * before the next starts; then H lets go.  Every waiter notes its rank the
 * moment it has the P and detaches, handing it to the next.
 */
static void handoff_order(enum release_by how)
{
	static struct agent h, w[NWAITERS];
	agent_start(&h, 0);
	agent_run(&h, A_ATTACH);
	cr_assert_eq(atomic_load(&h.pid), 0);
	queue_waiters(w, NWAITERS, NULL);
	for (int i = 0; i < NWAITERS; i++)
		cr_assert_eq(atomic_load(&w[i].done), 0, "W%d got a P while H holds the only one", i + 1);

	switch (how) {
	case BY_DETACH:
		agent_run(&h, A_DETACH);
		break;
	case BY_ENTER_BLOCKING:
		/* H queues again on exit, behind every waiter. */
		agent_run(&h, A_ENTER_BLOCKING);
		agent_post(&h, A_EXIT);
		agent_post(&h, A_NOTE_ORDER);
		agent_post(&h, A_DETACH);
		break;
	case BY_YIELD:
		agent_post(&h, A_YIELD);
		agent_post(&h, A_NOTE_ORDER);
		agent_post(&h, A_DETACH);
		break;
	}

	for (int i = 0; i < NWAITERS; i++) {
		struct mp_stats s = stats();
		cr_assert(agent_wait(&w[i], 3, MP_TEST_WAIT_MS), "W%d never got the P; %s", i + 1, stats_str(&s));
	}
	cr_assert(agent_wait(&h, h.posted, MP_TEST_WAIT_MS), "H never got the P back");
	for (int i = 0; i < NWAITERS; i++)
		cr_assert_eq(atomic_load(&w[i].order), i + 1, "W%d got the P in place %d, not %d",
		             i + 1, atomic_load(&w[i].order), i + 1);
	if (how != BY_DETACH)
		cr_assert_eq(atomic_load(&h.order), NWAITERS + 1,
		             "H, queued after every waiter, got the P in place %d", atomic_load(&h.order));
	if (how == BY_YIELD)
		cr_assert(atomic_load(&h.yielded), "mp_yield did not give the P away with %d Ms waiting", NWAITERS);

	struct mp_stats s = stats();
	cr_assert_geq(s.handoffs, NWAITERS, "%s", stats_str(&s));
	for (int i = 0; i < NWAITERS; i++)
		agent_finish(&w[i]);
	agent_finish(&h);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}

Test(fifo, waiters_served_in_order_after_detach, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	handoff_order(BY_DETACH);
}

Test(fifo, waiters_served_in_order_after_enter_blocking, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	handoff_order(BY_ENTER_BLOCKING);
}

Test(fifo, yielder_queues_behind_waiters, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	handoff_order(BY_YIELD);
}

/*
 * The one hand-off that breaks FIFO on purpose: a lock's waiter gives its
 * P to the lock's owner, parked in the middle of the queue
 * (mp_lock_yield), and queues at the tail itself.  The others keep
 * their order.
 */
static atomic_int yield_target_tid, waiter_tid[4];

static void note_tid(struct agent *a)
{
	atomic_store(&waiter_tid[a->id - 1], (int)syscall(SYS_gettid));
}

static void yield_to_target(struct agent *a)
{
	(void)a;
	if (!mp_lock_yield(atomic_load(&yield_target_tid)))
		worker_fail("mp_lock_yield gave nothing away with 4 Ms waiting");
}

Test(fifo, yield_to_owner_overtakes_the_queue, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent h, w[4];
	enum { OWNER = 2 };   /* W3 */
	agent_start(&h, 0);
	agent_run(&h, A_ATTACH);
	queue_waiters(w, 4, note_tid);
	atomic_store(&yield_target_tid, atomic_load(&waiter_tid[OWNER]));
	cr_assert_gt(atomic_load(&yield_target_tid), 0);
	h.call = yield_to_target;
	agent_post(&h, A_CALL);
	agent_post(&h, A_NOTE_ORDER);
	agent_post(&h, A_DETACH);
	for (int i = 0; i < 4; i++) {
		struct mp_stats s = stats();
		cr_assert(agent_wait(&w[i], 4, MP_TEST_WAIT_MS), "W%d never got the P; %s", i + 1, stats_str(&s));
	}
	cr_assert(agent_wait(&h, h.posted, MP_TEST_WAIT_MS), "H never got the P back");
	static const int expect[4] = { 2, 3, 1, 4 };   /* W3 first, then FIFO */
	for (int i = 0; i < 4; i++)
		cr_assert_eq(atomic_load(&w[i].order), expect[i], "W%d got the P in place %d, not %d",
		             i + 1, atomic_load(&w[i].order), expect[i]);
	cr_assert_eq(atomic_load(&h.order), 5, "H, queued at the tail, got the P in place %d",
	             atomic_load(&h.order));
	struct mp_stats s = stats();
	cr_assert_eq(s.lock_yields, 1, "%s", stats_str(&s));
	cr_assert_eq(s.owner_handoffs, 1, "%s", stats_str(&s));
	for (int i = 0; i < 4; i++)
		agent_finish(&w[i]);
	agent_finish(&h);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}
