/*
 * park.c - an M without a P: wiring a P to it, noticing a revoke,
 * releasing the P it holds, and parking in the wait queue until a P is
 * handed to it.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sched/fastpath.h"
#include "sched/internal.h"
#include "shim/raw_syscall.h"

/* Memory order: a relaxed access in this file is made under sched.lock,
 * whose acquire and release order it; every other order says why. */
#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release

/* wire (Go's wirep): mp takes pp, already assigned to it with word w. */
void wire(struct mp_m *mp, struct mp_p *pp, uint64_t w)
{
	MP_CHECK(mp->p == NULL, "wire", "M already holds a P",
	         mp->p ? (long)mp->p->id : -1, pp->id);
	MP_CHECK(pw_gen(atomic_load(&pp->word)) == pw_gen(w) &&
	         atomic_load_explicit(&pp->mslot, relaxed) == mp->slot,
	         "wire", "P not assigned to this M", pp->id, pw_state(w));
	mp->pword = w;
	mp->oldp = pp;
	sfence();
	mp->p = pp;   /* last: our signal handler trusts p only once pword is set */
}

/*
 * notice_revoked_locked: the monitor took mp's P while mp was blocked
 * outside the table.  Drop the dead reference and account the CPU time mp
 * ran since then without a P (the overshoot).
 */
void notice_revoked_locked(struct mp_m *mp)
{
	struct mp_mslot *ms = mslot(mp->slot);
	check_lock_held("notice_revoked_locked");
	MP_CHECK(atomic_load(&ms->revoked), "notice_revoked_locked",
	         "P lost but not revoked", mp->p ? (long)mp->p->id : -1, 0);
	int64_t now = mp_raw_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int64_t at = atomic_load_explicit(&ms->revoke_cpu_ns, relaxed);
	if (at >= 0 && now > at)
		atomic_fetch_add(&mp_sched.overshoot_ns, (uint64_t)(now - at));
	struct mp_revoked *rv = &mp_sched.revoked[ms->revoke_slot];
	if (rv->tid == mp->tid) {
		rv->tid = 0;
		atomic_fetch_sub(&mp_sched.nrevoked, 1);
	}
	atomic_store(&ms->revoked, 0);
	mp->p = mp->oldp = NULL;
}

/*
 * Signals are blocked while an M sleeps in the queue.  A handler of the
 * program that ran there could block waiting for a thread that needs this
 * very P, siglongjmp out, or be an asynchronous cancellation: each would
 * leave the M linked in the queue, and the P later wired to it would be
 * lost (and, after the thread exits, the queue would point into its freed
 * TLS).  Blocked, such a signal waits until the M holds a P again, as it
 * would for any thread the kernel has not scheduled yet.  SIGSETXID
 * (glibc's setuid broadcast) stays open: setuid in a thread that holds a
 * P waits for every thread to take it, and its handler never jumps.
 */
/* (shim/raw_syscall.h: mp_raw_block_signals keeps SIGSETXID open) */

/*
 * park_locked: mp holds no P and needs one.  Take an idle P if there is
 * one, else queue at the tail and sleep until a releaser wires a P to us
 * (fairness: strict FIFO among waiters; a P freed while anyone waits goes
 * to the head, never to a newcomer, because idle Ps exist only while the
 * queue is empty).  Called with sched.lock held; returns with it released
 * and a P wired, or none if the scheduler shut down meanwhile.
 */
