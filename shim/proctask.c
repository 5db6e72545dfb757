/* proctask.c - /proc/self/task/TID/status and syscall, read raw (see proctask.h). */
#include <errno.h>
#include <fcntl.h>
#include <string.h>

#include "shim/proctask.h"
#include "shim/raw_syscall.h"

#ifndef SYS_close_range
#define SYS_close_range 436
#endif
#ifndef CLOSE_RANGE_UNSHARE
#define CLOSE_RANGE_UNSHARE (1u << 1)
#endif

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * The reader's open files, by tid: opening a /proc file costs more than
 * reading it (here: status 19 us opened, read and closed each time, 11 us
 * read again with pread; syscall 8.7 us against 1.2 us), and the monitor
 * reads a spinning holder's state at every probe.  They live in the
 * reader's private table (mp_proctask_private_fds, which empties this).
 * A file of a thread that has exited reads ESRCH even if its tid is
 * reused: the entry is then dropped and opened anew, for the new thread.
 */
enum { TASK_STATUS, TASK_SYSCALL, TASK_FILES };
#define TASK_CACHE 16
static struct { int tid; int fd[TASK_FILES]; } task_cache[TASK_CACHE];   /* tid 0: empty */

static void task_cache_forget(void)
{
	for (int i = 0; i < TASK_CACHE; i++) {
		task_cache[i].tid = 0;
		for (int f = 0; f < TASK_FILES; f++)
			task_cache[i].fd[f] = -1;
	}
}

static int self_pidfd = -1;   /* in the private table: the way back to the program's */

int mp_proctask_private_fds(void)
{
	/* Unshare and close every descriptor in one call (Linux 5.9): the new
	 * table never holds a reference to the program's files, so a pipe the
	 * program closes still reads EOF at once.  Only then open anything:
	 * a descriptor opened before would stay in the program's table. */
	long r = mp_raw_syscall(SYS_close_range, 0, ~0u, CLOSE_RANGE_UNSHARE);
	if (r < 0)
		return (int)r;
	/* Whatever the cache held (a parent's, before a fork) is closed. */
	task_cache_forget();
	long pfd = mp_raw_syscall(SYS_pidfd_open, mp_raw_getpid(), 0, 0);
	self_pidfd = pfd < 0 ? -1 : (int)pfd;
	return 0;
}

/* Without a pidfd (a seccomp filter may deny it): open the program's
 * descriptor anew through /proc (same file, a new open description). */
static int reopen_through_proc(int fd)
{
	char path[32] = "/proc/self/fd/";
	size_t n = strlen(path);
	if (fd < 0 || fd > 9)
		return -EBADF;
	path[n++] = (char)('0' + fd);
	path[n] = 0;
	return (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)path,
	                            O_WRONLY | O_CLOEXEC | O_NOCTTY, 0, 0, 0);
}

int mp_proctask_borrow_fd(int fd)
{
	long got = self_pidfd >= 0 ? mp_raw_syscall(SYS_pidfd_getfd, self_pidfd, fd, 0)
	                           : reopen_through_proc(fd);
	if (got < 0)
		return (int)got;
	if (got != fd) {
		long r = mp_raw_syscall(SYS_dup3, got, fd, 0);
		mp_raw_syscall(SYS_close, got, 0, 0);
		if (r < 0)
			return (int)r;
	}
	return 0;
}

void mp_proctask_return_fd(int fd)
{
	mp_raw_syscall(SYS_close, fd, 0, 0);
}

static const char *field(const char *text, const char *end, const char *name)
{
	size_t n = strlen(name);
	for (const char *p = text; p + n < end; ) {
		if (memcmp(p, name, n) == 0)
			return p + n;
		const char *nl = memchr(p, '\n', (size_t)(end - p));
		if (!nl)
			break;
		p = nl + 1;
	}
	return NULL;
}

