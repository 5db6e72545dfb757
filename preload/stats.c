/*
 * stats.c - the stats segment's publish duty, its control, and the
 * MAXPROCS=auto duty (stats.h).  Everything after init runs on the
 * monitor thread: no lock, no allocation; never on a program's call path.
 *
 * Nothing read from the segment is trusted: the library keeps its own
 * copy of every value it writes (the seqlock's counter included) and
 * reads only the control area, whose request must carry its check word
 * and lie in 1..MP_MAXPROCS (or be MP_SEG_CONTROL_AUTO) to be applied.
 * A segment full of random bytes therefore changes nothing but, at most,
 * one "ignoring" line on stderr.
 */
#include "preload/stats.h"

#include <stddef.h>
#include <string.h>

#include "prof/prof.h"
#include "sched/sched.h"
#include "shim/line.h"
#include "shim/proctask.h"
#include "shim/raw_syscall.h"
#include "shim/statseg.h"
#include "shim/vdso.h"

_Static_assert((int)MP_PV_IDLE == (int)MP_SEG_P_IDLE && (int)MP_PV_RUNNING == (int)MP_SEG_P_RUNNING &&
               (int)MP_PV_SYSCALL == (int)MP_SEG_P_SYSCALL && (int)MP_PV_STOPPED == (int)MP_SEG_P_STOPPED,
               "the segment's P states are the core's");

#define AUTO_PERIOD_NS 1000000000ull   /* Go 1.25 re-reads the quota once a second too */

static struct mp_statseg seg;
static struct mp_seg_header header;   /* our copy of what we wrote */
static int seg_failed_pid;           /* creation failed in this process: no retries */
static bool debug;
static struct mp_auto_rules rules;

/* The cap's state: monitor thread only after init. */
static struct {
	enum mp_seg_source source;
	uint32_t env_n;                  /* MAXPROCS=N; 0: auto */
	uint32_t n;                      /* what we last asked the core for */
	uint32_t auto_n;                 /* auto's answer at its last look (0: none) */
	char why[MP_SEG_WHY_LEN];
	char auto_why[MP_SEG_WHY_LEN];
	uint32_t control_seen, control_applied, control_rejected;
	bool said_rejected;
	uint64_t seq, publishes;
} cap;

static void copy_str(char *dst, size_t cap_bytes, const char *src)
{
	size_t n = strlen(src);
	if (n >= cap_bytes)
		n = cap_bytes - 1;
	memcpy(dst, src, n);
	dst[n] = '\0';
}

const char *mp_preload_nprocs_why(void)
{
	return cap.why;
}

/* One line on the program's stderr from the monitor thread, whose
 * descriptor table is its own (empty) when the kernel allows it. */
static void say_line(struct mp_line *ln)
{
	bool borrow = mp_monitor_fds_private();
	if (borrow && mp_proctask_borrow_fd(2) != 0)
		return;
	mp_line_write(ln, 2);
	if (borrow)
		mp_proctask_return_fd(2);
}

static void say(const char *a, const char *b)
{
	struct mp_line ln;
	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: stats: ");
	mp_line_str(&ln, a);
	mp_line_str(&ln, b);
	say_line(&ln);
}

static void resize_to(uint32_t n)
{
	if (n == cap.n)
		return;
	if (mp_procresize(n) == 0)
		cap.n = n;
}

/* Why N is n: "maxprocs set 3", "MAXPROCS=2". */
static void why_is(const char *source, uint32_t n)
{
	struct mp_line ln;
	mp_line_init(&ln);
	mp_line_str(&ln, source);
	mp_line_u64(&ln, n);
	ln.buf[ln.len] = '\0';
	copy_str(cap.why, sizeof cap.why, ln.buf);
}

static void auto_look(void)
{
	struct mp_cpus_info info;
	cap.auto_n = mp_cpus_auto(&rules, &info);
	copy_str(cap.auto_why, sizeof cap.auto_why, info.why);
}

/* The auto duty: follow the affinity mask and the quota. */
static void auto_duty(uint64_t now, void *arg)
{
	(void)now, (void)arg;
	auto_look();
	if (cap.source != MP_SEG_SRC_AUTO)
		return;   /* maxprocs set overrides it until "set PID auto" */
	copy_str(cap.why, sizeof cap.why, cap.auto_why);
	resize_to(cap.auto_n);
}

/* The control area: a changed seq is one request, taken once. */
static void control_read(struct mp_seg_control *c)
{
	uint32_t req;
	int r = mp_seg_control_take(c, &cap.control_seen, &req);
	if (r == 0)
		return;
	if (r < 0) {
		cap.control_rejected++;
		if (!cap.said_rejected) {
			cap.said_rejected = true;
			say("ignoring a malformed request in ", seg.path);
		}
		return;
	}
	if (req == MP_SEG_CONTROL_AUTO) {
		/* Back to what the environment said. */
		if (cap.env_n) {
			cap.source = MP_SEG_SRC_ENV;
			why_is("MAXPROCS=", cap.env_n);
			resize_to(cap.env_n);
		} else {
			cap.source = MP_SEG_SRC_AUTO;
			auto_look();
			copy_str(cap.why, sizeof cap.why, cap.auto_why);
			resize_to(cap.auto_n);
		}
	} else {
		cap.source = MP_SEG_SRC_SET;
		why_is("maxprocs set ", req);
		resize_to(req);
	}
	cap.control_applied = cap.n;
}

static void bounded_copy(char *dst, size_t n, const char *src)
{
	size_t i = 0;
	for (; i + 1 < n && src[i]; i++)
		dst[i] = src[i];
	for (; i < n; i++)
		dst[i] = '\0';
}

static uint64_t start_ns;

