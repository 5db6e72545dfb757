/*
 * sig_rt_program: real-time signals are the program's own, and no signal
 * of the library's ever waits in a queue, while CPU-bound threads at the
 * cap are being preempted:
 *   - sigaction(SIGRTMAX) reports SIG_DFL; queued SIGRTMAX reach
 *     sigtimedwait in order, through signalfd, and from a timer;
 *   - threads that block every signal (pthread_attr_setsigmask_np) or the
 *     preemption signal (a raw rt_sigprocmask) finish, and nothing of ours
 *     is pending on them; the program can still queue signals up to a
 *     tight RLIMIT_SIGPENDING;
 *   - a child that raises SIGRTMAX dies of it; SIGURG at SIG_DFL is ignored.
 */
#include <signal.h>
#include <stdint.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include "itest.h"

static volatile int stop_burn;
static volatile int pending_ours;   /* a burner found SIGURG pending on itself */

static void check_nothing_pending(void)
{
	sigset_t p;
	sigpending(&p);
	if (sigismember(&p, SIGURG) || sigismember(&p, SIGRTMAX))
		pending_ours = 1;
}

static void *burn(void *arg)
{
	(void)arg;
	while (!stop_burn)
		it_spin(1000);
	check_nothing_pending();
	return NULL;
}

/* Blocks the preemption signal behind the library's back. */
static void *burn_raw_blocked(void *arg)
{
	uint64_t all = ~0ull;
	(void)arg;
	syscall(SYS_rt_sigprocmask, SIG_BLOCK, &all, NULL, 8);
	return burn(NULL);
}

static int collect(int sig, int n, int timer)
{
	sigset_t set;
	siginfo_t si;
	struct timespec to = { 2, 0 };
	int got = 0, in_order = 1;

	sigemptyset(&set);
	sigaddset(&set, sig);
	while (got < n && sigtimedwait(&set, &si, &to) == sig) {
		if (!timer && si.si_value.sival_int != got)
			in_order = 0;
		got++;
	}
	return got == n && in_order;
}

static long sigq_used(void)
{
	char line[256];
	long used = -1, max;
	FILE *f = fopen("/proc/self/status", "r");
	if (!f)
		return -1;
	while (fgets(line, sizeof line, f))
		if (sscanf(line, "SigQ: %ld/%ld", &used, &max) == 2)
			break;
	fclose(f);
	return used;
}

static int child_status(int (*fn)(void))
{
	int st;
	pid_t pid = fork();
	if (pid == 0)
		_exit(fn());
	it_check(pid > 0, "fork: %s", strerror(errno));
	it_check(waitpid(pid, &st, 0) == pid, "waitpid");
	return st;
}

static int child_raises_rtmax(void)
{
	pthread_t t;
	sigset_t rtmax;
	sigemptyset(&rtmax);
	sigaddset(&rtmax, SIGRTMAX);
	pthread_sigmask(SIG_UNBLOCK, &rtmax, NULL);
	it_create(&t, burn, NULL);
	it_burn_cpu(0.05);
	raise(SIGRTMAX);
	return 3;   /* not reached: SIGRTMAX's default action terminates */
}

static int child_gets_urg(void)
{
	pthread_t t;
	it_create(&t, burn, NULL);
	kill(getpid(), SIGURG);
	it_burn_cpu(0.05);
	stop_burn = 1;
	it_join(t);
	return 4;
}

