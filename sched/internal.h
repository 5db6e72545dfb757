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
#include "sched/pword.h"
#include "shim/raw_syscall.h"

#define MP_CACHELINE 64

/* ThreadSanitizer cannot see membarrier's ordering: its builds use the CAS
 * protocol only. */
#if defined(__SANITIZE_THREAD__)
#define MP_TSAN 1
#elif defined(__has_feature)
#if __has_feature(thread_sanitizer)
#define MP_TSAN 1
#endif
#endif
#ifndef MP_TSAN
#define MP_TSAN 0
#endif

/* The core's globals are the library's own: the fast path reaches them
 * rip-relative, not through the GOT. */
#define MP_HIDDEN __attribute__((visibility("hidden")))

struct mp_m;

struct mp_p {
	/* First line: what the owner touches on the fast path. */
	_Atomic uint64_t word;
	_Atomic int32_t mslot;         /* owner's M slot while RUNNING; meaningless otherwise */
	_Atomic int tid;               /* owner's (pid, tid) while RUNNING (for the monitor) */
	_Atomic int pid;
	uint32_t id;
	/* Second line: slow-path counters (counters.def, P), atomic adds. */
	struct {
#define MP_COUNTER_CALLS(name)
#define MP_COUNTER_P(name) _Atomic uint64_t name;
#define MP_COUNTER_SCHED(name)
#define MP_COUNTER(where, name, ...) MP_COUNTER_##where(name)
#include "sched/counters.def"
#undef MP_COUNTER_CALLS
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
#undef MP_COUNTER
	} __attribute__((aligned(MP_CACHELINE)));
	bool in_idle;                  /* in the idle stack; under sched.lock */
	/* The holder must not be sent the preemption signal: its stack may
	 * have no room for a signal frame (copied from its M at assign, set
	 * by the handler when it finds too little room).  Read by the monitor. */
	_Atomic bool sig_unsafe;
	/* Handed to a parked M that has not run yet: asleep on its futex, it
	 * looks blocked, but it is not the holder's fault.  Set under the
	 * lock by the hander, cleared by the new owner when it wakes. */
	_Atomic bool waking;
	/* When it was handed (mp_now_ns), with opt.count_waits: the new owner
	 * adds the time to its wiring to handwake_ns.  Written by the hander
	 * before its release of park, read by the owner after its acquire. */
	uint64_t handed_at;
} __attribute__((aligned(MP_CACHELINE)));

/* Futex wakes an M defers to its unlock of sched.lock; more wake at once. */
#define MP_DEFERRED_WAKES 4

/*
 * An M: one per thread, in initial-exec TLS so the fast path reaches it
 * with one %fs-relative access.  Fields above the line are touched only by
 * the thread itself (and its own signal handler); below it, by whoever
 * hands it a P under sched.lock.
 */
struct mp_m {
	struct mp_p *p;          /* the P held (RUNNING, owned by this M's slot) or 0 */
	struct mp_p *oldp;       /* the P held (== p) or left in a call (p == 0:
	                            SYSCALL, or RUNNING under the membarrier
	                            protocol), or 0: wired with p, cleared when lost */
	uint64_t pword;          /* the P word as this M last saw it its own: what its
	                            next CAS expects, or its exit compares */
	_Atomic uint64_t *call;  /* its M slot's call word (mslot()->call) while attached */
	uint64_t wait_ns;        /* time parked waiting for a P, in all (only when
	                            opt.count_waits: the profiler reads it) */
	uint32_t depth;          /* > 0: inside a wrapped call or scheduler code */
	bool acting;             /* the outermost enter found a P: exit must act */
	bool attached;           /* this thread is an M */
	bool sig_unsafe;         /* its stack may not take a signal frame */
	bool disowned;           /* TLS shared with another task: never an M again */
	int tid;
	int32_t slot;            /* its M slot in the table while attached (mslot()) */
	/* A lock's owner waiting for a P: the blocking call about to begin
	 * hands its P to that thread rather than the queue's head (owner.c);
	 * valid only while the calls completed still equal prefer_stamp. */
	int prefer_tid;
	uint64_t prefer_stamp;
	/* The spin probe's last sample (preempt.c), valid for the same P
	 * word and the same count of calls. */
	bool probe_valid;
	unsigned probe_still;    /* samples in a row alike */
	uint64_t probe_calls, probe_pword;
	struct mp_probe_sample probe_last;
	/* Parked Ms this thread handed a P to under sched.lock, still to be
	 * woken once it lets the lock go (mp_sched_unlock). */
	_Atomic uint32_t nwakes;
	_Atomic uint32_t *_Atomic wakes[MP_DEFERRED_WAKES];
};

