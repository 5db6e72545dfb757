/*
 * owned.c - the preemption signal's two lives: the kernel holds our
 * handler, the program holds a disposition of its own that only we see.
 * signals.h says what the program observes; docs/design.md, "Signals",
 * gives the rules and the residual differences.
 *
 * The program's disposition is stored in the kernel's own form
 * (struct mp_ksigaction), exactly what rt_sigaction would hold, so both
 * libc's sigaction and a raw syscall read back what they would without
 * us.  Writers (sigaction calls, rare) serialise on a spin lock with every
 * signal blocked; the handler reads under a sequence count and never
 * waits, except to reset an SA_RESETHAND disposition.
 *
 * Everything here is async-signal-safe: raw system calls, no allocation.
 */
#include <errno.h>
#include <stdatomic.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <ucontext.h>

#include "sched/sched.h"
#include "shim/raw_syscall.h"
#include "signals/signals.h"

#ifndef SA_RESTORER
#define SA_RESTORER 0x04000000
#endif
#ifndef AT_MINSIGSTKSZ
#define AT_MINSIGSTKSZ 51
#endif

/* What our handler needs below the kernel's frame to park the thread
 * (the handler, the scheduler's slow path, a futex wait): measured at
 * about 1 KB; 8 KB leaves room for a future of larger frames. */
#define PARK_STACK_NEED ((size_t)8 * 1024)
/* What the preemption hook (mp_signals_on_preempted: the profiler unwinds
 * there) needs besides, or it is told no pc. */
#define HOOK_STACK_NEED ((size_t)8 * 1024)
/* A thread is sent the signal only if its stack is at least this large
 * and 16 times the signal frame plus our need: the frame then takes a
 * small part of what the program planned for.  The 16 KiB stack of a
 * thread that uses 7 KiB (a real report) is never signalled. */
#define SIG_STACK_MIN_FLOOR ((size_t)256 * 1024)
#define SIG_STACK_FACTOR ((size_t)16)

struct owned_sig {
	int signo;                    /* 0: slot unused */
	_Atomic uint32_t seq;         /* odd while prog is being written */
	/* The program's disposition, an mp_ksigaction word by word: atomic
	 * words so that the handler's read races with no plain store. */
	_Atomic uint64_t prog[4];
	bool interrupt;               /* siginterrupt(sig, 1) */
	unsigned long kflags;         /* our flags now in the kernel */
	void (*handler)(int, siginfo_t *, void *);   /* ours, in the kernel */
	unsigned long extra_flags;    /* always in kflags (SIGSYS: SA_NODEFER) */
	bool open_mask;               /* our handler runs with no signal blocked */
};

static void on_owned_signal(int sig, siginfo_t *si, void *uc);
/* The preemption signal. */
static struct owned_sig owned = { .handler = on_owned_signal };
/* SIGSYS in catch-all mode (mp_signals_own_sigsys): the filter's traps go
 * to preload's handler, every other SIGSYS to the program's disposition. */
static struct owned_sig sigsys_owned;
static _Atomic int owned_lock;
static mp_sigaction_fn real_sigaction;
static void *libc_restorer;          /* what libc's sigaction puts in sa_restorer */
static size_t stack_min;

/*
 * Watched signals: terminating signals the profiler must outlive for a
 * moment (SIGTERM, SIGINT, SIGHUP, SIGQUIT).  Only while the program
 * leaves one at SIG_DFL does the kernel hold our handler instead
 * (substituted); the program's handlers and SIG_IGN go to the kernel as
 * they are, so an ignored signal still interrupts nothing and a handled
 * one runs exactly as without us.  The program reads back SIG_DFL with
 * the flags and mask it gave.  Under owned_lock, with signals blocked.
 */
#define MAX_WATCHED 4
struct watched_sig {
	int signo;
	bool substituted;             /* the kernel holds on_watched_signal */
	bool interrupt;               /* siginterrupt(sig, 1) */
	struct mp_ksigaction view;    /* the program's SIG_DFL, while substituted */
};
static struct watched_sig watched[MAX_WATCHED];
static _Atomic int nwatched;
static mp_last_words_fn last_words;
static _Atomic(mp_preempted_fn) on_preempted;

