/*
 * sched.h - the maxprocs scheduler core: Ps, Ms, syscall entry/exit,
 * hand-off, parking, the monitor, resize and counters.
 *
 * The model is the Go runtime's (src/runtime/proc.go): a thread (an M) must
 * hold a P to run user code; at most nprocs Ms hold one at a time.  Entering a
 * call that may block lets the P wait in the SYSCALL state so the same M can
 * take it back with one CAS; the monitor (Go's sysmon) retakes Ps that stay
 * in SYSCALL while other Ms wait.  docs/design.md states every state and
 * invariant; read it before changing this code.
 *
 * This layer is pure C on futexes and atomics: it interposes nothing and
 * resolves no symbols.  Every function here is async-signal-safe unless its
 * comment says otherwise, allocates nothing and never touches errno on
 * return (slow paths save and restore it).
 */
#ifndef MAXPROCS_SCHED_H
#define MAXPROCS_SCHED_H

#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include "shim/limits.h"                /* MP_MAXPROCS */

#define MP_SLICE_DEFAULT_NS 10000000ull   /* 10 ms, Go's forcePreemptNS */

typedef int (*mp_thread_create_fn)(pthread_t *, const pthread_attr_t *,
                                   void *(*)(void *), void *);

/* A schedtrace line is produced by the monitor every period; the caller
 * decides where it goes (the preload writes it to stderr). */
struct mp_stats;
typedef void (*mp_trace_fn)(const struct mp_stats *st, uint64_t elapsed_ms);

/* How a holder's fast path is ordered against whoever takes its P
 * (docs/design.md, "The fast path without a locked instruction"). */
enum mp_sync {
	MP_SYNC_AUTO = 0,         /* membarrier when the kernel offers it, else CAS */
	MP_SYNC_MEMBARRIER,       /* the same, but a fallback is worth a warning */
	MP_SYNC_CAS,              /* a CAS on each side of every call, as Go does */
};

struct mp_options {
	uint32_t nprocs;          /* 1..MP_MAXPROCS */
	enum mp_sync sync;        /* asked for; mp_sched_sync() says what is in force */
	bool general_only;        /* no inline fast path: every call takes the general
	                             bracket (the profiler times calls there) */
	bool count_waits;         /* keep each M's time parked waiting for a P
	                             (mp_m_wait_ns): two clock reads per park */
	uint64_t slice_ns;        /* preemption slice; 0 = MP_SLICE_DEFAULT_NS */
	int preempt_signo;        /* signal sent to preempt a holder; 0 = none */
	uint64_t spin_ns;         /* the head waiter spins for a P up to this long
	                             while a holder is in a call (spinwait.c); 0 = never */
	/* Called under the scheduler's lock whenever a P changes hands: p's
	 * holder is now the thread tid (0: nobody, the P is idle or stopped).
	 * The profiler draws its per-P tracks from it.  Must take no lock and
	 * be async-signal-safe.  NULL: none. */
	void (*p_holder)(uint32_t p, int tid);
	uint64_t schedtrace_ms;   /* 0 = off */
	mp_trace_fn trace;        /* called by the monitor when schedtrace_ms */
	/* The monitor leaves (returns from its thread) once no M is attached
	 * or being started (nthreads == 0), so a process whose last thread
	 * ends exits as it would without us; mp_monitor_ensure() starts it
	 * again.  The preload sets it; the unit tests start the monitor
	 * before any M and leave it off. */
	bool monitor_leaves;
};

/* Counters, summed over Ps by mp_stats_snapshot(). */
struct mp_stats {
	uint32_t nprocs;          /* Ps in the table now */
	uint32_t idle;            /* Ps idle */
	uint32_t running;         /* Ps running user code */
	uint32_t in_syscall;      /* Ps waiting in SYSCALL for their M */
	uint32_t stopped;         /* Ps stopped by a resize */
	uint32_t threads;         /* Ms attached (live threads) */
	uint32_t waiting;         /* Ms parked waiting for a P */
	uint32_t running_hwm;     /* most Ps held at once (RUNNING or SYSCALL) */
	/* One field per row of sched/counters.def, in its order. */
#define MP_COUNTER(where, name, trace, unit, scale, doc) uint64_t name;
#include "sched/counters.def"
#undef MP_COUNTER
	int preempt_signo;        /* signal used for preemption now; 0 = none */
};

