/* cap_cpu_bound: 8 CPU-bound threads for 2 s use one CPU under MAXPROCS=1 and all CPUs without the library. */
#include "itest.h"

#define NTHREADS 8
#define RUN_S 2.0

static double deadline;

/* The 1-minute load average: when other work already keeps the CPUs busy,
 * an uncapped run cannot show its parallelism. */
static double load_average(void)
{
	double load = 0;
	FILE *f = fopen("/proc/loadavg", "r");

	if (f) {
		if (fscanf(f, "%lf", &load) != 1)
			load = 0;
		fclose(f);
	}
	return load;
}

static void *burn(void *arg)
{
	(void)arg;
	it_burn_until(deadline);
	return NULL;
}

int main(void)
{
	pthread_t t[NTHREADS];
	double wall0, cpu0, wall, cpu, ratio, load;
	int i, procs, cpus;

	it_check_mode();
	procs = it_procs();
	cpus = it_cpus();
	load = load_average();
	wall0 = it_now();
	cpu0 = it_process_cpu();
	deadline = wall0 + RUN_S;
	for (i = 0; i < NTHREADS; i++)
		it_create(&t[i], burn, NULL);
	for (i = 0; i < NTHREADS; i++)
		it_join(t[i]);
	wall = it_now() - wall0;
	cpu = it_process_cpu() - cpu0;
	ratio = cpu / wall;
	fprintf(stderr, "cpu %.2f s / wall %.2f s = %.2f (cap %d, %d CPUs)\n",
	        cpu, wall, ratio, procs, cpus);

	if (procs) {
		/* At most procs CPUs busy, 15 % for the library and noise.
		 * No lower bound: other load on the machine lowers it. */
		it_check(ratio <= procs * 1.15,
		         "CPU/wall %.2f exceeds the cap of %d", ratio, procs);
	} else if (cpus >= 2 && load >= cpus - 0.5) {
		fprintf(stderr, "note: load average %.1f on %d CPUs: uncapped "
		        "ratio not checked\n", load, cpus);
	} else if (cpus >= 2) {
		it_check(ratio > 1.3, "uncapped CPU/wall %.2f on %d CPUs: "
		         "expected about %d", ratio, cpus, cpus < 8 ? cpus : 8);
	} else {
		fprintf(stderr, "note: 1 CPU, uncapped ratio not checked\n");
	}
	printf("%d threads finished\n", NTHREADS);
	return IT_PASS;
}
