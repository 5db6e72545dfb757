/*
 * write_loop.c - syscall-bound workloads, nothing else: what
 * bench/count-instructions runs under callgrind and bench_profile runs
 * plainly, preloaded, profiling and under strace.
 *
 * usage: write_loop N                  N one-byte writes to /dev/null
 *        write_loop --threads T N      T threads, N writes each
 *        write_loop --pingpong N       two threads pass a byte N times each
 *                                      way through two pipes
 */
#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static long n;
static int devnull;
static int ping[2], pong[2];

static void *writer(void *arg)
{
	for (long i = 0; i < n; i++)
		if (write(devnull, "x", 1) != 1)
			exit(1);
	return arg;
}

static void *ponger(void *arg)
{
	char c;
	for (long i = 0; i < n; i++)
		if (read(ping[0], &c, 1) != 1 || write(pong[1], &c, 1) != 1)
			exit(1);
	return arg;
}

int main(int argc, char **argv)
{
	int threads = 1;
	int pingpong = 0;
	int a = 1;
	if (a + 1 < argc && !strcmp(argv[a], "--threads")) {
		threads = atoi(argv[a + 1]);
		a += 2;
	} else if (a < argc && !strcmp(argv[a], "--pingpong")) {
		pingpong = 1;
		a++;
	}
	n = a < argc ? strtol(argv[a], NULL, 10) : 0;
	devnull = open("/dev/null", O_WRONLY);
	if (n <= 0 || threads < 1 || threads > 256 || devnull < 0) {
		fprintf(stderr, "usage: write_loop [--threads T | --pingpong] N (N > 0)\n");
		return 2;
	}
	if (pingpong) {
		pthread_t t;
		char c = 'x';
		if (pipe(ping) || pipe(pong) || pthread_create(&t, NULL, ponger, NULL))
			return 1;
		for (long i = 0; i < n; i++)
			if (write(ping[1], &c, 1) != 1 || read(pong[0], &c, 1) != 1)
				return 1;
		pthread_join(t, NULL);
		return 0;
	}
	if (threads == 1) {
		writer(NULL);
		return 0;
	}
	pthread_t t[256];
	for (int i = 0; i < threads; i++)
		if (pthread_create(&t[i], NULL, writer, NULL))
			return 1;
	for (int i = 0; i < threads; i++)
		pthread_join(t[i], NULL);
	return 0;
}
