/*
 * proc.c - Ps and Ms: wiring, syscall entry and exit, hand-off, parking,
 * resize and fork.  The monitor (Go's sysmon) is in monitor.c.
 *
 * Every function names its preconditions at the top and checks them in
 * debug builds (MP_CHECK).  The states, the word layout and the invariants
 * are in internal.h and docs/design.md.
 *
 * Everything here is async-signal-safe: the only system calls are raw
 * futex/gettid/clock calls (shim/raw_syscall.h), which never touch errno,
 * and the one lock is never taken by a thread that already holds it,
 * because mp_m.depth > 0 while a thread is inside this file and every
 * entry point does nothing when depth says it is nested.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <time.h>
#include <unistd.h>

#include "sched/fastpath.h"
#include "sched/internal.h"
#include "shim/raw_syscall.h"
#include "shim/vdso.h"

struct mp_p mp_allp[MP_MAXPROCS];
struct mp_sched mp_sched;
__thread struct mp_m mp_self __attribute__((tls_model("initial-exec")));

#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release

/* ---- small helpers ---------------------------------------------------- */

static inline void count(_Atomic uint64_t *c)
{
	atomic_fetch_add_explicit(c, 1, relaxed);
}


/* The monitor's clock: the kernel's CLOCK_MONOTONIC through the vDSO (no
 * system call), never libc's clock_gettime, which a later preload may
 * replace (a frozen clock would make slices never end). */
uint64_t mp_now_ns(void)
{
	int64_t ns = mp_clock_ns(CLOCK_MONOTONIC);
	return ns < 0 ? 0 : (uint64_t)ns;
}

