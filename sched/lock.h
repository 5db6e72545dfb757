/*
 * lock.h - the scheduler's one lock: a futex mutex (Drepper's "mutex3":
 * 0 free, 1 held, 2 held with sleepers), used on slow paths only.  It is
 * async-signal-safe as long as a handler never takes it while its thread
 * already holds it; the core guarantees that with mp_m.depth.
 */
#ifndef MAXPROCS_SCHED_LOCK_H
#define MAXPROCS_SCHED_LOCK_H

#include <stdatomic.h>
#include <stdint.h>

struct mp_lock {
	_Atomic uint32_t word;
	_Atomic int owner;   /* tid of the holder; kept in debug builds only */
};

void mp_lock(struct mp_lock *l);
void mp_unlock(struct mp_lock *l);
int mp_lock_owner(const struct mp_lock *l);

#endif