static __thread uintptr_t stack_lo __attribute__((tls_model("initial-exec")));
/* An address below which this thread's stack is surely mapped from any sp
 * it runs at (the spin probe reads a little above sp): 0 unknown. */
static __thread uintptr_t stack_hi __attribute__((tls_model("initial-exec")));

static inline uint64_t bit(int sig) { return 1ull << (sig - 1); }

/* A spin lock: acquire to take it, release to give it back (a failed
 * CAS takes nothing: relaxed). */
static void lock(void)
{
	int expect = 0;
	while (!atomic_compare_exchange_weak_explicit(&owned_lock, &expect, 1,
	        memory_order_acquire, memory_order_relaxed)) {
		expect = 0;
		mp_raw_syscall(SYS_sched_yield, 0, 0, 0);
	}
}

static void unlock(void)
{
	atomic_store_explicit(&owned_lock, 0, memory_order_release);
}

/*
 * A sequence lock over prog.  The reader's loads of the words are
 * acquire, so the second load of seq cannot move above them; the writer's
 * word stores are release, so they cannot move above the odd seq.
 */
static struct mp_ksigaction read_prog(struct owned_sig *o)
{
	uint64_t w[4];
	struct mp_ksigaction a;
	for (;;) {
		uint32_t s1 = atomic_load_explicit(&o->seq, memory_order_acquire);
		if (s1 & 1)
			continue;
		for (int i = 0; i < 4; i++)
			w[i] = atomic_load_explicit(&o->prog[i], memory_order_acquire);
		if (atomic_load_explicit(&o->seq, memory_order_relaxed) == s1)
			break;
	}
	a.handler = (void *)(uintptr_t)w[0];
	a.flags = (unsigned long)w[1];
	a.restorer = (void *)(uintptr_t)w[2];
	a.mask = w[3];
	return a;
}

/* Under the lock. */
static void write_prog(struct owned_sig *o, const struct mp_ksigaction *a)
{
	uint64_t w[4] = { (uintptr_t)a->handler, a->flags, (uintptr_t)a->restorer, a->mask };
	atomic_fetch_add_explicit(&o->seq, 1, memory_order_acq_rel);
	for (int i = 0; i < 4; i++)
		atomic_store_explicit(&o->prog[i], w[i], memory_order_release);
	atomic_fetch_add_explicit(&o->seq, 1, memory_order_release);
}

/*
 * Our kernel flags follow the program's SA_RESTART when it has a handler,
 * so a call its signal interrupts restarts or fails exactly as without
 * us.  SA_ONSTACK is not followed: our own signal must never land on a
 * small alternate stack the program sized for its own handlers.
 */
static unsigned long kernel_flags_for(const struct mp_ksigaction *a)
{
	bool handled = a->handler != (void *)SIG_DFL && a->handler != (void *)SIG_IGN;
	unsigned long f = SA_SIGINFO;
	if (!handled || (a->flags & SA_RESTART))
		f |= SA_RESTART;
	return f;
}

static int install_handler_mask(int sig, unsigned long flags,
                                void (*handler)(int, siginfo_t *, void *), bool open_mask)
{
	struct sigaction sa;
	memset(&sa, 0, sizeof sa);
	sa.sa_sigaction = handler;
	sa.sa_flags = (int)flags;
	sigfillset(&sa.sa_mask);
	if (open_mask)
		sigemptyset(&sa.sa_mask);
	if (real_sigaction(sig, &sa, NULL) != 0)
		return -1;
	if (open_mask)
		return 0;
	/* Every signal blocked while we run: a handler of the program must
	 * not run while this thread is parked inside ours, nor may an
	 * asynchronous cancellation unwind it while it holds our lock.
	 * glibc's sigfillset leaves out its own SIGCANCEL (32), so the mask
	 * is set again raw, with libc's restorer kept.  Only SIGSETXID (33)
	 * stays open, as in park (sched/proc.c). */
	struct mp_ksigaction k;
	if (mp_raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&k, 8, 0, 0) != 0)
		return -1;
	if (!libc_restorer)
		libc_restorer = k.restorer;   /* what the program's own calls must carry */
	k.mask = ~0ull & ~(1ull << (MP_SIGSETXID - 1));
	return mp_raw_syscall6(SYS_rt_sigaction, sig, (long)&k, 0, 8, 0, 0) == 0 ? 0 : -1;
}

