/* fork_syscall: syscall(SYS_fork), syscall(SYS_clone, SIGCHLD, ...) and syscall(SYS_clone3) from a threaded program whose threads contend for the P; each child makes wrapped calls, runs a thread and exits 0. */
#include <linux/sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

#ifndef SYS_clone3
#define SYS_clone3 435
#endif

#define NTHREADS 3
#define ROUNDS 5

static atomic_bool stop;

static void *contender(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		it_sleep_ms(1), it_burn_cpu(0.002);
	return NULL;
}

static void *child_thread(void *arg)
{
	it_sleep_ms(1);
	return arg;
}

/* In the child: only raw-fork-safe things (no malloc lock could be held
 * by a thread that is gone: the contenders never allocate). */
static void child_main(void)
{
	int fds[2];
	char c = 0;
	pthread_t t;
	void *ret = NULL;

	if (pipe(fds) != 0 || write(fds[1], "x", 1) != 1 || read(fds[0], &c, 1) != 1 ||
	    c != 'x')
		_exit(2);
	it_sleep_ms(2);
	if (pthread_create(&t, NULL, child_thread, (void *)7L) != 0)
		_exit(3);
	if (pthread_join(t, &ret) != 0 || ret != (void *)7L)
		_exit(4);
	close(fds[0]);
	close(fds[1]);
	_exit(0);
}

/* Wait (bounded: 10 s) for pid; returns its status. */
static int wait_bounded(pid_t pid, const char *what)
{
	int status = 0;

	for (int i = 0; i < 1000; i++) {
		pid_t got = (pid_t)it_sys(waitpid(pid, &status, WNOHANG));
		if (got == pid)
			return status;
		it_sleep_ms(10);
	}
	kill(pid, SIGKILL);
	waitpid(pid, &status, 0);
	it_fail("%s: the child did not exit within 10 s", what);
}

static void check_child(long pid, const char *what)
{
	int status;

	it_check(pid > 0, "%s: %s", what, strerror(errno));
	status = wait_bounded((pid_t)pid, what);
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	         "%s: child status %#x", what, status);
}

int main(void)
{
	pthread_t t[NTHREADS];
	struct clone_args ca;
	bool clone3_ok = true;
	long pid;
	int i;

	it_check_mode();
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], contender, NULL);
	it_sleep_ms(20);
	fflush(NULL);
	for (int round = 0; round < ROUNDS; round++) {
		pid = syscall(SYS_fork);
		if (pid == 0)
			child_main();
		check_child(pid, "syscall(SYS_fork)");

		pid = syscall(SYS_clone, SIGCHLD, 0, 0, 0, 0);
		if (pid == 0)
			child_main();
		check_child(pid, "syscall(SYS_clone, SIGCHLD)");

		if (!clone3_ok)
			continue;
		memset(&ca, 0, sizeof ca);
		ca.exit_signal = SIGCHLD;
		pid = syscall(SYS_clone3, &ca, sizeof ca);
		if (pid == 0)
			child_main();
		if (pid < 0 && (errno == ENOSYS || errno == EPERM)) {
			fprintf(stderr, "clone3: %s: not tested\n", strerror(errno));
			clone3_ok = false;
			continue;
		}
		check_child(pid, "syscall(SYS_clone3)");
	}
	/* A bad clone3 pointer: EFAULT from the kernel, no crash of ours. */
	errno = 0;
	pid = syscall(SYS_clone3, (void *)8, sizeof ca);
	if (pid == 0)
		_exit(0);
	it_check(pid < 0 && (errno == EFAULT || errno == ENOSYS || errno == EPERM),
	         "clone3(bad pointer) = %ld, errno %d", pid, errno);
	atomic_store(&stop, true);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	printf("%d rounds of raw fork, clone and clone3: children exited 0\n", ROUNDS);
	return IT_PASS;
}
