/* fidelity_ebadf: intercepted calls fail with the same return value and errno (EBADF, ENOTSOCK, ESPIPE, EFAULT, EINVAL, ...) with and without the library. */
#include <fcntl.h>
#include <mqueue.h>
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/random.h>
#include <sys/sem.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>
#include "fidelity.h"

static void bad_fds(void)
{
	char buf[16];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct mmsghdr mmsg = { .msg_hdr = msg };
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	struct epoll_event ev;

	FD_SYS("read(-1)", read(-1, buf, 1));
	FD_SYS("write(-1)", write(-1, "x", 1));
	FD_SYS("readv(-1)", readv(-1, &iov, 1));
	FD_SYS("writev(-1)", writev(-1, &iov, 1));
	FD_SYS("pread(-1)", pread(-1, buf, 1, 0));
	FD_SYS("pwrite(-1)", pwrite(-1, "x", 1, 0));
	FD_SYS("pread64(-1)", pread64(-1, buf, 1, 0));
	FD_SYS("pwrite64(-1)", pwrite64(-1, "x", 1, 0));
	FD_SYS("preadv(-1)", preadv(-1, &iov, 1, 0));
	FD_SYS("pwritev(-1)", pwritev(-1, &iov, 1, 0));
	FD_SYS("close(-1)", close(-1));
	FD_SYS("fsync(-1)", fsync(-1));
	FD_SYS("fdatasync(-1)", fdatasync(-1));
	FD_SYS("sync_file_range(-1)", sync_file_range(-1, 0, 0, 0));
	FD_SYS("flock(-1)", flock(-1, LOCK_EX));
	FD_SYS("lockf(-1)", lockf(-1, F_LOCK, 0));
	FD_SYS("fcntl(-1, F_SETLKW)", fcntl(-1, F_SETLKW, &lk));
	FD_SYS("recv(-1)", recv(-1, buf, 1, 0));
	FD_SYS("send(-1)", send(-1, "x", 1, 0));
	FD_SYS("accept(-1)", accept(-1, NULL, NULL));
	FD_SYS("accept4(-1)", accept4(-1, NULL, NULL, 0));
	FD_SYS("connect(-1)", connect(-1, NULL, 0));
	FD_SYS("epoll_wait(-1)", epoll_wait(-1, &ev, 1, 0));
	FD_SYS("epoll_pwait(-1)", epoll_pwait(-1, &ev, 1, 0, NULL));
	FD_SYS("sendfile(-1, -1)", sendfile(-1, -1, NULL, 1));
	FD_SYS("splice(-1, -1)", splice(-1, NULL, -1, NULL, 1, 0));
	FD_SYS("copy_file_range(-1, -1)",
	       copy_file_range(-1, NULL, -1, NULL, 1, 0));
	FD_SYS("mq_send(-1)", mq_send((mqd_t)-1, "x", 1, 0));
	FD_SYS("mq_receive(-1)", mq_receive((mqd_t)-1, buf, sizeof buf, NULL));
	FD_SYS("recvmmsg(-1)", recvmmsg(-1, &mmsg, 1, 0, NULL));
	FD_SYS("sendmmsg(-1)", sendmmsg(-1, &mmsg, 1, 0));
}

/* An address the kernel refuses, hidden from the compiler's checks. */
static void *bad_address(void)
{
	static volatile uintptr_t addr = 1;

	return (void *)addr;
}

static void wrong_kind_of_fd(void)
{
	char buf[16];
	struct iovec iov = { buf, sizeof buf };
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	struct sockaddr_storage ss;
	socklen_t len = sizeof ss;
	int fds[2];

	it_sys(pipe(fds));
	FD_SYS("pread(pipe)", pread(fds[0], buf, 1, 0));
	FD_SYS("fsync(pipe)", fsync(fds[1]));
	FD_SYS("recv(pipe)", recv(fds[0], buf, 1, 0));
	FD_SYS("recvfrom(pipe)", recvfrom(fds[0], buf, 1, 0,
	                                  (struct sockaddr *)&ss, &len));
	FD_SYS("recvmsg(pipe)", recvmsg(fds[0], &msg, 0));
	FD_SYS("send(pipe)", send(fds[1], "x", 1, 0));
	FD_SYS("sendto(pipe)", sendto(fds[1], "x", 1, 0, NULL, 0));
	FD_SYS("sendmsg(pipe)", sendmsg(fds[1], &msg, 0));
	FD_SYS("accept(pipe)", accept(fds[0], NULL, NULL));
	FD_SYS("open(missing)", open("/nonexistent/maxprocs", O_RDONLY));
	FD_SYS("openat(-1, relative)", openat(-1, "x", O_RDONLY));
	FD_SYS("open(file, O_DIRECTORY)", open("/proc/self/stat",
	                                       O_RDONLY | O_DIRECTORY));

	/* EFAULT from the kernel (the buffer is never touched in user
	 * space); a byte waits in the pipe so read gets that far. */
	it_sys(write(fds[1], "x", 1));
	FD_SYS("read(pipe, bad buffer)", read(fds[0], bad_address(), 1));
	FD_SYS("write(pipe, bad buffer)", write(fds[1], bad_address(), 1));

	close(fds[0]);
	signal(SIGPIPE, SIG_IGN);
	FD_SYS("write(pipe without reader)", write(fds[1], "x", 1));
	close(fds[1]);
}

static void bad_arguments(void)
{
	struct timespec bad = { 0, 2000000000L };
	struct sembuf op = { 0, -1, IPC_NOWAIT };
	char buf[16];

	FD_SYS("nanosleep(tv_nsec 2e9)", nanosleep(&bad, NULL));
	FD_ERR("clock_nanosleep(bad clock)",
	       clock_nanosleep((clockid_t)12345, 0, &bad, NULL));
	FD_SYS("select(nfds -1)", select(-1, NULL, NULL, NULL, NULL));
	FD_SYS("msgsnd(bad id)", msgsnd(-1, buf, 1, IPC_NOWAIT));
	FD_SYS("msgrcv(bad id)", msgrcv(-1, buf, 1, 0, IPC_NOWAIT));
	FD_SYS("semop(bad id)", semop(-1, &op, 1));
	FD_SYS("getrandom(bad flags)", getrandom(buf, sizeof buf, 0xffff));
	FD_SYS("getrandom(16, GRND_NONBLOCK)",
	       getrandom(buf, sizeof buf, GRND_NONBLOCK));
	FD_ERR("pthread_join(self)", pthread_join(pthread_self(), NULL));
}

int main(void)
{
	it_check_mode();
	bad_fds();
	wrong_kind_of_fd();
	bad_arguments();
	return IT_PASS;
}
