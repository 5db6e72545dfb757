/*
 * bench_liveness.c - how soon a waiting M runs when the holder of the only
 * P does not give it up by itself (issue 4, "Benchmarks").
 *
 * With MAXPROCS 1, thread H holds the P and thread W queues for it.  H either
 * spins in user code without calls (the monitor must preempt it: signal,
 * or without a signal the revoke after three slices), or blocks in the kernel
 * in a call the core cannot see (a raw read: blocked-holder detection), or
 * inside mp_enter_syscall (the monitor's retake of a SYSCALL P).  Each row
 * is the time from the moment H's P should go (its slice end, or the start
 * of its block) to the moment W runs, over many trials.  The goal is a p99
 * of <= 100 us once a slice end or a block has been detected.
 *
 * The plain rows do the same hand-over without the core: a futex wake of a
 * parked thread (the floor of every hand-off here) and, with H and W pinned
 * to one CPU, the kernel switching to a runnable W when H blocks (the kernel
 * as the cap).  Last, the monitor's own CPU time while two Ms run on two Ps
 * and nobody waits: it must be 0.
 *
 * The core is linked directly (no preload), so H's read is a plain system
 * call that nothing brackets.  Every row starts a fresh scheduler.
 *
 * The reference VM is shared, and other load puts long stalls into any
 * tail.  So each trial also records how long H, W and the monitor waited
 * on run queues (/proc schedstat); the "q" columns keep only trials where
 * that stayed small, and show what the scheduler itself does.  "mon%" is
 * the monitor's CPU time over the row's wall time: its cost while Ms wait.
 *
 * usage: [MAXPROCS_SYNC=cas] bench_liveness [TRIALS]      (default 300 per row)
 */
#include "sched/relax.h"
#include "sched/sched.h"
#include "shim/raw_syscall.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#define MS ((uint64_t)1000000)
#define IDLE_MONITOR_NS (2000 * MS)   /* how long the no-waiter row watches */
#define SETTLE_NS (50 * MS)           /* monitor start-up, not counted */
#define GOAL_AFTER_DETECTION_US 100.0
#define BLOCK_DETECT_NS MS            /* docs/design.md: 1 ms without calls */
#define FALLBACK_SLICES 3             /* signal-free fallback revokes here */

static uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static void sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* Trial handshakes: each word only grows, one step per trial.  Raw futex
 * calls, so nothing here looks like a call the core should bracket. */
static void wait_word(_Atomic uint32_t *w, uint32_t want)
{
	uint32_t v;
	while ((v = atomic_load(w)) < want)
		mp_futex_wait((const uint32_t *)w, v, NULL);
}

static void set_word(_Atomic uint32_t *w, uint32_t v)
{
	atomic_store(w, v);
	mp_futex_wake((const uint32_t *)w, INT_MAX);
}

/* ---- the monitor's thread, found by the create hook -------------------- */

static void *(*monitor_start_fn)(void *);
static void *monitor_start_arg;
static _Atomic int monitor_tid;

static void *monitor_trampoline(void *arg)
{
	(void)arg;
	atomic_store(&monitor_tid, mp_raw_gettid());
	return monitor_start_fn(monitor_start_arg);
}

static int create_monitor(pthread_t *t, const pthread_attr_t *attr,
                          void *(*fn)(void *), void *arg)
{
	monitor_start_fn = fn;
	monitor_start_arg = arg;
	atomic_store(&monitor_tid, 0);
	return pthread_create(t, attr, monitor_trampoline, NULL);
}

static int64_t monitor_cpu_ns(void)
{
	int tid = atomic_load(&monitor_tid);
	return tid ? mp_raw_clock_ns(mp_thread_cpuclock(tid)) : -1;
}

