/*
 * claim.c - taking a P from a holder that is in a call, under the
 * membarrier protocol (docs/design.md, "The fast path without a locked
 * instruction").
 *
 * The holder writes nothing shared but its call word, with plain stores,
 * and reads its P word with a plain load.  A party that wants the P (the
 * monitor's retake, a waiter's steal) cannot just CAS the P word: the
 * holder would not see it in time.  It claims instead:
 *
 *   1. CAS the P word w -> w | PW_CLAIM, where w is the word it saw with
 *      the holder in the call c (the holder's call word);
 *   2. membarrier: every thread of ours that runs executes a full barrier,
 *      and one that does not run had one at its context switch;
 *   3. read the call word again: still c, the holder is still in that very
 *      call, and its exit, whenever it comes, reads the P word after the
 *      barrier and sees the claim: take the P (word -> IDLE, next gen).
 *      Anything else, the holder came back (or is in a later call; the
 *      retake rules looked at the earlier one): clear the claim.
 *
 * One membarrier settles any number of claims, so a monitor pass that
 * retakes several Ps pays once.  A claimer never blocks and never takes
 * sched.lock while a claim is set, so a holder (or anybody) that finds
 * PW_CLAIM may wait for it to clear with the lock held.
 */
#include <errno.h>

#include "sched/internal.h"
#include "sched/relax.h"
#include "shim/membarrier.h"

#define relaxed memory_order_relaxed

#ifdef MP_DEBUG
__thread int mp_claims_pending __attribute__((tls_model("initial-exec")));
#define pending_add(n) (mp_claims_pending += (n))
#else
#define pending_add(n) ((void)0)
#endif

/* Spins before each sched_yield while a claim is pending: a claim lasts one
 * membarrier (0.2-4 us), unless the claimer lost its CPU. */
#define CLAIM_SPINS 200

uint64_t claim_wait(struct mp_p *pp)
{
	uint64_t w = atomic_load(&pp->word);
	for (unsigned i = 1; w & PW_CLAIM; i++) {
		if (i % CLAIM_SPINS)
			mp_cpu_relax();
		else
			mp_raw_syscall(SYS_sched_yield, 0, 0, 0);
		w = atomic_load(&pp->word);
	}
	return w;
}

bool claim_begin(struct mp_claim *c, struct mp_p *pp, uint64_t w, uint64_t call)
{
	if (!mp_asym || (w & PW_CLAIM) || pw_state(w) != P_RUNNING || !mc_incall(call))
		return false;
	uint64_t cw = w | PW_CLAIM;
	if (!p_cas(pp, &w, cw, "claim_begin"))
		return false;
	c->pp = pp;
	c->w = cw;
	c->call = call;
	c->slot = atomic_load_explicit(&pp->mslot, relaxed);   /* fixed while claimed */
	pending_add(1);
	return true;
}

static bool barrier_warned;

int claims_settle(struct mp_claim *c, int n)
{
	if (n == 0)
		return 0;
	if (mp_membarrier() != 0 && !barrier_warned) {
		/* Registered at init, refused now: a seccomp filter installed
		 * since.  Carry on: a holder that returned in the same few
		 * nanoseconds may run on with the P until its next call, as a
		 * revoked one does (counted in overshoot). */
		barrier_warned = true;
		static const char msg[] = "maxprocs: membarrier refused after init: "
		                          "retakes proceed unconfirmed\n";
		mp_raw_syscall(SYS_write, 2, msg, sizeof msg - 1);
	}
	int taken = 0;
	for (int i = 0; i < n; i++) {
		struct mp_p *pp = c[i].pp;
		uint64_t w = c[i].w;
		/* relaxed: the membarrier above orders it (step 3) */
		uint64_t now = atomic_load_explicit(&mslot(c[i].slot)->call, relaxed);
		if (now == c[i].call) {
			p_cas_claimed(pp, w, pw_next_gen(w, P_IDLE), "claims_settle");
			taken++;
		} else {
			p_cas_claimed(pp, w, w & ~PW_CLAIM, "claims_settle");
			c[i].pp = NULL;
		}
		pending_add(-1);
	}
	return taken;
}
