/* duty_cycle_64: 64 threads alternating 1 ms of CPU and 1 ms of sleep for 3 s all finish. */
#include "itest.h"

#define NTHREADS 64
#define RUN_S 3.0

static double deadline;

static void *duty(void *arg)
{
	long *bursts = arg;

	while (it_now() < deadline) {
		it_burn_cpu(0.001);
		it_sleep_ms(1);
		(*bursts)++;
	}
	return NULL;
}

int main(void)
{
	static long bursts[NTHREADS];
	pthread_t t[NTHREADS];
	double wall0, cpu0, wall, cpu;
	long total = 0;
	int i, procs;

	it_check_mode();
	procs = it_procs();
	wall0 = it_now();
	cpu0 = it_process_cpu();
	deadline = wall0 + RUN_S;
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], duty, &bursts[i]);
	for (i = 0; i < NTHREADS; i++) {
		it_join(t[i]);
		it_check(bursts[i] > 0, "thread %d never finished a burst", i);
		total += bursts[i];
	}
	wall = it_now() - wall0;
	cpu = it_process_cpu() - cpu0;
	fprintf(stderr, "%ld bursts, cpu %.2f s / wall %.2f s = %.2f (cap %d)\n",
	        total, cpu, wall, cpu / wall, procs);
	if (procs)
		it_check(cpu / wall <= procs * 1.15,
		         "CPU/wall %.2f exceeds the cap of %d", cpu / wall, procs);
	printf("%d threads finished\n", NTHREADS);
	return IT_PASS;
}
