/*
 * cgroup.c - find our cgroup directories (v2 and the v1 "cpu" controller)
 * from /proc/self/cgroup and /proc/self/mountinfo, then read the quota files
 * of that directory and every ancestor up to the mount point.
 *
 * Both versions are looked at because hybrid hosts mount both: the v1 cpu
 * controller carries the quota while the v2 tree has no cpu.max.  Files are
 * read line by line into fixed buffers: mountinfo can be long.
 */
#include "shim/cgroup.h"

#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <string.h>
#include "shim/cpus.h"
#include "shim/raw_syscall.h"

#define MP_PATH_MAX 4096

/* ---- pure parsers (unit tested through cpus.h) ---- */

static const char *mp_skip_spaces(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

static bool mp_at_end(const char *s)
{
	s = mp_skip_spaces(s);
	while (*s == '\n')
		s++;
	return *s == '\0';
}

/* A decimal integer at *s (optional '-'); advances *s past it. */
static bool mp_take_int(const char **s, int64_t *out)
{
	const char *p = *s;
	bool neg = false;
	int64_t v = 0;

	if (*p == '-') {
		neg = true;
		p++;
	}
	if (*p < '0' || *p > '9')
		return false;
	for (; *p >= '0' && *p <= '9'; p++) {
		if (v > (INT64_MAX - 9) / 10)
			return false;
		v = v * 10 + (*p - '0');
	}
	*out = neg ? -v : v;
	*s = p;
	return true;
}

bool mp_cgroup_parse_int(const char *text, int64_t *out)
{
	const char *p = mp_skip_spaces(text);

	return mp_take_int(&p, out) && mp_at_end(p);
}

bool mp_cgroup_parse_cpu_max(const char *text, int64_t *quota,
                             uint64_t *period)
{
	const char *p = mp_skip_spaces(text);
	int64_t q, per;

	if (strncmp(p, "max", 3) == 0) {
		q = -1;
		p += 3;
	} else if (!mp_take_int(&p, &q) || q < 0) {
		return false;
	}
	if (*p != ' ')
		return false;
	p = mp_skip_spaces(p);
	if (!mp_take_int(&p, &per) || per <= 0 || !mp_at_end(p))
		return false;
	*quota = q;
	*period = (uint64_t)per;
	return true;
}

uint32_t mp_cgroup_quota_cpus(int64_t quota, uint64_t period)
{
	uint64_t n;

	if (quota < 0 || period == 0)
		return 0;
	n = ((uint64_t)quota + period - 1) / period;
	if (n == 0)
		n = 1;                  /* quota 0: the kernel refuses it anyway */
	return n > UINT32_MAX ? UINT32_MAX : (uint32_t)n;
}

/* ---- files ---- */

static long mp_open_ro(const char *path)
{
	return mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)path,
	                       O_RDONLY | O_CLOEXEC, 0, 0, 0);
}

static void mp_close(long fd)
{
	mp_raw_syscall(SYS_close, fd, 0, 0);
}

/* A small file into buf, NUL-terminated; false on any error. */
static bool mp_read_small(const char *path, char *buf, size_t cap)
{
	long fd = mp_open_ro(path), r;
	size_t len = 0;

	if (fd < 0)
		return false;
	while (len < cap - 1) {
		r = mp_raw_syscall(SYS_read, fd, buf + len, cap - 1 - len);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			break;
		len += (size_t)r;
	}
	mp_close(fd);
	buf[len] = '\0';
	return len > 0;
}

/* Line-at-a-time reader over a fixed buffer; a line longer than the buffer
 * is skipped whole. */
struct mp_lines {
	long fd;
	size_t start, end;
	bool eof, skipping;
	char buf[4096];
};

static bool mp_lines_open(struct mp_lines *l, const char *path)
{
	l->fd = mp_open_ro(path);
	l->start = l->end = 0;
	l->eof = l->skipping = false;
	return l->fd >= 0;
}

