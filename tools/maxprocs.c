/*
 * maxprocs.c - the launcher: run a program with libmaxprocs.so preloaded.
 *
 * It puts the library in front of LD_PRELOAD, exports the settings the
 * library reads (MAXPROCS, MAXPROCS_SCHEDTRACE, MAXPROCS_SLICE_US) and runs
 * the program.  It forks, execs and waits instead of exec'ing in place so it
 * can report the program's fate the way a shell does: the exit code, or
 * 128+N when signal N killed it.  While it waits it forwards SIGINT,
 * SIGTERM, SIGHUP and SIGQUIT sent to it by other processes; a signal from
 * the terminal already reaches the whole foreground process group, so it is
 * not sent a second time.
 *
 * Exit status: the program's; 2 for bad arguments; 125 when the launcher
 * itself fails (no library, fork failed); 126 when the program cannot be
 * executed and 127 when it is not found, as in a shell.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#ifndef MP_VERSION
#define MP_VERSION "unknown"
#endif
#ifndef MP_LIBDIR
#define MP_LIBDIR "/usr/local/lib"
#endif

#define LIBRARY_NAME "libmaxprocs.so"
#define BUILD_TREE_LIBRARY "/../preload/" LIBRARY_NAME  /* from tools/ */

enum {
	EXIT_USAGE = 2,         /* bad arguments */
	EXIT_LAUNCHER = 125,    /* the launcher itself failed (as env(1)) */
	EXIT_NOEXEC = 126,      /* found but cannot be executed */
	EXIT_NOTFOUND = 127,    /* not found */
};

/* Accepted ranges; they match what the library accepts from the
 * environment, so a value the launcher passes is never warned about. */
#define PROCS_MIN 1
#define PROCS_MAX 1024                  /* MP_MAXPROCS in sched/sched.h */
#define SCHEDTRACE_MS_MAX 3600000L      /* an hour; 0 turns it off */
#define SLICE_US_MIN 100L               /* below the monitor's resolution */
#define SLICE_US_MAX 10000000L          /* 10 s */

struct settings {
	const char *procs;        /* NULL: leave MAXPROCS as inherited */
	const char *schedtrace_ms;
	const char *slice_us;
	char **argv;              /* PROGRAM [ARGS...] */
};

static const char usage_text[] =
	"usage: maxprocs [-p N|--procs N] [--schedtrace MS] [--slice US] [--] PROGRAM [ARGS...]\n"
	"Run PROGRAM with at most N of its threads running user code at once.\n"
	"\n"
	"  -p, --procs N        number of Ps, 1..1024 (default: MAXPROCS, else the\n"
	"                       CPUs available to the process)\n"
	"      --schedtrace MS  print a scheduler trace line on stderr every MS ms\n"
	"                       (0 = off)\n"
	"      --slice US       preemption time slice in microseconds (default 10000)\n"
	"  -h, --help           show this help and exit\n"
	"  -V, --version        show the version and exit\n"
	"\n"
	"Exits with PROGRAM's status, 128+N if signal N killed it, 2 for bad\n"
	"arguments, 125 if maxprocs fails, 126/127 if PROGRAM cannot be run/found.\n"
	"See maxprocs(1).\n";

static const char accepted_options[] =
	"accepted: -p N, --procs N, --schedtrace MS, --slice US, -h, -V";

