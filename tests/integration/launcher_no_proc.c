/* launcher_no_proc: without /proc (a chroot, a container) and without MAXPROCS_LIBRARY, the launcher still finds the build tree's library, whether it is run by absolute path, by PATH lookup, by a relative path or from an fd (so only argv[0] tells where it is), and the program runs with the library loaded. Needs root for a mount namespace; skips otherwise. */
#include <link.h>
#include <sched.h>
#include <sys/mount.h>
#include "launcher_exec.h"

static int find_library_object(struct dl_phdr_info *info, size_t size,
                               void *found)
{
	(void)size;
	if (info->dlpi_name && strstr(info->dlpi_name, "/libmaxprocs.so"))
		*(bool *)found = true;
	return 0;
}

/* Under the launcher: the first LD_PRELOAD entry is the library, and it is
 * loaded (asked of the dynamic linker: there is no /proc/self/maps). */
static int program_main(void)
{
	const char *preload = getenv("LD_PRELOAD");
	bool loaded = false;
	char first[4096];
	size_t len;

	it_check(preload, "LD_PRELOAD is not set");
	len = strcspn(preload, ": ");
	it_check(len < sizeof first, "LD_PRELOAD too long");
	memcpy(first, preload, len);
	first[len] = '\0';
	it_check(len > 15 && strcmp(first + len - 15, "/libmaxprocs.so") == 0,
	         "first LD_PRELOAD entry '%s' is not libmaxprocs.so", first);
	it_check(access(first, R_OK) == 0, "'%s': %s", first, strerror(errno));
	dl_iterate_phdr(find_library_object, &loaded);
	printf("proc: %s\n", access("/proc/self/exe", F_OK) == 0 ? "visible"
	                                                       : "hidden");
	printf("library loaded: %s\n", loaded ? "yes" : "no");
	return IT_PASS;
}

static char self[4096], launcher[4096], launcher_dir[4096];

enum how { ABSOLUTE, PATH_LOOKUP, RELATIVE, FD_ABSOLUTE_ARGV0, FD_BARE_ARGV0 };
static const char *const how_names[] = {
	"by absolute path", "by PATH lookup", "by relative path",
	"from an fd, argv[0] absolute", "from an fd, argv[0] found in PATH",
};
static enum how how;

static int launcher_fd = -1;

/* In the child, just before the launcher is run: put its directory first
 * in PATH, or move into it; from an fd, run it here. */
static void prepare(void)
{
	const char *path = getenv("PATH");
	char *value;

	if (asprintf(&value, "%s:%s", launcher_dir, path ? path : "/bin") < 0 ||
	    setenv("PATH", value, 1) != 0)
		_exit(126);
	if (how == RELATIVE && chdir(launcher_dir) != 0)
		_exit(126);
}

static char *launcher_argv[] = { NULL, "-p", "1", "--", self, "program",
                                 NULL };

/* execveat on an O_CLOEXEC fd: the kernel names the program /dev/fd/N
 * (AT_EXECFN), which does not resolve without /proc, so only argv[0] is
 * left to find the launcher by. */
static void prepare_and_exec_fd(void)
{
	prepare();
	execveat(launcher_fd, "", launcher_argv, environ, AT_EMPTY_PATH);
	dprintf(2, "execveat %s: %s\n", launcher, strerror(errno));
	_exit(127);
}

/* Run the launcher one way, as a child; it must run the program with the
 * library.  Called inside the namespace where /proc is hidden. */
