/*
 * monitor.c - the monitor thread (Go's sysmon).
 *
 * It costs nothing while no M waits for a P: it sleeps on a futex that the
 * first waiter wakes.  While Ms wait it ticks, starting at 20 us and
 * doubling after 50 passes that took nothing, up to 10 ms (Go's numbers),
 * and on every pass:
 *   - retakes each P seen in the very same syscall (same status word) on
 *     the previous pass and hands it to the first waiter;
 *   - asks the holder of a P held longer than a slice to give it up at its
 *     next call (PW_PREEMPT), and signals it if it makes no call;
 *   - revokes a P whose holder makes no call and no CPU progress and is
 *     asleep in the kernel (blocked in a call the table does not cover);
 *   - signals revoked Ms that run again without a P, so they queue.
 * It reads no clock on any M's fast path: only the status words.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <string.h>
#include <sys/prctl.h>
#include <time.h>

#include "sched/internal.h"
#include "shim/membarrier.h"
#include "shim/proctask.h"
#include "shim/raw_syscall.h"

#define DELAY_MIN_US 20
#define DELAY_MAX_US 10000
#define IDLE_PASSES_BEFORE_BACKOFF 50
/* A holder that has made no intercepted call for this long may be revoked
 * if it is blocked; its CPU clock is sampled from half that on (one read
 * per pass, only while Ms wait), so the decision needs no extra pass. */
#define BLOCK_CHECK_AFTER_NS 1000000ull
#define BLOCK_SAMPLE_AFTER_NS (BLOCK_CHECK_AFTER_NS / 2)
/* Signals to one thread are at least this far apart. */
#define RESIGNAL_NS 1000000ull
/* A holder is signalled once it has computed for half a slice, at most
 * this long, without a call. */
#define SIGNAL_RUN_MAX_NS 1000000ull
/* ... and has not slept for this long (struct awake_gate). */
#define SIGNAL_AWAKE_NS 1000000ull

/*
 * Sending the preemption signal.  It must never change what the program
 * sees (docs/design.md, "Signals"), so it goes only to a thread that
 *   - runs user code: its CPU clock advanced for a while (see sample_cpu
 *     and the probes), it has not slept since a status read at least
 *     awake_ns earlier (struct awake_gate), and the kernel says it is
 *     runnable just before the signal goes: a thread that sleeps in a call
 *     we cannot see is never interrupted into an EINTR;
 *   - does not block the signal and has none of it pending: a blocked one
 *     would wait in its queue, visible to sigpending(), sigwaitinfo() and
 *     signalfd, and counted against RLIMIT_SIGPENDING;
 *   - has room on its stack for the signal frame (pp->sig_unsafe).
 * It is sent with rt_tgsigqueueinfo and our cookie in si_value, so the
 * handler tells it from the program's own signals of the same number.
 * Without /proc (or with its descriptor table shared) nothing is known of
 * the mask, so nothing is sent: the monitor revokes instead.
 */
enum sig_result { SIG_SENT, SIG_NOT_NOW, SIG_IMPOSSIBLE };

static bool proc_usable;   /* the monitor has a private fd table */

/*
 * The awake gate.  A CPU clock that advanced proves a thread computed, not
 * that it will compute on: one that works a little between sleeps in calls
 * we cannot see (thrd_sleep, a raw syscall instruction) qualified often
 * enough by the clock alone that one signal in ten landed in its next
 * sleep (a 100 us burst, then a 200 us thrd_sleep: 3-36 EINTR in 8000
 * sleeps).  So a signal also needs the kernel's count of the thread's
 * sleeps (voluntary_ctxt_switches) to stand still from a status read at
 * least awake_ns earlier: only a thread that has stayed awake that long
 * is sent one, and the risk left is that it goes to sleep within the few
 * microseconds between the last read and the signal.  A thread preempted
 * by a busy machine switches involuntarily and still qualifies.
 */
struct awake_gate {
	uint64_t nvcsw;      /* its count at since_ns ... */
	uint64_t since_ns;   /* ... read then (0: not read yet) */
};

/* Read the count now, unless it was read already: a caller that expects to
 * signal soon arms the gate early, so the wait overlaps its own. */
static void gate_arm(int tid, struct awake_gate *g, uint64_t now)
{
	struct mp_task_info ti;
	if (g->since_ns || !proc_usable || mp_proctask_read(tid, &ti) != 0)
		return;
	g->nvcsw = ti.nvcsw;
	g->since_ns = now;
}

/*
 * The handshake with a thread that enters a call as we signal it: announce
 * the signal in its M slot, make that store and the thread's own store of
 * its call word meet (a membarrier under that protocol, whose enter has no
 * barrier of its own; a full fence against the CAS protocol's locked
 * instruction), then look at the call word.  In a call (or the slot now
 * someone else's): send nothing.  Otherwise the thread either is still in
 * user code when the signal lands, or sees the announcement at its next
 * enter and waits there for the signal (mp_signal_coming_wait): a signal
 * never lands in an intercepted call.  Its handler clears the flag.
 */
static bool announce_signal(struct mp_mslot *ms, int tid)
{
	/* The exchange is a full barrier (a locked instruction), which is what
	 * the CAS protocol's enter pairs with; the membarrier covers the other
	 * protocol's (and if refused, the fence is all we have). */
	atomic_exchange(&ms->signal_coming, 1);
	if (mp_asym)
		(void)mp_membarrier();
	if (ms->tid == tid && !mc_incall(atomic_load(&ms->call)))
		return true;
	atomic_store_explicit(&ms->signal_coming, 0, memory_order_relaxed);
	return false;
}

