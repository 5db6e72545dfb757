/*
 * fidelity_calls: one case per exported row of preload/calls.def, generated
 * from the table: each calls its function in a way that cannot block (a
 * bad descriptor, a zero timeout, a lock it may take, EINVAL arguments,
 * NULL where the real call tolerates it, a signal already pending) and
 * prints the return value and errno; itrun compares the plain run with the
 * library runs.
 *
 * The list of cases is made by the C preprocessor from calls.def: a row
 * without a case_<name> function fails the build ("'case_x' undeclared"),
 * and a case for a row that is gone fails it too (an unused static
 * function under -Werror).  A row that cannot be called here is EXEMPT,
 * with its reason, and covered by the test named there.
 *
 * Fortified entry points get a buffer size argument at least as large as
 * the length, so fortify's check passes and the call reaches the kernel.
 */
#include "preload/libc.h"   /* first: the table's view of the headers */

#include <limits.h>
#include <stdint.h>
#include <sys/time.h>
#include <sys/uio.h>
#include "fidelity.h"

/* The table's prototypes: the fortified and internal entry points have
 * none in the headers without _FORTIFY_SOURCE (real.h does the same). */
#define MP_CALL(class, ret, name, params, ...) ret name params;
#include "preload/calls.def"
#undef MP_CALL

#pragma GCC diagnostic ignored "-Wdeprecated-declarations"   /* sigset... */

/* A return value printed as a number (pthread_barrier_wait, getaddrinfo). */
#define FD_INT(what, expr)                                                  \
	do {                                                                \
		long fd_ret_;                                               \
		errno = 0;                                                  \
		fd_ret_ = (long)(expr);                                     \
		printf("%-44s -> %ld errno=%s\n", what, fd_ret_,            \
		       fd_errname(errno));                                  \
	} while (0)

