/*
 * fork.c - a fork child starts with a fresh scheduler: only the forking
 * thread survives, on P0, with a fresh P table and queue.
 *
 * fork() and every libc-internal fork (daemon(), ...) run the child
 * handler we register with pthread_atfork in the constructor.  Child
 * handlers run in registration order, so ours runs after those of libraries
 * initialised before us and before the program's own (registered from
 * main or from constructors that run after ours): the program's handlers
 * already see the fresh scheduler, and may create threads.  A handler
 * registered before ours that blocks in a wrapped call sees the parent's
 * copied state; it holds P0's copy, so at worst it runs uncapped.
 *
 * _Fork() (glibc 2.34) runs no handlers, so it is wrapped: its child gets
 * the same reset, but the monitor is never started from there (after
 * _Fork only async-signal-safe calls are allowed until exec).
 *
 * syscall(SYS_fork), and syscall(SYS_clone / SYS_clone3) without CLONE_VM,
 * give the same reset to their child (preload/syscall.c, the fork class).
 *
 * vfork and posix_spawn (and system/popen, which use it) are left alone:
 * the child shares our memory until it execs, runs no handlers, and a C
 * wrapper around vfork would return into a frame the child has clobbered.
 */
#include "preload/real.h"
#include "preload/wrap.h"
#include "preload/preload.h"

#include "preload/stats.h"
#include "prof/prof.h"

#include <sched.h>
#include <stdarg.h>

static void mp_fork_child(void)
{
	int saved = errno;

	mp_preload_stats_fork_child();
	if (mp_sched_active()) {
		mp_sched_fork_child();
		mp_preload_monitor_later(true);
	}
	mp_prof_fork_child();
	errno = saved;
}

int mp_fork_install(void)
{
	return pthread_atfork(NULL, NULL, mp_fork_child);
}

/* The child of a fork that ran no atfork handlers.  Async-signal-safe:
 * the monitor is left to the child's first pthread_create. */
void mp_fork_child_reset(void)
{
	mp_preload_stats_fork_child();
	if (mp_sched_active()) {
		int saved = errno;
		mp_sched_fork_child();
		mp_preload_monitor_later(false);
		errno = saved;
	}
	mp_prof_fork_child();
}

/* A task that will share this thread's TLS: CLONE_VM and CLONE_THREAD
 * (a thread) without CLONE_SETTLS (pthreads always give a new one). */
bool mp_clone_shares_tls(unsigned long flags)
{
	return (flags & (CLONE_VM | CLONE_THREAD | CLONE_SETTLS)) == (CLONE_VM | CLONE_THREAD);
}

/*
 * clone(3) from the program (glibc's pthread_create and posix_spawn use an
 * internal one, not this symbol).  Its child runs fn on its own stack, so
 * nothing of ours is on the child's path; only a thread-like child that
 * keeps our TLS matters: two tasks on one M race on it, so this thread
 * stops being an M first (both run uncapped: fail open).  The optional
 * arguments are forwarded as they come, as glibc's clone reads them.
 */
MP_EXPORT int clone(int (*fn)(void *), void *stack, int flags, void *arg, ...)
{
	va_list ap;
	void *ptid, *tls, *ctid;

	va_start(ap, arg);
	ptid = va_arg(ap, void *);
	tls = va_arg(ap, void *);
	ctid = va_arg(ap, void *);
	va_end(ap);
	if (mp_clone_shares_tls((unsigned)flags))
		mp_m_disown();
	return mp_real_clone()(fn, stack, flags, arg, ptid, tls, ctid);
}

MP_EXPORT pid_t _Fork(void)
{
	pid_t pid = mp_real__Fork()();

	if (pid == 0)
		mp_fork_child_reset();
	return pid;
}
