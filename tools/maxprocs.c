/*
 * maxprocs.c - the launcher: run a program with libmaxprocs.so preloaded.
 *
 * It puts the library in front of LD_PRELOAD, exports the settings the
 * library reads (MAXPROCS, MAXPROCS_SCHEDTRACE, MAXPROCS_SLICE_US) and
 * execs the program in place.  There is no fork, no wait and no signal
 * handler: the program keeps the launcher's PID, process group, signal
 * dispositions, signal mask and file descriptors, so `maxprocs ... PROG`
 * is PROG for a shell, a service manager and $!.  Every signal reaches the
 * program directly, an inherited SIG_IGN (nohup, `cmd &` in a script)
 * stays ignored, and a death by signal is seen by the parent as that
 * signal, exactly as if PROG had been run directly.
 *
 * Exit status, when the program is not run: 2 for bad arguments; 125 when
 * the launcher itself fails (no library); 126 when the program cannot be
 * executed and 127 when it is not found, as in a shell.  Once the program
 * runs, its status is its own.
 */
#include <errno.h>
#include <getopt.h>
#include <limits.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shim/limits.h"   /* MP_MAXPROCS: pure constants */
#include "tools/live.h"
#include "tools/profile.h"

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

/*
 * The options that set a library setting: one per row of
 * shim/settings.def with an option, so the launcher accepts exactly what
 * the library does (a value it passes is never warned about) and --help
 * lists them all.
 */
struct launcher_option {
	const char *env, *option, *metavar, *accepted, *dflt, *doc;
	int shortopt;
	long lo, hi;
};

static const struct launcher_option options[] = {
#define MP_SETTING(key, env, option, shortopt, metavar, lo, hi, dflt, accepted, doc) \
	{ env, option, metavar, accepted, dflt, doc, shortopt, lo, hi },
#include "shim/settings.def"
#undef MP_SETTING
};
#define NOPTIONS (sizeof options / sizeof options[0])

struct settings {
	const char *value[NOPTIONS];   /* NULL: leave the variable as inherited */
	char **argv;                   /* PROGRAM [ARGS...] */
};

static void usage(FILE *out)
{
	fputs("usage: maxprocs [OPTION...] [--] PROGRAM [ARGS...]\n"
	      "       maxprocs profile|report ...       (see maxprocs(1))\n"
	      "       maxprocs ps                       capped processes of this user\n"
	      "       maxprocs top [-b] [-n COUNT] [-d SECONDS] [PID...]\n"
	      "       maxprocs set PID N|auto           change a running program's cap\n"
	      "Run PROGRAM with at most N of its threads running user code at once.\n\n",
	      out);
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct launcher_option *o = &options[i];
		char left[64];
		if (!*o->option)
			continue;
		if (o->shortopt)
			snprintf(left, sizeof left, "-%c, --%s %s", o->shortopt, o->option, o->metavar);
		else if (!*o->metavar)
			snprintf(left, sizeof left, "    --%s", o->option);   /* a switch: sets 1 */
		else
			snprintf(left, sizeof left, "    --%s %s", o->option, o->metavar);
		if (!*o->metavar)
			fprintf(out, "  %-20s %s\n  %-20s sets %s=1\n", left, o->doc, "", o->env);
		else
			fprintf(out, "  %-20s %s\n  %-20s %s; sets %s\n", left, o->doc, "",
			        o->accepted, o->env);
	}
	fputs("  -h, --help           show this help and exit\n"
	      "  -V, --version        show the version and exit\n\n"
	      "maxprocs replaces itself with PROGRAM (same PID, signals and exit status).\n"
	      "Exits 2 for bad arguments, 125 if maxprocs fails, 126/127 if PROGRAM\n"
	      "cannot be run/found.\n\nThe library reads (a bad value: one warning, then the default):\n",
	      out);
	for (size_t i = 0; i < NOPTIONS; i++)
		fprintf(out, "  %-24s %s\n  %-24s %s\n", options[i].env, options[i].doc, "",
		        options[i].accepted);
	fputs("See maxprocs(1).\n", out);
}

/* "-p N, --procs N, --schedtrace MS, ..., -h, -V" for error lines. */
static const char *accepted_options(void)
{
	static char buf[256];
	size_t n = 0;
	for (size_t i = 0; i < NOPTIONS && n < sizeof buf - 64; i++) {
		const struct launcher_option *o = &options[i];
		if (!*o->option)
			continue;
		if (o->shortopt)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "-%c %s, ", o->shortopt, o->metavar);
		if (!*o->metavar)
			n += (size_t)snprintf(buf + n, sizeof buf - n, "--%s, ", o->option);
		else
			n += (size_t)snprintf(buf + n, sizeof buf - n, "--%s %s, ", o->option, o->metavar);
	}
	snprintf(buf + n, sizeof buf - n, "-h, -V");
	return buf;
}

/* One line naming the bad value and what is accepted, then exit 2. */
void mp_tool_die_usage(const char *fmt, ...)
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

void mp_tool_check_value(const char *opt, const char *val, long min, long max)
{
	if (!parse_range(val, min, max))
		mp_tool_die_usage("invalid %s value '%s': expected an integer from %ld "
		          "to %ld", opt, val, min, max);
}

