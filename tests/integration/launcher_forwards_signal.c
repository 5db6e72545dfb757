/* launcher_forwards_signal: SIGINT, SIGTERM, SIGHUP and SIGQUIT sent to the launcher reach the program it runs. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

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

/* Under the launcher: say ready, then wait for the forwarded signal. */
static int program_main(void)
{
	struct sigaction sa = { .sa_handler = on_signal };
	int i;

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NSIGNALS; i++)
		it_sys(sigaction(signals[i], &sa, NULL));
	it_sys(write(1, "ready\n", 6));
	for (;;)
		pause();
}

static void check_forwarded(const char *launcher, const char *self, int sig)
{
	char out[256], want[32];
	size_t len = 0;
	ssize_t n;
	int fds[2], status;
	pid_t pid;

	it_sys(pipe(fds));
	fflush(NULL);
	pid = (pid_t)it_sys(fork());
	if (pid == 0) {
		dup2(fds[1], 1);
		close(fds[0]);
		close(fds[1]);
		execl(launcher, launcher, "-p", "1", "--", self, "program",
		      (char *)NULL);
		_exit(127);
	}
	close(fds[1]);
	while (len < 6 && (n = read(fds[0], out + len, 6 - len)) > 0)
		len += (size_t)n;
	it_check(len == 6 && memcmp(out, "ready\n", 6) == 0,
	         "the program under the launcher did not start");
	it_sys(kill(pid, sig));
	while (len < sizeof out - 1 &&
	       (n = read(fds[0], out + len, sizeof out - 1 - len)) > 0)
		len += (size_t)n;
	out[len] = '\0';
	close(fds[0]);
	it_check(it_sys(waitpid(pid, &status, 0)) == pid, "waitpid");
	snprintf(want, sizeof want, "got SIG%s", sigabbrev_np(sig));
	it_check(strstr(out, want) != NULL, "SIG%s: program printed '%s'",
	         sigabbrev_np(sig), out);
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 5,
	         "SIG%s: launcher status %#x, expected exit 5",
	         sigabbrev_np(sig), status);
	printf("SIG%s forwarded\n", sigabbrev_np(sig));
}

int main(int argc, char **argv)
{
	const char *launcher = getenv("MAXPROCS_LAUNCHER");
	char self[4096];
	ssize_t n;
	int i;

	if (argc == 2 && strcmp(argv[1], "program") == 0)
		return program_main();
	it_check(launcher && *launcher, "MAXPROCS_LAUNCHER is not set");
	n = it_sys(readlink("/proc/self/exe", self, sizeof self - 1));
	self[n] = '\0';
	for (i = 0; i < NSIGNALS; i++)
		check_forwarded(launcher, self, signals[i]);
	return IT_PASS;
}