/* utime + stime of a thread, in clock ticks, from /proc (-1 if gone). */
static long thread_ticks(int tid)
{
	char path[64], buf[1024];
	snprintf(path, sizeof path, "/proc/self/task/%d/stat", tid);
	FILE *f = fopen(path, "r");
	if (!f)
		return -1;
	size_t n = fread(buf, 1, sizeof buf - 1, f);
	fclose(f);
	buf[n] = 0;
	char *p = strrchr(buf, ')');   /* the name may contain spaces */
	unsigned long ut, st;
	/* after ")": state ppid pgrp session tty tpgid flags minflt cminflt
	 * majflt cmajflt utime stime */
	if (!p || sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %lu %lu",
	                 &ut, &st) != 2)
		return -1;
	return (long)(ut + st);
}

/* How long a thread has waited on a run queue, runnable but not running,
 * and how many times it was switched in (/proc schedstat, fields 2 and 3);
 * zeros if unknown.  On a shared VM this tells a tail caused by other load
 * from one caused by the scheduler. */
struct runq {
	int64_t wait_ns, slices;
};

static struct runq runq_of(int tid)
{
	char path[64], buf[128];
	struct runq rq = { 0, 0 };
	if (tid <= 0)
		return rq;
	snprintf(path, sizeof path, "/proc/self/task/%d/schedstat", tid);
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return rq;
	ssize_t n = read(fd, buf, sizeof buf - 1);
	close(fd);
	if (n <= 0)
		return rq;
	buf[n] = 0;
	unsigned long long run, wait, slices;
	if (sscanf(buf, "%llu %llu %llu", &run, &wait, &slices) == 3)
		rq = (struct runq){ (int64_t)wait, (int64_t)slices };
	return rq;
}

static void sched_up(uint32_t nprocs, uint64_t slice_ns, int signo)
{
	/* MAXPROCS_SYNC=cas: the CAS protocol, as the library would take it */
	const char *sync = getenv("MAXPROCS_SYNC");
	struct mp_options opt = { .nprocs = nprocs, .slice_ns = slice_ns,
	                          .preempt_signo = signo,
	                          .sync = sync && !strcmp(sync, "cas") ? MP_SYNC_CAS : MP_SYNC_AUTO };
	int err = mp_sched_init(&opt);
	if (!err)
		err = mp_monitor_start(create_monitor);
	if (err) {
		fprintf(stderr, "bench_liveness: starting the scheduler: %s\n", strerror(-err));
		exit(1);
	}
	while (!atomic_load(&monitor_tid))
		sleep_ns(100000);
}

/* ---- the preemption signal ------------------------------------------- */

static _Atomic uint64_t signal_at_ns;   /* H's first handler entry this trial */

static void on_preempt_signal(int sig, siginfo_t *si, void *uc)
{
	(void)sig;
	(void)uc;
	/* A spin probe is not a preemption: H computes, it does not spin,
	 * and the probe's entry must not stand for the slice's signal. */
	if (mp_preempt_siginfo_is_probe(si))
		return;
	int saved = errno;
	uint64_t t = now_ns();
	uint64_t none = 0;
	atomic_compare_exchange_strong(&signal_at_ns, &none, t);
	mp_preempt_signal();
	errno = saved;
}

/* The preload's choice: the highest real-time signal still at SIG_DFL. */
static int install_preempt_signal(void)
{
	for (int sig = SIGRTMAX; sig >= SIGRTMIN + 2; sig--) {
		struct sigaction old, sa = { 0 };
		if (sigaction(sig, NULL, &old) != 0 || (old.sa_flags & SA_SIGINFO) ||
		    old.sa_handler != SIG_DFL)
			continue;
		sa.sa_sigaction = on_preempt_signal;
		sa.sa_flags = SA_SIGINFO | SA_RESTART;
		sigemptyset(&sa.sa_mask);
		if (sigaction(sig, &sa, NULL) == 0)
			return sig;
	}
	return 0;
}

/* ---- one row: H holds, W waits ---------------------------------------- */

enum hold {
	HOLD_SPIN,          /* user code, no calls: preemption */
	HOLD_RAW_BLOCK,     /* read the core never sees: blocked-holder revoke */
	HOLD_SYSCALL,       /* mp_enter_syscall + read: the monitor's retake */
	HOLD_BLOCKING,      /* mp_enter_blocking + read: hand-off at enter */
	PLAIN_WAKE,         /* no core: H wakes W from a futex */
	PLAIN_ONE_CPU,      /* no core, one CPU: H blocks, runnable W runs */
};

