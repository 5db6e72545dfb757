/* release_read_pipe: a thread blocked in read on an empty pipe lets the thread that will write it run. */
#include <unistd.h>
#include "itest.h"

static int fds[2];

/* Under MAXPROCS=1 this runs only if main's read gave its P away. */
static void *writer(void *arg)
{
	(void)arg;
	it_sys(write(fds[1], "x", 1));
	return NULL;
}

int main(void)
{
	pthread_t t;
	char c;

	it_check_mode();
	it_sys(pipe(fds));
	it_create(&t, writer, NULL);
	it_check(it_sys(read(fds[0], &c, 1)) == 1 && c == 'x', "read %c", c);
	it_join(t);
	puts("read returned the byte the writer wrote");
	return IT_PASS;
}