#define EXEMPT(name, why)                                                   \
	static void case_##name(void)                                       \
	{                                                                   \
		printf("%-44s exempt: %s\n", #name, why);                   \
	}

/* NULL and a bad address, hidden from the compiler's checks. */
static void *hidden(uintptr_t v)
{
	static volatile uintptr_t box;

	box = v;
	return (void *)box;
}
#define NULLP hidden(0)

static char buf[64];
static struct iovec iov = { buf, sizeof buf };
static const struct timespec zero_ts = { 0, 0 }, bad_ts = { 0, 2000000000L };

/* ---- file and socket I/O: a bad descriptor ---- */
static void case_read(void) { FD_SYS("read(-1)", read(-1, buf, 1)); }
static void case___read_chk(void) { FD_SYS("__read_chk(-1)", __read_chk(-1, buf, 1, sizeof buf)); }
static void case_write(void) { FD_SYS("write(-1)", write(-1, "x", 1)); }
static void case_readv(void) { FD_SYS("readv(-1)", readv(-1, &iov, 1)); }
static void case_writev(void) { FD_SYS("writev(-1)", writev(-1, &iov, 1)); }
static void case_pread(void) { FD_SYS("pread(-1)", pread(-1, buf, 1, 0)); }
static void case_pread64(void) { FD_SYS("pread64(-1)", pread64(-1, buf, 1, 0)); }
static void case___pread_chk(void) { FD_SYS("__pread_chk(-1)", __pread_chk(-1, buf, 1, 0, sizeof buf)); }
static void case___pread64_chk(void) { FD_SYS("__pread64_chk(-1)", __pread64_chk(-1, buf, 1, 0, sizeof buf)); }
static void case_pwrite(void) { FD_SYS("pwrite(-1)", pwrite(-1, "x", 1, 0)); }
static void case_pwrite64(void) { FD_SYS("pwrite64(-1)", pwrite64(-1, "x", 1, 0)); }
static void case_preadv(void) { FD_SYS("preadv(-1)", preadv(-1, &iov, 1, 0)); }
static void case_preadv64(void) { FD_SYS("preadv64(-1)", preadv64(-1, &iov, 1, 0)); }
static void case_pwritev(void) { FD_SYS("pwritev(-1)", pwritev(-1, &iov, 1, 0)); }
static void case_pwritev64(void) { FD_SYS("pwritev64(-1)", pwritev64(-1, &iov, 1, 0)); }
static void case_preadv2(void)
{
	FD_SYS("preadv2(-1)", preadv2(-1, &iov, 1, 0, 0));
	FD_SYS("preadv2(-1, RWF_NOWAIT)", preadv2(-1, &iov, 1, 0, RWF_NOWAIT));
}
static void case_preadv64v2(void) { FD_SYS("preadv64v2(-1)", preadv64v2(-1, &iov, 1, 0, 0)); }
static void case_pwritev2(void)
{
	FD_SYS("pwritev2(-1)", pwritev2(-1, &iov, 1, 0, 0));
	FD_SYS("pwritev2(-1, bad flags)", pwritev2(-1, &iov, 1, 0, -1));
}
static void case_pwritev64v2(void) { FD_SYS("pwritev64v2(-1)", pwritev64v2(-1, &iov, 1, 0, 0)); }
static void case_recv(void)
{
	FD_SYS("recv(-1)", recv(-1, buf, 1, 0));
	FD_SYS("recv(-1, MSG_DONTWAIT)", recv(-1, buf, 1, MSG_DONTWAIT));
}
static void case___recv_chk(void) { FD_SYS("__recv_chk(-1)", __recv_chk(-1, buf, 1, sizeof buf, 0)); }
static void case_recvfrom(void) { FD_SYS("recvfrom(-1)", recvfrom(-1, buf, 1, 0, NULL, NULL)); }
static void case___recvfrom_chk(void)
{
	FD_SYS("__recvfrom_chk(-1)", __recvfrom_chk(-1, buf, 1, sizeof buf, 0, NULL, NULL));
}
static void case_recvmsg(void)
{
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	FD_SYS("recvmsg(-1)", recvmsg(-1, &msg, 0));
}
static void case_recvmmsg(void)
{
	struct mmsghdr m = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	struct timespec ts = zero_ts;
	FD_SYS("recvmmsg(-1)", recvmmsg(-1, &m, 1, 0, NULL));
	FD_SYS("recvmmsg(-1, zero timeout)", recvmmsg(-1, &m, 1, 0, &ts));
}
static void case_send(void) { FD_SYS("send(-1)", send(-1, "x", 1, 0)); }
static void case_sendto(void) { FD_SYS("sendto(-1)", sendto(-1, "x", 1, 0, NULL, 0)); }
static void case_sendmsg(void)
{
	struct msghdr msg = { .msg_iov = &iov, .msg_iovlen = 1 };
	FD_SYS("sendmsg(-1)", sendmsg(-1, &msg, 0));
}
static void case_sendmmsg(void)
{
	struct mmsghdr m = { .msg_hdr = { .msg_iov = &iov, .msg_iovlen = 1 } };
	FD_SYS("sendmmsg(-1)", sendmmsg(-1, &m, 1, 0));
}
static void case_accept(void) { FD_SYS("accept(-1)", accept(-1, NULL, NULL)); }
static void case_accept4(void) { FD_SYS("accept4(-1)", accept4(-1, NULL, NULL, 0)); }
static void case_connect(void) { FD_SYS("connect(-1)", connect(-1, NULL, 0)); }
static void case_sendfile(void) { FD_SYS("sendfile(-1, -1)", sendfile(-1, -1, NULL, 1)); }
static void case_sendfile64(void) { FD_SYS("sendfile64(-1, -1)", sendfile64(-1, -1, NULL, 1)); }
static void case_splice(void) { FD_SYS("splice(-1, -1)", splice(-1, NULL, -1, NULL, 1, 0)); }
static void case_tee(void) { FD_SYS("tee(-1, -1)", tee(-1, -1, 1, SPLICE_F_NONBLOCK)); }
static void case_vmsplice(void) { FD_SYS("vmsplice(-1)", vmsplice(-1, &iov, 1, 0)); }
static void case_copy_file_range(void)
{
	FD_SYS("copy_file_range(-1, -1)", copy_file_range(-1, NULL, -1, NULL, 1, 0));
}

/* ---- opening, closing, syncing, file locks ---- */
#define MISSING "/nonexistent/maxprocs"
static void case_open(void)
{
	FD_SYS("open(missing)", open(MISSING, O_RDONLY));
	FD_SYS("open(missing dir, O_CREAT)", open(MISSING "/x", O_CREAT | O_WRONLY, 0600));
}
static void case_open64(void) { FD_SYS("open64(missing)", open64(MISSING, O_RDONLY)); }
static void case_openat(void) { FD_SYS("openat(-1, relative)", openat(-1, "x", O_RDONLY)); }
static void case_openat64(void) { FD_SYS("openat64(-1, relative)", openat64(-1, "x", O_RDONLY)); }
static void case___open_2(void) { FD_SYS("__open_2(missing)", __open_2(MISSING, O_RDONLY)); }
static void case___open64_2(void) { FD_SYS("__open64_2(missing)", __open64_2(MISSING, O_RDONLY)); }
static void case___openat_2(void) { FD_SYS("__openat_2(-1, relative)", __openat_2(-1, "x", O_RDONLY)); }
static void case___openat64_2(void) { FD_SYS("__openat64_2(-1, relative)", __openat64_2(-1, "x", O_RDONLY)); }
static void case_close(void) { FD_SYS("close(-1)", close(-1)); }
static void case_fsync(void) { FD_SYS("fsync(-1)", fsync(-1)); }
static void case_fdatasync(void) { FD_SYS("fdatasync(-1)", fdatasync(-1)); }
static void case_syncfs(void) { FD_SYS("syncfs(-1)", syncfs(-1)); }
static void case_sync_file_range(void) { FD_SYS("sync_file_range(-1)", sync_file_range(-1, 0, 0, 0)); }
static void case_flock(void)
{
	FD_SYS("flock(-1, LOCK_EX)", flock(-1, LOCK_EX));
	FD_SYS("flock(-1, LOCK_EX|LOCK_NB)", flock(-1, LOCK_EX | LOCK_NB));
}
static void case_lockf(void) { FD_SYS("lockf(-1, F_LOCK)", lockf(-1, F_LOCK, 0)); }
static void case_lockf64(void) { FD_SYS("lockf64(-1, F_TLOCK)", lockf64(-1, F_TLOCK, 0)); }
static void case_fcntl(void)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	FD_SYS("fcntl(-1, F_GETFD)", fcntl(-1, F_GETFD));
	FD_SYS("fcntl(-1, F_SETLKW)", fcntl(-1, F_SETLKW, &lk));
	FD_SYS("fcntl(0, bad cmd)", fcntl(0, -1));
}
static void case_fcntl64(void)
{
	struct flock lk = { .l_type = F_WRLCK, .l_whence = SEEK_SET };
	FD_SYS("fcntl64(-1, F_GETFL)", fcntl64(-1, F_GETFL));
	FD_SYS("fcntl64(-1, F_OFD_SETLKW)", fcntl64(-1, F_OFD_SETLKW, &lk));
}