static struct row {
	enum hold hold;
	int trials;
	uint64_t slice_ns;
	_Atomic uint32_t w_go, w_done, w_detached;
	int pipe_r, pipe_w;
	int signo;                /* preemption signal of the blocked rows */
	int cpu;                  /* PLAIN_ONE_CPU: both threads here, -1 unpinned */
	uint64_t *t_from;         /* H: got its P / starts to block / wakes W */
	uint64_t *t_run;          /* W: runs */
	uint64_t *t_signal;       /* H: entered the preemption handler, 0 none */
	int64_t *runq_wait;       /* H+W+monitor time runnable but off-CPU */
	_Atomic int h_tid, w_tid;
	struct mp_stats stats;    /* at the end of the row */
	double monitor_cpu_pct;
} R;

/* Even on an idle machine each monitor tick waits a little between its
 * timer and the CPU (~1.3 us here): that much per tick is not load. */
#define MONITOR_WAKE_ALLOWANCE_NS 2000

/* Run-queue wait of holder, waiter and monitor beyond the monitor's normal
 * wake-up delay; only differences between two calls mean anything. */
static int64_t trio_runq_wait_ns(void)
{
	struct runq h = runq_of(atomic_load(&R.h_tid)), w = runq_of(atomic_load(&R.w_tid)),
	            m = runq_of(atomic_load(&monitor_tid));
	return h.wait_ns + w.wait_ns + m.wait_ns - MONITOR_WAKE_ALLOWANCE_NS * m.slices;
}

/* Each thread of a row names itself, and H waits for W's name. */
static void trio_hello(bool holder)
{
	if (holder) {
		atomic_store(&R.h_tid, mp_raw_gettid());
		while (!atomic_load(&R.w_tid))
			sleep_ns(10000);
	} else {
		atomic_store(&R.w_tid, mp_raw_gettid());
	}
}

static bool someone_waits(void)
{
	struct mp_stats st;
	mp_stats_snapshot(&st);
	return st.waiting > 0;
}

static void block_in_read(void)
{
	char c;
	syscall(SYS_read, R.pipe_r, &c, 1);
}

static void *holder_main(void *arg)
{
	(void)arg;
	trio_hello(true);
	for (uint32_t i = 1; i <= (uint32_t)R.trials; i++) {
		wait_word(&R.w_detached, i - 1);
		atomic_store(&signal_at_ns, 0);
		R.runq_wait[i - 1] = -trio_runq_wait_ns();
		mp_m_attach();
		R.t_from[i - 1] = now_ns();
		set_word(&R.w_go, i);
		if (R.hold == HOLD_SPIN) {
			while (atomic_load_explicit(&R.w_done, memory_order_acquire) < i)
				mp_cpu_relax();
			R.t_signal[i - 1] = atomic_load(&signal_at_ns);
		} else {
			/* Block only once W is queued: the monitor is awake and
			 * the P is wanted from here on. */
			while (!someone_waits())
				mp_cpu_relax();
			/* W's wake-up before this point is not part of the figure. */
			R.runq_wait[i - 1] = -trio_runq_wait_ns();
			R.t_from[i - 1] = now_ns();
			if (R.hold == HOLD_SYSCALL)
				mp_enter_syscall();
			else if (R.hold == HOLD_BLOCKING)
				mp_enter_blocking();
			block_in_read();
			if (R.hold != HOLD_RAW_BLOCK)
				mp_exit_syscall();
		}
		mp_m_detach();
	}
	return NULL;
}

static void *waiter_main(void *arg)
{
	(void)arg;
	trio_hello(false);
	for (uint32_t i = 1; i <= (uint32_t)R.trials; i++) {
		wait_word(&R.w_go, i);
		mp_m_attach();
		R.t_run[i - 1] = now_ns();
		R.runq_wait[i - 1] += trio_runq_wait_ns();
		atomic_store_explicit(&R.w_done, i, memory_order_release);
		if (R.hold != HOLD_SPIN)
			syscall(SYS_write, R.pipe_w, "x", 1);
		mp_m_detach();
		set_word(&R.w_detached, i);
	}
	return NULL;
}

