/*
 * relax.h - the spin-wait hint: tells the CPU this is a spin loop (lower
 * power, no memory-order mis-speculation on exit, and the sibling
 * hyperthread gets the core).
 */
#ifndef MAXPROCS_SCHED_RELAX_H
#define MAXPROCS_SCHED_RELAX_H

static inline void mp_cpu_relax(void)
{
#if defined(__x86_64__)
	__builtin_ia32_pause();
#elif defined(__aarch64__)
	__asm__ volatile("yield");
#endif
}

#endif
