/*
 * bench_profile.c - what profiling costs, beside the tools people compare
 * it with (issue 10): three syscall-bound workloads (write_loop: 1 thread
 * of 1-byte writes, 8 threads of them, a pipe ping-pong between two
 * threads), each run plain, under libmaxprocs.so, under it profiling
 * (MAXPROCS_PROFILE), and under `strace -f -c`, side by side in one
 * invocation.  Each run is a fresh exec; the kinds are interleaved, rotating
 * which goes first, and each figure is the minimum wall time over rounds.
 * Goal: profiling / plain <= 1.15.
 *
 * usage: bench_profile LIBMAXPROCS WRITE_LOOP [ROUNDS]
 * (BENCH_PROFILE_NO_STRACE=1 leaves strace out: its column then reads 0,
 * and the run takes seconds instead of a minute.)
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

enum { PLAIN, PRELOAD, PROFILE, STRACE, NKINDS };
static const char *const kind_names[NKINDS] = { "plain", "maxprocs", "profiling", "strace -f -c" };

struct workload {
	const char *name;
	const char *args[4];
};

static const struct workload loads[] = {
	{ "1 thread, 200k writes", { "200000", NULL } },
	{ "8 threads x 25k writes", { "--threads", "8", "25000", NULL } },
	{ "pipe ping-pong, 20k", { "--pingpong", "20000", NULL } },
};
#define NLOADS (sizeof loads / sizeof loads[0])

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static char profdir[] = "/tmp/mp-bench-profile-XXXXXX";

static double run(int kind, const char *lib, const char *loop, const struct workload *w)
{
	const char *argv[12];
	int a = 0;
	if (kind == STRACE) {
		argv[a++] = "strace";
		argv[a++] = "-f";
		argv[a++] = "-c";
		argv[a++] = "-o";
		argv[a++] = "/dev/null";
	}
	argv[a++] = loop;
	for (int i = 0; w->args[i]; i++)
		argv[a++] = w->args[i];
	argv[a] = NULL;
	double t0 = now_s();
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_profile: fork");
		exit(1);
	}
	if (pid == 0) {
		unsetenv("LD_PRELOAD");
		unsetenv("MAXPROCS_PROFILE");
		if (kind == PRELOAD || kind == PROFILE) {
			setenv("LD_PRELOAD", lib, 1);
			setenv("MAXPROCS", "1024", 1);
		}
		if (kind == PROFILE)
			setenv("MAXPROCS_PROFILE", profdir, 1);
		execvp(argv[0], (char *const *)argv);
		_exit(127);
	}
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double t = now_s() - t0;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0) {
		fprintf(stderr, "bench_profile: %s run of '%s' failed (status %#x)\n",
		        kind_names[kind], w->name, status);
		return -1;
	}
	return t;
}

int main(int argc, char **argv)
{
	if (argc < 3 || argc > 4) {
		fprintf(stderr, "usage: bench_profile LIBMAXPROCS WRITE_LOOP [ROUNDS]\n");
		return 2;
	}
	char lib[4096];
	if (!realpath(argv[1], lib)) {
		fprintf(stderr, "bench_profile: library '%s': %s\n", argv[1], strerror(errno));
		return 2;
	}
	int rounds = argc > 3 ? atoi(argv[3]) : 5;
	if (rounds < 1 || rounds > 100) {
		fprintf(stderr, "bench_profile: ROUNDS '%s' is not a number from 1 to 100\n", argv[3]);
		return 2;
	}
	if (!mkdtemp(profdir)) {
		perror("bench_profile: mkdtemp");
		return 1;
	}
	const char *no_strace = getenv("BENCH_PROFILE_NO_STRACE");
	bool have_strace = !(no_strace && *no_strace && strcmp(no_strace, "0")) &&
	                   system("strace -V >/dev/null 2>&1") == 0;
	double best[NLOADS][NKINDS];
	for (size_t l = 0; l < NLOADS; l++)
		for (int k = 0; k < NKINDS; k++)
			best[l][k] = 1e300;
	for (int r = 0; r < rounds; r++)
		for (size_t l = 0; l < NLOADS; l++)
			for (int j = 0; j < NKINDS; j++) {
				int k = (j + r) % NKINDS;
				if (k == STRACE && (!have_strace || r > 1))
					continue;   /* 100x slower: two rounds are plenty */
				double t = run(k, lib, argv[2], &loads[l]);
				if (t > 0 && t < best[l][k])
					best[l][k] = t;
			}
	printf("bench_profile: minimum wall time of %d interleaved rounds (strace: 2)\n", rounds);
#ifdef MP_DEBUG
	printf("  WARNING: invariant checks are on (debug build); use a release build\n");
#endif
	printf("  %-24s %10s %10s %10s %12s %10s %10s\n", "", "plain", "maxprocs", "profiling",
	       "strace -f -c", "prof/plain", "strace/pl");
	for (size_t l = 0; l < NLOADS; l++) {
		double p = best[l][PLAIN];
		printf("  %-24s %8.1f ms %8.1f ms %8.1f ms %10.1f ms %10.3f %10.1f\n", loads[l].name,
		       p * 1e3, best[l][PRELOAD] * 1e3, best[l][PROFILE] * 1e3,
		       have_strace ? best[l][STRACE] * 1e3 : 0.0, best[l][PROFILE] / p,
		       have_strace ? best[l][STRACE] / p : 0.0);
	}
	char cmd[256];
	snprintf(cmd, sizeof cmd, "rm -rf '%s'", profdir);
	if (system(cmd) != 0)
		fprintf(stderr, "bench_profile: could not remove %s\n", profdir);
	return 0;
}