/* The floor: H wakes W parked on a futex, then keeps its CPU busy as a
 * preempted holder would until W has run. */
static void *plain_waker_main(void *arg)
{
	(void)arg;
	trio_hello(true);
	for (uint32_t i = 1; i <= (uint32_t)R.trials; i++) {
		wait_word(&R.w_detached, i - 1);
		R.runq_wait[i - 1] = -trio_runq_wait_ns();
		R.t_from[i - 1] = now_ns();
		set_word(&R.w_go, i);
		while (atomic_load_explicit(&R.w_done, memory_order_acquire) < i)
			mp_cpu_relax();
	}
	return NULL;
}

static void *plain_sleeper_main(void *arg)
{
	(void)arg;
	trio_hello(false);
	for (uint32_t i = 1; i <= (uint32_t)R.trials; i++) {
		wait_word(&R.w_go, i);
		R.t_run[i - 1] = now_ns();
		R.runq_wait[i - 1] += trio_runq_wait_ns();
		atomic_store_explicit(&R.w_done, i, memory_order_release);
		set_word(&R.w_detached, i);
	}
	return NULL;
}

static bool pin_self(int cpu)
{
	if (cpu < 0)
		return false;
	cpu_set_t set;
	CPU_ZERO(&set);
	CPU_SET(cpu, &set);
	return pthread_setaffinity_np(pthread_self(), sizeof set, &set) == 0;
}

/* The kernel as the cap: one CPU; W stays runnable (yielding) until H
 * blocks, and the time H's block takes to become W's turn is measured. */
static void *plain_blocker_main(void *arg)
{
	(void)arg;
	pin_self(R.cpu);
	trio_hello(true);
	for (uint32_t i = 1; i <= (uint32_t)R.trials; i++) {
		while (atomic_load(&R.w_go) < i)   /* W is in its loop */
			sched_yield();
		R.runq_wait[i - 1] = 0;   /* W is runnable by design here */
		R.t_from[i - 1] = now_ns();
		atomic_store_explicit(&R.w_done, i, memory_order_release);
		block_in_read();
	}
	return NULL;
}

static void *plain_runnable_main(void *arg)
{
	(void)arg;
	pin_self(R.cpu);
	trio_hello(false);
	for (uint32_t i = 1; i <= (uint32_t)R.trials; i++) {
		atomic_store(&R.w_go, i);
		while (atomic_load_explicit(&R.w_done, memory_order_acquire) < i)
			sched_yield();
		R.t_run[i - 1] = now_ns();
		syscall(SYS_write, R.pipe_w, "x", 1);
	}
	return NULL;
}

static void report_hang(const char *what)
{
	struct mp_stats st;
	mp_stats_snapshot(&st);
	fprintf(stderr,
	        "bench_liveness: HANG in %s: trial %u (W go %u, done %u, detached %u); "
	        "Ps idle %u running %u syscall %u, Ms %u waiting %u; handoffs %" PRIu64
	        " retakes %" PRIu64 " revokes %" PRIu64 " preempts %" PRIu64
	        " sigpreempts %" PRIu64 " signals %" PRIu64 "\n",
	        what, atomic_load(&R.w_go) ? atomic_load(&R.w_go) : 1, atomic_load(&R.w_go),
	        atomic_load(&R.w_done),
	        atomic_load(&R.w_detached), st.idle, st.running, st.in_syscall, st.threads,
	        st.waiting, st.handoffs, st.retakes, st.revokes, st.preempts,
	        st.signal_preempts, st.preempt_signals);
	_exit(1);
}

