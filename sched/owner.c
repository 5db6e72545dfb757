/*
 * owner.c - what a thread waiting for a lock may learn about the lock's
 * owner, and the one hand-off that breaks FIFO order.
 *
 * A contended lock under a cap has two bad answers in plain glibc: sleep
 * at once (two hand-offs and two context switches per contention, while
 * the owner runs on the other P and would release within a microsecond),
 * or spin (for ever, if the owner is parked waiting for the very P the
 * spinner holds).  The scheduler knows which case it is (Solaris's
 * adaptive mutex asks "is the owner on a CPU?"; here the question is "does
 * it run user code on a P?"):
 *   running  spin a little keeping the P: the lock will be free soon;
 *   waiting  the owner is parked for a P: give it ours (directed hand-off,
 *            as KVM's directed yield gives a slice to a preempted vCPU),
 *            since its progress alone frees the lock, and queue for a P
 *            to try again (mp_lock_yield);
 *   other    in a call, or not an M: block as usual.
 * The answers are hints read without the lock (a tid in a P, a slot's
 * queued flag): a wrong one costs a little spinning or an ordinary
 * hand-off, never correctness.
 */
#include "sched/internal.h"

/* Memory order: every load here is relaxed, since the answers are hints
 * (above). */
enum mp_owner_state mp_owner_state(int tid)
{
	if (tid <= 0 || !atomic_load_explicit(&mp_sched.active, memory_order_relaxed))
		return MP_OWNER_OTHER;
	uint32_t len = atomic_load_explicit(&mp_sched.ptable_len, memory_order_relaxed);
	for (uint32_t i = 0; i < len; i++) {
		const struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load_explicit(&pp->word, memory_order_relaxed);
		unsigned st = pw_state(w);
		if ((st != P_RUNNING && st != P_SYSCALL) ||
		    atomic_load_explicit(&pp->tid, memory_order_relaxed) != tid)
			continue;
		if (st == P_SYSCALL)
			return MP_OWNER_OTHER;
		int32_t slot = atomic_load_explicit(&pp->mslot, memory_order_relaxed);
		if (slot < 0 || slot >= MP_MAX_MS)
			return MP_OWNER_OTHER;
		/* Under the membarrier protocol a holder in a call keeps RUNNING:
		 * its call word tells. */
		uint64_t c = atomic_load_explicit(&mslot(slot)->call, memory_order_relaxed);
		return mc_incall(c) ? MP_OWNER_OTHER : MP_OWNER_RUNNING;
	}
	int32_t hwm = atomic_load_explicit(&mp_tab->mhwm, memory_order_relaxed);
	for (int32_t s = 0; s < hwm; s++) {
		const struct mp_mslot *ms = mslot(s);
		if (ms->tid == tid && __atomic_load_n(&ms->queued, __ATOMIC_RELAXED))
			return MP_OWNER_WAITING;
	}
	return MP_OWNER_OTHER;
}

void mp_handoff_prefer(int tid)
{
	struct mp_m *mp = &mp_self;
	if (!mp->attached || !mp->call)
		return;
	mp->prefer_tid = tid;
	mp->prefer_stamp = mc_calls(atomic_load_explicit(mp->call, memory_order_relaxed));
}

/* The preferred M for the hand-off of the call in progress, once. */
int prefer_take(struct mp_m *mp)
{
	int tid = mp->prefer_tid;
	mp->prefer_tid = 0;
	if (!tid || !mp->call ||
	    mc_calls(atomic_load_explicit(mp->call, memory_order_relaxed)) != mp->prefer_stamp)
		return 0;
	return tid;
}

/*
 * A lock we want is held by an M that is parked waiting for a P
 * (owner_tid), or that ran on past our spin (0: the kernel took it off
 * its CPU): give our P away and queue for one again, instead of sleeping
 * in the lock.  A waiter asleep in the lock's futex is woken by glibc's
 * unlock at a moment nobody chose, takes the lock while it has no P, and
 * parks holding it: the next thread to want the lock then finds the owner
 * parked and sleeps in the futex too, and every later hand-over of the
 * lock costs two context switches (a convoy that outlives the preemption
 * that began it).  Queued for a P instead, the waiter tries the lock
 * again when a P comes to it, and the lock, having no sleepers, is
 * released without a wake.
 *
 * The caller holds a P outside any call.  A parked owner gets the P ahead
 * of the queue: the empty blocking call hands it over (prefer_take), and
 * its exit queues us at the tail, as any exit that lost its P.  Otherwise
 * the head gets it (mp_yield).  False if the P was not given away (nobody
 * waits, or not an M).
 */
bool mp_lock_yield(int owner_tid)
{
	struct mp_m *mp = &mp_self;
	if (!mp->attached || !mp->p || mp->depth)
		return false;
	struct mp_p *pp = mp->p;
	if (!owner_tid) {
		if (!mp_yield())
			return false;
	} else {
		mp_handoff_prefer(owner_tid);
		mp_enter_blocking();
		mp_exit_syscall();
	}
	count(&pp->lock_yields);
	return true;
}

void mp_note_lock_spin(void)
{
	struct mp_p *pp = mp_self.p;
	if (pp)
		count(&pp->lock_spins);
}