/* ---- waiting for events: zero timeouts, bad descriptors ---- */
static struct pollfd ignored_pfd = { .fd = -1, .events = POLLIN };
static void case_poll(void)
{
	FD_SYS("poll(fd -1, 0 ms)", poll(&ignored_pfd, 1, 0));
	FD_SYS("poll(no fds, 0 ms)", poll(NULL, 0, 0));
}
static void case___poll_chk(void)
{
	FD_SYS("__poll_chk(fd -1, 0 ms)", __poll_chk(&ignored_pfd, 1, 0, sizeof ignored_pfd));
}
static void case_ppoll(void)
{
	FD_SYS("ppoll(fd -1, {0,0})", ppoll(&ignored_pfd, 1, &zero_ts, NULL));
	FD_SYS("ppoll(fd -1, tv_nsec 2e9)", ppoll(&ignored_pfd, 1, &bad_ts, NULL));
}
static void case___ppoll_chk(void)
{
	FD_SYS("__ppoll_chk(fd -1, {0,0})",
	       __ppoll_chk(&ignored_pfd, 1, &zero_ts, NULL, sizeof ignored_pfd));
}
static void case_select(void)
{
	struct timeval tv = { 0, 0 };
	FD_SYS("select(0, {0,0})", select(0, NULL, NULL, NULL, &tv));
	FD_SYS("select(nfds -1)", select(-1, NULL, NULL, NULL, NULL));
}
static void case_pselect(void)
{
	FD_SYS("pselect(0, {0,0})", pselect(0, NULL, NULL, NULL, &zero_ts, NULL));
	FD_SYS("pselect(0, tv_nsec 2e9)", pselect(0, NULL, NULL, NULL, &bad_ts, NULL));
}
static void case_epoll_wait(void)
{
	struct epoll_event ev;
	FD_SYS("epoll_wait(-1)", epoll_wait(-1, &ev, 1, 0));
	FD_SYS("epoll_wait(-1, for ever)", epoll_wait(-1, &ev, 1, -1));
}
static void case_epoll_pwait(void)
{
	struct epoll_event ev;
	FD_SYS("epoll_pwait(-1)", epoll_pwait(-1, &ev, 1, 0, NULL));
}
static void case_epoll_pwait2(void)
{
	struct epoll_event ev;
	int ep = (int)it_sys(epoll_create1(0));
	FD_SYS("epoll_pwait2(-1, {0,0})", epoll_pwait2(-1, &ev, 1, &zero_ts, NULL));
	FD_SYS("epoll_pwait2(empty, {0,0})", epoll_pwait2(ep, &ev, 1, &zero_ts, NULL));
	FD_SYS("epoll_pwait2(empty, bad timeout pointer)",
	       epoll_pwait2(ep, &ev, 1, hidden(1), NULL));
	close(ep);
}

/* ---- sleeping ---- */
static void case_nanosleep(void)
{
	FD_SYS("nanosleep(tv_nsec 2e9)", nanosleep(&bad_ts, NULL));
	FD_SYS("nanosleep({0,0})", nanosleep(&zero_ts, NULL));
}
static void case_clock_nanosleep(void)
{
	FD_ERR("clock_nanosleep(bad clock)", clock_nanosleep((clockid_t)12345, 0, &zero_ts, NULL));
	FD_ERR("clock_nanosleep(MONOTONIC, {0,0})", clock_nanosleep(CLOCK_MONOTONIC, 0, &zero_ts, NULL));
}
static void case_sleep(void) { FD_SYS("sleep(0)", sleep(0)); }
static void case_usleep(void) { FD_SYS("usleep(0)", usleep(0)); FD_SYS("usleep(1)", usleep(1)); }

