/* barrier_200: 200 threads meet at a pthread_barrier_t 50 times. */
#include "itest.h"

#define NTHREADS 200
#define MEETINGS 50

static pthread_barrier_t barrier;
static int serials[MEETINGS];

static void *meet(void *arg)
{
	int i, r;

	(void)arg;
	for (i = 0; i < MEETINGS; i++) {
		r = pthread_barrier_wait(&barrier);
		if (r == PTHREAD_BARRIER_SERIAL_THREAD)
			__atomic_add_fetch(&serials[i], 1, __ATOMIC_RELAXED);
		else if (r != 0)
			it_fail("pthread_barrier_wait: %s", strerror(r));
	}
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	pthread_attr_t attr;
	int i;

	it_check_mode();
	it_pt(pthread_barrier_init(&barrier, NULL, NTHREADS));
	it_pt(pthread_attr_init(&attr));
	it_pt(pthread_attr_setstacksize(&attr, 128 * 1024));
	for (i = 0; i < NTHREADS; i++)
		it_pt(pthread_create(&t[i], &attr, meet, NULL));
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	for (i = 0; i < MEETINGS; i++)
		it_check(serials[i] == 1, "meeting %d had %d serial threads", i,
		         serials[i]);
	printf("%d threads met %d times\n", NTHREADS, MEETINGS);
	return IT_PASS;
}
