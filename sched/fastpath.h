/*
 * fastpath.h - the enter/exit fast paths, inline so that a wrapper pays
 * for a few plain loads and stores and nothing else: no call, no locked
 * instruction, no register spills around a call.  The slow halves are out
 * of line in syscall.c.  docs/design.md, "The fast path without a locked
 * instruction", holds the protocol and its race argument.
 *
 * Two protocols, chosen once at init (mp_asym):
 *   membarrier  the holder's enter and exit are plain stores to its M
 *               slot's call word and a plain load of the P word; the rare
 *               party that takes a P from a holder in a call pays for the
 *               ordering of both sides with one membarrier (claim.c);
 *   CAS         where membarrier is missing or refused, and under TSan:
 *               the holder CASes the P word RUNNING <-> SYSCALL, as Go
 *               does.
 * Both count the call in the call word (MC_*): the counters need nothing
 * else on the fast path.
 */
#ifndef MAXPROCS_SCHED_FASTPATH_H
#define MAXPROCS_SCHED_FASTPATH_H

#include "sched/internal.h"

void mp_enter_slow(struct mp_m *mp, uint64_t flags) __attribute__((cold));
void mp_exit_slow(struct mp_m *mp) __attribute__((cold));
void mp_enter_blocking_handoff(struct mp_m *mp) __attribute__((cold));
void mp_check_m(const struct mp_m *mp, const char *fn);

/*
 * mp_exit_slow for the inline fast exit.  On x86_64 it preserves every
 * general register (fastslow.c, built with -mgeneral-regs-only), so the
 * wrapper around a fast exit keeps the real call's result in rax across
 * it and needs no callee-saved register nor frame for it: two pushes and
 * pops, and a stack adjustment, fewer on every call.  It may clobber the
 * vector registers, which every caller of a libc function expects.
 */
#if defined(__x86_64__) && !MP_TSAN
void mp_fast_exit_slow(void) __attribute__((no_caller_saved_registers, cold));
/* Called from asm so the compiler knows nothing is clobbered (GCC keeps
 * rax anyway around a no_caller_saved_registers call, and a cleanup's
 * landing pad then needs a register for the exception too).  The wrapper
 * makes calls of its own, so its stack is aligned here and it keeps
 * nothing in the red zone. */
#define MP_FAST_EXIT_SLOW(mp) __asm__ volatile("call mp_fast_exit_slow" ::: "memory", "cc")
#else
#define MP_FAST_EXIT_SLOW(mp) mp_exit_slow(mp)
#endif

/*
 * The monitor is about to signal this M, which enters a call: wait for the
 * signal here (mp_signal_coming_wait, preempt.c).  The inline enter calls
 * it as it calls the slow exit, every general register kept, so the
 * wrapper's arguments stay where they arrived.
 */
void mp_signal_coming_wait(struct mp_mslot *ms) __attribute__((cold));
#if defined(__x86_64__) && !MP_TSAN
void mp_fast_signal_wait(void) __attribute__((no_caller_saved_registers, cold));
#define MP_FAST_SIGNAL_WAIT(mp) __asm__ volatile("call mp_fast_signal_wait" ::: "memory", "cc")
#else
#define MP_FAST_SIGNAL_WAIT(mp) mp_signal_coming_wait(mslot_of_call((mp)->call))
#endif

/* After the enter's store of the call word (and, under CAS, its CAS): the
 * monitor sets signal_coming, then (membarrier, or a full fence) reads the
 * call word, so either it sees us in the call and sends nothing, or this
 * load sees its flag. */
static inline __attribute__((always_inline)) bool mp_signal_is_coming(const struct mp_m *mp)
{
	return __builtin_expect(atomic_load_explicit(&mslot_of_call(mp->call)->signal_coming,
	                                             memory_order_relaxed) != 0, 0);
}

/* Debug builds: the call word of the call whose enter has looked (or
 * waited) past the announcement; our signal may not land in it (invariant
 * 10, checked in mp_signal_landed).  Between the call word's store and
 * the look it may: the look then finds the flag cleared. */
#ifdef MP_DEBUG
extern __thread uint64_t mp_signal_checked_call __attribute__((tls_model("initial-exec")));
#define mp_signal_checked(mp) \
	(mp_signal_checked_call = atomic_load_explicit((mp)->call, memory_order_relaxed))
#else
#define mp_signal_checked(mp) ((void)0)
#endif

#ifdef MP_DEBUG
#define mp_fast_check_m(mp, fn) mp_check_m(mp, fn)
#else
#define mp_fast_check_m(mp, fn) ((void)0)
#endif

/* The M's own call word: never a locked add (the M is its only writer;
 * the monitor and stats read it).  On x86_64 one unlocked add to memory,
 * which a reader sees whole, before or after; elsewhere a relaxed load and
 * store.  TSan sees the C form. */
