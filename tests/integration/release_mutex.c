/* release_mutex: a thread waiting for a contended mutex lets the holder run to unlock it; then 4 threads contend. */
#include <stdatomic.h>
#include "itest.h"

#define NTHREADS 4
#define ROUNDS 20000

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static atomic_bool about_to_lock;
static long counter;

static void *locker(void *arg)
{
	(void)arg;
	atomic_store(&about_to_lock, true);
	/* Main holds the lock: under MAXPROCS=1 main gets the P back to
	 * unlock only if this wait gave it away. */
	it_pt(pthread_mutex_lock(&lock));
	counter++;
	it_pt(pthread_mutex_unlock(&lock));
	return NULL;
}

static void *contender(void *arg)
{
	int i;

	(void)arg;
	for (i = 0; i < ROUNDS; i++) {
		it_pt(pthread_mutex_lock(&lock));
		counter++;
		it_spin(50);
		it_pt(pthread_mutex_unlock(&lock));
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	int i;

	it_check_mode();
	it_pt(pthread_mutex_lock(&lock));
	it_create(&t[0], locker, NULL);
	while (!atomic_load(&about_to_lock))
		it_sleep_ms(1);
	it_sleep_ms(20);   /* let it reach the futex wait */
	it_pt(pthread_mutex_unlock(&lock));
	it_join(t[0]);
	it_check(counter == 1, "counter %ld after the hand-off", counter);

	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], contender, NULL);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	it_check(counter == 1 + NTHREADS * ROUNDS, "counter %ld", counter);
	printf("counter %ld\n", counter);
	return IT_PASS;
}
