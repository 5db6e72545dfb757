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
#define MP_COUNTER_OWNER(name) st->name += rd(pp->name);
#define MP_COUNTER_P(name) st->name += rd(pp->name);
#define MP_COUNTER_SCHED(name)
#define MP_COUNTER(where, name, ...) MP_COUNTER_##where(name)
#include "sched/counters.def"
#undef MP_COUNTER_OWNER
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
	}
	st->threads = rd(mp_sched.nthreads);
	st->waiting = rd(mp_sched.nwaiting);
	st->running_hwm = rd(mp_sched.nheld_hwm);
#define MP_COUNTER_OWNER(name)
#define MP_COUNTER_P(name)
#define MP_COUNTER_SCHED(name) st->name = rd(mp_sched.name);
#include "sched/counters.def"
#undef MP_COUNTER_OWNER
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
#undef MP_COUNTER
	st->preempt_signo = rd(mp_sched.preempt_signo);
}
