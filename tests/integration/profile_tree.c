/* profile_tree: a process tree for `maxprocs profile` (profile_tree.sh,
 * profile_pprof.sh).  The parent forks a child that only forks (it stalls
 * in a static function, then exits) and one that execs /bin/sh -c 'sleep
 * 0.05'; meanwhile a thread of its own named "tree-sleeper" stalls in the
 * same static function.  Built with -g and without -rdynamic: the static
 * function is in no dynamic symbol table, so only the launcher's libdw
 * can name it, and give its file:line.  Prints "pids PARENT FORKED EXECED". */
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

/* Called, not inlined, and (gcc's noipa) not cloned as .constprop or
 * .isra under another name. */
#ifdef __clang__
#define NOT_INLINED __attribute__((noinline))
#else
#define NOT_INLINED __attribute__((noipa))
#endif

static NOT_INLINED void tree_static_sleep(int times, int ms)
{
	for (int i = 0; i < times; i++) {
		struct timespec ts = { 0, ms * 1000000L };
		nanosleep(&ts, NULL); /* TREE_STALL_LINE: profile_tree.sh looks for this line */
	}
}

static void *sleeper(void *arg)
{
	/* before its first intercepted call: the library reads the name then */
	pthread_setname_np(pthread_self(), "tree-sleeper");
	tree_static_sleep(5, 10);
	return arg;
}

int main(void)
{
	pthread_t t;
	fflush(NULL);
	pid_t forked = (pid_t)it_sys(fork());
	if (forked == 0) {
		tree_static_sleep(3, 10);
		exit(0);
	}
	pid_t execed = (pid_t)it_sys(fork());
	if (execed == 0) {
		execl("/bin/sh", "sh", "-c", "sleep 0.05", (char *)NULL);
		_exit(127);
	}
	it_create(&t, sleeper, NULL);
	it_join(t);
	const pid_t kids[2] = { forked, execed };
	for (int i = 0; i < 2; i++) {
		int status;
		it_sys(waitpid(kids[i], &status, 0));
		it_check(WIFEXITED(status) && WEXITSTATUS(status) == 0, "child %d: status %#x",
		         (int)kids[i], status);
	}
	printf("pids %d %d %d\n", (int)getpid(), (int)forked, (int)execed);
	return IT_PASS;
}
