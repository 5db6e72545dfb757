/* test_look.c - preload/look.h: what each LOOK_FIRST row's look says of a
 * call before it is made (would it sleep? or was the look the call?), on
 * real descriptors, and that it leaves errno and the data alone. */
#ifdef MP_TEST_LITE
#include "lite.h"        /* TSan builds: Criterion's runner cannot start */
#else
#include <criterion/criterion.h>
#endif

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <unistd.h>

#include "preload/look.h"

static int p[2];

static void pipe_up(void)
{
	cr_assert_eq(pipe(p), 0);
}

static void pipe_down(void)
{
	close(p[0]);
	close(p[1]);
}

/* The look of a read of fd, with errno watched. */
static enum mp_look look_read(int fd)
{
	char c;
	ssize_t r = 4242;
	errno = 777;
	enum mp_look l = mp_look_read(&r, fd, &c, 1);
	cr_assert_eq(errno, 777, "the look changed errno");
	cr_assert_eq(r, 4242, "a read's look set a result");
	return l;
}

Test(look, read_of_an_empty_blocking_pipe_sleeps, .init = pipe_up, .fini = pipe_down)
{
	cr_assert_eq(look_read(p[0]), MP_LOOK_SLEEPS);
}

Test(look, read_with_data_queued_does_not_sleep_and_leaves_the_data, .init = pipe_up, .fini = pipe_down)
{
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(look_read(p[0]), MP_LOOK_UNKNOWN);
	char c = 0;
	cr_assert_eq(read(p[0], &c, 1), 1, "the look consumed the byte");
	cr_assert_eq(c, 'x');
}

Test(look, read_of_a_non_blocking_descriptor_does_not_sleep, .init = pipe_up, .fini = pipe_down)
{
	cr_assert_eq(fcntl(p[0], F_SETFL, O_NONBLOCK), 0);
	cr_assert_eq(look_read(p[0]), MP_LOOK_UNKNOWN);
}

Test(look, read_at_end_of_file_does_not_sleep, .init = pipe_up, .fini = pipe_down)
{
	close(p[1]);
	cr_assert_eq(look_read(p[0]), MP_LOOK_UNKNOWN, "a pipe with no writer reports POLLHUP");
	p[1] = open("/dev/null", O_WRONLY);
}

Test(look, read_of_a_regular_file_or_a_bad_descriptor_is_unknown)
{
	int fd = open("/proc/self/stat", O_RDONLY);
	cr_assert_geq(fd, 0);
	cr_assert_eq(look_read(fd), MP_LOOK_UNKNOWN);
	close(fd);
	cr_assert_eq(look_read(fd), MP_LOOK_UNKNOWN, "a closed descriptor: the real call says EBADF");
}

Test(look, recv_family_on_a_socket)
{
	int sv[2];
	cr_assert_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, sv), 0);
	char buf[8];
	ssize_t r = 4242;
	struct msghdr msg = { 0 };
	cr_assert_eq(mp_look_recv(&r, sv[0], buf, sizeof buf, 0), MP_LOOK_SLEEPS);
	cr_assert_eq(mp_look_recvfrom(&r, sv[0], buf, sizeof buf, 0, NULL, NULL), MP_LOOK_SLEEPS);
	cr_assert_eq(mp_look_recvmsg(&r, sv[0], &msg, 0), MP_LOOK_SLEEPS);
	cr_assert_eq(write(sv[1], "ab", 2), 2);
	cr_assert_eq(mp_look_recv(&r, sv[0], buf, sizeof buf, 0), MP_LOOK_UNKNOWN);
	cr_assert_eq(mp_look_recvmsg(&r, sv[0], &msg, 0), MP_LOOK_UNKNOWN);
	cr_assert_eq(recv(sv[0], buf, sizeof buf, 0), 2, "the look consumed data");
	cr_assert_eq(r, 4242);
	close(sv[1]);
	cr_assert_eq(mp_look_recv(&r, sv[0], buf, sizeof buf, 0), MP_LOOK_UNKNOWN, "peer gone: EOF at once");
	close(sv[0]);
}

Test(look, chk_rows_look_only_when_the_real_call_would_not_abort, .init = pipe_up, .fini = pipe_down)
{
	char buf[4];
	ssize_t r = 0;
	struct pollfd fds[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[0], .events = POLLIN } };
	int ri = 0;
	cr_assert_eq(mp_look_read_chk(&r, p[0], buf, 4, 4), MP_LOOK_SLEEPS);
	cr_assert_eq(mp_look_read_chk(&r, p[0], buf, 5, 4), MP_LOOK_UNKNOWN);
	cr_assert_eq(mp_look_recv_chk(&r, p[0], buf, 5, 4, 0), MP_LOOK_UNKNOWN);
	cr_assert_eq(mp_look_recvfrom_chk(&r, p[0], buf, 5, 4, 0, NULL, NULL), MP_LOOK_UNKNOWN);
	cr_assert_eq(mp_look_poll_chk(&ri, fds, 2, -1, sizeof fds), MP_LOOK_SLEEPS);
	cr_assert_eq(mp_look_poll_chk(&ri, fds, 2, -1, sizeof fds[0]), MP_LOOK_UNKNOWN);
	cr_assert_eq(mp_look_ppoll_chk(&ri, fds, 2, NULL, NULL, sizeof fds[0]), MP_LOOK_UNKNOWN);
}

