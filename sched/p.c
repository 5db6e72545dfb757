/*
 * p.c - Ps changing hands under sched.lock: assigning a claimed P to an
 * M, the idle stack, mp_p_put_locked (Go's handoffp + pidleput), retake
 * and steal, and the table's reset.
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
 * p_assign_locked: give a P that the caller has claimed (IDLE, out of the
 * idle stack) to mp as RUNNING.  Returns the word stored, which mp will
 * expect in its next CAS.
 */
uint64_t p_assign_locked(struct mp_p *pp, int32_t slot)
{
	const struct mp_mslot *ms = mslot(slot);
	uint64_t w = atomic_load_explicit(&pp->word, relaxed);
	check_lock_held("p_assign_locked");
	MP_CHECK(pw_state(w) == P_IDLE && !pp->in_idle, "p_assign_locked",
	         "P not claimed idle", pp->id, pw_state(w));
	MP_CHECK(ms->in_use, "p_assign_locked", "M slot not in use", pp->id, slot);
	/* release fence: the word's earlier change (IDLE, a new gen: a
	 * revoke, say) is visible before the new owner's slot, so that
	 * mp_check_m (debug builds) can tell a torn read of word and mslot
	 * from a P that does not point back.  Free on x86. */
	atomic_thread_fence(release);
	/* relaxed: published by the release store of the word below */
	atomic_store_explicit(&pp->mslot, slot, relaxed);
	atomic_store_explicit(&pp->pid, ms->pid, relaxed);
	atomic_store_explicit(&pp->tid, ms->tid, relaxed);
	atomic_store_explicit(&pp->sig_unsafe, ms->sig_unsafe, relaxed);
	uint64_t nw = pw_next_gen(w, P_RUNNING);
	p_store_locked(pp, nw, "p_assign_locked");   /* publishes m and tid */
	note_p_holder(pp, ms->tid);
	return nw;
}

struct mp_p *pidle_pop_locked(void)
{
	uint32_t n = atomic_load_explicit(&mp_sched.npidle, relaxed);
	if (n == 0)
		return NULL;
	struct mp_p *pp = &mp_allp[mp_sched.pidle[n - 1]];
	atomic_store_explicit(&mp_sched.npidle, n - 1, relaxed);
	pp->in_idle = false;
	return pp;
}

void pidle_remove_locked(struct mp_p *pp)
{
	uint32_t n = atomic_load_explicit(&mp_sched.npidle, relaxed);
	for (uint32_t i = 0; i < n; i++) {
		if (mp_sched.pidle[i] != pp->id)
			continue;
		memmove(&mp_sched.pidle[i], &mp_sched.pidle[i + 1],
		        (n - i - 1) * sizeof mp_sched.pidle[0]);
		atomic_store_explicit(&mp_sched.npidle, n - 1, relaxed);
		pp->in_idle = false;
		return;
	}
}

/*
 * mp_p_put_locked (Go's handoffp + pidleput): the caller claimed pp (IDLE,
 * in nobody's hands).  Wire it to the first parked M and wake that M, or
 * push it on the idle stack; a P beyond nprocs is stopped instead.  Direct
 * hand-off means exactly one sleeper wakes per free P (no thundering herd)
 * and the woken M needs no CAS: the P is already its own.
 */
void mp_p_put_locked(struct mp_p *pp)
{
	mp_p_put_prefer_locked(pp, 0);
}

/* The same, but to thread prefer_tid if it is queued (a lock's owner:
 * owner.c), wherever it is in the queue. */
