/* profile_endings: the ways a profiled program ends, each leaving a
 * complete profile (profile_endings.sh checks the files and the status).
 * Each variant makes 20 short sleeps in a second thread (so that the
 * monitor runs) and in main, prints what it sees of its dispositions, then
 * says "ready" and ends as its name says:
 *   wait      waits to be killed (the script sends TERM, INT, HUP, QUIT or KILL)
 *   handler   its own SIGTERM handler: exits 5 when the script sends SIGTERM
 *   ignored   SIGHUP was ignored by its parent (nohup): a HUP during a
 *             300 ms nanosleep neither kills it nor interrupts the sleep
 *   exit      a thread calls exit(4) while main blocks in read
 *   _exit     a thread calls _exit(6) while main blocks in read
 * stdout must be the same with and without the library. */
#include <signal.h>
#include <unistd.h>
#include "itest.h"

static volatile sig_atomic_t got_term;
static int never[2];

static void on_term(int sig)
{
	(void)sig;
	got_term = 1;
}

static void naps(int n)
{
	for (int i = 0; i < n; i++) {
		struct timespec ts = { 0, 1000000 };
		nanosleep(&ts, NULL);
	}
}

static void *napper(void *arg)
{
	naps(20);
	return arg;
}

static void *ender(void *arg)
{
	const char *how = arg;
	naps(5);
	if (!strcmp(how, "exit"))
		exit(4);
	_exit(6);
}

static const char *disposition(int sig)
{
	struct sigaction sa;
	it_sys(sigaction(sig, NULL, &sa));
	return sa.sa_handler == SIG_DFL ? "default" : sa.sa_handler == SIG_IGN ? "ignored" : "handled";
}

static void ready(void)
{
	printf("ready\n");
	fflush(stdout);
}

int main(int argc, char **argv)
{
	const char *how = argc > 1 ? argv[1] : "wait";
	pthread_t t;
	it_pt(pthread_create(&t, NULL, napper, NULL));
	naps(20);
	it_pt(pthread_join(t, NULL));
	it_pt(pthread_create(&t, NULL, napper, NULL));   /* a thread alive: the monitor stays */
	printf("TERM %s INT %s HUP %s QUIT %s\n", disposition(SIGTERM), disposition(SIGINT),
	       disposition(SIGHUP), disposition(SIGQUIT));
	/* What signal() says it replaced, and back: the program's view only. */
	void (*prev)(int) = signal(SIGTERM, SIG_IGN);
	printf("signal(SIGTERM) replaced %s\n", prev == SIG_DFL ? "SIG_DFL" : "something else");
	signal(SIGTERM, SIG_DFL);
	it_sys(pipe(never));
	if (!strcmp(how, "wait")) {
		ready();
		for (;;)
			pause();
	}
	if (!strcmp(how, "handler")) {
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_handler = on_term;
		sigemptyset(&sa.sa_mask);
		it_sys(sigaction(SIGTERM, &sa, NULL));
		printf("TERM %s\n", disposition(SIGTERM));
		ready();
		while (!got_term)
			pause();
		printf("handled SIGTERM\n");
		return 5;
	}
	if (!strcmp(how, "ignored")) {
		ready();
		struct timespec ts = { 0, 300000000 }, left;
		int r = nanosleep(&ts, &left);
		printf("nanosleep through SIGHUP: %s\n", r == 0 ? "slept" : strerror(errno));
		return 0;
	}
	if (!strcmp(how, "exit") || !strcmp(how, "_exit")) {
		pthread_t e;
		it_pt(pthread_create(&e, NULL, ender, (void *)how));
		char c;
		(void)!read(never[0], &c, 1);
		it_fail("read returned");
	}
	it_fail("unknown variant '%s'", how);
}
