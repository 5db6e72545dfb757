/*
 * record.c - the profiler's recording half: per-thread counters, the
 * stack table, and the sampling rule (prof.h).
 */
#include "prof/internal.h"

#include <dlfcn.h>
#include <errno.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/prctl.h>

#include "shim/raw_syscall.h"

bool mp_prof_on;
struct mp_prof_state mp_prof;

/*
 * The unwinder: glibc's backtrace(), which walks the frames with libgcc's
 * unwinder (libgcc_s, loaded by glibc on its first use: warmed here, in
 * the constructor, not in a hook).  Not libunwind: its local unwinder
 * keeps a pipe open to validate addresses, two descriptors the program
 * would see taken (its open() would no longer get the lowest free one),
 * and linked it would interpose libgcc's _Unwind_* and glibc's backtrace.
 * It costs about 1 us a stack (profiling-notes.md), paid only for the
 * calls the sampling rule keeps.
 */
static int (*unwind_backtrace)(void **frames, int size);

static void unwind_open(void)
{
	/* RTLD_NEXT: libc's, not one the program or another library interposes */
	unwind_backtrace = (int (*)(void **, int))dlsym(RTLD_NEXT, "backtrace");
	if (unwind_backtrace) {
		void *warm[4];
		unwind_backtrace(warm, 4);
	}
}

bool mp_prof_has_stacks(void)
{
	return unwind_backtrace != NULL;
}
static __thread struct mp_prof_thread *self __attribute__((tls_model("initial-exec")));
/* This thread was refused counters (the table was full): a thread that is
 * dropped is counted once, not at each of its calls. */
static __thread bool refused __attribute__((tls_model("initial-exec")));
__thread struct mp_prof_tls mp_prof_tls;

static void *map_zeroed(size_t len)
{
	long p = mp_raw_syscall6(SYS_mmap, 0, (long)len, PROT_READ | PROT_WRITE,
	                         MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
	return p < 0 && p > -4096 ? NULL : (void *)p;
}

int mp_prof_init(const struct mp_prof_options *o)
{
	if (!o || !o->dir || !*o->dir || o->ncalls == 0 || o->ncalls > MP_PROF_PREEMPTED ||
	    !o->call_names)
		return -EINVAL;
	mp_prof.opt = *o;
	mp_prof.stacks = map_zeroed(sizeof(struct mp_prof_stack) * MP_PROF_STACKS);
	if (!mp_prof.stacks)
		return -ENOMEM;
	/* Address space only: a page is touched per 256 hand-offs of a P. */
	mp_prof.ptracks = map_zeroed(sizeof(struct mp_prof_ptrack) * MP_PROF_PTRACKS);
	mp_ticks_init();
	mp_prof.start_ticks = mp_ticks();
	/* The rate is good to about 1e-3 here (5e-4 measured, as much again
	 * for NTP's slew of CLOCK_MONOTONIC): 2e-3 less, so that every call
	 * of at least min_ns is at least min_ticks. */
	mp_prof.min_ticks = (uint64_t)((double)o->min_ns * mp_ticks_per_ns() * 0.998);
	if (mp_prof.min_ticks == 0)
		mp_prof.min_ticks = 1;
	mp_prof.pid = mp_raw_getpid();
	unwind_open();
	mp_prof_write_reset();
	int r = mp_prof_duty_add(o->flush_ms);
	if (r < 0)
		return r;
	mp_prof_on = true;
	return 0;
}

static int64_t next_gap(struct mp_prof_thread *t);

/* This thread's counters, made at its first call (an mmap: not on any
 * later call).  NULL when MP_PROF_THREADS have been made. */
static struct mp_prof_thread *thread_block(void)
{
	if (__builtin_expect(self != NULL, 1))
		return self;
	if (refused)
		return NULL;   /* counted once, at its first call */
	uint32_t i = atomic_fetch_add(&mp_prof.nthreads, 1);
	if (i >= MP_PROF_THREADS) {
		refused = true;
		atomic_fetch_add(&mp_prof.dropped_threads, 1);
		return NULL;
	}
	struct mp_prof_thread *t = map_zeroed(sizeof *t);
	if (!t) {
		refused = true;
		atomic_fetch_add(&mp_prof.dropped_threads, 1);
		return NULL;
	}
	t->tid = (int)mp_raw_gettid();
	t->rng = 0x9e3779b97f4a7c15ull ^ ((uint64_t)t->tid << 17) ^ mp_ticks();
	mp_raw_syscall(SYS_prctl, PR_GET_NAME, (long)t->name, 0);
	/* release: t's fields before the report sees t */
	atomic_store_explicit(&mp_prof.threads[i], t, memory_order_release);
	self = t;
	mp_prof_tls.calls = t->calls;
	mp_prof_tls.budget = next_gap(t);
	t->wait_unknown = 1;   /* waits before its first call are not counted */
	return t;
}

void mp_prof_fork_child(void)
{
	if (!mp_prof_on)
		return;
	uint32_t n = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < n && i < MP_PROF_THREADS; i++) {
		struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (t && t != self) {
			memset(t->calls, 0, sizeof t->calls);   /* threads that are gone here */
			t->nevents = 0;
			atomic_store_explicit(&t->ended, 1, memory_order_relaxed);
		}
	}
	if (self) {
		memset(self->calls, 0, sizeof self->calls);
		self->tid = (int)mp_raw_gettid();
		self->busy = 0;
		self->dropped_nested = 0;
		self->nevents = 0;
		self->dropped_events = 0;
		self->wait_unknown = 1;
		mp_prof_tls.gate = 0;   /* the next call out of line, which opens it */
	}
	/* Only the entries in use: the rest of the table was never touched,
	 * and a fork child should not fault it in. */
	uint32_t nused = atomic_load(&mp_prof.nused);
	for (uint32_t k = 0; k < nused && k < MP_PROF_STACKS; k++) {
		uint32_t slot = atomic_load_explicit(&mp_prof.used[k], memory_order_relaxed);
		if (slot)
			memset(&mp_prof.stacks[slot - 1], 0, sizeof mp_prof.stacks[0]);
		atomic_store_explicit(&mp_prof.used[k], 0, memory_order_relaxed);
	}
	atomic_store(&mp_prof.nused, 0);
	atomic_store(&mp_prof.dropped_stacks, 0);
	atomic_store(&mp_prof.dropped_threads, 0);
	for (unsigned p = 0; mp_prof.ptracks && p < MP_PROF_PTRACKS; p++)
		if (mp_prof.ptracks[p].n || mp_prof.ptracks[p].dropped)
			atomic_store(&mp_prof.ptracks[p].n, 0), mp_prof.ptracks[p].dropped = 0;
	mp_prof.pid = mp_raw_getpid();
	mp_prof.start_ticks = mp_ticks();
	mp_prof_write_reset();
}

