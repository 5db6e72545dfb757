/* fidelity_children: waiting for children (none: ECHILD), system, popen/pclose, vfork and posix_spawn report the same statuses with and without the library. */
#include <netdb.h>
#include <spawn.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fidelity.h"

extern char **environ;

static void no_children(void)
{
	siginfo_t si;
	int status;

	FD_SYS("wait(no children)", wait(&status));
	FD_SYS("waitpid(-1, no children)", waitpid(-1, &status, 0));
	FD_SYS("waitpid(-1, WNOHANG, no children)",
	       waitpid(-1, &status, WNOHANG));
	FD_SYS("waitid(P_ALL, no children)", waitid(P_ALL, 0, &si, WEXITED));
	FD_SYS("wait4(-1, no children)", wait4(-1, &status, 0, NULL));
}

static void print_status(const char *what, int status)
{
	if (WIFEXITED(status))
		printf("%-44s exited %d\n", what, WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		printf("%-44s killed by %s\n", what,
		       sigabbrev_np(WTERMSIG(status)));
	else
		printf("%-44s status %#x\n", what, status);
}

static void run_children(void)
{
	char *const true_argv[] = { "true", NULL };
	char line[64] = "";
	FILE *p;
	pid_t pid;
	int status;

	fflush(NULL);
	print_status("system(exit 3)", system("exit 3"));
	print_status("system(kill -TERM $$)", system("kill -TERM $$"));
	printf("%-44s %d\n", "system(NULL)", system(NULL) != 0);

	p = popen("echo hello", "r");
	it_check(p != NULL, "popen: %s", strerror(errno));
	if (!fgets(line, sizeof line, p))
		line[0] = '\0';
	line[strcspn(line, "\n")] = '\0';
	printf("%-44s read '%s'\n", "popen(echo hello)", line);
	print_status("pclose(echo hello)", pclose(p));
	p = popen("exit 4", "r");
	it_check(p != NULL, "popen: %s", strerror(errno));
	print_status("pclose(exit 4)", pclose(p));

	pid = vfork();
	if (pid == 0)
		_exit(9);
	it_check(pid > 0, "vfork: %s", strerror(errno));
	it_check(it_sys(waitpid(pid, &status, 0)) == pid, "waitpid");
	print_status("vfork child _exit(9)", status);

	FD_ERR("posix_spawnp(true)",
	       posix_spawnp(&pid, "true", NULL, NULL, true_argv, environ));
	it_check(it_sys(waitpid(pid, &status, 0)) == pid, "waitpid");
	print_status("posix_spawnp(true) child", status);

	pid = (pid_t)it_sys(fork());
	if (pid == 0) {
		raise(SIGKILL);
		_exit(1);
	}
	it_check(it_sys(waitpid(pid, &status, 0)) == pid, "waitpid");
	print_status("fork child raise(SIGKILL)", status);
	FD_SYS("waitpid(reaped child)", waitpid(pid, &status, 0));
}

static void name_lookup(void)
{
	struct addrinfo hints = { .ai_flags = AI_NUMERICHOST,
	                          .ai_socktype = SOCK_STREAM };
	struct addrinfo *res = NULL;
	int err;

	err = getaddrinfo("127.0.0.1", "80", &hints, &res);
	printf("%-44s %s\n", "getaddrinfo(127.0.0.1, numeric)",
	       err ? gai_strerror(err) : "0");
	if (res)
		freeaddrinfo(res);
	err = getaddrinfo("not an address", NULL, &hints, &res);
	printf("%-44s %s\n", "getaddrinfo(not an address, numeric)",
	       err ? gai_strerror(err) : "0");
}

int main(void)
{
	it_check_mode();
	no_children();
	run_children();
	name_lookup();
	return IT_PASS;
}
