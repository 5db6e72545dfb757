/*
 * pword.h - the P status word: its layout, the states, the flags, and the
 * table of legal state transitions that p_cas() and p_store_locked()
 * (internal.h) check on every slow-path change.  docs/design.md, "States
 * and transitions", is the long form.
 */
#ifndef MAXPROCS_SCHED_PWORD_H
#define MAXPROCS_SCHED_PWORD_H

#include <stdbool.h>
#include <stdint.h>

/*
 * The P status word.  Every change of a P's state is a CAS on this one
 * 64-bit word, so a thread can never act on a P it no longer owns:
 *
 *   bits  0..3   state   (P_IDLE, P_RUNNING, P_SYSCALL, P_STOPPED)
 *   bits  4..7   flags   (PW_PREEMPT, PW_BLOCKING, PW_STOP, PW_CLAIM)
 *   bits  8..31  tick    bumped by the owner at every enter: the monitor
 *                        compares snapshots to see "still in the same
 *                        syscall" or "no intercepted call since"
 *   bits 32..63  gen     bumped every time the P changes hands (retake,
 *                        hand-off, release, revoke): an M's CAS expects the
 *                        gen it was wired with, so a retaken P is never
 *                        taken back by mistake (no ABA, unlike Go's
 *                        _Psyscall, which needed syscalltick to notice)
 */
enum p_state {
	/* In the idle stack, or in the hands of the party that just took it
	 * (a retaker, a releaser) on its way to a waiter.  Owner: whoever popped
	 * it or won the CAS into IDLE, under sched.lock for the stack. */
	P_IDLE = 0,
	/* Wired to pp->m, which runs user code.  Only that M leaves this state
	 * (enter: CAS to SYSCALL; release: CAS to IDLE), except that the
	 * monitor may revoke it from an M blocked outside the table (CAS to
	 * IDLE with a new gen) and may set flags on it. */
	P_RUNNING = 1,
	/* Its M is in a call that may block and kept the P for a cheap return
	 * (the CAS protocol only: under the membarrier protocol a P whose
	 * holder is in a call stays RUNNING, and the holder's M slot says
	 * "in a call").  No owner: the M's fast exit, the monitor's retake and
	 * a waiter's steal (PW_BLOCKING) all CAS from the same word; exactly
	 * one wins. */
	P_SYSCALL = 2,
	/* Beyond nprocs after a resize.  Nobody may wire it; procresize alone
	 * moves it back to IDLE, under sched.lock. */
	P_STOPPED = 3,
};

#define PW_STATE_MASK  0x0full
#define PW_PREEMPT     0x10ull  /* holder overran its slice while Ms wait */
#define PW_BLOCKING    0x20ull  /* holder is in a known-blocking call */
#define PW_STOP        0x40ull  /* resize: holder must give it up */
/* Membarrier protocol: a retaker or a stealer is deciding whether the
 * holder is still in the call it saw (sched/claim.c).  While it is set
 * nobody else changes the word: every other CAS expects a word without it
 * and fails, and the holder waits for it to clear. */
#define PW_CLAIM       0x80ull
#define PW_FLAGS_MASK  0xf0ull
#define PW_TICK_SHIFT  8
#define PW_TICK_MASK   (0xffffffull << PW_TICK_SHIFT)
#define PW_TICK_ONE    (1ull << PW_TICK_SHIFT)
#define PW_GEN_SHIFT   32
#define PW_GEN_ONE     (1ull << PW_GEN_SHIFT)

static inline unsigned pw_state(uint64_t w) { return (unsigned)(w & PW_STATE_MASK); }
static inline uint32_t pw_gen(uint64_t w) { return (uint32_t)(w >> PW_GEN_SHIFT); }
static inline uint64_t pw_with_state(uint64_t w, unsigned s)
{
	return (w & ~(PW_STATE_MASK | PW_FLAGS_MASK)) | s;
}
/* The word of a P changing hands: new gen, no flags. */
static inline uint64_t pw_next_gen(uint64_t w, unsigned s)
{
	return pw_with_state(w, s) + PW_GEN_ONE;
}

/*
 * Legal changes of the state field, as in Go's casgstatus: [from][to].
 * A change that keeps the state (setting or clearing a flag) is legal in
 * RUNNING and SYSCALL.  Who may make each one is in docs/design.md.
 */
static const bool pw_legal[4][4] = {
	/* from IDLE: assigned to an M; stopped beyond nprocs */
	[P_IDLE]    = { [P_RUNNING] = true, [P_STOPPED] = true },
	/* from RUNNING: enter; release, preempt, revoke; flags */
	[P_RUNNING] = { [P_SYSCALL] = true, [P_IDLE] = true, [P_RUNNING] = true },
	/* from SYSCALL: exit; retake, steal, hand-off; resize; flags */
	[P_SYSCALL] = { [P_RUNNING] = true, [P_IDLE] = true, [P_STOPPED] = true,
	                [P_SYSCALL] = true },
	/* from STOPPED: grown back */
	[P_STOPPED] = { [P_IDLE] = true },
};

/* Held by an M: counted in nheld (invariant 7). */
static inline bool pw_held(uint64_t w)
{
	return pw_state(w) == P_RUNNING || pw_state(w) == P_SYSCALL;
}

#endif
