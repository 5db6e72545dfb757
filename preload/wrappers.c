/*
 * wrappers.c - the wrappers of every MAY_BLOCK, BLOCKING, TRY_FIRST and
 * LOOK_FIRST row
 * of calls.def.  A MAY_BLOCK or BLOCKING row is:
 *
 *   ssize_t read(int fd, void *buf, size_t n)
 *   {
 *       mp_real_read_fn real = mp_real_read();
 *       if (pass_if)
 *           return real(fd, buf, n);
 *       MP_BRACKET(mp_enter_syscall, MP_CALL_read);
 *       return real(fd, buf, n);
 *   }
 *
 * A TRY_FIRST row tries first, and brackets only a wait that must happen:
 *
 *   int pthread_mutex_lock(pthread_mutex_t *m)
 *   {
 *       mp_real_pthread_mutex_lock_fn real = mp_real_pthread_mutex_lock();
 *       int r;
 *       if (pass_if)                               // what glibc rejects
 *           return real(m);
 *       if (mp_try_pthread_mutex_trylock(m, &r))   // try.h
 *           return r;
 *       MP_BRACKET(mp_enter_blocking, MP_CALL_pthread_mutex_lock);
 *       return real(m);
 *   }
 */
#include "preload/look.h"
#include "preload/real.h"
#include "preload/try.h"
#include "preload/wrap.h"

/*
 * Each row has two: the exported wrapper, whose fast path is the
 * membarrier protocol's inline bracket (wrap.h), and mp_general_NAME, the
 * general bracket (both protocols, nesting, threads that are not Ms, the
 * hand-off of a blocking call while Ms wait) that the wrapper tail-calls
 * for anything else.  pass_if is checked by the wrapper, before either.
 */
