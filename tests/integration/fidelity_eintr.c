/* fidelity_eintr: a signal handler interrupts blocking calls with EINTR (no SA_RESTART) or restarts them (SA_RESTART) exactly as without the library. */
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <stdatomic.h>
#include <sys/epoll.h>
#include <sys/file.h>
#include <sys/ipc.h>
#include <sys/msg.h>
#include <sys/select.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <unistd.h>
#include "fidelity.h"

#define TICK_US 50000   /* SIGALRM period while a call blocks */

static atomic_int handled;

static void on_alarm(int sig)
{
	(void)sig;
	atomic_fetch_add(&handled, 1);
}

static void install(int flags)
{
	struct sigaction sa = { .sa_handler = on_alarm, .sa_flags = flags };

	sigemptyset(&sa.sa_mask);
	it_sys(sigaction(SIGALRM, &sa, NULL));
}

/* Periodic, so a tick that lands before the call blocks is not the only
 * one; stopped right after the call. */
static void set_ticks(long us)
{
	struct itimerval it = { { 0, us }, { 0, us } };

	it_sys(setitimer(ITIMER_REAL, &it, NULL));
}

#define INTERRUPTED(what, expr)                                             \
	do {                                                                \
		atomic_store(&handled, 0);                                  \
		set_ticks(TICK_US);                                         \
		FD_SYS(what, expr);                                         \
		set_ticks(0);                                               \
		printf("%-44s handler ran: %s\n", "",                       \
		       atomic_load(&handled) > 0 ? "yes" : "no");           \
	} while (0)

#define INTERRUPTED_ERR(what, expr)                                         \
	do {                                                                \
		atomic_store(&handled, 0);                                  \
		set_ticks(TICK_US);                                         \
		FD_ERR(what, expr);                                         \
		set_ticks(0);                                               \
	} while (0)

static int listener(void)
{
	struct sockaddr_in addr = { .sin_family = AF_INET };
	int fd = (int)it_sys(socket(AF_INET, SOCK_STREAM, 0));

	addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
	it_sys(bind(fd, (struct sockaddr *)&addr, sizeof addr));
	it_sys(listen(fd, 1));
	return fd;
}

static pid_t idle_child(long exit_after_ms)
{
	pid_t pid;

	fflush(NULL);
	pid = (pid_t)it_sys(fork());
	if (pid == 0) {
		signal(SIGALRM, SIG_DFL);
		set_ticks(0);
		it_sleep_ms(exit_after_ms);
		_exit(4);
	}
	return pid;
}

