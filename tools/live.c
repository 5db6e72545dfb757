/*
 * live.c - `maxprocs ps`, `maxprocs top` and `maxprocs set`: readers (and
 * the one writer of the control area) of the stats segments that capped
 * programs publish in /dev/shm/maxprocs-UID/PID (shim/statseg_layout.h,
 * docs/design.md "The stats segment").
 *
 * Security is the file system's: the directory is 0700 and the file 0600,
 * both the owner's, so only the owner (and root) can open a segment at
 * all; the tools add clear one-line errors on top.  A segment is only
 * data: every size and count in it is checked before use, and a process
 * whose pid is gone, or alive with another start time (pid reuse), is a
 * stale segment that `ps` and `top` remove.
 */
#include "tools/live.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#ifdef MP_HAVE_NCURSES
#include <curses.h>
#endif

#include "shim/statseg_layout.h"

#define EXIT_USAGE 2     /* bad input: a bad N or PID, no segment */
#define EXIT_DENIED 1    /* not the owner, or the segment is unusable */
#define MAX_TARGETS 256

/* ---- reading a segment ---- */

struct seg {
	int pid;
	char path[96];
	struct mp_seg_file *file;   /* mapped; NULL: none */
	size_t size;
};

static void seg_dir(char *buf, size_t n, unsigned uid)
{
	snprintf(buf, n, MP_SEG_DIR_PREFIX "%u", uid);
}

/* Field 22 of /proc/PID/stat; 0 if unknown. */
static uint64_t proc_start_time(int pid)
{
	char path[64], text[1024];
	snprintf(path, sizeof path, "/proc/%d/stat", pid);
	FILE *f = fopen(path, "re");
	if (!f)
		return 0;
	size_t n = fread(text, 1, sizeof text - 1, f);
	fclose(f);
	text[n] = '\0';
	char *p = strrchr(text, ')');
	if (!p)
		return 0;
	p++;
	for (int field = 3; field < 22; field++) {
		while (*p == ' ')
			p++;
		while (*p && *p != ' ')
			p++;
	}
	return strtoull(p, NULL, 10);
}

/* The process the segment describes still runs (pid and start time). */
static bool seg_alive(const struct mp_seg_header *h)
{
	if (h->pid <= 0 || (kill(h->pid, 0) != 0 && errno != EPERM))
		return false;
	uint64_t t = proc_start_time(h->pid);
	return !t || !h->start_time || t == h->start_time;
}

/* Everything the reader relies on, checked before any other use. */
static const char *header_problem(const struct mp_seg_header *h, size_t file_size)
{
	if (__atomic_load_n(&h->magic, __ATOMIC_ACQUIRE) != MP_SEG_MAGIC)
		return "not a maxprocs stats segment (bad magic)";
	if (h->version != MP_SEG_VERSION)
		return "a stats segment of another version of maxprocs";
	if (h->header_size != sizeof *h || h->total_size != sizeof(struct mp_seg_file) ||
	    file_size < sizeof(struct mp_seg_file) ||
	    h->stats_offset != offsetof(struct mp_seg_file, stats) ||
	    h->stats_size != sizeof(struct mp_seg_stats) ||
	    h->control_offset != offsetof(struct mp_seg_file, control) ||
	    h->control_size != sizeof(struct mp_seg_control) ||
	    h->counter_size != sizeof(struct mp_seg_counter) ||
	    h->call_size != sizeof(struct mp_seg_call) || h->pstates_max != MP_MAXPROCS)
		return "a stats segment whose sizes do not match this maxprocs";
	return NULL;
}

static void seg_close(struct seg *s)
{
	if (s->file)
		munmap(s->file, s->size);
	s->file = NULL;
}

/* Map path (read-only unless writable).  0; or -errno (the file cannot be
 * opened) or -EINVAL (not a valid segment: *problem says why). */