static enum sig_result send_signal(int tid, int32_t slot, bool unsafe, struct awake_gate *g,
                                   uint64_t awake_ns, uint64_t now, uint64_t *last, uint64_t gap_ns,
                                   uintptr_t cookie, _Atomic uint64_t *counter)
{
	/* relaxed: a value read a pass late only delays one signal */
	int sig = atomic_load_explicit(&mp_sched.preempt_signo, memory_order_relaxed);
	struct mp_task_info ti;
	if (!sig || unsafe || !proc_usable)
		return SIG_IMPOSSIBLE;
	if (now - *last < gap_ns || (g->since_ns && now - g->since_ns < awake_ns))
		return SIG_NOT_NOW;
	if (mp_proctask_read(tid, &ti) != 0 || mp_sigmask_has(ti.sig_blocked, sig))
		return SIG_IMPOSSIBLE;
	/* A file without the count (a Groups line past our buffer) leaves
	 * the time alone to go by. */
	if (!g->since_ns || ti.nvcsw != g->nvcsw) {
		g->nvcsw = ti.nvcsw;
		g->since_ns = now;
		return SIG_NOT_NOW;
	}
	if (ti.state != 'R' || mp_sigmask_has(ti.sig_pending, sig))
		return SIG_NOT_NOW;
	/* The status file takes ~8 us to read, the syscall file ~1.2: the
	 * last look before the signal is the quick one, so the moment it
	 * could go to sleep unseen is that much shorter.  The thread computes
	 * (above), so the kernel seldom has to wait for it to leave its CPU. */
	if (mp_proctask_running(tid) != 1)
		return SIG_NOT_NOW;
	if (slot < 0 || slot >= MP_MAX_MS)
		return SIG_IMPOSSIBLE;
	struct mp_mslot *ms = mslot(slot);
	if (!announce_signal(ms, tid))
		return SIG_NOT_NOW;
	siginfo_t si;
	memset(&si, 0, sizeof si);
	si.si_signo = sig;
	si.si_code = SI_QUEUE;
	si.si_pid = mp_sched.pid;   /* si_uid stays 0: the handler checks the cookie */
	si.si_value.sival_ptr = (void *)cookie;
	*last = now;
	if (mp_raw_syscall6(SYS_rt_tgsigqueueinfo, mp_sched.pid, tid, sig, (long)&si, 0, 0) != 0) {
		atomic_store_explicit(&ms->signal_coming, 0, memory_order_relaxed);
		return SIG_IMPOSSIBLE;
	}
	atomic_fetch_add(counter, 1);
	return SIG_SENT;
}

static enum sig_result signal_thread(int tid, int32_t slot, bool unsafe, struct awake_gate *g,
                                     uint64_t now, uint64_t *last)
{
	return send_signal(tid, slot, unsafe, g, SIGNAL_AWAKE_NS, now, last, RESIGNAL_NS,
	                   mp_sched.preempt_cookie, &mp_sched.preempt_signals);
}

/* Asleep in the kernel (or gone: a zombie leader, a stopped thread): its P
 * does nothing for anybody.  0: unknown. */
static int thread_asleep(int tid)
{
	/* status, not syscall: for a thread on its way to sleep the kernel
	 * waits until it is off its CPU before it writes the syscall file
	 * (wait_task_inactive, up to a tick), and it is such threads that
	 * come here. */
	struct mp_task_info ti;
	if (!proc_usable || mp_proctask_read(tid, &ti) != 0)
		return 0;
	return ti.state == 'R' ? -1 : 1;
}

/*
 * CPU clock samples: is the thread computing?  Judged over windows of at
 * least COMPUTE_WINDOW_NS: the CPU clock must advance by at least 1/8 of
 * the wall time of the window (a thread descheduled by a busy machine
 * still qualifies; one that sleeps in calls we cannot see and runs a
 * little between them does not).  run_since is when the current stretch
 * of computing windows began (0: not computing), so a thread is signalled
 * only after computing for a while, never on a short burst between sleeps.
 */
#define COMPUTE_WINDOW_NS 500000ull
#define COMPUTING_NUM 1
#define COMPUTING_DEN 8

struct cpu_sample {
	int64_t cpu_ns;      /* at the last sample; -1: none yet */
	int64_t win_cpu_ns;  /* at the start of the current window */
	uint64_t win_at_ns;
	uint64_t run_since;
};

/* Returns the CPU time advanced since the last sample, or -1 if unknown. */
static int64_t sample_cpu(struct cpu_sample *cs, int64_t cpu, uint64_t now)
{
	if (cpu < 0 || cs->cpu_ns < 0 || now < cs->win_at_ns) {
		cs->cpu_ns = cs->win_cpu_ns = cpu;
		cs->win_at_ns = now;
		cs->run_since = 0;
		return -1;
	}
	int64_t d = cpu - cs->cpu_ns;
	cs->cpu_ns = cpu;
	uint64_t wall = now - cs->win_at_ns;
	if (wall >= COMPUTE_WINDOW_NS) {
		uint64_t ran = (uint64_t)(cpu - cs->win_cpu_ns);
		if (ran * COMPUTING_DEN >= wall * COMPUTING_NUM) {
			if (!cs->run_since)
				cs->run_since = cs->win_at_ns;
		} else {
			cs->run_since = 0;
		}
		cs->win_cpu_ns = cpu;
		cs->win_at_ns = now;
	}
	return d;
}

/* Computing for this long by the windows judged so far: the window in
 * progress proves nothing yet (counted, one window of a short burst
 * between sleeps read as a millisecond of computing). */
static uint64_t running_for(const struct cpu_sample *cs)
{
	return cs->run_since ? cs->win_at_ns - cs->run_since : 0;
}
/* The monitor's stack.  Its deepest chain, measured with -fstack-usage
 * (debug build, x86_64): monitor_main 864 B (retake_pass, check_running_p
 * and thread_state inlined) + watch_revoked 1888 B + mp_revoke,
 * mp_p_put_locked, the lock ~150 B: about 3 KiB; the schedtrace chain
 * (mp_trace_stderr 560 B) about 1.6 KiB.  Every signal is blocked on it,
 * so no handler frame lands there.  The margin is wide for
 * sanitizer builds, the vDSO and glibc's thread start, instead of the
 * default 8 MiB (RLIMIT_STACK) of address space. */
/* The MAXPROCS=auto duty (preload/stats.c) re-reads the cgroup files
 * through mp_cgroup_cpu_quota: four path buffers and a line buffer,
 * about 25 KiB, so 128 KiB. */
#define MONITOR_STACK_BYTES ((size_t)128 * 1024)

/* What the monitor remembers of each P between passes.  Private to the
 * monitor thread. */