static int install_handler(int sig, unsigned long flags,
                           void (*handler)(int, siginfo_t *, void *))
{
	return install_handler_mask(sig, flags, handler, false);
}

static int install_kernel(struct owned_sig *o, unsigned long flags)
{
	return install_handler_mask(o->signo, flags | o->extra_flags, o->handler, o->open_mask);
}

/* Under the lock, with signals blocked. */
static void set_prog_locked(struct owned_sig *o, const struct mp_ksigaction *a)
{
	write_prog(o, a);
	if (o == &owned)
		mp_set_probes_off(a->handler != (void *)SIG_DFL && a->handler != (void *)SIG_IGN);
	unsigned long kf = kernel_flags_for(a);
	if (kf != o->kflags && install_kernel(o, kf) == 0)
		o->kflags = kf;
}

/* ---- the handler ------------------------------------------------------ */

/* The default action of a signal the program left at SIG_DFL. */
static bool default_ignores(int sig)
{
	return sig == SIGURG || sig == SIGWINCH || sig == SIGCHLD || sig == SIGCONT;
}

/* Die of sig as the kernel would have killed us: default action, the
 * same siginfo queued to this thread again, unblocked at our return. */
static void reraise_default(int sig, siginfo_t *si, ucontext_t *uc)
{
	struct mp_ksigaction dfl = { (void *)SIG_DFL, 0, NULL, 0 };
	mp_raw_syscall6(SYS_rt_sigaction, sig, (long)&dfl, 0, 8, 0, 0);
	mp_raw_syscall6(SYS_rt_tgsigqueueinfo, mp_raw_getpid(), mp_raw_gettid(), sig,
	                (long)si, 0, 0);
	sigdelset(&uc->uc_sigmask, sig);
}

/* Room left on this thread's stack to park inside the handler: 1 yes,
 * 0 not now (on the program's alternate stack, which it sized for its own
 * handlers), -1 never (the stack itself is nearly used up). */
static int room_to_park(void)
{
	stack_t ss;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (mp_raw_syscall(SYS_sigaltstack, 0, &ss, 0) == 0 && (ss.ss_flags & SS_ONSTACK))
		return 0;
	if (stack_lo && (sp <= stack_lo || sp - stack_lo < PARK_STACK_NEED))
		return -1;
	return 1;
}

static void deliver_to_program(struct owned_sig *o, int sig, siginfo_t *si, ucontext_t *uc)
{
	struct mp_ksigaction a = read_prog(o);
	if (a.handler == (void *)SIG_IGN)
		return;
	if (a.handler == (void *)SIG_DFL) {
		if (!default_ignores(sig))
			reraise_default(sig, si, uc);
		return;
	}
	if (a.flags & SA_RESETHAND) {
		/* One-shot: the kernel would reset it before the handler runs.
		 * A writer holds the lock only with signals blocked, so it is
		 * never this thread. */
		lock();
		struct mp_ksigaction reset = read_prog(o);   /* the kernel keeps flags and mask */
		reset.handler = (void *)SIG_DFL;
		set_prog_locked(o, &reset);
		unlock();
	}
	/* The mask the kernel would have set for the program's handler. */
	uint64_t m;
	memcpy(&m, &uc->uc_sigmask, sizeof m);
	m |= a.mask;
	if (!(a.flags & SA_NODEFER))
		m |= bit(sig);
	if (sigsys_owned.signo)
		m &= ~bit(SIGSYS);   /* catch-all: a trap with SIGSYS blocked kills */
	mp_raw_sigmask_set(&m);
	if (a.flags & SA_SIGINFO)
		((void (*)(int, siginfo_t *, void *))a.handler)(sig, si, uc);
	else
		((void (*)(int))a.handler)(sig);
	/* Returning restores the interrupted mask (sigreturn), as for the
	 * program's own handler; a siglongjmp out keeps what it chose. */
}

