/* release_system: a thread waiting in system() lets the thread that feeds the command run. */
#include <fcntl.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

static int fds[2];

static void *feeder(void *arg)
{
	(void)arg;
	it_sys(write(fds[1], "x", 1));
	return NULL;
}

int main(void)
{
	char cmd[64];
	pthread_t t;
	int status;

	it_check_mode();
	it_sys(pipe(fds));
	/* The command blocks until the feeder writes; under MAXPROCS=1 the
	 * feeder runs only if system() gave main's P away. */
	snprintf(cmd, sizeof cmd, "head -c 1 <&%d >/dev/null; exit 3", fds[0]);
	it_create(&t, feeder, NULL);
	status = system(cmd);
	it_check(status != -1, "system: %s", strerror(errno));
	it_join(t);
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 3,
	         "system status %#x, expected exit 3", status);
	puts("system() returned exit status 3");
	return IT_PASS;
}
