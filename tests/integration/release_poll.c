/* release_poll: a thread blocked in poll on an empty pipe lets the thread that writes it run. */
#include <poll.h>
#include <unistd.h>
#include "itest.h"

static int fds[2];

static void *writer(void *arg)
{
	(void)arg;
	it_sys(write(fds[1], "x", 1));
	return NULL;
}

int main(void)
{
	struct pollfd pfd;
	pthread_t t;

	it_check_mode();
	it_sys(pipe(fds));
	pfd.fd = fds[0];
	pfd.events = POLLIN;
	it_create(&t, writer, NULL);
	it_check(it_sys(poll(&pfd, 1, -1)) == 1 && (pfd.revents & POLLIN),
	         "poll revents %#x", pfd.revents);
	it_join(t);
	puts("poll saw the byte");
	return IT_PASS;
}
