/* spin_flag_pingpong: two threads hand a flag back and forth 1000 times by busy-waiting on an atomic, making no calls. */
#include <stdatomic.h>
#include "itest.h"

#define ROUNDS 1000

static atomic_int turn;

static void *player(void *arg)
{
	int me = (int)(long)arg, i;

	for (i = 0; i < ROUNDS; i++) {
		while (atomic_load_explicit(&turn, memory_order_acquire) != me)
			;
		atomic_store_explicit(&turn, 1 - me, memory_order_release);
	}
	return NULL;
}

int main(void)
{
	pthread_t t[2];

	it_check_mode();
	it_create(&t[0], player, (void *)0L);
	it_create(&t[1], player, (void *)1L);
	it_join(t[0]);
	it_join(t[1]);
	printf("%d round trips\n", ROUNDS);
	return IT_PASS;
}
