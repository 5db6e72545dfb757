/* release_nanosleep: a thread sleeping in nanosleep lets another thread run meanwhile. */
#include <stdatomic.h>
#include "itest.h"

static atomic_bool done;

static void *worker(void *arg)
{
	(void)arg;
	atomic_store(&done, true);
	return NULL;
}

int main(void)
{
	struct timespec ms = { 0, 1000000 };
	pthread_t t;

	it_check_mode();
	it_create(&t, worker, NULL);
	/* If nanosleep kept the P, the worker never runs: a hang. */
	while (!atomic_load(&done))
		nanosleep(&ms, NULL);
	it_join(t);
	puts("worker ran while main slept");
	return IT_PASS;
}
