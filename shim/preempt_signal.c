/* preempt_signal.c - choosing, installing and moving the preemption signal. */
#include <errno.h>
#include <stdatomic.h>
#include <stddef.h>

#include "sched/sched.h"
#include "shim/preempt_signal.h"

static _Atomic int current_sig;
static _Atomic int moves;
static mp_sigaction_fn real_sigaction;
/* Signals the program has claimed: never pick them again. */
static _Atomic bool program_claimed[_NSIG];

static void on_preempt_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)si;
	(void)uc;
	int saved = errno;   /* the handler may run between a call and its errno check */
	mp_preempt_signal();
	errno = saved;
}

static bool claimed(int sig)
{
	return atomic_load(&program_claimed[sig]);
}

/* Install our handler on sig if the program leaves it at SIG_DFL. */
static bool try_install(int sig)
{
	struct sigaction old, sa = { 0 };
	if (claimed(sig) || real_sigaction(sig, NULL, &old) != 0 ||
	    (!(old.sa_flags & SA_SIGINFO) && old.sa_handler != SIG_DFL))
		return false;
	if ((old.sa_flags & SA_SIGINFO) && old.sa_sigaction != on_preempt_signal)
		return false;
	sa.sa_sigaction = on_preempt_signal;
	/* SA_RESTART: a restartable call the signal interrupts is restarted, so
	 * the program never sees an EINTR it would not see without us. */
	sa.sa_flags = SA_SIGINFO | SA_RESTART | SA_ONSTACK;
	sigemptyset(&sa.sa_mask);
	return real_sigaction(sig, &sa, NULL) == 0;
}

static int pick_and_install(int avoid)
{
	for (int sig = SIGRTMAX; sig >= SIGRTMIN + 2; sig--)
		if (sig != avoid && try_install(sig))
			return sig;
	return 0;
}

int mp_preempt_signal_setup(int requested, mp_sigaction_fn real)
{
	real_sigaction = real;
	int sig = 0;
	if (requested > 0)
		sig = try_install(requested) ? requested : 0;
	else if (requested == 0)
		sig = pick_and_install(0);
	atomic_store(&current_sig, sig);
	mp_set_preempt_signal(sig);
	return sig;
}

int mp_preempt_signal_current(void)
{
	return atomic_load(&current_sig);
}

int mp_preempt_signal_moves(void)
{
	return atomic_load(&moves);
}

void mp_preempt_signal_yield_to_program(int sig)
{
	if (sig <= 0 || sig >= _NSIG)
		return;
	atomic_store(&program_claimed[sig], true);
	int ours = atomic_load(&current_sig);
	if (sig != ours || !real_sigaction)
		return;
	/* Move first, then let the program have it: a preemption signal sent
	 * in between finds our handler still there. */
	int moved = pick_and_install(ours);
	atomic_store(&current_sig, moved);
	mp_set_preempt_signal(moved);
	atomic_fetch_add(&moves, 1);
}

const sigset_t *mp_preempt_signal_unblockable(const sigset_t *set, sigset_t *tmp)
{
	int sig = atomic_load(&current_sig);
	if (!set || !sig || !sigismember(set, sig))
		return set;
	*tmp = *set;
	sigdelset(tmp, sig);
	return tmp;
}
