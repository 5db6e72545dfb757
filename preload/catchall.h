/*
 * catchall.h - catch-all mode (MAXPROCS_CATCH_ALL=1, maxprocs --catch-all):
 * the blocking system calls libc makes without passing an exported symbol
 * (stdio, internal lock waits, raw syscall(), getaddrinfo) are trapped by
 * a seccomp filter and bracketed in a SIGSYS handler.  docs/design.md,
 * "Catch-all mode".
 */
#ifndef MAXPROCS_PRELOAD_CATCHALL_H
#define MAXPROCS_PRELOAD_CATCHALL_H

#include <stdbool.h>

/* Set up the mode after the scheduler and signals: the SIGSYS handler,
 * no_new_privs unless CAP_SYS_ADMIN, the filter (TSYNC).  Any failure or
 * refusal: one line on stderr, and the process runs with the wrappers
 * only.  true if the mode is on. */
bool mp_catchall_init(void);

/* True once the filter is installed. */
extern bool mp_catchall_on;

/* The profiler's call names with the trapped system calls after calls.def's
 * (ids MP_CALL_COUNT + n, named "SYS_read", ...); *count set. */
const char *const *mp_catchall_call_names(unsigned *count);

/* Exec wrappers: a new image must be randomised, or an inherited filter
 * would trap in it (libc at the same place).  Clears ADDR_NO_RANDOMIZE. */
void mp_catchall_before_exec(void);

#endif