/* A spin probe's si_value: the preemption cookie with this bit flipped. */
#define MP_PROBE_COOKIE_BIT ((uintptr_t)2)

/*
 * An M slot: what other parties need of an M — its futex, the P handed to
 * it, its place in the wait queue, the monitor's revoke — kept in the
 * table (indices only, no pointer into anybody's TLS), so the table can
 * later live in memory shared by a process tree.  The slot is the M's
 * while it is attached (taken at attach, returned at detach).
 */
#define MP_MAX_MS 16384          /* Ms attached at once; more run uncapped */

/*
 * The call word of an M slot, written by its M only, with plain stores
 * (the membarrier protocol, docs/design.md): bit 0, in an intercepted
 * call; bit 1, the call is known to block; above, the calls completed.
 * An enter adds MC_ENTER or MC_ENTER_BLOCKING, the exit the complement to
 * MC_ONE, so a word counts calls as it goes.
 */
#define MC_INCALL          1ull
#define MC_BLOCKING        2ull
#define MC_ONE             4ull
#define MC_ENTER           MC_INCALL
#define MC_ENTER_BLOCKING  (MC_INCALL | MC_BLOCKING)
#define MC_EXIT            (MC_ONE - MC_ENTER)
#define MC_EXIT_BLOCKING   (MC_ONE - MC_ENTER_BLOCKING)
static inline bool mc_incall(uint64_t c) { return c & MC_INCALL; }
static inline uint64_t mc_calls(uint64_t c) { return c / MC_ONE; }

struct mp_mslot {
	/* First: its own line (the slot is a line), written on every call. */
	_Atomic uint64_t call;
	_Atomic uint32_t park;   /* futex: 0 = waiting, 1 = woken (nextp set or shutdown) */
	/* 1 from just before the monitor signals us until our handler runs:
	 * a call's enter waits for the signal rather than take it in the
	 * call (mp_signal_coming_wait) */
	_Atomic uint32_t signal_coming;
	int32_t nextp;           /* P handed while parked (-1: none); under sched.lock */
	int32_t qnext;           /* next slot in the wait queue (-1: last); under lock */
	int32_t free_next;       /* next free slot (-1: last); under lock */
	int32_t pid, tid;        /* the M's thread, while in use */
	bool in_use, queued;     /* under sched.lock */
	bool sig_unsafe;         /* the M's, copied to each P it is given */
	uint64_t nextword;       /* the word the hander stored in nextp */
	_Atomic uint32_t spinning; /* 1: spinning on park, needs no futex wake (spinwait.c) */
	_Atomic int revoked;     /* the monitor took our P while we were blocked */
	_Atomic int64_t revoke_cpu_ns; /* our CPU clock when it did */
	int revoke_slot;         /* monitor's record watching us; under sched.lock */
} __attribute__((aligned(MP_CACHELINE)));

/*
 * The tables, behind a pointer (mp_tab): static memory today, a shared
 * mapping later.  The futex scope goes with the memory: private for a
 * table only this process maps.
 */
struct mp_table {
	struct mp_p p[MP_MAXPROCS];
	struct mp_mslot m[MP_MAX_MS];
	int32_t mfree;           /* first free slot (-1: none); under sched.lock */
	_Atomic int32_t mhwm;    /* slots [0, mhwm) have been used; written under sched.lock */
	bool futex_shared;       /* FUTEX_PRIVATE_FLAG unless shared */
};

extern MP_HIDDEN struct mp_table *mp_tab;
#define mp_allp (mp_tab->p)

static inline struct mp_mslot *mslot(int32_t i) { return &mp_tab->m[i]; }

/* The slot of an attached M, from its call word (the slot's first field). */
_Static_assert(__builtin_offsetof(struct mp_mslot, call) == 0, "the call word begins the slot");
static inline struct mp_mslot *mslot_of_call(_Atomic uint64_t *call)
{
	return (struct mp_mslot *)(void *)call;
}

static inline int mp_sched_futex_wait(_Atomic uint32_t *w, uint32_t expect)
{
	return (int)mp_raw_syscall6(SYS_futex, (long)w,
	        mp_tab->futex_shared ? FUTEX_WAIT : FUTEX_WAIT | FUTEX_PRIVATE_FLAG,
	        expect, 0, 0, 0);
}

