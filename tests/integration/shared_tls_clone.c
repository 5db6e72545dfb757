/* shared_tls_clone: a raw clone(CLONE_VM|CLONE_THREAD|...) task without CLONE_SETTLS shares the main thread's TLS, so its wrapped calls run on main's M; both make wrapped calls at once and the program must finish without the library aborting (unsupported, but fail open). */
#include <linux/futex.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "itest.h"

#define CALLS 2000

static int to_main[2], sink[2];
static char child_stack[256 * 1024] __attribute__((aligned(64)));
static volatile pid_t child_tid;

/* Runs with main's TLS: raw system calls and wrapped write(2) only. */
static int child_fn(void *arg)
{
	(void)arg;
	for (int i = 0; i < CALLS; i++) {
		syscall(SYS_getppid);                    /* pass-through class */
		if (write(to_main[1], "c", 1) != 1)       /* wrapped */
			return 1;
		if (write(sink[1], "s", 1) != 1)
			return 1;
	}
	return 0;
}

static void *drain(void *arg)
{
	char buf[256];

	(void)arg;
	while (read(sink[0], buf, sizeof buf) > 0)
		;
	return NULL;
}

int main(void)
{
	int flags = CLONE_VM | CLONE_THREAD | CLONE_SIGHAND | CLONE_FS | CLONE_FILES |
	            CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
	char c;
	pthread_t t;
	int got = 0;

	it_check_mode();
	it_sys(pipe(to_main));
	it_sys(pipe(sink));
	it_create(&t, drain, NULL);
	it_sys(clone(child_fn, child_stack + sizeof child_stack, flags, NULL,
	             &child_tid, NULL, &child_tid));
	/* Main makes wrapped calls too, while the task runs on its M. */
	for (int i = 0; i < CALLS; i++) {
		if (write(sink[1], "m", 1) != 1)
			it_fail("write: %s", strerror(errno));
		if (got < CALLS && read(to_main[0], &c, 1) == 1)
			got++;
	}
	while (got < CALLS) {
		if (read(to_main[0], &c, 1) != 1)
			it_fail("read: %s", strerror(errno));
		got++;
	}
	/* The kernel clears child_tid and wakes it when the task exits. */
	for (pid_t tid; (tid = child_tid) != 0;)
		syscall(SYS_futex, &child_tid, FUTEX_WAIT, tid, NULL, NULL, 0);
	close(sink[1]);
	it_join(t);
	printf("%d wrapped calls from a task sharing main's TLS\n", CALLS);
	return IT_PASS;
}