static void parse_args(int argc, char **argv, struct settings *set)
{
	enum { OPT_FIRST = 256 };   /* long-only options: OPT_FIRST + row */
	struct option longopts[NOPTIONS + 3];
	/* '+': stop at PROGRAM, so its own options stay its own.
	 * ':': report a missing value as ':' rather than '?'. */
	char optstring[8 + 2 * NOPTIONS] = "+:hV";
	size_t nl = 0, ns = strlen(optstring);
	int c;

	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct launcher_option *o = &options[i];
		if (!*o->option)
			continue;
		/* A row without a metavar is a switch (--catch-all): it sets 1. */
		longopts[nl++] = (struct option){ o->option, *o->metavar ? required_argument : no_argument,
		                                  NULL, o->shortopt ? o->shortopt : OPT_FIRST + (int)i };
		if (o->shortopt) {
			optstring[ns++] = (char)o->shortopt;
			optstring[ns++] = ':';
		}
	}
	optstring[ns] = '\0';
	longopts[nl++] = (struct option){ "help", no_argument, NULL, 'h' };
	longopts[nl++] = (struct option){ "version", no_argument, NULL, 'V' };
	longopts[nl] = (struct option){ NULL, 0, NULL, 0 };

	opterr = 0;
	while ((c = getopt_long(argc, argv, optstring, longopts, NULL)) != -1) {
		size_t row = NOPTIONS;
		if (c >= OPT_FIRST)
			row = (size_t)(c - OPT_FIRST);
		for (size_t i = 0; i < NOPTIONS && row == NOPTIONS; i++)
			if (options[i].shortopt && options[i].shortopt == c)
				row = i;
		if (row < NOPTIONS) {
			set->value[row] = *options[row].metavar ? optarg : (char *)"1";
			continue;
		}
		switch (c) {
		case 'h':
			usage(stdout);
			exit(fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER);
		case 'V':
			puts("maxprocs " MP_VERSION);
			exit(fflush(stdout) == 0 ? 0 : EXIT_LAUNCHER);
		case ':':
			mp_tool_die_usage("option '%s' needs a value (see 'maxprocs "
			          "--help')", argv[optind - 1]);
		default:
			if (optopt >= OPT_FIRST && optopt < OPT_FIRST + (int)NOPTIONS)
				mp_tool_die_usage("option '--%s' takes no value",
				                  options[optopt - OPT_FIRST].option);
			if (optopt != 0)
				mp_tool_die_usage("unknown option '-%c'; accepted: %s", optopt,
				          accepted_options());
			mp_tool_die_usage("unknown option '%s'; accepted: %s", argv[optind - 1],
			          accepted_options());
		}
	}
	for (size_t i = 0; i < NOPTIONS; i++) {
		const struct launcher_option *o = &options[i];
		char name[48];
		if (!set->value[i])
			continue;
		if (o->shortopt)
			snprintf(name, sizeof name, "-%c/--%s", o->shortopt, o->option);
		else
			snprintf(name, sizeof name, "--%s", o->option);
		/* MAXPROCS=auto: the one word an option takes (its row says so). */
		if (strcmp(set->value[i], "auto") == 0 && strncmp(o->accepted, "auto", 4) == 0)
			continue;
		mp_tool_check_value(name, set->value[i], o->lo, o->hi);
	}
	if (optind >= argc)
		mp_tool_die_usage("missing PROGRAM to run (usage: maxprocs [-p N] [--] "
		          "PROGRAM [ARGS...])");
	set->argv = argv + optind;
}

static bool is_readable_file(const char *path)
{
	return access(path, R_OK) == 0;
}

/* <dir of exe>/../preload/libmaxprocs.so: the library of the build tree
 * the launcher exe was built in.  exe is resolved first, so a symlink to
 * the launcher finds the tree of the real file. */
static bool library_beside(const char *exe, char *out, size_t size)
{
	char real[PATH_MAX];
	char candidate[PATH_MAX + sizeof BUILD_TREE_LIBRARY];

	if (!exe || !*exe || !realpath(exe, real))
		return false;
	*strrchr(real, '/') = '\0';    /* realpath's answer is absolute */
	snprintf(candidate, sizeof candidate, "%s" BUILD_TREE_LIBRARY, real);
	if (!is_readable_file(candidate) || !realpath(candidate, real) ||
	    strlen(real) >= size)
		return false;
	strcpy(out, real);
	return true;
}

/* The file a shell would run for name: name itself if it contains a '/',
 * else the first executable regular file of that name in PATH (an empty
 * entry is the current directory; no PATH is execvp's default). */
static bool find_in_path(const char *name, char *out, size_t size)
{
	const char *path = getenv("PATH");
	const char *dir, *end;
	struct stat st;
	int n;

	if (!name || !*name)
		return false;
	if (strchr(name, '/'))
		return (size_t)snprintf(out, size, "%s", name) < size;
	if (!path)
		path = "/bin:/usr/bin";
	for (dir = path;; dir = end + 1) {
		end = strchrnul(dir, ':');
		if (end == dir)
			n = snprintf(out, size, "%s", name);
		else
			n = snprintf(out, size, "%.*s/%s", (int)(end - dir), dir,
			             name);
		if (n > 0 && (size_t)n < size && access(out, X_OK) == 0 &&
		    stat(out, &st) == 0 && S_ISREG(st.st_mode))
			return true;
		if (!*end)
			return false;
	}
}

