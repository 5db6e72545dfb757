/* threads_run: four threads do a little work each and the program prints one line (for tests that vary the environment). */
#include "itest.h"

#define NTHREADS 4

static void *work(void *arg)
{
	it_burn_cpu(0.01);
	it_sleep_ms(1);
	return arg;
}

int main(void)
{
	pthread_t t[NTHREADS];
	int i;

	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], work, NULL);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	printf("%d threads finished\n", NTHREADS);
	return IT_PASS;
}
