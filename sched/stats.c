/*
 * stats.c - the counters snapshot.  Lock-free: each counter is read once,
 * so a snapshot taken while the program runs is a little smeared in time,
 * never torn within one field.
 */
#include <string.h>

#include "sched/internal.h"

#define rd(x) atomic_load_explicit(&(x), memory_order_relaxed)

void mp_stats_snapshot(struct mp_stats *st)
{
	memset(st, 0, sizeof *st);
	uint32_t len = rd(mp_sched.ptable_len);
	st->nprocs = rd(mp_sched.nprocs);
	for (uint32_t i = 0; i < len; i++) {
		const struct mp_p *pp = &mp_allp[i];
		switch (pw_state(atomic_load(&pp->word))) {
		case P_IDLE:    st->idle++; break;
		case P_RUNNING: st->running++; break;
		case P_SYSCALL: st->in_syscall++; break;
		default:        st->stopped++; break;
		}
		st->enters += rd(pp->enters);
		st->fast_exits += rd(pp->fast_exits);
		st->slow_exits += rd(pp->slow_exits);
		st->handoffs += rd(pp->handoffs);
		st->retakes += rd(pp->retakes);
		st->parks += rd(pp->parks);
		st->preempts += rd(pp->preempts);
		st->signal_preempts += rd(pp->signal_preempts);
		st->revokes += rd(pp->revokes);
	}
	st->threads = rd(mp_sched.nthreads);
	st->waiting = rd(mp_sched.nwaiting);
	st->running_hwm = rd(mp_sched.nheld_hwm);
	st->overshoot_ns = rd(mp_sched.overshoot_ns);
	st->preempt_signals = rd(mp_sched.preempt_signals);
	st->preempt_signo = rd(mp_sched.preempt_signo);
}
