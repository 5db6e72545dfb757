/* lock_convoy: 32 threads take one mutex (and 8 of them one rwlock as
 * writers) for a short critical section between private work, and one
 * thread now and then computes for ~15 ms inside the mutex (longer than a
 * slice: it is preempted while holding it, and the others must get it
 * back to it), as does every thread once, so that some owner is preempted
 * while others still want the lock whatever order they run in.  The
 * counts are exact, whatever the cap: every increment was made under its
 * lock.  Under -p 1 the preempted owner waits for the one P while the
 * others want its lock: they give it their P and queue again rather than
 * sleep in the mutex (lockyields > 0, sched/owner.c). */
#include "itest.h"
#include "itstats.h"

#define THREADS 32
#define WRITERS 8
#define ROUNDS 4000

static pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
static pthread_rwlock_t rw = PTHREAD_RWLOCK_INITIALIZER;
static long counted, written;

static void *worker(void *arg)
{
	long id = (long)arg;
	for (int i = 0; i < ROUNDS; i++) {
		it_pt(pthread_mutex_lock(&m));
		long c = counted;
		if ((id == 0 && i % 1000 == 500) || i == 700)
			it_burn_cpu(0.015);   /* the owner preempted with the lock held */
		else
			it_spin(50);
		counted = c + 1;
		it_pt(pthread_mutex_unlock(&m));
		if (id < WRITERS) {
			it_pt(pthread_rwlock_wrlock(&rw));
			long w = written;
			it_spin(30);
			written = w + 1;
			it_pt(pthread_rwlock_unlock(&rw));
		}
		it_spin(300);
	}
	return arg;
}

int main(void)
{
	it_check_mode();
	pthread_t t[THREADS];
	for (long i = 0; i < THREADS; i++)
		it_create(&t[i], worker, (void *)i);
	for (int i = 0; i < THREADS; i++)
		it_join(t[i]);
	it_check(counted == (long)THREADS * ROUNDS, "mutex: %ld increments, expected %ld", counted,
	         (long)THREADS * ROUNDS);
	it_check(written == (long)WRITERS * ROUNDS, "rwlock: %ld increments, expected %ld", written,
	         (long)WRITERS * ROUNDS);
	printf("%ld increments under the mutex, %ld under the rwlock\n", counted, written);
	struct mp_stats st;
	if (it_stats(&st)) {
		fprintf(stderr, "lock_convoy: %llu lock spins, %llu lock yields, %llu owner hand-offs\n",
		        (unsigned long long)st.lock_spins, (unsigned long long)st.lock_yields,
		        (unsigned long long)st.owner_handoffs);
		if (it_procs() == 1)
			it_check(st.lock_yields > 0, "no waiter gave its P to the preempted owner");
	}
	return IT_PASS;
}