static int seg_open_path(struct seg *s, const char *path, bool writable, const char **problem)
{
	*problem = NULL;
	s->file = NULL;
	snprintf(s->path, sizeof s->path, "%s", path);
	int fd = open(path, (writable ? O_RDWR : O_RDONLY) | O_NOFOLLOW | O_CLOEXEC | O_NONBLOCK);
	if (fd < 0)
		return -errno;
	struct stat st;
	if (fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || st.st_size < (off_t)sizeof(struct mp_seg_header)) {
		close(fd);
		*problem = "not a maxprocs stats segment (not a regular file, or too short)";
		return -EINVAL;
	}
	s->size = (size_t)st.st_size;
	void *m = mmap(NULL, s->size, PROT_READ | (writable ? PROT_WRITE : 0), MAP_SHARED, fd, 0);
	close(fd);
	if (m == MAP_FAILED)
		return -errno;
	s->file = m;
	*problem = header_problem(&s->file->header, s->size);
	if (*problem) {
		seg_close(s);
		return -EINVAL;
	}
	s->pid = s->file->header.pid;
	return 0;
}

/*
 * A consistent copy of the stats (the seqlock's reader side): retry while
 * seq is odd or changed around the copy.  The library rewrites the record
 * in microseconds every 250 ms, so a retry or two is the worst case; a
 * segment whose writer died mid-write stays odd: false after ~50 ms.
 * Counts are clamped, strings terminated, so what follows can trust them.
 */
static bool seg_snapshot(const struct seg *s, struct mp_seg_stats *out)
{
	const struct mp_seg_stats *in = &s->file->stats;
	for (int tries = 0; tries < 1000; tries++) {
		uint64_t s1 = __atomic_load_n(&in->seq, __ATOMIC_ACQUIRE);
		if (s1 & 1) {
			struct timespec ts = { 0, 50000 };
			nanosleep(&ts, NULL);
			continue;
		}
		memcpy(out, (const void *)in, sizeof *out);
#if defined(__SANITIZE_THREAD__)
		/* ThreadSanitizer refuses fences; the writer is another process,
		 * which it does not see anyway. */
		if (__atomic_load_n(&in->seq, __ATOMIC_ACQUIRE) != s1)
			continue;
#else
		__atomic_thread_fence(__ATOMIC_ACQUIRE);   /* the copy before the second read */
		if (__atomic_load_n(&in->seq, __ATOMIC_RELAXED) != s1)
			continue;
#endif
		out->why[sizeof out->why - 1] = '\0';
		if (out->ncounters > MP_SEG_COUNTERS_MAX)
			out->ncounters = MP_SEG_COUNTERS_MAX;
		if (out->ptable_len > MP_MAXPROCS)
			out->ptable_len = MP_MAXPROCS;
		for (uint32_t i = 0; i < out->ncounters; i++) {
			out->counters[i].name[MP_SEG_NAME_LEN - 1] = '\0';
			out->counters[i].unit[sizeof out->counters[i].unit - 1] = '\0';
		}
		return s1 != 0;   /* 0: never published yet */
	}
	return false;
}

static uint64_t counter(const struct mp_seg_stats *st, const char *name)
{
	for (uint32_t i = 0; i < st->ncounters; i++)
		if (strcmp(st->counters[i].name, name) == 0)
			return st->counters[i].value;
	return 0;
}

static const char *comm_of(const struct seg *s, char *buf, size_t n)
{
	memcpy(buf, s->file->header.comm, sizeof s->file->header.comm);
	buf[n - 1 < sizeof s->file->header.comm ? n - 1 : sizeof s->file->header.comm - 1] = '\0';
	for (char *p = buf; *p; p++)
		if ((unsigned char)*p < ' ' || (unsigned char)*p > '~')
			*p = '?';
	return buf;
}

/* The segment path of pid, in its owner's directory; the owner in *uid.
 * -ESRCH: no such process. */
static int pid_seg_path(int pid, char *path, size_t n, unsigned *uid)
{
	char proc[32];
	struct stat st;
	snprintf(proc, sizeof proc, "/proc/%d", pid);
	if (stat(proc, &st) != 0)
		return -ESRCH;
	*uid = st.st_uid;
	char dir[48];
	seg_dir(dir, sizeof dir, st.st_uid);
	snprintf(path, n, "%s/%d", dir, pid);
	return 0;
}

