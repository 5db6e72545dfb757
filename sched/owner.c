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
 *            since its progress alone frees the lock;
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

void mp_note_lock_spin(void)
{
	struct mp_p *pp = mp_self.p;
	if (pp)
		count(&pp->lock_spins);
}
