/* launcher_exec: `maxprocs -p 1 -- PROG` started with fork+exec is PROG itself: the parent gets PROG's PID, every signal sent to it reaches PROG, PROG inherits the parent's ignored signals, mask and fds, and the parent sees PROG's own status (a signal death as that signal). usage: launcher_exec CHECK; see checks[] below. */
#include <stdarg.h>
#include "launcher_exec.h"

/* The signals the program reports on and can catch. */
static const int report_signals[] = {
	SIGHUP, SIGINT, SIGQUIT, SIGUSR1, SIGUSR2, SIGPIPE, SIGALRM, SIGTERM,
	SIGWINCH, SIGURG,
};
#define NREPORT (int)(sizeof report_signals / sizeof report_signals[0])

/* Says which signal came and who the parent is then: still the test, not
 * init, if whatever started the program has not died and orphaned it. */
static void on_signal(int sig)
{
	char msg[64];
	int n = snprintf(msg, sizeof msg, "got SIG%s ppid=%d\n",
	                 sigabbrev_np(sig), (int)getppid());

	if (write(1, msg, (size_t)n) < 0)
		_exit(6);
	_exit(5);
}

static int signal_number(const char *name)
{
	int i;

	for (i = 0; i < NREPORT; i++)
		if (strcmp(name, sigabbrev_np(report_signals[i])) == 0)
			return report_signals[i];
	it_fail("unknown signal name '%s'", name);
}

/* The fds among 0..1023 that survive an exec, as " 0 1 2 9"; before the
 * exec that leaves out the close-on-exec ones, after it there are none. */
static void list_fds(char *out, size_t size)
{
	size_t len = 0;
	int fd, flags;

	out[0] = '\0';
	for (fd = 0; fd < 1024 && len < size; fd++) {
		flags = fcntl(fd, F_GETFD);
		if (flags >= 0 && !(flags & FD_CLOEXEC))
			len += (size_t)snprintf(out + len, size - len, " %d", fd);
	}
}

/*
 * Under the launcher: launcher_exec program [--exit N] [SIGNAME...].
 * Prints its pid and parent, the signals it inherited as ignored and
 * blocked, the first LD_PRELOAD entry and whether its fds are the ones the
 * parent had before exec (MP_LX_FDS); then exits N, or catches the named
 * signals (each handler prints "got SIGX ppid=P" and exits 5) and says
 * ready.
 */
static int program_main(int argc, char **argv)
{
	struct sigaction sa = { .sa_handler = on_signal }, old;
	const char *preload = getenv("LD_PRELOAD"), *want_fds;
	char fds[1024];
	sigset_t mask;
	int i, exit_code = -1;

	printf("pid=%d ppid=%d\n", (int)getpid(), (int)getppid());
	it_sys(sigprocmask(SIG_SETMASK, NULL, &mask));
	printf("ignored:");
	for (i = 0; i < NREPORT; i++) {
		it_sys(sigaction(report_signals[i], NULL, &old));
		if (old.sa_handler == SIG_IGN)
			printf(" %s", sigabbrev_np(report_signals[i]));
	}
	printf("\nblocked:");
	for (i = 0; i < NREPORT; i++)
		if (sigismember(&mask, report_signals[i]))
			printf(" %s", sigabbrev_np(report_signals[i]));
	printf("\npreload first: %.*s\n",
	       preload ? (int)strcspn(preload, ": ") : 6,
	       preload ? preload : "(none)");
	want_fds = getenv("MP_LX_FDS");
	if (want_fds) {
		list_fds(fds, sizeof fds);
		if (strcmp(fds, want_fds) == 0)
			printf("fds: same\n");
		else
			printf("fds: differ: before exec%s, in the program%s\n",
			       want_fds, fds);
	}

	sigemptyset(&sa.sa_mask);
	for (i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--exit") == 0 && i + 1 < argc)
			exit_code = atoi(argv[++i]);
		else
			it_sys(sigaction(signal_number(argv[i]), &sa, NULL));
	}
	if (exit_code >= 0) {
		fflush(stdout);
		return exit_code;
	}
	printf("ready\n");
	fflush(stdout);
	for (;;)
		pause();
}

