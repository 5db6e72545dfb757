/*
 * cap_blocked_workers: worker threads created with every signal blocked
 * (xz, many thread pools: so that signals go to the main thread) compute
 * without calls; the cap must still hold: CPU time / wall time at most the
 * cap (with a generous margin), not the machine.
 */
#include <signal.h>
#include "itest.h"

int main(void)
{
	sigset_t all, old;
	pthread_t t[3];
	double deadline, wall0, cpu0, ratio;
	int procs;

	it_check_mode();
	procs = it_procs();
	sigfillset(&all);
	it_pt(pthread_sigmask(SIG_SETMASK, &all, &old));
	wall0 = it_now();
	cpu0 = it_process_cpu();
	deadline = wall0 + 0.8;
	for (int i = 0; i < 3; i++)
		it_create(&t[i], it_burn_thread, &deadline);
	it_pt(pthread_sigmask(SIG_SETMASK, &old, NULL));
	for (int i = 0; i < 3; i++)
		it_join(t[i]);
	ratio = (it_process_cpu() - cpu0) / (it_now() - wall0);
	fprintf(stderr, "CPU/wall %.2f (cap %d, %d CPUs)\n", ratio, procs, it_cpus());
	if (procs && procs < it_cpus())
		it_check(ratio <= procs * 1.25,
		         "CPU/wall %.2f exceeds the cap of %d: workers that block every "
		         "signal ran past it", ratio, procs);
	puts("3 workers with every signal blocked finished");
	return IT_PASS;
}
