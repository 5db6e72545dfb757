/*
 * sig_handler_parked: the program's own signal handlers while threads are
 * being preempted at the cap.  Each case hangs or corrupts the queue if a
 * handler runs while its thread is parked inside the library's preemption
 * handler:
 *   1. a SIGUSR1 handler that blocks reading a byte that another thread,
 *      which needs a P, writes;
 *   2. the SIGALRM timeout idiom: a per-thread timer whose handler
 *      siglongjmps out of a CPU-bound loop, many times;
 *   3. asynchronous cancellation of CPU-bound threads, then join.
 */
#include <setjmp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>
#include "itest.h"

/* ---- 1: a handler that blocks on another thread ---- */
static int pipefd[2];
static volatile int handled;

static void on_usr1(int sig)
{
	char c;
	(void)sig;
	if (read(pipefd[0], &c, 1) == 1)
		handled++;
}

static void *feeder(void *arg)
{
	(void)arg;
	for (int i = 0; i < 20; i++) {
		it_burn_cpu(0.003);
		if (write(pipefd[1], "x", 1) != 1)
			break;
	}
	return NULL;
}

static volatile int target_running;

static void *target(void *arg)
{
	(void)arg;
	target_running = 1;
	while (handled < 20)
		it_spin(1000);
	return NULL;
}

static void case_blocking_handler(void)
{
	pthread_t t, f, b;
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;   /* empty sa_mask: nothing else held off */
	it_sys(sigaction(SIGUSR1, &sa, NULL));
	it_sys(pipe(pipefd));
	it_create(&b, it_spinner, NULL);
	it_create(&t, target, NULL);
	it_create(&f, feeder, NULL);
	/* Not before the target runs its own code: a handler that blocks
	 * while thread start-up holds a lock (ASan's allocator takes one
	 * there) would deadlock the feeder's start-up on it, with or
	 * without the library. */
	while (!target_running)
		it_burn_cpu(0.0001);
	for (int i = 0; i < 20; i++) {
		/* One at a time: two pending SIGUSR1 would merge into one. */
		pthread_kill(t, SIGUSR1);
		while (handled <= i)
			it_burn_cpu(0.001);
	}
	it_join(t);
	it_join(f);
	it_spinners_stop = 1;
	it_join(b);
	printf("blocking handler ran %d times\n", (int)handled);
}

/* ---- 2: siglongjmp out of a timer handler ---- */
static __thread sigjmp_buf jb;
static __thread volatile int jumps;

static void on_alrm(int sig)
{
	(void)sig;
	siglongjmp(jb, 1);
}

static void *jumper(void *arg)
{
	timer_t tm;
	struct sigevent sev;
	struct itimerspec its = { { 0, 700000 }, { 0, 700000 } };
	(void)arg;
	memset(&sev, 0, sizeof sev);
	sev.sigev_notify = SIGEV_THREAD_ID;
	sev.sigev_signo = SIGALRM;
	sev._sigev_un._tid = (pid_t)syscall(SYS_gettid);
	it_sys(timer_create(CLOCK_MONOTONIC, &sev, &tm));
	/* The buffer first, then the timer: a tick before sigsetjmp (a
	 * thread descheduled for 0.7 ms between the two, seen in CI without
	 * the library) jumped to an empty buffer and crashed. */
	if (sigsetjmp(jb, 1) == 0)
		it_sys(timer_settime(tm, 0, &its, NULL));
	if (jumps < 150) {
		jumps++;
		for (;;)
			it_spin(1000);   /* until the timer jumps us out */
	}
	/* A tick that lands from here on jumps back to the sigsetjmp and
	 * comes here again without counting: the total is exact. */
	sigset_t alrm;
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	pthread_sigmask(SIG_BLOCK, &alrm, NULL);
	timer_delete(tm);
	return (void *)(long)jumps;
}

static void case_siglongjmp(void)
{
	pthread_t t[3];
	struct sigaction sa;
	long total = 0;
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_alrm;
	it_sys(sigaction(SIGALRM, &sa, NULL));
	for (int i = 0; i < 3; i++)
		it_create(&t[i], jumper, NULL);
	for (int i = 0; i < 3; i++)
		total += (long)it_join(t[i]);
	printf("siglongjmp threads jumped %ld times\n", total);
}

/* ---- 3: asynchronous cancellation ---- */
static void *async_spin(void *arg)
{
	(void)arg;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, NULL);
	for (;;)
		it_spin(1000);
	return NULL;
}

static void case_async_cancel(void)
{
	int cancelled = 0;
	for (int round = 0; round < 20; round++) {
		pthread_t t[3];
		for (int i = 0; i < 3; i++)
			it_create(&t[i], async_spin, NULL);
		it_burn_cpu(0.005);
		for (int i = 0; i < 3; i++)
			pthread_cancel(t[i]);
		for (int i = 0; i < 3; i++)
			cancelled += it_join(t[i]) == PTHREAD_CANCELED;
	}
	printf("async-cancelled and joined %d threads\n", cancelled);
}

int main(int argc, char **argv)
{
	const char *only = argc > 1 ? argv[1] : "";
	it_check_mode();
	if (!*only || !strcmp(only, "handler"))
		case_blocking_handler();
	if (!*only || !strcmp(only, "longjmp"))
		case_siglongjmp();
	if (!*only || !strcmp(only, "cancel"))
		case_async_cancel();
	return IT_PASS;
}