struct mon_p {
	uint64_t word;           /* status word on the previous pass */
	uint64_t call;           /* the holder's call word then (membarrier protocol) */
	uint64_t hand_gen;       /* gen of the current holder ... */
	uint64_t hand_since_ns;  /* ... and when the monitor first saw it */
	uint64_t call_word;      /* gen+tick: the holder's last call (CAS protocol) ... */
	uint64_t call_cw;        /* ... its call word (membarrier protocol) ... */
	uint64_t call_since_ns;  /* ... first seen at */
	struct cpu_sample cs;    /* holder's CPU clock since that call */
	struct awake_gate awake; /* its sleeps since then (the slice's signal, the probes) */
	int64_t call_cpu_ns;     /* holder's CPU clock in that call at the last pass (-1: none) */
	uint64_t call_cpu_at_ns;
	uint64_t signaled_ns;
	uint64_t probe_base_ns;  /* the call_since_ns the probes below are for */
	uint64_t probe_at_ns;    /* the next spin probe is due (0: none yet) */
	uint64_t probe_gap_ns;   /* and the one after it this much later */
	uint64_t probed_ns;
	unsigned probes_sent;    /* in this schedule */
	int64_t probe_cpu_ns;    /* the holder's CPU clock at probe_cpu_at_ns (0: none) ... */
	uint64_t probe_cpu_at_ns;
	int64_t probe_cpu0_ns;   /* ... and at the sample before (0: none) */
	uint64_t probe_cpu0_at_ns;
	int64_t probe_cpu_base_ns;   /* ... and at the schedule's first sample (0: none) */
	uint64_t probe_cpu_base_at_ns;
	int32_t probe_slot;      /* whose schedule it is: M slot and tid (-1: none) ... */
	int probe_tid;
	uint64_t probe_yields;   /* ... and the P's spinyields when it began */
};

static struct mon_p mon[MP_MAXPROCS];

/*
 * Kernel work is not a blocked call.  A holder in the same may-block call
 * on two passes whose CPU clock ran at least half the time between them
 * is computing in the kernel (a loopback sendmsg delivers the message and
 * wakes its reader: 17 us at p50, 45 us at p99 in memcached here).  Retaken
 * there, it only waits for a P when the call returns, behind a new holder
 * that soon computes in its own sendmsg: memcached -t 4 at -p 1 fell into
 * that chain at ~13 000 retakes in 3 s and half its throughput.  So such a
 * holder keeps its P, up to KERNEL_WORK_MAX_NS in the call (the bound a
 * holder blocked outside the table gets, BLOCK_CHECK_AFTER_NS); a holder
 * asleep, whose clock stands still, is retaken as before.  One CPU clock
 * read per P in a call per pass, only while Ms wait.
 */
#define KERNEL_WORK_MAX_NS 1000000ull

static bool computing_in_call(struct mon_p *mv, const struct mp_p *pp, uint64_t now)
{
	/* relaxed: published with the word (release in p_store_locked) */
	int tid = atomic_load_explicit(&pp->tid, memory_order_relaxed);
	int64_t cpu = tid > 0 ? mp_raw_clock_ns(mp_thread_cpuclock(tid)) : -1;
	int64_t prev = mv->call_cpu_ns;
	uint64_t prev_at = mv->call_cpu_at_ns;
	mv->call_cpu_ns = cpu;
	mv->call_cpu_at_ns = now;
	if (cpu < 0 || prev < 0 || cpu < prev || now <= prev_at ||
	    now - mv->call_since_ns >= KERNEL_WORK_MAX_NS)
		return false;
	return (uint64_t)(cpu - prev) * 2 >= now - prev_at;
}

/*
 * Spin probes (preempt.c has the verdict).  A holder found computing
 * without calls while Ms wait is probed twice, PROBE_GAP_NS apart; while
 * it keeps computing the gap doubles, up to a slice, so a thread that
 * really computes pays a few signal round trips (~2.5 us each) per slice,
 * and one that spins gives its P up within a millisecond instead of at the
 * end of its slice.  The probes have their own spacing, not RESIGNAL_NS.
 */
#define PROBE_AFTER_NS 100000ull   /* no call for this long: the first probe */
#define PROBE_GAP_NS 50000ull
#define PROBE_WINDOW_NS 100000ull  /* computing over at least this long before a probe */
#define PROBE_AWAKE_NS 40000ull    /* no sleep for this long before one (awake gate) */

/* The earliest time a probe will be due (0: none), gathered by each pass:
 * the monitor wakes for it without shortening its tick for everything
 * else (a probe is not work that keeps the tick at its minimum). */
static uint64_t probe_wake_ns;

static void probe_wake_at(uint64_t t)
{
	if (!probe_wake_ns || t < probe_wake_ns)
		probe_wake_ns = t;
}

/*
 * What the probes found of each M before (monitor thread only, by M slot;
 * a slot taken over by another thread starts again): the schedules in a
 * row that ended with three probes or more and no spin hand-over.  A
 * thread that computes gets its next schedule's first probe later, up to
 * PROBE_MISS_AFTER_NS << PROBE_MISSES_MAX, and its probes as much further
 * apart (PROBE_MISS_GAP_NS << misses; three alike still make a verdict): with 8 threads computing at -p 1 the
 * probes were most of the monitor's ~3 % of a CPU, a new schedule at every
 * slice.  One hand-over found by a probe and it is probed early again.
 */
#define PROBE_MISSES_MAX 4
/* A thread's misses back off from the timing the probes had before the
 * first probe moved to 100 us: computing threads pay what they paid. */
#define PROBE_MISS_AFTER_NS 200000ull
#define PROBE_MISS_GAP_NS 100000ull
static struct { int tid; uint8_t misses; } probe_history[MP_MAX_MS];

/* The schedule that ran on mv ends: remember how it ended. */
static void probe_schedule_end(struct mp_p *pp, struct mon_p *mv)
{
	int32_t slot = mv->probe_slot;
	mv->probe_slot = -1;
	if (slot < 0 || slot >= MP_MAX_MS || probe_history[slot].tid != mv->probe_tid)
		return;
	/* relaxed: a counter, only compared with its earlier value */
	uint64_t yields = atomic_load_explicit(&pp->spin_yields, memory_order_relaxed);
	if (yields != mv->probe_yields)
		probe_history[slot].misses = 0;
	else if (mv->probes_sent >= 3 && probe_history[slot].misses < PROBE_MISSES_MAX)
		probe_history[slot].misses++;
}