void mp_prof_p_holder(uint32_t p, int tid)
{
	if (!mp_prof_on || !mp_prof.ptracks || p >= MP_PROF_PTRACKS)
		return;
	struct mp_prof_ptrack *tr = &mp_prof.ptracks[p];
	uint32_t n = atomic_load_explicit(&tr->n, memory_order_relaxed);   /* writers hold the lock */
	/* The same holder again (a P put back and taken by the same M) is
	 * no change on the track. */
	if (n && tr->ev[n - 1].tid == tid)
		return;
	if (n >= MP_PROF_PEVENTS) {
		tr->dropped++;
		return;
	}
	tr->ev[n] = (struct mp_prof_pevent){ mp_ticks(), tid };
	atomic_store_explicit(&tr->n, n + 1, memory_order_release);   /* publishes ev[n] */
}

static void add_event(struct mp_prof_thread *t, unsigned call, uint64_t t0, uint64_t t1,
                      uint64_t wait_ns);

/* Waits outside any call since the last one (now the core's wait total
 * is wait_now): a yield gave the P away, or a preemption that
 * mp_prof_preempted did not count, and this thread waited for it to come
 * back.  mp_prof_tls.wait_seen is how much of the core's total has been
 * counted (never more than it is).  Under t->busy. */
static void count_preempted(struct mp_prof_thread *t, uint64_t wait_now)
{
	uint64_t seen = mp_prof_tls.wait_seen;
	if (!t->wait_unknown && wait_now > seen) {
		struct mp_prof_callstat *pre = &t->calls[MP_PROF_PREEMPTED];
		uint64_t w = wait_now - seen;
		pre->count++;
		pre->pwait += w;
		if (w > pre->max_pwait)
			pre->max_pwait = w;
		if (w >= mp_prof.opt.min_ns)
			add_event(t, MP_PROF_PREEMPTED, mp_prof_tls.last_t1, mp_prof_tls.last_t1, w);
	}
}