static inline int mp_sched_futex_wake(_Atomic uint32_t *w)
{
	return (int)mp_raw_syscall6(SYS_futex, (long)w,
	        mp_tab->futex_shared ? FUTEX_WAKE : FUTEX_WAKE | FUTEX_PRIVATE_FLAG,
	        1, 0, 0, 0);
}

extern __thread struct mp_m mp_self __attribute__((tls_model("initial-exec")));

/*
 * A parked M's futex wake, deferred until this thread lets sched.lock go.
 * A wake to an idle vCPU costs the waker ~10 us here (p50; p99 over
 * 100 us): made under the lock, it held every other M's enter, exit and
 * park behind it, and those that slept on the lock cost another wake at
 * the unlock.  The P is already wired and park already set, so a delayed
 * wake only delays the sleeper's start, never loses it; a spinner needs
 * none (its flag is read under the lock, as before).
 */
static inline void defer_wake_locked(_Atomic uint32_t *w)
{
	struct mp_m *mp = &mp_self;
	uint32_t n = atomic_load_explicit(&mp->nwakes, memory_order_relaxed);
	if (n == MP_DEFERRED_WAKES) {
		mp_sched_futex_wake(w);
		return;
	}
	atomic_store_explicit(&mp->wakes[n], w, memory_order_relaxed);
	atomic_signal_fence(memory_order_seq_cst);
	atomic_store_explicit(&mp->nwakes, n + 1, memory_order_relaxed);
}

/* Let sched.lock go, then make the wakes deferred under it. */
void mp_sched_unlock(void);

/* The monitor's record of an M whose P it revoked: it watches the thread's
 * CPU clock and signals it once it runs again without a P. */
struct mp_revoked {
	int tid;                 /* 0: slot free */
	int64_t cpu_ns;          /* CPU clock at the last sample (-1: none) */
	int64_t win_cpu_ns;      /* ... at the start of the current window */
	uint64_t win_at_ns;      /* when that window began */
	uint64_t run_since_ns;   /* computing without a break since (0: not) */
	uint64_t signaled_at_ns;
	uint64_t nvcsw;          /* its sleeps counted at awake_since_ns ... */
	uint64_t awake_since_ns; /* ... (0: not read; the monitor's awake gate) */
	bool sig_unsafe;         /* its stack may not take the signal frame */
	int32_t mslot;           /* its M slot */
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
	/* Calls completed by Ms since detached (their slots' words are reused). */
	_Atomic uint64_t calls_gone;
	/* Process-wide counters (counters.def, SCHED). */
#define MP_COUNTER_CALLS(name)
#define MP_COUNTER_P(name)
#define MP_COUNTER_SCHED(name) _Atomic uint64_t name;
#define MP_COUNTER(where, name, ...) MP_COUNTER_##where(name)
#include "sched/counters.def"
#undef MP_COUNTER_CALLS
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
#undef MP_COUNTER
	_Atomic int preempt_signo;     /* 0: no signal preemption */
	_Atomic int probes_off;        /* the program handles the preemption signal itself */
	/* si_value of our preemption signals: a handler tells them from the
	 * program's own signals of the same number by it. */
	uintptr_t preempt_cookie;
	uint32_t pidle[MP_MAXPROCS];   /* idle stack of P ids; under lock */
	int32_t qhead, qtail;          /* FIFO of parked M slots (-1: empty); under lock */
	/* The M slot spinning for a P (-1: none; spinwait.c).  A line of its
	 * own: every may-block call's wrapper reads it (mp_spinner_waits). */
	_Atomic int32_t spinner __attribute__((aligned(MP_CACHELINE)));
	char spinner_line_[MP_CACHELINE - sizeof(int32_t)];
	struct mp_revoked revoked[MP_MAXPROCS]; /* under lock */
	_Atomic uint32_t nrevoked;     /* slots in use; written under lock */

	/* Monitor. */
	_Atomic uint32_t mon_word;     /* futex the monitor sleeps on */
	_Atomic int mon_sleeping;      /* deep sleep: a waiter must wake it */
	_Atomic int mon_stop;
	_Atomic int mon_running;
	/* Signals the monitor never blocks (catch-all mode: SIGSYS, which its
	 * libc calls, thread exit included, may take). */
	uint64_t mon_open_signals;
	pthread_t mon_thread;
	struct mp_options opt;
	uint64_t start_ns;
	int pid;
};

extern MP_HIDDEN struct mp_sched mp_sched;