/* Life of the scheduler (not async-signal-safe; call from one thread). */
int  mp_sched_init(const struct mp_options *opt);   /* 0 or -errno */
/* create: how the monitor thread is made.  Never NULL: the core names no
 * libc thread function itself, since inside the preload that name would
 * bind to our own wrapper (which makes the new thread an M).  The preload
 * passes the real pthread_create, the unit tests pthread_create. */
int  mp_monitor_start(mp_thread_create_fn create);  /* 0 or -errno (-EINVAL: no create) */
void mp_monitor_stop(void);
/* Start the monitor unless it runs (one load when it does).  Call after
 * mp_m_reserve(): with monitor_leaves, a monitor that is leaving sees the
 * reservation and stays, or this call sees it gone and starts a new one. */
int  mp_monitor_ensure(mp_thread_create_fn create);
/*
 * The monitor's duties: work it does besides its passes, on its own thread
 * (every signal blocked, a descriptor table of its own): the schedtrace
 * line, the profiler's flush and its last words.  A duty runs every
 * period_ns (0: only when asked) and at once when asked.  Add duties after
 * mp_sched_init and before the monitor starts; at most MP_DUTIES.
 * mp_monitor_duty_add returns the duty's id or -ENOSPC.
 * mp_monitor_duty_request is async-signal-safe; it returns false when no
 * monitor runs to do it (the caller does the work itself).
 */
#define MP_DUTIES 8
typedef void (*mp_duty_fn)(uint64_t now_ns, void *arg);
int  mp_monitor_duty_add(const char *name, uint64_t period_ns, mp_duty_fn run, void *arg);
bool mp_monitor_duty_request(int id);
/* On the monitor thread, in a duty: whether it has a descriptor table of
 * its own (then a duty that writes to the program's stderr borrows it
 * with mp_proctask_borrow_fd, as the schedtrace line does). */
bool mp_monitor_fds_private(void);
void mp_sched_fork_child(void);  /* in a fork child: one M on P0, fresh table */
void mp_sched_shutdown(void);    /* stop the monitor; every call passes through */
bool mp_sched_active(void);
/* This thread's time parked waiting for a P so far (ns), with count_waits. */
uint64_t mp_m_wait_ns(void);
/* The protocol in force: MP_SYNC_MEMBARRIER or MP_SYNC_CAS.  If CAS
 * although membarrier was asked for (or left to auto), *why (unless
 * NULL) is the -errno of the membarrier step that failed; 0 if CAS was
 * asked for or the build requires it (TSan). */
enum mp_sync mp_sched_sync(int *why);
/* The process the scheduler belongs to (updated in fork children): a
 * caller whose getpid() differs runs in a vfork child, which shares our
 * memory and must change nothing of ours. */
int mp_sched_pid(void);

/* Life of an M.  attach: this thread becomes an M and waits for a P.
 * detach: it gives its P away (to the first waiter) and stops being an M. */
void mp_m_attach(void);
void mp_m_detach(void);
/* A thread about to be created will be an M: count it in nthreads now, so
 * the monitor does not leave while it starts.  The new thread calls
 * mp_m_attach_reserved(); if the creation fails, mp_m_unreserve(). */
void mp_m_reserve(void);
void mp_m_unreserve(void);
void mp_m_attach_reserved(void);
/* This thread's TLS is about to be shared with another task (a raw clone
 * with CLONE_VM|CLONE_THREAD and no CLONE_SETTLS): both would run on this
 * one M and race on it.  Detach for good: both pass straight through
 * (uncapped; fail open).  Not async-signal-safe beyond mp_m_detach. */
void mp_m_disown(void);
bool mp_m_attached(void);
bool mp_m_holds_p(void);         /* m.p != 0 */
void mp_note_look_handoff(void); /* a LOOK_FIRST call gives its P to the spinner */
int  mp_m_pid(void);             /* id of the P this M holds, or -1 */

/* vfork: from just before the child is created until the parent resumes,
 * every call of this thread passes straight through, so the child, which
 * runs on this thread's memory and TLS, changes nothing of ours. */
/* Catch-all mode: one more trapped call bracketed (counter traps). */
void mp_count_trap(void);

