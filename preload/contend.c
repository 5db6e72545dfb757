/*
 * contend.c - a contended mutex or write-locked rwlock: ask the scheduler
 * about its owner before waiting (sched/owner.c says why).
 *
 *   owner runs user code on a P   spin on the trylock, keeping our P, for
 *                                 at most MP_LOCK_SPIN_TRIES: a short
 *                                 critical section ends well within that,
 *                                 and the lock is then ours with no
 *                                 hand-off and no context switch;
 *   owner waits for a P           the wait that follows hands our P to the
 *                                 owner, ahead of the queue;
 *   anything else                 wait as before (the P goes to the queue).
 *
 * glibc records the owner's tid in every mutex (__data.__owner) and the
 * writer's in a rwlock (__data.__cur_writer); read racily, they are hints.
 * A lock held by readers has no owner to ask about.  Only the trylock
 * touches the lock itself, so the result (0, EBUSY, EOWNERDEAD, ...) is
 * always glibc's own.
 */
#include "preload/contend.h"

#include "preload/real.h"
#include "sched/relax.h"
#include "sched/sched.h"
#include "shim/raw_syscall.h"

/* A pause and a trylock cost ~40 ns here (2-core EPYC): 512 tries are
 * about 20 us, far longer than a critical section that ought to be spun
 * on, far shorter than a slice. */
#define MP_LOCK_SPIN_TRIES 512
#define MP_LOCK_LOOK_EVERY 16   /* tries between looks at the owner */

static __thread int self_tid __attribute__((tls_model("initial-exec")));

static int my_tid(void)
{
	if (!self_tid)
		self_tid = (int)mp_raw_gettid();
	return self_tid;
}

/* Spin while *owner runs; true if try succeeded (r its result). */
static bool spin_or_prefer(const int *owner, int (*try)(void *), void *obj, int *r)
{
	if (!mp_m_holds_p())
		return false;   /* not an M, or in a call: nothing to keep */
	for (int i = 0; i < MP_LOCK_SPIN_TRIES; i++) {
		if (i % MP_LOCK_LOOK_EVERY == 0) {
			int tid = __atomic_load_n(owner, __ATOMIC_RELAXED);
			if (tid == my_tid())
				return false;   /* ours (errorcheck: the real lock says EDEADLK) */
			enum mp_owner_state st = tid ? mp_owner_state(tid) : MP_OWNER_RUNNING;
			if (st == MP_OWNER_WAITING)
				mp_handoff_prefer(tid);
			if (st != MP_OWNER_RUNNING)
				return false;
		}
		mp_cpu_relax();
		*r = try(obj);
		if (*r != EBUSY) {
			mp_note_lock_spin();
			return true;
		}
	}
	return false;
}

static int try_mutex(void *m)
{
	return mp_real_pthread_mutex_trylock()((pthread_mutex_t *)m);
}

static int try_wrlock(void *l)
{
	return mp_real_pthread_rwlock_trywrlock()((pthread_rwlock_t *)l);
}

static int try_rdlock(void *l)
{
	return mp_real_pthread_rwlock_tryrdlock()((pthread_rwlock_t *)l);
}

bool mp_contended_mutex(pthread_mutex_t *m, int *r)
{
	return spin_or_prefer(&m->__data.__owner, try_mutex, m, r);
}

bool mp_contended_rwlock(pthread_rwlock_t *l, bool write, int *r)
{
	/* Held by readers (no writer recorded): nobody to ask about. */
	if (!__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED))
		return false;
	return spin_or_prefer(&l->__data.__cur_writer, write ? try_wrlock : try_rdlock, l, r);
}
