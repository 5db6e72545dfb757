/* release_cond_wait: a thread waiting on a condition variable lets the thread that signals it run. */
#include "itest.h"

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
static bool ready;

static void *signaller(void *arg)
{
	(void)arg;
	it_pt(pthread_mutex_lock(&lock));
	ready = true;
	it_pt(pthread_cond_signal(&cond));
	it_pt(pthread_mutex_unlock(&lock));
	return NULL;
}

int main(void)
{
	pthread_t t;

	it_check_mode();
	it_pt(pthread_mutex_lock(&lock));
	it_create(&t, signaller, NULL);
	while (!ready)
		it_pt(pthread_cond_wait(&cond, &lock));
	it_pt(pthread_mutex_unlock(&lock));
	it_join(t);
	puts("condition signalled");
	return IT_PASS;
}