static void on_signal(int sig) { (void)sig; }
static void catch_signal(int sig)
{
	struct sigaction sa = { .sa_handler = on_signal };
	sigemptyset(&sa.sa_mask);
	it_sys(sigaction(sig, &sa, NULL));
}
static void block_signal(int sig, int how)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, sig);
	it_pt(pthread_sigmask(how, &set, NULL));
}
/* pause returns at the first handled signal: a 1 ms one-shot timer. */
static void case_pause(void)
{
	struct itimerval it = { .it_value = { 0, 1000 } };
	catch_signal(SIGALRM);
	it_sys(setitimer(ITIMER_REAL, &it, NULL));
	FD_SYS("pause(SIGALRM in 1 ms)", pause());
	signal(SIGALRM, SIG_DFL);
}

/* ---- processes and signals: no children, signals already pending ---- */
static void case_wait(void) { FD_SYS("wait(no children)", wait(NULL)); }
static void case_waitpid(void)
{
	FD_SYS("waitpid(no children)", waitpid(-1, NULL, 0));
	FD_SYS("waitpid(no children, WNOHANG)", waitpid(-1, NULL, WNOHANG));
}
static void case_waitid(void)
{
	siginfo_t si;
	FD_SYS("waitid(no children)", waitid(P_ALL, 0, &si, WEXITED));
	FD_SYS("waitid(bad options)", waitid(P_ALL, 0, &si, 0));
}
static void case_wait3(void) { FD_SYS("wait3(no children)", wait3(NULL, 0, NULL)); }
static void case_wait4(void) { FD_SYS("wait4(no children)", wait4(-1, NULL, 0, NULL)); }
static void case_sigsuspend(void)
{
	sigset_t none;
	sigemptyset(&none);
	catch_signal(SIGUSR1);
	block_signal(SIGUSR1, SIG_BLOCK);
	raise(SIGUSR1);
	FD_SYS("sigsuspend(SIGUSR1 pending)", sigsuspend(&none));
	block_signal(SIGUSR1, SIG_UNBLOCK);
	signal(SIGUSR1, SIG_DFL);
}
static void pend_usr2(sigset_t *set)
{
	sigemptyset(set);
	sigaddset(set, SIGUSR2);
	block_signal(SIGUSR2, SIG_BLOCK);
	raise(SIGUSR2);
}
static void case_sigwait(void)
{
	sigset_t set;
	int sig = 0;
	pend_usr2(&set);
	FD_ERR("sigwait(SIGUSR2 pending)", sigwait(&set, &sig));
	printf("%-44s %s\n", "  the signal", sig == SIGUSR2 ? "SIGUSR2" : "other");
}
static void case_sigwaitinfo(void)
{
	sigset_t set;
	pend_usr2(&set);
	FD_SYS("sigwaitinfo(SIGUSR2 pending)", sigwaitinfo(&set, NULL));
}
static void case_sigtimedwait(void)
{
	sigset_t set;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	FD_SYS("sigtimedwait(nothing pending, {0,0})", sigtimedwait(&set, NULL, &zero_ts));
	FD_SYS("sigtimedwait(tv_nsec 2e9)", sigtimedwait(&set, NULL, &bad_ts));
}
static void case_system(void)
{
	FD_INT("system(NULL)", system(NULL) != 0);
	FD_INT("system(exit 3)", system("exit 3"));
}
static void case_popen(void)
{
	FILE *f;
	FD_INT("popen(bad mode) is NULL", popen("true", "x") == NULL);
	f = popen("true", "r");
	printf("%-44s %s\n", "popen(true)", f ? "a stream" : "NULL");
	if (f)
		pclose(f);
}
static void case_pclose(void)
{
	FILE *f = popen("exit 3", "r");
	if (!f)
		it_fail("popen: %s", strerror(errno));
	FD_INT("pclose(exit 3)", pclose(f));
}
static void case__Fork(void)
{
	int status = 0;
	pid_t pid = _Fork();
	if (pid == 0)
		_exit(5);
	it_check(pid > 0, "_Fork: %s", strerror(errno));
	it_sys(waitpid(pid, &status, 0));
	printf("%-44s exit %d\n", "_Fork() child", WEXITSTATUS(status));
}
/* The child ends by _exit / _Exit, its status as given. */
static void exit_in_child(const char *label, void (*end)(int), int code)
{
	int status = 0;
	fflush(NULL);
	pid_t pid = fork();
	if (pid == 0)
		end(code);
	it_check(pid > 0, "fork: %s", strerror(errno));
	it_sys(waitpid(pid, &status, 0));
	printf("%-44s exit %d\n", label, WIFEXITED(status) ? WEXITSTATUS(status) : -1);
}
static void case__exit(void) { exit_in_child("_exit(6) in a child", _exit, 6); }
static void case__Exit(void) { exit_in_child("_Exit(7) in a child", _Exit, 7); }
#if defined(__x86_64__)
EXEMPT(vfork, "the child borrows this stack and may only exec or _exit: "
              "covered by vfork_child_signals and release_system")
