/*
 * sig_disposition: the program's view of SIGURG (the library's preemption
 * signal) is exactly its own, while preemption signals fly: sigaction
 * queries, handlers with their mask and flags, SA_RESETHAND, SIG_IGN,
 * signal()/sysv_signal()/sigset(), syscall(SYS_rt_sigaction) including
 * EFAULT and EINVAL, and a handler installed by raw syscall never sees a
 * preemption signal.  Only the signals the program sends reach it.
 *
 * MP_IT_SIG=N tests signal N instead (sig_disposition_rt: SIGRTMAX, with
 * MAXPROCS_PREEMPT_SIGNAL=64 making it the library's); its default action
 * terminates, so the last check's kill is left out.
 */
#include <signal.h>
#include <stdint.h>
/* sigset and siginterrupt are obsolete, and still what old programs call. */
#pragma GCC diagnostic ignored "-Wdeprecated-declarations"
#include <sys/syscall.h>
#include <unistd.h>
#include "itest.h"

struct ksigaction {
	void *handler;
	unsigned long flags;
	void *restorer;
	uint64_t mask;
};

static volatile sig_atomic_t calls, bad_mask, siginfo_ok;
static int the_sig = SIGURG;   /* MP_IT_SIG */

static void on_urg_info(int sig, siginfo_t *si, void *uc)
{
	sigset_t now;
	(void)uc;
	calls++;
	pthread_sigmask(SIG_SETMASK, NULL, &now);
	if (sig != the_sig || !sigismember(&now, the_sig) || !sigismember(&now, SIGUSR2))
		bad_mask++;
	if (si->si_code == SI_TKILL && si->si_pid == getpid())
		siginfo_ok++;
}

static void on_urg(int sig)
{
	(void)sig;
	calls++;
}

static void send_urg(int n)
{
	for (int i = 0; i < n; i++) {
		pthread_kill(pthread_self(), the_sig);
		it_burn_cpu(0.002);   /* let preemption signals land in between */
	}
}

/* The same, to a handler that counts: each signal must reach it.  One sent
 * while a preemption signal of the library's is pending on this thread
 * merges with it, as two pending standard signals do (docs/design.md,
 * "What remains different": a window of microseconds, once in a few
 * thousand sends here): such a send is made again, so that the count
 * compares the dispositions, and the merges are reported on stderr. */
static int merged;

static void send_urg_counted(int n)
{
	for (int i = 0; i < n; i++) {
		int before = calls;
		for (int tries = 0; calls == before && tries < 3; tries++) {
			if (tries)
				merged++;
			pthread_kill(pthread_self(), the_sig);
			it_burn_cpu(0.002);
		}
	}
}

static const char *disp_name(void *h)
{
	if (h == (void *)SIG_DFL)
		return "SIG_DFL";
	if (h == (void *)SIG_IGN)
		return "SIG_IGN";
	if (h == (void *)on_urg_info)
		return "on_urg_info";
	if (h == (void *)on_urg)
		return "on_urg";
	return "other";
}

static void show(const char *what)
{
	struct sigaction old;
	struct ksigaction k;

	it_sys(sigaction(the_sig, NULL, &old));
	it_sys(syscall(SYS_rt_sigaction, the_sig, NULL, &k, 8));
	printf("%s: %s flags=%#x siginfo=%d restart=%d resethand=%d usr2-masked=%d"
	       " raw=%s rawflags=%#lx\n", what, disp_name((void *)old.sa_handler),
	       (unsigned)old.sa_flags, !!(old.sa_flags & SA_SIGINFO),
	       !!(old.sa_flags & SA_RESTART), !!(old.sa_flags & SA_RESETHAND),
	       sigismember(&old.sa_mask, SIGUSR2), disp_name(k.handler), k.flags);
}