#define MP_GENERAL(enter, kind, ret, name, params, args)                    \
	MP_GENERAL_AS(mp_general_##name, enter, kind, ret, name, params, args)
#define MP_GENERAL_AS(fn, enter, kind, ret, name, params, args)             \
	static __attribute__((noinline)) ret fn params                      \
	{                                                                   \
		mp_real_##name##_fn real = mp_real_##name();                \
		uint64_t t0 = mp_prof_begin();                              \
		if (MP_PROF_FAST_##kind(t0)) {                              \
			MP_PROF_FAST_BRACKET(MP_PROF_END_##kind, MP_CALL_##name, t0); \
			return real args;                                   \
		}                                                           \
		MP_BRACKET_AT(enter, MP_CALL_##name, t0);                   \
		return real args;                                           \
	}

/* The fast bracket around the real call, or the general wrapper (a tail
 * call) when it declines.  A known-blocking call hands its P off at once
 * while Ms wait: that is the general bracket's job, so for one (blocking)
 * the fast bracket runs only while none waits. */
#define MP_FAST_WAITERS_SYSCALL 0
#define MP_FAST_WAITERS_BLOCKING mp_waiters()
#define MP_FAST_MC_SYSCALL MC_ENTER
#define MP_FAST_MC_BLOCKING MC_ENTER_BLOCKING
#define MP_FAST_END_SYSCALL mp_fast_bracket_end
#define MP_FAST_END_BLOCKING mp_fast_bracket_end_blocking
/* Profiling, the timed fast bracket (wrap.h) under the membarrier
 * protocol; a known-blocking call only while no M waits, as above. */
#define MP_PROF_FAST_SYSCALL(t0) (t0 && mp_asym && mp_fast_enter_if(MC_ENTER, &mp_fast_true))
#define MP_PROF_FAST_BLOCKING(t0)                                           \
	(t0 && mp_asym && !mp_waiters() && mp_fast_enter_if(MC_ENTER_BLOCKING, &mp_fast_true))
#define MP_PROF_END_SYSCALL mp_prof_fast_end
#define MP_PROF_END_BLOCKING mp_prof_fast_end_blocking
#define MP_FAST_CALL(name, args, kind)                                      \
	if (MP_FAST_WAITERS_##kind || !mp_fast_enter(MP_FAST_MC_##kind))    \
		return mp_general_##name args;                              \
	MP_FAST_BRACKET(MP_FAST_END_##kind, MP_CALL_##name);               \
	return real args

#define MP_WRAPPER(enter, kind, ret, name, params, args, pass_if)           \
	MP_GENERAL(enter, kind, ret, name, params, args)                    \
	MP_EXPORT ret name params                                           \
	{                                                                   \
		mp_real_##name##_fn real = mp_real_##name();                \
		if (pass_if)                                                \
			return real args;                                   \
		MP_FAST_CALL(name, args, kind);                             \
	}

/* The object waited for is the first argument, the try's only one. */
#define MP_FIRST_ARG(a, ...) a
#define MP_TRY_WRAPPER(ret, name, params, args, pass_if, try)               \
	MP_GENERAL(mp_enter_blocking, BLOCKING, ret, name, params, args)    \
	MP_EXPORT ret name params                                           \
	{                                                                   \
		mp_real_##name##_fn real = mp_real_##name();                \
		ret r;                                                      \
		if (pass_if)                                                \
			return real args;                                   \
		if (mp_try_##try(MP_FIRST_ARG args, &r))                    \
			return r;                                           \
		MP_FAST_CALL(name, args, BLOCKING);                         \
	}

/*
 * When each row looks (mp_look_when_<try>).  read and recv* look only while
 * a waiter spins: their look is one or two system calls beside the real one
 * (F_GETFL, a zero-timeout poll), which a program reading files with Ms
 * waiting would pay on every read.  poll and epoll look whenever an M waits:
 * their look is the call with a zero timeout, so a call with something
 * ready costs nothing more, and one that would sleep one call more before
 * it sleeps anyway.  ppoll's look is a plain poll beside the real call, so
 * it stays with the spinner.  Measured (memcached -t 4 at -p 1 under
 * bench/mcload, 8 connections): a worker whose epoll_wait would sleep kept
 * its P while the other three waited up to a slice: p99.9 82 ms, 35-41 k
 * req/s; looking whenever an M waits: p99.9 4 ms, 46-47 k req/s.
 */
#define MP_LOOK_WHEN(try, gate) \
	static inline bool mp_look_when_##try(void) { return gate(); }
MP_LOOK_WHEN(read, mp_spinner_waits)
MP_LOOK_WHEN(read_chk, mp_spinner_waits)
MP_LOOK_WHEN(recv, mp_spinner_waits)
MP_LOOK_WHEN(recv_chk, mp_spinner_waits)
MP_LOOK_WHEN(recvfrom, mp_spinner_waits)
MP_LOOK_WHEN(recvfrom_chk, mp_spinner_waits)
MP_LOOK_WHEN(recvmsg, mp_spinner_waits)
MP_LOOK_WHEN(ppoll, mp_spinner_waits)
MP_LOOK_WHEN(ppoll_chk, mp_spinner_waits)
MP_LOOK_WHEN(poll, mp_anyone_waits)
MP_LOOK_WHEN(poll_chk, mp_anyone_waits)
MP_LOOK_WHEN(epoll_wait, mp_anyone_waits)
MP_LOOK_WHEN(epoll_pwait, mp_anyone_waits)

/* A LOOK_FIRST row (look.h): while a waiter spins for a P, look first; a
 * call that would sleep takes the general blocking bracket
 * (mp_sleeps_NAME), which hands the P to the spinner at once. */
#define MP_ARGS(...) __VA_ARGS__
#define MP_LOOK_WRAPPER(ret, name, params, args, pass_if, look)             \
	MP_GENERAL(mp_enter_syscall, SYSCALL, ret, name, params, args)      \
	MP_GENERAL_AS(mp_sleeps_##name, mp_enter_blocking, BLOCKING, ret, name, params, args) \
	MP_EXPORT ret name params                                           \
	{                                                                   \
		mp_real_##name##_fn real = mp_real_##name();                \
		if (pass_if)                                                \
			return real args;                                   \
		if (__builtin_expect(mp_look_when_##look(), 0)) {          \
			ret r;                                              \
			/* In a call while it looks: the look is a system    \
			 * call our signal must not interrupt (a poll with   \
			 * nothing ready fails with EINTR when a signal is   \
			 * pending, even with a zero timeout). */            \
			mp_enter_syscall();                                 \
			enum mp_look seen = mp_look_##look(&r, MP_ARGS args); \
			mp_exit_syscall();                                  \
			switch (seen) {                                     \
			case MP_LOOK_DONE:                                  \
				return r;                                   \
			case MP_LOOK_SLEEPS:                                \
				mp_note_look_handoff();                     \
				return mp_sleeps_##name args;               \
			case MP_LOOK_UNKNOWN:                               \
				break;                                      \
			}                                                   \
		}                                                           \
		MP_FAST_CALL(name, args, SYSCALL);                          \
	}

#define MP_WRAP_MAY_BLOCK(ret, name, params, args, pass_if, try)            \
	MP_WRAPPER(mp_enter_syscall, SYSCALL, ret, name, params, args, pass_if)
#define MP_WRAP_BLOCKING(ret, name, params, args, pass_if, try)             \
	MP_WRAPPER(mp_enter_blocking, BLOCKING, ret, name, params, args, pass_if)
#define MP_WRAP_TRY_FIRST(...) MP_TRY_WRAPPER(__VA_ARGS__)
#define MP_WRAP_LOOK_FIRST(...) MP_LOOK_WRAPPER(__VA_ARGS__)
#define MP_WRAP_CUSTOM(...)
#define MP_WRAP_REAL(...)

#define MP_CALL(class, ret, name, params, args, pass_if, try, version)      \
	MP_WRAP_##class(ret, name, params, args, pass_if, try)
#include "preload/calls.def"
#undef MP_CALL