static void without_restart(void)
{
	struct timespec long_ts = { 10, 0 };
	struct epoll_event ev = { .events = EPOLLIN };
	struct pollfd pfd;
	char c, lock_path[] = "/tmp/maxprocs-eintr-XXXXXX";
	int fds[2], sv[2], lfd, ep, lock1, lock2, qid, status;
	struct { long type; char text[8]; } msg;
	struct iovec iov = { &c, 1 };
	sigset_t usr2, empty;
	fd_set set;
	sem_t sem;
	pid_t pid;

	install(0);
	it_sys(pipe(fds));
	it_sys(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	lfd = listener();
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };

	INTERRUPTED("read(empty pipe)", read(fds[0], &c, 1));
	INTERRUPTED("readv(empty pipe)", readv(fds[0], &iov, 1));
	INTERRUPTED("recv(socketpair)", recv(sv[0], &c, 1, 0));
	INTERRUPTED("accept(loopback)", accept(lfd, NULL, NULL));
	INTERRUPTED("poll(empty pipe, -1)", poll(&pfd, 1, -1));
	INTERRUPTED("ppoll(empty pipe, NULL)", ppoll(&pfd, 1, NULL, NULL));
	FD_ZERO(&set);
	FD_SET(fds[0], &set);
	INTERRUPTED("select(empty pipe, NULL)",
	            select(fds[0] + 1, &set, NULL, NULL, NULL));
	ep = (int)it_sys(epoll_create1(0));
	it_sys(epoll_ctl(ep, EPOLL_CTL_ADD, fds[0], &ev));
	INTERRUPTED("epoll_wait(empty pipe, -1)", epoll_wait(ep, &ev, 1, -1));
	INTERRUPTED("nanosleep(10 s)", nanosleep(&long_ts, NULL));
	INTERRUPTED_ERR("clock_nanosleep(10 s)",
	                clock_nanosleep(CLOCK_MONOTONIC, 0, &long_ts, NULL));
	INTERRUPTED("usleep(999999)", usleep(999999));
	INTERRUPTED("sleep(10) > 0", sleep(10) > 0);
	INTERRUPTED("pause()", pause());
	sigemptyset(&empty);
	INTERRUPTED("sigsuspend(empty mask)", sigsuspend(&empty));
	it_sys(sem_init(&sem, 0, 0));
	INTERRUPTED("sem_wait(0)", sem_wait(&sem));
	sigemptyset(&usr2);
	sigaddset(&usr2, SIGUSR2);
	it_pt(pthread_sigmask(SIG_BLOCK, &usr2, NULL));
	INTERRUPTED("sigtimedwait(SIGUSR2, 10 s)",
	            sigtimedwait(&usr2, NULL, &long_ts));

	lock1 = (int)it_sys(mkstemp(lock_path));
	lock2 = (int)it_sys(open(lock_path, O_RDWR));
	unlink(lock_path);
	it_sys(flock(lock1, LOCK_EX));
	INTERRUPTED("flock(held by another open file)", flock(lock2, LOCK_EX));

	qid = msgget(IPC_PRIVATE, 0600);
	if (qid >= 0) {
		INTERRUPTED("msgrcv(empty queue)",
		            msgrcv(qid, &msg, sizeof msg.text, 0, 0));
		msgctl(qid, IPC_RMID, NULL);
	} else {
		printf("%-44s not available\n", "msgrcv(empty queue)");
	}

	pid = idle_child(10000);
	INTERRUPTED("waitpid(running child)", waitpid(pid, &status, 0));
	kill(pid, SIGKILL);
	it_sys(waitpid(pid, &status, 0));

	close(lock1);
	close(lock2);
	close(ep);
	close(lfd);
	close(sv[0]);
	close(sv[1]);
	close(fds[0]);
	close(fds[1]);
}

static int late_fd;
static sem_t late_sem;

/* Wakes the restarted calls 300 ms late, after several SIGALRMs. */
static void *late_waker(void *arg)
{
	(void)arg;
	it_sleep_ms(300);
	it_sys(write(late_fd, "x", 1));
	it_sleep_ms(300);
	it_sys(sem_post(&late_sem));
	return NULL;
}

static void with_restart(void)
{
	struct timespec long_ts = { 10, 0 };
	struct pollfd pfd;
	sigset_t alrm, old;
	int fds[2], status;
	pthread_t t;
	pid_t pid;
	char c;

	install(SA_RESTART);
	it_sys(pipe(fds));
	late_fd = fds[1];
	it_sys(sem_init(&late_sem, 0, 0));
	/* The waker must not take the SIGALRMs meant for main. */
	sigemptyset(&alrm);
	sigaddset(&alrm, SIGALRM);
	it_pt(pthread_sigmask(SIG_BLOCK, &alrm, &old));
	it_create(&t, late_waker, NULL);
	it_pt(pthread_sigmask(SIG_SETMASK, &old, NULL));
	INTERRUPTED("SA_RESTART read(pipe written in 300 ms)",
	            read(fds[0], &c, 1));
	/* Linux restarts a futex wait without timeout, whatever signal(7)
	 * says of sem_wait. */
	INTERRUPTED("SA_RESTART sem_wait(posted in 300 ms)",
	            sem_wait(&late_sem));
	it_join(t);

	pid = idle_child(300);
	INTERRUPTED("SA_RESTART waitpid(child exits in 300 ms)",
	            waitpid(pid, &status, 0) == pid);
	printf("%-44s exit %d\n", "", WEXITSTATUS(status));

	/* These are never restarted (signal(7)). */
	pfd = (struct pollfd){ .fd = fds[0], .events = POLLIN };
	INTERRUPTED("SA_RESTART poll(empty pipe, -1)", poll(&pfd, 1, -1));
	INTERRUPTED("SA_RESTART nanosleep(10 s)", nanosleep(&long_ts, NULL));
	close(fds[0]);
	close(fds[1]);
}

int main(void)
{
	it_check_mode();
	without_restart();
	with_restart();
	return IT_PASS;
}
