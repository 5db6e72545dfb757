/* frozen_clock_pingpong: two threads hand a turn back and forth by spinning on an atomic flag while a later preload freezes libc's clocks; the scheduler's slices must still end (it reads the kernel's clock, not libc's). */
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
	struct timespec a, b;
	pthread_t t[2];

	it_check_mode();
	/* The frozen clock is in force (this program relies on no clock). */
	clock_gettime(CLOCK_MONOTONIC, &a);
	it_spin(1000000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (getenv("MP_IT_EXPECT_FROZEN"))
		it_check(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec,
		         "the clock is not frozen: is frozen_clock.so preloaded?");
	it_create(&t[0], player, (void *)0L);
	it_create(&t[1], player, (void *)1L);
	it_join(t[0]);
	it_join(t[1]);
	printf("%d round trips under a frozen clock\n", ROUNDS);
	return IT_PASS;
}
