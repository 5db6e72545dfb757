/*
 * statseg_layout.h - the layout of the live stats segment, the file each
 * capped process publishes in /dev/shm/maxprocs-UID/PID for `maxprocs ps`,
 * `maxprocs top` and `maxprocs set` (docs/design.md, "The stats segment").
 *
 * Pure data (types and constants, no declarations of functions): both the
 * library and the tools include it (scripts/check-layers lets tools/ in).
 * Everything is fixed-size and naturally aligned, so a 64-bit reader and
 * writer agree without packing.  A reader checks magic, version and every
 * size in the header before it looks further; a newer version may append
 * fields to a record, never move one.
 *
 * Three parts, each at the offset the header gives:
 *   header   written once when the file is created (who, which sizes);
 *   stats    rewritten by the monitor's publish duty a few times a
 *            second under a seqlock: seq is odd while it writes, and a
 *            reader copies the record, then retries unless seq was even
 *            and unchanged around the copy;
 *   control  written by `maxprocs set`, read by the library: request and
 *            check (= ~request) first, then seq incremented.  The library
 *            acts on a changed seq only, and applies request only if check
 *            matches and it is 1..MP_MAXPROCS or MP_SEG_CONTROL_AUTO; it
 *            never trusts anything else in the file (it keeps its own
 *            copies of what it wrote).
 */
#ifndef MAXPROCS_SHIM_STATSEG_LAYOUT_H
#define MAXPROCS_SHIM_STATSEG_LAYOUT_H

#include <stdint.h>

#include "shim/limits.h"

#define MP_SEG_MAGIC 0x5453504du         /* "MPST" in a little-endian file */
#define MP_SEG_VERSION 1
#define MP_SEG_DIR_PREFIX "/dev/shm/maxprocs-"   /* then the uid: mode 0700 */
#define MP_SEG_WHY_LEN 64
#define MP_SEG_NAME_LEN 24
#define MP_SEG_COUNTERS_MAX 48
#define MP_SEG_CALLS_MAX 8
#define MP_SEG_PERIOD_MS 250             /* the publish duty's period */
/* A control request that returns the cap to MAXPROCS=auto (or to the
 * number MAXPROCS gave at start). */
#define MP_SEG_CONTROL_AUTO 0u

/* Where N comes from (mp_seg_stats.source). */
enum mp_seg_source {
	MP_SEG_SRC_ENV = 1,     /* MAXPROCS=N */
	MP_SEG_SRC_AUTO = 2,    /* MAXPROCS=auto or unset: affinity and quota */
	MP_SEG_SRC_SET = 3,     /* maxprocs set PID N */
};

/* mp_seg_stats.pstates[i] */
enum mp_seg_pstate {
	MP_SEG_P_IDLE = 0,
	MP_SEG_P_RUNNING = 1,   /* its holder runs user code */
	MP_SEG_P_SYSCALL = 2,   /* its holder is in a call */
	MP_SEG_P_STOPPED = 3,   /* beyond N (a resize) */
};

struct mp_seg_header {
	uint32_t magic;
	uint16_t version;
	uint16_t header_size;     /* sizeof(struct mp_seg_header) */
	uint32_t total_size;      /* the file's size */
	uint32_t stats_offset, stats_size;
	uint32_t control_offset, control_size;
	uint32_t counter_size;    /* sizeof(struct mp_seg_counter) */
	uint32_t call_size;       /* sizeof(struct mp_seg_call) */
	uint32_t pstates_max;     /* entries of pstates (MP_MAXPROCS) */
	int32_t pid;
	uint32_t uid;
	uint32_t reserved;
	/* /proc/PID/stat field 22 (clock ticks after boot): a live PID with
	 * another start time is another process (pid reuse). */
	uint64_t start_time;
	char comm[16];            /* /proc/PID/comm at creation */
};

/* One row of sched/counters.def: self-describing, so the tools need no
 * table of their own and a new counter needs no edit here. */
struct mp_seg_counter {
	char name[MP_SEG_NAME_LEN];   /* its schedtrace name */
	char unit[8];
	uint64_t scale;               /* shown as value / scale */
	uint64_t value;
};

/* With MAXPROCS_PROFILE: the calls that blocked longest so far, most
 * first (ncalls of them; 0 when not profiling). */
struct mp_seg_call {
	char name[MP_SEG_NAME_LEN];
	uint64_t calls;
	uint64_t stall_ns;
};

struct mp_seg_stats {
	uint64_t seq;                 /* odd while the library writes */
	uint64_t updated_ns;          /* CLOCK_MONOTONIC of this publish */
	uint64_t uptime_ns;           /* since the scheduler started */
	uint64_t publishes;
	uint32_t nprocs;              /* N now */
	uint32_t idle, running, in_syscall, stopped;   /* Ps */
	uint32_t threads;             /* Ms attached */
	uint32_t threads_running;     /* holding a P, in user code */
	uint32_t threads_in_calls;    /* in a call (with or without a P) */
	uint32_t threads_waiting;     /* parked waiting for a P */
	uint32_t running_hwm;         /* most Ps held at once, ever */
	uint32_t source;              /* enum mp_seg_source */
	uint32_t auto_n;              /* what auto computes now (0: not looked) */
	uint32_t control_seq;         /* the last control seq acted on */
	uint32_t control_applied;     /* the N it applied (0: none yet) */
	uint32_t control_rejected;    /* malformed requests ignored */
	uint32_t ncounters, ncalls;
	uint32_t reserved;
	uint64_t pwait_ns;            /* time Ms waited parked for a P, in all */
	char why[MP_SEG_WHY_LEN];     /* why N: "MAXPROCS=2", "affinity 2", ... */
	struct mp_seg_counter counters[MP_SEG_COUNTERS_MAX];
	struct mp_seg_call calls[MP_SEG_CALLS_MAX];
	uint8_t pstates[MP_MAXPROCS]; /* enum mp_seg_pstate, [0, ptable_len) */
	uint32_t ptable_len;          /* entries of pstates in use */
	uint32_t reserved2;
};

struct mp_seg_control {
	uint32_t seq;                 /* the writer increments it last */
	uint32_t request;             /* 1..MP_MAXPROCS or MP_SEG_CONTROL_AUTO */
	uint32_t check;               /* ~request */
	uint32_t reserved;
};

/* The file: header, stats, control, in this order (the offsets are in
 * the header all the same). */
struct mp_seg_file {
	struct mp_seg_header header;
	struct mp_seg_stats stats;
	struct mp_seg_control control;
};

#endif
