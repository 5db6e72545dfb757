/*
 * syscall.c - libc's syscall(): a raw syscall(SYS_read, ...) reaches only
 * this symbol (interposition-notes.md section 3), so it is bracketed like
 * the call it makes.  The class of each number is a row of sysno.def
 * (default: may block).  Numbers that never wait pass straight through;
 * futex waits are known to block; sched_yield offers the P first; a thread
 * leaving with SYS_exit gives its P away first, since no unwinding follows.
 *
 * The fork class (SYS_fork, SYS_vfork, SYS_clone, SYS_clone3) is not
 * bracketed: a child returning through the bracket would carry the
 * parent's scheduler state (Ps held by threads it does not have) and hang.
 * The call goes straight to the kernel; a child with its own memory (no
 * CLONE_VM) gets the fresh scheduler of a _Fork child.  A child sharing
 * our memory (vfork, CLONE_VM) must see nothing of ours change.  clone3's
 * flags are in user memory: they are read with process_vm_readv on our
 * own pid, which fails with EFAULT where a plain load would crash; if it
 * fails the call passes straight through (the kernel says EFAULT too).
 *
 * The six arguments are fetched as longs whether or not the caller passed
 * them, exactly as glibc's own syscall() forwards six registers.
 */
#include "preload/real.h"
#include "preload/wrap.h"
#include "preload/preload.h"
#include "shim/raw_syscall.h"

#include "signals/signals.h"

#include <linux/futex.h>
#include <linux/sched.h>
#include <stdarg.h>
#include <sys/uio.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif
#ifndef SYS_futex_waitv
#define SYS_futex_waitv 449
#endif
#ifndef SYS_clone3
#define SYS_clone3 435
#endif

/* The classes of sysno.def.  MAY_BLOCK is 0: the default of every number
 * the table does not list. */
enum mp_syscall_class {
	MP_SC_MAY_BLOCK = 0,
	MP_SC_PASS,        /* never waits */
	MP_SC_BLOCKING,
	MP_SC_FUTEX,       /* by the op: mp_futex_class() */
	MP_SC_YIELD,
	MP_SC_EXIT,
	MP_SC_SIGACTION,   /* rt_sigaction: the program's view of our signal */
	MP_SC_FORK,        /* a new process: no bracket, reset the child */
};

/* Above every number sysno.def names on the architectures we build for
 * (a larger one fails the build: "array index in initializer exceeds
 * array bounds"); a number beyond it is MAY_BLOCK. */
#define MP_SYSNO_LIMIT 512

static const unsigned char mp_sysno_class[MP_SYSNO_LIMIT] = {
#define MP_SYSNO(nr, class, trap, name) [nr] = MP_SC_##class,
#include "preload/sysno.def"
#undef MP_SYSNO
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
	enum mp_syscall_class c;

	if ((unsigned long)nr >= MP_SYSNO_LIMIT)
		return MP_SC_MAY_BLOCK;
	c = (enum mp_syscall_class)mp_sysno_class[nr];
	return c == MP_SC_FUTEX ? mp_futex_class(arg1) : c;
}

static long mp_syscall_may_block(mp_real_syscall_fn real, long nr, const long *a)
{
	MP_BRACKET(mp_enter_syscall, MP_CALL_syscall);
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

static long mp_syscall_blocking(mp_real_syscall_fn real, long nr, const long *a)
{
	MP_BRACKET(mp_enter_blocking, MP_CALL_syscall);
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* 1: the child of this fork-class call has its own memory; 0: it shares
 * ours (or the call is not understood): leave everything alone. */
static int mp_fork_child_owns_memory(long nr, const long *a)
{
	uint64_t flags;
	struct iovec local = { &flags, sizeof flags };
	struct iovec remote = { (void *)a[0], sizeof flags };

	switch (nr) {
	case SYS_clone:
		return !(a[0] & CLONE_VM);
	case SYS_clone3:
		/* clone3(struct clone_args *args, size_t size): flags first. */
		if ((unsigned long)a[1] < sizeof flags ||
		    mp_raw_syscall6(SYS_process_vm_readv, mp_raw_getpid(),
		                    (long)&local, 1, (long)&remote, 1, 0) !=
		            (long)sizeof flags)
			return 0;
		return !(flags & CLONE_VM);
#ifdef SYS_fork
	case SYS_fork:
		return 1;
#endif
	default:
		return 0;   /* vfork */
	}
}

static long mp_syscall_fork(mp_real_syscall_fn real, long nr, const long *a)
{
	int owns = mp_fork_child_owns_memory(nr, a);
	long r;

	/* A thread-like child keeping our TLS (clone3's flags are not read
	 * for this: the slow paths' tid check is the backstop). */
	if (nr == SYS_clone && mp_clone_shares_tls((unsigned long)a[0]))
		mp_m_disown();
	r = real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);

	if (r == 0 && owns)
		mp_fork_child_reset();
	return r;
}

/* Catch-all mode: syscall(SYS_rt_sigaction) with a mask that blocks
 * SIGSYS goes to the kernel without it, as sigaction() does (signals.c).
 * The structure is read as the kernel would: a bad pointer is EFAULT. */
static long mp_syscall_sigaction_without_sigsys(mp_real_syscall_fn real, const long *a)
{
	struct mp_ksigaction k;
	struct iovec local = { &k, sizeof k };
	struct iovec remote = { (void *)a[1], sizeof k };

	if (mp_raw_syscall6(SYS_process_vm_readv, mp_raw_getpid(), (long)&local, 1,
	                    (long)&remote, 1, 0) != (long)sizeof k ||
	    !(k.mask & (1ull << (SIGSYS - 1))))
		return real(SYS_rt_sigaction, a[0], a[1], a[2], a[3], a[4], a[5]);
	k.mask &= ~(1ull << (SIGSYS - 1));
	return real(SYS_rt_sigaction, a[0], (long)&k, a[2], a[3], a[4], a[5]);
}

/* Six arguments are fetched whether the caller passed them or not, as
 * glibc's own syscall() does; the sixth lies in the caller's frame, which
 * ASan would report as an overflow, so it does not check this function. */
MP_EXPORT __attribute__((no_sanitize_address)) long syscall(long nr, ...)
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
		if (a[1] && mp_signals_sigsys_owned())
			return mp_syscall_sigaction_without_sigsys(real, a);
		break;
	case MP_SC_FORK:
		return mp_syscall_fork(real, nr, a);
	case MP_SC_PASS:
	case MP_SC_FUTEX:   /* resolved by mp_syscall_class() */
		break;
	}
	return real(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}
