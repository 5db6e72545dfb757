/* producer_consumer: 8 producers and 8 consumers pass 16000 items through a bounded queue under a mutex and two condition variables. */
#include "itest.h"

#define NPRODUCERS 8
#define NCONSUMERS 8
#define ITEMS_EACH 2000
#define QUEUE_SIZE 16
#define TOTAL (NPRODUCERS * ITEMS_EACH)

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static pthread_cond_t not_full = PTHREAD_COND_INITIALIZER;
static pthread_cond_t not_empty = PTHREAD_COND_INITIALIZER;
static long queue[QUEUE_SIZE];
static int head, count, consumed;
static long sum;

static void *producer(void *arg)
{
	long base = (long)arg * ITEMS_EACH, i;

	for (i = 1; i <= ITEMS_EACH; i++) {
		it_pt(pthread_mutex_lock(&lock));
		while (count == QUEUE_SIZE)
			it_pt(pthread_cond_wait(&not_full, &lock));
		queue[(head + count++) % QUEUE_SIZE] = base + i;
		it_pt(pthread_cond_signal(&not_empty));
		it_pt(pthread_mutex_unlock(&lock));
	}
	return NULL;
}

static void *consumer(void *arg)
{
	(void)arg;
	for (;;) {
		it_pt(pthread_mutex_lock(&lock));
		while (count == 0 && consumed < TOTAL)
			it_pt(pthread_cond_wait(&not_empty, &lock));
		if (consumed == TOTAL) {
			it_pt(pthread_mutex_unlock(&lock));
			return NULL;
		}
		sum += queue[head];
		head = (head + 1) % QUEUE_SIZE;
		count--;
		if (++consumed == TOTAL)
			it_pt(pthread_cond_broadcast(&not_empty));
		it_pt(pthread_cond_signal(&not_full));
		it_pt(pthread_mutex_unlock(&lock));
	}
}

int main(void)
{
	pthread_t p[NPRODUCERS], c[NCONSUMERS];
	long i;

	it_check_mode();
	for (i = 0; i < NCONSUMERS; i++)
		it_create(&c[i], consumer, NULL);
	for (i = 0; i < NPRODUCERS; i++)
		it_create(&p[i], producer, (void *)i);
	for (i = 0; i < NPRODUCERS; i++)
		it_join(p[i]);
	for (i = 0; i < NCONSUMERS; i++)
		it_join(c[i]);
	it_check(sum == (long)TOTAL * (TOTAL + 1) / 2, "sum %ld", sum);
	printf("%d items consumed, sum %ld\n", consumed, sum);
	return IT_PASS;
}
