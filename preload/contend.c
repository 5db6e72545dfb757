/*
 * contend.c - a contended mutex or write-locked rwlock: ask the scheduler
 * about its owner before waiting (sched/owner.c says why).
 *
 *   owner runs user code on a P   spin on the trylock, keeping our P, for
 *                                 at most MP_LOCK_SPIN_TRIES: a short
 *                                 critical section ends well within that,
 *                                 and the lock is then ours with no
 *                                 hand-off and no context switch; if the
 *                                 owner outlasts the spin (the kernel
 *                                 took it off its CPU), give our P to the
 *                                 queue's head and queue again;
 *   owner waits for a P           give our P to the owner, ahead of the
 *                                 queue, and queue again;
 *   anything else                 wait as before (the P goes to the queue).
 *
 * Queued again, a waiter tries the lock when a P comes back to it, for at
 * most max_turns turns (contend.h), then waits in the lock, that wait's
 * hand-off going to a parked owner (mp_lock_yield says why it queues
 * rather than sleeps in the lock).
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

enum spin_end {
	SPIN_TOOK,          /* the try gave its answer: r */
	SPIN_OWNER_PARKED,  /* the owner waits for a P */
	SPIN_OWNER_AWAY,    /* the owner is in a call, not an M, or we are it */
	SPIN_OUTLASTED,     /* the owner ran on past our tries */
};

/* Try the lock while its owner runs user code on a P. */
static enum spin_end spin(const int *owner, int (*try)(void *), void *obj, int *r, int *owner_tid)
{
	for (int i = 0; i < MP_LOCK_SPIN_TRIES; i++) {
		if (i % MP_LOCK_LOOK_EVERY == 0) {
			int tid = __atomic_load_n(owner, __ATOMIC_RELAXED);
			if (tid == my_tid())
				return SPIN_OWNER_AWAY;   /* errorcheck: the real lock says EDEADLK */
			enum mp_owner_state st = tid ? mp_owner_state(tid) : MP_OWNER_RUNNING;
			*owner_tid = tid;
			if (st == MP_OWNER_WAITING)
				return SPIN_OWNER_PARKED;
			if (st != MP_OWNER_RUNNING)
				return SPIN_OWNER_AWAY;
		}
		mp_cpu_relax();
		*r = try(obj);
		if (*r != EBUSY)
			return SPIN_TOOK;
	}
	return SPIN_OUTLASTED;
}

/* True if the lock was taken (r the try's result); false: the real lock
 * must wait. */
static bool spin_or_prefer(const int *owner, int (*try)(void *), void *obj, int *r, int max_turns)
{
	if (!mp_m_holds_p())
		return false;   /* not an M, or in a call: nothing to keep */
	for (int turns = 0;; turns++) {
		int tid = 0;
		enum spin_end end = spin(owner, try, obj, r, &tid);
		if (end == SPIN_TOOK) {
			mp_note_lock_spin();
			return true;
		}
		if (end == SPIN_OWNER_AWAY)
			return false;
		if (turns == max_turns) {
			if (end == SPIN_OWNER_PARKED)
				mp_handoff_prefer(tid);   /* the real wait's hand-off */
			return false;
		}
		if (!mp_lock_yield(end == SPIN_OWNER_PARKED ? tid : 0) || !mp_m_holds_p())
			return false;   /* nobody to give the P to, or detached meanwhile */
	}
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

bool mp_contended_mutex(pthread_mutex_t *m, int *r, int max_turns)
{
	return spin_or_prefer(&m->__data.__owner, try_mutex, m, r, max_turns);
}

bool mp_contended_rwlock(pthread_rwlock_t *l, bool write, int *r, int max_turns)
{
	/* Held by readers (no writer recorded): nobody to ask about. */
	if (!__atomic_load_n(&l->__data.__cur_writer, __ATOMIC_RELAXED))
		return false;
	return spin_or_prefer(&l->__data.__cur_writer, write ? try_wrlock : try_rdlock, l, r, max_turns);
}