static bool parse_pid(const char *s, int *pid)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (!*s || *end || errno || v <= 0 || v > 0x3fffffff || s[0] < '0' || s[0] > '9')
		return false;
	*pid = (int)v;
	return true;
}

/* Open the segment of pid for reading or writing, or say in one line why
 * not and return the exit status (EXIT_USAGE or EXIT_DENIED). */
static int open_pid(int pid, bool writable, struct seg *s, const char *cmd)
{
	char path[96];
	unsigned uid;
	const char *problem;
	if (pid_seg_path(pid, path, sizeof path, &uid) != 0) {
		fprintf(stderr, "maxprocs %s: no process %d\n", cmd, pid);
		return EXIT_USAGE;
	}
	if (uid != geteuid() && geteuid() != 0) {
		fprintf(stderr, "maxprocs %s: process %d belongs to uid %u: only its owner may %s it\n",
		        cmd, pid, uid, writable ? "change" : "read");
		return EXIT_DENIED;
	}
	int r = seg_open_path(s, path, writable, &problem);
	if (r == -ENOENT) {
		fprintf(stderr, "maxprocs %s: no stats segment for process %d (%s): not run under "
		        "maxprocs, MAXPROCS_STATS=0, or not yet two threads\n", cmd, pid, path);
		return EXIT_USAGE;
	}
	if (r == -EACCES || r == -EPERM) {
		fprintf(stderr, "maxprocs %s: %s: permission denied: only the owner of process %d may %s it\n",
		        cmd, path, pid, writable ? "change" : "read");
		return EXIT_DENIED;
	}
	if (r == -ELOOP) {
		fprintf(stderr, "maxprocs %s: %s is a symlink, not a segment: refused\n", cmd, path);
		return EXIT_DENIED;
	}
	if (r < 0) {
		fprintf(stderr, "maxprocs %s: %s: %s\n", cmd, path, problem ? problem : strerror(-r));
		return EXIT_DENIED;
	}
	if (s->file->header.pid != pid || !seg_alive(&s->file->header)) {
		fprintf(stderr, "maxprocs %s: %s is stale (its process is gone)\n", cmd, path);
		seg_close(s);
		return EXIT_USAGE;
	}
	return 0;
}

/* Every live segment of this user: stale ones (dead pid, reused pid) are
 * removed, with one line each on stderr.  Returns how many were found. */
static int list_segments(struct seg *out, int max, const char *cmd)
{
	char dir[48];
	seg_dir(dir, sizeof dir, geteuid());
	DIR *d = opendir(dir);
	int n = 0;
	if (!d)
		return 0;
	struct dirent *e;
	while ((e = readdir(d)) && n < max) {
		int pid;
		if (!parse_pid(e->d_name, &pid))
			continue;
		char path[96];
		const char *problem;
		snprintf(path, sizeof path, "%s/%d", dir, pid);
		struct seg s;
		if (seg_open_path(&s, path, false, &problem) != 0)
			continue;   /* half-made, foreign or broken: not ours to judge */
		if (s.pid != pid || !seg_alive(&s.file->header)) {
			if (cmd)   /* NULL: quietly (top's screen) */
				fprintf(stderr, "maxprocs %s: removed the stale segment of process %d\n", cmd, pid);
			seg_close(&s);
			unlink(path);
			continue;
		}
		out[n++] = s;
	}
	closedir(d);
	return n;
}

/* ---- maxprocs ps ---- */

int mp_tool_live_ps(int argc, char **argv)
{
	(void)argv;
	if (argc > 1) {
		fprintf(stderr, "maxprocs ps: takes no arguments (usage: maxprocs ps)\n");
		return EXIT_USAGE;
	}
	static struct seg segs[MAX_TARGETS];
	int n = list_segments(segs, MAX_TARGETS, "ps");
	printf("%7s %5s %7s %4s %4s %4s  %-16s %s\n", "PID", "N", "THREADS", "RUN", "CALL", "WAIT",
	       "COMMAND", "WHY");
	for (int i = 0; i < n; i++) {
		struct mp_seg_stats st;
		char comm[17];
		if (!seg_snapshot(&segs[i], &st)) {
			seg_close(&segs[i]);
			continue;
		}
		printf("%7d %5u %7u %4u %4u %4u  %-16s %s\n", segs[i].pid, st.nprocs, st.threads,
		       st.threads_running, st.threads_in_calls, st.threads_waiting,
		       comm_of(&segs[i], comm, sizeof comm), st.why);
		seg_close(&segs[i]);
	}
	return 0;
}

