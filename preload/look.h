/*
 * look.h - the LOOK_FIRST class of calls.def: a may-block call that can
 * ask the kernel, before it waits, whether it would sleep.
 *
 * A may-block call keeps its P (the cheap return), and a P whose holder
 * then sleeps is taken by the spinning waiter once the holder's CPU clock
 * stands still (sched/spinwait.c): two looks at the clock, a claim and a
 * membarrier, ~3 us here.  While a waiter spins, the calls below look first and, when
 * the call would sleep, hand the P over at once as a blocking call does
 * (the spinner takes it with no wake-up and no claim).  The look costs one
 * system call, two when the call would sleep; it is made only while a
 * waiter spins, so a program that nobody waits beside never pays it.
 *
 *   mp_look_<try>(&r, args...)   MP_LOOK_DONE: the look was the call
 *                                (r is its result, errno set as libc
 *                                would); MP_LOOK_SLEEPS: bracket it as
 *                                blocking; MP_LOOK_UNKNOWN: as may-block
 *
 * What "would sleep" means, by call:
 *   read, recv*   the descriptor is in blocking mode (F_GETFL) and
 *                 reports nothing (a zero-timeout poll: no POLLIN,
 *                 POLLHUP, POLLERR or POLLNVAL).  A regular file, or anything
 *                 without a poll method, always reports ready: unknown.
 *                 The look never reads or consumes data: the real call is
 *                 always the one that does.
 *   poll, epoll_wait, epoll_pwait   the call itself with a zero timeout
 *                 (the timeout is a register argument, so nothing else
 *                 differs; epoll_pwait's mask is applied the same way, so a
 *                 signal it unblocks is delivered here, EINTR, as in the
 *                 real call).  Anything but 0 is the answer (DONE): ready
 *                 descriptors, or the error the real call would give.
 *   ppoll         its timeout is behind a pointer the look may not read
 *                 (calls.def, pass_if), so the look is a plain zero-timeout
 *                 poll of the same descriptors: ready means unknown (the
 *                 real ppoll returns at once), nothing ready means it
 *                 sleeps unless its timeout was zero (then the P was given
 *                 up for nothing, and comes back as after any call).
 * The _chk rows look only when the real call would not abort (n within
 * buflen, fds within fdslen).  Raw system calls: errno is untouched unless
 * the look is the call, and nothing here re-enters the wrappers.
 */
#ifndef MAXPROCS_PRELOAD_LOOK_H
#define MAXPROCS_PRELOAD_LOOK_H

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stddef.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/types.h>

#include "shim/raw_syscall.h"

enum mp_look { MP_LOOK_UNKNOWN = 0, MP_LOOK_SLEEPS, MP_LOOK_DONE };


/* The kernel's sigset size (glibc passes _NSIG / 8). */
#define MP_LOOK_SIGSETSIZE 8

static inline long mp_look_poll0(struct pollfd *fds, nfds_t n)
{
	struct timespec zero = { 0, 0 };
	return mp_raw_syscall6(SYS_ppoll, (long)fds, (long)n, (long)&zero, 0,
	                       MP_LOOK_SIGSETSIZE, 0);
}

/* A read of fd would sleep: blocking mode, and nothing to report.  The
 * mode first: an event loop reads non-blocking descriptors until EAGAIN,
 * and one system call tells it. */
static inline enum mp_look mp_look_fd(int fd)
{
	long fl = mp_raw_syscall(SYS_fcntl, fd, F_GETFL, 0);
	if (fl < 0 || (fl & O_NONBLOCK))
		return MP_LOOK_UNKNOWN;   /* EAGAIN at once, or not open */
	struct pollfd p = { .fd = fd, .events = POLLIN };
	if (mp_look_poll0(&p, 1) != 0)
		return MP_LOOK_UNKNOWN;   /* ready, hung up, in error */
	return MP_LOOK_SLEEPS;
}

/* The look was the call: its result as libc gives it. */
static inline enum mp_look mp_look_done(int *r, long ret)
{
	if (ret < 0) {
		errno = (int)-ret;
		*r = -1;
	} else {
		*r = (int)ret;
	}
	return MP_LOOK_DONE;
}

