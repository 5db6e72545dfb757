/*
 * life.c - the scheduler's life: init, fork child, shutdown.  Its state
 * lives in table.c.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>

#include "sched/fastpath.h"
#include "sched/internal.h"
#include "shim/membarrier.h"
#include "shim/raw_syscall.h"
#include "shim/vdso.h"

/* Memory order: a relaxed access in this file is made under sched.lock,
 * whose acquire and release order it; every other order says why. */
#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release
static int sync_why;   /* why the CAS protocol (-errno), 0: asked for */

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

/*
 * The protocol, chosen once, before any M exists: membarrier where the
 * kernel offers it and registration works (here, in the library's
 * constructor, normally before the program has a second thread: later
 * it costs an RCU grace period), else CAS.  TSan cannot see membarrier's
 * ordering, so its builds always use CAS.
 */
static void choose_sync(enum mp_sync want)
{
	static int registered_pid;   /* a registration lasts as long as the mm */
	mp_asym = false;
	sync_why = 0;
#if MP_TSAN
	(void)want;
	(void)registered_pid;
#else
	if (want == MP_SYNC_CAS)
		return;
	int pid = mp_raw_getpid();
	if (registered_pid != pid) {
		sync_why = mp_membarrier_register();
		if (sync_why == 0)
			registered_pid = pid;
	}
	mp_asym = sync_why == 0;
#endif
}

enum mp_sync mp_sched_sync(int *why)
{
	if (why)
		*why = sync_why;
	return mp_asym ? MP_SYNC_MEMBARRIER : MP_SYNC_CAS;
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
	choose_sync(opt->sync);
	mp_fast_ok = mp_asym && !opt->general_only;
	atomic_store(&mp_sched.lock.word, 0);
	mp_clock_init();
	table_reset(opt->nprocs);
	mp_sched.pid = mp_raw_getpid();
	mp_sched.start_ns = mp_now_ns();
	mp_sched.preempt_cookie = make_cookie();
	atomic_store(&mp_sched.mon_stop, 0);
	atomic_store(&mp_sched.preempt_signo, opt->preempt_signo);
	int r = mp_monitor_duties_reset();
	if (r < 0)
		return r;
	atomic_store(&mp_sched.active, 1);
	return 0;
}

/*
 * In a fork child only the forking thread exists.  The lock may have been
 * held by a thread that is gone and the queue names threads that are gone,
 * so everything is rebuilt: this thread on P0, the rest idle, the monitor
 * not running (the caller restarts it).  A thread that forked from inside
 * a wrapped call (a handler's fork) enters that call again with P0, so the
 * call's exit finds what an exit expects.
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
	if (mp_asym)
		(void)mp_membarrier_register();   /* single-threaded: cheap; kept from the parent anyway */
	if (!mp->attached)
		return;
	mp->tid = mp_raw_gettid();
	mp->p = mp->oldp = NULL;
	mp->acting = false;
	mp_lock(&mp_sched.lock);
	mp->slot = mslot_alloc_locked(mp->tid);   /* the fresh table's first slot */
	mslot(mp->slot)->sig_unsafe = mp->sig_unsafe;
	mp->call = &mslot(mp->slot)->call;
	mp_sched_unlock();
	atomic_store(&mp_sched.nthreads, 1);
	uint32_t depth = mp->depth;
	mp->depth++;
	mp_lock(&mp_sched.lock);
	park_locked(mp);   /* finds P0 idle */
	mp->depth = 0;
	if (depth)
		mp_enter_general(0, MC_ENTER);
	mp->depth = depth;
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
	mp_sched_unlock();
}
