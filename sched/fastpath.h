/*
 * fastpath.h - the enter/exit fast paths, inline so that a wrapper in the
 * preload pays for one CAS on each side and nothing else: no call, no
 * register spills around a call.  The slow halves are out of line in
 * proc.c.  The protocol is described at mp_enter_syscall in docs/design.md.
 */
#ifndef MAXPROCS_SCHED_FASTPATH_H
#define MAXPROCS_SCHED_FASTPATH_H

#include "sched/internal.h"

void mp_enter_slow(struct mp_m *mp, uint64_t flags) __attribute__((cold));
void mp_exit_slow(struct mp_m *mp) __attribute__((cold));
void mp_enter_blocking_handoff(struct mp_m *mp) __attribute__((cold));
void mp_check_m(const struct mp_m *mp, const char *fn);

#ifdef MP_DEBUG
#define mp_fast_check_m(mp, fn) mp_check_m(mp, fn)
#else
#define mp_fast_check_m(mp, fn) ((void)0)
#endif

/* A counter only the P's owner writes: a plain load and store, no RMW. */
static inline void mp_count_owner(_Atomic uint64_t *c)
{
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + 1,
	                      memory_order_relaxed);
}

/* The word of a P whose holder enters a call: SYSCALL, tick + 1. */
static inline uint64_t pw_entered(uint64_t w, uint64_t flags)
{
	uint64_t tick = ((w & PW_TICK_MASK) + PW_TICK_ONE) & PW_TICK_MASK;
	return (w & ~(PW_TICK_MASK | PW_STATE_MASK | PW_FLAGS_MASK)) | tick | flags | P_SYSCALL;
}

/*
 * enter (Go's reentersyscall): m.p moves to m.oldp, m.p becomes 0 and the
 * P goes RUNNING -> SYSCALL with one CAS that expects exactly the word this
 * M stored.  The CAS fails only when somebody else wrote the word: a flag
 * (preempt, stop) or a new gen (revoked); mp_enter_slow sorts that out.
 */
static inline __attribute__((always_inline)) void mp_enter_fast(uint64_t flags)
{
	struct mp_m *mp = &mp_self;
	if (mp->depth++)
		return;   /* nested: a handler inside a wrapped call, or our own code */
	sfence();
	struct mp_p *pp = mp->p;
	if (!pp) {
		mp->acting = false;
		return;   /* not an M (or shut down): pass through */
	}
	mp_fast_check_m(mp, "enter");
	uint64_t w = mp->pword;
	uint64_t nw = pw_entered(w, flags);
	/* Nothing is stored between depth and the CAS: a locked instruction
	 * waits for every earlier store to drain.  The enter is counted by the
	 * exit, once this M owns a P again. */
	if (__builtin_expect(atomic_compare_exchange_strong(&pp->word, &w, nw), 1)) {
		mp->acting = true;
		mp->pword = nw;
		mp->oldp = pp;
		mp->p = NULL;
		return;
	}
	mp->acting = true;
	mp_enter_slow(mp, flags);
}

static inline __attribute__((always_inline)) void mp_enter_syscall_fast(void)
{
	mp_enter_fast(0);
}

/*
 * Go's entersyscallblock: the call is known to block, so when an M waits
 * the P goes to it at once.  When none waits the P stays in SYSCALL marked
 * BLOCKING: the holder can still come back fast, and a later waiter takes
 * it without waiting for a monitor tick.  The CAS in enter and the load of
 * nwaiting here pair with park_locked's increment of nwaiting and its scan:
 * one of the two sides always sees the other.
 */
static inline __attribute__((always_inline)) void mp_enter_blocking_fast(void)
{
	mp_enter_fast(PW_BLOCKING);
	struct mp_m *mp = &mp_self;
	if (mp->depth == 1 && mp->oldp && atomic_load(&mp_sched.nwaiting) != 0)
		mp_enter_blocking_handoff(mp);
}

/*
 * Go's exitsyscall.  Fast: CAS the old P from the exact SYSCALL word we
 * stored back to RUNNING.  Any other word means it was retaken, flagged or
 * stopped: mp_exit_slow.  m.p is set last and depth cleared after it, so
 * our own preemption handler never sees a half-done exit.
 */
static inline __attribute__((always_inline)) void mp_exit_syscall_fast(void)
{
	struct mp_m *mp = &mp_self;
	if (mp->depth != 1) {
		if (mp->depth)
			mp->depth--;
		return;
	}
	if (mp->acting) {
		struct mp_p *pp = mp->oldp;
		uint64_t w = mp->pword;
		uint64_t nw = pw_with_state(w, P_RUNNING);
		if (__builtin_expect(pp != NULL, 1) &&
		    __builtin_expect(atomic_compare_exchange_strong(&pp->word, &w, nw), 1)) {
			mp->acting = false;   /* after the CAS: see mp_enter_fast */
			mp_count_owner(&pp->enters);
			mp_count_owner(&pp->fast_exits);
			mp->oldp = NULL;
			mp->pword = nw;
			sfence();
			mp->p = pp;
		} else {
			mp->acting = false;
			mp_exit_slow(mp);
			mp_fast_check_m(mp, "exit_syscall");
		}
	}
	sfence();
	mp->depth = 0;
}

#endif