static size_t fmt_long(char *out, long v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

void mp_throw(const char *fn, const char *what, long a, long b)
{
	char buf[256];
	size_t n = 0;
	const char *parts[] = { "maxprocs: fatal: ", fn, ": ", what, " (" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		for (const char *s = parts[i]; *s && n < 200; s++)
			buf[n++] = *s;
	n += fmt_long(buf + n, a);
	buf[n++] = ',';
	buf[n++] = ' ';
	n += fmt_long(buf + n, b);
	buf[n++] = ')';
	buf[n++] = '\n';
	mp_raw_syscall(SYS_write, 2, buf, n);
	abort();
}

static inline void check_lock_held(const char *fn)
{
#ifdef MP_DEBUG
	MP_CHECK(mp_lock_owner(&mp_sched.lock) == mp_raw_gettid(), fn,
	         "sched.lock not held", mp_lock_owner(&mp_sched.lock), 0);
#else
	(void)fn;
#endif
}

/*
 * The invariant "m.p is never stale": an M's p is 0, or a P in RUNNING whose
 * m is this M and whose gen is the one the M was wired with.  The single
 * exception is a P the monitor revoked from an M blocked outside the table:
 * the gen moved on and mp->revoked says so; the M finds out at its next
 * entry point, before it touches the P.
 */
void mp_check_m(const struct mp_m *mp, const char *fn)
{
#ifdef MP_DEBUG
	struct mp_p *pp = mp->p;
	if (!pp)
		return;
	MP_CHECK(pp >= mp_allp && pp < mp_allp + MP_MAXPROCS, fn,
	         "m.p is not a P", (long)(uintptr_t)pp, 0);
	uint64_t w = atomic_load_explicit(&pp->word, acquire);
	if (pw_gen(w) == pw_gen(mp->pword)) {
		MP_CHECK(pw_state(w) == P_RUNNING, fn, "m.p is not RUNNING",
		         pp->id, pw_state(w));
		MP_CHECK(atomic_load_explicit(&pp->m, relaxed) == mp, fn,
		         "m.p does not point back to this M", pp->id, 0);
	} else {
		MP_CHECK(atomic_load_explicit(&mp->revoked, acquire), fn,
		         "m.p is stale and was not revoked", pp->id, pw_gen(w));
	}
#else
	(void)mp;
	(void)fn;
#endif
}

static void held_inc(void)
{
	uint32_t n = atomic_fetch_add(&mp_sched.nheld, 1) + 1;
	uint32_t h = atomic_load_explicit(&mp_sched.nheld_hwm, relaxed);
	while (n > h && !atomic_compare_exchange_weak(&mp_sched.nheld_hwm, &h, n))
		;
}

static void held_dec(void)
{
	atomic_fetch_sub(&mp_sched.nheld, 1);
}

/* ---- Ps changing hands (all under sched.lock) ------------------------- */

/*
 * p_assign_locked: give a P that the caller has claimed (IDLE, out of the
 * idle stack) to mp as RUNNING.  Returns the word stored, which mp will
 * expect in its next CAS.
 */
static uint64_t p_assign_locked(struct mp_p *pp, struct mp_m *mp)
{
	uint64_t w = atomic_load_explicit(&pp->word, relaxed);
	check_lock_held("p_assign_locked");
	MP_CHECK(pw_state(w) == P_IDLE && !pp->in_idle, "p_assign_locked",
	         "P not claimed idle", pp->id, pw_state(w));
	atomic_store_explicit(&pp->m, mp, relaxed);
	atomic_store_explicit(&pp->tid, mp->tid, relaxed);
	atomic_store_explicit(&pp->sig_unsafe, mp->sig_unsafe, relaxed);
	uint64_t nw = pw_next_gen(w, P_RUNNING);
	atomic_store_explicit(&pp->word, nw, release);   /* publishes m and tid */
	held_inc();
	return nw;
}

static struct mp_p *pidle_pop_locked(void)
{
	uint32_t n = atomic_load_explicit(&mp_sched.npidle, relaxed);
	if (n == 0)
		return NULL;
	struct mp_p *pp = &mp_allp[mp_sched.pidle[n - 1]];
	atomic_store_explicit(&mp_sched.npidle, n - 1, relaxed);
	pp->in_idle = false;
	return pp;
}

static void pidle_remove_locked(struct mp_p *pp)
{
	uint32_t n = atomic_load_explicit(&mp_sched.npidle, relaxed);
	for (uint32_t i = 0; i < n; i++) {
		if (mp_sched.pidle[i] != pp->id)
			continue;
		memmove(&mp_sched.pidle[i], &mp_sched.pidle[i + 1],
		        (n - i - 1) * sizeof mp_sched.pidle[0]);
		atomic_store_explicit(&mp_sched.npidle, n - 1, relaxed);
		pp->in_idle = false;
		return;
	}
}

/*
 * mp_p_put_locked (Go's handoffp + pidleput): the caller claimed pp (IDLE,
 * in nobody's hands).  Wire it to the first parked M and wake that M, or
 * push it on the idle stack; a P beyond nprocs is stopped instead.  Direct
 * hand-off means exactly one sleeper wakes per free P (no thundering herd)
 * and the woken M needs no CAS: the P is already its own.
 */
void mp_p_put_locked(struct mp_p *pp)
{
	uint64_t w = atomic_load_explicit(&pp->word, relaxed);
	check_lock_held("mp_p_put_locked");
	MP_CHECK(pw_state(w) == P_IDLE && !pp->in_idle, "mp_p_put_locked",
	         "P not claimed idle", pp->id, pw_state(w));
	if (pp->id >= atomic_load_explicit(&mp_sched.nprocs, relaxed)) {
		atomic_store_explicit(&pp->word, pw_next_gen(w, P_STOPPED), release);
		return;
	}
	struct mp_m *mw = mp_sched.qhead;
	if (mw && atomic_load_explicit(&mp_sched.active, relaxed)) {
		mp_sched.qhead = mw->qnext;
		if (!mp_sched.qhead)
			mp_sched.qtail = NULL;
		mw->queued = false;
		atomic_fetch_sub(&mp_sched.nwaiting, 1);
		atomic_store_explicit(&pp->waking, true, relaxed);
		mw->nextword = p_assign_locked(pp, mw);   /* release: publishes waking */
		mw->nextp = pp;
		count(&pp->handoffs);
		atomic_store_explicit(&mw->park, 1, release);  /* pairs with park_locked's acquire */
		if (mw != &mp_self)
			mp_futex_wake((const uint32_t *)&mw->park, 1);
		return;
	}
	MP_CHECK(mp_sched.qhead == NULL || !atomic_load(&mp_sched.active),
	         "mp_p_put_locked", "idle P while Ms wait", pp->id, 0);
	uint32_t n = atomic_load_explicit(&mp_sched.npidle, relaxed);
	mp_sched.pidle[n] = pp->id;
	pp->in_idle = true;
	atomic_store_explicit(&mp_sched.npidle, n + 1, relaxed);
}

/* mp_retake_locked: count and pass on a P the caller CASed out of SYSCALL. */
void mp_retake_locked(struct mp_p *pp)
{
	held_dec();
	count(&pp->retakes);
	mp_p_put_locked(pp);
}

/*
 * steal_blocking_locked: a waiter just queued.  A P whose holder entered a
 * known-blocking call need not wait for the monitor's tick: take it now and
 * hand it to the head of the queue (FIFO order is kept).
 */
static void steal_blocking_locked(void)
{
	uint32_t len = atomic_load_explicit(&mp_sched.ptable_len, relaxed);
	for (uint32_t i = 0; i < len && mp_sched.qhead; i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load(&pp->word);
		if (pw_state(w) != P_SYSCALL || !(w & PW_BLOCKING))
			continue;
		if (atomic_compare_exchange_strong(&pp->word, &w, pw_next_gen(w, P_IDLE)))
			mp_retake_locked(pp);
	}
}

/* queue_remove_locked: take mp out of the wait queue wherever it is. */
static void queue_remove_locked(struct mp_m *mp)
{
	struct mp_m **link = &mp_sched.qhead, *prev = NULL;
	check_lock_held("queue_remove_locked");
	while (*link && *link != mp) {
		prev = *link;
		link = &(*link)->qnext;
	}
	if (!*link)
		return;
	*link = mp->qnext;
	if (mp_sched.qtail == mp)
		mp_sched.qtail = prev;
	mp->queued = false;
	mp->qnext = NULL;
	atomic_fetch_sub(&mp_sched.nwaiting, 1);
}

/* wire (Go's wirep): mp takes pp, already assigned to it with word w. */
static void wire(struct mp_m *mp, struct mp_p *pp, uint64_t w)
{
	MP_CHECK(mp->p == NULL, "wire", "M already holds a P",
	         mp->p ? (long)mp->p->id : -1, pp->id);
	MP_CHECK(pw_gen(atomic_load(&pp->word)) == pw_gen(w) &&
	         atomic_load_explicit(&pp->m, relaxed) == mp,
	         "wire", "P not assigned to this M", pp->id, pw_state(w));
	mp->pword = w;
	sfence();
	mp->p = pp;   /* last: our signal handler trusts p only once pword is set */
}

/*
 * notice_revoked_locked: the monitor took mp's P while mp was blocked
 * outside the table.  Drop the dead reference and account the CPU time mp
 * ran since then without a P (the overshoot).
 */
static void notice_revoked_locked(struct mp_m *mp)
{
	check_lock_held("notice_revoked_locked");
	MP_CHECK(atomic_load(&mp->revoked), "notice_revoked_locked",
	         "P lost but not revoked", mp->p ? (long)mp->p->id : -1, 0);
	int64_t now = mp_raw_clock_ns(CLOCK_THREAD_CPUTIME_ID);
	int64_t at = atomic_load_explicit(&mp->revoke_cpu_ns, relaxed);
	if (at >= 0 && now > at)
		atomic_fetch_add(&mp_sched.overshoot_ns, (uint64_t)(now - at));
	struct mp_revoked *rv = &mp_sched.revoked[mp->revoke_slot];
	if (rv->tid == mp->tid) {
		rv->tid = 0;
		atomic_fetch_sub(&mp_sched.nrevoked, 1);
	}
	atomic_store(&mp->revoked, 0);
	mp->p = NULL;
}

/*
 * Signals are blocked while an M sleeps in the queue.  A handler of the
 * program that ran there could block waiting for a thread that needs this
 * very P, siglongjmp out, or be an asynchronous cancellation: each would
 * leave the M linked in the queue, and the P later wired to it would be
 * lost (and, after the thread exits, the queue would point into its freed
 * TLS).  Blocked, such a signal waits until the M holds a P again, as it
 * would for any thread the kernel has not scheduled yet.  SIGSETXID
 * (glibc's setuid broadcast, 33) stays open: setuid in a thread that holds
 * a P waits for every thread to take it, and its handler never jumps.
 */
#define SIGSETXID_GLIBC 33

static void park_block_signals(uint64_t *old)
{
	uint64_t all = ~0ull & ~(1ull << (SIGSETXID_GLIBC - 1));
	mp_raw_syscall6(SYS_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)old, 8, 0, 0);
}

static void park_restore_signals(const uint64_t *old)
{
	mp_raw_syscall6(SYS_rt_sigprocmask, SIG_SETMASK, (long)old, 0, 8, 0, 0);
}

/*
 * park_locked: mp holds no P and needs one.  Take an idle P if there is
 * one, else queue at the tail and sleep until a releaser wires a P to us
 * (fairness: strict FIFO among waiters; a P freed while anyone waits goes
 * to the head, never to a newcomer, because idle Ps exist only while the
 * queue is empty).  Called with sched.lock held; returns with it released
 * and a P wired, or none if the scheduler shut down meanwhile.
 */
static void park_locked(struct mp_m *mp)
{
	check_lock_held("park_locked");
	MP_CHECK(mp->p == NULL, "park_locked", "M holds a P", mp->p ? (long)mp->p->id : -1, 0);
	struct mp_p *pp = pidle_pop_locked();
	if (pp) {
		uint64_t w = p_assign_locked(pp, mp);
		mp_unlock(&mp_sched.lock);
		wire(mp, pp, w);
		return;
	}
	if (!atomic_load_explicit(&mp_sched.active, relaxed)) {
		mp_unlock(&mp_sched.lock);
		return;
	}
	atomic_store_explicit(&mp->park, 0, relaxed);
	mp->nextp = NULL;
	mp->qnext = NULL;
	mp->queued = true;
	if (mp_sched.qtail)
		mp_sched.qtail->qnext = mp;
	else
		mp_sched.qhead = mp;
	mp_sched.qtail = mp;
	atomic_fetch_add(&mp_sched.nwaiting, 1);   /* seq_cst: pairs with enter_blocking's load */
	steal_blocking_locked();
	bool wake_monitor = atomic_load(&mp_sched.mon_sleeping);
	uint64_t oldmask;
	park_block_signals(&oldmask);   /* before anyone can hand us a P */
	mp_unlock(&mp_sched.lock);
	if (wake_monitor)
		mp_monitor_wake();
	while (atomic_load_explicit(&mp->park, acquire) == 0)
		mp_futex_wait((const uint32_t *)&mp->park, 0, NULL);
	MP_CHECK(!mp->queued, "park_locked", "woken but still in the queue",
	         mp->nextp ? (long)mp->nextp->id : -1, 0);
	pp = mp->nextp;
	if (pp) {
		count(&pp->parks);
		wire(mp, pp, mp->nextword);
		atomic_store(&pp->waking, false);
	}
	/* Only now: a handler of the program that ran between the hand-off
	 * and wire() would block (in read, say) holding a P it does not know
	 * it has, and nobody could take it back. */
	park_restore_signals(&oldmask);
}

/*
 * release_locked: mp gives up the P it holds (RUNNING) to the first waiter
 * or the idle stack.  If the P was revoked meanwhile, there is nothing to
 * give: just notice it.
 */
static void release_locked(struct mp_m *mp)
{
	struct mp_p *pp = mp->p;
	uint64_t cur = atomic_load(&pp->word);
	check_lock_held("release_locked");
	for (;;) {
		if (pw_gen(cur) != pw_gen(mp->pword)) {
			notice_revoked_locked(mp);
			return;
		}
		MP_CHECK(pw_state(cur) == P_RUNNING, "release_locked",
		         "held P not RUNNING", pp->id, pw_state(cur));
		if (atomic_compare_exchange_weak(&pp->word, &cur, pw_next_gen(cur, P_IDLE)))
			break;
	}
	mp->p = NULL;
	held_dec();
	mp_p_put_locked(pp);
}

/* ---- entering and leaving calls that may block ------------------------ */

/*
 * not_this_task: two tasks share this TLS (a raw clone without
 * CLONE_SETTLS; unsupported, docs/design.md): the caller is not the thread
 * that attached mp.  Checked on the enter and exit slow paths only (one
 * gettid system call):
 * the caller is then treated as not an M and passes through rather than
 * corrupt the M's state.
 */
static bool not_this_task(const struct mp_m *mp)
{
	return mp->tid != mp_raw_gettid();
}


/* The fast paths are inline in sched/fastpath.h; these are their slow
 * halves and the out-of-line entry points. */

void mp_enter_slow(struct mp_m *mp, uint64_t flags)
{
	struct mp_p *pp = mp->p;
	if (not_this_task(mp))
		return;   /* a task sharing our TLS: pass through */
	uint64_t cur = atomic_load(&pp->word);
	for (;;) {
		if (pw_gen(cur) != pw_gen(mp->pword)) {
			/* Revoked while blocked outside the table: run this call
			 * without a P; the exit queues for one. */
			mp_lock(&mp_sched.lock);
			notice_revoked_locked(mp);
			mp_unlock(&mp_sched.lock);
			return;
		}
		bool stop = cur & PW_STOP;
		bool preempt = (cur & PW_PREEMPT) &&
		               atomic_load_explicit(&mp_sched.nwaiting, relaxed) > 0;
		if (stop || preempt) {
			/* Cooperative preemption: give the P to the first waiter
			 * now and queue for one when the call returns. */
			mp_lock(&mp_sched.lock);
			if (preempt)
				count(&pp->preempts);
			release_locked(mp);
			mp_unlock(&mp_sched.lock);
			return;
		}
		/* A flag nobody needs any more: clear it and enter normally. */
		uint64_t nw = pw_entered(cur, flags);
		if (atomic_compare_exchange_strong(&pp->word, &cur, nw)) {
			mp->pword = nw;
			mp->oldp = pp;
			mp->p = NULL;
			return;
		}
	}
}

void mp_enter_syscall(void)
{
	mp_enter_syscall_fast();
}

void mp_enter_blocking(void)
{
	mp_enter_blocking_fast();
}

/*
 * Go's entersyscallblock, second half: an M waits, so the P we just left in
 * SYSCALL goes to it at once instead of waiting for the monitor.
 */
void mp_enter_blocking_handoff(struct mp_m *mp)
{
	struct mp_p *pp = mp->oldp;
	uint64_t w = mp->pword;
	if (!atomic_compare_exchange_strong(&pp->word, &w, pw_next_gen(w, P_IDLE)))
		return;   /* a waiter or the monitor took it first */
	mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	held_dec();
	mp_p_put_locked(pp);
	mp_unlock(&mp_sched.lock);
}

void mp_exit_syscall(void)
{
	mp_exit_syscall_fast();
}

void mp_exit_slow(struct mp_m *mp)
{
	struct mp_p *pp = mp->oldp;
	if (not_this_task(mp))
		return;   /* a task sharing our TLS: pass through */
	mp->oldp = NULL;
	mp_lock(&mp_sched.lock);
	if (pp) {
		uint64_t cur = atomic_load(&pp->word);
		while (pw_gen(cur) == pw_gen(mp->pword) && pw_state(cur) == P_SYSCALL) {
			/* Still ours, but flagged while we were away. */
			bool stop = cur & PW_STOP;
			bool preempt = (cur & PW_PREEMPT) && mp_sched.qhead;
			if (stop || preempt) {
				if (!atomic_compare_exchange_weak(&pp->word, &cur,
				        pw_next_gen(cur, P_IDLE)))
					continue;
				if (preempt)
					count(&pp->preempts);
				held_dec();
				mp_p_put_locked(pp);   /* to the head; we queue behind */
				break;
			}
			uint64_t nw = pw_with_state(cur, P_RUNNING);
			if (atomic_compare_exchange_weak(&pp->word, &cur, nw)) {
				mp_unlock(&mp_sched.lock);
				mp_count_owner(&pp->enters);
				mp_count_owner(&pp->fast_exits);
				mp->pword = nw;
				sfence();
				mp->p = pp;
				return;
			}
		}
	}
	park_locked(mp);
	if (mp->p) {
		count(&mp->p->enters);   /* counted at exit, see mp_enter_fast */
		count(&mp->p->slow_exits);
	}
}

/* ---- life of an M ----------------------------------------------------- */

/* nthreads counts attached Ms and Ms being started (reserved).  Dropping
 * to 0 wakes a monitor that leaves when no M exists. */
static void nthreads_dec(void)
{
	if (atomic_fetch_sub(&mp_sched.nthreads, 1) == 1 && mp_sched.opt.monitor_leaves)
		mp_monitor_wake();
}

static void m_attach(bool reserved)
{
	struct mp_m *mp = &mp_self;
	if (!atomic_load(&mp_sched.active) || mp->attached || mp->disowned) {
		if (reserved)
			nthreads_dec();
		return;
	}
	mp->depth++;
	mp->tid = mp_raw_gettid();
	mp->attached = true;
	mp->acting = false;
	mp->p = mp->oldp = NULL;
	atomic_store(&mp->revoked, 0);
	if (!reserved)
		atomic_fetch_add(&mp_sched.nthreads, 1);
	mp_lock(&mp_sched.lock);
	park_locked(mp);
	sfence();
	mp->depth--;
}

void mp_m_attach(void) { m_attach(false); }
void mp_m_attach_reserved(void) { m_attach(true); }

void mp_m_reserve(void)
{
	atomic_fetch_add(&mp_sched.nthreads, 1);   /* seq_cst: pairs with monitor_leave */
}

void mp_m_unreserve(void)
{
	nthreads_dec();
}

void mp_m_disown(void)
{
	mp_m_detach();
	mp_self.disowned = true;
}

void mp_m_detach(void)
{
	struct mp_m *mp = &mp_self;
	if (!mp->attached)
		return;
	mp->depth++;
	mp_lock(&mp_sched.lock);
	mp_check_m(mp, "mp_m_detach");
	if (mp->queued) {
		/* Leaving while in the queue (no path does today: parked Ms
		 * block signals; kept so that no exit can leave a dangling
		 * link into this thread's TLS). */
		queue_remove_locked(mp);
	} else if (!mp->p && atomic_load_explicit(&mp->park, acquire) && mp->nextp) {
		/* Handed a P while leaving a park it never finished. */
		wire(mp, mp->nextp, mp->nextword);
		atomic_store(&mp->p->waking, false);
		mp->nextp = NULL;
	}
	if (mp->p) {
		release_locked(mp);
	} else if (mp->oldp) {
		/* Leaving from inside a call (a cancellation whose cleanup did
		 * not run): the P may still wait in SYSCALL for us. */
		struct mp_p *pp = mp->oldp;
		uint64_t w = mp->pword;
		if (atomic_compare_exchange_strong(&pp->word, &w, pw_next_gen(w, P_IDLE))) {
			held_dec();
			mp_p_put_locked(pp);
		}
		mp->oldp = NULL;
	}
	MP_CHECK(!mp->queued, "mp_m_detach", "leaving while in the queue", mp->tid, 0);
	mp->attached = false;
	mp->acting = false;
	mp_unlock(&mp_sched.lock);
	nthreads_dec();
	sfence();
	mp->depth--;
}

void mp_m_vfork_begin(void)
{
	mp_self.depth++;
	sfence();
}

void mp_m_vfork_end(void)
{
	sfence();
	mp_self.depth--;
}

bool mp_m_attached(void) { return mp_self.attached; }
int mp_sched_pid(void) { return mp_sched.pid; }
bool mp_m_holds_p(void) { return mp_self.p != NULL; }
int mp_m_pid(void) { return mp_self.p ? (int)mp_self.p->id : -1; }
bool mp_sched_active(void) { return atomic_load(&mp_sched.active); }

/* ---- cooperative points ----------------------------------------------- */

/* yield_p: give our P to the first waiter and queue behind the others. */
static bool yield_p(struct mp_m *mp, _Atomic uint64_t *counter)
{
	mp_lock(&mp_sched.lock);
	if (!mp->p) {
		mp_unlock(&mp_sched.lock);
		return false;
	}
	uint64_t w = atomic_load(&mp->p->word);
	bool revoked = pw_gen(w) != pw_gen(mp->pword);
	if (!revoked && !mp_sched.qhead && !(w & PW_STOP)) {
		mp_unlock(&mp_sched.lock);
		return false;
	}
	if (!revoked && counter)
		count(counter);
	release_locked(mp);
	park_locked(mp);
	return true;
}

bool mp_yield(void)
{
	struct mp_m *mp = &mp_self;
	if (mp->depth || !mp->p)
		return false;
	/* Nothing to do unless an M waits, a resize asked for our P, or the
	 * monitor revoked it. */
	uint64_t w = atomic_load_explicit(&mp->p->word, relaxed);
	if (atomic_load_explicit(&mp_sched.nwaiting, relaxed) == 0 && !(w & PW_STOP) &&
	    pw_gen(w) == pw_gen(mp->pword))
		return false;
	mp->depth++;
	mp_check_m(mp, "mp_yield");
	bool gave = yield_p(mp, NULL);
	sfence();
	mp->depth--;
	return gave;
}

/*
 * The preemption signal landed on this thread.  It is a safe point only if
 * the thread runs user code (depth == 0: not inside a wrapped call nor our
 * own code) and holds a P the monitor asked back (PW_PREEMPT/PW_STOP) or
 * revoked.  A late or stray signal finds none of these and does nothing.
 */
void mp_preempt_signal(void)
{
	struct mp_m *mp = &mp_self;
	if (!mp->attached || mp->depth || !mp->p)
		return;
	mp->depth++;
	sfence();
	struct mp_p *pp = mp->p;
	uint64_t w = atomic_load(&pp->word);
	if (pw_gen(w) != pw_gen(mp->pword) || (w & (PW_PREEMPT | PW_STOP)))
		yield_p(mp, &pp->signal_preempts);
	sfence();
	mp->depth--;
}

/* ---- the monitor's revoke --------------------------------------------- */

/*
 * mp_revoke: take P pp (seen as word w, RUNNING) from its holder, which the
 * monitor found blocked in the kernel outside the table, and hand it on.
 * The holder still has m.p == pp; the new gen makes its next CAS fail, and
 * mp->revoked tells it why.  Returns false if the word moved meanwhile or
 * no slot is free to watch the holder.
 */
bool mp_revoke(struct mp_p *pp, uint64_t w, int64_t cpu_ns)
{
	mp_lock(&mp_sched.lock);
	uint64_t cur = atomic_load(&pp->word);
	struct mp_m *mv = atomic_load_explicit(&pp->m, relaxed);
	int slot = -1;
	for (int i = 0; i < MP_MAXPROCS; i++)
		if (mp_sched.revoked[i].tid == 0) {
			slot = i;
			break;
		}
	if (pw_state(cur) != P_RUNNING || (cur & ~PW_FLAGS_MASK) != (w & ~PW_FLAGS_MASK) ||
	    slot < 0 || !mv || atomic_load(&pp->waking)) {
		mp_unlock(&mp_sched.lock);
		return false;
	}
	atomic_store_explicit(&mv->revoke_cpu_ns, cpu_ns, relaxed);
	mv->revoke_slot = slot;
	atomic_store(&mv->revoked, 1);   /* before the CAS that makes it visible */
	if (!atomic_compare_exchange_strong(&pp->word, &cur, pw_next_gen(cur, P_IDLE))) {
		atomic_store(&mv->revoked, 0);
		mp_unlock(&mp_sched.lock);
		return false;
	}
	mp_sched.revoked[slot] = (struct mp_revoked){
		.tid = atomic_load_explicit(&pp->tid, relaxed),
		.last_cpu_ns = cpu_ns > 0 ? cpu_ns : -1,
		.sampled_at_ns = mp_now_ns(),
		.sig_unsafe = atomic_load_explicit(&pp->sig_unsafe, relaxed),
	};
	atomic_fetch_add(&mp_sched.nrevoked, 1);
	count(&pp->revokes);
	held_dec();
	mp_p_put_locked(pp);
	mp_unlock(&mp_sched.lock);
	return true;
}

/* ---- life of the scheduler -------------------------------------------- */

static void table_reset(uint32_t n)
{
	for (uint32_t i = 0; i < MP_MAXPROCS; i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load_explicit(&pp->word, relaxed);
		memset(pp, 0, sizeof *pp);
		pp->id = i;
		atomic_store_explicit(&pp->word,
		        pw_next_gen(w, i < n ? P_IDLE : P_STOPPED), relaxed);
	}
	atomic_store(&mp_sched.npidle, 0);
	for (uint32_t i = n; i-- > 0;) {   /* P0 on top: popped first */
		mp_sched.pidle[n - 1 - i] = i;
		mp_allp[i].in_idle = true;
	}
	atomic_store(&mp_sched.npidle, n);
	mp_sched.qhead = mp_sched.qtail = NULL;
	memset(mp_sched.revoked, 0, sizeof mp_sched.revoked);
	atomic_store(&mp_sched.nrevoked, 0);
	atomic_store(&mp_sched.nwaiting, 0);
	atomic_store(&mp_sched.nthreads, 0);
	atomic_store(&mp_sched.nheld, 0);
	atomic_store(&mp_sched.nheld_hwm, 0);
	atomic_store(&mp_sched.overshoot_ns, 0);
	atomic_store(&mp_sched.preempt_signals, 0);
	atomic_store(&mp_sched.nprocs, n);
	atomic_store(&mp_sched.ptable_len, n);
}

/* A value no program guesses by accident: the address of our state (moved
 * by ASLR) mixed with the kernel's per-exec random bytes. */
static uintptr_t make_cookie(void)
{
	uintptr_t c = (uintptr_t)&mp_sched;
	const unsigned char *rnd = (const unsigned char *)getauxval(AT_RANDOM);
	if (rnd)
		for (unsigned i = 0; i < sizeof c; i++)
			c ^= (uintptr_t)rnd[i] << (8 * i);
	return c | 1;   /* never NULL */
}

int mp_sched_init(const struct mp_options *opt)
{
	if (!opt || opt->nprocs < 1 || opt->nprocs > MP_MAXPROCS)
		return -EINVAL;
	if (atomic_load(&mp_sched.active))
		return -EBUSY;
	mp_sched.opt = *opt;
	if (!mp_sched.opt.slice_ns)
		mp_sched.opt.slice_ns = MP_SLICE_DEFAULT_NS;
	atomic_store(&mp_sched.lock.word, 0);
	mp_clock_init();
	table_reset(opt->nprocs);
	mp_sched.pid = mp_raw_getpid();
	mp_sched.start_ns = mp_now_ns();
	mp_sched.preempt_cookie = make_cookie();
	atomic_store(&mp_sched.mon_stop, 0);
	atomic_store(&mp_sched.preempt_signo, opt->preempt_signo);
	atomic_store(&mp_sched.active, 1);
	return 0;
}

void mp_set_preempt_signal(int signo)
{
	atomic_store(&mp_sched.preempt_signo, signo);
}

bool mp_preempt_siginfo_is_ours(const siginfo_t *si)
{
	return si && si->si_code == SI_QUEUE && si->si_pid == mp_sched.pid &&
	       (uintptr_t)si->si_value.sival_ptr == mp_sched.preempt_cookie;
}

void mp_m_set_signal_ok(bool ok)
{
	struct mp_m *mp = &mp_self;
	mp->sig_unsafe = !ok;
	if (mp->p)
		atomic_store_explicit(&mp->p->sig_unsafe, !ok, relaxed);
}


/*
 * In a fork child only the forking thread exists.  The lock may have been
 * held by a thread that is gone and the queue names threads that are gone,
 * so everything is rebuilt: this thread on P0 (or, if it forked from inside
 * a wrapped call, with nothing, so its exit takes a P), the rest idle, the
 * monitor not running (the caller restarts it).
 */
void mp_sched_fork_child(void)
{
	if (!atomic_load(&mp_sched.active))
		return;
	struct mp_m *mp = &mp_self;
	atomic_store(&mp_sched.lock.word, 0);
	atomic_store(&mp_sched.lock.owner, 0);
	table_reset(atomic_load(&mp_sched.nprocs));
	atomic_store(&mp_sched.mon_running, 0);
	atomic_store(&mp_sched.mon_sleeping, 0);
	atomic_store(&mp_sched.mon_stop, 0);
	mp_sched.pid = mp_raw_getpid();
	mp_sched.start_ns = mp_now_ns();
	if (!mp->attached)
		return;
	mp->tid = mp_raw_gettid();
	mp->p = mp->oldp = NULL;
	atomic_store(&mp->revoked, 0);
	atomic_store(&mp_sched.nthreads, 1);
	if (mp->depth == 0 || !mp->acting) {
		mp->depth++;
		mp_lock(&mp_sched.lock);
		park_locked(mp);   /* finds P0 idle */
		mp->depth--;
	}
}

void mp_sched_shutdown(void)
{
	if (!atomic_load(&mp_sched.active))
		return;
	mp_monitor_stop();
	mp_lock(&mp_sched.lock);
	atomic_store(&mp_sched.active, 0);
	/* Parked Ms wake with no P and run on uncapped: after fini every call
	 * passes straight through. */
	while (mp_sched.qhead) {
		struct mp_m *mw = mp_sched.qhead;
		mp_sched.qhead = mw->qnext;
		mw->queued = false;
		mw->nextp = NULL;
		atomic_store_explicit(&mw->park, 1, release);
		mp_futex_wake((const uint32_t *)&mw->park, 1);
	}
	mp_sched.qtail = NULL;
	atomic_store(&mp_sched.nwaiting, 0);
	mp_unlock(&mp_sched.lock);
}

/* ---- resize ----------------------------------------------------------- */

/*
 * procresize: Ps [n, old) stop: an idle one at once, one in SYSCALL by CAS
 * (its M's exit goes slow), a RUNNING one when its holder next enters or
 * exits (PW_STOP; the monitor's signal reaches holders that make no calls).
 * Ps [old, n) start and go to waiters first.
 */
int mp_procresize(uint32_t n)
{
	if (n < 1 || n > MP_MAXPROCS)
		return -EINVAL;
	struct mp_m *mp = &mp_self;
	mp->depth++;
	mp_lock(&mp_sched.lock);
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	atomic_store(&mp_sched.nprocs, n);
	if (n > len)
		atomic_store(&mp_sched.ptable_len, n);
	for (uint32_t i = 0; i < (n > len ? n : len); i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load(&pp->word);
		for (;;) {
			unsigned s = pw_state(w);
			uint64_t nw;
			if (i < n) {
				if (s == P_STOPPED) {
					atomic_store(&pp->word, pw_next_gen(w, P_IDLE));
					mp_p_put_locked(pp);
					break;
				}
				if (!(w & PW_STOP))
					break;
				nw = w & ~PW_STOP;   /* grown back before the holder noticed */
			} else if (s == P_IDLE) {
				if (pp->in_idle) {
					pidle_remove_locked(pp);
					atomic_store(&pp->word, pw_next_gen(w, P_STOPPED));
				}
				break;   /* not in the stack: its claimer's put stops it */
			} else if (s == P_SYSCALL) {
				nw = pw_next_gen(w, P_STOPPED);
			} else if (s == P_RUNNING) {
				if (w & PW_STOP)
					break;
				nw = w | PW_STOP;
			} else {
				break;
			}
			if (atomic_compare_exchange_weak(&pp->word, &w, nw)) {
				if (i >= n && s == P_SYSCALL)
					held_dec();
				break;
			}
		}
	}
	bool wake = atomic_load(&mp_sched.mon_sleeping);
	mp_unlock(&mp_sched.lock);
	if (wake)
		mp_monitor_wake();
	mp->depth--;
	return 0;
}
