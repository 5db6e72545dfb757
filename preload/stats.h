/*
 * stats.h - the live stats segment and the cap's control (docs/design.md,
 * "The stats segment"): two duties of the monitor.
 *
 *   "stats" (every MP_SEG_PERIOD_MS, MAXPROCS_STATS=1): creates the
 *           segment on its first run in this process (so a process with a
 *           single thread, which never starts the monitor, has none),
 *           reads the control area (`maxprocs set`) and publishes the P
 *           table and the counters under the seqlock;
 *   "auto"  (every second, MAXPROCS=auto or unset): re-reads the affinity
 *           mask and the cgroup quota and resizes when N changes, unless
 *           `maxprocs set` overrides it.
 * Both run on the monitor thread only, so the state here has one writer.
 */
#ifndef MAXPROCS_PRELOAD_STATS_H
#define MAXPROCS_PRELOAD_STATS_H

#include <stdbool.h>

#include "shim/config.h"
#include "shim/cpus.h"

/* In the constructor, after mp_sched_init and before the monitor starts:
 * the duties and what N was chosen from (cpus: the auto decision made at
 * start, unused when MAXPROCS gave a number). */
void mp_preload_stats_init(const struct mp_config *cfg, const struct mp_cpus_info *cpus);
/* Why N is what it is now ("MAXPROCS=2", "affinity 2", ...). */
const char *mp_preload_nprocs_why(void);
/* The process ends (destructor, _exit): the segment's name goes. */
void mp_preload_stats_exit(void);
/* A fork child: the parent's segment is not ours; async-signal-safe. */
void mp_preload_stats_fork_child(void);

#endif
