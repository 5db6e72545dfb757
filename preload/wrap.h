/*
 * wrap.h - bracketing a real call with the scheduler.
 *
 *   MP_BRACKET(mp_enter_syscall, MP_CALL_read);   // or mp_enter_blocking
 *   return real(args);
 *
 * The second argument is the call's id (enum mp_call_id, real.h: one per
 * row of calls.def): the profiler records each call under it
 * (prof/prof.h).  Profiling turns the inline fast path off, so every call
 * comes through here; when it is off the bracket reads one flag more.
 *
 * The exit half runs when the enclosing scope ends: after the return value
 * is computed, and also when pthread_cancel or pthread_exit unwinds the
 * frame (the preload is compiled with -fexceptions, so the forced unwind
 * runs cleanup attributes; on the normal path the cleanup is a plain call,
 * no pthread_cleanup_push bookkeeping).  The core's exit never touches
 * errno, so the real call's errno reaches the caller unchanged.
 *
 * Before init, after fini, on threads that are not Ms (the monitor, threads
 * started before init) and after an init failure, enter and exit find no P
 * and return at once: the call passes straight through.
 */
#ifndef MAXPROCS_PRELOAD_WRAP_H
#define MAXPROCS_PRELOAD_WRAP_H

#include "preload/real.h"
#include "prof/prof.h"
#include "sched/fastpath.h"
#include "sched/sched.h"

/* Only interposed functions leave the library (with the version script). */
#define MP_EXPORT __attribute__((visibility("default")))

/* The general bracket's scope: its call, and when it began if profiling
 * (prof/prof.h; 0 when not). */
struct mp_bracket {
	unsigned call;
	uint64_t t0;
};

static inline __attribute__((always_inline)) void mp_bracket_end(struct mp_bracket *b)
{
	if (__builtin_expect(b->t0 == 0, 1)) {
		mp_exit_syscall_fast();
		return;
	}
	/* Profiling: the real call returned now.  Only the outermost call
	 * counts (a handler's call inside it is part of its time): the
	 * common case is recorded inline before the exit (prof.h), the rest
	 * after it, which may wait for a P. */
	uint64_t t1 = mp_ticks();
	bool outer = mp_self.depth == 1;
	bool kept = outer && mp_prof_short(b->call, b->t0, t1);
	uint64_t w0 = mp_self.wait_ns;
	mp_exit_syscall_fast();
	if (outer)
		mp_prof_exit(b->call, b->t0, t1, w0, mp_self.wait_ns, kept);
}

/* enter is mp_enter_syscall or mp_enter_blocking; their inline fast paths
 * (sched/fastpath.h) are what runs here. */
#define MP_BRACKET(enter, id) MP_BRACKET_AT(enter, id, mp_prof_begin())

/* The same, profiling from t0 (mp_prof_begin: 0 when not profiling). */
#define MP_BRACKET_AT(enter, id, t0)                                        \
	__attribute__((cleanup(mp_bracket_end), unused))                    \
	struct mp_bracket mp_bracket_scope_ = { (enum mp_call_id)(id), (t0) }; \
	enter##_fast()

/*
 * The fast bracket of the generated wrappers (wrappers.c), the membarrier
 * protocol's plain stores inline:
 *
 *   if (!mp_fast_enter(MC_ENTER))          // nested, not an M, or CAS
 *       return mp_general_read(fd, buf, n); // a tail call: MP_BRACKET there
 *   MP_FAST_BRACKET(MC_EXIT, MP_CALL_read);
 *   return real(fd, buf, n);
 *
 * Everything unusual is a tail call to the general wrapper, so the fast
 * path calls nothing but the real function and keeps the arguments where
 * they arrived.
 */
static inline __attribute__((always_inline)) void mp_fast_bracket_end(char *scope)
{
	(void)scope;
	mp_fast_exit(MC_EXIT);
}

static inline __attribute__((always_inline)) void mp_fast_bracket_end_blocking(char *scope)
{
	(void)scope;
	mp_fast_exit(MC_EXIT_BLOCKING);
}

#define MP_FAST_BRACKET(end, id)                                            \
	(void)(enum mp_call_id)(id);                                        \
	__attribute__((cleanup(end), unused)) char mp_bracket_scope_ = 0

/*
 * Profiling takes the general wrapper for every call (mp_fast_ok is off),
 * which under the membarrier protocol brackets the call with the fast
 * path again, timed:
 *
 *   uint64_t t0 = mp_prof_begin();
 *   if (t0 && mp_asym && mp_fast_enter_if(MC_ENTER, &mp_fast_true)) {
 *       MP_PROF_FAST_BRACKET(mp_prof_fast_end, MP_CALL_read, t0);
 *       return real(fd, buf, n);
 *   }
 *   MP_BRACKET_AT(mp_enter_syscall, MP_CALL_read, t0);   // the rest
 *   return real(fd, buf, n);
 *
 * The exit's slow path parks as the general one does (count_waits times
 * it), so the wait for a P is read around the exit the same way.  A fast
 * enter is always the outermost call.
 */
static inline __attribute__((always_inline)) void mp_prof_fast_end_kind(struct mp_bracket *b,
                                                                        uint64_t mc_exit)
{
	uint64_t t1 = mp_ticks();
	bool kept = mp_prof_short(b->call, b->t0, t1);
	uint64_t w0 = mp_self.wait_ns;
	mp_fast_exit(mc_exit);
	mp_prof_exit(b->call, b->t0, t1, w0, mp_self.wait_ns, kept);
}

static inline __attribute__((always_inline)) void mp_prof_fast_end(struct mp_bracket *b)
{
	mp_prof_fast_end_kind(b, MC_EXIT);
}

static inline __attribute__((always_inline)) void mp_prof_fast_end_blocking(struct mp_bracket *b)
{
	mp_prof_fast_end_kind(b, MC_EXIT_BLOCKING);
}

#define MP_PROF_FAST_BRACKET(end, id, t0)                                   \
	__attribute__((cleanup(end), unused))                               \
	struct mp_bracket mp_bracket_scope_ = { (enum mp_call_id)(id), (t0) }

#endif