#endif
static void case_clone(void)
{
	FD_SYS("clone(NULL fn, NULL stack)", clone(NULLP, NULLP, 0, NULL));
}

/* ---- dispositions: invalid signals, and the library's own ---- */
static void case_sigaction(void)
{
	struct sigaction old;
	FD_SYS("sigaction(0)", sigaction(0, NULL, NULL));
	FD_SYS("sigaction(SIGKILL, set)", sigaction(SIGKILL, &(struct sigaction){ .sa_handler = on_signal }, NULL));
	FD_SYS("sigaction(SIGURG, NULL, &old)", sigaction(SIGURG, NULL, &old));
	printf("%-44s %s\n", "  SIGURG is SIG_DFL", old.sa_handler == SIG_DFL ? "yes" : "no");
}
#define FD_DISP(what, expr)                                                 \
	do {                                                                \
		__sighandler_t fd_h_;                                       \
		errno = 0;                                                  \
		fd_h_ = (expr);                                             \
		printf("%-44s -> %s errno=%s\n", what,                      \
		       fd_h_ == SIG_ERR ? "SIG_ERR" : fd_h_ == SIG_DFL ? "SIG_DFL" : \
		       fd_h_ == SIG_IGN ? "SIG_IGN" : "a handler",          \
		       fd_errname(errno));                                  \
	} while (0)
static void case_signal(void)
{
	FD_DISP("signal(0)", signal(0, SIG_DFL));
	FD_DISP("signal(SIGURG, SIG_IGN)", signal(SIGURG, SIG_IGN));
	FD_DISP("signal(SIGURG, SIG_DFL)", signal(SIGURG, SIG_DFL));
}
static void case_sysv_signal(void)
{
	FD_DISP("sysv_signal(-1)", sysv_signal(-1, SIG_DFL));
	FD_DISP("sysv_signal(SIGURG, SIG_DFL)", sysv_signal(SIGURG, SIG_DFL));
}
static void case_bsd_signal(void)
{
	FD_DISP("bsd_signal(NSIG)", bsd_signal(NSIG, SIG_DFL));
	FD_DISP("bsd_signal(SIGURG, SIG_DFL)", bsd_signal(SIGURG, SIG_DFL));
}
static void case_sigprocmask(void)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	FD_SYS("sigprocmask(bad how)", sigprocmask(12345, &set, NULL));
	FD_SYS("sigprocmask(BLOCK, USR2)", sigprocmask(SIG_BLOCK, &set, &old));
	FD_SYS("sigprocmask(SETMASK, old)", sigprocmask(SIG_SETMASK, &old, NULL));
}

static void case_pthread_sigmask(void)
{
	sigset_t set, old;
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	FD_ERR("pthread_sigmask(bad how)", pthread_sigmask(12345, &set, NULL));
	FD_ERR("pthread_sigmask(BLOCK, USR2)", pthread_sigmask(SIG_BLOCK, &set, &old));
	FD_ERR("pthread_sigmask(SETMASK, old)", pthread_sigmask(SIG_SETMASK, &old, NULL));
}

static void case_sigignore(void) { FD_SYS("sigignore(0)", sigignore(0)); }
static void case_siginterrupt(void)
{
	FD_SYS("siginterrupt(0, 1)", siginterrupt(0, 1));
	FD_SYS("siginterrupt(SIGURG, 0)", siginterrupt(SIGURG, 0));
}
static void case_sigset(void)
{
	FD_DISP("sigset(0)", sigset(0, SIG_DFL));
	FD_DISP("sigset(SIGURG, SIG_DFL)", sigset(SIGURG, SIG_DFL));
}