/* ---- maxprocs set ---- */

int mp_tool_live_set(int argc, char **argv)
{
	int pid;
	uint32_t n;
	if (argc != 3) {
		fprintf(stderr, "maxprocs set: usage: maxprocs set PID N (N from 1 to %d, or auto)\n",
		        MP_MAXPROCS);
		return EXIT_USAGE;
	}
	if (!parse_pid(argv[1], &pid)) {
		fprintf(stderr, "maxprocs set: invalid PID '%s': expected a positive integer\n", argv[1]);
		return EXIT_USAGE;
	}
	if (strcmp(argv[2], "auto") == 0) {
		n = MP_SEG_CONTROL_AUTO;
	} else {
		char *end;
		errno = 0;
		unsigned long v = strtoul(argv[2], &end, 10);
		if (!argv[2][0] || *end || errno || argv[2][0] < '0' || argv[2][0] > '9' || v < 1 ||
		    v > MP_MAXPROCS) {
			fprintf(stderr, "maxprocs set: invalid N '%s': expected an integer from 1 to %d, or auto\n",
			        argv[2], MP_MAXPROCS);
			return EXIT_USAGE;
		}
		n = (uint32_t)v;
	}
	struct seg s;
	int r = open_pid(pid, true, &s, "set");
	if (r)
		return r;
	struct mp_seg_stats before;
	bool had = seg_snapshot(&s, &before);
	struct mp_seg_control *c = &s.file->control;
	/* request and check first, the seq last: the library acts on a new
	 * seq only, and then finds both. */
	__atomic_store_n(&c->request, n, __ATOMIC_RELAXED);
	__atomic_store_n(&c->check, ~n, __ATOMIC_RELAXED);
	uint32_t seq = __atomic_add_fetch(&c->seq, 1, __ATOMIC_RELEASE);
	/* The monitor reads it within a period (250 ms) while it runs. */
	for (int i = 0; i < 150; i++) {
		struct mp_seg_stats st;
		if (seg_snapshot(&s, &st) && st.control_seq == seq) {
			printf("maxprocs set: process %d: N=%u (was %u): %s\n", pid, st.control_applied,
			       had ? before.nprocs : 0, st.why);
			seg_close(&s);
			return 0;
		}
		struct timespec ts = { 0, 20 * 1000000 };
		nanosleep(&ts, NULL);
	}
	printf("maxprocs set: process %d: request written, not applied yet (its monitor runs while "
	       "it has two threads or more)\n", pid);
	seg_close(&s);
	return 0;
}

/* ---- maxprocs top ---- */

struct sample {
	bool ok;
	struct mp_seg_stats st;
};

struct target {
	int pid;
	struct seg seg;
	char comm[17];
	struct sample prev, cur;
	bool gone;
};

struct rates {
	double handoffs, retakes, preempts, pwait, overshoot;   /* per second (ns per second for times) */
};

static struct rates rates_of(const struct target *t)
{
	const struct mp_seg_stats *c = &t->cur.st, *p = &t->prev.st;
	struct rates r = { 0, 0, 0, 0, 0 };
	double dt;
	bool since_start = !t->prev.ok || c->updated_ns <= p->updated_ns;
	if (since_start)
		dt = (double)c->uptime_ns / 1e9;
	else
		dt = (double)(c->updated_ns - p->updated_ns) / 1e9;
	if (dt <= 0)
		return r;
#define RATE(field, expr_cur, expr_prev) \
	r.field = ((double)(expr_cur) - (since_start ? 0.0 : (double)(expr_prev))) / dt
	RATE(handoffs, counter(c, "handoffs"), counter(p, "handoffs"));
	RATE(retakes, counter(c, "retakes"), counter(p, "retakes"));
	RATE(preempts, counter(c, "preempts") + counter(c, "sigpreempts"),
	     counter(p, "preempts") + counter(p, "sigpreempts"));
	RATE(pwait, c->pwait_ns, p->pwait_ns);
	RATE(overshoot, counter(c, "overshoot"), counter(p, "overshoot"));
#undef RATE
	return r;
}

