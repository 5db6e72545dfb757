/* seccomp_filter: under a seccomp filter (installed here, then exec'd again) the library keeps running capped and says seccomp=filter in its MAXPROCS_DEBUG line. */
#include <seccomp.h>
#include <unistd.h>
#include "itest.h"

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
		/* Allow everything but acct(2): a filter, harmless here. */
		scmp_filter_ctx ctx = seccomp_init(SCMP_ACT_ALLOW);
		it_check(ctx, "seccomp_init");
		it_check(seccomp_rule_add(ctx, SCMP_ACT_ERRNO(EPERM), SCMP_SYS(acct), 0) == 0,
		         "seccomp_rule_add");
		if (seccomp_load(ctx) != 0)
			return IT_SKIP;
		seccomp_release(ctx);
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
