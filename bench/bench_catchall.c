/*
 * bench_catchall.c - what catch-all mode costs per call (issue 13):
 *
 *   bench_catchall LIBRARY [SECONDS]
 *
 * runs itself three times - plain (no library), wrappers (the library),
 * catch-all (the library with MAXPROCS_CATCH_ALL=1) - and prints ns/call
 * side by side, with each mode's ratio to plain:
 *
 *   untrapped   getppid(): a number the filter never traps (the kernel's
 *               seccomp action cache allows it without running the filter)
 *   wrapped     write(2) to /dev/null through the exported wrapper; in
 *               catch-all mode libc's write under it is trapped too
 *               (nested: the handler only re-issues it)
 *   trapped     __write() to /dev/null: libc's internal alias, which no
 *               wrapper sees: plain passes it straight, catch-all traps it
 *   fputs       fputs + fflush to /dev/null: stdio's internal write
 *
 * MAXPROCS=1, stats off.  Median of 5 timed rounds per row, in CPU time
 * (user + system) of the process, so that a busy machine does not inflate it.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

extern ssize_t __write(int fd, const void *buf, size_t n);

enum { ROWS = 4, ROUNDS = 5 };
static const char *const row_names[ROWS] = { "untrapped getppid", "wrapped write",
                                             "trapped __write", "fputs+fflush" };

static double now_s(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);   /* CPU time: the machine may be shared */
	return (double)ts.tv_sec + (double)ts.tv_nsec * 1e-9;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;
	return x < y ? -1 : x > y;
}

/* ns per call of row, over about secs seconds in all. */
static double measure(int row, double secs, int fd, FILE *f)
{
	double r[ROUNDS];
	long n = 1000;
	/* Calibrate: enough calls for a round of secs / ROUNDS. */
	for (;;) {
		double t0 = now_s();
		for (long i = 0; i < n; i++) {
			switch (row) {
			case 0: (void)getppid(); break;
			case 1: if (write(fd, "x", 1) != 1) abort(); break;
			case 2: if (__write(fd, "x", 1) != 1) abort(); break;
			default: fputs("x", f); fflush(f); break;
			}
		}
		double dt = now_s() - t0;
		if (dt > secs / ROUNDS / 4 || n > (1L << 30)) {
			n = (long)((double)n * (secs / ROUNDS) / (dt > 0 ? dt : 1e-9)) + 1;
			break;
		}
		n *= 4;
	}
	for (int k = 0; k < ROUNDS; k++) {
		double t0 = now_s();
		for (long i = 0; i < n; i++) {
			switch (row) {
			case 0: (void)getppid(); break;
			case 1: if (write(fd, "x", 1) != 1) abort(); break;
			case 2: if (__write(fd, "x", 1) != 1) abort(); break;
			default: fputs("x", f); fflush(f); break;
			}
		}
		r[k] = (now_s() - t0) * 1e9 / (double)n;
	}
	qsort(r, ROUNDS, sizeof r[0], cmp_double);
	return r[ROUNDS / 2];
}

static int child(double secs)
{
	int fd = open("/dev/null", O_WRONLY);
	FILE *f = fopen("/dev/null", "w");
	if (fd < 0 || !f)
		return 1;
	for (int row = 0; row < ROWS; row++)
		printf("%.1f\n", measure(row, secs, fd, f));
	return 0;
}

/* One mode's figures, from a child run with env. */
static int run_mode(char *self, const char *lib, int catch_all, double secs, double out[ROWS])
{
	int pfd[2];
	char arg[32];
	if (pipe(pfd) != 0)
		return -1;
	snprintf(arg, sizeof arg, "%g", secs);
	pid_t pid = fork();
	if (pid == 0) {
		dup2(pfd[1], 1);
		close(pfd[0]);
		if (lib) {
			setenv("LD_PRELOAD", lib, 1);
			setenv("MAXPROCS", "1", 1);
			setenv("MAXPROCS_STATS", "0", 1);
		} else {
			unsetenv("LD_PRELOAD");
		}
		if (catch_all)
			setenv("MAXPROCS_CATCH_ALL", "1", 1);
		else
			unsetenv("MAXPROCS_CATCH_ALL");
		execl(self, self, "--child", arg, (char *)NULL);
		_exit(127);
	}
	close(pfd[1]);
	FILE *in = fdopen(pfd[0], "r");
	int got = 0;
	for (; in && got < ROWS && fscanf(in, "%lf", &out[got]) == 1; got++)
		;
	if (in)
		fclose(in);
	int st;
	waitpid(pid, &st, 0);
	return got == ROWS && WIFEXITED(st) && WEXITSTATUS(st) == 0 ? 0 : -1;
}

int main(int argc, char **argv)
{
	if (argc >= 3 && strcmp(argv[1], "--child") == 0)
		return child(atof(argv[2]));
	if (argc < 2) {
		fprintf(stderr, "usage: bench_catchall LIBRARY [SECONDS]\n");
		return 2;
	}
	double secs = argc > 2 ? atof(argv[2]) : 2.0;
	double plain[ROWS], wrap[ROWS], all[ROWS];
	if (run_mode(argv[0], NULL, 0, secs, plain) || run_mode(argv[0], argv[1], 0, secs, wrap) ||
	    run_mode(argv[0], argv[1], 1, secs, all)) {
		fprintf(stderr, "bench_catchall: a run failed\n");
		return 1;
	}
	printf("%-20s %10s %10s %10s %8s %8s\n", "ns/call", "plain", "wrappers", "catch-all",
	       "wrap/pl", "all/pl");
	for (int r = 0; r < ROWS; r++)
		printf("%-20s %10.1f %10.1f %10.1f %8.2f %8.2f\n", row_names[r], plain[r], wrap[r],
		       all[r], wrap[r] / plain[r], all[r] / plain[r]);
	return 0;
}
