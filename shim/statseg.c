/*
 * statseg.c - create, map and remove the stats segment (rules in
 * statseg.h).
 */
#include "shim/statseg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "shim/raw_syscall.h"

static long seg_close(long fd)
{
	return mp_raw_syscall(SYS_close, fd, 0, 0);
}

/* Decimal digits of v at p; returns the end. */
static char *put_u64(char *p, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	while (n)
		*p++ = tmp[--n];
	*p = '\0';
	return p;
}

uint64_t mp_stat_start_time(const char *text)
{
	/* comm may hold ") ": the fields start after the last ')'. */
	const char *p = strrchr(text, ')');
	uint64_t v = 0;
	if (!p)
		return 0;
	p++;
	/* After ')' come fields 3, 4, ... separated by single spaces. */
	int field = 2;
	while (*p) {
		while (*p == ' ')
			p++;
		if (++field == 22)
			break;
		while (*p && *p != ' ')
			p++;
	}
	if (field != 22)
		return 0;
	if (*p < '0' || *p > '9')
		return 0;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (UINT64_MAX - 9) / 10)
			return 0;
		v = v * 10 + (uint64_t)(*p - '0');
	}
	return v;
}

int mp_seg_control_take(const struct mp_seg_control *c, uint32_t *seen, uint32_t *n)
{
	/* acquire: the writer stores request and check before its seq */
	uint32_t seq = __atomic_load_n(&c->seq, __ATOMIC_ACQUIRE);
	if (seq == *seen)
		return 0;
	*seen = seq;
	uint32_t req = __atomic_load_n(&c->request, __ATOMIC_RELAXED);
	uint32_t check = __atomic_load_n(&c->check, __ATOMIC_RELAXED);
	if (check != ~req || (req != MP_SEG_CONTROL_AUTO && req > MP_MAXPROCS))
		return -1;
	*n = req;
	return 1;
}

static long read_small(const char *path, char *buf, size_t cap)
{
	long fd = mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	size_t len = 0;
	if (fd < 0)
		return fd;
	while (len < cap - 1) {
		long r = mp_raw_syscall(SYS_read, fd, buf + len, cap - 1 - len);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	seg_close(fd);
	buf[len] = '\0';
	return (long)len;
}

uint64_t mp_proc_start_time(void)
{
	char text[1024];
	if (read_small("/proc/self/stat", text, sizeof text) <= 0)
		return 0;
	return mp_stat_start_time(text);
}

/*
 * The per-user directory, opened without following a symlink, and
 * checked on the open descriptor (no window between check and use):
 * a directory of ours, mode 0700.  One we just made gets 0700 whatever
 * the umask.  The descriptor, or -errno.
 */
static long open_user_dir(const char *dir, uint32_t uid, const char **what)
{
	long r = mp_raw_syscall(SYS_mkdirat, AT_FDCWD, (long)dir, 0700);
	bool made = r == 0;
	if (r < 0 && r != -EEXIST) {
		*what = "mkdir";
		return r;
	}
	long fd = mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)dir,
	                          O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC, 0, 0, 0);
	if (fd < 0) {
		*what = "open the directory (a symlink?)";
		return fd;
	}
	struct stat st;
	if (made)
		mp_raw_syscall(SYS_fchmod, fd, 0700, 0);
	r = mp_raw_syscall(SYS_fstat, fd, (long)&st, 0);
	if (r < 0 || !S_ISDIR(st.st_mode) || st.st_uid != uid || (st.st_mode & 07777) != 0700) {
		*what = r < 0 ? "stat the directory" : st.st_uid != uid ? "directory owner"
		                                                          : "directory mode";
		seg_close(fd);
		return r < 0 ? r : -EPERM;
	}
	return fd;
}

/* An existing file named PID in dirfd: true if it is a stale segment of
 * this pid that we may replace (see statseg.h). */
static bool stale_own_segment(long dirfd, const char *name, uint32_t uid, int pid)
{
	long fd = mp_raw_syscall6(SYS_openat, dirfd, (long)name,
	                          O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK, 0, 0, 0);
	if (fd < 0)
		return false;   /* a symlink (ELOOP), or not ours to read */
	struct stat st;
	struct mp_seg_header h;
	bool stale = mp_raw_syscall(SYS_fstat, fd, (long)&st, 0) == 0 && S_ISREG(st.st_mode) &&
	             st.st_uid == uid && (st.st_mode & 07777) == 0600 &&
	             (size_t)st.st_size >= sizeof h &&
	             mp_raw_syscall6(SYS_pread64, fd, (long)&h, sizeof h, 0, 0, 0) == (long)sizeof h &&
	             h.magic == MP_SEG_MAGIC && h.pid == pid && h.uid == uid;
	seg_close(fd);
	return stale;
}

