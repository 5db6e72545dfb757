/*
 * init.c - start the scheduler when the library is loaded, stop it when the
 * process exits.
 *
 * Constructor (priority 101, first among ours; libraries we depend on, libc
 * included, are initialised before us):
 *   1. settings from the environment (one warning per bad variable);
 *   2. resolve every real function now, so no wrapper calls dlsym later
 *      (dlsym may allocate and takes the loader lock: not in a signal
 *      handler, not in a fork child);
 *   3. mp_sched_init, the preemption signal, the fork child handler, then
 *      the main thread becomes an M and takes P0.
 *
 * The monitor (created with the real pthread_create: it is not an M) starts
 * only when a second M can exist: at every pthread_create that finds it not
 * running (the first one, or one after the monitor left because no M was
 * left), or at once when schedtrace is on.  It leaves when no M is
 * attached or being started (opt.monitor_leaves), so a program whose main
 * called pthread_exit ends when its last thread does, as without us.  With one M nobody ever waits, so there is nothing
 * for it to do, and a second thread is not free: once a process has two
 * threads the kernel reference-counts the file on every fd system call
 * (fdget/fput), which measured +60 ns on a 200 ns write() here, far more
 * than the wrapper itself.  Single-threaded programs (shells, most tools)
 * also skip creating a thread at each exec.
 * Any failure: one line "maxprocs: <reason>; running without a cap" and
 * the scheduler stays off, so every wrapper passes straight through.
 *
 * Destructor: mp_sched_shutdown() stops the monitor and releases parked
 * threads; calls made during the rest of exit pass straight through.
 *
 * Nothing here touches the environment: LD_PRELOAD, MAXPROCS and the rest
 * are inherited by exec'd children, which are capped in turn.
 */
#include "preload/real.h"
#include "preload/wrap.h"
#include "preload/preload.h"
#include "preload/catchall.h"

#include <fcntl.h>
#include <string.h>
#include "shim/config.h"
#include "shim/cpus.h"
#include "shim/line.h"
#include "shim/proctask.h"
#include "shim/raw_syscall.h"
#include "shim/resolve.h"
#include "preload/stats.h"
#include "preload/trace.h"
#include "prof/prof.h"
#include "signals/signals.h"
#include "shim/vdso.h"

static struct mp_config mp_config;
static uint64_t mp_start_ns;

static uint64_t mp_monotonic_ns(void)
{
	int64_t ns = mp_clock_ns(CLOCK_MONOTONIC);
	return ns < 0 ? 0 : (uint64_t)ns;
}

static void mp_warn_stderr(void *ctx, const char *text)
{
	struct mp_line ln;

	(void)ctx;
	mp_line_init(&ln);
	mp_line_str(&ln, text);
	mp_line_write(&ln, 2);
}

void mp_preload_fail(const char *what, int err)
{
	struct mp_line ln;

	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: ");
	mp_line_str(&ln, what);
	if (err) {
		mp_line_str(&ln, ": ");
		mp_line_str(&ln, strerror(err));
	}
	mp_line_str(&ln, "; running without a cap");
	mp_line_write(&ln, 2);
	mp_sched_shutdown();
}

static void mp_monitor_start_or_fail(void)
{
	int r = mp_monitor_start(mp_real_pthread_create());

	if (r < 0)
		mp_preload_fail("cannot start the monitor thread", -r);
}

void mp_preload_monitor_later(bool may_start)
{
	/* Otherwise the next pthread_create starts it (ensure). */
	if (may_start && (mp_config.schedtrace_ms || mp_config.profile_flush_ms))
		mp_monitor_start_or_fail();
}

void mp_preload_monitor_ensure(void)
{
	int r = mp_monitor_ensure(mp_real_pthread_create());

	if (r < 0)
		mp_preload_fail("cannot start the monitor thread", -r);
}