/* The build tree's library, found from where the launcher was run.
 * /proc/self/exe is exact, so when it can be read it alone decides (an
 * installed launcher never takes a build tree's library because of a
 * misleading argv[0]).  Without /proc (a chroot, some containers) the
 * fallbacks are AT_EXECFN, the path execve was given, recorded by the
 * kernel, and then argv[0], which is only what our caller chose to pass,
 * looked up in PATH as a shell would.  A candidate that does not resolve
 * just gives way to the next. */
static bool find_build_tree_library(const char *argv0, char *out,
                                    size_t size)
{
	char exe[PATH_MAX];
	ssize_t n;

	n = readlink("/proc/self/exe", exe, sizeof exe - 1);
	if (n > 0) {
		exe[n] = '\0';
		return library_beside(exe, out, size);
	}
	if (library_beside((const char *)getauxval(AT_EXECFN), out, size))
		return true;
	return find_in_path(argv0, exe, sizeof exe) &&
	       library_beside(exe, out, size);
}

/* MAXPROCS_LIBRARY, else the build tree, else the installed libdir. */
static bool find_library(const char *argv0, char *out, size_t size)
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
	if (find_build_tree_library(argv0, out, size))
		return true;
	if (is_readable_file(MP_LIBDIR "/" LIBRARY_NAME) &&
	    strlen(MP_LIBDIR "/" LIBRARY_NAME) < size) {
		strcpy(out, MP_LIBDIR "/" LIBRARY_NAME);
		return true;
	}
	return false;
}

/* ld.so splits LD_PRELOAD at ':' and ' ', so the path can contain neither. */
void mp_tool_set_preload(const char *library)
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

void mp_tool_set_env(const char *name, const char *value)
{
	if (value && setenv(name, value, 1) != 0) {
		fprintf(stderr, "maxprocs: cannot set %s: %s\n", name,
		        strerror(errno));
		exit(EXIT_LAUNCHER);
	}
}

/* Replace ourselves with the program: same PID, process group, signal
 * dispositions, mask and fds, so the caller (a shell, a service manager,
 * $!) sees the program itself and its own status.  Returns only on
 * failure, with the status a shell would give. */
int mp_tool_exec_program(char **argv)
{
	int err;

	execvp(argv[0], argv);
	err = errno;
	fprintf(stderr, "maxprocs: cannot run '%s': %s%s\n", argv[0],
	        strerror(err),
	        err == ENOENT && !strchr(argv[0], '/') ? " (not found in PATH)"
	                                               : "");
	return err == ENOENT || err == ENOTDIR ? EXIT_NOTFOUND : EXIT_NOEXEC;
}

static void need_library(const char *argv0, char *library, size_t size)
{
	if (!find_library(argv0, library, size)) {
		fprintf(stderr, "maxprocs: cannot find " LIBRARY_NAME " in the "
		        "build tree or in " MP_LIBDIR " (set MAXPROCS_LIBRARY to "
		        "its path)\n");
		exit(EXIT_LAUNCHER);
	}
}

int main(int argc, char **argv)
{
	struct settings set = { 0 };
	char library[PATH_MAX];

	/* Subcommands (a program of that name: maxprocs -- report ...). */
	if (argc > 1 && strcmp(argv[1], "report") == 0)
		return mp_tool_report(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "ps") == 0)
		return mp_tool_live_ps(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "top") == 0)
		return mp_tool_live_top(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "set") == 0)
		return mp_tool_live_set(argc - 1, argv + 1);
	if (argc > 1 && strcmp(argv[1], "profile") == 0) {
		need_library(argv[0], library, sizeof library);
		return mp_tool_profile(argc - 1, argv + 1, library);
	}
	parse_args(argc, argv, &set);
	need_library(argv[0], library, sizeof library);
	mp_tool_set_preload(library);
	for (size_t i = 0; i < NOPTIONS; i++)
		mp_tool_set_env(options[i].env, set.value[i]);
	mp_tool_set_wait_policy();
	return mp_tool_exec_program(set.argv);
}

/*
 * Spin-then-block runtimes under a cap.  libgomp spins 300,000 times
 * before it sleeps, and 100 only when it sees more threads than CPUs, by
 * the affinity mask, which a cap leaves as it is; a spinning thread holds
 * a P that the thread it waits for may need.  OMP_WAIT_POLICY=PASSIVE
 * makes libgomp and LLVM's libomp sleep at once (GOMP_SPINCOUNT 0,
 * KMP_BLOCKTIME 0).  Set only if the user did not; the one variable the
 * launcher sets besides its own (README, "Usage").
 */
void mp_tool_set_wait_policy(void)
{
	if (!getenv("OMP_WAIT_POLICY"))
		mp_tool_set_env("OMP_WAIT_POLICY", "PASSIVE");
}