static char *mp_lines_next(struct mp_lines *l)
{
	for (;;) {
		char *nl = memchr(l->buf + l->start, '\n', l->end - l->start);
		long r;

		if (nl) {
			char *line = l->buf + l->start;
			bool skip = l->skipping;

			*nl = '\0';
			l->start = (size_t)(nl - l->buf) + 1;
			l->skipping = false;
			if (!skip)
				return line;
			continue;
		}
		if (l->eof) {
			if (l->start < l->end && !l->skipping &&
			    l->end < sizeof(l->buf)) {
				char *line = l->buf + l->start;
				l->buf[l->end] = '\0';
				l->start = l->end;
				return line;
			}
			return NULL;
		}
		memmove(l->buf, l->buf + l->start, l->end - l->start);
		l->end -= l->start;
		l->start = 0;
		if (l->end == sizeof(l->buf) - 1) {   /* line too long */
			l->end = 0;
			l->skipping = true;
		}
		r = mp_raw_syscall(SYS_read, l->fd, l->buf + l->end,
		                   sizeof(l->buf) - 1 - l->end);
		if (r == -EINTR)
			continue;
		if (r <= 0)
			l->eof = true;
		else
			l->end += (size_t)r;
	}
}

static void mp_lines_close(struct mp_lines *l)
{
	mp_close(l->fd);
}

/* ---- locating the directories ---- */

static bool mp_copy(char *dst, size_t cap, const char *src, size_t n)
{
	if (n >= cap)
		return false;
	memcpy(dst, src, n);
	dst[n] = '\0';
	return true;
}

/* Is word in the comma-separated list [list, list+n)? */
static bool mp_in_list(const char *list, size_t n, const char *word)
{
	size_t wn = strlen(word);
	const char *end = list + n;

	while (list < end) {
		const char *comma = memchr(list, ',', (size_t)(end - list));
		size_t len = comma ? (size_t)(comma - list) : (size_t)(end - list);

		if (len == wn && memcmp(list, word, wn) == 0)
			return true;
		list += len + 1;
	}
	return false;
}

void mp_cgroup_line(const char *line, char *v2, char *v1cpu, size_t cap)
{
	const char *c1 = strchr(line, ':'), *c2;

	if (!c1 || !(c2 = strchr(c1 + 1, ':')))
		return;
	if (c2 == c1 + 1 && c1 - line == 1 && line[0] == '0')
		mp_copy(v2, cap, c2 + 1, strlen(c2 + 1));
	else if (mp_in_list(c1 + 1, (size_t)(c2 - c1 - 1), "cpu"))
		mp_copy(v1cpu, cap, c2 + 1, strlen(c2 + 1));
}

/* Our cgroup paths from /proc/self/cgroup ("ID:CONTROLLERS:PATH"). */
static void mp_cgroup_paths(char *v2, char *v1cpu, size_t cap)
{
	struct mp_lines l;
	char *line;

	v2[0] = v1cpu[0] = '\0';
	if (!mp_lines_open(&l, "/proc/self/cgroup"))
		return;
	while ((line = mp_lines_next(&l)))
		mp_cgroup_line(line, v2, v1cpu, cap);
	mp_lines_close(&l);
}

/* Undo mountinfo's octal escapes (\040 for a space) in place. */
static void mp_unescape(char *s)
{
	char *d = s;

	for (; *s; s++) {
		if (s[0] == '\\' && s[1] >= '0' && s[1] <= '3' &&
		    s[2] >= '0' && s[2] <= '7' && s[3] >= '0' && s[3] <= '7') {
			*d++ = (char)((s[1] - '0') * 64 + (s[2] - '0') * 8 +
			              (s[3] - '0'));
			s += 3;
		} else {
			*d++ = *s;
		}
	}
	*d = '\0';
}

/* Split a mountinfo line into its fields; returns the field count. */
static int mp_split(char *line, char **field, int max)
{
	int n = 0;

	while (*line && n < max) {
		while (*line == ' ')
			*line++ = '\0';
		if (!*line)
			break;
		field[n++] = line;
		while (*line && *line != ' ')
			line++;
	}
	return n;
}

bool mp_mountinfo_dir(char *line, const char *path, const char *fstype,
                      const char *controller, char *dir, char *mnt,
                      size_t cap)
{
	char *f[32];
	int n = mp_split(line, f, 32), dash;
	size_t rootlen;

	for (dash = 6; dash < n && strcmp(f[dash], "-") != 0; dash++)
		;
	if (dash + 1 >= n || strcmp(f[dash + 1], fstype) != 0)
		return false;
	if (controller && (dash + 3 >= n ||
	    !mp_in_list(f[dash + 3], strlen(f[dash + 3]), controller)))
		return false;
	mp_unescape(f[3]);
	mp_unescape(f[4]);
	rootlen = strcmp(f[3], "/") == 0 ? 0 : strlen(f[3]);
	if (strncmp(path, f[3], rootlen) != 0 ||
	    (path[rootlen] != '/' && path[rootlen] != '\0'))
		return false;
	if (!mp_copy(mnt, cap, f[4], strlen(f[4])))
		return false;
	if (!mp_copy(dir, cap, mnt, strlen(mnt)) ||
	    strlen(dir) + strlen(path + rootlen) >= cap)
		return false;
	strcat(dir, path + rootlen);
	return true;
}