void mp_p_put_prefer_locked(struct mp_p *pp, int prefer_tid)
{
	uint64_t w = atomic_load_explicit(&pp->word, relaxed);
	check_lock_held("mp_p_put_locked");
	MP_CHECK(pw_state(w) == P_IDLE && !pp->in_idle, "mp_p_put_locked",
	         "P not claimed idle", pp->id, pw_state(w));
	if (pp->id >= atomic_load_explicit(&mp_sched.nprocs, relaxed)) {
		p_store_locked(pp, pw_next_gen(w, P_STOPPED), "mp_p_put_locked");
		note_p_holder(pp, 0);
		return;
	}
	struct mp_mslot *mw = NULL;
	if (atomic_load_explicit(&mp_sched.active, relaxed)) {
		int32_t preferred = prefer_tid ? waitq_find_tid_locked(prefer_tid) : -1;
		if (preferred >= 0) {
			waitq_remove_locked(preferred);
			mw = mslot(preferred);
			count(&pp->owner_handoffs);
		} else {
			mw = waitq_pop_locked();
		}
	}
	if (mw) {
		int32_t slot = (int32_t)(mw - mp_tab->m);
		atomic_store_explicit(&pp->waking, true, relaxed);   /* published with the word */
		pp->handed_at = mp_sched.opt.count_waits ? mp_now_ns() : 0;
		mw->nextword = p_assign_locked(pp, slot);   /* release: publishes waking */
		mw->nextp = (int32_t)pp->id;
		count(&pp->handoffs);
		/* seq_cst: pairs with park_locked's acquire, and with a spinning
		 * waiter's store of spinning then load of park (spinwait.c):
		 * one that still spins needs no futex wake. */
		atomic_store(&mw->park, 1);
		if ((slot != mp_self.slot || !mp_self.attached) && !atomic_load(&mw->spinning))
			defer_wake_locked(&mw->park);
		return;
	}
	MP_CHECK(waitq_empty_locked() || !atomic_load(&mp_sched.active),
	         "mp_p_put_locked", "idle P while Ms wait", pp->id, 0);
	uint32_t n = atomic_load_explicit(&mp_sched.npidle, relaxed);
	mp_sched.pidle[n] = pp->id;
	pp->in_idle = true;
	atomic_store_explicit(&mp_sched.npidle, n + 1, relaxed);
	note_p_holder(pp, 0);
}

/* mp_retake_locked: count and pass on a P the caller CASed out of SYSCALL. */
void mp_retake_locked(struct mp_p *pp)
{
	count(&pp->retakes);
	mp_p_put_locked(pp);
}

/*
 * steal_blocking_locked: a waiter just queued.  A P whose holder entered a
 * known-blocking call need not wait for the monitor's tick: take it now and
 * hand it to the head of the queue (FIFO order is kept), one per M that
 * waits: once the queue is empty a P taken would only go idle.  The CAS
 * protocol's version, under the lock.
 */
void steal_blocking_locked(void)
{
	uint32_t len = atomic_load_explicit(&mp_sched.ptable_len, relaxed);
	for (uint32_t i = 0; i < len && !waitq_empty_locked(); i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load(&pp->word);
		if (pw_state(w) != P_SYSCALL || !(w & PW_BLOCKING))
			continue;
		if (p_cas(pp, &w, pw_next_gen(w, P_IDLE), "steal_blocking_locked"))
			mp_retake_locked(pp);
	}
}

/* The membarrier protocol's: claim Ps whose holders are in a blocking call
 * (at most as many as wait, at most STEAL_MAX), settle them with one
 * membarrier, and hand what was taken to the head of the queue.  Without
 * sched.lock: claims are never made under it. */
#define STEAL_MAX 8

void steal_blocking(void)
{
	struct mp_claim c[STEAL_MAX];
	int n = 0;
	uint32_t want = atomic_load(&mp_sched.nwaiting);
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	if (want > STEAL_MAX)
		want = STEAL_MAX;
	for (uint32_t i = 0; i < len && (uint32_t)n < want; i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t call, w = atomic_load(&pp->word);
		if (p_view(pp, w, &call) != P_SYSCALL || !(call & MC_BLOCKING) ||
		    atomic_load(&pp->waking))
			continue;
		if (claim_begin(&c[n], pp, w, call))
			n++;
	}
	if (claims_settle(c, n) == 0)
		return;
	mp_lock(&mp_sched.lock);
	for (int k = 0; k < n; k++)
		if (c[k].pp)
			mp_retake_locked(c[k].pp);
	mp_sched_unlock();
}