static unsigned probe_misses(int32_t slot, int tid)
{
	if (slot < 0 || slot >= MP_MAX_MS)
		return 0;
	if (probe_history[slot].tid != tid) {
		probe_history[slot].tid = tid;
		probe_history[slot].misses = 0;
	}
	return probe_history[slot].misses;
}

/*
 * A new holder (or the same one after a call) while Ms wait: its probe
 * schedule starts.  Its first probe is due PROBE_AFTER_NS after the call,
 * with the CPU window read from the call on (probe_spinner), not from
 * then: a spinning partner's verdict came ~800 us after its last call,
 * and the spin-then-block hand-over (1 M bare loads, ~1.3 ms here) mostly
 * ended by itself first.  A thread that computes (misses) starts later.
 */
static void probe_schedule_start(struct mp_p *pp, struct mon_p *mv, int tid)
{
	probe_schedule_end(pp, mv);
	/* relaxed: published with the word the pass loaded */
	int32_t slot = atomic_load_explicit(&pp->mslot, memory_order_relaxed);
	unsigned misses = probe_misses(slot, tid);
	uint64_t later = misses ? (PROBE_MISS_AFTER_NS << misses) - PROBE_AFTER_NS : 0;
	if (later > mp_sched.opt.slice_ns / 2)
		later = mp_sched.opt.slice_ns / 2;
	mv->probe_slot = slot;
	mv->probe_tid = tid;
	/* relaxed: a counter, only compared later (probe_schedule_end) */
	mv->probe_yields = atomic_load_explicit(&pp->spin_yields, memory_order_relaxed);
	mv->probe_base_ns = mv->call_since_ns;
	mv->probe_at_ns = mv->call_since_ns + PROBE_AFTER_NS + later;
	mv->probe_gap_ns = misses ? PROBE_MISS_GAP_NS << misses : PROBE_GAP_NS;
	mv->probe_cpu_at_ns = 0;
	mv->probe_cpu0_at_ns = 0;
	mv->probe_cpu_base_at_ns = 0;
	mv->probes_sent = 0;
}

/* ran ns of CPU in wall ns of time: at least two thirds (ran < 0: no). */
static bool two_thirds(int64_t ran, uint64_t wall)
{
	return ran >= 0 && (uint64_t)ran * 3 >= wall * 2;
}

static void probe_spinner(struct mp_p *pp, struct mon_p *mv, int tid, bool unsafe, uint64_t now)
{
	if (atomic_load_explicit(&mp_sched.probes_off, memory_order_relaxed))   /* relaxed: a switch */
		return;
	if (mv->probe_base_ns != mv->call_since_ns)
		probe_schedule_start(pp, mv, tid);
	/* Only a thread that computed two thirds of the time over the last
	 * PROBE_WINDOW_NS, and two thirds of the time since its call, and
	 * runs now (send_signal): a signal must never land in a sleep the
	 * table cannot see (a raw nanosleep fails with EINTR then, whatever
	 * SA_RESTART says), and a thread that works a little between such
	 * sleeps never qualifies (after its first sleep its share since the
	 * call falls).  Later probes need the same over their own gap.  The
	 * clock is read every PROBE_GAP_NS from the call on, and the window
	 * slides by that much.  A window far longer than asked (a late pass)
	 * says little about the last moments: it starts again.  Two thirds,
	 * not three quarters: a spinner that shares its CPU with this
	 * thread's passes read 70-74 % here, window after window, and was
	 * never probed.  The first probe at 100 us, 50 us apart: at 200 and
	 * 100 us the spin-then-block hand-over (1 M loads, ~600 us in
	 * spin_handover) mostly ended by itself before the verdict, below
	 * taskset's round trips; at 60 and 30 the 50 us of CPU a verdict
	 * needs between samples took more probes (docs/design.md). */
	uint64_t sample_from = mv->probe_at_ns - PROBE_WINDOW_NS;
	if (now < sample_from) {
		probe_wake_at(sample_from);
		return;
	}
	if (mv->probe_cpu_at_ns && now - mv->probe_cpu_at_ns < PROBE_GAP_NS) {
		probe_wake_at(mv->probe_cpu_at_ns + PROBE_GAP_NS);
		return;
	}
	int64_t cpu = mp_raw_clock_ns(mp_thread_cpuclock(tid));
	if (cpu < 0)
		return;
	uint64_t need = mv->probes_sent ? PROBE_GAP_NS : PROBE_WINDOW_NS;
	int64_t from_cpu = mv->probes_sent ? mv->probe_cpu_ns : mv->probe_cpu0_ns;
	uint64_t from_at = mv->probes_sent ? mv->probe_cpu_at_ns : mv->probe_cpu0_at_ns;
	uint64_t wall = from_at ? now - from_at : 0;
	int64_t ran = cpu - from_cpu;
	mv->probe_cpu0_ns = mv->probe_cpu_ns;
	mv->probe_cpu0_at_ns = mv->probe_cpu_at_ns;
	mv->probe_cpu_ns = cpu;
	mv->probe_cpu_at_ns = now;
	if (!mv->probe_cpu_base_at_ns) {
		mv->probe_cpu_base_ns = cpu;
		mv->probe_cpu_base_at_ns = now;
	}
	probe_wake_at(now + PROBE_GAP_NS);   /* the next sample, or the probe after this one */
	if (now < mv->probe_at_ns) {
		/* The sample before the first probe: a thread that computed
		 * since the last one has its sleeps counted now, so that the
		 * probe (the awake gate) finds it awake for a gap since. */
		if (now + PROBE_GAP_NS >= mv->probe_at_ns && mv->probe_cpu0_at_ns &&
		    two_thirds(cpu - mv->probe_cpu0_ns, now - mv->probe_cpu0_at_ns))
			gate_arm(tid, &mv->awake, now);
		return;
	}
	if (wall < need || wall > 2 * need || !two_thirds(ran, wall) ||
	    !two_thirds(cpu - mv->probe_cpu_base_ns, now - mv->probe_cpu_base_at_ns))
		return;
	if (send_signal(tid, atomic_load_explicit(&pp->mslot, memory_order_relaxed), unsafe, &mv->awake,
	                PROBE_AWAKE_NS, now, &mv->probed_ns,
	                PROBE_GAP_NS / 2, mp_sched.preempt_cookie ^ MP_PROBE_COOKIE_BIT,
	                &mp_sched.probe_signals) != SIG_SENT)
		return;
	mv->probe_at_ns = now + mv->probe_gap_ns;
	probe_wake_at(mv->probe_at_ns);
	/* A verdict takes three samples: 50 us apart, then backing off. */
	if (++mv->probes_sent >= 3 && mv->probe_gap_ns < mp_sched.opt.slice_ns)
		mv->probe_gap_ns *= 2;
}

