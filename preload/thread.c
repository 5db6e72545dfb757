/*
 * thread.c - pthread_create: the new thread becomes an M and takes a P
 * before the user's start routine, and gives it away however it ends:
 * return, pthread_exit or cancellation (both unwind through the cleanup
 * attribute below; the preload is built with -fexceptions).  exit() from any
 * thread ends the process, so nothing is left to give back.
 *
 * Threads that exist before init, the monitor (created with the real
 * pthread_create) and threads created after fini are never Ms.
 *
 * The new M is reserved (counted in the scheduler's nthreads) before the
 * real pthread_create and the monitor is started if it is not running:
 * the monitor leaves once no M is attached or reserved, so it runs
 * whenever a pthread_create could produce a second M (docs/design.md,
 * "The monitor's life").
 *
 * pthread_exit is wrapped for the one M our trampoline did not start, the
 * main thread (and a fork child's copy of it): nothing unwinds into a
 * cleanup of ours there, so it detaches first.  Without that its P stays
 * RUNNING for ever (a zombie leader is neither S nor D, so the monitor
 * never revokes it) and the monitor would wait for it.  Threads of ours
 * detach in mp_thread_end as pthread_exit unwinds, after the program's
 * cleanup handlers ran (capped).
 *
 * The start routine and its argument travel in a small malloc'ed block: this
 * is not a hot path, and the block is freed before the user's code runs.
 * If it cannot be allocated the thread is created uncapped (fail open).
 */
#include "preload/real.h"
#include "preload/wrap.h"
#include "preload/preload.h"

#include "signals/signals.h"

struct mp_thread_start {
	void *(*start)(void *);
	void *arg;
	size_t stack_size;   /* 0: unknown */
};

static void mp_thread_end(char *scope)
{
	(void)scope;
	mp_prof_thread_end(mp_m_wait_ns());
	mp_m_detach();
}

/* The stack the new thread will get, read by the creator from the attr
 * it passes (or the default), so the thread need not ask the system at its
 * start (pthread_getattr_np costs a system call and an allocation). */
static size_t mp_thread_stack_size(const pthread_attr_t *attr)
{
	pthread_attr_t def;
	size_t size = 0;

	if (attr)
		return pthread_attr_getstacksize(attr, &size) == 0 ? size : 0;
	if (pthread_getattr_default_np(&def) != 0)
		return 0;
	if (pthread_attr_getstacksize(&def, &size) != 0)
		size = 0;
	pthread_attr_destroy(&def);
	return size;
}

/* The preemption signal needs room for its frame: tell signals/ how
 * large this thread's stack is before it becomes an M.  Its start is near
 * the top, so the bottom is about size below (glibc's TLS and guard make
 * the true bottom a little higher: the headroom check errs by that). */
static void mp_thread_stack(size_t size)
{
	uintptr_t sp = (uintptr_t)__builtin_frame_address(0);

	if (size)
		mp_signals_thread_stack(sp > size ? sp - size : 0, size);
}

/* This thread was started by mp_thread_main. */
static __thread bool mp_thread_ours __attribute__((tls_model("initial-exec")));

static void *mp_thread_main(void *p)
{
	struct mp_thread_start st = *(struct mp_thread_start *)p;

	free(p);
	mp_thread_stack(st.stack_size);
	mp_thread_ours = true;
	mp_m_attach_reserved();
	mp_prof_thread_start(mp_m_wait_ns());
	__attribute__((cleanup(mp_thread_end), unused)) char attached = 1;
	return st.start(st.arg);
}

MP_EXPORT int pthread_create(pthread_t *restrict t,
                             const pthread_attr_t *restrict attr,
                             void *(*start)(void *), void *restrict arg)
{
	mp_real_pthread_create_fn real = mp_real_pthread_create();
	struct mp_thread_start *st;
	int err;

	if (!mp_sched_active())
		return real(t, attr, start, arg);
	st = malloc(sizeof(*st));
	if (!st)
		return real(t, attr, start, arg);
	st->start = start;
	st->arg = arg;
	st->stack_size = mp_thread_stack_size(attr);
	mp_m_reserve();
	mp_preload_monitor_ensure();
	err = real(t, attr, mp_thread_main, st);
	if (err) {
		free(st);
		mp_m_unreserve();
	}
	return err;
}

MP_EXPORT void pthread_exit(void *ret)
{
	mp_real_pthread_exit_fn real = mp_real_pthread_exit();

	if (!mp_thread_ours && mp_m_attached())
		mp_m_detach();
	mp_prof_thread_end(mp_m_wait_ns());
	real(ret);
	__builtin_unreachable();
}
