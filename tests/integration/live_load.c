/* live_load: THREADS threads run a mixed load (short computing bursts, sleeps, pipe round trips) for SECONDS (or until SIGTERM, which ends it normally), so the live tools (maxprocs ps/top/set) have a known program to look at.  Prints "ready PID" once every thread runs; exits 0 at the end.  With "fork": then forks a child that runs as many threads of its own (prints "child PID"), and waits for it. */
#include <pthread.h>
#include <stdbool.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static double seconds;
static atomic_int started;
static volatile sig_atomic_t stop;

static void on_term(int sig)
{
	(void)sig;
	stop = 1;
}

static double now(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void burn_us(double us)
{
	double end = now() + us / 1e6;
	unsigned x = 0;
	while (now() < end)
		for (int i = 0; i < 200; i++) {
			x += (unsigned)i;
			__asm__ volatile("" : "+r"(x));   /* the work is not optimized away */
		}
}

static void *worker(void *arg)
{
	long id = (long)arg;
	int fds[2];
	char c = 'x';
	if (pipe(fds) != 0)
		return NULL;
	atomic_fetch_add(&started, 1);
	double end = now() + seconds;
	for (unsigned k = 0; !stop && now() < end; k++) {
		burn_us(300);
		if ((k + (unsigned)id) % 3 == 0) {
			struct timespec ts = { 0, 1000000 };
			nanosleep(&ts, NULL);
		} else if (write(fds[1], &c, 1) != 1 || read(fds[0], &c, 1) != 1) {
			break;
		}
	}
	close(fds[0]);
	close(fds[1]);
	return NULL;
}

static pthread_t threads[256];

static int start_threads(int n, const char *tag)
{
	atomic_store(&started, 0);
	for (long i = 0; i < n; i++)
		if (pthread_create(&threads[i], NULL, worker, (void *)i) != 0)
			return 1;
	while (atomic_load(&started) < n)
		usleep(1000);
	printf("%s %d\n", tag, (int)getpid());
	fflush(stdout);
	return 0;
}

static void join_threads(int n)
{
	for (int i = 0; i < n; i++)
		pthread_join(threads[i], NULL);
}

int main(int argc, char **argv)
{
	bool forks = argc == 4 && strcmp(argv[3], "fork") == 0;
	if (argc != 3 && !forks) {
		fprintf(stderr, "usage: live_load THREADS SECONDS [fork]\n");
		return 2;
	}
	int n = atoi(argv[1]);
	seconds = atof(argv[2]);
	if (n < 1 || n > 256 || seconds <= 0)
		return 2;
	signal(SIGTERM, on_term);
	if (start_threads(n, "ready"))
		return 1;
	if (forks) {
		/* A fork while the parent's threads run (and its monitor
		 * publishes): the child must make a segment of its own. */
		usleep(400000);
		pid_t child = fork();
		if (child < 0)
			return 1;
		if (child == 0) {
			int rc = start_threads(n, "child");
			join_threads(n);
			_exit(rc);
		}
		join_threads(n);
		int status;
		if (waitpid(child, &status, 0) != child || !WIFEXITED(status) || WEXITSTATUS(status) != 0)
			return 1;
		return 0;
	}
	join_threads(n);
	return 0;
}
