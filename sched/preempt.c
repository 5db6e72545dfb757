/*
 * preempt.c - cooperative points and preemption: yielding, the
 * preemption signal's safe point, the monitor's revoke, and the cookie
 * that tells our signals from the program's.
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sched/fastpath.h"
#include "sched/internal.h"
#include "sched/relax.h"
#include "shim/raw_syscall.h"
#include "shim/vdso.h"

/* Memory order: a relaxed access in this file is made under sched.lock,
 * whose acquire and release order it; every other order says why. */
#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release

/* yield_p: give our P to the first waiter and queue behind the others. */
static bool yield_p(struct mp_m *mp, _Atomic uint64_t *counter)
{
	mp_lock(&mp_sched.lock);
	if (!mp->p) {
		mp_sched_unlock();
		return false;
	}
	uint64_t w = atomic_load(&mp->p->word);
	bool revoked = pw_gen(w) != pw_gen(mp->pword);
	if (!revoked && waitq_empty_locked() && !(w & PW_STOP)) {
		mp_sched_unlock();
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
	/* relaxed: hints only; yield_p decides under the lock */
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

/*
 * mp_revoke: take P pp (seen as word w, RUNNING) from its holder, which the
 * monitor found blocked in the kernel outside the table, and hand it on.
 * The holder still has m.p == pp; the new gen makes its next CAS fail, and
 * its slot's revoked tells it why.  Returns false if the word moved meanwhile or
 * no slot is free to watch the holder.
 */
bool mp_revoke(struct mp_p *pp, uint64_t w, int64_t cpu_ns)
{
	mp_lock(&mp_sched.lock);
	uint64_t cur = atomic_load(&pp->word);
	int32_t mslot_i = atomic_load_explicit(&pp->mslot, relaxed);
	struct mp_mslot *mv = mslot_i >= 0 && mslot_i < MP_MAX_MS ? mslot(mslot_i) : NULL;
	int slot = -1;
	for (int i = 0; i < MP_MAXPROCS; i++)
		if (mp_sched.revoked[i].tid == 0) {
			slot = i;
			break;
		}
	if (pw_state(cur) != P_RUNNING || (cur & ~PW_FLAGS_MASK) != (w & ~PW_FLAGS_MASK) ||
	    (cur & PW_CLAIM) ||
	    slot < 0 || !mv || !mv->in_use || atomic_load(&pp->waking)) {
		mp_sched_unlock();
		return false;
	}
	atomic_store_explicit(&mv->revoke_cpu_ns, cpu_ns, relaxed);
	mv->revoke_slot = slot;
	atomic_store(&mv->revoked, 1);   /* before the CAS that makes it visible */
	if (!p_cas(pp, &cur, pw_next_gen(cur, P_IDLE), "mp_revoke")) {
		atomic_store(&mv->revoked, 0);
		mp_sched_unlock();
		return false;
	}
	mp_sched.revoked[slot] = (struct mp_revoked){
		.tid = atomic_load_explicit(&pp->tid, relaxed),
		.cpu_ns = cpu_ns > 0 ? cpu_ns : -1,
		.win_cpu_ns = cpu_ns > 0 ? cpu_ns : -1,
		.win_at_ns = mp_now_ns(),
		.sig_unsafe = atomic_load_explicit(&pp->sig_unsafe, relaxed),
		.mslot = mslot_i,
	};
	atomic_fetch_add(&mp_sched.nrevoked, 1);
	count(&pp->revokes);
	mp_p_put_locked(pp);
	mp_sched_unlock();
	return true;
}

void mp_set_preempt_signal(int signo)
{
	atomic_store(&mp_sched.preempt_signo, signo);
}

/*
 * Our signal is on its way and this M is entering a call (the monitor's
 * handshake: send_signal in monitor.c).  Let it land here, in our code,
 * rather than in the call: a sleep in poll, nanosleep or epoll_wait fails
 * with EINTR when a handler runs, whatever SA_RESTART says.  A signal sent
 * to a thread that runs arrives at once; spin, then yield the CPU now and
 * then (the monitor may share ours and not have sent it yet).  A signal the
 * thread blocked meanwhile stays pending: after SIGNAL_WAIT_MAX_NS the call
 * goes ahead (a late EINTR, never a hang).
 */
#define SIGNAL_WAIT_SPINS 64
#define SIGNAL_WAIT_MAX_NS 20000000ull
/* Debug builds: this M gave up waiting for the signal (a signal it
 * blocked): only then may the signal land in a call past its enter's
 * look (invariant 10). */
#ifdef MP_DEBUG
__thread uint64_t mp_signal_checked_call __attribute__((tls_model("initial-exec"))) = ~0ull;
static __thread bool signal_wait_gave_up __attribute__((tls_model("initial-exec")));
#define set_gave_up(v) (signal_wait_gave_up = (v))
#else
#define set_gave_up(v) ((void)0)
#endif

void mp_signal_coming_wait(struct mp_mslot *ms)
{
	uint64_t since = 0;
	for (unsigned i = 1; atomic_load_explicit(&ms->signal_coming, memory_order_acquire); i++) {
		if (i % SIGNAL_WAIT_SPINS) {
			mp_cpu_relax();
			continue;
		}
		uint64_t now = mp_now_ns();
		if (!since) {
			since = now;
		} else if (now - since > SIGNAL_WAIT_MAX_NS) {
			set_gave_up(true);
			return;
		}
		mp_raw_syscall(SYS_sched_yield, 0, 0, 0);
	}
}

/* Our handler runs: the signal has landed.  Async-signal-safe. */
void mp_signal_landed(void)
{
	_Atomic uint64_t *call = mp_self.call;
	if (!call)
		return;
	struct mp_mslot *ms = mslot_of_call(call);
#ifdef MP_DEBUG
	uint64_t c = atomic_load_explicit(call, memory_order_relaxed);
	MP_CHECK(!mc_incall(c) || c != mp_signal_checked_call || signal_wait_gave_up ||
	         !atomic_load(&ms->signal_coming),
	         "mp_signal_landed", "our signal landed in an intercepted call (call word, slot)",
	         (long)c, (long)(ms - mp_tab->m));
	signal_wait_gave_up = false;
#endif
	atomic_store_explicit(&ms->signal_coming, 0, memory_order_release);
}

bool mp_preempt_siginfo_is_ours(const siginfo_t *si)
{
	uintptr_t v = si ? (uintptr_t)si->si_value.sival_ptr : 0;
	return si && si->si_code == SI_QUEUE && si->si_pid == mp_sched.pid &&
	       (v == mp_sched.preempt_cookie || v == (mp_sched.preempt_cookie ^ MP_PROBE_COOKIE_BIT));
}

bool mp_preempt_siginfo_is_probe(const siginfo_t *si)
{
	return mp_preempt_siginfo_is_ours(si) &&
	       (uintptr_t)si->si_value.sival_ptr != mp_sched.preempt_cookie;
}

/*
 * The verdict of two probes, 100 us or more apart with no intercepted call
 * between and at least PROBE_RAN_NS of CPU time run: the thread spins if
 * it stayed within SPIN_CODE_MAX bytes of code on the same stack pointer, and
 * nothing it computes with changed — no vector register, no word around
 * its stack pointer, no general register but one that moves as a count of
 * tries does (both values below 2^32: Redis's I/O threads count 10^6) and
 * one that holds one small flag or another (both below FLAG_MAX).  A
 * loop that makes progress changes more: a pointer that walks memory, an
 * index and what it computes, a counter on its stack.
 * A thread caught reading the clock in the vDSO is taken to be computing
 * (docs/design.md, "Spin probes").
 */
#define PROBE_RAN_NS 50000   /* CPU time run between two probes for a verdict */
/* How far apart two samples of one spin may be in code.  gcc -O2 lays
 * bench/spin_handover's loop out in two pieces 0x98 bytes apart (the test
 * and its rare exits first, the count and jump back after): at 64 bytes
 * one sample in three fell outside and the verdict came too late.  The
 * registers and the stack still have to stay put. */
#define SPIN_CODE_MAX 256
#define COUNT_MAX (1ull << 32)   /* a register below it may be a spin's count */
/* A spin that tests two words (a turn and a stop flag) loads both into one
 * register: caught at two points of its loop, that register holds one or
 * the other.  So one more register may differ if both its values are this
 * small (flags, states, small enums), not the partial sums a loop that
 * makes progress carries.  A count and a flag, then: two registers. */
#define FLAG_MAX 256

static bool goes_nowhere(const struct mp_probe_sample *a, const struct mp_probe_sample *b)
{
	/* It must have run in between: a thread the kernel left waiting for
	 * a CPU looks the same twice without spinning at all. */
	if (a->cpu_ns < 0 || b->cpu_ns - a->cpu_ns < PROBE_RAN_NS)
		return false;
	uintptr_t d = a->pc > b->pc ? a->pc - b->pc : b->pc - a->pc;
	if (d > SPIN_CODE_MAX || a->sp != b->sp || mp_vdso_contains(b->pc))
		return false;
	if (a->stack_hash != b->stack_hash)
		return false;
	/* At most one register moved as a count moves, both values small
	 * integers (a spin that counts its tries, as Redis's and most bounded
	 * spins do), not an address walking memory; and at most one more that
	 * holds one flag or another (FLAG_MAX). */
	int counts = 0, flags = 0;
	for (int i = 0; i < MP_PROBE_REGS; i++) {
		if (a->regs[i] == b->regs[i])
			continue;
		if (a->regs[i] < FLAG_MAX && b->regs[i] < FLAG_MAX && !flags)
			flags++;
		else if (a->regs[i] < COUNT_MAX && b->regs[i] < COUNT_MAX && !counts)
			counts++;
		else
			return false;
	}
	return true;
}

void mp_set_probes_off(bool off)
{
	/* relaxed: a switch the monitor reads at its next pass */
	atomic_store_explicit(&mp_sched.probes_off, off, relaxed);
}

void mp_preempt_probe(const struct mp_probe_sample *s)
{
	struct mp_m *mp = &mp_self;
	if (!mp->attached || mp->depth || !mp->p || !mp->call)
		return;
	mp->depth++;
	sfence();
	uint64_t calls = mc_calls(atomic_load_explicit(mp->call, relaxed));   /* our own word */
	bool still = mp->probe_valid && mp->probe_calls == calls && mp->probe_pword == mp->pword &&
	             goes_nowhere(&mp->probe_last, s);
	/* Three samples alike (two intervals) make the verdict: one pair can
	 * be a loop caught twice at the same point of its work. */
	mp->probe_still = still ? mp->probe_still + 1 : 0;
	bool spins = mp->probe_still >= 2;
	mp->probe_last = *s;
	mp->probe_calls = calls;
	mp->probe_pword = mp->pword;
	mp->probe_valid = !spins;
	if (spins) {
		mp->probe_still = 0;
		yield_p(mp, &mp->p->spin_yields);   /* nothing if nobody waits */
	}
	sfence();
	mp->depth--;
}
