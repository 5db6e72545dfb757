/*
 * vfork_child_signals: a vfork child resets every handled signal to
 * SIG_DFL and closes descriptors before exec, as CPython's subprocess
 * does.  It shares our memory but not our signal table: nothing it does
 * may change the parent's library (which would then preempt the parent
 * with a signal it has no handler for, killing it).
 */
#include <fcntl.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

static void spawn_true(void)
{
	int st;
	pid_t pid = vfork();
	if (pid == 0) {
		struct sigaction dfl, cur;
		memset(&dfl, 0, sizeof dfl);
		dfl.sa_handler = SIG_DFL;
		for (int sig = 1; sig < NSIG; sig++) {
			if (sig == SIGKILL || sig == SIGSTOP || sigaction(sig, NULL, &cur) != 0)
				continue;
			if (cur.sa_handler != SIG_DFL && cur.sa_handler != SIG_IGN)
				sigaction(sig, &dfl, NULL);
		}
		sigaction(SIGURG, &dfl, NULL);
		sigaction(SIGRTMAX, &dfl, NULL);
		close(open("/dev/null", O_RDONLY));
		char *argv[] = { "true", NULL };
		execv("/bin/true", argv);
		_exit(127);
	}
	it_check(pid > 0, "vfork: %s", strerror(errno));
	it_check(waitpid(pid, &st, 0) == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	         "child status %#x", st);
}

int main(void)
{
	pthread_t t[3];

	it_check_mode();
	for (int i = 0; i < 20; i++)
		spawn_true();
	for (int i = 0; i < 3; i++)
		it_create(&t[i], it_spinner, NULL);
	for (int i = 0; i < 20; i++) {
		spawn_true();
		it_burn_cpu(0.01);
	}
	it_burn_cpu(0.2);   /* preempted at the cap all along */
	it_spinners_stop = 1;
	for (int i = 0; i < 3; i++)
		it_join(t[i]);
	puts("40 vfork children ran; the parent was never killed");
	return IT_PASS;
}
