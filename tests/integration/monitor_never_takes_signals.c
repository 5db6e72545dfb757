/*
 * monitor_never_takes_signals: the library's monitor thread blocks every
 * signal, so a process-directed signal that all of the program's threads
 * block stays pending (as without the library) and, once unblocked, runs
 * the program's handler on a thread of the program, never on ours.
 */
#include <signal.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "itest.h"

static volatile pid_t handler_tid;

static void on_usr1(int sig)
{
	(void)sig;
	handler_tid = (pid_t)syscall(SYS_gettid);
}

int main(void)
{
	pthread_t t[2];
	sigset_t usr1, pending;
	struct sigaction sa;

	it_check_mode();
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_usr1;
	it_sys(sigaction(SIGUSR1, &sa, NULL));
	sigemptyset(&usr1);
	sigaddset(&usr1, SIGUSR1);
	it_pt(pthread_sigmask(SIG_BLOCK, &usr1, NULL));   /* inherited by every thread */
	for (int i = 0; i < 2; i++)
		it_create(&t[i], it_spinner, NULL);   /* the monitor starts here */
	for (int i = 0; i < 5; i++) {
		kill(getpid(), SIGUSR1);
		it_sleep_ms(20);
	}
	sigpending(&pending);
	printf("SIGUSR1 still pending: %d, handler ran early: %d\n",
	       sigismember(&pending, SIGUSR1), handler_tid != 0);
	it_pt(pthread_sigmask(SIG_UNBLOCK, &usr1, NULL));
	printf("handler ran on the main thread: %d\n", handler_tid == getpid());
	it_spinners_stop = 1;
	for (int i = 0; i < 2; i++)
		it_join(t[i]);
	return IT_PASS;
}