/* "sync=membarrier", or "sync=cas (membarrier: error 38)" when it fell back. */
static void mp_line_sync(struct mp_line *ln)
{
	int why = 0;
	if (mp_sched_sync(&why) == MP_SYNC_MEMBARRIER) {
		mp_line_str(ln, "sync=membarrier");
		return;
	}
	mp_line_str(ln, "sync=cas");
	if (why) {
		mp_line_str(ln, " (membarrier: error ");
		mp_line_i64(ln, -why);
		mp_line_str(ln, ")");
	}
}

static void mp_sync_warn(void)
{
	struct mp_line ln;
	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: MAXPROCS_SYNC=membarrier, but the kernel refused it: ");
	mp_line_sync(&ln);
	mp_line_write(&ln, 2);
}

/* The schedtrace's first line: what the lines after it were measured with. */
static void mp_sync_header(void)
{
	struct mp_line ln;
	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs 0ms: schedtrace every ");
	mp_line_u64(&ln, mp_config.schedtrace_ms);
	mp_line_str(&ln, "ms procs=");
	mp_line_u64(&ln, mp_config.nprocs);
	mp_line_str(&ln, " (");
	mp_line_str(&ln, mp_preload_nprocs_why());
	mp_line_str(&ln, ") slice=");
	mp_line_u64(&ln, mp_config.slice_ns / 1000);
	mp_line_str(&ln, "us ");
	mp_line_sync(&ln);
	mp_line_write(&ln, 2);
}

static void mp_debug_config(const struct mp_cpus_info *cpus)
{
	static const char *const seccomp[] = { "unknown", "off", "strict", "filter" };
	struct mp_line ln;

	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: debug: pid=");
	mp_line_i64(&ln, mp_raw_getpid());
	mp_line_str(&ln, " procs=");
	mp_line_u64(&ln, mp_config.nprocs);
	if (mp_config.nprocs_from_env) {
		mp_line_str(&ln, " (MAXPROCS)");
	} else {
		mp_line_str(&ln, " (affinity=");
		mp_line_u64(&ln, cpus->affinity);
		mp_line_str(&ln, " cgroup-limit=");
		if (cpus->quota_limit)
			mp_line_u64(&ln, cpus->quota_limit);
		else
			mp_line_str(&ln, "none");
		mp_line_str(&ln, ": ");
		mp_line_str(&ln, cpus->why);
		mp_line_str(&ln, ")");
	}
	mp_line_str(&ln, " slice=");
	mp_line_u64(&ln, mp_config.slice_ns / 1000);
	mp_line_str(&ln, "us spin=");
	mp_line_u64(&ln, mp_config.spin_ns / 1000);
	mp_line_str(&ln, "us schedtrace=");
	mp_line_u64(&ln, mp_config.schedtrace_ms);
	mp_line_str(&ln, "ms preempt-signal=");
	if (mp_signals_preempt_signo())
		mp_line_u64(&ln, (uint64_t)mp_signals_preempt_signo());
	else
		mp_line_str(&ln, "off");
	/* Read for this debug line only: under a filter the library keeps
	 * running (docs/design.md, "The monitor thread"). */
	mp_line_str(&ln, " seccomp=");
	mp_line_str(&ln, seccomp[mp_proc_seccomp_mode() + 1]);
	mp_line_str(&ln, " ");
	mp_line_sync(&ln);
	mp_line_write(&ln, 2);
}

static void mp_debug_exit(void)
{
	struct mp_stats st;
	struct mp_line ln;

	mp_stats_snapshot(&st);
	mp_trace_format(&ln, "maxprocs: debug: exit", &st,
	                (mp_monotonic_ns() - mp_start_ns) / 1000000);
	mp_line_write(&ln, 2);
}

/* The profiler's summary header: the cap and the counters that explain
 * the waits for a P. */
