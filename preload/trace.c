/*
 * trace.c - write schedtrace lines (format in trace.h).
 */
#include "preload/trace.h"

static void mp_trace_field(struct mp_line *ln, const char *name, uint64_t v)
{
	mp_line_str(ln, " ");
	mp_line_str(ln, name);
	mp_line_str(ln, "=");
	mp_line_u64(ln, v);
}

void mp_trace_format(struct mp_line *ln, const char *prefix,
                     const struct mp_stats *st, uint64_t elapsed_ms)
{
	mp_line_init(ln);
	mp_line_str(ln, prefix);
	mp_line_str(ln, " ");
	mp_line_u64(ln, elapsed_ms);
	mp_line_str(ln, "ms:");
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
	mp_trace_field(ln, "enters", st->enters);
	mp_trace_field(ln, "fastexits", st->fast_exits);
	mp_trace_field(ln, "slowexits", st->slow_exits);
	mp_trace_field(ln, "parks", st->parks);
	mp_trace_field(ln, "preempts", st->preempts);
	mp_trace_field(ln, "sigpreempts", st->signal_preempts);
	mp_trace_field(ln, "signals", st->preempt_signals);
	mp_trace_field(ln, "revokes", st->revokes);
	mp_trace_field(ln, "overshoot", st->overshoot_ns / 1000);
	mp_line_str(ln, "us");
}

void mp_trace_stderr(const struct mp_stats *st, uint64_t elapsed_ms)
{
	struct mp_line ln;

	mp_trace_format(&ln, "maxprocs", st, elapsed_ms);
	mp_line_write(&ln, 2);
}