/* Catch-all mode: the monitor thread never blocks sig (SIGSYS: a trap
 * with it blocked kills).  Before the monitor starts. */
void mp_monitor_keep_signal_open(int sig);

void mp_m_vfork_begin(void);
void mp_m_vfork_end(void);

/* Bracket a call that may block.  enter-syscall keeps the P in SYSCALL for a
 * cheap return; enter-blocking hands it to a waiting M at once.  Calls nest
 * (a signal handler's write inside an intercepted read): only the outermost
 * pair acts. */
void mp_enter_syscall(void);
void mp_enter_blocking(void);
void mp_exit_syscall(void);

/* A contended lock's owner (owner.c): running user code on a P (the lock
 * will be free soon: spin), parked waiting for a P (hand it ours), or
 * anything else (in a call, not an M, unknown: block).  A hint, read
 * without the lock; async-signal-safe. */
enum mp_owner_state { MP_OWNER_OTHER, MP_OWNER_RUNNING, MP_OWNER_WAITING };
enum mp_owner_state mp_owner_state(int tid);
/* The blocking call this thread makes next hands its P to thread tid if
 * that thread is parked waiting for one, instead of the queue's head. */
void mp_handoff_prefer(int tid);
/* A lock's waiter queues again: its P to a parked owner, or to the head (owner.c). */
bool mp_lock_yield(int owner_tid);
/* Count a lock taken by spinning while its owner ran (counters.def). */
void mp_note_lock_spin(void);

/* Cooperative points.  mp_yield: if an M waits, hand it the P and queue for
 * one again.  Returns true if the P was given away. */
bool mp_yield(void);
/* Called from the preemption signal handler: yields if this M is at a safe
 * point, holds a P and another M waits (or its P was revoked). */
void mp_preempt_signal(void);

/*
 * The spin probe (preempt.c).  While Ms wait, the monitor probes a holder
 * that computes without calls: the handler hands over what the thread was
 * doing, and two samples that show it going nowhere (the same few bytes of
 * code, the same stack, the same registers but one, no call between) mean
 * it spins, waiting for something only another thread can do; it then
 * gives its P to the first waiter long before its slice ends.
 */
#define MP_PROBE_REGS 16         /* general registers (x86_64: 15 and a hash of the xmm ones) */
struct mp_probe_sample {
	uintptr_t pc, sp;
	uint64_t regs[MP_PROBE_REGS];
	uint64_t stack_hash;         /* of the words around sp: the loop's locals */
	int64_t cpu_ns;              /* the thread's CPU clock (-1: unknown) */
};
void mp_preempt_probe(const struct mp_probe_sample *s);
/* The program has a handler of its own on the preemption signal: no
 * probes then (each of ours pending could swallow one of the program's,
 * as two pending standard signals merge); slices still preempt. */
void mp_set_probes_off(bool off);

/* Change the preemption signal (0: none: the monitor revokes instead). */
void mp_set_preempt_signal(int signo);
/* True if si describes a preemption signal the monitor sent (it carries
 * our cookie), false for any signal the program or the kernel sent;
 * _is_probe: one the spin probe sent. */
void mp_signal_landed(void);   /* first in our handler: the signal the monitor announced is here */
bool mp_preempt_siginfo_is_ours(const siginfo_t *si);
bool mp_preempt_siginfo_is_probe(const siginfo_t *si);
/* Whether this thread may be sent the preemption signal (its stack has
 * room for a signal frame).  Set before mp_m_attach; the handler clears it
 * when it finds too little room. */
void mp_m_set_signal_ok(bool ok);

/* Resize the P table to n (1..MP_MAXPROCS): extra Ps are stopped as their
 * holders give them up; new Ps are handed to waiters.  0 or -EINVAL. */
int mp_procresize(uint32_t n);

void mp_stats_snapshot(struct mp_stats *out);

/* The state of each P in the table, for the stats segment: out[i] for
 * i < the returned count (the Ps ever used, at most max).  Lock-free, a
 * little smeared in time as mp_stats_snapshot. */
enum mp_p_view { MP_PV_IDLE = 0, MP_PV_RUNNING = 1, MP_PV_SYSCALL = 2, MP_PV_STOPPED = 3 };
uint32_t mp_p_states(uint8_t *out, uint32_t max);

#endif
