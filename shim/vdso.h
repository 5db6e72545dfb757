/*
 * vdso.h - the kernel's clocks without libc: clock_gettime from the vDSO,
 * found once from the auxiliary vector, else the raw system call.
 *
 * libc's clock_gettime is a symbol another preload can replace (libfaketime
 * freezes it): the scheduler's slices and ticks must not depend on it.  The
 * vDSO's own function is not interposable and costs no system call for
 * CLOCK_MONOTONIC (a few tens of ns against a few hundred for the raw call).
 * Async-signal-safe, allocates nothing, never touches errno.
 */
#ifndef MAXPROCS_SHIM_VDSO_H
#define MAXPROCS_SHIM_VDSO_H

#include <stdbool.h>
#include <stdint.h>
#include <time.h>

/* Look the vDSO's clock_gettime up (idempotent; call once at init, before
 * threads read clocks).  Returns true if found. */
bool mp_clock_init(void);

/* The raw system call, whatever mp_clock_init found (for tests). */
int64_t mp_clock_ns_syscall(clockid_t clk);

/* clk in ns, or -errno: through the vDSO when found, else the system call. */
int64_t mp_clock_ns(clockid_t clk);

/* pc lies in the vDSO's text (known after mp_clock_init). */
bool mp_vdso_contains(uintptr_t pc);

/* The vDSO function found by mp_clock_init, or NULL. */
bool mp_clock_uses_vdso(void);

#endif
