/* launcher_forwards_signal: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the PID the launcher was started as reach the program: the launcher execs the program in place, so that PID is the program and nothing needs forwarding. */
#include "launcher_exec.h"

static const int signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NSIGNALS (int)(sizeof signals / sizeof signals[0])

static void on_signal(int sig)
{
	char msg[32];
	int n = snprintf(msg, sizeof msg, "got SIG%s\n", sigabbrev_np(sig));

	if (write(1, msg, (size_t)n) < 0)
		_exit(6);
	_exit(5);
}

/* Under the launcher: say ready with our PID, then wait for the signal. */
static int program_main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	char ready[32];
	int i, n;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++)
		it_sys(sigaction(signals[i], &sa, NULL));
	n = snprintf(ready, sizeof ready, "ready %d\n", (int)getpid());
	it_sys(write(1, ready, (size_t)n));
	for (;;)
		pause();
}

static void check_forwarded(const char *launcher, const char *self, int sig)
{
	char *argv[] = { (char *)launcher, "-p", lx_procs(), "--", (char *)self,
	                 "program", NULL };
	char want[32];
	struct lx_child c;
	int status, program_pid = -1;

	lx_start(&c, argv, false, NULL);
	c.name = "maxprocs -p 1 -- launcher_forwards_signal program";
	lx_read_until(&c, c.out, "\n");
	it_check(sscanf(c.buf, "ready %d", &program_pid) == 1,
	         "the program under the launcher did not start: '%s'", c.buf);
	it_check(program_pid == c.pid, "the program is pid %d, the launcher "
	         "was started as pid %d: not exec'd in place", program_pid,
	         (int)c.pid);
	it_sys(kill(c.pid, sig));
	snprintf(want, sizeof want, "got SIG%s", sigabbrev_np(sig));
	lx_read_until(&c, c.out, want);
	status = lx_wait(&c);
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 5,
	         "SIG%s: the parent saw %s, expected exit 5",
	         sigabbrev_np(sig), lx_describe(status));
	printf("SIG%s reached the program\n", sigabbrev_np(sig));
}

int main(int argc, char **argv)
{
	const char *launcher = getenv("MAXPROCS_LAUNCHER");
	char self[4096];
	int i;

	if (argc == 2 && strcmp(argv[1], "program") == 0)
		return program_main();
	it_check(launcher && *launcher, "MAXPROCS_LAUNCHER is not set");
	lx_self(self, sizeof self);
	for (i = 0; i < NSIGNALS; i++)
		check_forwarded(launcher, self, signals[i]);
	return IT_PASS;
}
