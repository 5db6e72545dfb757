/*
 * signals.c - the program's signal-disposition calls.  On the signal the
 * library owns (signals/signals.h: the preemption signal, SIGURG by
 * default) they read and write the program's own disposition, kept by
 * signals/owned.c, never the kernel's, which holds our handler; on every
 * other signal, and in a vfork child (whose signal table is its own), they
 * pass straight through.  Each mirrors what glibc's own function does with
 * __sigaction, so the program reads back exactly what it set.
 *
 * Masks: a thread that blocks the signal by itself, or among a few others,
 * keeps it blocked and is simply never sent it (sigwaitinfo, signalfd and
 * sigpending see only the program's).  A mask that blocks most signals
 * (sigfillset, as worker threads of xz and many pools do, only so that
 * signals go to one thread) is applied without it: such a thread can
 * still be preempted, or it would run on past the cap.  The signal is
 * ignored by default, so the program sees a difference only if it sends
 * that signal itself to such a thread (docs/design.md, "Signals").
 */
#include "preload/real.h"
#include "preload/wrap.h"

#include <string.h>

#include "signals/signals.h"

MP_EXPORT int sigaction(int sig, const struct sigaction *restrict act,
                        struct sigaction *restrict old)
{
	if (sig == SIGSYS && mp_signals_sigsys_owned() && !mp_signals_owned(sig)) {
		/* Catch-all mode in a vfork child (CPython's resets every
		 * handler before exec): our handler stays, or the child's next
		 * trapped call would kill it.  It reads back the program's
		 * disposition; nothing of the parent's changes. */
		if (old)
			mp_signals_sigsys_view(old);
		return 0;
	}
	if (!mp_signals_owned(sig)) {
		/* Catch-all mode: a handler that blocks SIGSYS and makes a
		 * trapped call would be killed (the program reads back the mask
		 * without SIGSYS). */
		if (act && mp_signals_sigsys_owned() && sigismember(&act->sa_mask, SIGSYS) == 1) {
			struct sigaction copy = *act;
			sigdelset(&copy.sa_mask, SIGSYS);
			return mp_real_sigaction()(sig, &copy, old);
		}
		return mp_real_sigaction()(sig, act, old);
	}
	/* Read act as libc would (a bad pointer faults here as it does
	 * there); the kernel's disposition stays ours. */
	return mp_signals_sigaction(sig, act, old);
}

/* glibc's signal() and bsd_signal(): BSD semantics, SA_RESTART unless
 * siginterrupt() asked otherwise, the signal itself blocked in its handler. */
static __sighandler_t owned_bsd_signal(int sig, __sighandler_t handler)
{
	struct sigaction act, old;

	memset(&act, 0, sizeof act);
	act.sa_handler = handler;
	sigemptyset(&act.sa_mask);
	sigaddset(&act.sa_mask, sig);
	act.sa_flags = mp_signals_interrupt(sig) ? 0 : SA_RESTART;
	mp_signals_sigaction(sig, &act, &old);
	return old.sa_handler;
}

MP_EXPORT __sighandler_t signal(int sig, __sighandler_t handler)
{
	if (mp_signals_owned(sig) && handler != SIG_ERR)
		return owned_bsd_signal(sig, handler);
	return mp_real_signal()(sig, handler);
}

MP_EXPORT __sighandler_t bsd_signal(int sig, __sighandler_t handler)
{
	if (mp_signals_owned(sig) && handler != SIG_ERR)
		return owned_bsd_signal(sig, handler);
	return mp_real_bsd_signal()(sig, handler);
}

/* System V: one-shot, not blocked in its own handler, no restart. */
MP_EXPORT __sighandler_t sysv_signal(int sig, __sighandler_t handler)
{
	struct sigaction act, old;

	if (!mp_signals_owned(sig) || handler == SIG_ERR)
		return mp_real_sysv_signal()(sig, handler);
	memset(&act, 0, sizeof act);
	act.sa_handler = handler;
	sigemptyset(&act.sa_mask);
	act.sa_flags = SA_RESETHAND | SA_NODEFER;
	mp_signals_sigaction(sig, &act, &old);
	return old.sa_handler;
}

MP_EXPORT int sigignore(int sig)
{
	struct sigaction act;

	if (!mp_signals_owned(sig))
		return mp_real_sigignore()(sig);
	memset(&act, 0, sizeof act);
	act.sa_handler = SIG_IGN;
	sigemptyset(&act.sa_mask);
	return mp_signals_sigaction(sig, &act, NULL);
}

MP_EXPORT int siginterrupt(int sig, int interrupt)
{
	struct sigaction act;

	if (!mp_signals_owned(sig))
		return mp_real_siginterrupt()(sig, interrupt);
	mp_signals_sigaction(sig, NULL, &act);
	mp_signals_set_interrupt(sig, interrupt != 0);
	if (interrupt)
		act.sa_flags &= ~SA_RESTART;
	else
		act.sa_flags |= SA_RESTART;
	return mp_signals_sigaction(sig, &act, NULL);
}

/* sigset(3) as glibc writes it, on the program's disposition. */
MP_EXPORT __sighandler_t sigset(int sig, __sighandler_t disp)
{
	struct sigaction act, old;
	sigset_t set, oset;

	if (!mp_signals_owned(sig))
		return mp_real_sigset()(sig, disp);
	sigemptyset(&set);
	sigaddset(&set, sig);
	if (disp == SIG_HOLD) {
		sigset_t tmp;
		if (mp_real_sigprocmask()(SIG_BLOCK, mp_signals_mask_for_kernel(SIG_BLOCK, &set, &tmp),
		                          &oset) < 0)
			return SIG_ERR;
		if (sigismember(&oset, sig))
			return SIG_HOLD;
		mp_signals_sigaction(sig, NULL, &old);
		return old.sa_handler;
	}
	memset(&act, 0, sizeof act);
	act.sa_handler = disp;
	sigemptyset(&act.sa_mask);
	mp_signals_sigaction(sig, &act, &old);
	if (mp_real_sigprocmask()(SIG_UNBLOCK, &set, &oset) < 0)
		return SIG_ERR;
	return sigismember(&oset, sig) ? SIG_HOLD : old.sa_handler;
}

MP_EXPORT int sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	sigset_t tmp;

	return mp_real_sigprocmask()(how, mp_signals_mask_for_kernel(how, set, &tmp), old);
}

MP_EXPORT int pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	sigset_t tmp;

	return mp_real_pthread_sigmask()(how, mp_signals_mask_for_kernel(how, set, &tmp), old);
}
