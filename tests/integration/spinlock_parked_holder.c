/* spinlock_parked_holder: a pthread_spin_lock waiter gives its P to the holder, which sleeps holding the lock and then waits for a P; no preemption signal needed. */
#include <stdatomic.h>
#include "itest.h"
#include "itstats.h"

#define ROUNDS 20
#define MARK 4242

static pthread_spinlock_t lock;
static atomic_int entered;

static void *waiter(void *arg)
{
	int ret, err;

	(void)arg;
	atomic_fetch_add(&entered, 1);
	/* Main holds the lock and sleeps; when it wakes it needs a P, and
	 * under MAXPROCS=1 with no preemption signal only this wait can
	 * give it one. */
	errno = MARK;
	ret = pthread_spin_lock(&lock);
	err = errno;
	it_check(ret == 0, "pthread_spin_lock returned %d", ret);
	it_check(err == MARK, "pthread_spin_lock changed errno to %d", err);
	it_pt(pthread_spin_unlock(&lock));
	return NULL;
}

/* Ps the monitor had to revoke from a running holder, or 0 without the
 * library.  With the preemption signal off, a waiter that spins without
 * giving its P up is only moved by a revoke, three slices later. */
static uint64_t monitor_revokes(void)
{
	struct mp_stats st;
	return it_stats(&st) ? st.revokes : 0;
}

int main(void)
{
	pthread_t t;
	uint64_t revokes;
	int i;

	it_check_mode();
	it_pt(pthread_spin_init(&lock, PTHREAD_PROCESS_PRIVATE));
	for (i = 0; i < ROUNDS; i++) {
		it_pt(pthread_spin_lock(&lock));
		it_create(&t, waiter, NULL);
		/* The sleep hands our P to the waiter, which then spins. */
		it_sleep_ms(5);
		it_pt(pthread_spin_unlock(&lock));
		it_join(t);
	}
	it_check(atomic_load(&entered) == ROUNDS, "%d waiters ran", atomic_load(&entered));
	/* Generous: a round needs the monitor only if the VM stalls the
	 * waiter for three slices. */
	revokes = monitor_revokes();
	it_check(revokes <= ROUNDS / 4,
	         "the monitor revoked %llu Ps in %d rounds: the spinning "
	         "waiter did not give its P to the lock holder",
	         (unsigned long long)revokes, ROUNDS);
	printf("%d rounds, the lock always reached the waiter\n", ROUNDS);
	return IT_PASS;
}
