/*
 * internal.h - the scheduler core's objects: the P table, the M (one per
 * thread, in initial-exec TLS) and the global sched state.  Only the sched/ sources
 * and white-box tests include this.  docs/design.md is the long form.
 */
#ifndef MAXPROCS_SCHED_INTERNAL_H
#define MAXPROCS_SCHED_INTERNAL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "sched/sched.h"
#include "sched/lock.h"

/*
 * The P status word.  Every change of a P's state is a CAS on this one
 * 64-bit word, so a thread can never act on a P it no longer owns:
 *
 *   bits  0..3   state   (P_IDLE, P_RUNNING, P_SYSCALL, P_STOPPED)
 *   bits  4..7   flags   (PW_PREEMPT, PW_BLOCKING, PW_STOP)
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
	/* Its M is in a call that may block and kept the P for a cheap return.
	 * No owner: the M's fast exit, the monitor's retake and a waiter's
	 * steal (PW_BLOCKING) all CAS from the same word; exactly one wins. */
	P_SYSCALL = 2,
	/* Beyond nprocs after a resize.  Nobody may wire it; procresize alone
	 * moves it back to IDLE, under sched.lock. */
	P_STOPPED = 3,
};

#define PW_STATE_MASK  0x0full
#define PW_PREEMPT     0x10ull  /* holder overran its slice while Ms wait */
#define PW_BLOCKING    0x20ull  /* holder is in a known-blocking call */
#define PW_STOP        0x40ull  /* resize: holder must give it up */
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

#define MP_CACHELINE 64

struct mp_m;

struct mp_p {
	/* First line: what the owner touches on the fast path. */
	_Atomic uint64_t word;
	struct mp_m *_Atomic m;        /* owner while RUNNING; meaningless otherwise */
	_Atomic int tid;               /* owner's tid while RUNNING (for the monitor) */
	uint32_t id;
	_Atomic uint64_t enters;       /* written by the owner only */
	_Atomic uint64_t fast_exits;   /* written by the owner only */
	/* Second line: slow-path counters, updated with atomic adds. */
	_Atomic uint64_t slow_exits __attribute__((aligned(MP_CACHELINE)));
	_Atomic uint64_t handoffs;
	_Atomic uint64_t retakes;
	_Atomic uint64_t parks;
	_Atomic uint64_t preempts;
	_Atomic uint64_t signal_preempts;
	_Atomic uint64_t revokes;
	bool in_idle;                  /* in the idle stack; under sched.lock */
	/* The holder must not be sent the preemption signal: its stack may
	 * have no room for a signal frame (copied from its M at assign, set
	 * by the handler when it finds too little room).  Read by the monitor. */
	_Atomic bool sig_unsafe;
	/* Handed to a parked M that has not run yet: asleep on its futex, it
	 * looks blocked, but it is not the holder's fault.  Set under the
	 * lock by the hander, cleared by the new owner when it wakes. */
	_Atomic bool waking;
} __attribute__((aligned(MP_CACHELINE)));

/*
 * An M: one per thread, in initial-exec TLS so the fast path reaches it
 * with one %fs-relative access.  Fields above the line are touched only by
 * the thread itself (and its own signal handler); below it, by whoever
 * hands it a P under sched.lock.
 */
struct mp_m {
	struct mp_p *p;          /* the P held (RUNNING, pp->m == this) or 0 */
	struct mp_p *oldp;       /* the P left in SYSCALL at enter, or 0 */
	uint64_t pword;          /* the P word this M last stored: its next CAS's expectation */
	uint32_t depth;          /* > 0: inside a wrapped call or scheduler code */
	bool acting;             /* the outermost enter found a P: exit must act */
	bool attached;           /* this thread is an M */
	bool sig_unsafe;         /* its stack may not take a signal frame */
	bool disowned;           /* TLS shared with another task: never an M again */
	int tid;