/*
 * check_running_p: pp is RUNNING and Ms wait.  Decide between nothing,
 * asking for the P at the next call, signalling the holder, and revoking.
 * Returns 2 if it revoked the P (it changed hands: the monitor keeps its
 * short tick), 1 if it flagged or signalled the holder, 0 if nothing.
 *
 * Every probe may fail (no /proc, a seccomp filter, a CPU clock that
 * cannot be read); each failure falls back to something that keeps the
 * program live: revoking after a longer wait.
 */
static int check_running_p(struct mp_p *pp, struct mon_p *mv, uint64_t w, uint64_t now)
{
	uint64_t slice = mp_sched.opt.slice_ns;
	bool over_slice = now - mv->hand_since_ns >= slice || (w & PW_STOP);
	int acted = 0;
	if (w & PW_CLAIM)
		return 0;   /* a waiter is looking at it: next pass */
	if (over_slice && !(w & PW_PREEMPT)) {
		/* Cooperative first: the next enter or exit fails its CAS. */
		uint64_t fw = w | PW_PREEMPT;
		if (!p_cas(pp, &w, fw, "check_running_p"))
			return 0;
		w = fw;
		acted = 1;
	}
	uint64_t idle = now - mv->call_since_ns;   /* no intercepted call for this long */
	/* relaxed: tid and sig_unsafe were published with the word we loaded
	 * (release in p_store_locked); a stale tid is caught by the probes */
	int tid = atomic_load_explicit(&pp->tid, memory_order_relaxed);
	bool unsafe = atomic_load_explicit(&pp->sig_unsafe, memory_order_relaxed);
	if (!over_slice)
		probe_spinner(pp, mv, tid, unsafe, now);   /* sent only to a running thread */
	if (idle < BLOCK_SAMPLE_AFTER_NS && !over_slice)
		return acted;
	int64_t cpu = mp_raw_clock_ns(mp_thread_cpuclock(tid));
	int64_t ran = sample_cpu(&mv->cs, cpu, now);
	bool flagged = (w & PW_PREEMPT) && idle >= slice;

	bool revoke;
	if (cpu < 0) {
		/* No CPU clock: the kernel's state alone, else time alone. */
		revoke = (thread_asleep(tid) > 0 && idle >= BLOCK_CHECK_AFTER_NS) ||
		         (flagged && now - mv->hand_since_ns >= 2 * slice);
	} else if (ran < 0) {
		return acted;   /* first sample */
	} else if (mv->cs.run_since) {
		/* Running user code without calls. */
		if (!flagged) {
			if (idle + SIGNAL_AWAKE_NS >= slice)
				gate_arm(tid, &mv->awake, now);   /* so the signal need not wait */
			return acted;
		}
		uint64_t need = slice / 2 < SIGNAL_RUN_MAX_NS ? slice / 2 : SIGNAL_RUN_MAX_NS;
		enum sig_result r = SIG_NOT_NOW;
		if (running_for(&mv->cs) >= need)
			r = signal_thread(tid, atomic_load_explicit(&pp->mslot, memory_order_relaxed),
			                  unsafe, &mv->awake, now, &mv->signaled_ns);
		if (r == SIG_SENT)
			return 1;
		/* The signal cannot reach it (none configured, a small stack,
		 * blocked, no /proc) or did not work within three slices:
		 * revoke.  The holder runs on without a P until it notices
		 * (counted as overshoot). */
		revoke = r == SIG_IMPOSSIBLE || now - mv->hand_since_ns >= 3 * slice;
	} else {
		/* Mostly not running: asleep in a call the table cannot see, or
		 * runnable but descheduled.  Only the kernel knows which. */
		if (idle < BLOCK_CHECK_AFTER_NS)
			return acted;
		int asleep = thread_asleep(tid);
		revoke = asleep > 0 || (asleep == 0 && ran == 0 && idle >= 2 * BLOCK_CHECK_AFTER_NS) ||
		         (flagged && now - mv->hand_since_ns >= 3 * slice);
	}
	return revoke && mp_revoke(pp, w, cpu < 0 ? -1 : cpu) ? 2 : acted;
}

/* watch_revoked: a revoked M that then computes for a whole slice without
 * a call is signalled, so it queues instead of running on past the cap.
 * One that runs briefly between calls notices at its next call. */