void mp_prof_thread_start(uint64_t wait_now)
{
	if (!mp_prof_on)
		return;
	struct mp_prof_thread *t = thread_block();
	if (!t)
		return;
	mp_prof_tls.wait_seen = wait_now;
	mp_prof_tls.last_t1 = mp_ticks();
	t->wait_unknown = 0;
}

void mp_prof_thread_end(uint64_t wait_now)
{
	struct mp_prof_thread *t = self;
	if (!t)
		return;
	if (!t->busy) {
		/* the waits since its last call: a thread that computes to its
		 * end makes no call that would count them */
		t->busy = 1;
		__asm__ volatile("" ::: "memory");
		count_preempted(t, wait_now);
		t->wait_unknown = 0;
		if (wait_now > mp_prof_tls.wait_seen)
			mp_prof_tls.wait_seen = wait_now;
		__asm__ volatile("" ::: "memory");
		t->busy = 0;
	}
	mp_raw_syscall(SYS_prctl, PR_GET_NAME, (long)t->name, 0);
	atomic_store_explicit(&t->ended, 1, memory_order_release);
}

static uint64_t next_rand(struct mp_prof_thread *t)
{
	uint64_t x = t->rng;
	x ^= x << 13;
	x ^= x >> 7;
	x ^= x << 17;
	t->rng = x;
	return x;
}

/* -ln(u) for u in (0, 1], to about 1e-9 (no libm): u = 2^e * m with m in
 * [1, 2), ln m = 2 atanh(s) with s = (m - 1) / (m + 1) < 1/3. */
static double neg_ln(double u)
{
	union { double d; uint64_t b; } x = { .d = u };
	int e = (int)((x.b >> 52) & 0x7ff) - 1023;
	x.b = (x.b & ((1ull << 52) - 1)) | (1023ull << 52);
	double s = (x.d - 1) / (x.d + 1), s2 = s * s, term = s, sum = 0;
	for (int k = 1; k <= 19; k += 2) {
		sum += term / k;
		term *= s2;
	}
	return -(e * 0.69314718055994530942 + 2 * sum);
}

/* The gap to the next point of the thread's stack-sampling process for
 * short stalls: exponential with mean the threshold (ticks), at least 1. */
static int64_t next_gap(struct mp_prof_thread *t)
{
	double u = (double)((next_rand(t) >> 11) + 1) * 0x1p-53;   /* (0, 1] */
	double g = (double)mp_prof.min_ticks * neg_ln(u);
	return g < 1 ? 1 : g > 0x1p62 ? (int64_t)1 << 62 : (int64_t)(g + 0.5);
}

/* Go's block-profile rule: keep an event of d ticks with probability
 * min(1, d / min); a kept one weighs max(d, min).  E[weight] = d. */
static uint64_t sampled_weight(struct mp_prof_thread *t, uint64_t d, uint64_t min)
{
	if (d == 0)
		return 0;
	if (d >= min)
		return d;
	/* a uniform draw in [0, min): kept if below d */
	return next_rand(t) % min < d ? min : 0;
}

static uint64_t stack_hash(const uintptr_t *pc, int n, unsigned call, int tid)
{
	uint64_t h = mp_prof_stack_key(call, pc, (unsigned)n);
	/* the thread moves the entry too: one stack in many threads spreads
	 * over the table instead of making one long probe run */
	h ^= (uint64_t)(uint32_t)tid * 0x9e3779b97f4a7c15ull;
	h ^= h >> 31;
	return h | 2;   /* 0: empty, 1: being written */
}

/* Add the weights to this thread's entry for this stack, made if new.
 * Lock-free: a slot is reserved by a CAS from 0 to 1, filled, then
 * published with its hash.  Only the thread itself inserts its entries
 * (and not twice at once: a nested record is dropped), so no twins. */
