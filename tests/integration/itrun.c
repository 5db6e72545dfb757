/*
 * itrun.c - the integration test runner: runs one test program with and
 * without libmaxprocs.so, each run under a timeout, and checks what the
 * test asks for (exit status, identical output, stderr lines, the library's
 * high-water mark of running Ps).
 *
 * usage: itrun [options] -- PROGRAM [ARGS...]
 *   --name NAME         name used in messages (default: PROGRAM's basename)
 *   --timeout S         seconds per run before it counts as a hang (20)
 *   --procs LIST        comma-separated MAXPROCS values for the library runs
 *                       (default 1); any string is passed on as it is
 *   --no-plain          no run without the library
 *   --no-library        no run with the library
 *   --raw               run the command once as given: no LD_PRELOAD or
 *                       MAXPROCS changes (for tests of the launcher)
 *   --compare           every library run's stdout must equal the plain run's
 *   --exit N            expected exit status of every run (default 0)
 *   --stderr-lines N    library/raw runs write exactly N lines on stderr
 *   --stderr-has S      ... and their stderr contains S (repeatable)
 *   --stdout-has S      every run's stdout contains S (repeatable)
 *   --hwm               library runs: the library's high-water mark of
 *                       running Ps is at most MAXPROCS
 *   --repeat K          run the whole set K times (MP_IT_REPEAT overrides)
 *   --env NAME=VALUE    extra environment for every run (repeatable)
 *   --unset NAME        remove NAME from every run's environment
 *   --preload-after LIB put LIB in LD_PRELOAD after the library (library
 *                       runs) or alone (plain runs): a later preload
 *
 * The library is MAXPROCS_LIBRARY.  A run sees MP_IT_MODE=plain|library.
 * A program exiting 77 skips the test.  The runner exits 0 (pass), 1 (fail)
 * or 77 (skip), as meson expects.
 *
 * For --hwm the library runs get MAXPROCS_DEBUG=1, and the high-water mark
 * is the largest "running_hwm=N" or "hwm=N" field the library writes on
 * stderr (its exit line of counters, or schedtrace lines).
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define EXIT_SKIP 77
#define MAX_LIST 32
#define POLL_NS 2000000L          /* 2 ms between checks for the child */

enum mode { MODE_PLAIN, MODE_LIBRARY, MODE_RAW };

struct config {
	const char *name;
	double timeout_s;
	const char *procs[MAX_LIST];
	int nprocs;
	bool plain, library, raw, compare, hwm;
	int expect_exit;
	int stderr_lines;                 /* -1: not checked */
	const char *stderr_has[MAX_LIST];
	int nstderr_has;
	const char *stdout_has[MAX_LIST];
	int nstdout_has;
	int repeat;
	const char *env[MAX_LIST];
	int nenv;
	const char *unset[MAX_LIST];
	int nunset;
	const char *library_path;
	const char *preload_after;
	char **argv;
};

struct run {
	enum mode mode;
	const char *procs;     /* MODE_LIBRARY: the MAXPROCS value */
	char label[64];
	char *out, *err;       /* captured, NUL-terminated */
	size_t out_len, err_len;
	int status;            /* wait status */
	bool hung, skipped;
	double elapsed_s;
	long hwm;              /* -1: not reported */
};

static void usage_error(const char *fmt, ...)
{
	va_list ap;

	fputs("itrun: ", stderr);
	va_start(ap, fmt);
	vfprintf(stderr, fmt, ap);
	va_end(ap);
	fputc('\n', stderr);
	exit(2);
}