/* ---- threads ---- */
static void *returns_42(void *arg) { (void)arg; return (void *)42; }
static void *exits_7(void *arg) { (void)arg; pthread_exit((void *)7); }
static void join_print(const char *what, pthread_t t)
{
	void *ret = NULL;
	it_pt(pthread_join(t, &ret));
	printf("%-44s %ld\n", what, (long)(intptr_t)ret);
}
static void case_pthread_create(void)
{
	pthread_t t;
	FD_ERR("pthread_create", pthread_create(&t, NULL, returns_42, NULL));
	join_print("  joined, returned", t);
}
static void case_pthread_exit(void)
{
	pthread_t t;
	it_pt(pthread_create(&t, NULL, exits_7, NULL));
	join_print("pthread_exit(7) in a thread, joined", t);
}
static void case_pthread_join(void) { FD_ERR("pthread_join(self)", pthread_join(pthread_self(), NULL)); }
static void case_pthread_timedjoin_np(void)
{
	FD_ERR("pthread_timedjoin_np(self)", pthread_timedjoin_np(pthread_self(), NULL, &zero_ts));
}
static void case_pthread_clockjoin_np(void)
{
	FD_ERR("pthread_clockjoin_np(self, MONOTONIC)",
	       pthread_clockjoin_np(pthread_self(), NULL, CLOCK_MONOTONIC, &zero_ts));
}
static void case_pthread_cond_wait(void)
{
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	pthread_mutex_t m = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	FD_ERR("pthread_cond_wait(errorcheck, not held)", pthread_cond_wait(&c, &m));
}
static void case_pthread_cond_timedwait(void)
{
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	it_pt(pthread_mutex_lock(&m));
	FD_ERR("pthread_cond_timedwait(past deadline)", pthread_cond_timedwait(&c, &m, &zero_ts));
	it_pt(pthread_mutex_unlock(&m));
}
static void case_pthread_cond_clockwait(void)
{
	pthread_cond_t c = PTHREAD_COND_INITIALIZER;
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	it_pt(pthread_mutex_lock(&m));
	FD_ERR("pthread_cond_clockwait(bad clock)",
	       pthread_cond_clockwait(&c, &m, (clockid_t)12345, &zero_ts));
	FD_ERR("pthread_cond_clockwait(MONOTONIC, past)",
	       pthread_cond_clockwait(&c, &m, CLOCK_MONOTONIC, &zero_ts));
	it_pt(pthread_mutex_unlock(&m));
}
static void case_pthread_barrier_wait(void)
{
	pthread_barrier_t b;
	it_pt(pthread_barrier_init(&b, NULL, 1));
	FD_INT("pthread_barrier_wait(count 1)", pthread_barrier_wait(&b));
	pthread_barrier_destroy(&b);
}

