/*
 * bench_write.c - what the preload adds to a cheap intercepted call.
 *
 * One thread writes 1 byte to /dev/null in a loop, plainly and under
 * libmaxprocs.so (MAXPROCS=1, so the P is never contended).  Issue 3's goal:
 * preload/plain <= 1.05.  The two kinds of run are interleaved in one
 * invocation, alternating which goes first, so drift in the machine's speed
 * lands on both; each figure is the minimum over rounds.  Each run is a fresh
 * exec of this program, because LD_PRELOAD only acts at exec.  A second pair
 * of runs is pinned to one CPU (what `taskset -c 0` does), which removes
 * migration noise from both sides.
 *
 * usage: bench_write [LIBMAXPROCS [ROUNDS]]
 *        LIBMAXPROCS defaults to $MAXPROCS_LIBRARY; ROUNDS to 9.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sched.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define WORKER_FLAG "--worker"
#define CALLS_PER_REP 200000
#define REPS_PER_RUN 5

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* ---- worker: runs in the exec'd child, prints "NS_PER_CALL LOADED" ---- */

static int find_preload(struct dl_phdr_info *info, size_t size, void *found)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "libmaxprocs"))
		*(bool *)found = true;
	return 0;
}

static int worker(void)
{
	int fd = open("/dev/null", O_WRONLY);
	if (fd < 0) {
		fprintf(stderr, "bench_write: /dev/null: %s\n", strerror(errno));
		return 1;
	}
	double best = 1e300;
	for (int rep = -1; rep < REPS_PER_RUN; rep++) {  /* rep -1 warms up */
		uint64_t t0 = now_ns();
		for (int i = 0; i < CALLS_PER_REP; i++) {
			if (write(fd, "x", 1) != 1) {
				fprintf(stderr, "bench_write: write: %s\n", strerror(errno));
				return 1;
			}
		}
		double ns = (double)(now_ns() - t0) / CALLS_PER_REP;
		if (rep >= 0 && ns < best)
			best = ns;
	}
	bool loaded = false;
	dl_iterate_phdr(find_preload, &loaded);
	printf("%.3f %d\n", best, loaded);
	return 0;
}

/* ---- driver ---- */

enum { PLAIN, PRELOAD };

struct run_kind {
	bool preload;
	int pin_cpu;    /* -1: not pinned */
	double best;
};

static int first_allowed_cpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof(set), &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

/* exec self as a worker with the environment of `k`; returns its ns/call. */
static double run_worker(const char *self, const char *lib, const struct run_kind *k)
{
	int fds[2];
	if (pipe(fds) != 0) {
		perror("bench_write: pipe");
		exit(1);
	}
	pid_t pid = fork();
	if (pid < 0) {
		perror("bench_write: fork");
		exit(1);
	}
	if (pid == 0) {
		dup2(fds[1], STDOUT_FILENO);
		close(fds[0]);
		close(fds[1]);
		unsetenv("LD_PRELOAD");
		unsetenv("MAXPROCS_SCHEDTRACE");
		unsetenv("MAXPROCS_SLICE_US");
		unsetenv("MAXPROCS");
		if (k->preload) {
			setenv("LD_PRELOAD", lib, 1);
			setenv("MAXPROCS", "1", 1);
		}
		if (k->pin_cpu >= 0) {
			cpu_set_t set;
			CPU_ZERO(&set);
			CPU_SET(k->pin_cpu, &set);
			sched_setaffinity(0, sizeof(set), &set);
		}
		execl(self, self, WORKER_FLAG, (char *)NULL);
		fprintf(stderr, "bench_write: exec %s: %s\n", self, strerror(errno));
		_exit(127);
	}
	close(fds[1]);
	char buf[128] = "";
	FILE *f = fdopen(fds[0], "r");
	if (!f || !fgets(buf, sizeof(buf), f))
		buf[0] = 0;
	if (f)
		fclose(f);
	int status;
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	double ns;
	int loaded;
	if (!WIFEXITED(status) || WEXITSTATUS(status) != 0 ||
	    sscanf(buf, "%lf %d", &ns, &loaded) != 2) {
		fprintf(stderr, "bench_write: %s worker failed (status %#x)\n",
		        k->preload ? "preloaded" : "plain", status);
		exit(1);
	}
	if (loaded != k->preload) {
		fprintf(stderr, "bench_write: %s was %s in the %s run\n", lib,
		        loaded ? "loaded" : "not loaded", k->preload ? "preloaded" : "plain");
		exit(1);
	}
	return ns;
}

