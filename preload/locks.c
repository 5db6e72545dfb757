/*
 * locks.c - mutex and rwlock acquisition: try first, and give the P up only
 * when the lock must be waited for.  An uncontended lock costs one trylock,
 * the same CAS the real lock would do.
 *
 * Fidelity: for every mutex/rwlock type the try reports what the lock would
 * (recursive: success for the owner; errorcheck/rwlock owner: EBUSY, then
 * the real lock reports EDEADLK; robust: EOWNERDEAD, ENOTRECOVERABLE;
 * EAGAIN for a count overflow), so anything but EBUSY is returned as is.
 * The timed variants check what glibc checks before trying (rwlocks: the
 * clock and the timeout; mutex clocklock: the clock), so an invalid argument
 * gives EINVAL even when the lock is free, as without us.
 */
#include "preload/real.h"
#include "preload/wrap.h"

static inline int mp_clock_ok(clockid_t clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC;
}

static inline int mp_abstime_ok(clockid_t clk, const struct timespec *ts)
{
	return mp_clock_ok(clk) && ts->tv_nsec >= 0 && ts->tv_nsec < 1000000000;
}

MP_EXPORT int pthread_mutex_lock(pthread_mutex_t *m)
{
	int r = mp_real_pthread_mutex_trylock()(m);
	if (r != EBUSY)
		return r;
	mp_real_pthread_mutex_lock_fn real = mp_real_pthread_mutex_lock();
	MP_BRACKET(mp_enter_blocking);
	return real(m);
}

MP_EXPORT int pthread_mutex_timedlock(pthread_mutex_t *restrict m,
                                      const struct timespec *restrict abstime)
{
	int r = mp_real_pthread_mutex_trylock()(m);
	if (r != EBUSY)
		return r;
	mp_real_pthread_mutex_timedlock_fn real = mp_real_pthread_mutex_timedlock();
	MP_BRACKET(mp_enter_blocking);
	return real(m, abstime);
}

MP_EXPORT int pthread_mutex_clocklock(pthread_mutex_t *restrict m, clockid_t clk,
                                      const struct timespec *restrict abstime)
{
	mp_real_pthread_mutex_clocklock_fn real = mp_real_pthread_mutex_clocklock();
	if (!mp_clock_ok(clk))
		return real(m, clk, abstime);
	int r = mp_real_pthread_mutex_trylock()(m);
	if (r != EBUSY)
		return r;
	MP_BRACKET(mp_enter_blocking);
	return real(m, clk, abstime);
}

MP_EXPORT int pthread_rwlock_rdlock(pthread_rwlock_t *l)
{
	int r = mp_real_pthread_rwlock_tryrdlock()(l);
	if (r != EBUSY)
		return r;
	mp_real_pthread_rwlock_rdlock_fn real = mp_real_pthread_rwlock_rdlock();
	MP_BRACKET(mp_enter_blocking);
	return real(l);
}

MP_EXPORT int pthread_rwlock_wrlock(pthread_rwlock_t *l)
{
	int r = mp_real_pthread_rwlock_trywrlock()(l);
	if (r != EBUSY)
		return r;
	mp_real_pthread_rwlock_wrlock_fn real = mp_real_pthread_rwlock_wrlock();
	MP_BRACKET(mp_enter_blocking);
	return real(l);
}

MP_EXPORT int pthread_rwlock_timedrdlock(pthread_rwlock_t *restrict l,
                                         const struct timespec *restrict abstime)
{
	mp_real_pthread_rwlock_timedrdlock_fn real = mp_real_pthread_rwlock_timedrdlock();
	if (!mp_abstime_ok(CLOCK_REALTIME, abstime))
		return real(l, abstime);
	int r = mp_real_pthread_rwlock_tryrdlock()(l);
	if (r != EBUSY)
		return r;
	MP_BRACKET(mp_enter_blocking);
	return real(l, abstime);
}

MP_EXPORT int pthread_rwlock_timedwrlock(pthread_rwlock_t *restrict l,
                                         const struct timespec *restrict abstime)
{
	mp_real_pthread_rwlock_timedwrlock_fn real = mp_real_pthread_rwlock_timedwrlock();
	if (!mp_abstime_ok(CLOCK_REALTIME, abstime))
		return real(l, abstime);
	int r = mp_real_pthread_rwlock_trywrlock()(l);
	if (r != EBUSY)
		return r;
	MP_BRACKET(mp_enter_blocking);
	return real(l, abstime);
}

MP_EXPORT int pthread_rwlock_clockrdlock(pthread_rwlock_t *restrict l, clockid_t clk,
                                         const struct timespec *restrict abstime)
{
	mp_real_pthread_rwlock_clockrdlock_fn real = mp_real_pthread_rwlock_clockrdlock();
	if (!mp_abstime_ok(clk, abstime))
		return real(l, clk, abstime);
	int r = mp_real_pthread_rwlock_tryrdlock()(l);
	if (r != EBUSY)
		return r;
	MP_BRACKET(mp_enter_blocking);
	return real(l, clk, abstime);
}

MP_EXPORT int pthread_rwlock_clockwrlock(pthread_rwlock_t *restrict l, clockid_t clk,
                                         const struct timespec *restrict abstime)
{
	mp_real_pthread_rwlock_clockwrlock_fn real = mp_real_pthread_rwlock_clockwrlock();
	if (!mp_abstime_ok(clk, abstime))
		return real(l, clk, abstime);
	int r = mp_real_pthread_rwlock_trywrlock()(l);
	if (r != EBUSY)
		return r;
	MP_BRACKET(mp_enter_blocking);
	return real(l, clk, abstime);
}
