/*
 * prof.h - the syscall-stall profiler: how long each intercepted call
 * blocked, how long its thread then waited for a P, and where (stacks).
 *
 * The preload's bracket takes two tick stamps when profiling is on (and
 * reads one flag when it is off); the waits for a P are timed by the core,
 * only when it parks (mp_m_wait_ns):
 *
 *   t0 = mp_prof_begin();          before the enter
 *   ... the real call ...
 *   t1 = mp_ticks()                the call returned
 *   kept = mp_prof_short(call, t0, t1)        inline, still in the call
 *   w0 = wait
 *   ... the exit: the P back, or a wait for one ...
 *   mp_prof_exit(call, t0, t1, w0, wait, kept)
 *
 * The common case (a short call, no wait for a P since the last one, no
 * stack to take) is counted inline by mp_prof_short and costs one compare
 * in mp_prof_exit; everything else (the thread's first call, long calls,
 * stacks, trace slices, waits for a P, "(preempted)") is done out of line
 * by mp_prof_end or mp_prof_wait.
 *
 * Per thread and per call it keeps, exactly: the count, the time blocked
 * (t1 - t0) and waiting for a P (after the exit), the longest of each, and
 * a log2 histogram of the time blocked.  Stacks (glibc's backtrace) are
 * weighted estimates: every call of at least `min` is kept, weighing its
 * duration d; the shorter ones are sampled by a Poisson process of rate
 * 1 / min over the thread's short stalls laid end to end, each point in a
 * call weighing min (so E[weight] = d: an unbiased estimate of the time
 * per stack, docs/profiler.md).  The waits for a P use Go's block-profile
 * rule instead (kept with probability min(1, d / min), weighing
 * max(d, min)).  Nothing on the recording path locks, allocates after a
 * thread's first call, or makes a system call; what does not fit
 * (threads, stacks) is counted as dropped and reported.
 *
 * The files (summary.txt, stalls.folded, pwait.folded, trace.json,
 * stacks.raw) are written by mp_prof_write when the program ends (return,
 * exit, _exit, a terminating signal: mp_prof_last_words), and every
 * flush_ms by the monitor if asked.
 */
#ifndef MAXPROCS_PROF_PROF_H
#define MAXPROCS_PROF_PROF_H

#include <stdbool.h>
#include <stdint.h>

#include "prof/ticks.h"

#define MP_PROF_MAX_CALLS 256      /* call ids 0..254 (preload's calls.def); 255: "(preempted)" */
#define MP_PROF_PREEMPTED (MP_PROF_MAX_CALLS - 1)
#define MP_PROF_HIST 48            /* log2 buckets of ticks */
#define MP_PROF_DEPTH 32           /* frames kept per stack */
#define MP_PROF_STACKS 8192        /* distinct stacks kept */
#define MP_PROF_THREADS 4096       /* threads with counters of their own */

struct mp_prof_options {
	const char *dir;               /* the files go here (created) */
	uint64_t min_ns;               /* the sampling threshold */
	uint64_t flush_ms;             /* write the files this often too (0: only at the end) */
	unsigned ncalls;               /* call ids are < ncalls <= MP_PROF_MAX_CALLS */
	const char *const *call_names; /* [ncalls] */
	/* Scheduler facts for the summary's header and counters line. */
	void (*describe)(char *buf, unsigned len);
};

extern bool mp_prof_on __attribute__((visibility("hidden")));

/* 0 or -errno (bad options, no memory for the stack table). */
int mp_prof_init(const struct mp_prof_options *o);

static inline uint64_t mp_prof_begin(void)
{
	return __builtin_expect(mp_prof_on, 0) ? mp_ticks() : 0;
}

/* One call id's figures in one thread (ticks; written by that thread only). */
struct mp_prof_callstat {
	uint64_t count;
	uint64_t stall, pwait;           /* totals: ticks, ns */
	uint64_t max_stall, max_pwait;
	uint64_t long_calls;             /* at least the threshold: each kept with its stack */
	uint32_t hist[MP_PROF_HIST];     /* stall: [b] counts 2^b <= d < 2^(b+1) ticks */
};

/*
 * What the inline recorder needs of its thread (record.c sets it up at
 * the thread's first call, which is always out of line).
 *
 * gate: a call of fewer ticks is recorded inline; 0 sends every call out
 * of line: before the thread's first call, after a fork, and while the
 * out-of-line recorder runs (so a signal handler's call inside it is seen
 * by it, and counted as dropped).  Otherwise the threshold in ticks.
 *
 * budget: ticks of short stalls left before the next point of the
 * thread's stack-sampling process (a Poisson process of rate 1 / the
 * threshold over its short stalls laid end to end: record.c).  A short
 * call that reaches it goes out of line, where its stack is taken.
 */
struct mp_prof_tls {
	struct mp_prof_callstat *calls;  /* the thread's [MP_PROF_MAX_CALLS] */
	uint64_t gate;
	int64_t budget;
	uint64_t wait_seen;              /* how much of the core's wait total is counted:
	                                  * up to the last record, and the preemptions
	                                  * mp_prof_preempted counted since */
	uint64_t last_t1;                /* ticks: when the last call returned */
};
extern __thread struct mp_prof_tls mp_prof_tls
	__attribute__((tls_model("initial-exec"), visibility("hidden")));

