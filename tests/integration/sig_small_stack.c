/*
 * sig_small_stack: threads that never take a signal when run plain must
 * not die of the preemption signal's frame (AT_MINSIGSTKSZ: 3.4 KB without
 * AVX-512, 12 KB with it):
 *   - a thread on a 16 KiB stack that keeps most of it in use (DEPTH_KB
 *     frames of 1 KiB) while it computes without calls;
 *   - a thread with a 2 KiB alternate signal stack (and a SIGSEGV handler
 *     on it, as programs that catch stack overflow have);
 * both at the cap beside CPU-bound threads that need their P.
 */
#include <signal.h>
#include <stdint.h>
#include <unistd.h>
#include "itest.h"

/* Uses most of a small stack (16 KiB, less glibc's TLS and guard), then
 * computes in the deepest frame: about 4 KiB stay free, less than a signal
 * frame.  ASan's frames are larger (6 deep still fits plain there, not
 * under the sanitized library's thread start): 4 deep leaves a few KiB,
 * where the library before issue 7 still died of its signal. */
#ifndef DEPTH_KB
#if defined(__SANITIZE_ADDRESS__)
#define DEPTH_KB 4
#else
#define DEPTH_KB 8
#endif
#endif
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
	stack_t ss = { .ss_sp = alt[arg == NULL], .ss_size = sizeof alt[0], .ss_flags = 0 }, old;
	if (sigaltstack(&ss, &old) != 0)
		return (void *)1;
	it_burn_until(*(double *)arg);
	/* The stack it had back: ASan unmaps its own at thread exit. */
	if (!(old.ss_flags & SS_DISABLE) && sigaltstack(&old, NULL) != 0)
		return (void *)1;
	return NULL;
}

int main(void)
{
	pthread_t b[2], s, a;
	pthread_attr_t attr;
	struct sigaction sa;
	double until = it_now() + 0.6;

	it_check_mode();
#if defined(__SANITIZE_THREAD__)
	fprintf(stderr, "TSan's frames do not fit a 16 KiB stack: skipped\n");
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
