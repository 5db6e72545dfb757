/* own_rt_signal_handlers: a program with its own handler on every real-time signal, some threads blocking them, gets each signal exactly once and none of the library's. */
#include <signal.h>
#include <stdatomic.h>
#include "itest.h"

#define NBURNERS 4
#define MAXSIG 65

static atomic_int handled[MAXSIG];

static void on_rt(int sig)
{
	atomic_fetch_add(&handled[sig], 1);
}

/* Half the burners block every RT signal, half leave them open; each
 * wants its P for 200 ms of CPU while the others wait. */
static void *burner(void *arg)
{
	sigset_t rt;
	int sig;

	if ((long)arg % 2 == 0) {
		sigemptyset(&rt);
		for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++)
			sigaddset(&rt, sig);
		it_pt(pthread_sigmask(SIG_BLOCK, &rt, NULL));
	}
	it_burn_cpu(0.2);
	return NULL;
}

int main(void)
{
	struct sigaction sa = { .sa_handler = on_rt, .sa_flags = SA_RESTART };
	pthread_t t[NBURNERS];
	int sig, nsig = 0, wrong = 0;
	long i;

	it_check_mode();
	it_check(SIGRTMAX < MAXSIG, "SIGRTMAX %d", SIGRTMAX);
	sigemptyset(&sa.sa_mask);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		it_sys(sigaction(sig, &sa, NULL));
		nsig++;
	}
	for (i = 0; i < NBURNERS; i++)
		it_create(&t[i], burner, (void *)i);
	/* A signal a thread sends itself is delivered before pthread_kill
	 * returns, so each count is exact. */
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		it_pt(pthread_kill(pthread_self(), sig));
		it_sleep_ms(5);
	}
	for (i = 0; i < NBURNERS; i++)
		it_join(t[i]);
	for (sig = SIGRTMIN; sig <= SIGRTMAX; sig++) {
		int n = atomic_load(&handled[sig]);
		if (n != 1) {
			fprintf(stderr, "signal %d (SIGRTMIN+%d) handled %d times\n",
			        sig, sig - SIGRTMIN, n);
			wrong++;
		}
	}
	it_check(wrong == 0, "%d real-time signals not handled exactly once",
	         wrong);
	printf("%d real-time signals each handled once\n", nsig);
	return IT_PASS;
}
