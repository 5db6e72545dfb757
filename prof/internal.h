/*
 * internal.h - the profiler's state, shared by record.c and report.c.
 */
#ifndef MAXPROCS_PROF_INTERNAL_H
#define MAXPROCS_PROF_INTERNAL_H

#include <stdatomic.h>
#include <stdint.h>

#include "prof/prof.h"

/* One slice of the trace (trace.json): a call kept by the sampling rule's
 * threshold (blocked or waited at least `min`), or a wait outside calls. */
struct mp_prof_event {
	uint64_t t0, t1;                 /* ticks: the call's start and return */
	uint64_t wait_ns;                /* the wait for a P after it */
	uint32_t call;
};
#define MP_PROF_EVENTS 8192          /* per thread; later ones are counted as dropped */

/* One thread's counters and trace slices: mmap'd at its first call, kept
 * after it ends.  About 350 KiB of address space, mostly untouched pages
 * (one per call id in use, one per 128 slices). */
struct mp_prof_thread {
	int tid;
	char name[16];                   /* comm at the first call, at the end, and at
	                                  * each write while it runs (refresh_names) */
	_Atomic int ended;               /* it ended (mp_prof_thread_end), or is a
	                                  * fork child's thread that is gone */
	int busy;                        /* recording: a nested record is dropped */
	int wait_unknown;                /* fork child: mp_prof_tls.wait_seen is the parent's */
	uint64_t rng;
	uint64_t dropped_nested;
	uint32_t nevents;
	uint64_t dropped_events;
	struct mp_prof_callstat calls[MP_PROF_MAX_CALLS];
	struct mp_prof_event events[MP_PROF_EVENTS];
};

/* Who held a P from when (trace.json's per-P tracks): one event each time
 * the P changes hands, written under the scheduler's lock. */
struct mp_prof_pevent {
	uint64_t t;                      /* ticks */
	int32_t tid;                     /* the holder from t on; 0: nobody */
};
#define MP_PROF_PTRACKS 64           /* Ps with a track (the first 64) */
#define MP_PROF_PEVENTS 8192         /* per P; later ones are counted as dropped */
struct mp_prof_ptrack {
	_Atomic uint32_t n;              /* release: publishes ev[n - 1] to the report */
	uint64_t dropped;
	struct mp_prof_pevent ev[MP_PROF_PEVENTS];
};

/* A distinct stack in one thread (with its call): weights are estimated
 * ticks.  Keyed by the thread too, so that pprof can label its samples;
 * the report merges the threads again for its own files. */
struct mp_prof_stack {
	_Atomic uint64_t hash;           /* 0 empty, 1 being written, else the key */
	uint16_t call, depth;
	int32_t tid;                     /* fills what was padding: the entry stays 296 bytes */
	uintptr_t pc[MP_PROF_DEPTH];     /* return addresses, innermost first */
	_Atomic uint64_t stall, pwait, kept;   /* ticks, ns */
};

/* FNV-1a of a stack and its call, without the thread: the report merges
 * the threads' entries by it; record.c mixes the tid in for the table. */
static inline uint64_t mp_prof_stack_key(unsigned call, const uintptr_t *pc, unsigned n)
{
	uint64_t h = 0xcbf29ce484222325ull ^ call;
	for (unsigned i = 0; i < n; i++) {
		h ^= pc[i];
		h *= 0x100000001b3ull;
	}
	return h;
}

struct mp_prof_state {
	struct mp_prof_options opt;
	uint64_t min_ticks;              /* opt.min_ns in ticks (set at init) */
	int pid;
	uint64_t start_ticks;
	struct mp_prof_stack *stacks;    /* [MP_PROF_STACKS], mmap'd */
	/* The slots taken, in order (slot + 1; 0: being written): the report
	 * and a fork child visit these only, not the 2.4 MB table. */
	_Atomic uint32_t nused;
	_Atomic uint32_t used[MP_PROF_STACKS];
	struct mp_prof_ptrack *ptracks;  /* [MP_PROF_PTRACKS], mmap'd; NULL: none */
	_Atomic(struct mp_prof_thread *) threads[MP_PROF_THREADS];
	_Atomic uint32_t nthreads;
	_Atomic uint64_t dropped_threads, dropped_stacks;
};

extern struct mp_prof_state mp_prof __attribute__((visibility("hidden")));

/* report.c: a fork child may write again (its own files). */
void mp_prof_write_reset(void);
/* report.c: the monitor's duty that flushes and writes the last words. */
int mp_prof_duty_add(uint64_t flush_ms);

/* glibc's backtrace() was found (record.c). */
bool mp_prof_has_stacks(void);

#endif