/* One line naming the bad value and what is accepted, then exit 2. */
__attribute__((format(printf, 1, 2), noreturn))
static void die_usage(const char *fmt, ...)
{
	va_list ap;

	fputs("maxprocs: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(EXIT_USAGE);
}

/* Decimal digits only (no sign, space or suffix), as the library reads
 * them, and a value in [min, max]. */
static bool parse_range(const char *s, long min, long max)
{
	long v = 0;

	if (!*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9' || v > max)
			return false;
		v = v * 10 + (*s - '0');
	}
	return v >= min && v <= max;
}

static void check_value(const char *opt, const char *val, long min, long max)
{
	if (!parse_range(val, min, max))
		die_usage("invalid %s value '%s': expected an integer from %ld "
		          "to %ld", opt, val, min, max);
}

static void parse_args(int argc, char **argv, struct settings *set)
{
	enum { OPT_SCHEDTRACE = 256, OPT_SLICE };
	static const struct option longopts[] = {
		{ "procs",      required_argument, NULL, 'p' },
		{ "schedtrace", required_argument, NULL, OPT_SCHEDTRACE },
		{ "slice",      required_argument, NULL, OPT_SLICE },
		{ "help",       no_argument,       NULL, 'h' },
		{ "version",    no_argument,       NULL, 'V' },
		{ NULL, 0, NULL, 0 },
	};
	/* '+': stop at PROGRAM, so its own options stay its own.
	 * ':': report a missing value as ':' rather than '?'. */
	static const char optstring[] = "+:p:hV";
	int c;

	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		switch (c) {
		case 'p':
			set->procs = optarg;
			break;
		case OPT_SCHEDTRACE:
			set->schedtrace_ms = optarg;
			break;
		case OPT_SLICE:
			set->slice_us = optarg;
			break;
		case 'h':
			fputs(usage_text, stdout);
			exit(fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER);
		case 'V':
			puts("maxprocs " MP_VERSION);
			exit(fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER);
		case ':':
			die_usage("option '%s' needs a value (see 'maxprocs "
			          "--help')", argv[optind - 1]);
		default:
			if (optopt != 0)
				die_usage("unknown option '-%c'; %s", optopt,
				          accepted_options);
			die_usage("unknown option '%s'; %s", argv[optind - 1],
			          accepted_options);
		}
	}
	if (set->procs)
		check_value("-p/--procs", set->procs, PROCS_MIN, PROCS_MAX);
	if (set->schedtrace_ms)
		check_value("--schedtrace", set->schedtrace_ms, 0,
		            SCHEDTRACE_MS_MAX);
	if (set->slice_us)
		check_value("--slice", set->slice_us, SLICE_US_MIN,
		            SLICE_US_MAX);
	if (optind >= argc)
		die_usage("missing PROGRAM to run (usage: maxprocs [-p N] [--] "
		          "PROGRAM [ARGS...])");
	set->argv = argv + optind;
}

static bool is_readable_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* <dir of our executable>/../preload/libmaxprocs.so: the build tree. */
static bool find_build_tree_library(char *out, size_t size)
{
	char exe[PATH_MAX];
	char candidate[PATH_MAX + sizeof BUILD_TREE_LIBRARY];
	ssize_t n;
	char *slash;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n <= 0)
		return false;
	exe[n] = '\0';
	slash = strrchr(exe, '/');
	if (!slash)
		return false;
	*slash = '\0';
	snprintf(candidate, sizeof candidate, "%s" BUILD_TREE_LIBRARY, exe);
	if (!is_readable_file(candidate) || !realpath(candidate, exe))
		return false;
	if (strlen(exe) >= size)
		return false;
	strcpy(out, exe);
	return true;
}

/* MAXPROCS_LIBRARY, else the build tree, else the installed libdir. */
static bool find_library(char *out, size_t size)
{
	const char *override = getenv("MAXPROCS_LIBRARY");

	if (override && *override) {
		if (is_readable_file(override) && strlen(override) < size) {
			strcpy(out, override);
			return true;
		}
		fprintf(stderr, "maxprocs: warning: MAXPROCS_LIBRARY='%s' is not "
		        "a readable file; looking in the default places\n",
		        override);
	}
	if (find_build_tree_library(out, size))
		return true;
	if (is_readable_file(MP_LIBDIR "/" LIBRARY_NAME) &&
	    strlen(MP_LIBDIR "/" LIBRARY_NAME) < size) {
		strcpy(out, MP_LIBDIR "/" LIBRARY_NAME);
		return true;
	}
	return false;
}

/* ld.so splits LD_PRELOAD at ':' and ' ', so the path can contain neither. */
static void set_preload(const char *library)
{
	const char *old = getenv("LD_PRELOAD");
	size_t len = strlen(library);
	char *value;

	if (strpbrk(library, ": ")) {
		fprintf(stderr, "maxprocs: library path '%s' contains ':' or ' ',"
		        " which LD_PRELOAD cannot carry\n", library);
		exit(EXIT_LAUNCHER);
	}
	/* Already first (a capped program running maxprocs): keep it as is. */
	if (old && strncmp(old, library, len) == 0 &&
	    (old[len] == '\0' || old[len] == ':' || old[len] == ' '))
		return;
	if (!old || !*old) {
		value = strdup(library);
	} else if (asprintf(&value, "%s:%s", library, old) < 0) {
		value = NULL;
	}
	if (!value || setenv("LD_PRELOAD", value, 1) != 0) {
		fprintf(stderr, "maxprocs: cannot set LD_PRELOAD: %s\n",
		        strerror(errno));
		exit(EXIT_LAUNCHER);
	}
	free(value);
}