/* The directory of cgroup `path` in the hierarchy with fstype `fstype`
 * (and, for v1, super option `controller`): the first matching line of
 * /proc/self/mountinfo (mp_mountinfo_dir). */
static bool mp_cgroup_dir(const char *path, const char *fstype,
                          const char *controller, char *dir, char *mnt,
                          size_t cap)
{
	struct mp_lines l;
	char *line;
	bool found = false;

	if (!path[0] || !mp_lines_open(&l, "/proc/self/mountinfo"))
		return false;
	while (!found && (line = mp_lines_next(&l)))
		found = mp_mountinfo_dir(line, path, fstype, controller, dir,
		                         mnt, cap);
	mp_lines_close(&l);
	return found;
}

/* A quota as a fraction of CPUs: quota < 0 means none. */
struct mp_quota {
	int64_t quota;
	uint64_t period;
};

/* a is tighter than b (either may be none). */
static bool mp_quota_tighter(const struct mp_quota *a, const struct mp_quota *b)
{
	if (a->quota < 0 || !a->period)
		return false;
	if (b->quota < 0 || !b->period)
		return true;
	return (unsigned __int128)a->quota * b->period < (unsigned __int128)b->quota * a->period;
}

/* Tightest quota from dir up to mnt into *best; read_quota reads one
 * directory. */
static void mp_cgroup_walk(char *dir, const char *mnt, struct mp_quota *best,
                           bool (*read_quota)(const char *dir, struct mp_quota *q))
{
	size_t mntlen = strlen(mnt);

	for (;;) {
		struct mp_quota q;
		char *slash;

		if (read_quota(dir, &q) && mp_quota_tighter(&q, best))
			*best = q;
		if (strlen(dir) <= mntlen)
			break;
		slash = strrchr(dir, '/');
		if (!slash || (size_t)(slash - dir) < mntlen)
			break;
		*slash = '\0';
	}
}

static bool mp_read_in(const char *dir, const char *file, char *buf,
                       size_t cap)
{
	char path[MP_PATH_MAX];
	size_t dl = strlen(dir), fl = strlen(file);

	if (dl + 1 + fl >= sizeof(path))
		return false;
	memcpy(path, dir, dl);
	path[dl] = '/';
	memcpy(path + dl + 1, file, fl + 1);
	return mp_read_small(path, buf, cap);
}

static bool mp_cgroup_v2_quota(const char *dir, struct mp_quota *q)
{
	char text[64];

	return mp_read_in(dir, "cpu.max", text, sizeof(text)) &&
	       mp_cgroup_parse_cpu_max(text, &q->quota, &q->period);
}

static bool mp_cgroup_v1_quota(const char *dir, struct mp_quota *q)
{
	char text[64];
	int64_t period;

	if (!mp_read_in(dir, "cpu.cfs_quota_us", text, sizeof(text)) ||
	    !mp_cgroup_parse_int(text, &q->quota) ||
	    !mp_read_in(dir, "cpu.cfs_period_us", text, sizeof(text)) ||
	    !mp_cgroup_parse_int(text, &period) || period <= 0)
		return false;
	q->period = (uint64_t)period;
	return true;
}

bool mp_cgroup_cpu_quota(int64_t *quota, uint64_t *period)
{
	char v2[MP_PATH_MAX], v1[MP_PATH_MAX], dir[MP_PATH_MAX],
	     mnt[MP_PATH_MAX];
	struct mp_quota best = { -1, 0 };

	mp_cgroup_paths(v2, v1, sizeof(v2));
	if (mp_cgroup_dir(v2, "cgroup2", NULL, dir, mnt, sizeof(dir)))
		mp_cgroup_walk(dir, mnt, &best, mp_cgroup_v2_quota);
	if (mp_cgroup_dir(v1, "cgroup", "cpu", dir, mnt, sizeof(dir)))
		mp_cgroup_walk(dir, mnt, &best, mp_cgroup_v1_quota);
	*quota = best.quota;
	*period = best.period;
	return best.quota >= 0 && best.period;
}

uint32_t mp_cgroup_cpu_limit(void)
{
	int64_t quota;
	uint64_t period;

	if (!mp_cgroup_cpu_quota(&quota, &period))
		return 0;
	return mp_cgroup_quota_cpus(quota, period);
}