	_Atomic uint32_t park;   /* futex: 0 = waiting, 1 = woken (nextp set or shutdown) */
	struct mp_p *nextp;      /* P handed to this M while parked; under sched.lock */
	uint64_t nextword;       /* the word the hander stored in nextp */
	struct mp_m *qnext;      /* FIFO link of the wait queue; under sched.lock */
	bool queued;             /* in the wait queue; under sched.lock */
	_Atomic int revoked;     /* the monitor took our P while we were blocked */
	_Atomic int64_t revoke_cpu_ns; /* our CPU clock when it did */
	int revoke_slot;         /* monitor's slot watching us; under sched.lock */
};

extern __thread struct mp_m mp_self __attribute__((tls_model("initial-exec")));

/* The monitor's record of an M whose P it revoked: it watches the thread's
 * CPU clock and signals it once it runs again without a P. */
struct mp_revoked {
	int tid;                 /* 0: slot free */
	int64_t last_cpu_ns;     /* CPU clock at the last sample */
	uint64_t sampled_at_ns;  /* when it was taken (0: at the revoke) */
	uint64_t run_since_ns;   /* computing without a break since (0: not) */
	uint64_t signaled_at_ns;
	bool sig_unsafe;         /* its stack may not take the signal frame */
};

struct mp_sched {
	struct mp_lock lock;           /* slow paths only */
	_Atomic int active;            /* 0 before init and after shutdown */
	_Atomic uint32_t nprocs;       /* Ps usable now */
	_Atomic uint32_t ptable_len;   /* Ps ever used: the monitor scans these */
	_Atomic uint32_t nwaiting;     /* Ms in the queue; read without the lock */
	_Atomic uint32_t npidle;       /* Ps in the idle stack */
	_Atomic uint32_t nthreads;     /* attached Ms */
	_Atomic uint32_t nheld;        /* Ps RUNNING or SYSCALL */
	_Atomic uint32_t nheld_hwm;
	_Atomic uint64_t overshoot_ns;
	_Atomic uint64_t preempt_signals;
	_Atomic int preempt_signo;     /* 0: no signal preemption */
	/* si_value of our preemption signals: a handler tells them from the
	 * program's own signals of the same number by it. */
	uintptr_t preempt_cookie;
	uint32_t pidle[MP_MAXPROCS];   /* idle stack of P ids; under lock */
	struct mp_m *qhead, *qtail;    /* FIFO of parked Ms; under lock */
	struct mp_revoked revoked[MP_MAXPROCS]; /* under lock */
	_Atomic uint32_t nrevoked;     /* slots in use; written under lock */

	/* Monitor. */
	_Atomic uint32_t mon_word;     /* futex the monitor sleeps on */
	_Atomic int mon_sleeping;      /* deep sleep: a waiter must wake it */
	_Atomic int mon_stop;
	_Atomic int mon_running;
	pthread_t mon_thread;
	struct mp_options opt;
	uint64_t start_ns;
	int pid;
};

extern struct mp_p mp_allp[MP_MAXPROCS];
extern struct mp_sched mp_sched;

/* proc.c: used by the monitor. */
void mp_retake_locked(struct mp_p *pp);
void mp_p_put_locked(struct mp_p *pp);
bool mp_revoke(struct mp_p *pp, uint64_t w, int64_t cpu_ns);
void mp_monitor_wake(void);
uint64_t mp_now_ns(void);

/* Invariant checks: compiled in debug builds (MP_DEBUG), gone in release. */
void mp_throw(const char *fn, const char *what, long a, long b)
	__attribute__((noreturn, cold));
#ifdef MP_DEBUG
#define MP_CHECK(cond, fn, what, a, b) \
	do { if (__builtin_expect(!(cond), 0)) mp_throw(fn, what, (long)(a), (long)(b)); } while (0)
#else
#define MP_CHECK(cond, fn, what, a, b) do { (void)sizeof(cond); } while (0)
#endif

#define sfence() atomic_signal_fence(memory_order_seq_cst)

#endif