static void stack_add(int tid, unsigned call, const uintptr_t *pc, int n, uint64_t stall,
                      uint64_t pwait)
{
	uint64_t h = stack_hash(pc, n, call, tid);
	for (unsigned probe = 0; probe < 64; probe++) {
		uint32_t slot = (uint32_t)((h + probe) % MP_PROF_STACKS);
		struct mp_prof_stack *s = &mp_prof.stacks[slot];
		/* acquire: pairs with the release below (the entry is whole) */
		uint64_t cur = atomic_load_explicit(&s->hash, memory_order_acquire);
		if (cur == 0) {
			uint64_t zero = 0;
			if (!atomic_compare_exchange_strong(&s->hash, &zero, 1))
				continue;
			/* at most MP_PROF_STACKS slots are ever taken: k fits */
			uint32_t k = atomic_fetch_add_explicit(&mp_prof.nused, 1, memory_order_relaxed);
			if (k < MP_PROF_STACKS)
				atomic_store_explicit(&mp_prof.used[k], slot + 1, memory_order_relaxed);
			s->call = (uint16_t)call;
			s->depth = (uint16_t)n;
			s->tid = tid;
			memcpy(s->pc, pc, (size_t)n * sizeof pc[0]);
			atomic_store_explicit(&s->hash, h, memory_order_release);   /* publishes the entry */
			cur = h;
		}
		if (cur != h || s->tid != tid || s->call != call || s->depth != n ||
		    memcmp(s->pc, pc, (size_t)n * sizeof pc[0]) != 0)
			continue;
		/* relaxed: totals, read at the report as a smear */
		atomic_fetch_add_explicit(&s->stall, stall, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->pwait, pwait, memory_order_relaxed);
		atomic_fetch_add_explicit(&s->kept, 1, memory_order_relaxed);
		return;
	}
	atomic_fetch_add(&mp_prof.dropped_stacks, 1);
}

static void add_event(struct mp_prof_thread *t, unsigned call, uint64_t t0, uint64_t t1,
                      uint64_t wait_ns)
{
	if (t->nevents >= MP_PROF_EVENTS) {
		t->dropped_events++;
		return;
	}
	t->events[t->nevents++] = (struct mp_prof_event){ t0, t1, wait_ns, call };
}

static unsigned log2_bucket(uint64_t d)
{
	unsigned b = d ? 63u - (unsigned)__builtin_clzll(d) : 0;
	return b < MP_PROF_HIST ? b : MP_PROF_HIST - 1;
}

/* Short stalls' stacks: the points of a Poisson process of rate 1 / min
 * over the thread's short stalls laid end to end (mp_prof_tls.budget:
 * what is left to the next one).  A call of d < min ticks holds k of them,
 * k Poisson of mean d / min, and weighs k * min: E = d, whatever the
 * calls before it.  A long one (d >= min) weighs d, exactly.  Cheaper
 * than a draw per call (Go's rule, kept for the waits): the inline path
 * subtracts d from the budget, and only a call that reaches zero, about
 * one in min / d, comes here. */
static uint64_t stall_weight(struct mp_prof_thread *t, uint64_t d)
{
	uint64_t min = mp_prof.min_ticks;
	if (d >= min)
		return d;
	int64_t b = mp_prof_tls.budget - (int64_t)d;
	uint64_t k = 0;
	while (b <= 0) {
		k++;
		b += next_gap(t);
	}
	mp_prof_tls.budget = b;
	return k * min;
}

/* The inline recorder's gate when open: the threshold, bounded so that
 * its bucket index stays in the histogram. */
static uint64_t gate_open(void)
{
	uint64_t max = (uint64_t)1 << MP_PROF_HIST;
	return mp_prof.min_ticks < max ? mp_prof.min_ticks : max;
}

/* The recorder, out of line: either the whole call (stall: mp_prof_end),
 * or (!stall: mp_prof_wait) only its wait for a P and what came before
 * it, mp_prof_short having counted the rest.  Always inlined into both,
 * which are what the wrappers call: backtrace's frames[0] is one of them,
 * frames[1] the wrapper. */
