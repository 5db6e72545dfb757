/*
 * config.h - the preload's settings, from the environment.
 *
 *   MAXPROCS=N              Ps (1..1024); default: mp_cpus_default()
 *   MAXPROCS_SCHEDTRACE=MS  one schedtrace line on stderr every MS ms
 *                           (0..3600000; 0 or unset: off)
 *   MAXPROCS_SLICE_US=US    preemption slice (100..10000000; default 10000)
 *   MAXPROCS_DEBUG=0|1      one line at start-up and one at exit with the
 *                           settings and counters; unresolved symbols
 *   MAXPROCS_PREEMPT_SIGNAL=auto|off|N
 *                           the signal that preempts a thread running
 *                           without calls: auto (default, SIGURG), off, or
 *                           a real-time signal 34..64
 *
 * The rows of shim/settings.def are the source of the names, ranges and
 * words; this comment is their summary.
 *
 * An unset or empty variable takes its default silently.  A malformed or
 * out-of-range value gives exactly one warning line naming the variable, the
 * value and what is accepted, and then the default.  Values are decimal
 * digits only: no sign, no spaces, no suffix.
 *
 * mp_config_parse() is pure (no environment, no I/O, no globals) so the unit
 * tests can drive it; mp_env_read() is the only part that looks at the
 * process environment.
 */
#ifndef MAXPROCS_SHIM_CONFIG_H
#define MAXPROCS_SHIM_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "shim/limits.h"

/* mp_KEY_lo, mp_KEY_hi: the range of each row of shim/settings.def. */
#define MP_SETTING(key, env, option, shortopt, metavar, lo, hi, ...) \
	enum { mp_##key##_lo = (lo), mp_##key##_hi = (hi) };
#include "shim/settings.def"
#undef MP_SETTING

/* Names and bounds by their old names (the table is the source). */
#define MP_ENV_PROCS "MAXPROCS"
#define MP_ENV_SCHEDTRACE "MAXPROCS_SCHEDTRACE"
#define MP_ENV_SLICE "MAXPROCS_SLICE_US"
#define MP_ENV_DEBUG "MAXPROCS_DEBUG"
#define MP_ENV_PREEMPT_SIGNAL "MAXPROCS_PREEMPT_SIGNAL"
#define MP_SCHEDTRACE_MAX_MS ((uint64_t)mp_schedtrace_hi)
#define MP_SLICE_MIN_US ((uint64_t)mp_slice_us_lo)
#define MP_SLICE_MAX_US ((uint64_t)mp_slice_us_hi)
#define MP_SLICE_DEFAULT_US 10000ull      /* 10 ms, Go's forcePreemptNS */
#define MP_SPIN_DEFAULT_US 10ull          /* the spinning waiter's limit (sched/spinwait.c) */
#define MP_PREEMPT_SIGNAL_AUTO 0          /* mp_config.preempt_signal values */
#define MP_PREEMPT_SIGNAL_OFF (-1)
#define MP_PREEMPT_SIGNAL_MIN mp_preempt_signal_lo   /* glibc's SIGRTMIN */
#define MP_PREEMPT_SIGNAL_MAX mp_preempt_signal_hi

/* Raw values as found in the environment; NULL = unset. */
struct mp_env {
#define MP_SETTING(key, ...) const char *key;
#include "shim/settings.def"
#undef MP_SETTING
};

struct mp_config {
	uint32_t nprocs;          /* 1..MP_MAXPROCS */
	bool nprocs_from_env;     /* false: the CPU default was used */
	uint64_t schedtrace_ms;   /* 0 = off */
	uint64_t slice_ns;
	uint64_t spin_ns;         /* 0: the first waiter never spins */
	bool debug;
	int preempt_signal;       /* MP_PREEMPT_SIGNAL_AUTO, _OFF or a number */
	int sync;                 /* MP_CONFIG_SYNC_*: the values of enum mp_sync */
	const char *profile_dir;  /* NULL: not profiling */
	uint64_t profile_min_ns;
	uint64_t profile_flush_ms;  /* 0: the files only at the end */
	bool stats;               /* publish the stats segment (MAXPROCS_STATS) */
	bool catch_all;           /* trap libc's own blocking calls (MAXPROCS_CATCH_ALL) */
	bool auto_floor;          /* MAXPROCS_AUTO_ROUND=floor */
	uint32_t auto_min;        /* MAXPROCS_AUTO_MIN */
	uint32_t auto_reserve;    /* MAXPROCS_AUTO_RESERVE */
};

#define MP_PROFILE_MIN_DEFAULT_US 1000ull

#define MP_CONFIG_SYNC_AUTO 0
#define MP_CONFIG_SYNC_MEMBARRIER 1
#define MP_CONFIG_SYNC_CAS 2

/* Receives each warning, a complete line without its '\n'. */
typedef void (*mp_warn_fn)(void *ctx, const char *line);

/* Fill cfg from env; default_nprocs (clamped to 1..MP_MAXPROCS) is used when
 * MAXPROCS is unset or bad.  Calls warn once per bad variable (warn may be
 * NULL).  Returns the number of bad variables. */
int mp_config_parse(struct mp_config *cfg, const struct mp_env *env,
                    uint32_t default_nprocs, mp_warn_fn warn, void *ctx);

/* A decimal number in [lo, hi]: true and *out set, or false. */
bool mp_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out);

/* Look the variables up with getenv(). */
void mp_env_read(struct mp_env *env);

#endif
