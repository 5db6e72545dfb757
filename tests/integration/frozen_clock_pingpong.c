/* frozen_clock_pingpong: two threads hand a turn back and forth by spinning on an atomic flag while a later preload freezes libc's clocks; the scheduler's slices must still end (it reads the kernel's clock, not libc's).  At -p N > 1, N - 1 spinners started first hold the other Ps, so the players share one P as at -p 1. */
#include "itest.h"

int main(void)
{
	struct timespec a, b;
	pthread_t spinners[8];
	int nspin = it_procs() > 1 ? it_procs() - 1 : 0;

	it_check_mode();
	/* The frozen clock is in force (this program relies on no clock). */
	clock_gettime(CLOCK_MONOTONIC, &a);
	it_spin(1000000);
	clock_gettime(CLOCK_MONOTONIC, &b);
	if (getenv("MP_IT_EXPECT_FROZEN"))
		it_check(a.tv_sec == b.tv_sec && a.tv_nsec == b.tv_nsec,
		         "the clock is not frozen: is frozen_clock.so preloaded?");
	it_check(nspin <= 8, "MAXPROCS=%d: at most 9 here", it_procs());
	for (int i = 0; i < nspin; i++)
		it_create(&spinners[i], it_spinner, NULL);
	it_pingpong();
	it_spinners_stop = 1;
	for (int i = 0; i < nspin; i++)
		it_join(spinners[i]);
	printf("%d round trips under a frozen clock\n", it_pingpong_rounds);
	return IT_PASS;
}
