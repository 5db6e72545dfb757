/* frozen_clock_pingpong: two threads hand a turn back and forth by spinning on an atomic flag while a later preload freezes libc's clocks; the scheduler's slices must still end (it reads the kernel's clock, not libc's). */
#include "itest.h"

int main(void)
{
	struct timespec a, b;

	it_check_mode();
	/* The frozen clock is in force (this program relies on no clock). */
	clock_gettime(CLOCK_MONOTONIC, &a);
	it_spin(1000000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (getenv("MP_IT_EXPECT_FROZEN"))
		it_check(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec,
		         "the clock is not frozen: is frozen_clock.so preloaded?");
	it_pingpong();
	printf("%d round trips under a frozen clock\n", it_pingpong_rounds);
	return IT_PASS;
}
