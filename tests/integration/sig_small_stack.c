/*
 * sig_small_stack: threads that never take a signal when run plain must
 * not die of the preemption signal's frame (AT_MINSIGSTKSZ: 3.4 KB without
 * AVX-512, 12 KB with it):
 *   - a thread on a 16 KiB stack that keeps 12 KiB of it in use while it
 *     computes without calls;
 *   - a thread with a 2 KiB alternate signal stack (and a SIGSEGV handler
 *     on it, as programs that catch stack overflow have);
 * both at the cap beside CPU-bound threads that need their P.
 */
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include "itest.h"

/* Uses most of a small stack (16 KiB, less glibc's TLS and guard), then
 * computes in the deepest frame: about 4 KiB stay free. */
#ifndef DEPTH_KB
#define DEPTH_KB 8
#endif
/* Uses most of a small stack, then computes in the deepest frame. */
static __attribute__((noinline)) unsigned deep(int depth, double until)
{
	volatile char pad[1024];
	pad[0] = (char)depth;
	if (depth > 0)
		return deep(depth - 1, until) + pad[0];
	while (it_now() < until)
		it_spin(1000);
	return pad[0];
}

static void *small_stack_worker(void *arg)
{
	return (void *)(uintptr_t)deep(DEPTH_KB, *(double *)arg);
}

static void on_segv(int sig)
{
	(void)sig;
	_exit(3);
}

static void *altstack_worker(void *arg)
{
	static char alt[2][2048];
	stack_t ss = { .ss_sp = alt[arg == NULL], .ss_size = sizeof alt[0], .ss_flags = 0 };
	if (sigaltstack(&ss, NULL) != 0)
		return (void *)1;
	it_burn_until(*(double *)arg);
	return NULL;
}

int main(void)
{
	pthread_t b[2], s, a;
	pthread_attr_t attr;
	struct sigaction sa;
	double until = it_now() + 0.6;

	it_check_mode();
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
	fprintf(stderr, "sanitizer frames do not fit a 16 KiB stack: skipped\n");
	return IT_SKIP;
#endif
	memset(&sa, 0, sizeof sa);
	sa.sa_handler = on_segv;
	sa.sa_flags = SA_ONSTACK;
	it_sys(sigaction(SIGSEGV, &sa, NULL));
	for (int i = 0; i < 2; i++)
		it_create(&b[i], it_spinner, NULL);
	it_pt(pthread_attr_init(&attr));
	it_pt(pthread_attr_setstacksize(&attr, 16384));
	it_pt(pthread_create(&s, &attr, small_stack_worker, &until));
	it_pt(pthread_create(&a, NULL, altstack_worker, &until));
	it_join(s);
	it_check(it_join(a) == NULL, "sigaltstack failed");
	it_spinners_stop = 1;
	for (int i = 0; i < 2; i++)
		it_join(b[i]);
	puts("small-stack and small-altstack threads finished");
	return IT_PASS;
}