static inline void mc_add(_Atomic uint64_t *c, uint64_t add)
{
#if defined(__x86_64__) && !MP_TSAN
	__asm__ volatile("addq %1, %0" : "+m"(*(uint64_t *)c) : "er"(add));
#else
	atomic_store_explicit(c, atomic_load_explicit(c, memory_order_relaxed) + add,
	                      memory_order_relaxed);
#endif
}

/* The word of a P whose holder enters a call (CAS protocol): SYSCALL, tick + 1. */
static inline uint64_t pw_entered(uint64_t w, uint64_t flags)
{
	uint64_t tick = ((w & PW_TICK_MASK) + PW_TICK_ONE) & PW_TICK_MASK;
	return (w & ~(PW_TICK_MASK | PW_STATE_MASK | PW_FLAGS_MASK)) | tick | flags | P_SYSCALL;
}

/* Ms wait for a P: a hint (relaxed), for the wrappers of blocking calls. */
static inline bool mp_waiters(void)
{
	return atomic_load_explicit(&mp_sched.nwaiting, memory_order_relaxed) != 0;
}

/*
 * mp_fast_enter (Go's reentersyscall), the membarrier protocol only.
 * Returns false, having changed nothing, if the caller must take the
 * general path instead (mp_enter_syscall / mp_enter_blocking): nested (a
 * handler inside a wrapped call, or our own code), not an M, or the CAS
 * protocol.  Otherwise the M is in the call: its call word says so, m.p
 * moved to m.oldp, and the caller must call mp_fast_exit with the same
 * kind.
 *
 * depth is raised first and m.p read after it: our preemption handler
 * acts only at depth 0, so it never changes m.p under us between the read
 * and the store of NULL.  The P word is not looked at: a flag or a revoke
 * is seen by the exit, which must look anyway.
 */
static inline __attribute__((always_inline)) bool mp_fast_enter_if(uint64_t mc_enter,
                                                                   const bool *ok)
{
	struct mp_m *mp = &mp_self;
	uint32_t d = mp->depth;
	struct mp_p *pp;
	if (__builtin_expect(d != 0, 0))
		return false;
	mp->depth = 1;
	sfence();
	pp = mp->p;
	if (__builtin_expect(pp == NULL || !*ok, 0)) {
		sfence();
		mp->depth = 0;
		return false;
	}
	mp_fast_check_m(mp, "enter");
	mc_add(mp->call, mc_enter);
	sfence();   /* in the call before m.p is 0: see mp_preempt_signal */
	if (mp_signal_is_coming(mp))
		MP_FAST_SIGNAL_WAIT(mp);
	mp_signal_checked(mp);
	mp->p = NULL;   /* m.oldp is pp already: it is the P held, or left */
	return true;
}

/* *ok: mp_fast_ok, read where the enter has always read it (a pointer, so
 * that the compiler does not load it early into a register: one
 * instruction more on the fast path), or mp_fast_true for the profiler's
 * timed fast bracket (preload/wrap.h), whose caller has seen mp_asym. */
static const bool mp_fast_true = true;

static inline __attribute__((always_inline)) bool mp_fast_enter(uint64_t mc_enter)
{
	return mp_fast_enter_if(mc_enter, &mp_fast_ok);
}

/*
 * mp_fast_exit (Go's exitsyscall): say "out of the call", then look at the
 * P word.  Unchanged since the M last saw it: the P is still ours (a
 * claimer that set PW_CLAIM before this load would have changed it; one
 * that sets it after will read our call word after its membarrier and
 * leave the P alone).  Anything else: mp_exit_slow sorts it out (a claim
 * in progress, a flag, a retake or a revoke).
 */
static inline __attribute__((always_inline)) void mp_fast_exit(uint64_t mc_exit)
{
	struct mp_m *mp = &mp_self;
	struct mp_p *pp = mp->oldp;
	mc_add(mp->call, mc_exit);
	sfence();   /* the store above, then the load below (the compiler's order;
	               the CPU's is the claimer's membarrier's business) */
	if (__builtin_expect(atomic_load_explicit(&pp->word, memory_order_relaxed) == mp->pword, 1)) {
		mp->p = pp;
	} else {
		MP_FAST_EXIT_SLOW(mp);
	}
	sfence();
	mp->depth = 0;
}

/*
 * The general enter, both protocols (the wrappers' fallback and the
 * out-of-line entry points).  CAS protocol: m.p moves to m.oldp, m.p
 * becomes 0 and the P goes RUNNING -> SYSCALL with one CAS that expects
 * exactly the word this M stored.  The CAS fails only when somebody else
 * wrote the word: a flag (preempt, stop) or a new gen (revoked);
 * mp_enter_slow sorts that out.
 */
