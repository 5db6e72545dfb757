/*
 * preempt_signal.h - the real-time signal the monitor sends to make a
 * thread that runs without calls give up its P (docs/design.md, Liveness).
 *
 * The signal is chosen among the real-time signals the program leaves at
 * SIG_DFL, highest first, or taken from MAXPROCS_PREEMPT_SIGNAL.  If the
 * program later installs its own handler on it, ours moves to another free
 * signal; if none is left, signal preemption is off and the monitor falls
 * back to revoking (signal-free, slower: the holder runs on without a P).
 */
#ifndef MAXPROCS_SHIM_PREEMPT_SIGNAL_H
#define MAXPROCS_SHIM_PREEMPT_SIGNAL_H

#include <signal.h>
#include <stdbool.h>

typedef int (*mp_sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* Install the handler.  requested: a signal number, 0 = pick one, -1 =
 * off.  real: the libc sigaction.  Returns the signal used, or 0. */
int mp_preempt_signal_setup(int requested, mp_sigaction_fn real);

/* The signal in use now, or 0. */
int mp_preempt_signal_current(void);

/* How many times the program took our signal (so it moved or went off). */
int mp_preempt_signal_moves(void);

/* The program is about to install a disposition for sig: if sig is ours,
 * move ours elsewhere first, so the program's handler is never broken. */
void mp_preempt_signal_yield_to_program(int sig);

/* Remove our signal from a mask the program is about to block, so a
 * thread that blocks "all signals" can still be preempted.  Returns the
 * set to pass on (set itself, or tmp filled with the edited copy). */
const sigset_t *mp_preempt_signal_unblockable(const sigset_t *set, sigset_t *tmp);

#endif
