/*
 * trace.h - the schedtrace line, like Go's GODEBUG=schedtrace=MS:
 *
 *   maxprocs 1000ms: procs=2 idle=0 syscall=1 threads=9 waiting=6
 *     handoffs=41 retakes=12 running=1 stopped=0 hwm=2 enters=950
 *     fastexits=930 slowexits=20 parks=33 preempts=3 sigpreempts=0
 *     signals=0 revokes=0 overshoot=0us
 *
 * (one line; wrapped here).  The first fields are the ones issue 3 names, in
 * Go's order; the rest are the other counters of sched/counters.def, in the
 * table's order.  Counters are cumulative since start-up (or since fork in
 * a child).
 */
#ifndef MAXPROCS_PRELOAD_TRACE_H
#define MAXPROCS_PRELOAD_TRACE_H

#include <stdint.h>
#include "sched/sched.h"
#include "shim/line.h"

/* Format the line (without '\n') into ln, which is reset first. */
void mp_trace_format(struct mp_line *ln, const char *prefix,
                     const struct mp_stats *st, uint64_t elapsed_ms);

/* The mp_trace_fn the preload passes to the core: format and write to
 * stderr with one raw write.  Async-signal-safe, allocation-free. */
void mp_trace_stderr(const struct mp_stats *st, uint64_t elapsed_ms);

#endif