static char self[4096];

/* Start `maxprocs -p 1 -- self program ARGS...` (NULL-terminated). */
static void start_program(struct lx_child *c, void (*setup)(void), ...)
{
	char *argv[16] = { (char *)lx_launcher(), "-p", lx_procs(), "--", self,
	                   "program" };
	int argc = 6;
	va_list ap;

	va_start(ap, setup);
	while (argc < 15 && (argv[argc] = va_arg(ap, char *)) != NULL)
		argc++;
	va_end(ap);
	argv[argc] = NULL;
	lx_start(c, argv, false, setup);
	c->name = "maxprocs -p 1 -- launcher_exec program";
}

/* The value after "key" in the program's report, up to the line's end. */
static void report_field(struct lx_child *c, const char *key, char *out,
                         size_t size)
{
	const char *p = strstr(c->buf, key);

	it_check(p, "%s: no '%s' in its report '%s'", c->name, key, c->buf);
	p += strlen(key);
	snprintf(out, size, "%.*s", (int)strcspn(p, "\n"), p);
}

/* The program reports it is the launched PID and our child. */
static void check_is_child(struct lx_child *c)
{
	int pid = -1, ppid = -1;
	const char *line = strstr(c->buf, "pid=");

	it_check(line && sscanf(line, "pid=%d ppid=%d", &pid, &ppid) == 2,
	         "%s: no pid line in '%s'", c->name, c->buf);
	it_check(pid == c->pid, "the program runs as pid %d, but the launcher "
	         "was started as pid %d: it is not exec'd in place", pid,
	         (int)c->pid);
	it_check(ppid == getpid(), "the program's parent is %d, not the test "
	         "(%d)", ppid, (int)getpid());
}

static void expect_status(struct lx_child *c, int status, bool signaled,
                          int value, const char *what)
{
	bool ok = signaled ? WIFSIGNALED(status) && WTERMSIG(status) == value
	                   : WIFEXITED(status) && WEXITSTATUS(status) == value;

	it_check(ok, "%s: %s: the parent saw %s, expected %s %d", c->name,
	         what, lx_describe(status), signaled ? "death by signal" :
	         "exit", value);
}

/* Wait for the program's handler to report sig, received while it was
 * still our child. */
static void expect_caught(struct lx_child *c, int sig)
{
	char want[64];

	snprintf(want, sizeof want, "got SIG%s ppid=%d\n", sigabbrev_np(sig),
	         (int)getpid());
	lx_read_until(c, c->out, want);
}

/* 1: the PID the parent gets is the program's, and the program is our
 * child with the library preloaded. */
static void check_same_pid(void)
{
	struct lx_child c;
	char comm[64] = "", path[64], first[4096];
	FILE *f;

	start_program(&c, NULL, "TERM", (char *)NULL);
	lx_read_until(&c, c.out, "ready\n");
	check_is_child(&c);
	snprintf(path, sizeof path, "/proc/%d/comm", (int)c.pid);
	f = fopen(path, "r");
	it_check(f && fgets(comm, sizeof comm, f), "%s: %s", path,
	         strerror(errno));
	fclose(f);
	it_check(strcmp(comm, "launcher_exec\n") == 0, "pid %d is '%.*s', "
	         "not the program", (int)c.pid, (int)strcspn(comm, "\n"),
	         comm);
	report_field(&c, "preload first: ", first, sizeof first);
	it_check(strlen(first) > 15 &&
	         strcmp(first + strlen(first) - 15, "/libmaxprocs.so") == 0,
	         "first LD_PRELOAD entry is '%s', not libmaxprocs.so", first);
	it_sys(kill(c.pid, SIGTERM));
	expect_caught(&c, SIGTERM);
	expect_status(&c, lx_wait(&c), false, 5, "after SIGTERM");
	printf("the launched PID is the program, our child\n");
}

