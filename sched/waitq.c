/*
 * waitq.c - the wait queue: parked Ms in FIFO order (docs/design.md,
 * "Parking and the hand-off rule").  Strict FIFO is the policy; these four
 * functions are the only code that knows it, so another policy (a
 * spinning head, priorities) changes this file alone.
 *
 * All under sched.lock.  m.queued is true exactly while an M is linked
 * (invariant 8); nwaiting follows the queue's length for readers without
 * the lock (seq_cst: the increment pairs with enter-blocking's load).
 */
#include "sched/internal.h"

void waitq_push_locked(struct mp_m *mp)
{
	check_lock_held("waitq_push_locked");
	MP_CHECK(!mp->queued, "waitq_push_locked", "M already queued", mp->tid, 0);
	mp->qnext = NULL;
	mp->queued = true;
	if (mp_sched.qtail)
		mp_sched.qtail->qnext = mp;
	else
		mp_sched.qhead = mp;
	mp_sched.qtail = mp;
	atomic_fetch_add(&mp_sched.nwaiting, 1);
}

struct mp_m *waitq_pop_locked(void)
{
	struct mp_m *mp = mp_sched.qhead;
	check_lock_held("waitq_pop_locked");
	if (!mp)
		return NULL;
	mp_sched.qhead = mp->qnext;
	if (!mp_sched.qhead)
		mp_sched.qtail = NULL;
	mp->qnext = NULL;
	mp->queued = false;
	atomic_fetch_sub(&mp_sched.nwaiting, 1);
	return mp;
}

/* Take mp out wherever it is (an M leaving while queued). */
void waitq_remove_locked(struct mp_m *mp)
{
	struct mp_m **link = &mp_sched.qhead, *prev = NULL;
	check_lock_held("waitq_remove_locked");
	while (*link && *link != mp) {
		prev = *link;
		link = &(*link)->qnext;
	}
	if (!*link)
		return;
	*link = mp->qnext;
	if (mp_sched.qtail == mp)
		mp_sched.qtail = prev;
	mp->queued = false;
	mp->qnext = NULL;
	atomic_fetch_sub(&mp_sched.nwaiting, 1);
}