static void mp_prof_describe(char *buf, unsigned len)
{
	struct mp_stats st;
	struct mp_line ln;

	mp_stats_snapshot(&st);
	mp_line_init(&ln);
	mp_line_str(&ln, "procs=");
	mp_line_u64(&ln, st.nprocs);
	mp_line_str(&ln, " ");
	mp_line_sync(&ln);
	mp_line_str(&ln, " handoffs=");
	mp_line_u64(&ln, st.handoffs);
	mp_line_str(&ln, " retakes=");
	mp_line_u64(&ln, st.retakes);
	mp_line_str(&ln, " preempts=");
	mp_line_u64(&ln, st.preempts + st.signal_preempts);
	mp_line_str(&ln, " revokes=");
	mp_line_u64(&ln, st.revokes);
	mp_line_str(&ln, " parks=");
	mp_line_u64(&ln, st.parks);
	size_t n = ln.len < len - 1 ? ln.len : len - 1;
	memcpy(buf, ln.buf, n);
	buf[n] = 0;
}

/* MAXPROCS_PROFILE: where, made absolute now (the program may chdir). */
static char mp_prof_dir[4096];

static void mp_preload_profile_init(void)
{
	const char *dir = mp_config.profile_dir;
	size_t n = 0;
	if (dir[0] != '/') {
		long r = mp_raw_syscall(SYS_getcwd, mp_prof_dir, sizeof mp_prof_dir - 2, 0);
		if (r <= 0) {
			mp_preload_fail("MAXPROCS_PROFILE: cannot read the working directory", (int)-r);
			return;
		}
		n = strlen(mp_prof_dir);
		mp_prof_dir[n++] = '/';
	}
	if (n + strlen(dir) >= sizeof mp_prof_dir) {
		mp_preload_fail("MAXPROCS_PROFILE: path too long", ENAMETOOLONG);
		return;
	}
	memcpy(mp_prof_dir + n, dir, strlen(dir) + 1);
	unsigned ncalls = MP_CALL_COUNT;
	const char *const *names = mp_catchall_on ? mp_catchall_call_names(&ncalls) : mp_call_names;
	struct mp_prof_options po = {
		.dir = mp_prof_dir,
		.min_ns = mp_config.profile_min_ns,
		.flush_ms = mp_config.profile_flush_ms,
		.ncalls = ncalls,
		.call_names = names,
		.describe = mp_prof_describe,
	};
	int r = mp_prof_init(&po);
	if (r < 0) {
		mp_preload_fail("cannot start the profiler", -r);
		return;
	}
	/* A terminating signal the program leaves at SIG_DFL writes the
	 * profile before the process dies of it (signals.h). */
	/* A preemption's wait for a P is kept with the stack it interrupted. */
	mp_signals_on_preempted(mp_prof_preempted);
	static const int deaths[] = { SIGTERM, SIGINT, SIGHUP, SIGQUIT };
	r = mp_signals_watch_deaths(deaths, (int)(sizeof deaths / sizeof deaths[0]), mp_prof_last_words);
	if (r < 0) {
		struct mp_line ln;
		mp_line_init(&ln);
		mp_line_str(&ln, "maxprocs: profile: a terminating signal will not write the profile: ");
		mp_line_str(&ln, strerror(-r));
		mp_line_write(&ln, 2);
	}
}

/* The program ends by _exit or _Exit (from any thread): the profile is
 * written first.  Not in a vfork child, which shares our memory (and
 * whose _exit is its own business), nor in a child of _Fork, whose pid
 * differs from the one the profile was reset for. */
MP_EXPORT void _exit(int status)
{
	if (mp_prof_on && mp_raw_getpid() == mp_sched_pid())
		mp_prof_write("_exit");
	mp_preload_stats_exit();
	mp_real__exit()(status);
	__builtin_unreachable();
}

MP_EXPORT void _Exit(int status)
{
	if (mp_prof_on && mp_raw_getpid() == mp_sched_pid())
		mp_prof_write("_Exit");
	mp_preload_stats_exit();
	mp_real__Exit()(status);
	__builtin_unreachable();
}

