/*
 * trace.c - write schedtrace lines (format in trace.h).
 */
#include "preload/trace.h"

#include <stdbool.h>
#include <string.h>

static void mp_trace_field(struct mp_line *ln, const char *name, uint64_t v)
{
	mp_line_str(ln, " ");
	mp_line_str(ln, name);
	mp_line_str(ln, "=");
	mp_line_u64(ln, v);
}

static bool mp_trace_lead(const char *trace)
{
	return !strcmp(trace, "handoffs") || !strcmp(trace, "retakes");
}

void mp_trace_format(struct mp_line *ln, const char *prefix,
                     const struct mp_stats *st, uint64_t elapsed_ms)
{
	mp_line_init(ln);
	mp_line_str(ln, prefix);
	mp_line_str(ln, " ");
	mp_line_u64(ln, elapsed_ms);
	mp_line_str(ln, "ms:");
	/* The fields issue 3 names, in Go's order (handoffs and retakes are
	 * counters, printed here rather than below)... */
	mp_trace_field(ln, "procs", st->nprocs);
	mp_trace_field(ln, "idle", st->idle);
	mp_trace_field(ln, "syscall", st->in_syscall);
	mp_trace_field(ln, "threads", st->threads);
	mp_trace_field(ln, "waiting", st->waiting);
	mp_trace_field(ln, "handoffs", st->handoffs);
	mp_trace_field(ln, "retakes", st->retakes);
	mp_trace_field(ln, "running", st->running);
	mp_trace_field(ln, "stopped", st->stopped);
	mp_trace_field(ln, "hwm", st->running_hwm);
	/* ... then every other counter of sched/counters.def, in its order. */
#define MP_COUNTER(where, name, trace, unit, scale, doc)                    \
	if (!mp_trace_lead(trace)) {                                        \
		mp_trace_field(ln, trace, st->name / (scale));              \
		mp_line_str(ln, unit);                                      \
	}
#include "sched/counters.def"
#undef MP_COUNTER
}

void mp_trace_stderr(const struct mp_stats *st, uint64_t elapsed_ms)
{
	struct mp_line ln;

	mp_trace_format(&ln, "maxprocs", st, elapsed_ms);
	mp_line_write(&ln, 2);
}
