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
		switch (p_view(pp, atomic_load(&pp->word), NULL)) {
		case P_IDLE:    st->idle++; break;
		case P_RUNNING: st->running++; break;
		case P_SYSCALL: st->in_syscall++; break;
		default:        st->stopped++; break;
		}
#define MP_COUNTER_CALLS(name)
#define MP_COUNTER_P(name) st->name += rd(pp->name);
#define MP_COUNTER_SCHED(name)
#define MP_COUNTER(where, name, ...) MP_COUNTER_##where(name)
#include "sched/counters.def"
#undef MP_COUNTER_CALLS
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
	}
	/* The calls: counted in the call words of the Ms (a slot not in use
	 * reads 0; none beyond the high-water mark was ever used, so the
	 * table's untouched pages stay untouched), and of the Ms gone. */
	st->enters = rd(mp_sched.calls_gone);
	int32_t hwm = atomic_load_explicit(&mp_tab->mhwm, memory_order_relaxed);
	for (int32_t i = 0; i < hwm && i < MP_MAX_MS; i++)
		st->enters += mc_calls(rd(mp_tab->m[i].call));
	st->fast_exits = st->enters > st->slow_exits ? st->enters - st->slow_exits : 0;
	st->threads = rd(mp_sched.nthreads);
	st->waiting = rd(mp_sched.nwaiting);
	st->running_hwm = rd(mp_sched.nheld_hwm);
#define MP_COUNTER_CALLS(name)
#define MP_COUNTER_P(name)
#define MP_COUNTER_SCHED(name) st->name = rd(mp_sched.name);
#include "sched/counters.def"
#undef MP_COUNTER_CALLS
#undef MP_COUNTER_P
#undef MP_COUNTER_SCHED
#undef MP_COUNTER
	st->preempt_signo = rd(mp_sched.preempt_signo);
}

uint32_t mp_p_states(uint8_t *out, uint32_t max)
{
	uint32_t len = rd(mp_sched.ptable_len);
	if (len > max)
		len = max;
	for (uint32_t i = 0; i < len; i++) {
		const struct mp_p *pp = &mp_allp[i];
		switch (p_view(pp, atomic_load(&pp->word), NULL)) {
		case P_IDLE:    out[i] = MP_PV_IDLE; break;
		case P_RUNNING: out[i] = MP_PV_RUNNING; break;
		case P_SYSCALL: out[i] = MP_PV_SYSCALL; break;
		default:        out[i] = MP_PV_STOPPED; break;
		}
	}
	return len;
}