Test(look, poll_is_the_call_when_something_is_ready, .init = pipe_up, .fini = pipe_down)
{
	struct pollfd fds[2] = { { .fd = p[0], .events = POLLIN }, { .fd = p[1], .events = POLLOUT } };
	int r = 4242;
	cr_assert_eq(mp_look_poll(&r, fds, 1, -1), MP_LOOK_SLEEPS);
	cr_assert_eq(r, 4242);
	cr_assert_eq(mp_look_poll(&r, fds, 2, 1000), MP_LOOK_DONE);
	cr_assert_eq(r, 1);
	cr_assert_eq(fds[0].revents, 0);
	cr_assert_eq(fds[1].revents, POLLOUT);
}

Test(look, poll_gives_the_real_calls_error)
{
	int r = 0;
	errno = 0;
	cr_assert_eq(mp_look_poll(&r, (struct pollfd *)8, 1, -1), MP_LOOK_DONE);
	cr_assert_eq(r, -1);
	cr_assert_eq(errno, EFAULT);
}

Test(look, ppoll_only_tells_whether_it_would_sleep, .init = pipe_up, .fini = pipe_down)
{
	struct pollfd fd = { .fd = p[0], .events = POLLIN };
	int r = 4242;
	cr_assert_eq(mp_look_ppoll(&r, &fd, 1, NULL, NULL), MP_LOOK_SLEEPS);
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(mp_look_ppoll(&r, &fd, 1, NULL, NULL), MP_LOOK_UNKNOWN);
	cr_assert_eq(r, 4242);
}

Test(look, epoll_wait_is_the_call_when_an_event_is_ready, .init = pipe_up, .fini = pipe_down)
{
	int ep = epoll_create1(0);
	cr_assert_geq(ep, 0);
	struct epoll_event ev = { .events = EPOLLIN | EPOLLET, .data.u64 = 99 }, out[4];
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	int r = 4242;
	cr_assert_eq(mp_look_epoll_wait(&r, ep, out, 4, -1), MP_LOOK_SLEEPS);
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(mp_look_epoll_wait(&r, ep, out, 4, -1), MP_LOOK_DONE);
	cr_assert_eq(r, 1);
	cr_assert_eq(out[0].data.u64, 99);
	/* Edge-triggered: the look consumed the event, as the real call would
	 * have; nothing is left for the next wait. */
	cr_assert_eq(epoll_wait(ep, out, 4, 0), 0);
	cr_assert_eq(mp_look_epoll_wait(&r, ep, out, 4, -1), MP_LOOK_SLEEPS);
	close(ep);
}

static volatile sig_atomic_t usr1_seen;

static void on_usr1(int sig)
{
	(void)sig;
	usr1_seen++;
}

Test(look, epoll_pwait_leaves_a_pending_signal_to_the_real_call, .init = pipe_up, .fini = pipe_down)
{
	int ep = epoll_create1(0);
	cr_assert_geq(ep, 0);
	struct epoll_event ev = { .events = EPOLLIN }, out[1];
	cr_assert_eq(epoll_ctl(ep, EPOLL_CTL_ADD, p[0], &ev), 0);
	struct sigaction sa = { .sa_handler = on_usr1 };
	cr_assert_eq(sigaction(SIGUSR1, &sa, NULL), 0);
	sigset_t block, open_mask;
	sigemptyset(&block);
	sigaddset(&block, SIGUSR1);
	cr_assert_eq(sigprocmask(SIG_BLOCK, &block, &open_mask), 0);
	sigdelset(&open_mask, SIGUSR1);
	int r = 0;
	cr_assert_eq(mp_look_epoll_pwait(&r, ep, out, 1, -1, &open_mask), MP_LOOK_SLEEPS);
	raise(SIGUSR1);   /* pending: blocked */
	/* With a zero timeout the kernel returns before it looks at signals
	 * and puts the mask back: the signal stays pending for the real call,
	 * which takes it (EINTR) as it would have without the look. */
	cr_assert_eq(mp_look_epoll_pwait(&r, ep, out, 1, -1, &open_mask), MP_LOOK_SLEEPS);
	cr_assert_eq(usr1_seen, 0, "the look delivered the signal");
	errno = 0;
	cr_assert_eq(epoll_pwait(ep, out, 1, -1, &open_mask), -1);
	cr_assert_eq(errno, EINTR);
	cr_assert_eq(usr1_seen, 1);
	/* Ready and pending: the events, and the signal still pending. */
	cr_assert_eq(raise(SIGUSR1), 0);
	cr_assert_eq(write(p[1], "x", 1), 1);
	cr_assert_eq(mp_look_epoll_pwait(&r, ep, out, 1, -1, &open_mask), MP_LOOK_DONE);
	cr_assert_eq(r, 1);
	cr_assert_eq(usr1_seen, 1);
	sigset_t pending;
	cr_assert_eq(sigpending(&pending), 0);
	cr_assert(sigismember(&pending, SIGUSR1), "the look took the pending signal");
	cr_assert_eq(sigprocmask(SIG_UNBLOCK, &block, NULL), 0);
	cr_assert_eq(usr1_seen, 2);
	close(ep);
}
