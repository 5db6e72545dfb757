/*
 * fastslow.c - the slow exit, and the wait for a signal on its way, as
 * the inline fast exit and enter call them: every general register
 * preserved (fastpath.h, MP_FAST_EXIT_SLOW).  Built with
 * -mgeneral-regs-only, as GCC asks of a no_caller_saved_registers
 * function: it saves what it and its callees may change, and no vector
 * state is ours to keep.
 */
#include "sched/fastpath.h"

#if defined(__x86_64__) && !MP_TSAN
void mp_fast_exit_slow(void)
{
	struct mp_m *mp = &mp_self;
	mp_exit_slow(mp);
	mp_fast_check_m(mp, "exit_syscall");
}

void mp_fast_signal_wait(void)
{
	mp_signal_coming_wait(mslot_of_call(mp_self.call));
}
#endif
