/*
 * spinwait.c - the spinning waiter: the head of the wait queue spins a
 * little before it sleeps, while some P's holder is in a call
 * (docs/design.md, "The spinning waiter").
 *
 * Two delays it removes, both measured on 2-vCPU VMs here:
 *   - a P handed to a sleeping M idles for the M's wake-up (futex wake to
 *     an idle CPU: p50 9-22 us, p99 56-135 us); handed to a spinning one,
 *     it is taken in well under a microsecond, with no futex wake at all;
 *   - a P whose holder sleeps in a may-block call (a read on a socket
 *     with nothing queued, a poll with nothing ready) waits for the
 *     monitor's retake, two passes at 20 us or more; the spinner sees the
 *     holder's CPU clock stand still and takes the P within a few us.
 *     A request/response ping-pong pays that on every message.
 *
 * The cap stays honest: one spinner at a time, only while some P's holder
 * is in a call or made one in the last QUIET_NS (so it runs instead of a
 * holder asleep, or for a few us beside N threads running user code, never
 * beside CPU-bound ones), for at most opt.spin_ns per park; the time spent
 * spinning is counted (waitspin_ns) and reported with the other counters.
 */
#include <errno.h>
#include <signal.h>

#include "sched/internal.h"
#include "sched/relax.h"
#include "shim/raw_syscall.h"

/* Memory order: relaxed accesses here are hints (nprocs, a look at park
 * before the acquire that acts on it) or totals for the statistics; every
 * other order says why. */
#define relaxed memory_order_relaxed

/* A holder whose CPU clock reads the same at two looks in a row, in the
 * same call, is not on a CPU: asleep in the kernel (or runnable and
 * descheduled): its P is taken.  The clock of a thread on a CPU moves
 * between any two reads (the kernel brings it up to date, in ns), so a
 * call that computes in the kernel, or returns, keeps its P. */
/* How often the spinner looks at the Ps (each look reads up to
 * MAX_WATCHED CPU clocks, a system call each). */
#define LOOK_EVERY_NS 500ull
#define MAX_WATCHED 16
/* Holders that make no call for this long (all running user code) end the
 * spin: the time a request/response partner takes from waking us to its
 * next call, a few us, not a CPU-bound burst. */
#define QUIET_NS 5000ull

struct watched {
	struct mp_p *pp;
	uint64_t w, call;        /* the word and call word it was last seen with */
	int tid;
	int64_t cpu_ns;          /* its CPU clock then (-1: not read: not in a call) */
};

/* Take pp, seen as w with its holder in call `call`, and hand it to the
 * head of the queue.  Never under sched.lock (claims: claim.c). */
static bool take_asleep(struct mp_p *pp, uint64_t w, uint64_t call)
{
	if (mp_asym) {
		struct mp_claim c;
		if (!claim_begin(&c, pp, w, call) || claims_settle(&c, 1) == 0)
			return false;
	} else if (!p_cas(pp, &w, pw_next_gen(w, P_IDLE), "take_asleep")) {
		return false;
	}
	mp_lock(&mp_sched.lock);
	count(&pp->sleeper_steals);
	mp_retake_locked(pp);
	mp_sched_unlock();
	return true;
}

/*
 * One look at the table.  Returns true if some P's holder is in a call, or
 * made one since the last look: one whose holder runs user code without
 * calls will not change hands soon, and a spinner beside it is one thread
 * beyond the cap.  Takes the P of a holder asleep in a call.
 */
static bool look(struct watched *wl, int *nw)
{
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	uint32_t nprocs = atomic_load_explicit(&mp_sched.nprocs, relaxed);
	bool active = false;
	int n = 0;
	struct watched next[MAX_WATCHED];
	for (uint32_t i = 0; i < len && i < nprocs; i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t call, w = atomic_load(&pp->word);
		unsigned state = p_view(pp, w, &call);
		if ((state != P_SYSCALL && state != P_RUNNING) || (w & PW_CLAIM) ||
		    atomic_load(&pp->waking))
			continue;
		/* relaxed: published with the word (release in p_store_locked) */
		int tid = atomic_load_explicit(&pp->tid, relaxed);
		const struct watched *old = NULL;
		for (int k = 0; k < *nw; k++)
			if (wl[k].pp == pp)
				old = &wl[k];
		bool same = old && old->w == w && old->call == call && old->tid == tid;
		if (state == P_SYSCALL)
			active = true;
		else if (old && !same)
			active = true;   /* a call came and went since the last look */
		if (n == MAX_WATCHED)
			continue;
		int64_t cpu = -1;
		if (state == P_SYSCALL) {
			cpu = mp_raw_clock_ns(mp_thread_cpuclock(tid));
			if (cpu < 0)
				continue;   /* no CPU clock: the monitor's retake, as before */
			if (same && cpu == old->cpu_ns && take_asleep(pp, w, call))
				continue;
		}
		next[n++] = (struct watched){ pp, w, call, tid, cpu };
	}
	for (int k = 0; k < n; k++)
		wl[k] = next[k];
	*nw = n;
	return active;
}

/*
 * spin_for_p: mp is queued (ms) at the head and its P not yet handed.
 * Spin while no other M spins, some holder is in a call and the time lasts; return at the
 * hand-off (ms->park set) or when spinning stops paying.  Signals are
 * blocked (park_locked).  The caller sleeps on ms->park as usual after.
 */
void spin_for_p(struct mp_m *mp, struct mp_mslot *ms)
{
	uint64_t limit = mp_sched.opt.spin_ns;
	int32_t none = -1;
	if (!limit || !atomic_compare_exchange_strong(&mp_sched.spinner, &none, mp->slot))
		return;
	/* seq_cst, with the hander's store of park then load of spinning:
	 * one of us sees the other (the hander skips the futex wake only if
	 * we still spin; we look at park after saying so). */
	atomic_store(&ms->spinning, 1);
	uint64_t start = mp_now_ns(), now = start, next_look = start, active_at = start;
	struct watched wl[MAX_WATCHED];
	int nw = 0;
	while (!atomic_load(&ms->park) && now - start < limit) {
		if (now >= next_look) {
			if (look(wl, &nw))
				active_at = now;
			else if (now - active_at >= QUIET_NS)
				break;
			next_look = now + LOOK_EVERY_NS;
		}
		for (int i = 0; i < 32 && !atomic_load_explicit(&ms->park, relaxed); i++)
			mp_cpu_relax();
		now = mp_now_ns();
	}
	atomic_store(&ms->spinning, 0);
	atomic_store(&mp_sched.spinner, -1);
	atomic_fetch_add_explicit(&mp_sched.waitspin_ns, now - start, relaxed);
}

void mp_note_look_handoff(void)
{
	struct mp_p *pp = mp_self.p;
	if (pp)
		count(&pp->look_handoffs);
}