static inline __attribute__((always_inline)) void mp_enter_general(uint64_t flags, uint64_t mc_enter)
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
	mp->acting = true;
	mc_add(mp->call, mc_enter);
	if (mp_asym) {
		sfence();
		mp->oldp = pp;
		mp->p = NULL;
	} else {
		uint64_t w = mp->pword;
		uint64_t nw = pw_entered(w, flags);
		/* Nothing is stored between the call word and the CAS: a locked
		 * instruction waits for every earlier store to drain. */
		if (__builtin_expect(atomic_compare_exchange_strong(&pp->word, &w, nw), 1)) {
			mp->pword = nw;
			mp->oldp = pp;
			mp->p = NULL;
		} else {
			mp_enter_slow(mp, flags);
		}
	}
	if (mp_signal_is_coming(mp))
		mp_signal_coming_wait(mslot_of_call(mp->call));
	mp_signal_checked(mp);
}

static inline __attribute__((always_inline)) void mp_enter_syscall_fast(void)
{
	mp_enter_general(0, MC_ENTER);
}

/*
 * Go's entersyscallblock: the call is known to block, so when an M waits
 * the P goes to it at once.  When none waits the P stays with the holder,
 * marked blocking (PW_BLOCKING in the CAS protocol, MC_BLOCKING in the
 * call word in the other): the holder can still come back fast, and a
 * later waiter takes it without waiting for a monitor tick.
 *
 * The holder's store (CAS or call word) and its load of nwaiting pair with
 * the waiter's increment of nwaiting and its scan (steal_blocking).  Under
 * CAS both sides are full barriers, so one always sees the other.  Under
 * membarrier the holder's side is plain: both may miss, and then the
 * monitor, which ticks while anyone waits, takes the P at its next pass.
 */
static inline __attribute__((always_inline)) void mp_enter_blocking_fast(void)
{
	mp_enter_general(PW_BLOCKING, MC_ENTER_BLOCKING);
	struct mp_m *mp = &mp_self;
	if (mp->depth == 1 && mp->oldp &&
	    atomic_load_explicit(&mp_sched.nwaiting, memory_order_relaxed) != 0)
		mp_enter_blocking_handoff(mp);
}

/*
 * A waiter spins for a P (sched/spinwait.c) and this M holds one, outside
 * any call: a may-block call that would sleep should give it over at once
 * (the LOOK_FIRST rows, preload/look.h).  spinner has a line of its own,
 * written when a spin starts and ends, so this load costs nothing while
 * nobody waits.
 */
static inline bool mp_spinner_waits(void)
{
	return atomic_load_explicit(&mp_sched.spinner, memory_order_relaxed) >= 0 &&
	       mp_self.p && !mp_self.depth;
}

/*
 * Any M waits for a P, spinning or parked, and this M holds one outside any
 * call.  For the calls whose look is the call itself when it would not
 * sleep (poll, epoll_wait: look.h), a look costs nothing then, so they look
 * whenever anyone waits: a holder that would sleep in epoll_wait with
 * nothing ready gives its P over at once, as a blocking call does, instead
 * of keeping it until its next slice.  nwaiting's line changes only when
 * Ms queue and leave.
 */
static inline bool mp_anyone_waits(void)
{
	return (atomic_load_explicit(&mp_sched.spinner, memory_order_relaxed) >= 0 ||
	        atomic_load_explicit(&mp_sched.nwaiting, memory_order_relaxed) != 0) &&
	       mp_self.p && !mp_self.depth;
}

/*
 * The general exit.  CAS protocol: CAS the old P from the exact SYSCALL
 * word we stored back to RUNNING.  Any other word means it was retaken,
 * flagged or stopped: mp_exit_slow.  m.p is set last and depth cleared
 * after it, so our own preemption handler never sees a half-done exit.
 * The call word learns "out of the call" from (c | MC_BLOCKING) + MC_EXIT_BLOCKING,
 * whichever kind of enter it was.
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
		mp->acting = false;
		/* relaxed: our own call word (we are its only writer, as mc_add) */
		uint64_t c = atomic_load_explicit(mp->call, memory_order_relaxed);
		atomic_store_explicit(mp->call, (c | MC_BLOCKING) + MC_EXIT_BLOCKING,
		                      memory_order_relaxed);
		struct mp_p *pp = mp->oldp;
		uint64_t w = mp->pword;
		if (mp_asym) {
			sfence();
			/* relaxed: a claimer's membarrier orders it against the
			 * store above (claim.c), as the inline exit's plain load */
			if (pp && atomic_load_explicit(&pp->word, memory_order_relaxed) == w) {
				mp->p = pp;
			} else {
				mp_exit_slow(mp);
			}
		} else {
			uint64_t nw = pw_with_state(w, P_RUNNING);
			if (__builtin_expect(pp != NULL, 1) &&
			    __builtin_expect(atomic_compare_exchange_strong(&pp->word, &w, nw), 1)) {
				mp->pword = nw;
				sfence();
				mp->p = pp;
			} else {
				mp_exit_slow(mp);
			}
		}
		mp_fast_check_m(mp, "exit_syscall");
	}
	sfence();
	mp->depth = 0;
}

#endif
