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
			mp_unlock(&mp_sched.lock);
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
			mp_unlock(&mp_sched.lock);
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
 * Go's entersyscallblock, second half: an M waits, so the P we just left in
 * SYSCALL goes to it at once instead of waiting for the monitor.
 */
void mp_enter_blocking_handoff(struct mp_m *mp)
{
	struct mp_p *pp = mp->oldp;
	uint64_t w = mp->pword;
	if (!p_cas(pp, &w, pw_next_gen(w, P_IDLE), "mp_enter_blocking_handoff"))
		return;   /* a waiter or the monitor took it first */
	mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	mp_p_put_locked(pp);
	mp_unlock(&mp_sched.lock);
}

void mp_exit_syscall(void)
{
	mp_exit_syscall_fast();
}

void mp_exit_slow(struct mp_m *mp)
{
	struct mp_p *pp = mp->oldp;
	if (not_this_task(mp))
		return;   /* a task sharing our TLS: pass through */
	mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	if (pp) {
		uint64_t cur = atomic_load(&pp->word);
		while (pw_gen(cur) == pw_gen(mp->pword) && pw_state(cur) == P_SYSCALL) {
			/* Still ours, but flagged while we were away. */
			bool stop = cur & PW_STOP;
			bool preempt = (cur & PW_PREEMPT) && !waitq_empty_locked();
			if (stop || preempt) {
				if (!p_cas(pp, &cur, pw_next_gen(cur, P_IDLE), "mp_exit_slow"))
					continue;
				if (preempt)
					count(&pp->preempts);
				mp_p_put_locked(pp);   /* to the head; we queue behind */
				break;
			}
			uint64_t nw = pw_with_state(cur, P_RUNNING);
			if (p_cas(pp, &cur, nw, "mp_exit_slow")) {
				mp_unlock(&mp_sched.lock);
				mp_count_owner(&pp->enters);
				mp_count_owner(&pp->fast_exits);
				mp->pword = nw;
				sfence();
				mp->p = pp;
				return;
			}
		}
	}
	park_locked(mp);
	if (mp->p) {
		count(&mp->p->enters);   /* counted at exit, see mp_enter_fast */
		count(&mp->p->slow_exits);
	}
}
