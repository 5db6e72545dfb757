/*
 * spin.c - pthread_spin_lock: a spin-wait that never keeps the lock holder
 * from running.  Under the cap the holder may be parked waiting for the very
 * P the spinner holds (with MAXPROCS=1 it always is), and a plain spin would
 * then wait for a preemption signal on every contended acquisition.
 *
 * Uncontended: one trylock, the same atomic the real lock does, and no
 * scheduler call.  Contended: retry the trylock for a bounded spin, long
 * enough for a holder running on another CPU to leave a short critical
 * section; then offer the P to the first waiting M and queue behind it (the
 * queue is FIFO, so a parked holder gets a P after the spinners ahead of
 * it).  If no M waits the holder has a P but may have no CPU, so yield the
 * CPU through the real sched_yield (ours would offer the P again and count
 * the yield twice).  The thread never sleeps in the kernel holding a P, and
 * between tries it is running user code, open to signal preemption.
 *
 * Fidelity: glibc's spin lock returns 0 and its trylock 0 or EBUSY, so
 * anything but EBUSY is passed on as it is.  mp_yield keeps errno, and
 * sched_yield cannot fail on Linux, so errno is untouched.  No allocation,
 * no lock of ours: async-signal-safe as the real lock is.
 */
#include "preload/real.h"
#include "sched/relax.h"
#include "preload/wrap.h"

/* A pause and a trylock cost ~40 ns here (2-core EPYC): ~4 us, longer than
 * a spin-locked section should last, like glibc's adaptive mutex (100) and
 * Go's lock spin (4 x 30).  1000 measured slower: with a parked holder every
 * try is wasted, and spinlock_pingpong at MAXPROCS=2 took twice as long. */
#define MP_SPIN_TRIES 100

MP_EXPORT int pthread_spin_lock(pthread_spinlock_t *l)
{
	mp_real_pthread_spin_trylock_fn trylock = mp_real_pthread_spin_trylock();
	int r = trylock(l);
	if (r != EBUSY)
		return r;
	for (;;) {
		/* Only the trylock reads the lock word: what "free" looks like
		 * is glibc's business (1 on x86_64, 0 elsewhere). */
		for (int i = 0; i < MP_SPIN_TRIES; i++) {
			mp_cpu_relax();
			r = trylock(l);
			if (r != EBUSY)
				return r;
		}
		if (!mp_yield())
			mp_real_sched_yield()();
	}
}