static void watch_revoked(uint64_t now)
{
	struct mp_revoked seen[64];
	int slot[64];
	int n = 0;
	mp_lock(&mp_sched.lock);
	for (int i = 0; i < MP_MAXPROCS && n < 64 && (uint32_t)n < mp_sched.nrevoked; i++)
		if (mp_sched.revoked[i].tid) {
			slot[n] = i;
			seen[n++] = mp_sched.revoked[i];
		}
	mp_sched_unlock();
	for (int k = 0; k < n; k++) {
		int64_t cpu = mp_raw_clock_ns(mp_thread_cpuclock(seen[k].tid));
		bool gone = cpu == -EINVAL;   /* exited without noticing */
		struct cpu_sample cs = { seen[k].cpu_ns, seen[k].win_cpu_ns,
		                         seen[k].win_at_ns, seen[k].run_since_ns };
		struct awake_gate g = { seen[k].nvcsw, seen[k].awake_since_ns };
		if (!gone && cpu >= 0) {
			sample_cpu(&cs, cpu, now);
			uint64_t ran_for = running_for(&cs);
			if (ran_for >= mp_sched.opt.slice_ns)
				signal_thread(seen[k].tid, seen[k].mslot, seen[k].sig_unsafe, &g, now,
				              &seen[k].signaled_at_ns);
			else if (ran_for + SIGNAL_AWAKE_NS >= mp_sched.opt.slice_ns)
				gate_arm(seen[k].tid, &g, now);
		}
		mp_lock(&mp_sched.lock);
		struct mp_revoked *rv = &mp_sched.revoked[slot[k]];
		if (rv->tid == seen[k].tid) {
			if (gone) {
				rv->tid = 0;
				atomic_fetch_sub(&mp_sched.nrevoked, 1);
			} else {
				rv->cpu_ns = cs.cpu_ns;
				rv->win_cpu_ns = cs.win_cpu_ns;
				rv->win_at_ns = cs.win_at_ns;
				rv->run_since_ns = cs.run_since;
				rv->signaled_at_ns = seen[k].signaled_at_ns;
				rv->nvcsw = g.nvcsw;
				rv->awake_since_ns = g.since_ns;
			}
		}
		mp_sched_unlock();
	}
}

/* Claims settled per membarrier: a pass over more Ps in calls pays one
 * barrier per batch (the monitor's stack holds the batch). */
#define RETAKE_BATCH 64

static int settle_retakes(struct mp_claim *claims, int n)
{
	if (claims_settle(claims, n) == 0)
		return 0;
	int taken = 0;
	mp_lock(&mp_sched.lock);
	for (int k = 0; k < n; k++)
		if (claims[k].pp) {
			mp_retake_locked(claims[k].pp);
			taken++;
		}
	mp_sched_unlock();
	return taken;
}

/*
 * One pass over the P table.  Returns how many Ps changed hands.
 *
 * A P whose holder is in a call is retaken when Ms wait (or a resize
 * stopped it) and the holder is in the very same call as on the previous
 * pass, or in a known-blocking one, or (membarrier protocol, whose enter
 * does not look at the flags) was asked to give the P up.  The CAS protocol takes it with one
 * CAS from SYSCALL; the membarrier protocol claims it, and every claim of
 * the pass is settled with one membarrier (claim.c).
 */
/* The last pass, while Ms waited, saw a P in a call (or asked to stop),
 * or one whose holder came back from a call less than SHORT_TICK_AFTER_NS
 * ago (it may soon enter the next): the short tick is for those (two passes
 * 20 us apart retake a P from a call that blocks).  A holder that has run
 * user code for longer needs nothing before its probes (which wake the
 * monitor for themselves), its block check (from 500 us on) or its
 * slice's end, so when every P is held so the tick is at least
 * HOLDERS_TICK_NS.  At 20 us a pass costs ~10 us of CPU here (the timer,
 * the wake-up, the reads); beside two spinning partners the monitor took
 * 18-20 % of a CPU, a third of the CPU of the spinner it shared one with,
 * whose probes' window then failed.  The floor for every P held in user
 * code, short runs included, cost bench/pool 7 %: its 100 us bursts end
 * in calls whose retake then waited for the longer tick. */
static bool pass_wants_short_tick;
#define SHORT_TICK_AFTER_NS 200000ull
#define HOLDERS_TICK_NS 100000ull

static int retake_pass(uint64_t now)
{
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	bool waiting = atomic_load(&mp_sched.nwaiting) > 0;
	struct mp_claim claims[RETAKE_BATCH];
	int nclaims = 0;
	int taken = 0;
	probe_wake_ns = 0;
	pass_wants_short_tick = false;
	for (uint32_t i = 0; i < len; i++) {
		struct mp_p *pp = &mp_allp[i];
		struct mon_p *mv = &mon[i];
		uint64_t call, w = atomic_load(&pp->word);
		unsigned state = p_view(pp, w, &call);
		uint64_t gen = w >> PW_GEN_SHIFT;
		uint64_t tick = w & ~(PW_STATE_MASK | PW_FLAGS_MASK);
		if (gen != mv->hand_gen) {
			mv->hand_gen = gen;
			mv->hand_since_ns = now;
		}
		if (tick != mv->call_word || call != mv->call_cw) {
			mv->call_word = tick;
			mv->call_cw = call;
			mv->call_since_ns = now;
			mv->cs.cpu_ns = -1;
			mv->awake.since_ns = 0;
			mv->call_cpu_ns = -1;
			if (waiting && state == P_SYSCALL)
				(void)computing_in_call(mv, pp, now);   /* the first sample */
		}
		if (state == P_SYSCALL || (w & PW_STOP) ||
		    (state == P_RUNNING && now - mv->call_since_ns < SHORT_TICK_AFTER_NS))
			pass_wants_short_tick = true;
		switch (state) {
		case P_SYSCALL:
			if (!mp_asym) {
				/* In the same syscall for a whole tick while Ms wait. */
				if (waiting && w == mv->word &&
				    ((w & PW_BLOCKING) || !computing_in_call(mv, pp, now)) &&
				    p_cas(pp, &w, pw_next_gen(w, P_IDLE), "retake_pass")) {
					mp_lock(&mp_sched.lock);
					mp_retake_locked(pp);
					mp_sched_unlock();
					taken++;
				}
				break;
			}
			if ((waiting || (w & PW_STOP)) && !atomic_load(&pp->waking) &&
			    ((call & MC_BLOCKING) || (w & (PW_PREEMPT | PW_STOP)) ||
			     (w == mv->word && call == mv->call && !computing_in_call(mv, pp, now))) &&
			    claim_begin(&claims[nclaims], pp, w, call) && ++nclaims == RETAKE_BATCH) {
				taken += settle_retakes(claims, nclaims);
				nclaims = 0;
			}
			break;
		case P_RUNNING:
			if (atomic_load(&pp->waking)) {
				/* Its slice starts when its new owner runs. */
				mv->hand_since_ns = mv->call_since_ns = now;
				mv->cs.cpu_ns = -1;
				mv->awake.since_ns = 0;
				break;
			}
			if (!(waiting || (w & PW_STOP)))
				break;
			/* It may take the lock: no claim may be pending then. */
			taken += settle_retakes(claims, nclaims);
			nclaims = 0;
			/* Only a revoke changed hands.  A flag or a signal needs no
			 * quick second look (the holder gives the P up itself, and a
			 * signal that cannot land is a revoke on a later pass): it
			 * does not hold the tick at its minimum, which cost ~5 % of
			 * a CPU with 8 threads computing at -p 1 (57 passes a slice). */
			taken += check_running_p(pp, mv, w, now) == 2;
			break;
		default:
			break;
		}
		mv->word = atomic_load(&pp->word);   /* as our own flag left it */
		mv->call = call;
	}
	taken += settle_retakes(claims, nclaims);   /* before watch_revoked's lock */
	if (atomic_load_explicit(&mp_sched.nrevoked, memory_order_relaxed))   /* a hint; the slots are read under the lock */
		watch_revoked(now);
	return taken;
}

