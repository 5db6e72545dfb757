/*
 * sem.c - semaphore waits: sem_trywait first, and give the P up only when
 * the count is zero.
 *
 * Fidelity: glibc checks the timeout (and the clock) before anything else,
 * then acts on a pending cancellation (sem_wait is a cancellation point
 * even when it need not wait), then tries.  We keep that order, and put
 * errno back after a failed try so a successful wait leaves it untouched.
 */
#include "preload/real.h"
#include "preload/wrap.h"

static inline int mp_sem_timeout_ok(clockid_t clk, const struct timespec *ts)
{
	return (clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC) &&
	       ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

/* 1: acquired without waiting; 0: must wait (errno as on entry). */
static inline int mp_sem_try(sem_t *s)
{
	int saved = errno;

	pthread_testcancel();
	if (mp_real_sem_trywait()(s) == 0)
		return 1;
	errno = saved;
	return 0;
}

MP_EXPORT int sem_wait(sem_t *s)
{
	if (mp_sem_try(s))
		return 0;
	mp_real_sem_wait_fn real = mp_real_sem_wait();
	MP_BRACKET(mp_enter_blocking);
	return real(s);
}

MP_EXPORT int sem_timedwait(sem_t *restrict s, const struct timespec *restrict abstime)
{
	mp_real_sem_timedwait_fn real = mp_real_sem_timedwait();
	if (!mp_sem_timeout_ok(CLOCK_REALTIME, abstime))
		return real(s, abstime);
	if (mp_sem_try(s))
		return 0;
	MP_BRACKET(mp_enter_blocking);
	return real(s, abstime);
}

MP_EXPORT int sem_clockwait(sem_t *restrict s, clockid_t clk,
                            const struct timespec *restrict abstime)
{
	mp_real_sem_clockwait_fn real = mp_real_sem_clockwait();
	if (!mp_sem_timeout_ok(clk, abstime))
		return real(s, clk, abstime);
	if (mp_sem_try(s))
		return 0;
	MP_BRACKET(mp_enter_blocking);
	return real(s, clk, abstime);
}