#define PROBE_ABOVE 512   /* bytes above sp in the probe's stack hash */

/* What the interrupted thread was doing, for the spin probe: its pc, its
 * stack pointer, its general registers and the words around its stack
 * pointer: the 128-byte red zone below it (where a leaf function keeps its
 * locals; the kernel put our frame below that) and up to PROBE_ABOVE bytes
 * above it, in the interrupted frames.  All mapped and ours to read; a sanitizer's
 * redzones there are not our business. */
__attribute__((no_sanitize("address", "hwaddress")))
static void probe_sample(const ucontext_t *uc, struct mp_probe_sample *s)
{
	memset(s, 0, sizeof *s);
	s->cpu_ns = mp_raw_clock_ns(CLOCK_THREAD_CPUTIME_ID);
#if defined(__x86_64__)
	static const int regs[] = { REG_RAX, REG_RBX, REG_RCX, REG_RDX, REG_RSI, REG_RDI, REG_RBP,
	                            REG_R8, REG_R9, REG_R10, REG_R11, REG_R12, REG_R13, REG_R14,
	                            REG_R15 };
	s->pc = (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
	s->sp = (uintptr_t)uc->uc_mcontext.gregs[REG_RSP];
	for (unsigned i = 0; i < sizeof regs / sizeof regs[0] && i < MP_PROBE_REGS; i++)
		s->regs[i] = (uint64_t)uc->uc_mcontext.gregs[regs[i]];
	/* Vector registers, hashed into one: a vectorised loop keeps its
	 * sums there and only its index in a general register. */
	if (uc->uc_mcontext.fpregs) {
		const uint64_t *x = (const uint64_t *)uc->uc_mcontext.fpregs->_xmm;
		uint64_t h = 0xcbf29ce484222325ull;
		for (unsigned i = 0; i < 32; i++)
			h = (h ^ x[i]) * 0x100000001b3ull;
		s->regs[MP_PROBE_REGS - 1] = h;
	}
#elif defined(__aarch64__)
	s->pc = (uintptr_t)uc->uc_mcontext.pc;
	s->sp = (uintptr_t)uc->uc_mcontext.sp;
	for (unsigned i = 0; i < MP_PROBE_REGS; i++)
		s->regs[i] = (uint64_t)uc->uc_mcontext.regs[i];
#endif
	/* A hash of the words from the red zone up to PROBE_ABOVE bytes above sp,
	 * where the loop's locals are, as far as the stack is known to be
	 * mapped (the red zone and 64 bytes always are). */
	uintptr_t lo = (s->sp & ~(uintptr_t)7) - 128, hi = (s->sp & ~(uintptr_t)7) + 64;
	if (stack_hi > hi)
		hi = stack_hi - hi > PROBE_ABOVE ? (s->sp & ~(uintptr_t)7) + PROBE_ABOVE : stack_hi & ~(uintptr_t)7;
	uint64_t h = 0xcbf29ce484222325ull;
	for (const volatile uint64_t *w = (const volatile uint64_t *)lo; s->sp > 4096 && (uintptr_t)w < hi; w++)
		h = (h ^ *w) * 0x100000001b3ull;
	s->stack_hash = h;
}

static uintptr_t interrupted_pc(const ucontext_t *uc)
{
#if defined(__x86_64__)
	return (uintptr_t)uc->uc_mcontext.gregs[REG_RIP];
#elif defined(__aarch64__)
	return (uintptr_t)uc->uc_mcontext.pc;
#else
	(void)uc;
	return 0;
#endif
}

void mp_signals_on_preempted(mp_preempted_fn fn)
{
	atomic_store_explicit(&on_preempted, fn, memory_order_release);
}

static void on_owned_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;   /* we may run between a call and its errno check */
	if (mp_preempt_siginfo_is_ours(si))
		mp_signal_landed();
	if (mp_preempt_siginfo_is_probe(si)) {
		/* The verdict may yield, and parks only where a preemption may. */
		if (room_to_park() > 0) {
			struct mp_probe_sample s;
			probe_sample((const ucontext_t *)uc, &s);
			mp_preempt_probe(&s);
		}
		errno = saved;
		return;
	}
	if (mp_preempt_siginfo_is_ours(si)) {
		int room = room_to_park();
		mp_preempted_fn fn = atomic_load_explicit(&on_preempted, memory_order_acquire);
		if (room > 0 && fn) {
			uint64_t w0 = mp_m_wait_ns();
			mp_preempt_signal();
			uint64_t w1 = mp_m_wait_ns();
			uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
			bool deep = !stack_lo || sp - stack_lo >= PARK_STACK_NEED + HOOK_STACK_NEED;
			if (w1 > w0)
				fn(deep ? interrupted_pc((const ucontext_t *)uc) : 0, w1 - w0);
		} else if (room > 0)
			mp_preempt_signal();
		else if (room < 0)
			mp_m_set_signal_ok(false);   /* the monitor revokes instead */
		errno = saved;
		return;
	}
	errno = saved;
	deliver_to_program(&owned, sig, si, (ucontext_t *)uc);
}