/* Runs one row's two threads; a row that overruns its bound is a hang. */
static void run_row(const char *what, void *(*h)(void *), void *(*w)(void *),
                    uint64_t bound_ns)
{
	atomic_store(&R.w_go, 0);
	atomic_store(&R.w_done, 0);
	atomic_store(&R.w_detached, 0);
	atomic_store(&R.h_tid, 0);
	atomic_store(&R.w_tid, 0);
	memset(R.t_signal, 0, (size_t)R.trials * sizeof *R.t_signal);
	int fds[2];
	if (pipe(fds) != 0) {
		perror("bench_liveness: pipe");
		exit(1);
	}
	R.pipe_r = fds[0];
	R.pipe_w = fds[1];
	int64_t cpu0 = monitor_cpu_ns();
	uint64_t t0 = now_ns();
	pthread_t th, tw;
	if (pthread_create(&tw, NULL, w, NULL) || pthread_create(&th, NULL, h, NULL)) {
		fprintf(stderr, "bench_liveness: pthread_create failed\n");
		exit(1);
	}
	struct timespec dl;
	clock_gettime(CLOCK_REALTIME, &dl);
	dl.tv_sec += (time_t)(bound_ns / 1000000000u) + 1;
	if (pthread_timedjoin_np(th, NULL, &dl) != 0 || pthread_timedjoin_np(tw, NULL, &dl) != 0)
		report_hang(what);
	int64_t cpu1 = monitor_cpu_ns();
	uint64_t wall = now_ns() - t0;
	R.monitor_cpu_pct = cpu0 >= 0 && cpu1 >= cpu0 ? 100.0 * (double)(cpu1 - cpu0) / (double)wall
	                                             : -1.0;
	mp_stats_snapshot(&R.stats);
	close(fds[0]);
	close(fds[1]);
}

/* ---- distributions and the table -------------------------------------- */

/* A trial is quiet when the holder, the waiter and the monitor together
 * waited less than this on run queues (other load on a shared VM), beyond
 * the monitor's allowance: the quiet columns are what the scheduler does,
 * the others what a busy machine adds. */
#define QUIET_RUNQ_NS 100000

struct dist {
	int n, nq;
	double p50, p99, max, q50, q99;   /* us; q: quiet trials only */
};

static int cmp_i64(const void *a, const void *b)
{
	int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
	return (x > y) - (x < y);
}

static int64_t *lat_buf;

/* p50, p99, max of v[0..n) in us (sorts v). */
static void percentiles(int64_t *v, int n, double *p50, double *p99, double *max)
{
	*p50 = *p99 = *max = 0;
	if (n == 0)
		return;
	qsort(v, (size_t)n, sizeof *v, cmp_i64);
	int i99 = (99 * n + 99) / 100 - 1;
	*p50 = v[n / 2] / 1e3;
	*p99 = v[i99 < 0 ? 0 : i99] / 1e3;
	*max = v[n - 1] / 1e3;
}

/* t_run - (from + offset) over the row's trials that have the mark from
 * (t_signal: only trials where the handler ran). */
static struct dist latency(uint64_t offset_ns, const uint64_t *from)
{
	struct dist d = { 0 };
	double ignored;
	for (int quiet = 0; quiet < 2; quiet++) {
		int n = 0;
		for (int i = 0; i < R.trials; i++)
			if (from[i] && (!quiet || R.runq_wait[i] < QUIET_RUNQ_NS))
				lat_buf[n++] = (int64_t)R.t_run[i] - (int64_t)(from[i] + offset_ns);
		if (quiet) {
			d.nq = n;
			percentiles(lat_buf, n, &d.q50, &d.q99, &ignored);
		} else {
			d.n = n;
			percentiles(lat_buf, n, &d.p50, &d.p99, &d.max);
		}
	}
	return d;
}

static void print_head(void)
{
	printf("  %-46s %4s %8s %8s %8s | %4s %8s %8s %6s\n", "row (us)", "n", "p50", "p99", "max",
	       "nq", "q p50", "q p99", "mon%");
}

static void print_row(const char *label, struct dist d, double mon_pct)
{
	printf("  %-46s %4d %8.1f %8.1f %8.1f | %4d %8.1f %8.1f", label, d.n, d.p50, d.p99,
	       d.max, d.nq, d.q50, d.q99);
	if (mon_pct >= 0)
		printf(" %6.2f", mon_pct);
	printf("\n");
}

