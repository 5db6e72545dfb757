/*
 * syscall.c - the slow halves of entering and leaving a call (the fast
 * halves are inline in fastpath.h) and the out-of-line entry points.
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

/*
 * not_this_task: two tasks share this TLS (a raw clone without
 * CLONE_SETTLS; unsupported, docs/design.md): the caller is not the thread
 * that attached mp.  Checked on the enter and exit slow paths only (one
 * gettid system call):
 * the caller is then treated as not an M and passes through rather than
 * corrupt the M's state.
 */
static bool not_this_task(const struct mp_m *mp)
{
	return mp->tid != mp_raw_gettid();
}

/* The fast paths are inline in sched/fastpath.h; these are their slow
 * halves and the out-of-line entry points. */

/* The CAS protocol's enter, when its CAS failed (mp_enter_general). */
void mp_enter_slow(struct mp_m *mp, uint64_t flags)
{
	struct mp_p *pp = mp->p;
	if (not_this_task(mp))
		return;   /* a task sharing our TLS: pass through */
	uint64_t cur = atomic_load(&pp->word);
	for (;;) {
		if (pw_gen(cur) != pw_gen(mp->pword)) {
			/* Revoked while blocked outside the table: run this call
			 * without a P; the exit queues for one. */
			mp_lock(&mp_sched.lock);
			notice_revoked_locked(mp);
			mp_sched_unlock();
			return;
		}
		bool stop = cur & PW_STOP;
		bool preempt = (cur & PW_PREEMPT) &&
		               atomic_load_explicit(&mp_sched.nwaiting, relaxed) > 0;   /* a hint: a stale flag is cleared below */
		if (stop || preempt) {
			/* Cooperative preemption: give the P to the first waiter
			 * now and queue for one when the call returns. */
			mp_lock(&mp_sched.lock);
			if (preempt)
				count(&pp->preempts);
			release_locked(mp);
			mp_sched_unlock();
			return;
		}
		/* A flag nobody needs any more: clear it and enter normally. */
		uint64_t nw = pw_entered(cur, flags);
		if (p_cas(pp, &cur, nw, "mp_enter_slow")) {
			mp->pword = nw;
			mp->oldp = pp;
			mp->p = NULL;
			return;
		}
	}
}

void mp_enter_syscall(void)
{
	mp_enter_syscall_fast();
}

void mp_enter_blocking(void)
{
	mp_enter_blocking_fast();
}

/*
 * Go's entersyscallblock, second half: an M waits, so the P we just left
 * (SYSCALL, or RUNNING with our call word "in a blocking call") goes to it
 * at once instead of waiting for the monitor.  The CAS fails if anybody
 * wrote the word since we saw it: a waiter or the monitor took the P or
 * claimed it, or flagged it; our exit sorts that out.
 */
void mp_enter_blocking_handoff(struct mp_m *mp)
{
	struct mp_p *pp = mp->oldp;
	uint64_t w = mp->pword;
	if (!p_cas(pp, &w, pw_next_gen(w, P_IDLE), "mp_enter_blocking_handoff"))
		return;
	mp->oldp = NULL;
	int prefer = prefer_take(mp);
	mp_lock(&mp_sched.lock);
	mp_p_put_prefer_locked(pp, prefer);
	mp_sched_unlock();
}

void mp_exit_syscall(void)
{
	mp_exit_syscall_fast();
}

/*
 * The exit of an M whose P word is not what it left (or that has none).
 * The call word already says "out of the call".  While the word still
 * holds our gen the P is ours (after any claim clears): give it up if a
 * resize or a waiter asked for it, else clear a stale flag and keep it.
 * Otherwise it was taken (retake, steal, hand-off, revoke): queue for one.
 */
void mp_exit_slow(struct mp_m *mp)
{
	struct mp_p *pp = mp->oldp;
	if (not_this_task(mp))
		return;   /* a task sharing our TLS: pass through */
	mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	if (pp) {
		/* The state a P is left in during a call, by protocol. */
		unsigned left = mp_asym ? P_RUNNING : P_SYSCALL;
		uint64_t cur = claim_wait(pp);
		while (pw_gen(cur) == pw_gen(mp->pword) && pw_state(cur) == left) {
			bool stop = cur & PW_STOP;
			bool preempt = (cur & PW_PREEMPT) && !waitq_empty_locked();
			bool ok;
			if (stop || preempt) {
				ok = p_cas(pp, &cur, pw_next_gen(cur, P_IDLE), "mp_exit_slow");
				if (ok) {
					if (preempt)
						count(&pp->preempts);
					mp_p_put_locked(pp);   /* to the head; we queue behind */
					break;
				}
			} else {
				uint64_t nw = pw_with_state(cur, P_RUNNING);
				ok = p_cas(pp, &cur, nw, "mp_exit_slow");
				if (ok) {
					mp_sched_unlock();
					mp->pword = nw;
					mp->oldp = pp;
					sfence();
					mp->p = pp;
					return;
				}
			}
			if (cur & PW_CLAIM)
				cur = claim_wait(pp);
		}
		if (pw_gen(cur) != pw_gen(mp->pword) && mp->slot >= 0 &&
		    atomic_load(&mslot(mp->slot)->revoked)) {
			/* Revoked before the call (the membarrier protocol's
			 * enter does not look at the word): noticed now. */
			notice_revoked_locked(mp);
		}
	}
	park_locked(mp);
	if (mp->p)
		count(&mp->p->slow_exits);
}
