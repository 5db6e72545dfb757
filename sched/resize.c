/*
 * resize.c - mp_procresize: changing the number of Ps while Ms run.
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
 * The membarrier protocol leaves a P whose holder is in a call RUNNING:
 * claim each one beyond the new size and settle them with one membarrier,
 * so those still in their call stop at once, as SYSCALL ones do under
 * CAS.  Claiming under sched.lock is safe: a claimer must only never wait
 * while its claims are set, and this one waits for nothing.
 */
#define RESIZE_BATCH 32

static void stop_in_calls_locked(uint32_t from, uint32_t to)
{
	struct mp_claim c[RESIZE_BATCH];
	for (uint32_t i = from; i < to;) {
		int n = 0;
		for (; i < to && n < RESIZE_BATCH; i++) {
			struct mp_p *pp = &mp_allp[i];
			uint64_t call, w = atomic_load(&pp->word);
			if (p_view(pp, w, &call) == P_SYSCALL && claim_begin(&c[n], pp, w, call))
				n++;
		}
		claims_settle(c, n);
		for (int k = 0; k < n; k++)
			if (c[k].pp)
				mp_p_put_locked(c[k].pp);   /* beyond nprocs: stopped */
	}
}

/*
 * procresize: Ps [n, old) stop: an idle one at once, one in SYSCALL by CAS
 * (its M's exit goes slow), a RUNNING one when its holder next enters or
 * exits (PW_STOP; the monitor's signal reaches holders that make no calls,
 * and under the membarrier protocol, where a holder in a call leaves its P
 * RUNNING, the monitor retakes it from a holder that stays in the call).
 * Ps [old, n) start and go to waiters first.
 */
int mp_procresize(uint32_t n)
{
	if (n < 1 || n > MP_MAXPROCS)
		return -EINVAL;
	struct mp_m *mp = &mp_self;
	mp->depth++;
	mp_lock(&mp_sched.lock);
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	atomic_store(&mp_sched.nprocs, n);
	if (mp_asym && n < len)
		stop_in_calls_locked(n, len);
	if (n > len)
		atomic_store(&mp_sched.ptable_len, n);
	for (uint32_t i = 0; i < (n > len ? n : len); i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = claim_wait(pp);
		for (;;) {
			unsigned s = pw_state(w);
			uint64_t nw;
			if (i < n) {
				if (s == P_STOPPED) {
					p_store_locked(pp, pw_next_gen(w, P_IDLE), "mp_procresize");
					mp_p_put_locked(pp);
					break;
				}
				if (!(w & PW_STOP))
					break;
				nw = w & ~PW_STOP;   /* grown back before the holder noticed */
			} else if (s == P_IDLE) {
				if (pp->in_idle) {
					pidle_remove_locked(pp);
					p_store_locked(pp, pw_next_gen(w, P_STOPPED), "mp_procresize");
				}
				break;   /* not in the stack: its claimer's put stops it */
			} else if (s == P_SYSCALL) {
				nw = pw_next_gen(w, P_STOPPED);
			} else if (s == P_RUNNING) {
				if (w & PW_STOP)
					break;
				nw = w | PW_STOP;
			} else {
				break;
			}
			if (p_cas(pp, &w, nw, "mp_procresize"))
				break;
			if (w & PW_CLAIM)
				w = claim_wait(pp);
		}
	}
	bool wake = atomic_load(&mp_sched.mon_sleeping);
	mp_sched_unlock();
	if (wake)
		mp_monitor_wake();
	mp->depth--;
	return 0;
}