static bool must_watch(void)
{
	if (atomic_load(&mp_sched.nwaiting) || atomic_load(&mp_sched.nrevoked))
		return true;
	/* Ps asked to stop by a resize whose holders make no calls. */
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	for (uint32_t i = atomic_load(&mp_sched.nprocs); i < len; i++)
		if (pw_state(atomic_load(&mp_allp[i].word)) == P_RUNNING)
			return true;
	return false;
}

/* The trace goes to the program's stderr as it is now: with a private
 * descriptor table the monitor borrows it for the line. */
static bool borrow_stderr;

bool mp_monitor_fds_private(void)
{
	return borrow_stderr;
}

static void emit_trace(uint64_t now, void *arg)
{
	(void)arg;
	struct mp_stats st;
	mp_stats_snapshot(&st);
	if (borrow_stderr && mp_proctask_borrow_fd(2) != 0)
		return;
	mp_sched.opt.trace(&st, (now - mp_sched.start_ns) / 1000000);
	if (borrow_stderr)
		mp_proctask_return_fd(2);
}

/*
 * Duties: the monitor's work besides its passes, one row each (sched.h).
 * The table is filled before the monitor first starts and never shrinks;
 * next_ns is the monitor's own, requested is set by anyone (a signal
 * handler) and taken by the monitor.
 */
struct duty {
	const char *name;
	uint64_t period_ns;          /* 0: only when requested */
	mp_duty_fn run;
	void *arg;
	uint64_t next_ns;            /* monitor thread only */
	_Atomic int requested;
};
static struct duty duties[MP_DUTIES];
static _Atomic int nduties;

int mp_monitor_duty_add(const char *name, uint64_t period_ns, mp_duty_fn run, void *arg)
{
	int id = atomic_load(&nduties);
	if (id >= MP_DUTIES || !run)
		return -ENOSPC;
	duties[id] = (struct duty){ name, period_ns, run, arg, 0, 0 };
	atomic_store(&nduties, id + 1);   /* seq_cst: the row is complete before it counts */
	return id;
}

bool mp_monitor_duty_request(int id)
{
	if (id < 0 || id >= atomic_load(&nduties))
		return false;
	atomic_store(&duties[id].requested, 1);
	if (!atomic_load(&mp_sched.mon_running))
		return false;
	mp_monitor_wake();
	return true;
}

static void duties_start(uint64_t now)
{
	for (int i = 0; i < atomic_load(&nduties); i++)
		duties[i].next_ns = duties[i].period_ns ? now + duties[i].period_ns : 0;
}

/* ns until the next duty is due: 0 none, at least 1. */
static uint64_t duties_due_in(uint64_t now)
{
	uint64_t best = 0;
	for (int i = 0; i < atomic_load(&nduties); i++) {
		const struct duty *d = &duties[i];
		uint64_t in = atomic_load_explicit(&d->requested, memory_order_relaxed) ? 1
		            : !d->period_ns ? 0 : d->next_ns > now ? d->next_ns - now : 1;
		if (in && (!best || in < best))
			best = in;
	}
	return best;
}

static void duties_run(uint64_t now)
{
	for (int i = 0; i < atomic_load(&nduties); i++) {
		struct duty *d = &duties[i];
		bool asked = atomic_exchange(&d->requested, 0);
		bool due = d->period_ns && now >= d->next_ns;
		if (!asked && !due)
			continue;
		d->run(now, d->arg);
		if (due)
			d->next_ns = now + d->period_ns;
	}
}

static void sleep_on_word(uint32_t seq, uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	mp_futex_wait((const uint32_t *)&mp_sched.mon_word, seq, ns ? &ts : NULL);
}

/*
 * monitor_leave: no M is attached or being started.  Clear mon_running,
 * then look again: a pthread_create that reserved an M meanwhile (nthreads
 * first, then a look at mon_running: seq_cst on both sides, so one sees
 * the other) either saw us running, and then we see its M here and take
 * the flag back, or saw the flag clear and starts a new monitor; if it won
 * the flag, we leave.  Returns true if this thread must leave; after that
 * it touches nothing shared.
 */
static bool monitor_leave(void)
{
	atomic_store(&mp_sched.mon_running, 0);
	if (atomic_load(&mp_sched.nthreads) == 0)
		return true;
	int expect = 0;
	return !atomic_compare_exchange_strong(&mp_sched.mon_running, &expect, 1);
}