/* ---- TRY_FIRST: free locks, own locks, what glibc rejects ---- */
static void case_pthread_mutex_lock(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	pthread_mutex_t r = PTHREAD_RECURSIVE_MUTEX_INITIALIZER_NP;
	FD_ERR("pthread_mutex_lock(free)", pthread_mutex_lock(&m));
	FD_ERR("pthread_mutex_lock(errorcheck, free)", pthread_mutex_lock(&e));
	FD_ERR("pthread_mutex_lock(errorcheck, own)", pthread_mutex_lock(&e));
	FD_ERR("pthread_mutex_lock(recursive, free)", pthread_mutex_lock(&r));
	FD_ERR("pthread_mutex_lock(recursive, own)", pthread_mutex_lock(&r));
}
static void case_pthread_mutex_timedlock(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	pthread_mutex_t e = PTHREAD_ERRORCHECK_MUTEX_INITIALIZER_NP;
	FD_ERR("pthread_mutex_timedlock(free, NULL)", pthread_mutex_timedlock(&m, NULLP));
	it_pt(pthread_mutex_unlock(&m));
	FD_ERR("pthread_mutex_timedlock(free, tv_nsec 2e9)", pthread_mutex_timedlock(&m, &bad_ts));
	it_pt(pthread_mutex_lock(&e));
	FD_ERR("pthread_mutex_timedlock(errorcheck, own)", pthread_mutex_timedlock(&e, &zero_ts));
}
static void case_pthread_mutex_clocklock(void)
{
	pthread_mutex_t m = PTHREAD_MUTEX_INITIALIZER;
	FD_ERR("pthread_mutex_clocklock(bad clock)", pthread_mutex_clocklock(&m, (clockid_t)12345, &zero_ts));
	FD_ERR("pthread_mutex_clocklock(free, MONOTONIC)", pthread_mutex_clocklock(&m, CLOCK_MONOTONIC, &zero_ts));
}
static void case_pthread_rwlock_rdlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	FD_ERR("pthread_rwlock_rdlock(free)", pthread_rwlock_rdlock(&l));
	FD_ERR("pthread_rwlock_rdlock(read-held)", pthread_rwlock_rdlock(&l));
}
static void case_pthread_rwlock_wrlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	FD_ERR("pthread_rwlock_wrlock(free)", pthread_rwlock_wrlock(&l));
	FD_ERR("pthread_rwlock_wrlock(write-held by self)", pthread_rwlock_wrlock(&l));
}
static void case_pthread_rwlock_timedrdlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	FD_ERR("pthread_rwlock_timedrdlock(free, NULL)", pthread_rwlock_timedrdlock(&l, NULLP));
	it_pt(pthread_rwlock_unlock(&l));
	FD_ERR("pthread_rwlock_timedrdlock(free, tv_nsec 2e9)", pthread_rwlock_timedrdlock(&l, &bad_ts));
	it_pt(pthread_rwlock_wrlock(&l));
	FD_ERR("pthread_rwlock_timedrdlock(write-held by self)", pthread_rwlock_timedrdlock(&l, &zero_ts));
}
static void case_pthread_rwlock_timedwrlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	FD_ERR("pthread_rwlock_timedwrlock(free, NULL)", pthread_rwlock_timedwrlock(&l, NULLP));
	FD_ERR("pthread_rwlock_timedwrlock(own, past)", pthread_rwlock_timedwrlock(&l, &zero_ts));
}
static void case_pthread_rwlock_clockrdlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	FD_ERR("pthread_rwlock_clockrdlock(bad clock)", pthread_rwlock_clockrdlock(&l, (clockid_t)12345, &zero_ts));
	FD_ERR("pthread_rwlock_clockrdlock(bad clock, NULL)", pthread_rwlock_clockrdlock(&l, (clockid_t)12345, NULLP));
}
static void case_pthread_rwlock_clockwrlock(void)
{
	pthread_rwlock_t l = PTHREAD_RWLOCK_INITIALIZER;
	FD_ERR("pthread_rwlock_clockwrlock(free, MONOTONIC)", pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &zero_ts));
	FD_ERR("pthread_rwlock_clockwrlock(own, MONOTONIC)", pthread_rwlock_clockwrlock(&l, CLOCK_MONOTONIC, &zero_ts));
}
static void case_sem_wait(void)
{
	sem_t s;
	it_sys(sem_init(&s, 0, 1));
	errno = EDOM;   /* a successful wait leaves errno alone */
	printf("%-44s ret=%d", "sem_wait(count 1)", sem_wait(&s));
	printf(" errno=%s\n", fd_errname(errno));
	sem_destroy(&s);
}
static void case_sem_timedwait(void)
{
	sem_t s;
	it_sys(sem_init(&s, 0, 0));
	FD_SYS("sem_timedwait(count 0, past)", sem_timedwait(&s, &zero_ts));
	FD_SYS("sem_timedwait(tv_nsec 2e9)", sem_timedwait(&s, &bad_ts));
	it_sys(sem_post(&s));
	FD_SYS("sem_timedwait(count 1)", sem_timedwait(&s, &zero_ts));
	sem_destroy(&s);
}
static void case_sem_clockwait(void)
{
	sem_t s;
	it_sys(sem_init(&s, 0, 1));
	FD_SYS("sem_clockwait(bad clock)", sem_clockwait(&s, (clockid_t)12345, &zero_ts));
	FD_SYS("sem_clockwait(MONOTONIC, count 1)", sem_clockwait(&s, CLOCK_MONOTONIC, &zero_ts));
	FD_SYS("sem_clockwait(MONOTONIC, count 0, past)", sem_clockwait(&s, CLOCK_MONOTONIC, &zero_ts));
	sem_destroy(&s);
}
static void case_pthread_spin_lock(void)
{
	pthread_spinlock_t l;
	it_pt(pthread_spin_init(&l, PTHREAD_PROCESS_PRIVATE));
	FD_ERR("pthread_spin_lock(free)", pthread_spin_lock(&l));
	pthread_spin_destroy(&l);
}
static void case_sched_yield(void) { FD_SYS("sched_yield()", sched_yield()); }

/* ---- IPC: bad ids and queues ---- */
static void case_msgsnd(void) { FD_SYS("msgsnd(bad id)", msgsnd(-1, buf, 1, 0)); }
static void case_msgrcv(void) { FD_SYS("msgrcv(bad id, IPC_NOWAIT)", msgrcv(-1, buf, 1, 0, IPC_NOWAIT)); }
static void case_semop(void)
{
	struct sembuf op = { 0, -1, 0 };
	FD_SYS("semop(bad id)", semop(-1, &op, 1));
}
static void case_semtimedop(void)
{
	struct sembuf op = { 0, -1, 0 };
	FD_SYS("semtimedop(bad id)", semtimedop(-1, &op, 1, &zero_ts));
}
static void case_mq_send(void) { FD_SYS("mq_send(-1)", mq_send((mqd_t)-1, "x", 1, 0)); }
static void case_mq_receive(void) { FD_SYS("mq_receive(-1)", mq_receive((mqd_t)-1, buf, sizeof buf, NULL)); }
static void case_mq_timedsend(void) { FD_SYS("mq_timedsend(-1)", mq_timedsend((mqd_t)-1, "x", 1, 0, &zero_ts)); }
static void case_mq_timedreceive(void)
{
	FD_SYS("mq_timedreceive(-1)", mq_timedreceive((mqd_t)-1, buf, sizeof buf, NULL, &zero_ts));
}

