/* fidelity_syscall_class: syscall() classifies by number (preload/sysno.def) and returns what the kernel says: cheap calls whose first argument happens to be the library's signal are not taken for rt_sigaction (they were, by a fall-through, before sysno.def), futex ops, yields and unknown numbers. */
#include <linux/futex.h>
#include <signal.h>
#include <stdint.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "fidelity.h"

/* The signal the library owns by default (MAXPROCS_PREEMPT_SIGNAL=auto). */
#define OWNED SIGURG

int main(void)
{
	long old[4] = { 0 };
	uint32_t word = 0;
	long r;

	it_check_mode();
	r = syscall(SYS_getpid, OWNED, 0, 0, 0);
	printf("syscall(getpid, SIGURG, 0, 0, 0) is getpid(): %s\n",
	       r == getpid() ? "yes" : "no");
	r = syscall(SYS_gettid, OWNED, 0, 0, 0);
	printf("syscall(gettid, SIGURG, 0, 0, 0) is gettid(): %s\n",
	       r == gettid() ? "yes" : "no");
	r = syscall(SYS_getuid, OWNED, 0, 0, 0);
	printf("syscall(getuid, SIGURG, 0, 0, 0) is getuid(): %s\n",
	       r == (long)getuid() ? "yes" : "no");
	FD_SYS("syscall(sched_getaffinity, SIGURG...) size 0",
	       syscall(SYS_sched_getaffinity, OWNED, 0, NULL, 8));
	FD_SYS("syscall(rt_sigaction, SIGURG, NULL, &old, 8)",
	       syscall(SYS_rt_sigaction, OWNED, NULL, old, 8));
	printf("old SIGURG handler is SIG_DFL: %s\n",
	       old[0] == (long)SIG_DFL ? "yes" : "no");
	FD_SYS("syscall(futex, WAKE)",
	       syscall(SYS_futex, &word, FUTEX_WAKE_PRIVATE, 1, NULL, NULL, 0));
	FD_SYS("syscall(futex, WAIT, wrong value)",
	       syscall(SYS_futex, &word, FUTEX_WAIT_PRIVATE, 1, NULL, NULL, 0));
	FD_SYS("syscall(sched_yield)", syscall(SYS_sched_yield));
	FD_SYS("syscall(read, -1)", syscall(SYS_read, -1, NULL, 0));
	FD_SYS("syscall(-1)", syscall(-1));
	FD_SYS("syscall(100000)", syscall(100000));
	return IT_PASS;
}