/* With profiling: the calls that blocked longest over the last interval
 * (since the start at the first refresh), "read 120.5ms/s, poll 3.0ms/s";
 * "" when the process does not profile. */
static void stalls_text(const struct target *t, char *buf, size_t n, const char *sep)
{
	const struct mp_seg_stats *c = &t->cur.st, *p = &t->prev.st;
	bool since_start = !t->prev.ok || c->updated_ns <= p->updated_ns;
	double dt = since_start ? (double)c->uptime_ns / 1e9 : (double)(c->updated_ns - p->updated_ns) / 1e9;
	double rate[MP_SEG_CALLS_MAX];
	uint32_t nc = c->ncalls < MP_SEG_CALLS_MAX ? c->ncalls : MP_SEG_CALLS_MAX;
	buf[0] = '\0';
	if (dt <= 0)
		return;
	for (uint32_t i = 0; i < nc; i++) {
		double before = 0;
		for (uint32_t k = 0; !since_start && k < p->ncalls && k < MP_SEG_CALLS_MAX; k++)
			if (strncmp(p->calls[k].name, c->calls[i].name, MP_SEG_NAME_LEN) == 0)
				before = (double)p->calls[k].stall_ns;
		rate[i] = ((double)c->calls[i].stall_ns - before) / dt;
	}
	size_t len = 0;
	for (int shown = 0; shown < 3; shown++) {
		int best = -1;
		for (uint32_t i = 0; i < nc; i++)
			if (rate[i] > 0 && (best < 0 || rate[i] > rate[best]))
				best = (int)i;
		if (best < 0)
			break;
		char name[MP_SEG_NAME_LEN + 1];
		memcpy(name, c->calls[best].name, MP_SEG_NAME_LEN);
		name[MP_SEG_NAME_LEN] = '\0';
		int w = snprintf(buf + len, n - len, "%s%s %.1fms/s", shown ? sep : "", name, rate[best] / 1e6);
		if (w < 0 || (size_t)w >= n - len)
			break;
		len += (size_t)w;
		rate[best] = 0;
	}
}

static void refresh_targets(struct target *t, int nt)
{
	for (int i = 0; i < nt; i++) {
		if (t[i].gone)
			continue;
		t[i].prev = t[i].cur;
		if (!seg_alive(&t[i].seg.file->header)) {
			t[i].gone = true;
			continue;
		}
		t[i].cur.ok = seg_snapshot(&t[i].seg, &t[i].cur.st);
		if (!t[i].cur.ok)
			t[i].cur = t[i].prev;
	}
}

/* Without PIDs, top follows this user's processes as they come and go:
 * new segments join, gone processes leave after one "gone" line. */
static void rescan_targets(struct target *t, int *nt)
{
	static struct seg segs[MAX_TARGETS];
	int keep = 0;
	for (int i = 0; i < *nt; i++) {
		if (t[i].gone && t[i].seg.file) {
			seg_close(&t[i].seg);
			continue;   /* shown as gone once: now dropped */
		}
		t[keep++] = t[i];
	}
	*nt = keep;
	int n = list_segments(segs, MAX_TARGETS, NULL);
	for (int k = 0; k < n; k++) {
		bool known = false;
		for (int i = 0; i < *nt && !known; i++)
			known = t[i].pid == segs[k].pid;
		if (known || *nt >= MAX_TARGETS) {
			seg_close(&segs[k]);
			continue;
		}
		struct target *nt_ = &t[(*nt)++];
		memset(nt_, 0, sizeof *nt_);
		nt_->seg = segs[k];
		nt_->pid = segs[k].pid;
		comm_of(&nt_->seg, nt_->comm, sizeof nt_->comm);
	}
}

static int live_count(const struct target *t, int nt)
{
	int n = 0;
	for (int i = 0; i < nt; i++)
		n += !t[i].gone && t[i].cur.ok;
	return n;
}