/* 2: every catchable signal sent to the launched PID reaches the program's
 * handler, and the program is still our child when it gets it. */
static void check_signals_reach_program(void)
{
	struct lx_child c;
	int i;

	for (i = 0; i < NREPORT; i++) {
		int sig = report_signals[i];

		start_program(&c, NULL, sigabbrev_np(sig), (char *)NULL);
		lx_read_until(&c, c.out, "ready\n");
		it_sys(kill(c.pid, sig));
		expect_caught(&c, sig);
		expect_status(&c, lx_wait(&c), false, 5, "after its handler");
		printf("SIG%s reached the program\n", sigabbrev_np(sig));
	}
}

/* True once pid runs dd and catches SIGUSR1 (its progress report), read
 * from /proc so the signal is not sent before dd is ready for it. */
static bool dd_ready(pid_t pid, char *name, size_t size)
{
	char path[64], line[256];
	bool is_dd = false, catches = false;
	unsigned long long caught;
	FILE *f;

	snprintf(path, sizeof path, "/proc/%d/status", (int)pid);
	f = fopen(path, "r");
	if (!f)
		return false;
	while (fgets(line, sizeof line, f)) {
		if (strncmp(line, "Name:\t", 6) == 0) {
			snprintf(name, size, "%.*s", (int)strcspn(line + 6, "\n"),
			         line + 6);
			is_dd = strcmp(name, "dd") == 0;
		}
		if (sscanf(line, "SigCgt: %llx", &caught) == 1)
			catches = caught & (1ULL << (SIGUSR1 - 1));
	}
	fclose(f);
	return is_dd && catches;
}

/* 2, with a real program: `kill -USR1` makes dd print its progress report
 * and go on; the launcher must not die and leave dd orphaned. */
static int check_dd_usr1(void)
{
	char *argv[] = { (char *)lx_launcher(), "-p", lx_procs(), "--", "dd",
	                 "if=/dev/zero", "of=/dev/null", "bs=64k",
	                 "count=100000000", NULL };
	struct lx_child c;
	char name[64] = "?";
	double deadline;
	int status;

	if (access("/bin/dd", X_OK) != 0 && access("/usr/bin/dd", X_OK) != 0) {
		fprintf(stderr, "SKIP: no dd\n");
		return IT_SKIP;
	}
	lx_start(&c, argv, true, NULL);
	c.name = "maxprocs -p 1 -- dd";
	deadline = it_now() + LX_TIMEOUT_S;
	while (!dd_ready(c.pid, name, sizeof name)) {
		it_check(waitpid(c.pid, &status, WNOHANG) == 0,
		         "%s ended before it was sent SIGUSR1: %s", c.name,
		         lx_describe(status));
		it_check(it_now() < deadline, "HANG: pid %d is still '%s' after "
		         "%.0f s, not dd catching SIGUSR1 (the launcher did not "
		         "exec dd in place)", (int)c.pid, name, LX_TIMEOUT_S);
		it_sleep_ms(5);
	}
	it_sys(kill(c.pid, SIGUSR1));
	lx_read_until(&c, c.err, "records in");
	it_check(waitpid(c.pid, &status, WNOHANG) == 0,
	         "%s ended after SIGUSR1: %s", c.name, lx_describe(status));
	it_sys(kill(c.pid, SIGTERM));
	expect_status(&c, lx_wait(&c), true, SIGTERM, "after SIGTERM");
	printf("dd printed its progress on SIGUSR1 and went on\n");
	return IT_PASS;
}

/* As `sh -c 'cmd &'` starts cmd: SIGINT and SIGQUIT ignored; and SIGUSR2
 * blocked, as a caller's mask may have it. */
