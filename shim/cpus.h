/*
 * cpus.h - the default number of Ps: the CPUs this process may run on,
 * reduced by a cgroup CPU quota.
 *
 * Like Go 1.25's container-aware GOMAXPROCS (runtime/cgroup_linux.go):
 *   limit   = ceil(quota / period), from cgroup v2 cpu.max or v1
 *             cpu.cfs_quota_us / cpu.cfs_period_us, the tightest one on the
 *             path from our cgroup up to its mount (Go reads only our own
 *             cgroup, golang/go#81180; a parent's quota binds us just the
 *             same, so we read the ancestors too);
 *   limit   = max(limit, 2), as Go does, so a fractional quota still allows
 *             a blocked and a running thread to overlap;
 *   default = min(affinity CPUs, limit): the cap never exceeds the CPUs we
 *             can run on, so a 1-CPU affinity mask gives 1 whatever the quota.
 * CPU shares/weights are ignored, as in Go.  Rules on top (MAXPROCS_AUTO_*):
 *   floor   = floor(quota / period) instead, without Go's minimum of 2
 *             (automaxprocs' choice: a 1.5-CPU quota gives 1);
 *   reserve = CPUs taken off the result (a sidecar's share);
 *   min     = the result is never below it (default 1).
 * The monitor re-reads all of it once a second under MAXPROCS=auto
 * (preload/stats.c), as Go 1.25 does.
 *
 * Everything here uses raw system calls: it runs in the constructor, where
 * our own wrappers of open/read/close must not be re-entered.
 */
#ifndef MAXPROCS_SHIM_CPUS_H
#define MAXPROCS_SHIM_CPUS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define MP_CPUS_WHY_LEN 64

/* Where the default came from: MAXPROCS_DEBUG, the schedtrace header, the
 * stats segment. */
struct mp_cpus_info {
	uint32_t affinity;      /* CPUs in the sched_getaffinity mask */
	uint32_t quota_limit;   /* ceil(quota/period) before max(.,2); 0 = none */
	uint32_t result;
	char why[MP_CPUS_WHY_LEN];   /* "affinity 2", "cgroup quota 1.5 -> ceil 2", ... */
};

/* The rules of MAXPROCS_AUTO_* (NULL: the defaults: ceil, min 1, no
 * reserve). */
struct mp_auto_rules {
	bool floor;
	uint32_t min;           /* 0 taken as 1 */
	uint32_t reserve;
};

uint32_t mp_cpus_default(struct mp_cpus_info *info);  /* info may be NULL */
/* CPUs in this thread's affinity mask (one system call; 1 if it fails). */
uint32_t mp_cpus_affinity(void);
/* The affinity mask and the quota read now, under rules. */
uint32_t mp_cpus_auto(const struct mp_auto_rules *rules, struct mp_cpus_info *info);
/* Pure: the decision from what was read (quota < 0 or period 0: none). */
uint32_t mp_cpus_decide(uint32_t affinity, int64_t quota, uint64_t period,
                        const struct mp_auto_rules *rules, struct mp_cpus_info *info);

/* Pure helpers, exposed for the unit tests. */

/* Quota (-1 = unlimited) and period from the text of a cgroup v2 cpu.max
 * file ("max 100000" or "50000 100000").  false if malformed. */
bool mp_cgroup_parse_cpu_max(const char *text, int64_t *quota,
                             uint64_t *period);
/* One integer file (v1 cpu.cfs_quota_us: "-1" or "50000"). */
bool mp_cgroup_parse_int(const char *text, int64_t *out);
/* ceil(quota/period), or 0 when there is no limit (quota < 0, period 0). */
uint32_t mp_cgroup_quota_cpus(int64_t quota, uint64_t period);
/* min(cpus, max(limit, 2)); limit 0 = no limit; never below 1. */
uint32_t mp_cpus_apply_limit(uint32_t cpus, uint32_t limit);

#endif