static void set_env(const char *name, const char *value)
{
	if (value && setenv(name, value, 1) != 0) {
		fprintf(stderr, "maxprocs: cannot set %s: %s\n", name,
		        strerror(errno));
		exit(EXIT_LAUNCHER);
	}
}

static const int forwarded_signals[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT };
#define NFORWARDED (sizeof forwarded_signals / sizeof forwarded_signals[0])

static volatile sig_atomic_t child_pid;

/* Signals from another process (kill, sigqueue) go on to the program.  A
 * terminal's ^C or ^\ (SI_KERNEL) has already reached the program, which is
 * in our process group; the program's own signals to us are not echoed. */
static void forward_signal(int sig, siginfo_t *si, void *ctx)
{
	int saved_errno = errno;

	(void)ctx;
	if (child_pid > 0 && si->si_code <= 0 && si->si_pid != child_pid)
		kill(child_pid, sig);
	errno = saved_errno;
}

/* Forwarders are installed only in the parent, after fork, so the program
 * inherits the dispositions we were started with (an ignored SIGHUP under
 * nohup stays ignored); a signal we inherited as ignored is left ignored. */
static void install_forwarders(void)
{
	struct sigaction sa, old;
	size_t i;

	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = forward_signal;
	sa.sa_flags = SA_SIGINFO | SA_RESTART;
	sigemptyset(&sa.sa_mask);
	for (i = 0; i < NFORWARDED; i++) {
		if (sigaction(forwarded_signals[i], NULL, &old) == 0 &&
		    old.sa_handler == SIG_IGN)
			continue;
		sigaction(forwarded_signals[i], &sa, NULL);
	}
}

static void exec_program(char **argv, const sigset_t *mask)
{
	int err;

	sigprocmask(SIG_SETMASK, mask, NULL);
	execvp(argv[0], argv);
	err = errno;
	fprintf(stderr, "maxprocs: cannot run '%s': %s%s\n", argv[0],
	        strerror(err),
	        err == ENOENT && !strchr(argv[0], '/') ? " (not found in PATH)"
	                                               : "");
	_exit(err == ENOENT || err == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC);
}

/* Fork, exec and wait; returns the status a shell would report. */
static int run_program(char **argv)
{
	sigset_t forwarded, old_mask;
	pid_t pid, got;
	int status;
	size_t i;

	/* Blocked across fork so no signal is lost before child_pid is set. */
	sigemptyset(&forwarded);
	for (i = 0; i < NFORWARDED; i++)
		sigaddset(&forwarded, forwarded_signals[i]);
	sigprocmask(SIG_BLOCK, &forwarded, &old_mask);

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		fprintf(stderr, "maxprocs: cannot fork: %s\n", strerror(errno));
		return EXIT_LAUNCHER;
	}
	if (pid == 0)
		exec_program(argv, &old_mask);

	child_pid = pid;
	install_forwarders();
	sigprocmask(SIG_SETMASK, &old_mask, NULL);

	do
		got = waitpid(pid, &status, 0);
	while (got < 0 && errno == EINTR);
	if (got < 0) {
		fprintf(stderr, "maxprocs: cannot wait for '%s': %s\n", argv[0],
		        strerror(errno));
		return EXIT_LAUNCHER;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

int main(int argc, char **argv)
{
	struct settings set = { 0 };
	char library[PATH_MAX];

	parse_args(argc, argv, &set);
	if (!find_library(library, sizeof library)) {
		fprintf(stderr, "maxprocs: cannot find " LIBRARY_NAME " in the "
		        "build tree or in " MP_LIBDIR " (set MAXPROCS_LIBRARY to "
		        "its path)\n");
		return EXIT_LAUNCHER;
	}
	set_preload(library);
	set_env("MAXPROCS", set.procs);
	set_env("MAXPROCS_SCHEDTRACE", set.schedtrace_ms);
	set_env("MAXPROCS_SLICE_US", set.slice_us);
	return run_program(set.argv);
}