static void print_counters(void)
{
	const struct mp_stats *s = &R.stats;
	printf("      by: signal preempts %" PRIu64 " (signals %" PRIu64 "), revokes %" PRIu64
	       ", retakes %" PRIu64 ", hand-offs %" PRIu64 "; overshoot %.1f us/trial\n",
	       s->signal_preempts, s->preempt_signals, s->revokes, s->retakes, s->handoffs,
	       (double)s->overshoot_ns / 1e3 / R.trials);
}

/* ---- the rows --------------------------------------------------------- */

struct figures {
	struct dist signal_to_run, raw_block, syscall_retake, blocking,
	            futex_wake, one_cpu;
};

static void preemption_rows(uint64_t slice_ns, int signo, struct figures *fg)
{
	char label[64];
	sched_up(1, slice_ns, signo);
	R.hold = HOLD_SPIN;
	R.slice_ns = slice_ns;
	int slices = signo ? 1 : FALLBACK_SLICES;
	run_row(signo ? "preemption by signal" : "signal-free fallback", holder_main, waiter_main,
	        2 * (uint64_t)R.trials * (slices + 2) * slice_ns + 20000 * MS);
	mp_sched_shutdown();

	snprintf(label, sizeof label, "1 slice %2" PRIu64 " ms, %s: slice end -> W",
	         slice_ns / MS, signo ? "signal" : "no signal");
	print_row(label, latency(slice_ns, R.t_from), R.monitor_cpu_pct);
	if (signo) {
		struct dist s = latency(0, R.t_signal);
		print_row("    handler entry -> W runs", s, -1);
		if (slice_ns == MP_SLICE_DEFAULT_NS)
			fg->signal_to_run = s;
	}
	/* Without a signal the holder is revoked at the end of its slice
	 * (the signal cannot be sent: docs/design.md, "Probes that fail"),
	 * so the row above is already the revoke's latency. */
	print_counters();
}

static struct dist blocked_row(enum hold hold, const char *label, bool minus_detect)
{
	sched_up(1, 0, R.signo);
	R.hold = hold;
	run_row(label, holder_main, waiter_main, (uint64_t)R.trials * 20 * MS + 10000 * MS);
	mp_sched_shutdown();
	struct dist d = latency(0, R.t_from);
	print_row(label, d, R.monitor_cpu_pct);
	if (minus_detect) {
		d = latency(BLOCK_DETECT_NS, R.t_from);
		print_row("    minus 1 ms (detection may start)", d, -1);
	}
	print_counters();
	return d;
}

static int first_allowed_cpu(void)
{
	cpu_set_t set;
	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return -1;
	for (int c = 0; c < CPU_SETSIZE; c++)
		if (CPU_ISSET(c, &set))
			return c;
	return -1;
}

static void plain_rows(struct figures *fg)
{
	R.hold = PLAIN_WAKE;
	run_row("plain futex wake", plain_waker_main, plain_sleeper_main, 10000 * MS);
	fg->futex_wake = latency(0, R.t_from);
	print_row("P plain: futex wake of parked W (floor)", fg->futex_wake, -1);

	R.hold = PLAIN_ONE_CPU;
	R.cpu = first_allowed_cpu();
	run_row("plain one CPU", plain_blocker_main, plain_runnable_main, 10000 * MS);
	fg->one_cpu = latency(0, R.t_from);
	print_row(R.cpu >= 0 ? "P plain, 1 CPU: H blocks -> runnable W"
	                     : "P plain, unpinned: H blocks -> runnable W",
	          fg->one_cpu, -1);
}

/* ---- monitor CPU while nobody waits ----------------------------------- */

static _Atomic int idle_stop;
static _Atomic int idle_tids[2];
static _Atomic uint64_t idle_calls;

