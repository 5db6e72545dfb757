/*
 * profile.c - `maxprocs profile` and `maxprocs report`.
 *
 *   maxprocs profile [-p N] [-o DIR] [--min-us US] [--flush-ms MS] [--] PROGRAM [ARGS...]
 *   maxprocs report [--folded | --pprof | --svg FILE | --top N] DIR
 *
 * profile runs PROGRAM with the library profiling (MAXPROCS_PROFILE=DIR),
 * uncapped unless -p or MAXPROCS says otherwise (profiling alone is a use),
 * waits for it, prints its summary on stderr, and exits with its status
 * (or dies of its signal).  Unlike a plain `maxprocs PROGRAM` it stays the
 * parent, since someone must print the summary after the program is gone:
 * it forwards SIGINT, SIGTERM, SIGHUP and SIGQUIT to it.  Each process of
 * the tree writes DIR/PID/; DIR defaults to ./maxprocs-profile-PID.  After
 * the run (and on every `report`) tree.c symbolizes each DIR/PID/stacks.raw
 * with libdw, writes DIR/PID/profile.pb.gz, rewrites the process's folded
 * files and top stacks with those names, and writes DIR's own files for
 * the whole tree; more than one process, and profile prints the tree's
 * summary.
 */
#include "tools/profile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static pid_t child;

static void forward(int sig)
{
	if (child > 0)
		kill(child, sig);
}

/* Print FILE to out; false if it cannot be read. */
static bool cat(const char *path, FILE *out)
{
	FILE *f = fopen(path, "r");
	char buf[8192];
	size_t n;
	if (!f)
		return false;
	while ((n = fread(buf, 1, sizeof buf, f)) > 0)
		fwrite(buf, 1, n, out);
	fclose(f);
	return true;
}

/* The first `lines` lines of path, indented. */
static void head(const char *path, int lines, FILE *out)
{
	FILE *f = fopen(path, "r");
	char line[1024];
	if (!f)
		return;
	for (int i = 0; i < lines && fgets(line, sizeof line, f); i++)
		fprintf(out, "  %s", line);
	fclose(f);
}

/* Every DIR/PID/NAME, the root process first (in full); the others in
 * full, or (brief) their first two lines.  Returns how many. */
static int each_process(const char *dir, long root, const char *name, FILE *out, bool headers,
                        bool brief)
{
	char path[PATH_MAX];
	int n = 0;
	bool said_others = false;
	if (root > 0) {
		snprintf(path, sizeof path, "%s/%ld/%s", dir, root, name);
		if (cat(path, out))
			n++;
	}
	DIR *d = opendir(dir);
	if (!d)
		return n;
	struct dirent *e;
	while ((e = readdir(d)) != NULL) {
		char *end;
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0 || pid == root)
			continue;
		snprintf(path, sizeof path, "%s/%ld/%s", dir, pid, name);
		if (access(path, R_OK) != 0)
			continue;
		if (brief) {
			if (!said_others)
				fprintf(out, "\nother processes of the tree (maxprocs report %s for all):\n", dir);
			said_others = true;
			head(path, 2, out);
			n++;
			continue;
		}
		if (headers)
			fprintf(out, "\n--- process %ld (%s)\n", pid, path);
		cat(path, out);
		n++;
	}
	closedir(d);
	return n;
}

/* Every DIR/PID/stalls.folded (at most max). */
static int folded_files(const char *dir, char **paths, int max)
{
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n < max) {
		char *end, path[PATH_MAX];
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof path, "%s/%ld/stalls.folded", dir, pid);
		if (access(path, R_OK) == 0)
			paths[n++] = strdup(path);
	}
	closedir(d);
	return n;
}

#define REPORT_USAGE "usage: maxprocs report [--folded | --pprof | --svg FILE | --top N] DIR"

