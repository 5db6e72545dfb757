/* spin_flag_pingpong: two threads hand a flag back and forth 1000 times by busy-waiting on an atomic, making no calls. */
#include "itest.h"

int main(void)
{
	it_check_mode();
	it_pingpong();
	printf("%d round trips\n", it_pingpong_rounds);
	return IT_PASS;
}
