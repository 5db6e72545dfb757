/* stdio_lock_holder: threads that compute for 20 ms while holding a stdio FILE lock (taken inside glibc, unseen) all finish. */
#include "itest.h"

#define NTHREADS 4
#define ROUNDS 10

static FILE *out;

/* A thread preempted while it holds the FILE lock leaves the next one
 * blocked in the kernel on that lock with its P, until the library sees the
 * blocked holder and gives the P back to the lock's owner. */
static void *writer(void *arg)
{
	int i;

	for (i = 0; i < ROUNDS; i++) {
		flockfile(out);
		it_burn_cpu(0.02);
		fprintf(out, "thread %ld round %d\n", (long)arg, i);
		funlockfile(out);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	long i;

	it_check_mode();
	out = fopen("/dev/null", "w");
	it_check(out != NULL, "fopen(/dev/null): %s", strerror(errno));
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], writer, (void *)i);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	fclose(out);
	printf("%d threads wrote %d rounds each\n", NTHREADS, ROUNDS);
	return IT_PASS;
}