/* A watched signal at SIG_DFL arrived: the program would die of it now.
 * Last words (the profile), then the same death (reraise_default). */
static void on_watched_signal(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;
	/* In a vfork child, which shares our memory, nothing is ours to write. */
	if (last_words && mp_raw_getpid() == mp_sched_pid())
		last_words(sig);
	reraise_default(sig, si, (ucontext_t *)uc);
	errno = saved;   /* the death comes at the return; until then, as if untouched */
}

static struct watched_sig *watched_of(int sig)
{
	/* acquire: pairs with the release that added an entry (below) */
	int n = atomic_load_explicit(&nwatched, memory_order_acquire);
	for (int i = 0; i < n; i++)
		if (watched[i].signo == sig)
			return &watched[i];
	return NULL;
}

/* ---- the program's calls ---------------------------------------------- */

/* The owned slot of sig, or NULL. */
static struct owned_sig *owned_of(int sig)
{
	if (sig > 0 && sig == owned.signo)
		return &owned;
	if (sig > 0 && sig == sigsys_owned.signo)
		return &sigsys_owned;
	return NULL;
}

bool mp_signals_owned(int sig)
{
	return sig > 0 && (owned_of(sig) || watched_of(sig)) && mp_raw_getpid() == mp_sched_pid();
}

/* Our handler in the kernel for w, the program's flags kept for the
 * interrupted call's restart (SA_RESTART: a call interrupted by a signal
 * about to kill us need not fail). */
static int install_watch(const struct watched_sig *w)
{
	return install_handler(w->signo, SA_SIGINFO | SA_RESTART, on_watched_signal) == 0 ? 0 : -EINVAL;
}

/* The program's sigaction on a watched signal (kernel form).  0 or -errno. */
static int exchange_watched(struct watched_sig *w, const struct mp_ksigaction *act,
                            struct mp_ksigaction *old)
{
	uint64_t saved;
	struct mp_ksigaction prev;
	int r = 0;
	mp_raw_block_signals(&saved);
	lock();
	if (w->substituted)
		prev = w->view;
	else
		r = (int)mp_raw_syscall6(SYS_rt_sigaction, w->signo, 0, (long)&prev, 8, 0, 0);
	if (r == 0 && act && act->handler == (void *)SIG_DFL) {
		w->view = *act;
		r = install_watch(w);
		w->substituted = r == 0;
	} else if (r == 0 && act) {
		r = (int)mp_raw_syscall6(SYS_rt_sigaction, w->signo, (long)act, 0, 8, 0, 0);
		if (r == 0)
			w->substituted = false;
	}
	unlock();
	mp_raw_sigmask_set(&saved);
	if (r == 0 && old)
		*old = prev;
	return r;
}