/* owner.c: the tid the current call's hand-off should prefer (0: the
 * queue's head), consumed. */
int prefer_take(struct mp_m *mp);

/* Tell the profiler (opt.p_holder) who holds pp now; under the lock. */
static inline void note_p_holder(const struct mp_p *pp, int tid)
{
	if (__builtin_expect(mp_sched.opt.p_holder != NULL, 0))
		mp_sched.opt.p_holder(pp->id, tid);
}

/* monitor.c: the duty table, emptied by mp_sched_init (0 or -errno). */
int mp_monitor_duties_reset(void);

/* ---- the wait queue (waitq.c) ------------------------------------------
 * The FIFO of parked Ms: the seam where another policy can go.  Under
 * sched.lock; nwaiting (readable without the lock) follows it. */
void waitq_push_locked(int32_t slot);
struct mp_mslot *waitq_pop_locked(void);
int32_t waitq_find_tid_locked(int tid);
void waitq_remove_locked(int32_t slot);
static inline bool waitq_empty_locked(void) { return mp_sched.qhead < 0; }

/* ---- internal functions, by file ---------------------------------------- */
/* p.c */
uint64_t p_assign_locked(struct mp_p *pp, int32_t slot);
struct mp_p *pidle_pop_locked(void);
void pidle_remove_locked(struct mp_p *pp);
void mp_p_put_locked(struct mp_p *pp);
void mp_p_put_prefer_locked(struct mp_p *pp, int prefer_tid);
void mp_retake_locked(struct mp_p *pp);
void steal_blocking_locked(void);
void steal_blocking(void);
void table_reset(uint32_t n);
int32_t mslot_alloc_locked(int tid);
void mslot_free_locked(int32_t slot);
/* park.c */
void wire(struct mp_m *mp, struct mp_p *pp, uint64_t w);
void notice_revoked_locked(struct mp_m *mp);
void park_locked(struct mp_m *mp);
/* spinwait.c */
void spin_for_p(struct mp_m *mp, struct mp_mslot *ms);
void release_locked(struct mp_m *mp);
/* preempt.c, table.c */
bool mp_revoke(struct mp_p *pp, uint64_t w, int64_t cpu_ns);
uint64_t mp_now_ns(void);

/* Wake the monitor from a deep sleep (a waiter appeared, a resize, a
 * detach).  Inline, so the files that hand Ps on never call monitor.c,
 * which calls them. */
static inline void mp_monitor_wake(void)
{
	atomic_fetch_add(&mp_sched.mon_word, 1);   /* sleep_on_word compares it */
	mp_futex_wake((const uint32_t *)&mp_sched.mon_word, 1);
}

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

/* A counter on a slow path: one atomic add, no ordering needed (read only
 * for statistics). */
static inline void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, memory_order_relaxed);
}

static inline void check_lock_held(const char *fn)
{
#ifdef MP_DEBUG
	MP_CHECK(mp_lock_owner(&mp_sched.lock) == mp_raw_gettid(), fn,
	         "sched.lock not held", mp_lock_owner(&mp_sched.lock), 0);
#else
	(void)fn;
#endif
}

/* ---- the one place a P's state changes (slow paths) -----------------------
 * Every change of a P's word outside the two fast-path CASes of
 * fastpath.h (RUNNING <-> SYSCALL, held both sides: nothing to count)
 * goes through these two, in the spirit of Go's casgstatus:
 *   - the change of state must be in pw_legal (pword.h): checked always,
 *     it costs a table load on a slow path, and an illegal one is a
 *     corrupted P that must not be acted on (mp_throw with the fields);
 *   - nheld, the Ps held by Ms (invariant 7), and its high-water mark
 *     are kept here and nowhere else.
 */
static inline void p_held_account(uint64_t from, uint64_t to)
{
	if (pw_held(from) == pw_held(to))
		return;
	if (pw_held(to)) {
		uint32_t n = atomic_fetch_add(&mp_sched.nheld, 1) + 1;
		/* relaxed: a statistic; the CAS loop only ever raises it */
		uint32_t h = atomic_load_explicit(&mp_sched.nheld_hwm, memory_order_relaxed);
		while (n > h && !atomic_compare_exchange_weak(&mp_sched.nheld_hwm, &h, n))
			;
	} else {
		atomic_fetch_sub(&mp_sched.nheld, 1);
	}
}

static inline void p_check_transition(const struct mp_p *pp, uint64_t from, uint64_t to,
                                      const char *fn)
{
	if (__builtin_expect(!pw_legal[pw_state(from)][pw_state(to)], 0))
		mp_throw(fn, "illegal P state change", (long)pp->id,
		         (long)(pw_state(from) * 10 + pw_state(to)));
}

