/* cancel_blocked_read: threads cancelled while blocked in read leave no P behind; the rest of the program goes on. */
#include <stdatomic.h>
#include <unistd.h>
#include "itest.h"

#define NCANCEL 8
#define RENDEZVOUS_S 10.0

static int fds[2];
static atomic_int arrived;

static void *reader(void *arg)
{
	char c;

	(void)arg;
	for (;;)
		if (read(fds[0], &c, 1) < 0 && errno != EINTR)
			it_fail("read: %s", strerror(errno));
	return NULL;
}

/* Spins, making no calls, until the other one is here too: with two Ps both
 * must run at once, which a P lost to a cancelled reader would prevent
 * (until preemption lets them take turns). */
static void *meet(void *arg)
{
	double deadline = it_now() + RENDEZVOUS_S;

	atomic_fetch_add(&arrived, 1);
	while (atomic_load(&arrived) < 2)
		if (it_now() > deadline)
			return arg;
	return NULL;
}

int main(void)
{
	pthread_t t[NCANCEL], w[2];
	bool late = false;
	int i;

	it_check_mode();
	it_sys(pipe(fds));
	for (i = 0; i < NCANCEL; i++)
		it_create(&t[i], reader, NULL);
	it_sleep_ms(50);  /* let the readers reach read */
	for (i = 0; i < NCANCEL; i++)
		it_pt(pthread_cancel(t[i]));
	for (i = 0; i < NCANCEL; i++)
		it_check(it_join(t[i]) == PTHREAD_CANCELED,
		         "reader %d was not cancelled", i);

	/* With one P, main itself needs the P back after the joins: a leak
	 * is a hang.  With two or more, two threads must run at once. */
	if (it_procs() != 1) {
		for (i = 0; i < 2; i++)
			it_create(&w[i], meet, &late);
		for (i = 0; i < 2; i++)
			late |= it_join(w[i]) != NULL;
		it_check(!late, "two threads could not run at once within "
		         "%.0f s: a P was lost", RENDEZVOUS_S);
	}
	printf("%d readers cancelled, the program went on\n", NCANCEL);
	return IT_PASS;
}
