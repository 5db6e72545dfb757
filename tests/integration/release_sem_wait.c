/* release_sem_wait: a thread blocked in sem_wait lets the thread that posts the semaphore run. */
#include <semaphore.h>
#include "itest.h"

static sem_t sem;

static void *poster(void *arg)
{
	(void)arg;
	it_sys(sem_post(&sem));
	return NULL;
}

int main(void)
{
	pthread_t t;

	it_check_mode();
	it_sys(sem_init(&sem, 0, 0));
	it_create(&t, poster, NULL);
	while (sem_wait(&sem) != 0)
		it_check(errno == EINTR, "sem_wait: %s", strerror(errno));
	it_join(t);
	puts("semaphore posted");
	return IT_PASS;
}