static void ignore_int_quit_block_usr2(void)
{
	sigset_t set;

	signal(SIGINT, SIG_IGN);
	signal(SIGQUIT, SIG_IGN);
	sigemptyset(&set);
	sigaddset(&set, SIGUSR2);
	sigprocmask(SIG_BLOCK, &set, NULL);
}

/* 3: the program inherits the ignored signals and the mask; one that sets
 * its own handler for an inherited-ignored signal (nginx and SIGQUIT)
 * gets it, and an ignored one stays harmless. */
static void check_keeps_ignored_and_mask(void)
{
	struct lx_child c;
	char field[256];

	start_program(&c, ignore_int_quit_block_usr2, "QUIT", (char *)NULL);
	lx_read_until(&c, c.out, "ready\n");
	report_field(&c, "ignored:", field, sizeof field);
	it_check(strcmp(field, " INT QUIT") == 0, "the program inherited "
	         "ignored signals '%s', expected ' INT QUIT'", field);
	report_field(&c, "blocked:", field, sizeof field);
	it_check(strcmp(field, " USR2") == 0, "the program inherited blocked "
	         "signals '%s', expected ' USR2'", field);
	/* SIGINT first: were it not ignored, it would kill the program
	 * before its SIGQUIT handler could exit 5. */
	it_sys(kill(c.pid, SIGINT));
	it_sys(kill(c.pid, SIGQUIT));
	expect_caught(&c, SIGQUIT);
	expect_status(&c, lx_wait(&c), false, 5, "after SIGINT, SIGQUIT");
	printf("ignored INT, QUIT and blocked USR2 kept; "
	       "the program's own SIGQUIT handler got SIGQUIT\n");
}

/* An fd the program must see (no O_CLOEXEC), at a number of its own. */
static void open_extra_fd_and_list(void)
{
	char fds[1024];
	int fd = open("/dev/null", O_RDONLY);

	if (fd < 0 || dup2(fd, 9) < 0)
		_exit(126);
	close(fd);
	list_fds(fds, sizeof fds);
	if (setenv("MP_LX_FDS", fds, 1) != 0)
		_exit(126);
}

/* The program has exactly the fds its parent had before exec. */
static void check_keeps_fds(void)
{
	struct lx_child c;
	char field[1024];

	start_program(&c, open_extra_fd_and_list, "--exit", "0", (char *)NULL);
	lx_read_until(&c, c.out, "fds: ");
	report_field(&c, "fds: ", field, sizeof field);
	it_check(strcmp(field, "same") == 0, "%s", field);
	expect_status(&c, lx_wait(&c), false, 0, "exit 0");
	printf("the program has the fds its parent had\n");
}

/* 4: a program killed by a signal is seen as killed by it, not exit
 * 128+N: by another process, and by itself through sh. */
static void check_killed_by_signal(void)
{
	char *sh_argv[] = { (char *)lx_launcher(), "-p", lx_procs(), "sh", "-c",
	                    "kill -TERM $$", NULL };
	struct lx_child c;

	start_program(&c, NULL, (char *)NULL);
	lx_read_until(&c, c.out, "ready\n");
	it_sys(kill(c.pid, SIGTERM));
	expect_status(&c, lx_wait(&c), true, SIGTERM, "sent SIGTERM");
	printf("SIGTERM from outside: killed by SIGTERM\n");

	lx_start(&c, sh_argv, false, NULL);
	c.name = "maxprocs -p 1 sh -c 'kill -TERM $$'";
	expect_status(&c, lx_wait(&c), true, SIGTERM, "killed itself");
	printf("sh -c 'kill -TERM $$': killed by SIGTERM\n");
}

/* 5: the program's exit status is the parent's; 126 and 127 when it
 * cannot be run. */