int mp_signals_watch_deaths(const int *sigs, int n, mp_last_words_fn fn)
{
	if (n > MAX_WATCHED || !real_sigaction)
		return -EINVAL;
	if (!libc_restorer && n > 0) {
		/* No preemption signal to have learnt libc's restorer from:
		 * install through libc once, signals blocked, and put back
		 * what was there. */
		struct mp_ksigaction cur;
		uint64_t saved;
		mp_raw_block_signals(&saved);
		if (mp_raw_syscall6(SYS_rt_sigaction, sigs[0], 0, (long)&cur, 8, 0, 0) == 0 &&
		    install_handler(sigs[0], SA_SIGINFO | SA_RESTART, on_watched_signal) == 0)
			mp_raw_syscall6(SYS_rt_sigaction, sigs[0], (long)&cur, 0, 8, 0, 0);
		mp_raw_sigmask_set(&saved);
	}
	if (!libc_restorer)
		return -ENOSYS;
	last_words = fn;
	for (int i = 0; i < n; i++) {
		if (watched_of(sigs[i]))
			continue;
		struct watched_sig *w = &watched[atomic_load(&nwatched)];
		*w = (struct watched_sig){ .signo = sigs[i] };
		/* The program's disposition now (inherited: SIG_IGN survives exec). */
		struct mp_ksigaction cur;
		if (mp_raw_syscall6(SYS_rt_sigaction, w->signo, 0, (long)&cur, 8, 0, 0) != 0)
			continue;
		atomic_fetch_add_explicit(&nwatched, 1, memory_order_release);
		if (cur.handler == (void *)SIG_DFL)
			exchange_watched(w, &cur, NULL);
	}
	return 0;
}

/* The program's view, with the change made under the lock. */
static void exchange_prog(struct owned_sig *o, const struct mp_ksigaction *act,
                          struct mp_ksigaction *old)
{
	uint64_t saved;
	mp_raw_block_signals(&saved);
	lock();
	struct mp_ksigaction prev = read_prog(o);
	if (act)
		set_prog_locked(o, act);
	unlock();
	mp_raw_sigmask_set(&saved);
	if (old)
		*old = prev;
}

int mp_signals_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	struct mp_ksigaction k, prev;
	struct owned_sig *o = owned_of(sig);
	struct watched_sig *w = o ? NULL : watched_of(sig);
	if (act) {
		/* As glibc's __libc_sigaction fills the kernel's structure. */
		k.handler = (void *)act->sa_handler;
		k.flags = (unsigned long)(unsigned)act->sa_flags | SA_RESTORER;
		k.restorer = libc_restorer;
		memcpy(&k.mask, &act->sa_mask, sizeof k.mask);
	}
	if (w) {
		int r = exchange_watched(w, act ? &k : NULL, &prev);
		if (r < 0) {
			errno = -r;
			return -1;
		}
	} else {
		exchange_prog(o, act ? &k : NULL, &prev);
	}
	if (old) {
		memset(old, 0, sizeof *old);
		old->sa_handler = (__sighandler_t)prev.handler;
		old->sa_flags = (int)prev.flags;
		old->sa_restorer = (void (*)(void))prev.restorer;
		memcpy(&old->sa_mask, &prev.mask, sizeof prev.mask);
	}
	return 0;
}

/* Copy to or from user memory as the kernel would: a bad address is
 * -EFAULT, not a crash.  process_vm_{read,write}v on ourselves. */
static long copy_user(void *dst, const void *src, size_t n, bool to_user)
{
	struct iovec local = { to_user ? (void *)src : dst, n };
	struct iovec remote = { to_user ? dst : (void *)src, n };
	long r = mp_raw_syscall6(to_user ? SYS_process_vm_writev : SYS_process_vm_readv,
	                         mp_raw_getpid(), (long)&local, 1, (long)&remote, 1, 0);
	if (r == (long)n)
		return 0;
	if (r == -ENOSYS || r == -EPERM) {
		memcpy(dst, src, n);   /* no way to check: as plain C would */
		return 0;
	}
	return -EFAULT;
}

