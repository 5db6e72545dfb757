/*
 * syscall.c - libc's syscall(): a raw syscall(SYS_read, ...) reaches only
 * this symbol (interposition-notes.md section 3), so it is bracketed like
 * the call it makes.  Numbers that never wait pass straight through;
 * futex waits are known to block; sched_yield offers the P first; a thread
 * leaving with SYS_exit gives its P away first, since no unwinding follows.
 *
 * The six arguments are fetched as longs whether or not the caller passed
 * them, exactly as glibc's own syscall() forwards six registers.
 */
#include "preload/real.h"
#include "preload/wrap.h"

#include "signals/signals.h"

#include <linux/futex.h>
#include <stdarg.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif

enum mp_syscall_class {
	MP_SC_PASS,        /* never waits */
	MP_SC_MAY_BLOCK,
	MP_SC_BLOCKING,
	MP_SC_YIELD,
	MP_SC_EXIT,
	MP_SC_SIGACTION,   /* rt_sigaction: the program's view of our signal */
};

static enum mp_syscall_class mp_futex_class(long op)
{
	switch (op & FUTEX_CMD_MASK) {
	case FUTEX_WAIT:
	case FUTEX_WAIT_BITSET:
	case FUTEX_LOCK_PI:
	case FUTEX_LOCK_PI2:
	case FUTEX_WAIT_REQUEUE_PI:
		return MP_SC_BLOCKING;
	default:
		return MP_SC_PASS;   /* wakes, requeues, unlocks, trylock */
	}
}

static enum mp_syscall_class mp_syscall_class(long nr, long arg1)
{
	switch (nr) {
	case SYS_futex:
		return mp_futex_class(arg1);
	case SYS_futex_waitv:
		return MP_SC_BLOCKING;
	case SYS_sched_yield:
		return MP_SC_YIELD;
	case SYS_exit:
		return MP_SC_EXIT;
	case SYS_gettid:
	case SYS_getpid:
	case SYS_getppid:
	case SYS_getuid:
	case SYS_geteuid:
	case SYS_getgid:
	case SYS_getegid:
	case SYS_getcpu:
	case SYS_clock_gettime:
	case SYS_clock_getres:
	case SYS_gettimeofday:
	case SYS_sched_getaffinity:
	case SYS_sched_setaffinity:
	case SYS_kill:
	case SYS_tgkill:
	case SYS_tkill:
	case SYS_rt_sigaction:
		return MP_SC_SIGACTION;
	case SYS_rt_sigprocmask:
	case SYS_sigaltstack:
	case SYS_prctl:
	case SYS_membarrier:
	case SYS_rseq:
	case SYS_set_robust_list:
	case SYS_get_robust_list:
	case SYS_set_tid_address:
	case SYS_mmap:
	case SYS_munmap:
	case SYS_mprotect:
	case SYS_madvise:
	case SYS_brk:
	case SYS_pidfd_open:
	case SYS_perf_event_open:
	case SYS_bpf:
		return MP_SC_PASS;
	default:
		return MP_SC_MAY_BLOCK;
	}
}

static long mp_syscall_may_block(mp_real_syscall_fn real, long nr, const long *a)
{
	MP_BRACKET(mp_enter_syscall);
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static long mp_syscall_blocking(mp_real_syscall_fn real, long nr, const long *a)
{
	MP_BRACKET(mp_enter_blocking);
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

MP_EXPORT long syscall(long nr, ...)
{
	mp_real_syscall_fn real = mp_real_syscall();
	va_list ap;
	long a[6];

	va_start(ap, nr);
	for (int i = 0; i < 6; i++)
		a[i] = va_arg(ap, long);
	va_end(ap);

	switch (mp_syscall_class(nr, a[1])) {
	case MP_SC_MAY_BLOCK:
		return mp_syscall_may_block(real, nr, a);
	case MP_SC_BLOCKING:
		return mp_syscall_blocking(real, nr, a);
	case MP_SC_YIELD:
		mp_yield();
		break;
	case MP_SC_EXIT:
		mp_m_detach();
		break;
	case MP_SC_SIGACTION:
		if (mp_signals_owned((int)a[0])) {
			long r = mp_signals_rt_sigaction((int)a[0],
			        (const struct mp_ksigaction *)a[1],
			        (struct mp_ksigaction *)a[2], (size_t)a[3]);
			if (r >= 0)
				return r;
			errno = (int)-r;
			return -1;
		}
		break;
	case MP_SC_PASS:
		break;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
