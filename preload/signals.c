/*
 * signals.c - the program's signal calls, seen so the preemption signal
 * (shim/preempt_signal.h) stays usable and never gets in the program's way:
 *
 * - installing any disposition on our signal (sigaction with an action,
 *   signal, sysv_signal, bsd_signal) first moves ours to another free
 *   real-time signal: the program's handler is installed as asked and gets
 *   only the signals the program sends;
 * - blocking masks (sigprocmask, pthread_sigmask with SIG_BLOCK or
 *   SIG_SETMASK) are passed on without our signal, so a thread that blocks
 *   "everything" can still be preempted.  The handler does nothing on a
 *   thread that is not at a safe point, so this changes no behaviour the
 *   program can observe except the mask it reads back.
 *
 * Everything else passes straight through; none of these calls blocks.
 */
#include "preload/real.h"
#include "preload/wrap.h"

#include "shim/preempt_signal.h"

MP_EXPORT int sigaction(int sig, const struct sigaction *restrict act,
                        struct sigaction *restrict old)
{
	if (act)
		mp_preempt_signal_yield_to_program(sig);
	return mp_real_sigaction()(sig, act, old);
}

MP_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	mp_preempt_signal_yield_to_program(sig);
	return mp_real_signal()(sig, handler);
}

MP_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
	mp_preempt_signal_yield_to_program(sig);
	return mp_real_sysv_signal()(sig, handler);
}

MP_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
	mp_preempt_signal_yield_to_program(sig);
	return mp_real_bsd_signal()(sig, handler);
}

MP_EXPORT int sigprocmask(int how, const sigset_t *restrict set,
                          sigset_t *restrict old)
{
	sigset_t tmp;

	if (how != SIG_UNBLOCK)
		set = mp_preempt_signal_unblockable(set, &tmp);
	return mp_real_sigprocmask()(how, set, old);
}

MP_EXPORT int pthread_sigmask(int how, const sigset_t *restrict set,
                              sigset_t *restrict old)
{
	sigset_t tmp;

	if (how != SIG_UNBLOCK)
		set = mp_preempt_signal_unblockable(set, &tmp);
	return mp_real_pthread_sigmask()(how, set, old);
}