int main(void)
{
	pthread_t t[2];
	struct sigaction sa;
	struct ksigaction k, kold;

	it_check_mode();
	if (getenv("MP_IT_SIG"))
		the_sig = atoi(getenv("MP_IT_SIG"));
	it_check(the_sig > 0 && the_sig < NSIG, "MP_IT_SIG=%s", getenv("MP_IT_SIG"));
	for (int i = 0; i < 2; i++)
		it_create(&t[i], it_spinner, NULL);

	show("inherited");

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = on_urg_info;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	sigaddset(&sa.sa_mask, SIGUSR2);
	it_sys(sigaction(the_sig, &sa, NULL));
	show("handler");
	it_burn_cpu(0.1);   /* preemption signals land; none may reach on_urg_info */
	send_urg_counted(20);
	printf("handler calls=%d bad_mask=%d siginfo_ok=%d\n", (int)calls,
	       (int)bad_mask, (int)siginfo_ok);

	sa.sa_flags |= SA_RESETHAND;
	it_sys(sigaction(the_sig, &sa, NULL));
	calls = 0;
	send_urg_counted(1);
	show("after one-shot");
	printf("one-shot calls=%d\n", (int)calls);

	it_check(signal(the_sig, SIG_IGN) == SIG_DFL, "signal() returned the wrong old value");
	send_urg(5);
	show("ignored");
	it_check(signal(the_sig, on_urg) == SIG_IGN, "signal() returned the wrong old value");
	calls = 0;
	send_urg_counted(5);
	show("signal()");
	printf("signal() calls=%d\n", (int)calls);
	it_check(sysv_signal(the_sig, on_urg) == on_urg, "sysv_signal old value");
	show("sysv_signal()");
	it_check(sigset(the_sig, SIG_DFL) == on_urg, "sigset old value");
	show("sigset(SIG_DFL)");
	it_check(siginterrupt(the_sig, 1) == 0, "siginterrupt");
	show("siginterrupt(1)");

	/* The raw system call, as a runtime without libc's sigaction uses it. */
	it_sys(syscall(SYS_rt_sigaction, the_sig, NULL, &kold, 8));
	it_sys(sigaction(the_sig, &sa, NULL));       /* to learn libc's restorer */
	it_sys(syscall(SYS_rt_sigaction, the_sig, NULL, &k, 8));
	k.handler = (void *)on_urg;
	k.flags = SA_RESTART | 0x04000000 /* SA_RESTORER */;
	k.mask = 0;
	it_sys(syscall(SYS_rt_sigaction, the_sig, &k, &kold, 8));
	printf("raw old=%s\n", disp_name(kold.handler));
	show("raw");
	calls = 0;
	it_burn_cpu(0.1);
	printf("raw handler calls after 0.1 s of preemption=%d\n", (int)calls);
	send_urg_counted(3);
	printf("raw handler calls=%d\n", (int)calls);
	errno = 0;
	long r = syscall(SYS_rt_sigaction, the_sig, (void *)8, NULL, 8);
	printf("bad act: %ld %s\n", r, strerror(errno));
	errno = 0;
	r = syscall(SYS_rt_sigaction, the_sig, NULL, (void *)8, 8);
	printf("bad oldact: %ld %s\n", r, strerror(errno));
	errno = 0;
	r = syscall(SYS_rt_sigaction, the_sig, NULL, &kold, 4);
	printf("bad size: %ld %s\n", r, strerror(errno));

	/* Back to the default, which ignores: the process survives. */
	it_check(signal(the_sig, SIG_DFL) != SIG_ERR, "signal(SIG_DFL)");
	if (the_sig == SIGURG)
		kill(getpid(), SIGURG);
	it_burn_cpu(0.01);
	show("default again");

	it_spinners_stop = 1;
	for (int i = 0; i < 2; i++)
		it_join(t[i]);
	if (merged)
		fprintf(stderr, "sig_disposition: %d SIGURG merged with a pending preemption signal, sent again\n", merged);
	/* The merge needs a preemption signal pending in a window of
	 * microseconds: a few in 34 sends is bad luck, more is a library that
	 * swallows the program's signals. */
	it_check(merged <= 3, "%d of the program's SIGURGs were lost (merged with ours)", merged);
	return IT_PASS;
}
