/*
 * life.c - the scheduler's state and its life: init, fork child,
 * shutdown, and the monitor's clock.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "sched/fastpath.h"
#include "sched/internal.h"
#include "shim/raw_syscall.h"
#include "shim/vdso.h"

/* Memory order: a relaxed access in this file is made under sched.lock,
 * whose acquire and release order it; every other order says why. */
#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release
/* The tables: static memory today (a shared mapping later: see
 * struct mp_table). */
static struct mp_table mp_table_static;
struct mp_table *mp_tab = &mp_table_static;
struct mp_sched mp_sched;
__thread struct mp_m mp_self __attribute__((tls_model("initial-exec"))) = { .slot = -1 };

#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release


/* The monitor's clock: the kernel's CLOCK_MONOTONIC through the vDSO (no
 * system call), never libc's clock_gettime, which a later preload may
 * replace (a frozen clock would make slices never end). */
uint64_t mp_now_ns(void)
{
	int64_t ns = mp_clock_ns(CLOCK_MONOTONIC);
	return ns < 0 ? 0 : (uint64_t)ns;
}

/* A value no program guesses by accident: the address of our state (moved
 * by ASLR) mixed with the kernel's per-exec random bytes. */
static uintptr_t make_cookie(void)
{
	uintptr_t c = (uintptr_t)&mp_sched;
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	if (rnd)
		for (unsigned i = 0; i < sizeof c; i++)
			c ^= (uintptr_t)rnd[i] << (8 * i);
	return c | 1;   /* never NULL */
}

int mp_sched_init(const struct mp_options *opt)
{
	if (!opt || opt->nprocs < 1 || opt->nprocs > MP_MAXPROCS)
		return -EINVAL;
	if (atomic_load(&mp_sched.active))
		return -EBUSY;
	mp_sched.opt = *opt;
	if (!mp_sched.opt.slice_ns)
		mp_sched.opt.slice_ns = MP_SLICE_DEFAULT_NS;
	atomic_store(&mp_sched.lock.word, 0);
	mp_clock_init();
	table_reset(opt->nprocs);
	mp_sched.pid = mp_raw_getpid();
	mp_sched.start_ns = mp_now_ns();
	mp_sched.preempt_cookie = make_cookie();
	atomic_store(&mp_sched.mon_stop, 0);
	atomic_store(&mp_sched.preempt_signo, opt->preempt_signo);
	atomic_store(&mp_sched.active, 1);
	return 0;
}

/*
 * In a fork child only the forking thread exists.  The lock may have been
 * held by a thread that is gone and the queue names threads that are gone,
 * so everything is rebuilt: this thread on P0 (or, if it forked from inside
 * a wrapped call, with nothing, so its exit takes a P), the rest idle, the
 * monitor not running (the caller restarts it).
 */
void mp_sched_fork_child(void)
{
	if (!atomic_load(&mp_sched.active))
		return;
	struct mp_m *mp = &mp_self;
	atomic_store(&mp_sched.lock.word, 0);
	atomic_store(&mp_sched.lock.owner, 0);
	table_reset(atomic_load(&mp_sched.nprocs));
	atomic_store(&mp_sched.mon_running, 0);
	atomic_store(&mp_sched.mon_sleeping, 0);
	atomic_store(&mp_sched.mon_stop, 0);
	mp_sched.pid = mp_raw_getpid();
	mp_sched.start_ns = mp_now_ns();
	if (!mp->attached)
		return;
	mp->tid = mp_raw_gettid();
	mp->p = mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	mp->slot = mslot_alloc_locked(mp->tid);   /* the fresh table's first slot */
	mslot(mp->slot)->sig_unsafe = mp->sig_unsafe;
	mp_unlock(&mp_sched.lock);
	atomic_store(&mp_sched.nthreads, 1);
	if (mp->depth == 0 || !mp->acting) {
		mp->depth++;
		mp_lock(&mp_sched.lock);
		park_locked(mp);   /* finds P0 idle */
		mp->depth--;
	}
}

void mp_sched_shutdown(void)
{
	if (!atomic_load(&mp_sched.active))
		return;
	mp_monitor_stop();
	mp_lock(&mp_sched.lock);
	atomic_store(&mp_sched.active, 0);
	/* Parked Ms wake with no P and run on uncapped: after fini every call
	 * passes straight through. */
	struct mp_mslot *mw;
	while ((mw = waitq_pop_locked()) != NULL) {
		mw->nextp = -1;
		atomic_store_explicit(&mw->park, 1, release);   /* pairs with park_locked's acquire: nextp = -1 is seen */
		mp_sched_futex_wake(&mw->park);
	}
	mp_unlock(&mp_sched.lock);
}