static inline __attribute__((always_inline)) void record(bool stall_too, unsigned call,
                                                          uint64_t t0, uint64_t t1,
                                                          uint64_t wait0, uint64_t wait1)
{
	if (!t0 || call >= mp_prof.opt.ncalls)
		return;
	struct mp_prof_thread *t = thread_block();
	if (!t)
		return;
	if (t->busy) {
		/* a signal handler's call inside our own recording */
		t->dropped_nested++;
		return;
	}
	t->busy = 1;
	mp_prof_tls.gate = 0;   /* the same for a handler's call meeting the inline path */
	__asm__ volatile("" ::: "memory");
	uint64_t stall = t1 > t0 ? t1 - t0 : 0, pwait = wait1 > wait0 ? wait1 - wait0 : 0;
	struct mp_prof_callstat *c = &t->calls[call];
	if (stall_too) {
		c->count++;
		c->stall += stall;
		if (stall > c->max_stall)
			c->max_stall = stall;
		c->hist[log2_bucket(stall)]++;
	}
	c->pwait += pwait;
	if (pwait > c->max_pwait)
		c->max_pwait = pwait;
	count_preempted(t, wait0);
	t->wait_unknown = 0;
	/* Never back: a preemption counted by mp_prof_preempted after the
	 * wrapper read wait1 moved wait_seen past it. */
	if (wait1 > mp_prof_tls.wait_seen)
		mp_prof_tls.wait_seen = wait1;
	mp_prof_tls.last_t1 = t1;
	if ((stall_too && stall >= mp_prof.min_ticks) || pwait >= mp_prof.opt.min_ns)
		add_event(t, call, t0, t1, pwait);
	uint64_t ws = stall_too ? stall_weight(t, stall) : 0;
	uint64_t wp = sampled_weight(t, pwait, mp_prof.opt.min_ns);
	if ((ws || wp) && unwind_backtrace) {
		void *frames[MP_PROF_DEPTH + 2];
		int n = unwind_backtrace(frames, MP_PROF_DEPTH + 2);
		/* frames[0] is mp_prof_end or mp_prof_wait, frames[1] the
		 * wrapper: the stack starts at the wrapper's caller. */
		int skip = n > 2 ? 2 : n;
		stack_add(t->tid, call, (const uintptr_t *)(frames + skip), n - skip, ws, wp);
		if (stall_too && stall >= mp_prof.min_ticks)
			c->long_calls++;
	}
	__asm__ volatile("" ::: "memory");
	t->busy = 0;
	mp_prof_tls.gate = gate_open();
}

void mp_prof_preempted(uintptr_t pc, uint64_t wait_ns)
{
	struct mp_prof_thread *t = self;   /* no block made here: a handler */
	if (!mp_prof_on || !t || t->busy || t->wait_unknown || !pc)
		return;
	t->busy = 1;
	__asm__ volatile("" ::: "memory");
	/* Counted here, exactly, and marked counted: the thread's next call
	 * (or its end) counts only what is left, yields and the like. */
	struct mp_prof_callstat *pre = &t->calls[MP_PROF_PREEMPTED];
	pre->count++;
	pre->pwait += wait_ns;
	if (wait_ns > pre->max_pwait)
		pre->max_pwait = wait_ns;
	mp_prof_tls.wait_seen += wait_ns;
	if (wait_ns >= mp_prof.opt.min_ns && mp_prof.opt.min_ns) {
		/* a trace slice where the wait really was: it ended now */
		uint64_t now = mp_ticks();
		uint64_t ticks = (uint64_t)((double)wait_ns * (double)mp_prof.min_ticks /
		                            (double)mp_prof.opt.min_ns);
		uint64_t from = now > ticks ? now - ticks : now;
		add_event(t, MP_PROF_PREEMPTED, from, from, wait_ns);
	}
	uint64_t wp = sampled_weight(t, wait_ns, mp_prof.opt.min_ns);
	if (wp) {
		/* The handler's own frames, then the signal frame, then the
		 * interrupted pc itself: the stack starts there. */
		enum { OURS = 8 };
		void *frames[MP_PROF_DEPTH + OURS];
		int n = unwind_backtrace ? unwind_backtrace(frames, MP_PROF_DEPTH + OURS) : 0;
		int at = -1;
		for (int i = 0; i < n && i < OURS; i++)
			if ((uintptr_t)frames[i] == pc) {
				at = i;
				break;
			}
		if (at >= 0)
			stack_add(t->tid, MP_PROF_PREEMPTED, (const uintptr_t *)(frames + at),
			          n - at < MP_PROF_DEPTH ? n - at : MP_PROF_DEPTH, 0, wp);
		else
			stack_add(t->tid, MP_PROF_PREEMPTED, &pc, 1, 0, wp);
	}
	__asm__ volatile("" ::: "memory");
	t->busy = 0;
}

void mp_prof_end(unsigned call, uint64_t t0, uint64_t t1, uint64_t wait0, uint64_t wait1)
{
	record(true, call, t0, t1, wait0, wait1);
}

void mp_prof_wait(unsigned call, uint64_t t0, uint64_t t1, uint64_t wait0, uint64_t wait1)
{
	record(false, call, t0, t1, wait0, wait1);
}
