/*
 * sig_no_eintr: a thread that sleeps in calls the library cannot see
 * (thrd_sleep, a raw nanosleep) while holding its P is revoked, wakes, and
 * sleeps again; CPU-bound threads keep Ms waiting.  The preemption signal
 * must never interrupt those sleeps: plain sees no EINTR, nor may we.
 * The bursty threads compute ~100 us between 200 us sleeps: by its CPU
 * clock alone such a thread computes, and it drew signals that landed in
 * its next sleep (3-36 EINTR in 8000 sleeps before the awake gate).
 */
#include <poll.h>
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

static int eintr_bursty;

static void *bursty(void *arg)
{
	(void)arg;
	for (int i = 0; i < 1500; i++) {
		it_spin(50000);
		struct timespec ts = { 0, 200000 };
		if (thrd_sleep(&ts, NULL) == -1)
			__atomic_fetch_add(&eintr_bursty, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

/* Bursts of 100-300 us between 1 ms polls, which the library sees: the
 * monitor may judge the thread computing and signal it just as it enters
 * the poll.  Before the handshake (sched/monitor.c, announce_signal) the
 * signal landed in the poll, or in its zero-timeout look, which fails with
 * EINTR when a signal is pending: 2-11 EINTR in 16000 polls
 * (bench/signal_race measures it; too rare for these 400 to show often:
 * tests/unit/test_signal_gate.c checks the enter's side of the handshake). */
static int eintr_poll;

static void *poll_bursty(void *arg)
{
	(void)arg;
	for (int i = 0; i < 200; i++) {
		it_spin(50000 * (1 + i % 3));
		if (poll(NULL, 0, 1) == -1 && errno == EINTR)
			__atomic_fetch_add(&eintr_poll, 1, __ATOMIC_RELAXED);
	}
	return NULL;
}

int main(void)
{
	pthread_t b[2], s[2], u[2], p[2];

	it_check_mode();
	for (int i = 0; i < 2; i++)
		it_create(&b[i], it_spinner, NULL);
	for (int i = 0; i < 2; i++)
		it_create(&s[i], sleeper, NULL);
	for (int i = 0; i < 2; i++)
		it_create(&u[i], bursty, NULL);
	for (int i = 0; i < 2; i++)
		it_create(&p[i], poll_bursty, NULL);
	for (int i = 0; i < 2; i++)
		it_join(s[i]);
	for (int i = 0; i < 2; i++)
		it_join(u[i]);
	for (int i = 0; i < 2; i++)
		it_join(p[i]);
	it_spinners_stop = 1;
	for (int i = 0; i < 2; i++)
		it_join(b[i]);
	printf("thrd_sleep EINTR: %d, raw clock_nanosleep EINTR: %d, bursty thrd_sleep EINTR: %d, "
	       "bursty poll EINTR: %d\n", eintr_thrd, eintr_raw, eintr_bursty, eintr_poll);
	return IT_PASS;
}
