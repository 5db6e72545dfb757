/*
 * signals.h - the signals the library owns, kept invisible to the program.
 *
 * The preemption signal, SIGURG by default (as in Go:
 * rarely used, ignored by default, not queued, passed silently by gdb).
 * The kernel holds our handler on it; the program sees and changes a
 * disposition of its own that we keep here:
 *   - sigaction(), signal(), sigset(), ... and syscall(SYS_rt_sigaction)
 *     read and write the program's disposition, never the kernel's;
 *   - our handler takes the monitor's signals (they carry a cookie, see
 *     mp_preempt_siginfo_is_ours) and passes every other one to the
 *     program's disposition: its handler with its sa_mask and flags, an
 *     ignore, or the default action (re-raised, so the process dies of
 *     the same signal);
 *   - masks are the program's own: a thread that blocks the signal is
 *     never sent it (the monitor checks), so sigwaitinfo, signalfd and
 *     sigpending see only the program's.
 * Layer: above sched/ (the handler drives the core), below preload/.
 * docs/design.md, "Signals", states the rules.
 */
#ifndef MAXPROCS_SIGNALS_SIGNALS_H
#define MAXPROCS_SIGNALS_SIGNALS_H

#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

typedef int (*mp_sigaction_fn)(int, const struct sigaction *, struct sigaction *);

/* The kernel's struct sigaction (rt_sigaction(2)), as on x86_64 and arm64. */
struct mp_ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

/* Choose and install the preemption signal.  requested: a signal number,
 * 0 = the default (SIGURG), -1 = off.  real: libc's sigaction.  Returns
 * the signal used, or 0 (none: the monitor revokes instead). */
int mp_signals_init(int requested, mp_sigaction_fn real);

/* Watch the terminating signals sigs (at most 4: the profiler's SIGTERM,
 * SIGINT, SIGHUP, SIGQUIT).  While the program leaves one at SIG_DFL, the
 * kernel holds our handler, which calls fn(sig) and then dies of the
 * signal as SIG_DFL would (same status; a core for SIGQUIT).  The program
 * reads back the SIG_DFL it set; a handler or SIG_IGN it sets goes to the
 * kernel as it is.  Call after mp_signals_init.  0 or -errno. */
typedef void (*mp_last_words_fn)(int sig);
int mp_signals_watch_deaths(const int *sigs, int n, mp_last_words_fn fn);

/* After the preemption signal parked this thread (a safe point: it ran
 * user code), fn(pc, wait_ns) in the handler: the interrupted pc (0 when
 * less than 16 KiB of the thread's stack is left below the handler) and
 * the time it waited for a P (mp_m_wait_ns's growth; 0 is not reported).
 * The profiler keeps the stack there.  NULL: nothing. */
typedef void (*mp_preempted_fn)(uintptr_t pc, uint64_t wait_ns);
void mp_signals_on_preempted(mp_preempted_fn fn);

/* The preemption signal, or 0. */
int mp_signals_preempt_signo(void);

/* True if sig's disposition is kept here and the caller runs in our own
 * process (not a vfork child, which must change nothing of ours). */
bool mp_signals_owned(int sig);

/* The program's sigaction() on an owned signal: reads and writes its
 * disposition.  0 or -errno. */
int mp_signals_sigaction(int sig, const struct sigaction *act, struct sigaction *old);

/* The same for syscall(SYS_rt_sigaction, ...): kernel-form structures,
 * read and written as the kernel would (a bad pointer gives -EFAULT). */
long mp_signals_rt_sigaction(int sig, const struct mp_ksigaction *act,
                             struct mp_ksigaction *old, size_t setsize);

/* The set a sigprocmask/pthread_sigmask of the program passes to the
 * kernel: set itself, or (a mask that blocks most signals) a copy in tmp
 * without the signal we own. */
const sigset_t *mp_signals_mask_for_kernel(int how, const sigset_t *set, sigset_t *tmp);

/* Catch-all mode (preload/catchall.c): SIGSYS becomes an owned signal.
 * The kernel holds handler (SA_SIGINFO | SA_NODEFER, no signal blocked);
 * the program's sigaction on SIGSYS reads and writes its own disposition,
 * and every mask the program sets goes to the kernel without SIGSYS
 * (mp_signals_mask_for_kernel; sa_mask too, mp_signals_strip_sigsys), since
 * a trap while SIGSYS is blocked kills the process.  0 or -errno. */
int mp_signals_own_sigsys(void (*handler)(int, siginfo_t *, void *));
bool mp_signals_sigsys_owned(void);

/* A SIGSYS that is not one of our filter's traps: to the program's
 * disposition (its handler, an ignore, or the default: death). */
void mp_signals_sigsys_to_program(siginfo_t *si, ucontext_t *uc);

/* The program's SIGSYS disposition, read only (a vfork child may). */
void mp_signals_sigsys_view(struct sigaction *old);

/* siginterrupt(sig, 1) makes later signal() calls install without
 * SA_RESTART (glibc's _sigintr); kept here for owned signals. */
void mp_signals_set_interrupt(int sig, bool interrupt);
bool mp_signals_interrupt(int sig);

/* The calling thread's stack, [lo, lo + size): decides whether it may be
 * sent the preemption signal (the frame needs room) and lets the handler
 * check its headroom.  Called before the thread becomes an M. */
void mp_signals_thread_stack(uintptr_t lo, size_t size);

#endif
