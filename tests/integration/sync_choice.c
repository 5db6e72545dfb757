/* sync_choice: the library picks the membarrier protocol where the kernel has it, CAS when asked (MAXPROCS_SYNC=cas) or when a seccomp filter refuses membarrier (ENOSYS, EPERM), says which in its MAXPROCS_DEBUG line, and the program's threads run the same either way. */
#include <linux/filter.h>
#include <linux/membarrier.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

/* Refuse membarrier(2) with err, allow everything else (raw BPF). */
static int refuse_membarrier(int err)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_membarrier, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | (unsigned)err),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

/* The workload: threads that pass a token through pipes and compute in
 * between, so Ps are retaken from blocked readers and handed on. */
#define THREADS 4
#define ROUNDS 200
static int pipes[THREADS][2];

static void *relay(void *arg)
{
	long i = (long)arg;
	char c;
	for (int r = 0; r < ROUNDS; r++) {
		/* The results themselves: a retaken P's slow exit must leave
		 * the real call's return value alone. */
		long got = it_sys(read(pipes[i][0], &c, 1));
		it_check(got == 1, "read returned %ld", got);
		it_spin(20000);
		long put = it_sys(write(pipes[(i + 1) % THREADS][1], &c, 1));
		it_check(put == 1, "write returned %ld", put);
	}
	return NULL;
}

static int run(void)
{
	pthread_t t[THREADS];
	for (int i = 0; i < THREADS; i++)
		it_sys(pipe(pipes[i]));
	for (long i = 0; i < THREADS; i++)
		it_create(&t[i], relay, (void *)i);
	it_sys(write(pipes[0][1], "t", 1));
	for (int i = 0; i < THREADS; i++)
		it_join(t[i]);
	printf("%d threads passed the token %d times\n", THREADS, THREADS * ROUNDS);
	return IT_PASS;
}

/* The debug line must name this protocol (library runs only). */
static const char *expected(const char *variant)
{
	if (!strcmp(variant, "enosys"))
		return "sync=cas (membarrier: error 38)";
	if (!strcmp(variant, "eperm"))
		return "sync=cas (membarrier: error 1)";
	if (!strcmp(variant, "cas"))
		return "sync=cas";
	long q = syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	long need = MEMBARRIER_CMD_PRIVATE_EXPEDITED | MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
	if (q < 0 || (q & need) != need) {
		fprintf(stderr, "this kernel has no private expedited membarrier: expecting cas\n");
		return "sync=cas";
	}
	return "sync=membarrier";
}

int main(int argc, char **argv)
{
	it_check_mode();
	it_check(argc >= 2, "usage: sync_choice default|cas|enosys|eperm [run]");
	if (argc > 2)
		return run();
	const char *variant = argv[1];
	/* The variant says which protocol, whatever the suite was run with. */
	unsetenv("MAXPROCS_SYNC");
	if (!strcmp(variant, "cas"))
		setenv("MAXPROCS_SYNC", "cas", 1);
	else if ((!strcmp(variant, "enosys") && refuse_membarrier(ENOSYS) != 0) ||
	         (!strcmp(variant, "eperm") && refuse_membarrier(EPERM) != 0))
		return IT_SKIP;
	setenv("MAXPROCS_DEBUG", "1", 1);
	int err[2];
	it_sys(pipe(err));
	fflush(NULL);
	pid_t pid = it_sys(fork());
	if (pid == 0) {
		dup2(err[1], 2);
		execl("/proc/self/exe", argv[0], variant, "run", (char *)NULL);
		_exit(127);
	}
	close(err[1]);
	char buf[8192];
	size_t len = 0;
	ssize_t n;
	while (len < sizeof buf - 1 && (n = read(err[0], buf + len, sizeof buf - 1 - len)) > 0)
		len += (size_t)n;
	buf[len] = 0;
	int status;
	it_sys(waitpid(pid, &status, 0));
	fputs(buf, stderr);
	it_check(WIFEXITED(status), "the run died (status %#x)", status);
	if (it_library_loaded()) {
		const char *want = expected(variant);
		const char *line = strstr(buf, "maxprocs: debug: pid=");
		it_check(line, "no MAXPROCS_DEBUG line on the run's stderr");
		const char *eol = strchr(line, '\n');
		it_check(strstr(line, want) && (!eol || strstr(line, want) < eol),
		         "the debug line does not say '%s'", want);
	}
	return WEXITSTATUS(status);
}