static void *idle_m_main(void *arg)
{
	int k = (int)(intptr_t)arg;
	atomic_store(&idle_tids[k], mp_raw_gettid());
	mp_m_attach();
	while (!atomic_load_explicit(&idle_stop, memory_order_relaxed)) {
		if (k == 0) {
			mp_cpu_relax();   /* user code only */
			continue;
		}
		/* The other makes calls: the fast path must not wake the monitor. */
		mp_enter_syscall();
		sleep_ns(100000);
		mp_exit_syscall();
		atomic_fetch_add_explicit(&idle_calls, 1, memory_order_relaxed);
	}
	mp_m_detach();
	return NULL;
}

/* The thread that is neither main nor an M, by elimination in /proc. */
static int find_non_m_thread(int *count)
{
	DIR *d = opendir("/proc/self/task");
	int found = 0;
	*count = 0;
	if (!d)
		return 0;
	int self = mp_raw_gettid();
	for (struct dirent *e; (e = readdir(d));) {
		int tid = atoi(e->d_name);
		if (tid <= 0 || tid == self || tid == atomic_load(&idle_tids[0]) ||
		    tid == atomic_load(&idle_tids[1]))
			continue;
		found = tid;
		++*count;
	}
	closedir(d);
	return found;
}

static void monitor_idle_row(void)
{
	sched_up(2, 0, 0);
	pthread_t t[2];
	for (intptr_t k = 0; k < 2; k++)
		if (pthread_create(&t[k], NULL, idle_m_main, (void *)k)) {
			fprintf(stderr, "bench_liveness: pthread_create failed\n");
			exit(1);
		}
	sleep_ns(SETTLE_NS);
	int others;
	int tid = find_non_m_thread(&others);
	int64_t cpu0 = monitor_cpu_ns();
	long ticks0 = thread_ticks(tid);
	sleep_ns(IDLE_MONITOR_NS);
	int64_t cpu1 = monitor_cpu_ns();
	long ticks1 = thread_ticks(tid);
	struct mp_stats st;
	mp_stats_snapshot(&st);
	atomic_store(&idle_stop, 1);
	for (int k = 0; k < 2; k++)
		pthread_join(t[k], NULL);
	mp_sched_shutdown();

	printf("4 monitor CPU, 2 Ms on 2 Ps, nobody waits, %.1f s: %" PRId64 " ns, %ld ticks"
	       " (goal 0: %s)\n", IDLE_MONITOR_NS / 1e9, cpu1 - cpu0, ticks1 - ticks0,
	       cpu1 == cpu0 && ticks1 == ticks0 ? "met" : "MISSED");
	printf("  monitor tid %d by elimination in /proc (%d non-M threads), by the create "
	       "hook %d; %" PRIu64 " calls made, parks %" PRIu64 ", waiting %u\n",
	       tid, others, atomic_load(&monitor_tid), atomic_load(&idle_calls), st.parks,
	       st.waiting);
}

static long parse_count(const char *what, const char *s, long lo, long hi)
{
	char *end;
	errno = 0;
	long v = strtol(s, &end, 10);
	if (errno || end == s || *end || v < lo || v > hi) {
		fprintf(stderr, "bench_liveness: %s '%s' is not a number from %ld to %ld\n",
		        what, s, lo, hi);
		exit(2);
	}
	return v;
}

static const char *verdict(struct dist d)
{
	if (d.p99 <= GOAL_AFTER_DETECTION_US)
		return "met";
	return d.nq && d.q99 <= GOAL_AFTER_DETECTION_US ? "met when quiet" : "MISSED";
}

