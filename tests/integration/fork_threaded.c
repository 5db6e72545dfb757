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

static void *burn(void *arg)
{
	it_burn_until(*(double *)arg);
	return NULL;
}

static int child_main(void)
{
	pthread_t t[NTHREADS];
	double wall0 = it_now(), cpu0 = it_process_cpu(), deadline, ratio;
	int i, procs = it_procs();

	deadline = wall0 + 0.5;
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], burn, &deadline);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	ratio = (it_process_cpu() - cpu0) / (it_now() - wall0);
	fprintf(stderr, "child: CPU/wall %.2f (cap %d)\n", ratio, procs);
	if (procs)
		it_check(ratio <= procs * 1.15,
		         "child CPU/wall %.2f exceeds the cap of %d", ratio, procs);
	return IT_PASS;
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