static void check_exit_status(void)
{
	static const struct {
		const char *program;
		int status;
	} cannot_run[] = {
		{ "no-such-program-maxprocs", 127 },
		{ "/nonexistent/program", 127 },
		{ "/etc/passwd", 126 },
		{ "/", 126 },
	};
	struct lx_child c;
	size_t i;

	start_program(&c, NULL, "--exit", "7", (char *)NULL);
	lx_read_until(&c, c.out, "preload first: ");
	expect_status(&c, lx_wait(&c), false, 7, "program exits 7");
	printf("exit 7 passed through\n");
	for (i = 0; i < sizeof cannot_run / sizeof cannot_run[0]; i++) {
		char *argv[] = { (char *)lx_launcher(), "-p", lx_procs(), "--",
		                 (char *)cannot_run[i].program, NULL };

		lx_start(&c, argv, true, NULL);
		c.name = cannot_run[i].program;
		lx_read_until(&c, c.err, "maxprocs: cannot run");
		expect_status(&c, lx_wait(&c), false, cannot_run[i].status,
		              "cannot be run");
		printf("%s: exit %d\n", cannot_run[i].program,
		       cannot_run[i].status);
	}
}

/* 7: under nohup the program keeps SIGHUP ignored. */
static int check_nohup(void)
{
	char *argv[] = { "nohup", (char *)lx_launcher(), "-p", lx_procs(), self,
	                 "program", NULL };
	struct lx_child c;
	char field[256];

	if (access("/usr/bin/nohup", X_OK) != 0 &&
	    access("/bin/nohup", X_OK) != 0) {
		fprintf(stderr, "SKIP: no nohup\n");
		return IT_SKIP;
	}
	lx_start(&c, argv, false, NULL);
	c.name = "nohup maxprocs -p 1 launcher_exec program";
	lx_read_until(&c, c.out, "ready\n");
	report_field(&c, "ignored:", field, sizeof field);
	it_check(strcmp(field, " HUP") == 0, "under nohup the program "
	         "inherited ignored signals '%s', expected ' HUP'", field);
	/* SIGHUP first: not ignored, it would be the cause of death. */
	it_sys(kill(c.pid, SIGHUP));
	it_sys(kill(c.pid, SIGTERM));
	expect_status(&c, lx_wait(&c), true, SIGTERM, "after SIGHUP, SIGTERM");
	printf("SIGHUP stays ignored under nohup\n");
	return IT_PASS;
}

/* Start from default dispositions and an empty mask for the signals the
 * program reports on (itrun ignores SIGPIPE), so each check sets exactly
 * what it expects the program to inherit. */
static void reset_signals(void)
{
	sigset_t set;
	int i;

	sigemptyset(&set);
	for (i = 0; i < NREPORT; i++) {
		signal(report_signals[i], SIG_DFL);
		sigaddset(&set, report_signals[i]);
	}
	it_sys(sigprocmask(SIG_UNBLOCK, &set, NULL));
}

int main(int argc, char **argv)
{
	if (argc >= 2 && strcmp(argv[1], "program") == 0)
		return program_main(argc - 2, argv + 2);
	it_check(argc == 2, "usage: launcher_exec same-pid|signals|dd-usr1|"
	         "ignored-and-mask|fds|killed-by-signal|exit-status|nohup");
	lx_self(self, sizeof self);
	setvbuf(stdout, NULL, _IONBF, 0);
	reset_signals();
	if (strcmp(argv[1], "same-pid") == 0)
		check_same_pid();
	else if (strcmp(argv[1], "signals") == 0)
		check_signals_reach_program();
	else if (strcmp(argv[1], "dd-usr1") == 0)
		return check_dd_usr1();
	else if (strcmp(argv[1], "ignored-and-mask") == 0)
		check_keeps_ignored_and_mask();
	else if (strcmp(argv[1], "fds") == 0)
		check_keeps_fds();
	else if (strcmp(argv[1], "killed-by-signal") == 0)
		check_killed_by_signal();
	else if (strcmp(argv[1], "exit-status") == 0)
		check_exit_status();
	else if (strcmp(argv[1], "nohup") == 0)
		return check_nohup();
	else
		it_fail("unknown check '%s'", argv[1]);
	return IT_PASS;
}
