/* seccomp_filter: under a seccomp filter (installed here, then exec'd again) the library keeps running capped and says seccomp=filter in its MAXPROCS_DEBUG line. */
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <stddef.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "itest.h"

/* Allow everything but acct(2), which fails with EPERM: a filter, harmless
 * here.  Raw BPF, as libseccomp would load it (no_new_privs first). */
static int load_filter(void)
{
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_acct, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof(f) / sizeof(f[0]), .filter = f };

	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0)
		return -1;
	return prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog, 0, 0);
}

static int fds[2];

static void *worker(void *arg)
{
	char c;

	it_burn_cpu(0.02);
	it_sys(write(fds[1], "x", 1));
	it_sys(read(fds[0], &c, 1));
	return arg;
}

int main(int argc, char **argv)
{
	pthread_t t[3];

	it_check_mode();
	if (argc < 2) {
		if (load_filter() != 0)
			return IT_SKIP;
		fflush(NULL);
		execl("/proc/self/exe", argv[0], "filtered", (char *)NULL);
		it_fail("exec: %s", strerror(errno));
	}
	it_sys(pipe(fds));
	for (int i = 0; i < 3; i++)
		it_create(&t[i], worker, NULL);
	for (int i = 0; i < 3; i++)
		it_sys(write(fds[1], "y", 1));
	for (int i = 0; i < 3; i++)
		it_join(t[i]);
	puts("3 threads ran under a seccomp filter");
	return IT_PASS;
}
