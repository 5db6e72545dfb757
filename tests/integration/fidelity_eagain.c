/* fidelity_eagain: non-blocking calls that would block fail with EAGAIN (and zero timeouts return 0) identically with and without the library. */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <sys/socket.h>
#include <unistd.h>
#include "fidelity.h"

static void pipes(void)
{
	struct pollfd pfd;
	char buf[4096];
	int fds[2], writes = 0;
	ssize_t n;

	it_sys(pipe2(fds, O_NONBLOCK));
	FD_SYS("read(empty O_NONBLOCK pipe)", read(fds[0], buf, 1));
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	FD_SYS("poll(empty pipe, timeout 0)", poll(&pfd, 1, 0));
	memset(buf, 'x', sizeof buf);
	while ((n = write(fds[1], buf, sizeof buf)) > 0)
		writes++;
	printf("%-44s errno=%s\n", "write(full O_NONBLOCK pipe)",
	       fd_errname(n < 0 ? errno : 0));
	FD_SYS("write(full pipe) again", write(fds[1], "x", 1));
	close(fds[0]);
	close(fds[1]);
}

static void sockets(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	socklen_t len = sizeof addr;
	char c;
	int sv[2], lfd;

	it_sys(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	FD_SYS("recv(MSG_DONTWAIT, nothing queued)",
	       recv(sv[0], &c, 1, MSG_DONTWAIT));
	FD_SYS("recvfrom(MSG_DONTWAIT, nothing queued)",
	       recvfrom(sv[0], &c, 1, MSG_DONTWAIT, NULL, NULL));
	close(sv[0]);
	close(sv[1]);

	lfd = (int)it_sys(socket(AF_INET, SOCK_STREAM | SOCK_NONBLOCK, 0));
	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	it_sys(bind(lfd, (struct sockaddr *)&addr, sizeof addr));
	it_sys(getsockname(lfd, (struct sockaddr *)&addr, &len));
	it_sys(listen(lfd, 1));
	FD_SYS("accept(O_NONBLOCK, no client)", accept(lfd, NULL, NULL));
	FD_SYS("accept4(O_NONBLOCK, no client)",
	       accept4(lfd, NULL, NULL, SOCK_CLOEXEC));
	close(lfd);

	/* The port is free again: nobody listens there. */
	lfd = (int)it_sys(socket(AF_INET, SOCK_STREAM, 0));
	FD_SYS("connect(closed loopback port)",
	       connect(lfd, (struct sockaddr *)&addr, sizeof addr));
	close(lfd);
}

static void locks(void)
{
	pthread_mutex_t mutex = PTHREAD_MUTEX_INITIALIZER;
	pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
	sem_t sem;

	it_pt(pthread_mutex_lock(&mutex));
	FD_ERR("pthread_mutex_trylock(held)", pthread_mutex_trylock(&mutex));
	it_pt(pthread_mutex_unlock(&mutex));
	it_pt(pthread_rwlock_rdlock(&rwlock));
	FD_ERR("pthread_rwlock_trywrlock(read-held)",
	       pthread_rwlock_trywrlock(&rwlock));
	FD_ERR("pthread_rwlock_tryrdlock(read-held)",
	       pthread_rwlock_tryrdlock(&rwlock));
	it_pt(pthread_rwlock_unlock(&rwlock));
	it_pt(pthread_rwlock_unlock(&rwlock));
	it_sys(sem_init(&sem, 0, 0));
	FD_SYS("sem_trywait(0)", sem_trywait(&sem));
	sem_destroy(&sem);
}

int main(void)
{
	it_check_mode();
	pipes();
	sockets();
	locks();
	return IT_PASS;
}