static void *monitor_main(void *arg)
{
	(void)arg;
	/* The default 50 us timer slack would turn a 20 us tick into ~100 us. */
	mp_raw_syscall(SYS_prctl, PR_SET_TIMERSLACK, 1, 0);
	/* So users see what it is in top -H and ps -L. */
	mp_raw_syscall(SYS_prctl, PR_SET_NAME, (long)"maxprocs-mon", 0);
	/* Never run the program's signal handlers on this thread. */
	sigset_t all;
	sigfillset(&all);
	uint64_t open;
	memcpy(&open, &all, sizeof open);
	open &= ~mp_sched.mon_open_signals;
	memcpy(&all, &open, sizeof open);
	mp_raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, 0, 8, 0, 0);
	for (uint32_t i = 0; i < MP_MAXPROCS; i++) {
		mon[i].cs.cpu_ns = -1;
		mon[i].call_cpu_ns = -1;
		mon[i].probe_slot = -1;
	}
	/* Our /proc reads must not take the program's lowest free descriptor
	 * nor fail when its table is full: give this thread a table of its
	 * own.  If the kernel cannot, the monitor never reads /proc. */
	proc_usable = mp_proctask_private_fds() == 0;
	borrow_stderr = proc_usable;

	uint64_t delay_us = DELAY_MIN_US;
	unsigned idle = 0;
	duties_start(mp_now_ns());
	while (!atomic_load(&mp_sched.mon_stop)) {
		uint32_t seq = atomic_load(&mp_sched.mon_word);
		/* Nobody left to watch: return, so glibc's thread count drops
		 * and the last thread's exit(0) happens as without us. */
		if (mp_sched.opt.monitor_leaves && atomic_load(&mp_sched.nthreads) == 0 &&
		    monitor_leave())
			return NULL;
		uint64_t now = mp_now_ns();
		uint64_t to_duty = duties_due_in(now);
		atomic_store(&mp_sched.mon_sleeping, 1);   /* seq_cst: pairs with park_locked */
		if (!must_watch()) {
			/* Deep sleep: nobody waits, so there is nothing to do until
			 * a waiter wakes us (or a duty is due or asked for). */
			sleep_on_word(seq, to_duty);
			atomic_store(&mp_sched.mon_sleeping, 0);
			delay_us = DELAY_MIN_US;
			idle = 0;
		} else {
			atomic_store(&mp_sched.mon_sleeping, 0);
			uint64_t d = delay_us * 1000;
			if (!pass_wants_short_tick && d < HOLDERS_TICK_NS)
				d = HOLDERS_TICK_NS;
			if (probe_wake_ns > now && probe_wake_ns - now < d)
				d = probe_wake_ns - now;
			sleep_on_word(seq, to_duty && to_duty < d ? to_duty : d);
		}
		if (atomic_load(&mp_sched.mon_stop))
			break;
		now = mp_now_ns();
		int taken = retake_pass(now);
		duties_run(now);
		if (taken) {
			idle = 0;
			delay_us = DELAY_MIN_US;
		} else if (++idle > IDLE_PASSES_BEFORE_BACKOFF) {
			/* Back off, but while Ms wait never so far that a slice
			 * could end unnoticed for long: at most a tenth of it. */
			uint64_t max_us = DELAY_MAX_US;
			uint64_t tenth_us = mp_sched.opt.slice_ns / 10000;
			if (atomic_load(&mp_sched.nwaiting) && tenth_us < max_us)
				max_us = tenth_us > DELAY_MIN_US ? tenth_us : DELAY_MIN_US;
			delay_us = delay_us * 2 > max_us ? max_us : delay_us * 2;
		}
	}
	atomic_store(&mp_sched.mon_running, 0);
	return NULL;
}

/* A fresh table (mp_sched_init) whose first row is the schedtrace line. */
int mp_monitor_duties_reset(void)
{
	atomic_store(&nduties, 0);
	if (!mp_sched.opt.schedtrace_ms || !mp_sched.opt.trace)
		return 0;
	int id = mp_monitor_duty_add("schedtrace", mp_sched.opt.schedtrace_ms * 1000000ull,
	                             emit_trace, NULL);
	return id < 0 ? id : 0;
}

int mp_monitor_start(mp_thread_create_fn create)
{
	if (!atomic_load(&mp_sched.active) || !create)
		return -EINVAL;
	int expect = 0;
	if (!atomic_compare_exchange_strong(&mp_sched.mon_running, &expect, 1))
		return 0;
	atomic_store(&mp_sched.mon_stop, 0);
	/* Created with every signal blocked so no handler of the program runs
	 * on it even before monitor_main blocks them itself: the raw call,
	 * because inside the preload pthread_sigmask is our own wrapper, which
	 * leaves the owned signals out of a broad mask.  sigfillset leaves
	 * out glibc's SIGCANCEL and SIGSETXID (a setuid in another thread
	 * must not wait on us), and the signals the monitor keeps open stay
	 * open (SIGSYS in catch-all mode: create's own rt_sigprocmask traps). */
	sigset_t all;
	sigfillset(&all);
	uint64_t mask, old;
	memcpy(&mask, &all, sizeof mask);
	mask &= ~mp_sched.mon_open_signals;
	mp_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)&mask, (long)&old, 8, 0, 0);
	/* A small stack (see MONITOR_STACK_BYTES).  glibc carves the static
	 * TLS out of it too: if a program's TLS is too large for that, it
	 * says EINVAL, and the default stack does. */
	pthread_attr_t attr;
	int err = pthread_attr_init(&attr);
	if (!err) {
		err = pthread_attr_setstacksize(&attr, MONITOR_STACK_BYTES + PTHREAD_STACK_MIN);
		if (!err)
			err = create(&mp_sched.mon_thread, &attr, monitor_main, NULL);
		pthread_attr_destroy(&attr);
	}
	if (err == EINVAL)
		err = create(&mp_sched.mon_thread, NULL, monitor_main, NULL);
	mp_raw_sigmask_set(&old);
	if (err) {
		atomic_store(&mp_sched.mon_running, 0);
		return -err;
	}
	pthread_detach(mp_sched.mon_thread);
	return 0;
}

int mp_monitor_ensure(mp_thread_create_fn create)
{
	if (atomic_load(&mp_sched.mon_running))
		return 0;
	return mp_monitor_start(create);
}

void mp_monitor_stop(void)
{
	if (!atomic_load(&mp_sched.mon_running))
		return;
	atomic_store(&mp_sched.mon_stop, 1);
	mp_monitor_wake();
	/* Wait (bounded) for it to leave so a later restart or unload does not
	 * race it; it is detached, so there is nothing to join. */
	for (int i = 0; i < 2000 && atomic_load(&mp_sched.mon_running); i++) {
		struct timespec ts = { 0, 100000 };
		mp_raw_syscall(SYS_nanosleep, &ts, 0, 0);
	}
}