int main(int argc, char **argv)
{
	if (argc > 2 || (argc > 1 && argv[1][0] == '-')) {
		fprintf(stderr, "usage: bench_liveness [TRIALS]\n");
		return 2;
	}
	R.trials = argc > 1 ? (int)parse_count("TRIALS", argv[1], 10, 5000) : 300;
	size_t sz = (size_t)R.trials * sizeof(uint64_t);
	R.t_from = calloc(1, sz);
	R.t_run = calloc(1, sz);
	R.t_signal = calloc(1, sz);
	R.runq_wait = calloc(1, sz);
	lat_buf = calloc(1, sz);
	if (!R.t_from || !R.t_run || !R.t_signal || !R.runq_wait || !lat_buf) {
		fprintf(stderr, "bench_liveness: out of memory\n");
		return 1;
	}
	int signo = install_preempt_signal();
	if (!signo) {
		fprintf(stderr, "bench_liveness: no free real-time signal for preemption\n");
		return 1;
	}

	double load[1] = { -1 };
	getloadavg(load, 1);
	printf("bench_liveness: %d trials per row, MAXPROCS 1 (row 4: 2), %ld CPUs, load %.1f;"
	       " us from when the P should go to W running;\n"
	       "  q = quiet trials (H+W+monitor waited < %d us on run queues, beyond 2 us per tick)\n",
	       R.trials, sysconf(_SC_NPROCESSORS_ONLN), load[0], QUIET_RUNQ_NS / 1000);
	{
		const char *sync = getenv("MAXPROCS_SYNC");
		struct mp_options probe = { .nprocs = 1,
		                            .sync = sync && !strcmp(sync, "cas") ? MP_SYNC_CAS : MP_SYNC_AUTO };
		if (mp_sched_init(&probe) == 0) {
			printf("  protocol: %s\n", mp_sched_sync(NULL) == MP_SYNC_CAS ? "cas" : "membarrier");
			mp_sched_shutdown();
		}
	}
#ifdef MP_DEBUG
	printf("  WARNING: invariant checks are on (debug build); use a release build\n");
#endif
	print_head();
	struct figures fg;
	memset(&fg, 0, sizeof fg);
	plain_rows(&fg);
	preemption_rows(MP_SLICE_DEFAULT_NS, signo, &fg);
	preemption_rows(1 * MS, signo, &fg);
	preemption_rows(MP_SLICE_DEFAULT_NS, 0, &fg);
	preemption_rows(1 * MS, 0, &fg);
	R.signo = signo;
	fg.raw_block = blocked_row(HOLD_RAW_BLOCK, "2 blocked holder, raw read: block -> W", true);
	fg.syscall_retake = blocked_row(HOLD_SYSCALL, "3 SYSCALL P retake: enter -> W", false);
	fg.blocking = blocked_row(HOLD_BLOCKING, "3b enter_blocking hand-off: enter -> W", false);
	monitor_idle_row();

	printf("5 side by side (us)               maxprocs p50/p99/q p99   plain p50/p99/q p99"
	       "   p50 diff  ratio\n");
	const struct { const char *what; struct dist m, p; } cmp[] = {
		{ "preempt handler->W / futex wake", fg.signal_to_run, fg.futex_wake },
		{ "enter_blocking / futex wake", fg.blocking, fg.futex_wake },
		{ "SYSCALL retake / 1-CPU switch", fg.syscall_retake, fg.one_cpu },
		{ "blocked-1ms / 1-CPU switch", fg.raw_block, fg.one_cpu },
	};
	for (size_t i = 0; i < sizeof cmp / sizeof cmp[0]; i++)
		printf("  %-32s %6.1f/%7.1f/%7.1f   %6.1f/%7.1f/%7.1f %8.1f %6.1f\n", cmp[i].what,
		       cmp[i].m.p50, cmp[i].m.p99, cmp[i].m.q99, cmp[i].p.p50, cmp[i].p.p99,
		       cmp[i].p.q99, cmp[i].m.p50 - cmp[i].p.p50,
		       cmp[i].p.p50 > 0 ? cmp[i].m.p50 / cmp[i].p.p50 : 0.0);
	printf("goal p99 <= %.0f us after detection (all / quiet trials): preempt handler->W "
	       "%.1f/%.1f %s; blocked-1ms %.1f/%.1f %s; SYSCALL retake %.1f/%.1f %s\n",
	       GOAL_AFTER_DETECTION_US,
	       fg.signal_to_run.p99, fg.signal_to_run.q99, verdict(fg.signal_to_run),
	       fg.raw_block.p99, fg.raw_block.q99, verdict(fg.raw_block),
	       fg.syscall_retake.p99, fg.syscall_retake.q99, verdict(fg.syscall_retake));
	return 0;
}
