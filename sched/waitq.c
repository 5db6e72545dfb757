/*
 * waitq.c - the wait queue: parked Ms in FIFO order (docs/design.md,
 * "Parking and the hand-off rule").  Strict FIFO is the policy; these
 * functions are the only code that knows it, so another policy (a
 * spinning head, priorities) changes this file alone.  The queue links M
 * slots by index (qhead, qtail, qnext), never by pointer.
 *
 * All under sched.lock.  slot.queued is true exactly while it is linked
 * (invariant 8); nwaiting follows the queue's length for readers without
 * the lock (seq_cst: the increment pairs with enter-blocking's load).
 */
#include "sched/internal.h"

void waitq_push_locked(int32_t slot)
{
	struct mp_mslot *ms = mslot(slot);
	check_lock_held("waitq_push_locked");
	MP_CHECK(!ms->queued, "waitq_push_locked", "M already queued", ms->tid, slot);
	ms->qnext = -1;
	ms->queued = true;
	if (mp_sched.qtail >= 0)
		mslot(mp_sched.qtail)->qnext = slot;
	else
		mp_sched.qhead = slot;
	mp_sched.qtail = slot;
	atomic_fetch_add(&mp_sched.nwaiting, 1);
}

struct mp_mslot *waitq_pop_locked(void)
{
	int32_t slot = mp_sched.qhead;
	check_lock_held("waitq_pop_locked");
	if (slot < 0)
		return NULL;
	struct mp_mslot *ms = mslot(slot);
	mp_sched.qhead = ms->qnext;
	if (mp_sched.qhead < 0)
		mp_sched.qtail = -1;
	ms->qnext = -1;
	ms->queued = false;
	atomic_fetch_sub(&mp_sched.nwaiting, 1);
	return ms;
}

/* Take slot out wherever it is (an M leaving while queued). */
void waitq_remove_locked(int32_t slot)
{
	int32_t *link = &mp_sched.qhead, prev = -1;
	check_lock_held("waitq_remove_locked");
	while (*link >= 0 && *link != slot) {
		prev = *link;
		link = &mslot(*link)->qnext;
	}
	if (*link < 0)
		return;
	struct mp_mslot *ms = mslot(slot);
	*link = ms->qnext;
	if (mp_sched.qtail == slot)
		mp_sched.qtail = prev;
	ms->queued = false;
	ms->qnext = -1;
	atomic_fetch_sub(&mp_sched.nwaiting, 1);
}

/* The queued slot of thread tid, or -1 (a directed hand-off, owner.c). */
int32_t waitq_find_tid_locked(int tid)
{
	check_lock_held("waitq_find_tid_locked");
	for (int32_t s = mp_sched.qhead; s >= 0; s = mslot(s)->qnext)
		if (mslot(s)->tid == tid)
			return s;
	return -1;
}