__attribute__((constructor(101))) static void mp_preload_init(void)
{
	struct mp_cpus_info cpus = { 0, 0, 0, "" };
	struct mp_options opt;
	struct mp_env env;
	uint32_t fallback = 1;
	uint64_t n;
	int saved = errno, r;

	mp_clock_init();
	mp_start_ns = mp_monotonic_ns();
	mp_env_read(&env);
	/* The CPU/cgroup default costs a few file reads: skip them when
	 * MAXPROCS is given and valid.  Its rules (MAXPROCS_AUTO_*) come from
	 * a first, silent parse; the second one warns. */
	if (!mp_parse_u64(env.procs, 1, MP_MAXPROCS, &n)) {
		mp_config_parse(&mp_config, &env, 1, NULL, NULL);
		struct mp_auto_rules rules = { mp_config.auto_floor, mp_config.auto_min,
		                               mp_config.auto_reserve };
		fallback = mp_cpus_auto(&rules, &cpus);
	}
	mp_config_parse(&mp_config, &env, fallback, mp_warn_stderr, NULL);
	mp_resolve_set_debug(mp_config.debug);
	mp_real_resolve_all();

	memset(&opt, 0, sizeof(opt));
	opt.nprocs = mp_config.nprocs;
	opt.slice_ns = mp_config.slice_ns;
	/* On one CPU a spinning waiter only keeps the holder it waits for
	 * off that CPU (Go's Ms spin only with more than one CPU). */
	if (mp_config.spin_ns && (cpus.affinity ? cpus.affinity : mp_cpus_affinity()) < 2)
		mp_config.spin_ns = 0;
	opt.spin_ns = mp_config.spin_ns;
	opt.schedtrace_ms = mp_config.schedtrace_ms;
	opt.trace = mp_trace_stderr;
	opt.monitor_leaves = true;
	opt.preempt_signo = 0;   /* set below, once the handler is in */
	opt.sync = (enum mp_sync)mp_config.sync;
	opt.general_only = mp_config.profile_dir != NULL;   /* the profiler times the general bracket */
	/* The profiler reads the waits for a P, the stats segment their
	 * total: two vDSO clock reads per park, beside a futex sleep. */
	opt.count_waits = mp_config.profile_dir != NULL || mp_config.stats;
	opt.p_holder = mp_config.profile_dir ? mp_prof_p_holder : NULL;   /* trace.json's P tracks */

	r = mp_sched_init(&opt);
	if (r < 0) {
		mp_preload_fail("cannot start the scheduler", -r);
		goto out;
	}
	mp_preload_stats_init(&mp_config, &cpus);
	if (mp_config.sync == MP_CONFIG_SYNC_MEMBARRIER && mp_sched_sync(NULL) != MP_SYNC_MEMBARRIER)
		mp_sync_warn();
	if (mp_config.schedtrace_ms)
		mp_sync_header();
	/* The handler goes in before the monitor exists, so the monitor never
	 * signals a thread that has no handler yet. */
	mp_signals_init(mp_config.preempt_signal, mp_real_sigaction());
	r = mp_fork_install();
	if (r) {
		mp_preload_fail("cannot register the fork handler", r);
		goto out;
	}
	/* After the signals (SIGSYS joins the owned ones), before the profiler
	 * (the trapped calls' names). */
	if (mp_config.catch_all)
		mp_catchall_init();
	if (mp_config.profile_dir)
		mp_preload_profile_init();
	mp_m_attach();
	mp_preload_monitor_later(true);
	if (!mp_sched_active())
		goto out;
	if (mp_config.debug)
		mp_debug_config(&cpus);
out:
	errno = saved;
}

__attribute__((destructor(101))) static void mp_preload_fini(void)
{
	int saved = errno;

	if (mp_sched_active()) {
		if (mp_prof_on && mp_raw_getpid() == mp_sched_pid())
			mp_prof_write("exit");
		if (mp_config.debug)
			mp_debug_exit();
		mp_sched_shutdown();
		mp_preload_stats_exit();
	}
	errno = saved;
}
