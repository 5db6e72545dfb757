/*
 * membarrier.h - the process-wide memory barrier (membarrier(2), private
 * expedited), raw, so a seccomp filter that kills or denies it is met with
 * an error code and nothing else.
 *
 * The scheduler's asymmetric protocol (docs/design.md, "The fast path
 * without a locked instruction") lets a holder enter and leave a call with
 * plain stores and loads; the rare party that takes its P pays for both
 * sides' ordering with one mp_membarrier(): when it returns, every thread
 * of the process that was running has executed a full barrier, and every
 * thread that was not running had one at its context switch.
 *
 * Registration must come before the process has a second thread: after
 * that the kernel waits for an RCU grace period (measured at 7.5-14 ms
 * with 4 threads, 0.7 us with one).  The mm's registration survives fork
 * (the mm is copied) and is cleared by exec.
 */
#ifndef MAXPROCS_SHIM_MEMBARRIER_H
#define MAXPROCS_SHIM_MEMBARRIER_H

#include <errno.h>
#include <linux/membarrier.h>
#include <stdbool.h>

#include "shim/raw_syscall.h"

#ifndef SYS_membarrier
#define SYS_membarrier __NR_membarrier
#endif

/*
 * Ask the kernel, then register.  0 when the private expedited barrier is
 * ours to use; else -errno of the step that failed: -ENOSYS (no such call:
 * before Linux 4.3, gVisor, or a seccomp filter that says so), -EINVAL (the
 * command is missing from QUERY: before 4.14, or nohz_full), -EPERM (denied).
 */
static inline int mp_membarrier_register(void)
{
	long q = mp_raw_syscall(SYS_membarrier, MEMBARRIER_CMD_QUERY, 0, 0);
	if (q < 0)
		return (int)q;
	const long need = MEMBARRIER_CMD_PRIVATE_EXPEDITED |
	                  MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED;
	if ((q & need) != need)
		return -EINVAL;
	return (int)mp_raw_syscall(SYS_membarrier,
	                           MEMBARRIER_CMD_REGISTER_PRIVATE_EXPEDITED, 0, 0);
}

/* The barrier itself: 0, or -errno (a filter installed after we
 * registered, or an exec'd image that never registered). */
static inline int mp_membarrier(void)
{
	return (int)mp_raw_syscall(SYS_membarrier, MEMBARRIER_CMD_PRIVATE_EXPEDITED, 0, 0);
}

#endif