int main(int argc, char **argv)
{
	if (argc == 2 && strcmp(argv[1], WORKER_FLAG) == 0)
		return worker();

	const char *lib = argc > 1 ? argv[1] : getenv("MAXPROCS_LIBRARY");
	if (argc > 3 || !lib || !*lib || lib[0] == '-') {
		fprintf(stderr, "usage: bench_write LIBMAXPROCS [ROUNDS]  "
		        "(or set MAXPROCS_LIBRARY)\n");
		return 2;
	}
	if (access(lib, R_OK) != 0) {
		fprintf(stderr, "bench_write: library '%s': %s\n", lib, strerror(errno));
		return 2;
	}
	int rounds = 9;
	if (argc > 2) {
		char *end;
		long v = strtol(argv[2], &end, 10);
		if (end == argv[2] || *end || v < 1 || v > 1000) {
			fprintf(stderr, "bench_write: ROUNDS '%s' is not a number from 1 to 1000\n",
			        argv[2]);
			return 2;
		}
		rounds = (int)v;
	}
	char self[4096];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	if (n <= 0) {
		perror("bench_write: /proc/self/exe");
		return 1;
	}
	self[n] = 0;
	/* realpath so that LD_PRELOAD does not depend on the child's cwd */
	char libpath[4096];
	if (!realpath(lib, libpath)) {
		fprintf(stderr, "bench_write: library '%s': %s\n", lib, strerror(errno));
		return 2;
	}

	int cpu = first_allowed_cpu();
	struct run_kind kinds[4] = {
		{ false, -1, 1e300 }, { true, -1, 1e300 },
		{ false, cpu, 1e300 }, { true, cpu, 1e300 },
	};
	int nkinds = cpu >= 0 ? 4 : 2;
	for (int r = 0; r < rounds; r++) {
		for (int pair = 0; pair < nkinds; pair += 2) {
			for (int j = 0; j < 2; j++) {
				/* alternate which of plain/preload goes first */
				struct run_kind *k = &kinds[pair + (j ^ (r & 1))];
				double ns = run_worker(self, libpath, k);
				if (ns < k->best)
					k->best = ns;
			}
		}
	}

	printf("bench_write: 1-byte write() to /dev/null, %d interleaved rounds, "
	       "%d x %d calls per run\n", rounds, REPS_PER_RUN, CALLS_PER_REP);
	printf("  library: %s (MAXPROCS=1)\n", libpath);
#ifdef MP_DEBUG
	printf("  WARNING: this build has invariant checks on (debug build); use a release build\n");
#endif
	printf("  %-20s %10s %10s %8s\n", "", "plain", "preload", "ratio");
	for (int pair = 0; pair < nkinds; pair += 2) {
		char label[32];
		if (kinds[pair].pin_cpu < 0)
			snprintf(label, sizeof(label), "unpinned");
		else
			snprintf(label, sizeof(label), "taskset -c %d", kinds[pair].pin_cpu);
		double plain = kinds[pair].best, pre = kinds[pair + 1].best;
		printf("  %-20s %7.1f ns %7.1f ns %8.3f  (+%.1f ns)\n", label, plain, pre,
		       pre / plain, pre - plain);
	}
	printf("  goal preload/plain <= 1.05 (unpinned): %s\n",
	       kinds[PRELOAD].best / kinds[PLAIN].best <= 1.05 ? "met" : "MISSED");
	return 0;
}