void park_locked(struct mp_m *mp)
{
	check_lock_held("park_locked");
	MP_CHECK(mp->p == NULL, "park_locked", "M holds a P", mp->p ? (long)mp->p->id : -1, 0);
	struct mp_mslot *ms = mslot(mp->slot);
	struct mp_p *pp = pidle_pop_locked();
	if (pp) {
		/* Wired before the lock goes: from the unlock on, the P is a
		 * held P like any other.  Assigned but not wired, it would be
		 * RUNNING in mp's name while mp's m.p is still 0; a monitor
		 * that then found mp descheduled or asleep (in the unlock's
		 * futex wake) would revoke it and hand it on, and the late
		 * wire would take a P that is no longer ours.  Wired, the
		 * same revoke is an ordinary one that mp notices at its next
		 * entry point. */
		wire(mp, pp, p_assign_locked(pp, mp->slot));
		mp_sched_unlock();
		return;
	}
	if (!atomic_load_explicit(&mp_sched.active, relaxed)) {
		mp_sched_unlock();
		return;
	}
	atomic_store_explicit(&ms->park, 0, relaxed);
	ms->nextp = -1;
	waitq_push_locked(mp->slot);   /* nwaiting++ seq_cst: pairs with enter_blocking's load */
	bool head = mp_sched.qhead == mp->slot;
	if (!mp_asym)
		steal_blocking_locked();
	bool wake_monitor = atomic_load(&mp_sched.mon_sleeping);
	uint64_t oldmask;
	mp_raw_block_signals(&oldmask);   /* before anyone can hand us a P */
	mp_sched_unlock();
	if (mp_asym)
		steal_blocking();   /* claims: never under the lock (claim.c) */
	/* acquire: pairs with the hander's release of park, so nextp and
	 * nextword, written before it under the lock, are seen here. */
	uint64_t parked_at = mp_sched.opt.count_waits ? mp_now_ns() : 0;   /* vDSO */
	/* The spinner wakes the monitor only if it gives up: a P it gets
	 * within its spin costs no monitor wake-up and pass. */
	if (head)
		spin_for_p(mp, ms);
	if (wake_monitor && !atomic_load(&ms->park))
		mp_monitor_wake();
	MP_CHECK(atomic_load_explicit(&mp->nwakes, relaxed) == 0, "park_locked",
	         "sleeping with wakes still deferred", (long)atomic_load_explicit(&mp->nwakes, relaxed), 0);
	while (atomic_load_explicit(&ms->park, acquire) == 0)
		mp_sched_futex_wait(&ms->park, 0);
	uint64_t now = parked_at ? mp_now_ns() : 0;
	if (parked_at) {
		if (now > parked_at) {
			mp->wait_ns += now - parked_at;
			/* relaxed: a total for the stats segment, summed, never ordered */
			atomic_fetch_add_explicit(&mp_sched.pwait_ns, now - parked_at, memory_order_relaxed);
		}
	}
	MP_CHECK(!ms->queued, "park_locked", "woken but still in the queue", ms->nextp, 0);
	pp = ms->nextp >= 0 ? &mp_allp[ms->nextp] : NULL;
	if (pp) {
		count(&pp->parks);
		/* relaxed: a total for the stats segment, summed, never ordered */
		if (pp->handed_at && now > pp->handed_at)
			atomic_fetch_add_explicit(&mp_sched.handwake_ns, now - pp->handed_at, memory_order_relaxed);
		wire(mp, pp, ms->nextword);
		atomic_store(&pp->waking, false);
		/* Taken: no hander writes nextp again before we queue again
		 * (under the lock), so ours to clear without it.  Left set, a
		 * detach from inside a later call (m.p 0) would take it for a
		 * P handed while leaving a park and wire it a second time. */
		ms->nextp = -1;
	}
	/* Only now: a handler that ran between the wake-up and the wire would
	 * find a P handed to us but not yet ours (waking: never revoked), and
	 * one that blocked there would lose it for good.  From here on we hold
	 * it, so a handler that blocks outside the table is a blocked holder
	 * like any other (revoked after 1 ms). */
	mp_raw_sigmask_set(&oldmask);
}

/*
 * release_locked: mp gives up the P it holds (RUNNING) to the first waiter
 * or the idle stack.  If the P was revoked meanwhile, there is nothing to
 * give: just notice it.
 */
void release_locked(struct mp_m *mp)
{
	struct mp_p *pp = mp->p;
	check_lock_held("release_locked");
	/* A claim on a P whose holder runs user code is released at once
	 * (its call word says "not in a call"): wait for that. */
	uint64_t cur = claim_wait(pp);
	for (;;) {
		if (pw_gen(cur) != pw_gen(mp->pword)) {
			notice_revoked_locked(mp);
			return;
		}
		MP_CHECK(pw_state(cur) == P_RUNNING, "release_locked",
		         "held P not RUNNING", pp->id, pw_state(cur));
		if (p_cas(pp, &cur, pw_next_gen(cur, P_IDLE), "release_locked"))
			break;
		if (cur & PW_CLAIM)
			cur = claim_wait(pp);
	}
	mp->p = mp->oldp = NULL;
	mp_p_put_locked(pp);
}