int main(void)
{
	struct sigaction old;
	sigset_t block, all;
	pthread_attr_t attr;
	pthread_t t[4];

	it_check_mode();
	it_sys(sigaction(SIGRTMAX, NULL, &old));
	printf("SIGRTMAX disposition: %s\n", old.sa_handler == SIG_DFL ? "SIG_DFL" : "changed");

	/* Blocked before any thread exists: every thread inherits it. */
	sigemptyset(&block);
	sigaddset(&block, SIGRTMAX);
	sigaddset(&block, SIGRTMAX - 1);
	sigaddset(&block, SIGRTMIN + 3);
	it_pt(pthread_sigmask(SIG_BLOCK, &block, NULL));

	sigfillset(&all);
	it_pt(pthread_attr_init(&attr));
	it_pt(pthread_attr_setsigmask_np(&attr, &all));
	it_pt(pthread_create(&t[0], &attr, burn, NULL));
	it_pt(pthread_create(&t[1], &attr, burn, NULL));
	it_pt(pthread_attr_destroy(&attr));   /* the sigmask extension is malloc'd */
	it_create(&t[2], burn_raw_blocked, NULL);
	it_create(&t[3], burn, NULL);
	it_burn_cpu(0.3);   /* preemption under way, threads that block it among them */

	for (int i = 0; i < 50; i++)
		it_sys(sigqueue(getpid(), SIGRTMAX, (union sigval){ .sival_int = i }));
	printf("sigtimedwait got 50 SIGRTMAX in order: %d\n", collect(SIGRTMAX, 50, 0));

	int sfd = (int)it_sys(signalfd(-1, &block, SFD_CLOEXEC));
	struct signalfd_siginfo ssi;
	int ok = 1;
	for (int i = 0; i < 20; i++)
		it_sys(sigqueue(getpid(), SIGRTMAX - 1, (union sigval){ .sival_int = i }));
	for (int i = 0; i < 20 && ok; i++)
		ok = read(sfd, &ssi, sizeof ssi) == sizeof ssi &&
		     ssi.ssi_signo == (unsigned)(SIGRTMAX - 1) && ssi.ssi_int == i;
	printf("signalfd got 20 SIGRTMAX-1 in order: %d\n", ok);
	close(sfd);

	timer_t tm;
	struct sigevent sev = { .sigev_notify = SIGEV_SIGNAL, .sigev_signo = SIGRTMAX };
	struct itimerspec its = { { 0, 1000000 }, { 0, 1000000 } };
	it_sys(timer_create(CLOCK_MONOTONIC, &sev, &tm));
	it_sys(timer_settime(tm, 0, &its, NULL));
	printf("timer signals reach sigtimedwait: %d\n", collect(SIGRTMAX, 20, 1));
	timer_delete(tm);
	{
		/* An expiry in flight at the delete would look like ours below. */
		sigset_t rtmax;
		struct timespec zero = { 0, 0 };
		sigemptyset(&rtmax);
		sigaddset(&rtmax, SIGRTMAX);
		while (sigtimedwait(&rtmax, NULL, &zero) == SIGRTMAX)
			;
	}

	/* A tight per-user queue limit: the program's own signals still fit.
	 * The queue is the user's, not the process's: another process of the
	 * same user (sig_rt_program_owned beside this one in meson's parallel
	 * run) can fill the room for a moment, so a try that falls short is
	 * made again with the limit measured anew.  A library that leaks
	 * signals into the queue (about 70 a second) falls short every time. */
	long used = sigq_used();
	if (used >= 0) {
		struct rlimit keep;
		int queued = 0, tries = 0;
		it_sys(getrlimit(RLIMIT_SIGPENDING, &keep));
		for (; tries < 5 && queued < 8; tries++) {
			struct rlimit rl = { 0, keep.rlim_max };
			if (tries)
				used = sigq_used();
			it_check(used >= 0, "SigQ: no longer readable");
			rl.rlim_cur = (rlim_t)used + 12;
			it_burn_cpu(0.2);
			it_sys(setrlimit(RLIMIT_SIGPENDING, &rl));
			queued = 0;
			for (int i = 0; i < 8; i++)
				queued += sigqueue(getpid(), SIGRTMIN + 3, (union sigval){ .sival_int = i }) == 0;
			collect(SIGRTMIN + 3, queued, 1);
			it_sys(setrlimit(RLIMIT_SIGPENDING, &keep));
		}
		if (tries > 1)
			fprintf(stderr, "sig_rt_program: %d tries to queue 8 under the limit\n", tries);
		printf("queued 8 of our own under the limit: %d\n", queued == 8);
	} else {
		puts("queued 8 of our own under the limit: 1");
	}

	stop_burn = 1;
	for (int i = 0; i < 4; i++)
		it_join(t[i]);
	printf("none of the library's signals left pending: %d\n", !pending_ours);

	stop_burn = 0;
	int st = child_status(child_raises_rtmax);
	printf("child raising SIGRTMAX: %s\n",
	       WIFSIGNALED(st) && WTERMSIG(st) == SIGRTMAX ? "killed by SIGRTMAX" : "survived");
	stop_burn = 0;
	st = child_status(child_gets_urg);
	printf("child sent SIGURG: %s\n",
	       WIFEXITED(st) && WEXITSTATUS(st) == 4 ? "ignored it" : "changed");
	return IT_PASS;
}
