/* release_accept_connect: a thread blocked in accept on loopback lets the thread that connects run. */
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>
#include "itest.h"

static struct sockaddr_in addr;

static void *client(void *arg)
{
	int fd = (int)it_sys(socket(AF_INET, SOCK_STREAM, 0));

	(void)arg;
	it_sys(connect(fd, (struct sockaddr *)&addr, sizeof addr));
	it_check(it_sys(send(fd, "hi", 2, 0)) == 2, "short send");
	it_sys(close(fd));
	return NULL;
}

int main(void)
{
	socklen_t len = sizeof addr;
	char buf[4] = "";
	pthread_t t;
	int lfd, cfd;
	ssize_t n, total = 0;

	it_check_mode();
	lfd = (int)it_sys(socket(AF_INET, SOCK_STREAM, 0));
	addr.sin_family = AF_INET;
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	it_sys(bind(lfd, (struct sockaddr *)&addr, sizeof addr));
	it_sys(getsockname(lfd, (struct sockaddr *)&addr, &len));
	it_sys(listen(lfd, 1));
	it_create(&t, client, NULL);
	cfd = (int)it_sys(accept(lfd, NULL, NULL));
	while (total < 2 && (n = it_sys(recv(cfd, buf + total, 2 - total, 0))) > 0)
		total += n;
	it_check(total == 2 && memcmp(buf, "hi", 2) == 0, "received '%s'", buf);
	it_join(t);
	close(cfd);
	close(lfd);
	puts("accepted and received 'hi'");
	return IT_PASS;
}
