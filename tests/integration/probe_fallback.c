/*
 * probe_fallback: a thread that blocks in a call the library cannot see (a
 * raw read on a pipe) while it holds the only P must give the P back to the
 * thread that will write the pipe, even when the monitor's probes of the
 * kernel fail:
 *   emfile   the descriptor table is full (RLIMIT_NOFILE reached)
 *   seccomp  a seccomp filter denies openat and thread CPU clocks
 *   noproc   /proc is hidden (a tmpfs over it in a private mount
 *            namespace; needs root, skips otherwise)
 *   lowfd    probes under way must never take the program's lowest free
 *            descriptor: open() returns the same number every time
 */
#include <dirent.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <sched.h>
#include <stddef.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/syscall.h>
#include <unistd.h>
#include "itest.h"

#if defined(__SANITIZE_ADDRESS__)
/* LeakSanitizer needs /proc and free descriptors at exit, which two of
 * the modes take away on purpose. */
const char *__asan_default_options(void);
const char *__asan_default_options(void) { return "detect_leaks=0"; }
#endif

static int fds[2];
static volatile int stop;

static long raw_read(int fd, void *buf, size_t n)
{
	long ret;
	__asm__ volatile("syscall" : "=a"(ret) : "a"(SYS_read), "D"(fd), "S"(buf), "d"(n)
	                 : "rcx", "r11", "memory");
	return ret;
}

static void *writer(void *arg)
{
	int rounds = *(int *)arg;
	for (int i = 0; i < rounds; i++) {
		it_burn_cpu(0.002);
		if (write(fds[1], "x", 1) != 1)
			it_fail("write: %s", strerror(errno));
	}
	return NULL;
}

/* Main blocks in raw reads while holding its P; the writer needs one. */
static void blocked_holder_rounds(int rounds)
{
	pthread_t w;
	char c;
	it_create(&w, writer, &rounds);
	for (int i = 0; i < rounds; i++)
		it_check(raw_read(fds[0], &c, 1) == 1, "raw read");
	it_join(w);
}

static void fill_fd_table(void)
{
	struct rlimit rl;
	it_sys(getrlimit(RLIMIT_NOFILE, &rl));
	rl.rlim_cur = 64;
	it_sys(setrlimit(RLIMIT_NOFILE, &rl));
	while (open("/dev/null", O_RDONLY) >= 0)
		;
	it_check(errno == EMFILE, "filling the table: %s", strerror(errno));
}

static void deny_probes(void)
{
	/* openat -> EPERM; clock_gettime(clk < 0), i.e. another thread's CPU
	 * clock -> EPERM; everything else allowed. */
	struct sock_filter f[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_clock_gettime, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, args[0])),
		BPF_JUMP(BPF_JMP | BPF_JSET | BPF_K, 0x80000000u, 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | EPERM),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { sizeof f / sizeof f[0], f };
	it_sys(prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0));
	it_sys(prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &prog));
}

static int hide_proc(void)
{
	if (geteuid() != 0) {
		fprintf(stderr, "noproc: needs root (a private mount namespace): skipped\n");
		return -1;
	}
	if (unshare(CLONE_NEWNS) != 0 ||
	    mount("none", "/", NULL, MS_REC | MS_PRIVATE, NULL) != 0 ||
	    mount("tmpfs", "/proc", "tmpfs", 0, NULL) != 0) {
		fprintf(stderr, "noproc: cannot hide /proc (%s): skipped\n", strerror(errno));
		return -1;
	}
	return 0;
}

/* Entries of /proc/self/fd (the one opendir holds included): the library
 * must leave no descriptor of its own in the program's table. */
static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	if (!d)
		return -1;
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void *opener(void *arg)
{
	int *violations = arg, expect = open("/dev/null", O_RDONLY);
	close(expect);
	while (!stop) {
		int fd = open("/dev/null", O_RDONLY);
		if (fd != expect)
			(*violations)++;
		close(fd);
	}
	return NULL;
}

int main(int argc, char **argv)
{
	const char *mode = argc > 1 ? argv[1] : "";

	it_check_mode();
	if (!strcmp(mode, "noproc") && hide_proc() != 0)
		return IT_SKIP;
	it_sys(pipe(fds));
	if (!strcmp(mode, "emfile"))
		fill_fd_table();
	else if (!strcmp(mode, "seccomp"))
		deny_probes();
	if (!strcmp(mode, "lowfd")) {
		pthread_t b, o;
		int violations = 0;
		it_create(&b, it_spinner, NULL);   /* the monitor starts here */
		it_sleep_ms(50);
		printf("descriptors open: %d\n", open_fds());
		it_create(&o, opener, &violations);
		blocked_holder_rounds(200);
		stop = it_spinners_stop = 1;
		it_join(b);
		it_join(o);
		printf("lowest-descriptor violations: %d\n", violations);
		return IT_PASS;
	}
	blocked_holder_rounds(20);
	printf("%s: the blocked holder's P reached the writer 20 times\n", mode);
	return IT_PASS;
}