/* CAS pp's word from *expect to to; on failure *expect is the word seen.
 * A claimed word (PW_CLAIM) is the claimer's alone: whoever read one must
 * wait for it to clear (claim_wait) before acting on it. */
static inline bool p_cas(struct mp_p *pp, uint64_t *expect, uint64_t to, const char *fn)
{
	MP_CHECK(!(*expect & PW_CLAIM), fn, "CAS from a claimed P word", pp->id, 0);
	if (__builtin_expect(*expect & PW_CLAIM, 0))
		return false;
	p_check_transition(pp, *expect, to, fn);
	if (!atomic_compare_exchange_strong(&pp->word, expect, to))
		return false;
	p_held_account(*expect, to);
	return true;
}

/* The claimer's CAS of a word it claimed: nobody else may change it, so it
 * cannot fail. */
static inline void p_cas_claimed(struct mp_p *pp, uint64_t from, uint64_t to, const char *fn)
{
	uint64_t w = from;
	MP_CHECK(from & PW_CLAIM, fn, "not a claimed P word", pp->id, 0);
	p_check_transition(pp, from, to, fn);
	bool ok = atomic_compare_exchange_strong(&pp->word, &w, to);
	MP_CHECK(ok, fn, "a claimed P word changed under its claimer", pp->id, pw_state(w));
	(void)ok;
	p_held_account(from, to);
}

/* ---- the membarrier protocol (claim.c) -----------------------------------
 * mp_asym: the protocol in force, chosen once at init (life.c).  True: the
 * holder's fast path makes plain stores and loads only, and whoever takes
 * a P from a holder in a call claims it (claim.c).  False: the CAS
 * protocol.  Read on every call: one predictable branch. */
extern MP_HIDDEN bool mp_asym;
/* The wrappers may take the inline fast path: the membarrier protocol, and
 * nothing (the profiler) asked for the general bracket on every call. */
extern MP_HIDDEN bool mp_fast_ok;

/* The state of a P as the monitor and the statistics see it.  Under the
 * membarrier protocol a P whose holder is in a call reads RUNNING in its
 * word and the holder's call word says "in a call": P_SYSCALL is returned.
 * *call, unless NULL, gets the holder's call word (0: none). */
static inline unsigned p_view(const struct mp_p *pp, uint64_t w, uint64_t *call)
{
	uint64_t c = 0;
	unsigned s = pw_state(w);
	if (s == P_RUNNING && mp_asym) {
		/* relaxed: published with the word (release in p_store_locked);
		 * every decision taken on it is confirmed after a membarrier */
		int32_t slot = atomic_load_explicit(&pp->mslot, memory_order_relaxed);
		if (slot >= 0 && slot < MP_MAX_MS) {
			c = atomic_load_explicit(&mp_tab->m[slot].call, memory_order_relaxed);
			if (mc_incall(c))
				s = P_SYSCALL;
		}
	}
	if (call)
		*call = c;
	return s;
}

struct mp_claim {
	struct mp_p *pp;         /* NULL after settling: released, not taken */
	uint64_t w;              /* the claimed word (with PW_CLAIM) */
	uint64_t call;           /* the holder's call word that justified it */
	int32_t slot;            /* the holder's M slot */
};
/* Wait until pp's word carries no claim; returns it. */
uint64_t claim_wait(struct mp_p *pp);
/* Claim pp, seen as word w with its holder in call `call`. */
bool claim_begin(struct mp_claim *c, struct mp_p *pp, uint64_t w, uint64_t call);
/* One membarrier, then take (IDLE, next gen: in the caller's hands) or
 * release each.  Returns how many were taken; their pp stays set. */
int claims_settle(struct mp_claim *c, int n);

/* Store to into the word of a P the caller owns outright (claimed IDLE,
 * or STOPPED, under sched.lock).  Release: publishes what the caller
 * wrote beside the word (m, tid) to whoever acquires the word. */
static inline void p_store_locked(struct mp_p *pp, uint64_t to, const char *fn)
{
	uint64_t from = atomic_load_explicit(&pp->word, memory_order_relaxed);   /* ours: nobody else writes it now */
	check_lock_held(fn);
	p_check_transition(pp, from, to, fn);
	atomic_store_explicit(&pp->word, to, memory_order_release);
	p_held_account(from, to);
}

#endif