static void publish(struct mp_seg_stats *out, uint64_t now)
{
	struct mp_stats st;
	mp_stats_snapshot(&st);

	/* Seqlock, writer side: odd, then the data, then even.  The
	 * counter is ours (cap.seq), never read back from the file. */
	/* Odd before any data: the exchange's acquire keeps the stores below
	 * after it (a release fence would too, but ThreadSanitizer builds
	 * refuse fences; four times a second, a locked instruction is free). */
	(void)__atomic_exchange_n(&out->seq, ++cap.seq, __ATOMIC_ACQ_REL);
	out->updated_ns = now;
	out->uptime_ns = now > start_ns ? now - start_ns : 0;
	out->publishes = ++cap.publishes;
	out->nprocs = st.nprocs;
	out->idle = st.idle;
	out->running = st.running;
	out->in_syscall = st.in_syscall;
	out->stopped = st.stopped;
	out->threads = st.threads;
	out->threads_running = st.running;
	out->threads_waiting = st.waiting;
	uint32_t busy = st.running + st.waiting;
	out->threads_in_calls = st.threads > busy ? st.threads - busy : 0;
	out->running_hwm = st.running_hwm;
	out->source = cap.source;
	out->auto_n = cap.auto_n;
	out->control_seq = cap.control_seen;
	out->control_applied = cap.control_applied;
	out->control_rejected = cap.control_rejected;
	out->pwait_ns = st.pwait_ns;
	bounded_copy(out->why, sizeof out->why, cap.why);
	uint32_t k = 0;
#define MP_COUNTER(where, field, trace_name, unit_text, scale_by, doc)                   \
	if (k < MP_SEG_COUNTERS_MAX) {                                                     \
		struct mp_seg_counter *c = &out->counters[k++];                            \
		bounded_copy(c->name, sizeof c->name, trace_name);                         \
		bounded_copy(c->unit, sizeof c->unit, unit_text);                          \
		c->scale = (scale_by);                                                     \
		c->value = st.field;                                                       \
	}
#include "sched/counters.def"
#undef MP_COUNTER
	out->ncounters = k;
	/* Profiling: the calls that blocked longest (the tools take the
	 * differences between refreshes). */
	struct mp_prof_top top[MP_SEG_CALLS_MAX];
	uint32_t ncalls = mp_prof_top_calls(top, MP_SEG_CALLS_MAX);
	for (uint32_t i = 0; i < ncalls; i++) {
		bounded_copy(out->calls[i].name, sizeof out->calls[i].name, top[i].name);
		out->calls[i].calls = top[i].count;
		out->calls[i].stall_ns = top[i].stall_ns;
	}
	out->ncalls = ncalls;
	out->ptable_len = mp_p_states(out->pstates, MP_MAXPROCS);
	__atomic_store_n(&out->seq, ++cap.seq, __ATOMIC_RELEASE);   /* publishes the fields above */
}

static void stats_duty(uint64_t now, void *arg)
{
	(void)arg;
	int pid = mp_raw_getpid();
	if (seg.file && seg.path[0] && !mp_statseg_intact(&seg))
		seg_failed_pid = 0;   /* dropped: make a new one now */
	if (!seg.file) {
		if (seg_failed_pid == pid)
			return;
		const char *what = "";
		int r = mp_statseg_create(&seg, &what);
		if (r < 0) {
			seg_failed_pid = pid;
			if (debug) {
				struct mp_line ln;
				mp_line_init(&ln);
				mp_line_str(&ln, "maxprocs: debug: no stats segment: ");
				mp_line_str(&ln, what);
				mp_line_str(&ln, ": ");
				mp_line_str(&ln, strerror(-r));
				say_line(&ln);
			}
			return;
		}
		cap.control_seen = 0;
		cap.seq = 0;
		cap.publishes = 0;
		header = seg.file->header;
	}
	/* Our header, again if someone wrote over it: a reader needs it
	 * intact to read anything at all. */
	if (memcmp(&seg.file->header, &header, sizeof header) != 0)
		memcpy(&seg.file->header, &header, sizeof header);
	control_read(&seg.file->control);
	struct mp_seg_stats *out = &seg.file->stats;
	publish(out, now);
}

void mp_preload_stats_init(const struct mp_config *cfg, const struct mp_cpus_info *cpus)
{
	debug = cfg->debug;
	rules = (struct mp_auto_rules){ cfg->auto_floor, cfg->auto_min, cfg->auto_reserve };
	cap.n = cfg->nprocs;
	int64_t t = mp_clock_ns(CLOCK_MONOTONIC);
	start_ns = t < 0 ? 0 : (uint64_t)t;
	if (cfg->nprocs_from_env) {
		cap.source = MP_SEG_SRC_ENV;
		cap.env_n = cfg->nprocs;
		why_is("MAXPROCS=", cfg->nprocs);
	} else {
		cap.source = MP_SEG_SRC_AUTO;
		cap.auto_n = cpus->result;
		copy_str(cap.why, sizeof cap.why, cpus->why);
		copy_str(cap.auto_why, sizeof cap.auto_why, cpus->why);
	}
	/* A full table only loses the live view or the following: the cap
	 * itself holds. */
	if (!cfg->nprocs_from_env)
		(void)mp_monitor_duty_add("auto", AUTO_PERIOD_NS, auto_duty, NULL);
	if (cfg->stats)
		(void)mp_monitor_duty_add("stats", MP_SEG_PERIOD_MS * 1000000ull, stats_duty, NULL);
}

void mp_preload_stats_exit(void)
{
	mp_statseg_remove(&seg);
}

void mp_preload_stats_fork_child(void)
{
	/* The mapping is shared with the parent: drop it unwritten; the
	 * child's own monitor makes the child's segment. */
	mp_statseg_forget(&seg);
	seg_failed_pid = 0;
}
