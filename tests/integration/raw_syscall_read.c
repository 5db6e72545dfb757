/* raw_syscall_read: a thread blocked in syscall(SYS_read) on a pipe lets the thread that writes it run. */
#include <sys/syscall.h>
#include <unistd.h>
#include "itest.h"

static int fds[2];

static void *writer(void *arg)
{
	(void)arg;
	it_burn_cpu(0.01);
	it_sys(write(fds[1], "x", 1));
	return NULL;
}

int main(void)
{
	pthread_t t;
	char c = 0;

	it_check_mode();
	it_sys(pipe(fds));
	it_create(&t, writer, NULL);
	it_check(it_sys(syscall(SYS_read, fds[0], &c, 1)) == 1 && c == 'x',
	         "read %c", c);
	it_join(t);
	puts("syscall(SYS_read) returned the byte");
	return IT_PASS;
}
