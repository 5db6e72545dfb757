/* release_join: a thread in pthread_join lets the thread it waits for run to its end. */
#include "itest.h"

static void *child(void *arg)
{
	it_burn_cpu(0.05);
	return arg;
}

int main(void)
{
	pthread_t t;
	int token;

	it_check_mode();
	it_create(&t, child, &token);
	it_check(it_join(t) == &token, "join returned the wrong value");
	puts("joined");
	return IT_PASS;
}