void table_reset(uint32_t n)
{
	for (uint32_t i = 0; i < MP_MAXPROCS; i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load_explicit(&pp->word, relaxed);
		memset(pp, 0, sizeof *pp);
		pp->id = i;
		atomic_store_explicit(&pp->word,
		        pw_next_gen(w, i < n ? P_IDLE : P_STOPPED), relaxed);
	}
	atomic_store(&mp_sched.npidle, 0);
	for (uint32_t i = n; i-- > 0;) {   /* P0 on top: popped first */
		mp_sched.pidle[n - 1 - i] = i;
		mp_allp[i].in_idle = true;
	}
	atomic_store(&mp_sched.npidle, n);
	mp_sched.qhead = mp_sched.qtail = -1;
	atomic_store(&mp_sched.spinner, -1);
	/* Every M slot free: the ones ever used are cleared, the rest have
	 * never been touched (a fresh slot comes from the high-water mark, so
	 * the table's pages are faulted in only as threads appear). */
	int32_t used = atomic_load_explicit(&mp_tab->mhwm, relaxed);
	memset(mp_tab->m, 0, (size_t)used * sizeof mp_tab->m[0]);
	mp_tab->mfree = -1;
	atomic_store_explicit(&mp_tab->mhwm, 0, relaxed);
	memset(mp_sched.revoked, 0, sizeof mp_sched.revoked);
	atomic_store(&mp_sched.nrevoked, 0);
	atomic_store(&mp_sched.nwaiting, 0);
	atomic_store(&mp_sched.nthreads, 0);
	atomic_store(&mp_sched.nheld, 0);
	atomic_store(&mp_sched.nheld_hwm, 0);
	atomic_store(&mp_sched.calls_gone, 0);
#define MP_COUNTER_CALLS(name)
#define MP_COUNTER_P(name)
#define MP_COUNTER_SCHED(name) atomic_store(&mp_sched.name, 0);
#define MP_COUNTER(where, name, ...) MP_COUNTER_##where(name)
#include "sched/counters.def"
#undef MP_COUNTER_CALLS
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
#undef MP_COUNTER
	atomic_store(&mp_sched.nprocs, n);
	atomic_store(&mp_sched.ptable_len, n);
}

/* An M slot for a thread becoming an M (-1: none left: it stays uncapped). */
int32_t mslot_alloc_locked(int tid)
{
	int32_t i = mp_tab->mfree;
	check_lock_held("mslot_alloc_locked");
	if (i < 0) {
		i = atomic_load_explicit(&mp_tab->mhwm, relaxed);
		if (i >= MP_MAX_MS)
			return -1;
		atomic_store_explicit(&mp_tab->mhwm, i + 1, relaxed);
	}
	struct mp_mslot *ms = mslot(i);
	if (i == mp_tab->mfree)
		mp_tab->mfree = ms->free_next;
	ms->free_next = -1;
	ms->in_use = true;
	ms->queued = false;
	ms->qnext = ms->nextp = -1;
	ms->pid = mp_sched.pid;
	ms->tid = tid;
	atomic_store_explicit(&ms->call, 0, relaxed);
	atomic_store_explicit(&ms->park, 0, relaxed);
	atomic_store_explicit(&ms->revoked, 0, relaxed);
	atomic_store_explicit(&ms->signal_coming, 0, relaxed);
	return i;
}

void mslot_free_locked(int32_t slot)
{
	struct mp_mslot *ms = mslot(slot);
	check_lock_held("mslot_free_locked");
	MP_CHECK(ms->in_use && !ms->queued, "mslot_free_locked", "slot not in use or queued",
	         slot, ms->queued);
	ms->in_use = false;
	ms->tid = 0;
	/* Its calls go to the total of Ms gone; the word starts again at 0. */
	atomic_fetch_add(&mp_sched.calls_gone, mc_calls(atomic_load_explicit(&ms->call, relaxed)));
	atomic_store_explicit(&ms->call, 0, relaxed);
	ms->free_next = mp_tab->mfree;
	mp_tab->mfree = slot;
}

/*
 * mp_sched_unlock: every unlock of sched.lock.  The wakes are taken one by
 * one, the count dropped before each is made, so that a handler of ours
 * that interrupts and takes the lock itself (a preemption at depth 0) can
 * at worst make one of them twice (a spurious wake, which every sleeper on
 * park tolerates), never lose one.
 */
void mp_sched_unlock(void)
{
	struct mp_m *mp = &mp_self;
	mp_unlock(&mp_sched.lock);
	uint32_t n;
	while ((n = atomic_load_explicit(&mp->nwakes, relaxed)) > 0) {
		_Atomic uint32_t *w = atomic_load_explicit(&mp->wakes[n - 1], relaxed);
		atomic_signal_fence(memory_order_seq_cst);
		atomic_store_explicit(&mp->nwakes, n - 1, relaxed);
		mp_sched_futex_wake(w);
	}
}