long mp_signals_rt_sigaction(int sig, const struct mp_ksigaction *act,
                             struct mp_ksigaction *old, size_t setsize)
{
	struct mp_ksigaction k, prev;
	struct owned_sig *o = owned_of(sig);
	struct watched_sig *w = o ? NULL : watched_of(sig);
	if (setsize != 8)
		return -EINVAL;
	if (act && copy_user(&k, act, sizeof k, false))
		return -EFAULT;
	if (w) {
		int r = exchange_watched(w, act ? &k : NULL, &prev);
		if (r < 0)
			return r;
	} else {
		exchange_prog(o, act ? &k : NULL, &prev);
	}
	if (old && copy_user(old, &prev, sizeof prev, true))
		return -EFAULT;
	return 0;
}

void mp_signals_set_interrupt(int sig, bool interrupt)
{
	struct watched_sig *w = watched_of(sig);
	struct owned_sig *o = owned_of(sig);
	if (o)
		o->interrupt = interrupt;
	else if (w)
		w->interrupt = interrupt;
}

bool mp_signals_interrupt(int sig)
{
	const struct watched_sig *w = watched_of(sig);
	const struct owned_sig *o = owned_of(sig);
	return o ? o->interrupt : w && w->interrupt;
}

/* ---- masks ------------------------------------------------------------
 * A mask is the program's, with one exception (docs/design.md, "Signals"):
 * one that blocks most signals is applied without ours, so that worker
 * threads that block "everything" stay preemptible. */

/* Blocks most of the standard signals: a mask meant as "everything". */
static bool mp_mask_is_broad(const sigset_t *set)
{
	int n = 0;

	for (int sig = 1; sig < 32; sig++)
		n += sigismember(set, sig) == 1;
	return n >= 16;
}

/* The set to pass on: set itself, or a copy without the signal we own. */
const sigset_t *mp_signals_mask_for_kernel(int how, const sigset_t *set, sigset_t *tmp)
{
	int sig = owned.signo;
	bool strip_sigsys = sigsys_owned.signo && set && how != SIG_UNBLOCK &&
	                    sigismember(set, SIGSYS) == 1;

	if (!strip_sigsys &&
	    (!set || how == SIG_UNBLOCK || !sig || !sigismember(set, sig) ||
	     !mp_mask_is_broad(set) || !mp_signals_owned(sig)))
		return set;
	*tmp = *set;
	if (sig && sigismember(set, sig) && mp_mask_is_broad(set) && mp_signals_owned(sig))
		sigdelset(tmp, sig);
	/* Catch-all: never SIGSYS, in every task (a vfork child too: it runs
	 * libc under our filter). */
	if (strip_sigsys)
		sigdelset(tmp, SIGSYS);
	return tmp;
}

bool mp_signals_sigsys_owned(void)
{
	return sigsys_owned.signo != 0;
}

int mp_signals_own_sigsys(void (*handler)(int, siginfo_t *, void *))
{
	struct mp_ksigaction inherited;
	uint64_t saved;
	int r;

	if (!real_sigaction)
		return -EINVAL;
	if (mp_raw_syscall6(SYS_rt_sigaction, SIGSYS, 0, (long)&inherited, 8, 0, 0) != 0)
		return -EINVAL;
	mp_raw_block_signals(&saved);
	lock();
	sigsys_owned.handler = handler;
	/* SA_NODEFER: a handler of the program that runs while we wait in a
	 * re-issued call may make a trapped call itself (notes 4.1b); no
	 * signal blocked: the program's signals are delivered while a trapped
	 * call waits, as they would be in the call itself. */
	sigsys_owned.extra_flags = SA_NODEFER;
	sigsys_owned.open_mask = true;
	sigsys_owned.signo = SIGSYS;
	write_prog(&sigsys_owned, &inherited);
	sigsys_owned.kflags = kernel_flags_for(&inherited);
	r = install_kernel(&sigsys_owned, sigsys_owned.kflags);
	struct mp_ksigaction ours;
	if (r == 0 && !libc_restorer &&
	    mp_raw_syscall6(SYS_rt_sigaction, SIGSYS, 0, (long)&ours, 8, 0, 0) == 0)
		libc_restorer = ours.restorer;
	if (r != 0)
		sigsys_owned.signo = 0;
	unlock();
	mp_raw_sigmask_set(&saved);
	return r == 0 ? 0 : -EINVAL;
}