int mp_statseg_create(struct mp_statseg *seg, const char **what)
{
	const char *dummy;
	if (!what)
		what = &dummy;
	seg->file = NULL;
	uint32_t uid = (uint32_t)mp_raw_syscall(SYS_getuid, 0, 0, 0);
	int pid = mp_raw_getpid();
	char dir[40], name[16];
	size_t plen = sizeof MP_SEG_DIR_PREFIX - 1;
	memcpy(dir, MP_SEG_DIR_PREFIX, plen);
	put_u64(dir + plen, uid);
	put_u64(name, (uint64_t)pid);

	long dirfd = open_user_dir(dir, uid, what);
	if (dirfd < 0)
		return (int)dirfd;
	int flags = O_RDWR | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC;
	long fd = mp_raw_syscall6(SYS_openat, dirfd, (long)name, flags, 0600, 0, 0);
	if (fd == -EEXIST && stale_own_segment(dirfd, name, uid, pid) &&
	    mp_raw_syscall(SYS_unlinkat, dirfd, (long)name, 0) == 0)
		fd = mp_raw_syscall6(SYS_openat, dirfd, (long)name, flags, 0600, 0, 0);
	if (fd < 0) {
		*what = fd == -EEXIST ? "a file is already at the segment's path" : "create the file";
		seg_close(dirfd);
		return (int)fd;
	}
	size_t size = sizeof(struct mp_seg_file);
	long r = mp_raw_syscall(SYS_fchmod, fd, 0600, 0);   /* whatever the umask */
	if (r == 0)
		r = mp_raw_syscall(SYS_ftruncate, fd, size, 0);
	long addr = r;
	if (r == 0)
		addr = mp_raw_syscall6(SYS_mmap, 0, (long)size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	struct stat st;
	if (r == 0 && mp_raw_syscall(SYS_fstat, fd, (long)&st, 0) == 0) {
		seg->dev = st.st_dev;
		seg->ino = st.st_ino;
	}
	seg_close(fd);
	if (r < 0 || (addr < 0 && addr > -4096)) {
		*what = r < 0 ? "size the file" : "map the file";
		mp_raw_syscall(SYS_unlinkat, dirfd, (long)name, 0);
		seg_close(dirfd);
		return (int)(r < 0 ? r : addr);
	}
	seg_close(dirfd);

	struct mp_seg_file *f = (struct mp_seg_file *)addr;
	struct mp_seg_header *h = &f->header;
	h->header_size = sizeof *h;
	h->version = MP_SEG_VERSION;
	h->total_size = (uint32_t)size;
	h->stats_offset = (uint32_t)offsetof(struct mp_seg_file, stats);
	h->stats_size = sizeof f->stats;
	h->control_offset = (uint32_t)offsetof(struct mp_seg_file, control);
	h->control_size = sizeof f->control;
	h->counter_size = sizeof(struct mp_seg_counter);
	h->call_size = sizeof(struct mp_seg_call);
	h->pstates_max = MP_MAXPROCS;
	h->pid = pid;
	h->uid = uid;
	h->start_time = mp_proc_start_time();
	char comm[32];
	long n = read_small("/proc/self/comm", comm, sizeof comm);
	if (n > 0 && comm[n - 1] == '\n')
		comm[--n] = '\0';
	if (n > 0)
		memcpy(h->comm, comm, (size_t)n < sizeof h->comm - 1 ? (size_t)n : sizeof h->comm - 1);
	/* The magic last: a reader that sees it sees the rest. */
	__atomic_store_n(&h->magic, MP_SEG_MAGIC, __ATOMIC_RELEASE);

	seg->file = f;
	seg->pid = pid;
	memcpy(seg->path, dir, strlen(dir));
	seg->path[strlen(dir)] = '/';
	memcpy(seg->path + strlen(dir) + 1, name, strlen(name) + 1);
	return 0;
}

bool mp_statseg_intact(struct mp_statseg *seg)
{
	struct stat st;
	if (!seg->file)
		return false;
	long r = mp_raw_syscall6(SYS_newfstatat, AT_FDCWD, (long)seg->path, (long)&st,
	                         AT_SYMLINK_NOFOLLOW, 0, 0);
	bool ours = r == 0 && st.st_dev == seg->dev && st.st_ino == seg->ino;
	if (ours && (size_t)st.st_size >= sizeof *seg->file)
		return true;
	/* Gone, replaced or truncated: never write it again. */
	mp_statseg_forget(seg);
	if (ours)
		mp_raw_syscall(SYS_unlinkat, AT_FDCWD, (long)seg->path, 0);
	return false;
}

void mp_statseg_forget(struct mp_statseg *seg)
{
	if (seg->file)
		mp_raw_syscall(SYS_munmap, (long)seg->file, sizeof *seg->file, 0);
	seg->file = NULL;
}

void mp_statseg_remove(struct mp_statseg *seg)
{
	/* Another pid is a vfork child on our memory: the mapping is the
	 * parent's, in use by its monitor; leave everything alone. */
	if (!seg->file || seg->pid != mp_raw_getpid() || !seg->path[0])
		return;
	/* Only the name goes: the monitor may still write the mapping while
	 * the process ends (an _exit from another thread), and the memory
	 * goes with the process. */
	mp_raw_syscall(SYS_unlinkat, AT_FDCWD, (long)seg->path, 0);
	seg->path[0] = '\0';
}
