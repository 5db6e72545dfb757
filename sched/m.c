/*
 * m.c - the life of an M: attach, detach, reservation while a thread
 * starts, disowning (shared TLS), vfork, and the accessors.
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

/* nthreads counts attached Ms and Ms being started (reserved).  Dropping
 * to 0 wakes a monitor that leaves when no M exists. */
static void nthreads_dec(void)
{
	if (atomic_fetch_sub(&mp_sched.nthreads, 1) == 1 && mp_sched.opt.monitor_leaves)
		mp_monitor_wake();
}

static void m_attach(bool reserved)
{
	struct mp_m *mp = &mp_self;
	if (!atomic_load(&mp_sched.active) || mp->attached || mp->disowned) {
		if (reserved)
			nthreads_dec();
		return;
	}
	mp->depth++;
	mp->tid = mp_raw_gettid();
	mp->acting = false;
	mp->p = mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	mp->slot = mslot_alloc_locked(mp->tid);
	if (mp->slot < 0) {
		/* No slot left: this thread runs uncapped (fail open). */
		mp_sched_unlock();
		if (reserved)
			nthreads_dec();
		sfence();
		mp->depth--;
		return;
	}
	mslot(mp->slot)->sig_unsafe = mp->sig_unsafe;
	mp->call = &mslot(mp->slot)->call;
	mp->attached = true;
	if (!reserved)
		atomic_fetch_add(&mp_sched.nthreads, 1);
	park_locked(mp);
	sfence();
	mp->depth--;
}

void mp_m_attach(void) { m_attach(false); }
void mp_m_attach_reserved(void) { m_attach(true); }

void mp_m_reserve(void)
{
	atomic_fetch_add(&mp_sched.nthreads, 1);   /* seq_cst: pairs with monitor_leave */
}

void mp_m_unreserve(void)
{
	nthreads_dec();
}

void mp_m_disown(void)
{
	mp_m_detach();
	mp_self.disowned = true;
}

void mp_m_detach(void)
{
	struct mp_m *mp = &mp_self;
	if (!mp->attached)
		return;
	mp->depth++;
	mp_lock(&mp_sched.lock);
	mp_check_m(mp, "mp_m_detach");
	struct mp_mslot *ms = mslot(mp->slot);
	if (ms->queued) {
		/* Leaving while in the queue (no path does today: parked Ms
		 * block signals; kept so that no exit can leave a dangling
		 * link in the queue). */
		waitq_remove_locked(mp->slot);
	} else if (!mp->p && atomic_load_explicit(&ms->park, acquire) && ms->nextp >= 0) {   /* acquire: the hander's nextp */
		/* Handed a P while leaving a park it never finished. */
		wire(mp, &mp_allp[ms->nextp], ms->nextword);
		atomic_store(&mp->p->waking, false);
		ms->nextp = -1;
	}
	if (mp->p) {
		release_locked(mp);
	} else if (mp->oldp) {
		/* Leaving from inside a call (a cancellation whose cleanup did
		 * not run): the P may still be ours, left in the call. */
		struct mp_p *pp = mp->oldp;
		uint64_t w = mp->pword;
		claim_wait(pp);
		if (p_cas(pp, &w, pw_next_gen(w, P_IDLE), "mp_m_detach"))
			mp_p_put_locked(pp);
		mp->oldp = NULL;
	}
	MP_CHECK(!ms->queued, "mp_m_detach", "leaving while in the queue", mp->tid, 0);
	mslot_free_locked(mp->slot);
	mp->slot = -1;
	mp->call = NULL;
	mp->attached = false;
	mp->acting = false;
	mp_sched_unlock();
	nthreads_dec();
	sfence();
	mp->depth--;
}

void mp_count_trap(void)
{
	count(&mp_sched.traps);
}

void mp_monitor_keep_signal_open(int sig)
{
	mp_sched.mon_open_signals |= 1ull << (sig - 1);
}

void mp_m_vfork_begin(void)
{
	mp_self.depth++;
	sfence();
}

void mp_m_vfork_end(void)
{
	sfence();
	mp_self.depth--;
}

bool mp_m_attached(void) { return mp_self.attached; }
uint64_t mp_m_wait_ns(void) { return mp_self.wait_ns; }
int mp_sched_pid(void) { return mp_sched.pid; }
bool mp_m_holds_p(void) { return mp_self.p != NULL; }
int mp_m_pid(void) { return mp_self.p ? (int)mp_self.p->id : -1; }
bool mp_sched_active(void) { return atomic_load(&mp_sched.active); }

void mp_m_set_signal_ok(bool ok)
{
	struct mp_m *mp = &mp_self;
	mp->sig_unsafe = !ok;
	if (mp->attached)
		mslot(mp->slot)->sig_unsafe = !ok;
	if (mp->p)   /* relaxed: not under the lock; a hint the monitor reads late or early */
		atomic_store_explicit(&mp->p->sig_unsafe, !ok, relaxed);
}
