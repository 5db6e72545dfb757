/*
 * raw_syscall.h - system calls that bypass libc.
 *
 * The preload interposes libc's syscall(), read(), nanosleep() and friends,
 * so the library's own futex waits, clock reads and signals must not go
 * through them: they would re-enter the scheduler.  These inline stubs issue
 * the instruction directly and return -errno; errno is never touched, which
 * also keeps them async-signal-safe.
 */
#ifndef MAXPROCS_SHIM_RAW_SYSCALL_H
#define MAXPROCS_SHIM_RAW_SYSCALL_H

#include <stdint.h>
#include <sys/syscall.h>
#include <linux/futex.h>
#include <time.h>

#if defined(__x86_64__)
static inline long mp_raw_syscall6(long n, long a, long b, long c, long d,
                                   long e, long f)
{
	long ret;
	register long r10 __asm__("r10") = d;
	register long r8 __asm__("r8") = e;
	register long r9 __asm__("r9") = f;
	__asm__ volatile("syscall"
	                 : "=a"(ret)
	                 : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10), "r"(r8),
	                   "r"(r9)
	                 : "rcx", "r11", "memory");
	return ret;
}
#elif defined(__aarch64__)
static inline long mp_raw_syscall6(long n, long a, long b, long c, long d,
                                   long e, long f)
{
	register long x8 __asm__("x8") = n;
	register long x0 __asm__("x0") = a;
	register long x1 __asm__("x1") = b;
	register long x2 __asm__("x2") = c;
	register long x3 __asm__("x3") = d;
	register long x4 __asm__("x4") = e;
	register long x5 __asm__("x5") = f;
	__asm__ volatile("svc 0"
	                 : "+r"(x0)
	                 : "r"(x8), "r"(x1), "r"(x2), "r"(x3), "r"(x4), "r"(x5)
	                 : "memory");
	return x0;
}
#else
#error "maxprocs: raw system calls are written for x86_64 and aarch64 only"
#endif

#define mp_raw_syscall(n, a, b, c) mp_raw_syscall6((n), (long)(a), (long)(b), (long)(c), 0, 0, 0)

/* Sleep while *word == expect, at most timeout (NULL: for ever).
 * Returns 0, -EAGAIN (word changed), -ETIMEDOUT or -EINTR. */
static inline int mp_futex_wait(const uint32_t *word, uint32_t expect,
                                const struct timespec *timeout)
{
	return (int)mp_raw_syscall6(SYS_futex, (long)word,
	                            FUTEX_WAIT | FUTEX_PRIVATE_FLAG, expect,
	                            (long)timeout, 0, 0);
}

static inline int mp_futex_wake(const uint32_t *word, int n)
{
	return (int)mp_raw_syscall6(SYS_futex, (long)word,
	                            FUTEX_WAKE | FUTEX_PRIVATE_FLAG, n, 0, 0, 0);
}

static inline int mp_raw_gettid(void)
{
	return (int)mp_raw_syscall6(SYS_gettid, 0, 0, 0, 0, 0, 0);
}

static inline int mp_raw_tgkill(int tgid, int tid, int sig)
{
	return (int)mp_raw_syscall6(SYS_tgkill, tgid, tid, sig, 0, 0, 0);
}

static inline int mp_raw_getpid(void)
{
	return (int)mp_raw_syscall6(SYS_getpid, 0, 0, 0, 0, 0, 0);
}

/* Block every signal but glibc's SIGSETXID (33: setuid in another thread
 * waits until every thread has taken it, and its handler never jumps) and
 * return the old mask in *old; mp_raw_sigmask_set puts a mask back.  What
 * the library does while it holds sched.lock or sleeps in the queue must
 * not be interrupted by a handler of the program. */
#define MP_SIGSETXID 33

static inline void mp_raw_block_signals(uint64_t *old)
{
	uint64_t all = ~0ull & ~(1ull << (MP_SIGSETXID - 1));
	mp_raw_syscall6(SYS_rt_sigprocmask, 0 /* SIG_BLOCK */, (long)&all, (long)old, 8, 0, 0);
}

static inline void mp_raw_sigmask_set(const uint64_t *m)
{
	mp_raw_syscall6(SYS_rt_sigprocmask, 2 /* SIG_SETMASK */, (long)m, 0, 8, 0, 0);
}

/* A thread's CPU clock from its tid, as glibc's pthread_getcpuclockid
 * builds it (MAKE_THREAD_CPUCLOCK(tid, CPUCLOCK_SCHED)); reading a dead
 * thread's clock fails with -EINVAL instead of touching freed memory. */
static inline clockid_t mp_thread_cpuclock(int tid)
{
	return (clockid_t)((~(unsigned)tid << 3) | 4 /* per-thread */ | 2 /* sched */);
}

/* clock_gettime through the vDSO is not interposed; this one is the raw
 * call, used for CPU clocks (not in the vDSO anyway).  ns or -errno. */
static inline int64_t mp_raw_clock_ns(clockid_t clk)
{
	struct timespec ts;
	long r = mp_raw_syscall6(SYS_clock_gettime, clk, (long)&ts, 0, 0, 0, 0);
	if (r < 0)
		return r;
	return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

#endif
