/* main_pthread_exit: main starts CPU-bound and blocking workers, then calls pthread_exit; the workers finish and the process exits 0.
 *
 *   main_pthread_exit exit     the last worker calls exit(0)
 *   main_pthread_exit return   every worker returns: glibc's exit(0) after
 *                              the last thread (needs the monitor to leave)
 *   main_pthread_exit sigterm  a child runs endless workers after main's
 *                              pthread_exit; SIGTERM must end it
 */
#include <signal.h>
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

#define NWORKERS 3

static atomic_int finished;
static bool last_exits;
static bool forever;
static int fds[2];

static void worker_done(void)
{
	if (atomic_fetch_add(&finished, 1) + 1 == NWORKERS) {
		printf("%d workers finished after main's pthread_exit\n", NWORKERS);
		fflush(stdout);
		if (last_exits)
			exit(0);
	}
}

static void *cpu_worker(void *arg)
{
	(void)arg;
	do
		it_burn_cpu(0.1);
	while (forever);
	it_sys(write(fds[1], "x", 1));
	worker_done();
	return NULL;
}

static void *blocking_worker(void *arg)
{
	char c[2];

	(void)arg;
	it_sleep_ms(20);
	/* Woken by both CPU workers (each writes one byte when done). */
	for (int got = 0; got < 2;)
		got += (int)it_sys(read(fds[0], c + got, 2 - got));
	worker_done();
	return NULL;
}

static void start_and_leave(void)
{
	pthread_t t;

	it_sys(pipe(fds));
	it_create(&t, cpu_worker, NULL);
	it_create(&t, cpu_worker, NULL);
	it_create(&t, blocking_worker, NULL);
	pthread_exit(NULL);
}

static int sigterm_test(void)
{
	int status = 0;
	pid_t pid, got = 0;

	fflush(NULL);
	pid = (pid_t)it_sys(fork());
	if (pid == 0) {
		forever = true;
		start_and_leave();
	}
	it_sleep_ms(300);
	it_sys(kill(pid, SIGTERM));
	for (int i = 0; i < 500 && got == 0; i++) {   /* at most 5 s */
		got = (pid_t)it_sys(waitpid(pid, &status, WNOHANG));
		if (got == 0)
			it_sleep_ms(10);
	}
	if (got == 0) {
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		it_fail("SIGTERM did not end the process within 5 s");
	}
	it_check(WIFSIGNALED(status) && WTERMSIG(status) == SIGTERM,
	         "child status %#x, expected killed by SIGTERM", status);
	puts("SIGTERM ended the process");
	return IT_PASS;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "return";

	it_check_mode();
	if (strcmp(mode, "sigterm") == 0)
		return sigterm_test();
	last_exits = strcmp(mode, "exit") == 0;
	start_and_leave();
}