static void batch_print(const struct target *t, int nt, double interval)
{
	char when[32];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
	printf("maxprocs top - %s, %d process%s, every %.1fs\n", when, live_count(t, nt),
	       live_count(t, nt) == 1 ? "" : "es", interval);
	for (int i = 0; i < nt; i++) {
		if (t[i].gone || !t[i].cur.ok) {
			if (t[i].gone)
				printf("pid=%d gone\n", t[i].pid);
			continue;
		}
		const struct mp_seg_stats *s = &t[i].cur.st;
		struct rates r = rates_of(&t[i]);
		printf("pid=%d comm=%s N=%u why=\"%s\" p_idle=%u p_running=%u p_in_call=%u p_stopped=%u "
		       "threads=%u t_running=%u t_in_calls=%u t_waiting=%u handoffs/s=%.1f retakes/s=%.1f "
		       "preempts/s=%.1f pwait_ms/s=%.1f overshoot_ms/s=%.1f hwm=%u\n",
		       t[i].pid, t[i].comm, s->nprocs, s->why, s->idle, s->running, s->in_syscall, s->stopped,
		       s->threads, s->threads_running, s->threads_in_calls, s->threads_waiting, r.handoffs,
		       r.retakes, r.preempts, r.pwait / 1e6, r.overshoot / 1e6, s->running_hwm);
		char stalls[256];
		stalls_text(&t[i], stalls, sizeof stalls, ",");
		if (stalls[0])
			printf("pid=%d stalls=\"%s\"\n", t[i].pid, stalls);
	}
	fflush(stdout);
}

