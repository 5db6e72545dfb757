/* fidelity_pointers: the library reads no user memory the real call would not read: NULL and bad timeout pointers that glibc or the kernel tolerate give the same result with it (each case crashed under the library before the fix). */
#include <signal.h>
#include <stdint.h>
#include <sys/epoll.h>
#include <unistd.h>
#include "fidelity.h"

/* An address the kernel refuses, hidden from the compiler's checks. */
static void *bad_address(void)
{
	static volatile uintptr_t addr = 1;

	return (void *)addr;
}

/* NULL, hidden from the compiler's nonnull checks: glibc declares these
 * timeouts nonnull, but only reads them when it must wait. */
static const struct timespec *null_timeout(void)
{
	static const struct timespec *volatile null;

	return null;
}

/* glibc checks a rwlock's clock and timeout only when abstime is not NULL
 * (then it would wait for ever): on a free lock NULL succeeds. */
static void rwlocks(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	struct timespec bad = { 0, 2000000000L };

	FD_ERR("pthread_rwlock_timedrdlock(free, NULL)",
	       pthread_rwlock_timedrdlock(&l, null_timeout()));
	it_pt(pthread_rwlock_unlock(&l));
	FD_ERR("pthread_rwlock_timedwrlock(free, NULL)",
	       pthread_rwlock_timedwrlock(&l, null_timeout()));
	it_pt(pthread_rwlock_unlock(&l));
	FD_ERR("pthread_rwlock_clockrdlock(free, MONOTONIC, NULL)",
	       pthread_rwlock_clockrdlock(&l, CLOCK_MONOTONIC, null_timeout()));
	it_pt(pthread_rwlock_unlock(&l));
	FD_ERR("pthread_rwlock_clockwrlock(free, bad clock, NULL)",
	       pthread_rwlock_clockwrlock(&l, (clockid_t)12345, null_timeout()));
	it_pt(pthread_rwlock_unlock(&l));
	FD_ERR("pthread_rwlock_clockrdlock(free, bad clock, 2e9)",
	       pthread_rwlock_clockrdlock(&l, (clockid_t)12345, &bad));
	FD_ERR("pthread_rwlock_timedwrlock(free, tv_nsec 2e9)",
	       pthread_rwlock_timedwrlock(&l, &bad));
}

/* A mutex reads its timeout only when it must wait. */
static void mutexes(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;

	FD_ERR("pthread_mutex_timedlock(free, NULL)",
	       pthread_mutex_timedlock(&m, null_timeout()));
	it_pt(pthread_mutex_unlock(&m));
	FD_ERR("pthread_mutex_clocklock(free, MONOTONIC, NULL)",
	       pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, null_timeout()));
	it_pt(pthread_mutex_unlock(&m));
}

/* epoll_pwait2 hands its timeout pointer to the kernel: EFAULT, no crash. */
static void epoll(void)
{
	struct epoll_event ev;
	int ep = (int)it_sys(epoll_create1(0));

	FD_SYS("epoll_pwait2(bad timeout pointer)",
	       epoll_pwait2(ep, &ev, 1, bad_address(), NULL));
	close(ep);
}

int main(void)
{
	it_check_mode();
	rwlocks();
	mutexes();
	epoll();
	return IT_PASS;
}