void mp_signals_sigsys_view(struct sigaction *old)
{
	struct mp_ksigaction prev = read_prog(&sigsys_owned);   /* the sequence lock: no store */
	memset(old, 0, sizeof *old);
	old->sa_handler = (__sighandler_t)prev.handler;
	old->sa_flags = (int)prev.flags;
	old->sa_restorer = (void (*)(void))prev.restorer;
	memcpy(&old->sa_mask, &prev.mask, sizeof prev.mask);
}

void mp_signals_sigsys_to_program(siginfo_t *si, ucontext_t *uc)
{
	deliver_to_program(&sigsys_owned, SIGSYS, si, uc);
}

/* ---- threads and set-up ----------------------------------------------- */

void mp_signals_thread_stack(uintptr_t lo, size_t size)
{
	stack_lo = lo;
	/* The caller is the thread's start (sp near the top, lo + size):
	 * above it lie only its callers' frames and glibc's thread
	 * descriptor, far more than 1 KiB of mapped stack. */
	stack_hi = size <= UINTPTR_MAX - lo - 1024 ? lo + size + 1024 : 0;   /* unknown if it wraps */
	mp_m_set_signal_ok(size >= stack_min);
}

static void main_thread_stack(void)
{
	struct rlimit rl;
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);
	if (mp_raw_syscall6(SYS_prlimit64, 0, RLIMIT_STACK, 0, (long)&rl, 0, 0) != 0 ||
	    rl.rlim_cur == RLIM_INFINITY) {
		mp_signals_thread_stack(0, SIZE_MAX);   /* grows as needed */
		uintptr_t top = (uintptr_t)getauxval(AT_RANDOM);
		stack_hi = top > sp ? top : 0;
		return;
	}
	/* The main stack grows down from near sp to at most rlim_cur below
	 * the top: what we can still count on is below sp. */
	size_t size = rl.rlim_cur;
	mp_signals_thread_stack(sp > size ? sp - size : 0, size);
	/* Above every frame of main: the kernel's 16 random bytes, next to
	 * the strings at the very top of the stack. */
	uintptr_t top = (uintptr_t)getauxval(AT_RANDOM);
	stack_hi = top > sp ? top : 0;
}

int mp_signals_init(int requested, mp_sigaction_fn real)
{
	int sig = requested == 0 ? SIGURG : requested;
	struct mp_ksigaction inherited, ours;
	unsigned long frame = getauxval(AT_MINSIGSTKSZ);

	real_sigaction = real;
	stack_min = SIG_STACK_FACTOR * ((frame ? frame : 2048) + PARK_STACK_NEED);
	if (stack_min < SIG_STACK_MIN_FLOOR)
		stack_min = SIG_STACK_MIN_FLOOR;
	main_thread_stack();
	if (requested < 0 || sig >= 65)
		return 0;
	/* What the program inherited (SIG_IGN survives exec) is its own. */
	if (mp_raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&inherited, 8, 0, 0) != 0)
		return 0;
	uint64_t saved;
	mp_raw_block_signals(&saved);
	write_prog(&owned, &inherited);
	owned.kflags = kernel_flags_for(&inherited);
	owned.signo = sig;   /* install_kernel's */
	int r = install_kernel(&owned, owned.kflags);
	if (r == 0 && mp_raw_syscall6(SYS_rt_sigaction, sig, 0, (long)&ours, 8, 0, 0) == 0)
		libc_restorer = ours.restorer;
	if (r != 0)
		owned.signo = 0;
	mp_raw_sigmask_set(&saved);
	if (r != 0)
		return 0;
	mp_set_preempt_signal(sig);
	return sig;
}

int mp_signals_preempt_signo(void)
{
	return owned.signo;
}
