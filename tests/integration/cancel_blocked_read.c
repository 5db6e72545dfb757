/* cancel_blocked_read: threads cancelled while blocked in read leave no P behind; the rest of the program goes on. */
#include <unistd.h>
#include "itest.h"

#define NCANCEL 8
#define NWORKERS 4

static int fds[2];

static void *reader(void *arg)
{
	char c;

	(void)arg;
	for (;;)
		if (read(fds[0], &c, 1) < 0 && errno != EINTR)
			it_fail("read: %s", strerror(errno));
	return NULL;
}

static void *worker(void *arg)
{
	(void)arg;
	it_burn_cpu(0.3);
	return NULL;
}

int main(void)
{
	pthread_t t[NCANCEL], w[NWORKERS];
	double wall0, cpu0, ratio;
	int i, usable;

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

	/* A leaked P shows as less parallelism (or, with one P, a hang). */
	usable = it_usable_cpus();
	wall0 = it_now();
	cpu0 = it_process_cpu();
	for (i = 0; i < NWORKERS; i++)
		it_create(&w[i], worker, NULL);
	for (i = 0; i < NWORKERS; i++)
		it_join(w[i]);
	ratio = (it_process_cpu() - cpu0) / (it_now() - wall0);
	fprintf(stderr, "after cancellation: CPU/wall %.2f, usable CPUs %d\n",
	        ratio, usable);
	if (usable >= 2)
		it_check(ratio > 1.3, "CPU/wall %.2f with %d usable CPUs: "
		         "a P was lost", ratio, usable);
	printf("%d readers cancelled, %d workers finished\n", NCANCEL, NWORKERS);
	return IT_PASS;
}