static double now_s(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static long parse_long(const char *opt, const char *s, long min, long max)
{
	char *end;
	long v;

	errno = 0;
	v = strtol(s, &end, 10);
	if (!*s || *end || errno || v < min || v > max)
		usage_error("invalid %s value '%s': expected %ld..%ld", opt, s,
		            min, max);
	return v;
}

static void push(const char **list, int *n, const char *item)
{
	if (*n >= MAX_LIST)
		usage_error("too many list items (at most %d)", MAX_LIST);
	list[(*n)++] = item;
}

static void parse_args(int argc, char **argv, struct config *cfg)
{
	enum { O_NAME = 256, O_TIMEOUT, O_PROCS, O_NOPLAIN, O_NOLIB, O_RAW,
	       O_COMPARE, O_EXIT, O_ERRLINES, O_ERRHAS, O_OUTHAS, O_HWM,
	       O_REPEAT, O_ENV, O_UNSET, O_AFTER };
	static const struct option longopts[] = {
		{ "name", required_argument, NULL, O_NAME },
		{ "timeout", required_argument, NULL, O_TIMEOUT },
		{ "procs", required_argument, NULL, O_PROCS },
		{ "no-plain", no_argument, NULL, O_NOPLAIN },
		{ "no-library", no_argument, NULL, O_NOLIB },
		{ "raw", no_argument, NULL, O_RAW },
		{ "compare", no_argument, NULL, O_COMPARE },
		{ "exit", required_argument, NULL, O_EXIT },
		{ "stderr-lines", required_argument, NULL, O_ERRLINES },
		{ "stderr-has", required_argument, NULL, O_ERRHAS },
		{ "stdout-has", required_argument, NULL, O_OUTHAS },
		{ "hwm", no_argument, NULL, O_HWM },
		{ "repeat", required_argument, NULL, O_REPEAT },
		{ "env", required_argument, NULL, O_ENV },
		{ "unset", required_argument, NULL, O_UNSET },
		{ "preload-after", required_argument, NULL, O_AFTER },
		{ NULL, 0, NULL, 0 },
	};
	const char *repeat_env;
	char *tok, *save;
	int c;

	cfg->timeout_s = 20;
	cfg->plain = cfg->library = true;
	cfg->stderr_lines = -1;
	cfg->repeat = 1;
	while ((c = getopt_long(argc, argv, "+", longopts, NULL)) != -1) {
		switch (c) {
		case O_NAME: cfg->name = optarg; break;
		case O_TIMEOUT:
			cfg->timeout_s = (double)parse_long("--timeout", optarg,
			                                    1, 3600);
			break;
		case O_PROCS:
			/* argv strings are ours to cut up. */
			for (tok = strtok_r(optarg, ",", &save); tok;
			     tok = strtok_r(NULL, ",", &save))
				push(cfg->procs, &cfg->nprocs, tok);
			break;
		case O_NOPLAIN: cfg->plain = false; break;
		case O_NOLIB: cfg->library = false; break;
		case O_RAW: cfg->raw = true; break;
		case O_COMPARE: cfg->compare = true; break;
		case O_EXIT:
			cfg->expect_exit = (int)parse_long("--exit", optarg, 0,
			                                   255);
			break;
		case O_ERRLINES:
			cfg->stderr_lines = (int)parse_long("--stderr-lines",
			                                    optarg, 0, 1000);
			break;
		case O_ERRHAS: push(cfg->stderr_has, &cfg->nstderr_has, optarg); break;
		case O_OUTHAS: push(cfg->stdout_has, &cfg->nstdout_has, optarg); break;
		case O_HWM: cfg->hwm = true; break;
		case O_REPEAT:
			cfg->repeat = (int)parse_long("--repeat", optarg, 1, 1000);
			break;
		case O_ENV:
			if (!strchr(optarg, '='))
				usage_error("--env '%s': expected NAME=VALUE", optarg);
			push(cfg->env, &cfg->nenv, optarg);
			break;
		case O_UNSET: push(cfg->unset, &cfg->nunset, optarg); break;
		case O_AFTER: cfg->preload_after = optarg; break;
		default: usage_error("unknown option (see the top of itrun.c)");
		}
	}
	if (optind >= argc)
		usage_error("missing PROGRAM");
	cfg->argv = argv + optind;
	if (!cfg->name) {
		const char *slash = strrchr(cfg->argv[0], '/');
		cfg->name = slash ? slash + 1 : cfg->argv[0];
	}
	if (cfg->nprocs == 0)
		push(cfg->procs, &cfg->nprocs, "1");
	repeat_env = getenv("MP_IT_REPEAT");
	if (repeat_env && *repeat_env)
		cfg->repeat = (int)parse_long("MP_IT_REPEAT", repeat_env, 1, 1000);
	if (!cfg->raw && cfg->library) {
		cfg->library_path = getenv("MAXPROCS_LIBRARY");
		if (!cfg->library_path || !*cfg->library_path)
			usage_error("MAXPROCS_LIBRARY is not set: it must name "
			            "libmaxprocs.so");
		if (access(cfg->library_path, R_OK) != 0)
			usage_error("MAXPROCS_LIBRARY='%s': %s", cfg->library_path,
			            strerror(errno));
	}
}

static void child_setenv(const char *name, const char *value)
{
	if (setenv(name, value, 1) != 0)
		_exit(126);
}

/* The environment of one run (called in the child, before exec). */
static void prepare_env(const struct config *cfg, const struct run *r)
{
	char *extra;
	int i;

	/* ASan insists on coming first in the link map; with the library
	 * preloaded in a sanitized build it cannot, and need not. */
	extra = getenv("ASAN_OPTIONS");
	if (asprintf(&extra, "%s%sverify_asan_link_order=0", extra ? extra : "",
	             extra && *extra ? ":" : "") >= 0)
		child_setenv("ASAN_OPTIONS", extra);

	if (r->mode != MODE_RAW) {
		unsetenv("LD_PRELOAD");
		unsetenv("MAXPROCS");
		unsetenv("MAXPROCS_SCHEDTRACE");
		unsetenv("MAXPROCS_SLICE_US");
		unsetenv("MAXPROCS_DEBUG");
	}
	if (r->mode == MODE_PLAIN) {
		child_setenv("MP_IT_MODE", "plain");
		if (cfg->preload_after)
			child_setenv("LD_PRELOAD", cfg->preload_after);
	}
	if (r->mode == MODE_LIBRARY) {
		child_setenv("MP_IT_MODE", "library");
		if (cfg->preload_after) {
			if (asprintf(&extra, "%s:%s", cfg->library_path,
			             cfg->preload_after) < 0)
				_exit(126);
			child_setenv("LD_PRELOAD", extra);
		} else {
			child_setenv("LD_PRELOAD", cfg->library_path);
		}
		child_setenv("MAXPROCS", r->procs);
		if (cfg->hwm)
			child_setenv("MAXPROCS_DEBUG", "1");
	}
	for (i = 0; i < cfg->nenv; i++)
		if (putenv((char *)cfg->env[i]) != 0)
			_exit(126);
	for (i = 0; i < cfg->nunset; i++)
		unsetenv(cfg->unset[i]);
}

static int make_capture(const char *what)
{
	int fd = memfd_create(what, MFD_CLOEXEC);

	if (fd < 0) {
		perror("itrun: memfd_create");
		exit(1);
	}
	return fd;
}

static char *slurp(int fd, size_t *len)
{
	struct stat st;
	char *buf;
	ssize_t n;

	if (fstat(fd, &st) != 0)
		st.st_size = 0;
	buf = malloc((size_t)st.st_size + 1);
	if (!buf) {
		perror("itrun: malloc");
		exit(1);
	}
	n = pread(fd, buf, (size_t)st.st_size, 0);
	*len = n > 0 ? (size_t)n : 0;
	buf[*len] = '\0';
	return buf;
}

static void read_first_line(const char *path, char *buf, size_t size)
{
	FILE *f = fopen(path, "r");

	buf[0] = '\0';
	if (f) {
		if (!fgets(buf, (int)size, f))
			buf[0] = '\0';
		fclose(f);
	}
	buf[strcspn(buf, "\n")] = '\0';
}

/* Each thread's state, wait channel and system call (the first field of
 * /proc/TID/syscall is its number), to say where a hung program waits. */
static void describe_threads(pid_t pid)
{
	char dir_path[64], path[384], stat[512], wchan[64], sys[128];
	struct dirent *de;
	DIR *dir;

	snprintf(dir_path, sizeof dir_path, "/proc/%d/task", (int)pid);
	dir = opendir(dir_path);
	if (!dir)
		return;
	while ((de = readdir(dir)) != NULL) {
		char state = '?', *paren;

		if (de->d_name[0] == '.')
			continue;
		snprintf(path, sizeof path, "%s/%s/stat", dir_path, de->d_name);
		read_first_line(path, stat, sizeof stat);
		paren = strrchr(stat, ')');
		if (paren && paren[1] == ' ')
			state = paren[2];
		snprintf(path, sizeof path, "%s/%s/wchan", dir_path, de->d_name);
		read_first_line(path, wchan, sizeof wchan);
		snprintf(path, sizeof path, "%s/%s/syscall", dir_path, de->d_name);
		read_first_line(path, sys, sizeof sys);
		sys[strcspn(sys, " ")] = '\0';
		fprintf(stderr, "    thread %s: state %c, wchan %s, syscall %s\n",
		        de->d_name, state, wchan[0] ? wchan : "-",
		        sys[0] ? sys : "-");
	}
	closedir(dir);
}

static long parse_hwm_text(const char *text)
{
	static const char *const keys[] = { "running_hwm=", "hwm=" };
	long best = -1;
	size_t k;

	for (k = 0; k < sizeof keys / sizeof keys[0]; k++) {
		const char *p = text;
		while ((p = strstr(p, keys[k])) != NULL) {
			/* "hwm=" must not match inside "running_hwm=" twice. */
			bool word_start = p == text || p[-1] == ' ' ||
			                  p[-1] == '\t' || p[-1] == '\n' ||
			                  p[-1] == ',' || p[-1] == ':';
			p += strlen(keys[k]);
			if (word_start || k == 0) {
				long v = strtol(p, NULL, 10);
				if (v > best)
					best = v;
			}
		}
	}
	return best;
}

static void run_once(const struct config *cfg, struct run *r)
{
	int out_fd = make_capture("stdout"), err_fd = make_capture("stderr");
	double start = now_s(), deadline = start + cfg->timeout_s;
	struct timespec pause = { 0, POLL_NS };
	pid_t pid, got = 0;
	int null_fd;

	fflush(NULL);
	pid = fork();
	if (pid < 0) {
		perror("itrun: fork");
		exit(1);
	}
	if (pid == 0) {
		/* Own process group, so a hang is killed with all it started. */
		setpgid(0, 0);
		null_fd = open("/dev/null", O_RDONLY);
		if (null_fd < 0 || dup2(null_fd, 0) < 0 || dup2(out_fd, 1) < 0 ||
		    dup2(err_fd, 2) < 0)
			_exit(126);
		prepare_env(cfg, r);
		execvp(cfg->argv[0], cfg->argv);
		dprintf(2, "itrun: cannot run '%s': %s\n", cfg->argv[0],
		        strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	setpgid(pid, pid);
	while ((got = waitpid(pid, &r->status, WNOHANG)) == 0) {
		if (now_s() > deadline) {
			r->hung = true;
			describe_threads(pid);
			kill(-pid, SIGKILL);
			kill(pid, SIGKILL);
			waitpid(pid, &r->status, 0);
			break;
		}
		nanosleep(&pause, NULL);
	}
	if (got < 0) {
		perror("itrun: waitpid");
		exit(1);
	}
	/* Whatever the program left running in its group goes too. */
	kill(-pid, SIGKILL);
	r->elapsed_s = now_s() - start;
	r->out = slurp(out_fd, &r->out_len);
	r->err = slurp(err_fd, &r->err_len);
	close(out_fd);
	close(err_fd);
	r->skipped = !r->hung && WIFEXITED(r->status) &&
	             WEXITSTATUS(r->status) == EXIT_SKIP;
	r->hwm = r->mode == MODE_LIBRARY ? parse_hwm_text(r->err) : -1;
}

static void print_indented(const char *what, const char *text)
{
	const char *line = text, *nl;

	if (!*text)
		return;
	fprintf(stderr, "  %s:\n", what);
	while (*line) {
		nl = strchr(line, '\n');
		if (!nl)
			nl = line + strlen(line);
		fprintf(stderr, "    | %.*s\n", (int)(nl - line), line);
		line = *nl ? nl + 1 : nl;
	}
}

static int count_lines(const char *text, size_t len)
{
	int n = 0;
	size_t i;

	for (i = 0; i < len; i++)
		n += text[i] == '\n';
	if (len > 0 && text[len - 1] != '\n')
		n++;
	return n;
}

/* Prints every problem with run r; returns how many there were. */
static int check_run(const struct config *cfg, const struct run *r,
                     const struct run *plain)
{
	bool checks_stderr = r->mode != MODE_PLAIN;
	int problems = 0, i;

	if (r->hung) {
		fprintf(stderr, "HANG: %s after %.0f s (%s)\n", cfg->name,
		        cfg->timeout_s, r->label);
		return 1;
	}
	if (r->skipped)
		return 0;
	if (WIFSIGNALED(r->status)) {
		fprintf(stderr, "FAIL: %s (%s): killed by signal %d (%s)\n",
		        cfg->name, r->label, WTERMSIG(r->status),
		        strsignal(WTERMSIG(r->status)));
		return 1;
	}
	if (WEXITSTATUS(r->status) != cfg->expect_exit) {
		fprintf(stderr, "FAIL: %s (%s): exit status %d, expected %d\n",
		        cfg->name, r->label, WEXITSTATUS(r->status),
		        cfg->expect_exit);
		problems++;
	}
	for (i = 0; i < cfg->nstdout_has; i++) {
		if (!strstr(r->out, cfg->stdout_has[i])) {
			fprintf(stderr, "FAIL: %s (%s): stdout lacks '%s'\n",
			        cfg->name, r->label, cfg->stdout_has[i]);
			problems++;
		}
	}
	if (checks_stderr && cfg->stderr_lines >= 0 &&
	    count_lines(r->err, r->err_len) != cfg->stderr_lines) {
		fprintf(stderr, "FAIL: %s (%s): %d lines on stderr, expected %d\n",
		        cfg->name, r->label, count_lines(r->err, r->err_len),
		        cfg->stderr_lines);
		problems++;
	}
	for (i = 0; checks_stderr && i < cfg->nstderr_has; i++) {
		if (!strstr(r->err, cfg->stderr_has[i])) {
			fprintf(stderr, "FAIL: %s (%s): stderr lacks '%s'\n",
			        cfg->name, r->label, cfg->stderr_has[i]);
			problems++;
		}
	}
	if (cfg->compare && plain && r != plain && !plain->skipped &&
	    (r->out_len != plain->out_len ||
	     memcmp(r->out, plain->out, r->out_len) != 0)) {
		fprintf(stderr, "FAIL: %s (%s): stdout differs from the plain "
		        "run's\n", cfg->name, r->label);
		print_indented("plain stdout", plain->out);
		problems++;
	}
	if (cfg->hwm && r->mode == MODE_LIBRARY) {
		long cap = strtol(r->procs, NULL, 10);
		if (r->hwm < 0) {
			fprintf(stderr, "FAIL: %s (%s): the library wrote no "
			        "high-water mark (running_hwm= with "
			        "MAXPROCS_DEBUG=1)\n", cfg->name, r->label);
			problems++;
		} else if (r->hwm > cap) {
			fprintf(stderr, "FAIL: %s (%s): high-water mark %ld > %ld\n",
			        cfg->name, r->label, r->hwm, cap);
			problems++;
		}
	}
	return problems;
}

static void report_run(const struct config *cfg, const struct run *r,
                       int problems)
{
	const char *verdict = r->hung ? "HANG" : r->skipped ? "SKIP"
	                    : problems ? "FAIL" : "ok";

	fprintf(stderr, "%s: %s (%s) %.2f s", verdict, cfg->name, r->label,
	        r->elapsed_s);
	if (r->hwm >= 0)
		fprintf(stderr, " hwm=%ld", r->hwm);
	fputc('\n', stderr);
	/* Programs write measurements on stderr; always show them. */
	print_indented("stderr", r->err);
	if (problems || r->hung)
		print_indented("stdout", r->out);
}

static void free_run(struct run *r)
{
	free(r->out);
	free(r->err);
	r->out = r->err = NULL;
}

int main(int argc, char **argv)
{
	struct config cfg = { 0 };
	struct run plain = { 0 }, r;
	bool any_skip = false;
	int failures = 0, iter, i;

	parse_args(argc, argv, &cfg);
	signal(SIGPIPE, SIG_IGN);

	for (iter = 0; iter < cfg.repeat && failures == 0; iter++) {
		if (cfg.raw) {
			memset(&r, 0, sizeof r);
			r.mode = MODE_RAW;
			snprintf(r.label, sizeof r.label, "as given, run %d",
			         iter + 1);
			run_once(&cfg, &r);
			i = check_run(&cfg, &r, NULL);
			report_run(&cfg, &r, i);
			failures += i;
			any_skip |= r.skipped;
			free_run(&r);
			continue;
		}
		if (cfg.plain) {
			free_run(&plain);
			memset(&plain, 0, sizeof plain);
			plain.mode = MODE_PLAIN;
			snprintf(plain.label, sizeof plain.label,
			         "without the library, run %d", iter + 1);
			run_once(&cfg, &plain);
			i = check_run(&cfg, &plain, NULL);
			report_run(&cfg, &plain, i);
			failures += i;
			any_skip |= plain.skipped;
			if (failures)
				break;
		}
		for (i = 0; cfg.library && i < cfg.nprocs && !failures; i++) {
			int problems;

			memset(&r, 0, sizeof r);
			r.mode = MODE_LIBRARY;
			r.procs = cfg.procs[i];
			snprintf(r.label, sizeof r.label, "MAXPROCS=%s, run %d",
			         cfg.procs[i], iter + 1);
			run_once(&cfg, &r);
			problems = check_run(&cfg, &r, cfg.plain ? &plain : NULL);
			report_run(&cfg, &r, problems);
			failures += problems;
			any_skip |= r.skipped;
			free_run(&r);
		}
	}
	free_run(&plain);
	if (failures)
		return 1;
	return any_skip ? EXIT_SKIP : 0;
}
