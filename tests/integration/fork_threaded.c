/* fork_threaded: fork while threads run; the child runs its own threads under its own cap and exits cleanly. */
#include <stdatomic.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

#define NTHREADS 4

static atomic_bool stop;

static void *spinner(void *arg)
{
	(void)arg;
	while (!atomic_load(&stop))
		it_sleep_ms(1), it_burn_cpu(0.001);
	return NULL;
}

static int child_main(void)
{
	return it_child_burn_within_cap(NTHREADS, it_procs());
}

int main(void)
{
	pthread_t t[NTHREADS];
	int i, status;
	pid_t pid;

	it_check_mode();
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], spinner, NULL);
	it_sleep_ms(20);
	fflush(NULL);
	pid = (pid_t)it_sys(fork());
	if (pid == 0)
		exit(child_main());
	it_check(it_sys(waitpid(pid, &status, 0)) == pid, "waitpid");
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	         "child status %#x", status);
	atomic_store(&stop, true);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	puts("forked child ran its threads and exited 0");
	return IT_PASS;
}
