/*
 * sig_no_eintr: a thread that sleeps in calls the library cannot see
 * (thrd_sleep, a raw nanosleep) while holding its P is revoked, wakes, and
 * sleeps again; CPU-bound threads keep Ms waiting.  The preemption signal
 * must never interrupt those sleeps: plain sees no EINTR, nor may we.
 */
#include <sys/syscall.h>
#include <threads.h>
#include <time.h>
#include <unistd.h>
#include "itest.h"

static int eintr_thrd, eintr_raw;

static void *sleeper(void *arg)
{
	(void)arg;
	for (int i = 0; i < 150; i++) {
		struct timespec ts = { 0, 1000000 };
		if (thrd_sleep(&ts, NULL) == -1)
			eintr_thrd++;
		it_spin(20000);   /* a little work between sleeps */
		ts.tv_nsec = 1000000;
		if (syscall(SYS_clock_nanosleep, CLOCK_MONOTONIC, 0, &ts, NULL) != 0 && errno == EINTR)
			eintr_raw++;
	}
	return NULL;
}

int main(void)
{
	pthread_t b[2], s[2];

	it_check_mode();
	for (int i = 0; i < 2; i++)
		it_create(&b[i], it_spinner, NULL);
	for (int i = 0; i < 2; i++)
		it_create(&s[i], sleeper, NULL);
	for (int i = 0; i < 2; i++)
		it_join(s[i]);
	it_spinners_stop = 1;
	for (int i = 0; i < 2; i++)
		it_join(b[i]);
	printf("thrd_sleep EINTR: %d, raw clock_nanosleep EINTR: %d\n", eintr_thrd, eintr_raw);
	return IT_PASS;
}