static int hex64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int nd = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end && nd < 16; p++, nd++) {
		char c = *p;
		unsigned d;
		if (c >= '0' && c <= '9')
			d = (unsigned)(c - '0');
		else if (c >= 'a' && c <= 'f')
			d = (unsigned)(c - 'a' + 10);
		else
			break;
		v = v << 4 | d;
	}
	if (nd == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

/* A decimal count; *out is left alone unless one is there. */
static int dec64(const char *p, const char *end, uint64_t *out)
{
	uint64_t v = 0;
	int nd = 0;
	while (p < end && (*p == ' ' || *p == '\t'))
		p++;
	for (; p < end && *p >= '0' && *p <= '9' && nd < 19; p++, nd++)
		v = v * 10 + (uint64_t)(*p - '0');
	if (nd == 0)
		return -EINVAL;
	*out = v;
	return 0;
}

int mp_proctask_parse(const char *text, long len, struct mp_task_info *out)
{
	const char *end = text + len;
	/* Names are compared at line starts only, so a thread named
	 * "State:" cannot fool us. */
	const char *st = field(text, end, "State:");
	const char *pnd = field(text, end, "SigPnd:");
	const char *blk = field(text, end, "SigBlk:");
	if (!st || !pnd || !blk)
		return -EINVAL;
	while (st < end && (*st == ' ' || *st == '\t'))
		st++;
	if (st >= end || *st < 'A' || *st > 'z')
		return -EINVAL;
	out->state = *st;
	if (hex64(pnd, end, &out->sig_pending) || hex64(blk, end, &out->sig_blocked))
		return -EINVAL;
	out->nvcsw = MP_NVCSW_UNKNOWN;
	const char *vs = field(text, end, "voluntary_ctxt_switches:");
	if (vs)
		(void)dec64(vs, end, &out->nvcsw);
	return 0;
}

static int task_open(int tid, int file)
{
	static const char *const names[TASK_FILES] = { "/status", "/syscall" };
	char path[48] = "/proc/self/task/";
	size_t n = strlen(path);
	char digits[12];
	int nd = 0;
	for (unsigned u = (unsigned)tid; u; u /= 10)
		digits[nd++] = (char)('0' + u % 10);
	while (nd)
		path[n++] = digits[--nd];
	memcpy(path + n, names[file], strlen(names[file]) + 1);
	return (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
}

/* Read one of tid's files from its start into buf (NUL-terminated):
 * its length, or -errno. */
static long task_pread(int tid, int file, char *buf, long size)
{
	if (tid <= 0)
		return -EINVAL;
	int slot = tid % TASK_CACHE;
	if (task_cache[slot].tid != tid) {
		/* tid 0: an empty entry, whose fds mean nothing (zeroes before
		 * the first mp_proctask_private_fds: never close those). */
		for (int f = 0; f < TASK_FILES && task_cache[slot].tid; f++)
			if (task_cache[slot].fd[f] >= 0)
				mp_raw_syscall(SYS_close, task_cache[slot].fd[f], 0, 0);
		task_cache[slot].tid = tid;
		for (int f = 0; f < TASK_FILES; f++)
			task_cache[slot].fd[f] = -1;
	}
	for (int tries = 0; tries < 2; tries++) {
		int fd = task_cache[slot].fd[file];
		if (fd < 0) {
			fd = task_open(tid, file);
			if (fd < 0)
				return fd;
			task_cache[slot].fd[file] = fd;
		}
		long len = mp_raw_syscall6(SYS_pread64, fd, (long)buf, size - 1, 0, 0, 0);
		if (len > 0) {
			buf[len] = 0;
			return len;
		}
		/* Gone (or a read that failed): drop it and open once more, in
		 * case the tid now names a new thread. */
		mp_raw_syscall(SYS_close, fd, 0, 0);
		task_cache[slot].fd[file] = -1;
		if (tries)
			return len < 0 ? len : -EIO;
	}
	return -EIO;
}

int mp_proctask_read(int tid, struct mp_task_info *out)
{
	/* SigBlk sits about 1 KB in, voluntary_ctxt_switches at the end, 1.4 KB
	 * in; 4 KB leaves room for a long Groups line. */
	char buf[4096];
	long len = task_pread(tid, TASK_STATUS, buf, sizeof buf);
	if (len < 0)
		return (int)len;
	return mp_proctask_parse(buf, len, out);
}

int mp_proctask_running(int tid)
{
	/* "running", or the call it sleeps in: "NR args... sp pc", or "-1 sp
	 * pc" when it sleeps outside a system call (a page fault). */
	char buf[160];
	long len = task_pread(tid, TASK_SYSCALL, buf, sizeof buf);
	if (len < 0)
		return (int)len;
	return len >= 7 && memcmp(buf, "running", 7) == 0;
}

int mp_proc_seccomp_mode(void)
{
	char buf[8192];
	size_t len = 0;
	int fd = (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/self/status",
	                              O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return -1;
	while (len < sizeof buf - 1) {
		long n = mp_raw_syscall(SYS_read, fd, buf + len, sizeof buf - 1 - len);
		if (n <= 0)
			break;
		len += (size_t)n;
	}
	mp_raw_syscall(SYS_close, fd, 0, 0);
	buf[len] = 0;
	const char *p = strstr(buf, "\nSeccomp:");
	if (!p)
		return -1;
	for (p += 9; *p == ' ' || *p == '\t'; p++)
		;
	return *p >= '0' && *p <= '2' ? *p - '0' : -1;
}