/*
 * The common case, inline, just after the real call returned and before
 * the exit (still inside the call, depth 1, so that a signal handler's
 * calls are nested and never recorded here): a short call that no stack
 * sample falls in.  Its count, time blocked, longest and bucket; true if
 * so.  False: nothing was touched, mp_prof_end must record it.
 */
static inline __attribute__((always_inline)) bool mp_prof_short(unsigned call, uint64_t t0,
                                                                  uint64_t t1)
{
	struct mp_prof_tls *p = &mp_prof_tls;
	uint64_t d = t1 - t0;   /* t1 < t0 (a TSC step): huge, so out of line */
	if (__builtin_expect(d >= p->gate, 0))
		return false;
	int64_t b = p->budget - (int64_t)d;
	if (__builtin_expect(b <= 0, 0))
		return false;
	p->budget = b;
	p->last_t1 = t1;
	struct mp_prof_callstat *c = &p->calls[call];
	c->count++;
	c->stall += d;
	if (d > c->max_stall)
		c->max_stall = d;
	c->hist[63 - __builtin_clzll(d | 1)]++;   /* d < gate < 2^MP_PROF_HIST */
	return true;
}

/* Record one call: t0 from mp_prof_begin, t1 when the real call returned;
 * wait0 and wait1 the thread's total time parked waiting for a P (ns,
 * mp_m_wait_ns) just before and after the exit.  Waits since the thread's
 * previous call (preemptions, yields) are recorded as "(preempted)". */
void mp_prof_end(unsigned call, uint64_t t0, uint64_t t1, uint64_t wait0, uint64_t wait1);

/* The scheduler's p_holder hook (sched.h): P p is held by tid from now
 * (0: nobody).  Under the scheduler's lock; no lock, no syscall. */
void mp_prof_p_holder(uint32_t p, int tid);

/* The same for a call mp_prof_short counted: only its wait for a P, and
 * the waits since the previous call. */
void mp_prof_wait(unsigned call, uint64_t t0, uint64_t t1, uint64_t wait0, uint64_t wait1);

/* After the exit: what mp_prof_short (true: kept) left to do.  The wait
 * total is unchanged since the last record in the common case, one
 * compare (wait_seen <= wait0 <= wait1; a preemption counted between the
 * wrapper's reads and this compare only sends it out of line). */
static inline __attribute__((always_inline)) void mp_prof_exit(unsigned call, uint64_t t0,
                                                                 uint64_t t1, uint64_t wait0,
                                                                 uint64_t wait1, bool kept)
{
	if (__builtin_expect(!kept, 0))
		mp_prof_end(call, t0, t1, wait0, wait1);
	else if (__builtin_expect(wait1 != mp_prof_tls.wait_seen, 0))
		mp_prof_wait(call, t0, t1, wait0, wait1);
}

/* The preemption signal parked this thread for wait_ns (signals.h,
 * mp_signals_on_preempted; pc 0: no room to unwind, nothing done here,
 * the next call counts the wait): the stack from the interrupted pc, kept by
 * Go's rule (probability wait / min, weight at least min), under the
 * pseudo-call "(preempted)" with the wait as its P-wait weight.  The
 * "(preempted)" row's exact totals are counted at the thread's next call,
 * as before.  Runs in the signal handler. */
void mp_prof_preempted(uintptr_t pc, uint64_t wait_ns);

/* A thread the library started (pthread_create) begins, the core's wait
 * total at wait_now: its counters are made now, not at its first call, so
 * that a preemption before that call keeps its stack and its wait counts. */
void mp_prof_thread_start(uint64_t wait_now);

/* This thread ends, the core's wait total at wait_now: the waits since its
 * last call go to "(preempted)" (a thread that computes to its end makes
 * no call that would count them); keep its name for the report. */
void mp_prof_thread_end(uint64_t wait_now);

/* In a fork child: the parent's figures are not the child's.  Start from
 * zero, under the child's pid (its files go to DIR/CHILDPID/).
 * Async-signal-safe. */
void mp_prof_fork_child(void);

/* Write the files for the last time (later calls do nothing).  why:
 * "exit", "_exit", a signal's name.  Waits (at most 5 s) for a flush under
 * way.  0 or -errno.  Async-signal-safe but for dladdr and
 * dl_iterate_phdr (the loader's recursive locks). */
int mp_prof_write(const char *why);

/* Write the files as they stand now; skipped if a write is under way or
 * the last one is done (the monitor's duty, every flush_ms). */
int mp_prof_flush(void);

/* In a handler of sig, which will kill the process next: the last write,
 * done by the monitor thread if one runs (a thread that is not stopped in
 * a handler and blocks every signal; waited for at most 5 s), else here. */
void mp_prof_last_words(int sig);

/* The calls with the most time blocked so far, most first (the stats
 * segment's "top calls"): at most max rows; their names are the
 * preload's (opt.call_names), valid as long as the library is loaded.
 * Not async-signal-safe (a few KiB of stack); the monitor's duty calls it. */
struct mp_prof_top {
	const char *name;
	uint64_t count;
	uint64_t stall_ns;
};
unsigned mp_prof_top_calls(struct mp_prof_top *out, unsigned max);

#endif