int mp_tool_report(int argc, char **argv)
{
	bool folded = false, pprof = false;
	const char *dir = NULL, *svg = NULL, *top = NULL;
	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--folded"))
			folded = true;
		else if (!strcmp(argv[i], "--pprof"))
			pprof = true;
		else if (!strcmp(argv[i], "--svg") && i + 1 < argc)
			svg = argv[++i];
		else if (!strcmp(argv[i], "--top") && i + 1 < argc)
			top = argv[++i];
		else if (argv[i][0] == '-' || dir)
			mp_tool_die_usage("report: unexpected '%s' (" REPORT_USAGE ")", argv[i]);
		else
			dir = argv[i];
	}
	if (!dir)
		mp_tool_die_usage("report: missing DIR (" REPORT_USAGE ")");
	if (top)
		mp_tool_check_value("--top", top, 1, 100000);
	/* The launcher's files first (names from libdw, the tree's files), so
	 * that what follows reads them. */
	int nraw = mp_tool_tree(dir, !pprof);
	if (svg || top) {
		char *paths[4096];
		int nf = folded_files(dir, paths, 4096);
		if (nf == 0) {
			fprintf(stderr, "maxprocs: report: no stalls.folded under '%s'\n", dir);
			return MP_TOOL_EXIT_LAUNCHER;
		}
		int r = 0;
		if (top)
			r = mp_tool_top((const char *const *)paths, nf, atoi(top), stdout);
		if (!r && svg) {
			char title[PATH_MAX + 64];
			snprintf(title, sizeof title, "maxprocs: where threads stall (%s, %d process%s)", dir,
			         nf, nf == 1 ? "" : "es");
			r = mp_tool_flame_svg((const char *const *)paths, nf, svg, title);
			if (!r)
				fprintf(stderr, "maxprocs: report: flame graph in %s\n", svg);
		}
		if (r < 0) {
			fprintf(stderr, "maxprocs: report: %s: %s\n", svg ? svg : dir, strerror(-r));
			return MP_TOOL_EXIT_LAUNCHER;
		}
		return fflush(stdout) == 0 ? 0 : MP_TOOL_EXIT_LAUNCHER;
	}
	if (pprof) {
		fprintf(stderr, "maxprocs: report: %d profile.pb.gz written under %s/ "
		        "(go tool pprof -top %s/PID/profile.pb.gz), and %s/profile.pb.gz for all\n", nraw,
		        dir, dir, dir);
		return nraw ? 0 : MP_TOOL_EXIT_LAUNCHER;
	}
	char tree[PATH_MAX];
	snprintf(tree, sizeof tree, "%s/summary.txt", dir);
	if (!folded && nraw > 1 && cat(tree, stdout))
		fputs("\n", stdout);
	int n = each_process(dir, -1, folded ? "stalls.folded" : "summary.txt", stdout, !folded, false);
	if (n == 0) {
		fprintf(stderr, "maxprocs: report: no profile in '%s' (expected %s/PID/summary.txt)\n",
		        dir, dir);
		return MP_TOOL_EXIT_LAUNCHER;
	}
	return fflush(stdout) == 0 ? 0 : MP_TOOL_EXIT_LAUNCHER;
}