static inline enum mp_look mp_look_read(ssize_t *r, int fd, void *buf, size_t n)
{
	(void)r, (void)buf, (void)n;
	return mp_look_fd(fd);
}

static inline enum mp_look mp_look_read_chk(ssize_t *r, int fd, void *buf, size_t n,
                                            size_t buflen)
{
	(void)r, (void)buf;
	return n <= buflen ? mp_look_fd(fd) : MP_LOOK_UNKNOWN;
}

static inline enum mp_look mp_look_recv(ssize_t *r, int fd, void *buf, size_t n, int flags)
{
	(void)r, (void)buf, (void)n, (void)flags;
	return mp_look_fd(fd);
}

static inline enum mp_look mp_look_recv_chk(ssize_t *r, int fd, void *buf, size_t n,
                                            size_t buflen, int flags)
{
	(void)r, (void)buf, (void)flags;
	return n <= buflen ? mp_look_fd(fd) : MP_LOOK_UNKNOWN;
}

static inline enum mp_look mp_look_recvfrom(ssize_t *r, int fd, void *buf, size_t n,
                                            int flags, __SOCKADDR_ARG addr, socklen_t *len)
{
	(void)r, (void)buf, (void)n, (void)flags, (void)addr, (void)len;
	return mp_look_fd(fd);
}

static inline enum mp_look mp_look_recvfrom_chk(ssize_t *r, int fd, void *buf, size_t n,
                                                size_t buflen, int flags,
                                                __SOCKADDR_ARG addr, socklen_t *len)
{
	(void)r, (void)buf, (void)flags, (void)addr, (void)len;
	return n <= buflen ? mp_look_fd(fd) : MP_LOOK_UNKNOWN;
}

static inline enum mp_look mp_look_recvmsg(ssize_t *r, int fd, struct msghdr *msg, int flags)
{
	(void)r, (void)msg, (void)flags;
	return mp_look_fd(fd);
}

static inline enum mp_look mp_look_poll(int *r, struct pollfd *fds, nfds_t n, int timeout)
{
	(void)timeout;
	long ret = mp_look_poll0(fds, n);
	return ret == 0 ? MP_LOOK_SLEEPS : mp_look_done(r, ret);
}

static inline enum mp_look mp_look_poll_chk(int *r, struct pollfd *fds, nfds_t n,
                                            int timeout, size_t fdslen)
{
	if (n > fdslen / sizeof *fds)
		return MP_LOOK_UNKNOWN;   /* __poll_chk aborts */
	return mp_look_poll(r, fds, n, timeout);
}

static inline enum mp_look mp_look_ppoll(int *r, struct pollfd *fds, nfds_t n,
                                         const struct timespec *ts, const sigset_t *mask)
{
	(void)r, (void)ts, (void)mask;
	return mp_look_poll0(fds, n) == 0 ? MP_LOOK_SLEEPS : MP_LOOK_UNKNOWN;
}

static inline enum mp_look mp_look_ppoll_chk(int *r, struct pollfd *fds, nfds_t n,
                                             const struct timespec *ts,
                                             const sigset_t *mask, size_t fdslen)
{
	if (n > fdslen / sizeof *fds)
		return MP_LOOK_UNKNOWN;   /* __ppoll_chk aborts */
	return mp_look_ppoll(r, fds, n, ts, mask);
}

static inline enum mp_look mp_look_epoll_pwait(int *r, int epfd, struct epoll_event *ev,
                                               int max, int timeout, const sigset_t *mask)
{
	(void)timeout;
	long ret = mp_raw_syscall6(SYS_epoll_pwait, epfd, (long)ev, max, 0, (long)mask,
	                           MP_LOOK_SIGSETSIZE);
	return ret == 0 ? MP_LOOK_SLEEPS : mp_look_done(r, ret);
}

static inline enum mp_look mp_look_epoll_wait(int *r, int epfd, struct epoll_event *ev,
                                              int max, int timeout)
{
	return mp_look_epoll_pwait(r, epfd, ev, max, timeout, NULL);
}

#endif