static void run_launcher(enum how h)
{
	static const char *const argv0[] = {
		[ABSOLUTE] = launcher, [PATH_LOOKUP] = "maxprocs",
		[RELATIVE] = "./maxprocs", [FD_ABSOLUTE_ARGV0] = launcher,
		[FD_BARE_ARGV0] = "maxprocs",
	};
	bool from_fd = h == FD_ABSOLUTE_ARGV0 || h == FD_BARE_ARGV0;
	struct lx_child c;
	char name[128], err[1024];
	int status;

	how = h;
	launcher_argv[0] = (char *)argv0[h];
	launcher_argv[2] = lx_procs();
	if (from_fd)
		launcher_fd = (int)it_sys(open(launcher, O_RDONLY | O_CLOEXEC));
	lx_start(&c, launcher_argv, true, from_fd ? prepare_and_exec_fd
	                                          : prepare);
	if (from_fd)
		close(launcher_fd);
	snprintf(name, sizeof name, "maxprocs run %s without /proc",
	         how_names[h]);
	c.name = name;
	lx_read_all(c.out, c.buf, sizeof c.buf, name);
	lx_read_all(c.err, err, sizeof err, name);
	status = lx_wait(&c);
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	         "%s: %s; stdout: '%s'; stderr: '%s'", name,
	         lx_describe(status), c.buf, err);
	it_check(strstr(c.buf, "proc: hidden\n"), "%s: /proc is visible to "
	         "the program: '%s'", name, c.buf);
	it_check(strstr(c.buf, "library loaded: yes\n"), "%s: the library is "
	         "not loaded: '%s'", name, c.buf);
	printf("%s: library found and loaded\n", how_names[h]);
}

/* In a child: a private mount namespace with an empty tmpfs over /proc,
 * then every way of running the launcher.  Exits 77 if the namespace
 * cannot be made. */
static void hidden_proc_child(void)
{
	enum how h;

	if (unshare(CLONE_NEWNS) != 0) {
		fprintf(stderr, "SKIP: unshare(CLONE_NEWNS): %s\n",
		        strerror(errno));
		exit(IT_SKIP);
	}
	if (mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/proc", "tmpfs", 0, NULL) != 0) {
		fprintf(stderr, "SKIP: cannot hide /proc: %s\n", strerror(errno));
		exit(IT_SKIP);
	}
	it_check(access("/proc/self/exe", F_OK) != 0, "/proc is not hidden");
	for (h = ABSOLUTE; h <= FD_BARE_ARGV0; h++)
		run_launcher(h);
	exit(IT_PASS);
}

int main(int argc, char **argv)
{
	/* Its own waits are bounded: this one only catches a hang of the
	 * namespace set-up itself. */
	struct lx_child c = { .name = "the child with /proc hidden",
	                      .timeout_s = 3 * LX_TIMEOUT_S };
	char *slash;
	int status;

	if (argc == 2 && strcmp(argv[1], "program") == 0)
		return program_main();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	fprintf(stderr, "SKIP: sanitizer runtimes need /proc\n");
	return IT_SKIP;
#endif
	if (geteuid() != 0) {
		fprintf(stderr, "SKIP: hiding /proc needs root (a mount "
		        "namespace)\n");
		return IT_SKIP;
	}
	setvbuf(stdout, NULL, _IONBF, 0);
	lx_self(self, sizeof self);
	it_check(realpath(lx_launcher(), launcher), "%s: %s", lx_launcher(),
	         strerror(errno));
	strcpy(launcher_dir, launcher);
	slash = strrchr(launcher_dir, '/');
	*slash = '\0';
	it_check(strcmp(slash + 1, "maxprocs") == 0, "the launcher '%s' is "
	         "not named maxprocs", launcher);
	/* The build tree must be found by the launcher, not handed to it. */
	unsetenv("MAXPROCS_LIBRARY");

	fflush(NULL);
	c.pid = (pid_t)it_sys(fork());
	if (c.pid == 0)
		hidden_proc_child();
	lx_live_pid = c.pid;
	c.out = (int)it_sys(dup(0));    /* lx_wait closes it */
	c.err = -1;
	status = lx_wait(&c);
	if (WIFEXITED(status) && WEXITSTATUS(status) == IT_SKIP)
		return IT_SKIP;
	it_check(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	         "the child with /proc hidden: %s", lx_describe(status));
	return IT_PASS;
}
