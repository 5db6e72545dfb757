/*
 * launcher_exec.h - helpers for the tests that run a program through the
 * launcher as a user's shell would (fork, exec, wait): start a command with
 * its stdout (and optionally stderr) on a pipe, read from it and wait for
 * it, each with a deadline, so a hang is a failure that names the command
 * rather than a test stuck until meson's timeout.
 */
#ifndef MAXPROCS_LAUNCHER_EXEC_H
#define MAXPROCS_LAUNCHER_EXEC_H

#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>
#include "itest.h"

#define LX_TIMEOUT_S 10.0

struct lx_child {
	pid_t pid;
	int out;              /* read end of its stdout */
	int err;              /* read end of its stderr, or -1 */
	const char *name;     /* for messages */
	double timeout_s;     /* for lx_wait; 0: LX_TIMEOUT_S */
	char buf[4096];       /* what was read from out (or err) so far */
	size_t len;
};

/* The child being waited for: killed if the test fails first, so a
 * failure never leaves it behind. */
static pid_t lx_live_pid;

static void lx_kill_live(void)
{
	if (lx_live_pid > 0) {
		kill(lx_live_pid, SIGKILL);
		waitpid(lx_live_pid, NULL, 0);
	}
}

/* Fork and exec argv with stdout (and stderr if capture_err) on pipes;
 * setup, if given, runs in the child just before exec. */
static inline void lx_start(struct lx_child *c, char *const argv[],
                            bool capture_err, void (*setup)(void))
{
	static bool registered;
	int out[2], err[2] = { -1, -1 };

	if (!registered) {
		atexit(lx_kill_live);
		registered = true;
	}
	memset(c, 0, sizeof *c);
	c->name = argv[0];
	it_sys(pipe2(out, O_CLOEXEC));
	if (capture_err)
		it_sys(pipe2(err, O_CLOEXEC));
	fflush(NULL);
	c->pid = (pid_t)it_sys(fork());
	if (c->pid == 0) {
		if (dup2(out[1], 1) < 0 || (capture_err && dup2(err[1], 2) < 0))
			_exit(126);
		if (setup)
			setup();
		execvp(argv[0], argv);
		dprintf(2, "cannot run %s: %s\n", argv[0], strerror(errno));
		_exit(127);
	}
	lx_live_pid = c->pid;
	close(out[1]);
	c->out = out[0];
	c->err = -1;
	if (capture_err) {
		close(err[1]);
		c->err = err[0];
	}
}

/* Read fd into c->buf until it contains want; fails on EOF or after the
 * deadline.  Returns where want starts. */
static inline const char *lx_read_until(struct lx_child *c, int fd,
                                        const char *want)
{
	double deadline = it_now() + LX_TIMEOUT_S;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	const char *hit;
	ssize_t n;
	int ms;

	for (;;) {
		c->buf[c->len] = '\0';
		hit = strstr(c->buf, want);
		if (hit)
			return hit;
		it_check(c->len < sizeof c->buf - 1,
		         "%s: output too long without '%s': %s", c->name,
		         want, c->buf);
		ms = (int)((deadline - it_now()) * 1000);
		it_check(ms > 0, "HANG: %s did not print '%s' within %.0f s "
		         "(printed '%s')", c->name, want, LX_TIMEOUT_S, c->buf);
		if (poll(&p, 1, ms) < 0) {
			it_check(errno == EINTR, "poll: %s", strerror(errno));
			continue;
		}
		if (!p.revents)
			continue;
		n = read(fd, c->buf + c->len, sizeof c->buf - 1 - c->len);
		if (n < 0 && errno == EINTR)
			continue;
		it_check(n > 0, "%s ended its output without '%s' (printed "
		         "'%s')", c->name, want, c->buf);
		c->len += (size_t)n;
	}
}

/* Everything fd gives until EOF, into buf (NUL-terminated); a hang
 * fails naming who. */
static inline void lx_read_all(int fd, char *buf, size_t size,
                               const char *who)
{
	double deadline = it_now() + LX_TIMEOUT_S;
	struct pollfd p = { .fd = fd, .events = POLLIN };
	size_t len = 0;
	ssize_t n = 1;
	int ms;

	while (n > 0 && len < size - 1) {
		ms = (int)((deadline - it_now()) * 1000);
		it_check(ms > 0, "HANG: %s did not close its output within "
		         "%.0f s", who, LX_TIMEOUT_S);
		if (poll(&p, 1, ms) <= 0)
			continue;
		n = read(fd, buf + len, size - 1 - len);
		if (n < 0 && errno == EINTR)
			n = 1;
		else if (n > 0)
			len += (size_t)n;
	}
	buf[len] = '\0';
}

/* waitpid with a deadline; a hang kills the child and fails.  Closes the
 * child's pipes. */
static inline int lx_wait(struct lx_child *c)
{
	double timeout_s = c->timeout_s > 0 ? c->timeout_s : LX_TIMEOUT_S;
	double deadline = it_now() + timeout_s;
	int status;
	pid_t got;

	while ((got = waitpid(c->pid, &status, WNOHANG)) == 0) {
		it_check(it_now() < deadline, "HANG: %s (pid %d) did not end "
		         "within %.0f s", c->name, (int)c->pid, timeout_s);
		it_sleep_ms(2);
	}
	it_check(got == c->pid, "waitpid(%d): %s", (int)c->pid,
	         strerror(errno));
	lx_live_pid = 0;
	close(c->out);
	if (c->err >= 0)
		close(c->err);
	return status;
}

/* "exit 7", "killed by SIGTERM": a wait status as a reader wants it. */
static inline const char *lx_describe(int status)
{
	static char text[64];

	if (WIFEXITED(status))
		snprintf(text, sizeof text, "exit %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(text, sizeof text, "killed by SIG%s",
		         sigabbrev_np(WTERMSIG(status)) ?
		         sigabbrev_np(WTERMSIG(status)) : "?");
	else
		snprintf(text, sizeof text, "status %#x", status);
	return text;
}

/* This test program's own path, to run it again under the launcher. */
static inline void lx_self(char *out, size_t size)
{
	ssize_t n = it_sys(readlink("/proc/self/exe", out, size - 1));

	out[n] = '\0';
}

/* The -p value the tests give the launcher: MP_LX_PROCS, or 1 (meson
 * runs the launcher tests at both: LAUNCHER_p2 sets MP_LX_PROCS=2). */
static inline char *lx_procs(void)
{
	char *procs = getenv("MP_LX_PROCS");

	return procs && *procs ? procs : "1";
}

static inline const char *lx_launcher(void)
{
	const char *launcher = getenv("MAXPROCS_LAUNCHER");

	it_check(launcher && *launcher, "MAXPROCS_LAUNCHER is not set");
	return launcher;
}

#endif
