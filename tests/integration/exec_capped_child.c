/* exec_capped_child: a program executed by a capped program inherits LD_PRELOAD and MAXPROCS and is capped too. */
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

#define NTHREADS 4

/* The executed child: the same checks as a parent under the library. */
static int child_main(const char *parent_procs)
{
	const char *procs_env = getenv("MAXPROCS");

	if (strcmp(parent_procs, "-") != 0) {
		it_check(it_library_loaded(), "child: library not loaded "
		         "(LD_PRELOAD=%s)", getenv("LD_PRELOAD"));
		it_check(procs_env && strcmp(procs_env, parent_procs) == 0,
		         "child: MAXPROCS=%s, parent had %s", procs_env,
		         parent_procs);
	} else {
		it_check(!it_library_loaded(), "child: library loaded in a "
		         "plain run");
	}
	return it_child_burn_within_cap(NTHREADS, it_procs());
}

int main(int argc, char **argv)
{
	const char *procs_env = getenv("MAXPROCS");
	char self[4096];
	ssize_t n;
	int status;
	pid_t pid;

	if (argc == 3 && strcmp(argv[1], "child") == 0)
		return child_main(argv[2]);
	it_check_mode();
	n = it_sys(readlink("/proc/self/exe", self, sizeof self - 1));
	self[n] = '\0';
	fflush(NULL);
	pid = (pid_t)it_sys(fork());
	if (pid == 0) {
		const char *arg = it_library_loaded() && procs_env ? procs_env : "-";
		execl(self, self, "child", arg, (char *)NULL);
		fprintf(stderr, "exec %s: %s\n", self, strerror(errno));
		_exit(127);
	}
	it_check(it_sys(waitpid(pid, &status, 0)) == pid, "waitpid");
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	         "child status %#x", status);
	puts("executed child exited 0");
	return IT_PASS;
}
