/* lock.c - the futex mutex of lock.h.
 *
 * Memory order: taking the word is acquire and giving it back release
 * (the lock's own order; a failed CAS and the spin's look are relaxed:
 * they take nothing); owner is a debug-only hint, relaxed. */
#include "sched/relax.h"
#include "sched/lock.h"
#include "shim/raw_syscall.h"

#ifdef MP_DEBUG
/* Claims this thread has set and not settled (claim.c): it must not wait
 * for the lock then, as a holder waiting for the claim may hold it. */
extern __thread int mp_claims_pending __attribute__((tls_model("initial-exec")));
void mp_throw(const char *fn, const char *what, long a, long b) __attribute__((noreturn, cold));
#endif

void mp_lock(struct mp_lock *l)
{
	uint32_t c = 0;
#ifdef MP_DEBUG
	if (mp_claims_pending)
		mp_throw("mp_lock", "lock taken with claims pending", mp_claims_pending, 0);
#endif
	if (atomic_compare_exchange_strong_explicit(&l->word, &c, 1,
	        memory_order_acquire, memory_order_relaxed))
		goto held;
	/* The sections it guards are a few dozen instructions: spin a little
	 * before paying for a futex sleep. */
	for (int i = 0; i < 100; i++) {
		mp_cpu_relax();
		c = 0;
		if (atomic_load_explicit(&l->word, memory_order_relaxed) == 0 &&
		    atomic_compare_exchange_strong_explicit(&l->word, &c, 1,
		        memory_order_acquire, memory_order_relaxed))
			goto held;
	}
	c = atomic_exchange_explicit(&l->word, 2, memory_order_acquire);
	while (c != 0) {
		mp_futex_wait((const uint32_t *)&l->word, 2, NULL);
		c = atomic_exchange_explicit(&l->word, 2, memory_order_acquire);
	}
held:
#ifdef MP_DEBUG
	atomic_store_explicit(&l->owner, mp_raw_gettid(), memory_order_relaxed);
#endif
	return;
}

void mp_unlock(struct mp_lock *l)
{
#ifdef MP_DEBUG
	atomic_store_explicit(&l->owner, 0, memory_order_relaxed);
#endif
	if (atomic_exchange_explicit(&l->word, 0, memory_order_release) == 2)
		mp_futex_wake((const uint32_t *)&l->word, 1);
}

int mp_lock_owner(const struct mp_lock *l)
{
	return atomic_load_explicit(&l->owner, memory_order_relaxed);
}
