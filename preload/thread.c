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
};

static void mp_thread_end(char *scope)
{
	(void)scope;
	mp_m_detach();
}

/* The preemption signal needs room for its frame: tell signals/ how
 * large this thread's stack is before it becomes an M. */
static void mp_thread_stack(void)
{
	pthread_attr_t attr;
	void *lo;
	size_t size;

	if (pthread_getattr_np(pthread_self(), &attr) != 0)
		return;   /* unknown: signalled, as the main thread */
	if (pthread_attr_getstack(&attr, &lo, &size) == 0)
		mp_signals_thread_stack((uintptr_t)lo, size);
	pthread_attr_destroy(&attr);
}

static void *mp_thread_main(void *p)
{
	struct mp_thread_start st = *(struct mp_thread_start *)p;

	free(p);
	mp_thread_stack();
	mp_m_attach();
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
	mp_preload_monitor_ensure();
	st = malloc(sizeof(*st));
	if (!st)
		return real(t, attr, start, arg);
	st->start = start;
	st->arg = arg;
	err = real(t, attr, mp_thread_main, st);
	if (err)
		free(st);
	return err;
}
