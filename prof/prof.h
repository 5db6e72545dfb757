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
 *   t1 = mp_ticks(); w0 = wait     the call returned
 *   ... the exit: the P back, or a wait for one ...
 *   mp_prof_end(call, t0, t1, w0, wait)
 *
 * Per thread and per call it keeps, exactly: the count, the time blocked
 * (t1 - t0) and waiting for a P (after the exit), the longest of each, and
 * a log2 histogram of the time blocked.  Stacks (glibc's backtrace) are taken by
 * Go's block-profile rule: a call of duration d is kept with probability
 * min(1, d / min) and then weighs max(d, min), an unbiased estimate of the
 * time per stack (docs/profiler.md); every call of at least `min` is kept.
 * Nothing on the recording path locks, allocates after a thread's first
 * call, or makes a system call; what does not fit (threads, stacks) is
 * counted as dropped and reported.
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

/* Record one call: t0 from mp_prof_begin, t1 when the real call returned;
 * wait0 and wait1 the thread's total time parked waiting for a P (ns,
 * mp_m_wait_ns) just before and after the exit.  Waits since the thread's
 * previous call (preemptions, yields) are recorded as "(preempted)". */
void mp_prof_end(unsigned call, uint64_t t0, uint64_t t1, uint64_t wait0, uint64_t wait1);

/* The scheduler's p_holder hook (sched.h): P p is held by tid from now
 * (0: nobody).  Under the scheduler's lock; no lock, no syscall. */
void mp_prof_p_holder(uint32_t p, int tid);

/* This thread ends: keep its name for the report. */
void mp_prof_thread_end(void);

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

#endif