static void sleep_seconds(double s)
{
	struct timespec ts = { (time_t)s, (long)((s - (double)(time_t)s) * 1e9) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

#ifdef MP_HAVE_NCURSES
static const char *const pstate_glyph = ".RCs";   /* idle, running, in a call, stopped */

static void screen_draw(const struct target *t, int nt, double interval)
{
	char when[32];
	time_t now = time(NULL);
	strftime(when, sizeof when, "%H:%M:%S", localtime(&now));
	erase();
	mvprintw(0, 0, "maxprocs top - %s  %d process%s  every %.1fs  q: quit", when, live_count(t, nt),
	         live_count(t, nt) == 1 ? "" : "es", interval);
	attron(A_REVERSE);
	mvprintw(2, 0, "%7s %-12s %4s %4s %4s %4s %4s %5s %4s %4s %4s %8s %8s %8s %8s %8s  %s", "PID",
	         "COMMAND", "N", "IDLE", "RUN", "CALL", "STOP", "THR", "RUN", "CALL", "WAIT", "HANDOF/s",
	         "RETAKE/s", "PREEMP/s", "PWAIT/s", "OVERSH/s", "WHY");
	attroff(A_REVERSE);
	int row = 3;
	for (int i = 0; i < nt && row < LINES - 1; i++) {
		if (t[i].gone) {
			mvprintw(row++, 0, "%7d gone", t[i].pid);
			continue;
		}
		if (!t[i].cur.ok)
			continue;
		const struct mp_seg_stats *s = &t[i].cur.st;
		struct rates r = rates_of(&t[i]);
		mvprintw(row++, 0, "%7d %-12.12s %4u %4u %4u %4u %4u %5u %4u %4u %4u %8.1f %8.1f %8.1f %6.1fms %6.1fms  %s",
		         t[i].pid, t[i].comm, s->nprocs, s->idle, s->running, s->in_syscall, s->stopped,
		         s->threads, s->threads_running, s->threads_in_calls, s->threads_waiting, r.handoffs,
		         r.retakes, r.preempts, r.pwait / 1e6, r.overshoot / 1e6, s->why);
		/* The P table, one glyph per P. */
		if (row < LINES - 1) {
			char line[128];
			uint32_t n = s->ptable_len < 96 ? s->ptable_len : 96;
			for (uint32_t k = 0; k < n; k++)
				line[k] = s->pstates[k] < 4 ? pstate_glyph[s->pstates[k]] : '?';
			line[n] = '\0';
			mvprintw(row++, 8, "Ps [%s]%s", line, s->ptable_len > n ? " ..." : "");
		}
		char stalls[256];
		stalls_text(&t[i], stalls, sizeof stalls, ", ");
		if (stalls[0] && row < LINES - 1)
			mvprintw(row++, 8, "blocked longest: %s", stalls);
	}
	mvprintw(LINES - 1, 0, "Ps: R running user code, C in a call, . idle, s stopped (beyond N)");
	refresh();
}
#endif

static void top_usage(FILE *out)
{
	fputs("usage: maxprocs top [-b] [-n COUNT] [-d SECONDS] [PID...]\n"
	      "  -b          batch: plain lines, one per process and refresh\n"
	      "  -n COUNT    stop after COUNT refreshes\n"
	      "  -d SECONDS  refresh interval (default 1)\n"
	      "Without PIDs: every capped process of this user.\n", out);
}

int mp_tool_live_top(int argc, char **argv)
{
	bool batch = false;
	long count = -1;
	double interval = 1.0;
	int c;
	opterr = 0;
	optind = 1;
	while ((c = getopt(argc, argv, "+bn:d:h")) != -1) {
		char *end;
		switch (c) {
		case 'b':
			batch = true;
			break;
		case 'n':
			errno = 0;
			count = strtol(optarg, &end, 10);
			if (!*optarg || *end || errno || count < 1) {
				fprintf(stderr, "maxprocs top: invalid -n '%s': expected a positive integer\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'd':
			errno = 0;
			interval = strtod(optarg, &end);
			if (!*optarg || *end || errno || !(interval >= 0.1 && interval <= 3600)) {
				fprintf(stderr, "maxprocs top: invalid -d '%s': expected seconds from 0.1 to 3600\n", optarg);
				return EXIT_USAGE;
			}
			break;
		case 'h':
			top_usage(stdout);
			return 0;
		default:
			fprintf(stderr, "maxprocs top: unknown option or missing value '%s' (see maxprocs top -h)\n",
			        argv[optind - 1]);
			return EXIT_USAGE;
		}
	}
	static struct target t[MAX_TARGETS];
	int nt = 0;
	bool follow_all = optind >= argc;
	if (!follow_all) {
		for (int i = optind; i < argc && nt < MAX_TARGETS; i++) {
			int pid;
			if (!parse_pid(argv[i], &pid)) {
				fprintf(stderr, "maxprocs top: invalid PID '%s'\n", argv[i]);
				return EXIT_USAGE;
			}
			int r = open_pid(pid, false, &t[nt].seg, "top");
			if (r)
				return r;
			t[nt++].pid = pid;
		}
	} else {
		static struct seg segs[MAX_TARGETS];
		int n = list_segments(segs, MAX_TARGETS, "top");
		for (int i = 0; i < n; i++) {
			t[nt].seg = segs[i];
			t[nt++].pid = segs[i].pid;
		}
	}
	for (int i = 0; i < nt; i++)
		comm_of(&t[i].seg, t[i].comm, sizeof t[i].comm);
	refresh_targets(t, nt);

	bool screen = !batch && isatty(STDOUT_FILENO);
#ifdef MP_HAVE_NCURSES
	if (screen) {
		initscr();
		cbreak();
		noecho();
		curs_set(0);
		for (long k = 0; count < 0 || k < count; k++) {
			if (k) {
				if (follow_all)
					rescan_targets(t, &nt);
				refresh_targets(t, nt);
			}
			screen_draw(t, nt, interval);
			if (count >= 0 && k + 1 >= count)
				break;
			timeout((int)(interval * 1000));
			int ch = getch();
			if (ch == 'q' || ch == 'Q')
				break;
		}
		endwin();
		return 0;
	}
#else
	if (screen)
		fprintf(stderr, "maxprocs top: built without ncurses: batch mode (-b)\n");
#endif
	for (long k = 0; count < 0 || k < count; k++) {
		if (k) {
			sleep_seconds(interval);
			if (follow_all)
				rescan_targets(t, &nt);
			refresh_targets(t, nt);
		}
		batch_print(t, nt, interval);
	}
	return 0;
}
