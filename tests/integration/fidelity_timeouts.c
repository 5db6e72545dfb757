/* fidelity_timeouts: calls that time out report it the same way (0, ETIMEDOUT, EAGAIN) with and without the library. */
#include <poll.h>
#include <semaphore.h>
#include <signal.h>
#include <sys/epoll.h>
#include <sys/select.h>
#include <unistd.h>
#include "fidelity.h"

#define TIMEOUT_MS 20

static pthread_mutex_t held = PTHREAD_MUTEX_INITIALIZER;

static void *timedlock_other(void *arg)
{
	struct timespec ts = fd_deadline(CLOCK_REALTIME, TIMEOUT_MS);

	(void)arg;
	FD_ERR("pthread_mutex_timedlock(held elsewhere)",
	       pthread_mutex_timedlock(&held, &ts));
	return NULL;
}

static void fds(void)
{
	struct timeval tv = { 0, TIMEOUT_MS * 1000 };
	struct timespec ts = { 0, TIMEOUT_MS * 1000000L };
	struct epoll_event ev;
	struct pollfd pfd;
	fd_set set;
	int pipefd[2], ep;

	it_sys(pipe(pipefd));
	pfd = (struct pollfd){ .fd = pipefd[0], .events = POLLIN };
	FD_SYS("poll(empty pipe, 20 ms)", poll(&pfd, 1, TIMEOUT_MS));
	FD_SYS("ppoll(empty pipe, 20 ms)", ppoll(&pfd, 1, &ts, NULL));
	FD_SYS("poll(no fds, 20 ms)", poll(NULL, 0, TIMEOUT_MS));
	FD_ZERO(&set);
	FD_SET(pipefd[0], &set);
	FD_SYS("select(empty pipe, 20 ms)",
	       select(pipefd[0] + 1, &set, NULL, NULL, &tv));
	FD_ZERO(&set);
	FD_SET(pipefd[0], &set);
	FD_SYS("pselect(empty pipe, 20 ms)",
	       pselect(pipefd[0] + 1, &set, NULL, NULL, &ts, NULL));
	ep = (int)it_sys(epoll_create1(0));
	ev = (struct epoll_event){ .events = EPOLLIN };
	it_sys(epoll_ctl(ep, EPOLL_CTL_ADD, pipefd[0], &ev));
	FD_SYS("epoll_wait(empty pipe, 20 ms)", epoll_wait(ep, &ev, 1, TIMEOUT_MS));
	FD_SYS("epoll_pwait(empty pipe, 20 ms)",
	       epoll_pwait(ep, &ev, 1, TIMEOUT_MS, NULL));
	close(ep);
	close(pipefd[0]);
	close(pipefd[1]);
}

static void sync_objects(void)
{
	pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
	pthread_cond_t cond = PTHREAD_COND_INITIALIZER;
	pthread_rwlock_t rwlock = PTHREAD_RWLOCK_INITIALIZER;
	struct timespec ts, bad = { 0, 2000000000L };
	pthread_mutexattr_t attr;
	pthread_mutex_t errcheck;
	pthread_t t;
	sem_t sem;

	it_pt(pthread_mutex_lock(&lock));
	ts = fd_deadline(CLOCK_REALTIME, TIMEOUT_MS);
	FD_ERR("pthread_cond_timedwait(20 ms)",
	       pthread_cond_timedwait(&cond, &lock, &ts));
	ts = fd_deadline(CLOCK_MONOTONIC, TIMEOUT_MS);
	FD_ERR("pthread_cond_clockwait(MONOTONIC, 20 ms)",
	       pthread_cond_clockwait(&cond, &lock, CLOCK_MONOTONIC, &ts));
	it_pt(pthread_mutex_unlock(&lock));

	it_pt(pthread_mutexattr_init(&attr));
	it_pt(pthread_mutexattr_settype(&attr, PTHREAD_MUTEX_ERRORCHECK));
	it_pt(pthread_mutex_init(&errcheck, &attr));
	it_pt(pthread_mutex_lock(&errcheck));
	FD_ERR("pthread_mutex_lock(errorcheck, own)",
	       pthread_mutex_lock(&errcheck));
	ts = fd_deadline(CLOCK_REALTIME, TIMEOUT_MS);
	FD_ERR("pthread_mutex_timedlock(errorcheck, own)",
	       pthread_mutex_timedlock(&errcheck, &ts));
	it_pt(pthread_mutex_unlock(&errcheck));

	it_pt(pthread_mutex_lock(&held));
	it_create(&t, timedlock_other, NULL);
	it_join(t);
	it_pt(pthread_mutex_unlock(&held));

	it_pt(pthread_rwlock_wrlock(&rwlock));
	ts = fd_deadline(CLOCK_REALTIME, TIMEOUT_MS);
	FD_ERR("pthread_rwlock_timedrdlock(write-held by self)",
	       pthread_rwlock_timedrdlock(&rwlock, &ts));
	it_pt(pthread_rwlock_unlock(&rwlock));

	it_sys(sem_init(&sem, 0, 0));
	ts = fd_deadline(CLOCK_REALTIME, TIMEOUT_MS);
	FD_SYS("sem_timedwait(20 ms)", sem_timedwait(&sem, &ts));
	ts = fd_deadline(CLOCK_MONOTONIC, TIMEOUT_MS);
	FD_SYS("sem_clockwait(MONOTONIC, 20 ms)",
	       sem_clockwait(&sem, CLOCK_MONOTONIC, &ts));
	FD_SYS("sem_timedwait(tv_nsec 2e9)", sem_timedwait(&sem, &bad));
	sem_destroy(&sem);
}

static void signals(void)
{
	struct timespec ts = { 0, TIMEOUT_MS * 1000000L };
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	it_pt(pthread_sigmask(SIG_BLOCK, &set, NULL));
	FD_SYS("sigtimedwait(SIGUSR2, 20 ms)", sigtimedwait(&set, NULL, &ts));
	FD_SYS("sleep(0)", sleep(0));
	FD_SYS("usleep(1000)", usleep(1000));
	FD_SYS("nanosleep(20 ms)", nanosleep(&ts, NULL));
	FD_ERR("clock_nanosleep(MONOTONIC, 20 ms)",
	       clock_nanosleep(CLOCK_MONOTONIC, 0, &ts, NULL));
}

int main(void)
{
	it_check_mode();
	fds();
	sync_objects();
	signals();
	return IT_PASS;
}
