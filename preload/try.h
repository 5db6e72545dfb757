/*
 * try.h - the TRY_FIRST class of calls.def: mutex and rwlock locks and
 * semaphore waits try first, and give the P up only when they must wait.
 * An uncontended lock costs one trylock, the same CAS the real lock would
 * do; a contended one asks about its owner first (contend.c).
 *
 *   mp_try_<try>(obj, &r)   1: done, r is the call's result (no scheduler
 *                           call); 0: the real call must wait (bracketed).
 *
 * Locks: for every mutex/rwlock type the try reports what the lock would
 * (recursive: success for the owner; errorcheck/rwlock owner: EBUSY, then
 * the real lock reports EDEADLK; robust: EOWNERDEAD, ENOTRECOVERABLE;
 * EAGAIN for a count overflow), so anything but EBUSY is the answer.
 *
 * Semaphores: glibc acts on a pending cancellation first (sem_wait is a
 * cancellation point even when it need not wait), then tries; errno is
 * put back after a failed try, so a successful wait leaves it untouched.
 *
 * The pass_if tests (what glibc checks before trying, so an invalid
 * argument gives EINVAL even when the lock is free) read only what glibc
 * reads first, under the same conditions (glibc 2.36):
 *   mutex clocklock   the clock (a register)
 *   rwlock timed      nothing when abstime is NULL (glibc then waits for
 *                     ever and checks neither); else the clock, then
 *                     abstime->tv_nsec
 *   sem timed         the clock, then abstime->tv_nsec (glibc reads it
 *                     unconditionally: NULL faults there as here)
 * mutex timedlock checks nothing before trying: its pass_if is 0.
 */
#ifndef MAXPROCS_PRELOAD_TRY_H
#define MAXPROCS_PRELOAD_TRY_H

#include "preload/contend.h"
#include "preload/real.h"

#include <stdbool.h>

static inline bool mp_clock_ok(clockid_t clk)
{
	return clk == CLOCK_REALTIME || clk == CLOCK_MONOTONIC;
}

static inline bool mp_nsec_ok(long nsec)
{
	return nsec >= 0 && nsec < 1000000000;
}

/* glibc's headers declare the timeouts nonnull, and a wrapper defined
 * under that declaration inherits the attribute: gcc deletes a NULL test
 * of the parameter (even with -fno-delete-null-pointer-checks), and the
 * load behind it then faults.  The empty asm hides where p came from. */
static inline const struct timespec *mp_maybe_null(const struct timespec *p)
{
	__asm__("" : "+r"(p));
	return p;
}

/* glibc's rwlock check: abstime != NULL && (bad clock || bad tv_nsec). */
static inline bool mp_bad_abstime(clockid_t clk, const struct timespec *ts)
{
	ts = mp_maybe_null(ts);
	return ts && (!mp_clock_ok(clk) || !mp_nsec_ok(ts->tv_nsec));
}

/* glibc's semaphore check: bad clock || bad tv_nsec. */
static inline bool mp_bad_sem_timeout(clockid_t clk, const struct timespec *ts)
{
	return !mp_clock_ok(clk) || !mp_nsec_ok(ts->tv_nsec);
}

/* A contended lock asks about its owner before it waits (contend.c).  A
 * timed lock (the _timed try of the timed and clock rows) takes fewer
 * turns in the queue first, so that an owner that keeps the lock for long
 * delays its timeout less (MP_LOCK_TURNS_TIMED). */
static inline bool mp_contended_rdlock(pthread_rwlock_t *l, int *r, int turns)
{
	return mp_contended_rwlock(l, false, r, turns);
}

static inline bool mp_contended_wrlock(pthread_rwlock_t *l, int *r, int turns)
{
	return mp_contended_rwlock(l, true, r, turns);
}

#define MP_TRY_LOCK(name, real, type, contended, turns)                     \
	static inline bool mp_try_##name(type *l, int *r)                   \
	{                                                                   \
		*r = mp_real_##real()(l);                                   \
		return *r != EBUSY || contended(l, r, turns);               \
	}
#define MP_TRY_LOCKS(real, type, contended)                                 \
	MP_TRY_LOCK(real, real, type, contended, MP_LOCK_TURNS)             \
	MP_TRY_LOCK(real##_timed, real, type, contended, MP_LOCK_TURNS_TIMED)

MP_TRY_LOCKS(pthread_mutex_trylock, pthread_mutex_t, mp_contended_mutex)
MP_TRY_LOCKS(pthread_rwlock_tryrdlock, pthread_rwlock_t, mp_contended_rdlock)
MP_TRY_LOCKS(pthread_rwlock_trywrlock, pthread_rwlock_t, mp_contended_wrlock)

static inline bool mp_try_sem_trywait(sem_t *s, int *r)
{
	int saved = errno;

	pthread_testcancel();
	if (mp_real_sem_trywait()(s) == 0) {
		*r = 0;
		return true;
	}
	errno = saved;
	return false;
}

#endif