int mp_tool_profile(int argc, char **argv, const char *library)
{
	const char *procs = NULL, *dir = NULL, *min_us = NULL, *flush_ms = NULL;
	int i = 1;
	for (; i < argc; i++) {
		const char *a = argv[i];
		if (!strcmp(a, "--")) {
			i++;
			break;
		}
		if (a[0] != '-')
			break;
		const char **into = !strcmp(a, "-p") || !strcmp(a, "--procs") ? &procs
		                  : !strcmp(a, "-o") || !strcmp(a, "--output") ? &dir
		                  : !strcmp(a, "--min-us") ? &min_us
		                  : !strcmp(a, "--flush-ms") ? &flush_ms : NULL;
		if (!into)
			mp_tool_die_usage("profile: unknown option '%s'; accepted: -p N, -o DIR, "
			                  "--min-us US, --flush-ms MS, --", a);
		if (i + 1 >= argc)
			mp_tool_die_usage("profile: option '%s' needs a value", a);
		*into = argv[++i];
	}
	if (i >= argc)
		mp_tool_die_usage("profile: missing PROGRAM (usage: maxprocs profile [-p N] "
		                  "[-o DIR] [--min-us US] [--flush-ms MS] [--] PROGRAM [ARGS...])");
	if (procs)
		mp_tool_check_value("-p/--procs", procs, 1, MP_TOOL_MAXPROCS);
	if (min_us)
		mp_tool_check_value("--min-us", min_us, 1, 60000000);
	if (flush_ms)
		mp_tool_check_value("--flush-ms", flush_ms, 0, 3600000);
	if (dir && !*dir)
		mp_tool_die_usage("profile: -o needs a directory, not ''");

	char defdir[64];
	if (!dir) {
		snprintf(defdir, sizeof defdir, "maxprocs-profile-%ld", (long)getpid());
		dir = defdir;
	}
	mp_tool_set_preload(library);
	/* Uncapped unless asked: the library's default would cap at the CPUs. */
	if (procs || !getenv("MAXPROCS") || !*getenv("MAXPROCS"))
		mp_tool_set_env("MAXPROCS", procs ? procs : "1024");
	if (procs)
		mp_tool_set_wait_policy();   /* capped: as `maxprocs -p` does */
	mp_tool_set_env("MAXPROCS_PROFILE", dir);
	if (min_us)
		mp_tool_set_env("MAXPROCS_PROFILE_MIN_US", min_us);
	if (flush_ms)
		mp_tool_set_env("MAXPROCS_PROFILE_FLUSH_MS", flush_ms);

	struct sigaction sa = { .sa_handler = forward };
	sigemptyset(&sa.sa_mask);
	fflush(NULL);
	child = fork();
	if (child < 0) {
		fprintf(stderr, "maxprocs: profile: fork: %s\n", strerror(errno));
		return MP_TOOL_EXIT_LAUNCHER;
	}
	if (child == 0)
		_exit(mp_tool_exec_program(argv + i));
	for (int s = 0, sigs[] = { SIGINT, SIGTERM, SIGHUP, SIGQUIT }; s < 4; s++)
		sigaction(sigs[s], &sa, NULL);
	int status;
	while (waitpid(child, &status, 0) < 0)
		if (errno != EINTR) {
			fprintf(stderr, "maxprocs: profile: waitpid: %s\n", strerror(errno));
			return MP_TOOL_EXIT_LAUNCHER;
		}
	fflush(stdout);
	/* More than one process: the tree's summary, which has a line for
	 * each; one: its own summary, as the library wrote it (better names). */
	char tree[PATH_MAX];
	snprintf(tree, sizeof tree, "%s/summary.txt", dir);
	if (mp_tool_tree(dir, true) > 1 && cat(tree, stderr))
		fprintf(stderr, "maxprocs: profile in %s/ (maxprocs report %s)\n", dir, dir);
	else if (each_process(dir, child, "summary.txt", stderr, true, true) == 0)
		fprintf(stderr, "maxprocs: profile: %s/%ld/summary.txt was not written "
		        "(killed by SIGKILL, or the library could not start)\n", dir, (long)child);
	else
		fprintf(stderr, "maxprocs: profile in %s/ (maxprocs report %s)\n", dir, dir);
	if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);
		signal(sig, SIG_DFL);
		sigset_t one;
		sigemptyset(&one);
		sigaddset(&one, sig);
		sigprocmask(SIG_UNBLOCK, &one, NULL);
		fflush(NULL);
		kill(getpid(), sig);
		return 128 + sig;
	}
	return WIFEXITED(status) ? WEXITSTATUS(status) : MP_TOOL_EXIT_LAUNCHER;
}
