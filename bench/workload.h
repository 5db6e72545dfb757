/*
 * workload.h - what the comparison workloads (convoy, spin_handover, pool,
 * mcload) share: a clock, calibrated CPU work, a latency histogram, the
 * process's own context switches and CPU time, and argument parsing.
 *
 * Each workload prints exactly one result line on stdout, key=value pairs
 * separated by spaces, for bench/compare to parse:
 *   workload=NAME ... tput=X p50_us=.. p99_us=.. p999_us=.. vcsw=.. ivcsw=.. cpu_s=..
 * tput is the headline rate (per second of wall time).  Errors go to
 * stderr with a non-zero exit.
 */
#ifndef MAXPROCS_BENCH_WORKLOAD_H
#define MAXPROCS_BENCH_WORKLOAD_H

#include <pthread.h>
#include <stdint.h>
#include <stdio.h>

uint64_t wl_now_ns(void);              /* CLOCK_MONOTONIC */
void wl_sleep_ns(uint64_t ns);

/* CPU work that takes about ns nanoseconds of this thread's CPU time,
 * whatever else runs: a loop whose speed wl_calibrate() measured once on
 * the thread CPU clock.  Call wl_calibrate() before starting threads. */
void wl_calibrate(void);
void wl_work_ns(uint64_t ns);

/* Log-linear histogram of nanosecond values: 16 sub-buckets per power of
 * two, so a percentile is within ~6 % of the true value.  8 KiB: one per
 * thread, merged at the end, no sharing while measuring. */
#define WL_HIST_BUCKETS 1024
struct wl_hist {
	uint64_t n;
	uint64_t count[WL_HIST_BUCKETS];
};

void wl_hist_add(struct wl_hist *h, uint64_t ns);
void wl_hist_merge(struct wl_hist *into, const struct wl_hist *from);
double wl_hist_pct_us(const struct wl_hist *h, double q);   /* q in [0,1] */

/* Context switches and CPU time of the whole process (every thread, the
 * finished ones too) since wl_usage_start(). */
struct wl_usage {
	long vcsw, ivcsw;
	double user_s, sys_s;
};
void wl_usage_start(struct wl_usage *u);
void wl_usage_stop(struct wl_usage *u);

/* " p50_us=.. p99_us=.. p999_us=.." and " vcsw=.. ivcsw=.. cpu_s=.. user_s=.. sys_s=.." */
void wl_print_pct(FILE *f, const struct wl_hist *h);
void wl_print_usage(FILE *f, const struct wl_usage *u);

/* Start a thread or exit(1) with a message naming who. */
void wl_spawn(const char *who, pthread_t *t, void *(*fn)(void *), void *arg);

/* Command-line numbers: the value or exit(2) with a message naming opt. */
uint64_t wl_arg_u64(const char *opt, const char *s, uint64_t min, uint64_t max);
double wl_arg_seconds(const char *opt, const char *s);

#endif