/* ---- everything else ---- */
static void case_getaddrinfo(void)
{
	struct addrinfo *res = NULL;
	FD_INT("getaddrinfo(NULL, NULL)", getaddrinfo(NULL, NULL, NULL, &res));
}
static void case_getnameinfo(void)
{
	struct sockaddr_storage ss = { .ss_family = AF_UNSPEC };
	char host[64];
	FD_INT("getnameinfo(AF_UNSPEC)", getnameinfo((struct sockaddr *)&ss, sizeof ss,
	                                             host, sizeof host, NULL, 0, NI_NUMERICHOST));
}
static void case_getrandom(void)
{
	FD_SYS("getrandom(16, GRND_NONBLOCK)", getrandom(buf, 16, GRND_NONBLOCK));
	FD_SYS("getrandom(bad flags)", getrandom(buf, 16, 0xffff));
}
static void case_syscall(void)
{
	FD_SYS("syscall(SYS_read, -1)", syscall(SYS_read, -1, buf, 1));
	FD_SYS("syscall(-1)", syscall(-1));
}

/* exec: a path that does not exist, so nothing is replaced. */
static char *const fd_argv[] = { "nonexistent", NULL };
extern char **environ;
static void case_execve(void) { FD_SYS("execve(/nonexistent)", execve("/nonexistent", fd_argv, environ)); }
static void case_execv(void) { FD_SYS("execv(/nonexistent)", execv("/nonexistent", fd_argv)); }
static void case_execvp(void) { FD_SYS("execvp(nonexistent-mp)", execvp("nonexistent-mp", fd_argv)); }
static void case_execvpe(void) { FD_SYS("execvpe(nonexistent-mp)", execvpe("nonexistent-mp", fd_argv, environ)); }
static void case_fexecve(void) { FD_SYS("fexecve(-1)", fexecve(-1, fd_argv, environ)); }
static void case_execl(void) { FD_SYS("execl(/nonexistent, a, b)", execl("/nonexistent", "a", "b", (char *)NULL)); }
static void case_execlp(void) { FD_SYS("execlp(nonexistent-mp, a)", execlp("nonexistent-mp", "a", (char *)NULL)); }
static void case_execle(void) { FD_SYS("execle(/nonexistent, a)", execle("/nonexistent", "a", (char *)NULL, environ)); }
static void case_posix_spawn(void)
{
	pid_t pid;
	int status = 0;
	char *const argv[] = { "true", NULL };
	FD_ERR("posix_spawn(/nonexistent)", posix_spawn(&pid, "/nonexistent", NULL, NULL, fd_argv, environ));
	FD_ERR("posix_spawn(/bin/true)", posix_spawn(&pid, "/bin/true", NULL, NULL, argv, environ));
	it_sys(waitpid(pid, &status, 0));
	printf("%-44s exit %d\n", "posix_spawn(/bin/true) child", WEXITSTATUS(status));
}
static void case_posix_spawnp(void)
{
	pid_t pid;
	int status = 0;
	char *const argv[] = { "sh", "-c", "exit 6", NULL };
	FD_ERR("posix_spawnp(nonexistent-mp)", posix_spawnp(&pid, "nonexistent-mp", NULL, NULL, fd_argv, environ));
	FD_ERR("posix_spawnp(sh)", posix_spawnp(&pid, "sh", NULL, NULL, argv, environ));
	it_sys(waitpid(pid, &status, 0));
	printf("%-44s exit %d\n", "posix_spawnp(sh -c exit 6) child", WEXITSTATUS(status));
}

/* ---- the table: one case per exported row, in table order ---- */
struct fd_case {
	const char *name;
	void (*run)(void);
};
#define MP_CASE(name) { #name, case_##name },
#define MP_CASE_MAY_BLOCK(name) MP_CASE(name)
#define MP_CASE_BLOCKING(name) MP_CASE(name)
#define MP_CASE_TRY_FIRST(name) MP_CASE(name)
#define MP_CASE_LOOK_FIRST(name) MP_CASE(name)
#define MP_CASE_CUSTOM(name) MP_CASE(name)
#define MP_CASE_REAL(name)
static const struct fd_case cases[] = {
#define MP_CALL(class, ret, name, ...) MP_CASE_##class(name)
#include "preload/calls.def"
#undef MP_CALL
};

int main(void)
{
	size_t i;

	it_check_mode();
	setvbuf(stdout, NULL, _IOLBF, 0);
	for (i = 0; i < sizeof cases / sizeof cases[0]; i++) {
		printf("[%s]\n", cases[i].name);
		cases[i].run();
	}
	printf("%zu rows\n", i);
	return IT_PASS;
}
