/*
 * resolve.h - find the real definition of a symbol we interpose.
 *
 * Order: dlvsym(RTLD_NEXT, name, version) when a version is given (glibc
 * keeps old ABIs under old versions: pthread_cond_wait@GLIBC_2.2.5 is the
 * pre-2.3.2 condvar), then dlsym(RTLD_NEXT, name) (the next definition
 * after us: libc, or another preload such as libasan that wraps it too),
 * then libc.so.6 itself (RTLD_NEXT finds nothing when we were dlopen()ed
 * after libc).  errno is preserved.  dlsym may allocate and take the loader
 * lock, so this runs in the constructor or, lazily, on a wrapper's first
 * call before it.
 */
#ifndef MAXPROCS_SHIM_RESOLVE_H
#define MAXPROCS_SHIM_RESOLVE_H

#include <stdbool.h>

void *mp_resolve(const char *name, const char *version);

/* MAXPROCS_DEBUG: report each symbol that cannot be found. */
void mp_resolve_set_debug(bool on);

/* The real function cannot be found at a call that needs it: one line on
 * stderr naming it, then abort (there is no value to return).  Only
 * reachable if libc lacks a symbol that the program itself calls. */
__attribute__((noreturn)) void mp_resolve_fatal(const char *name);

#endif
