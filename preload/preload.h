/*
 * preload.h - the library's life, shared by init.c (constructor and
 * destructor), fork.c (fork children) and thread.c (new threads).
 */
#ifndef MAXPROCS_PRELOAD_PRELOAD_H
#define MAXPROCS_PRELOAD_PRELOAD_H

#include <stdbool.h>

/* One line on stderr, then every call passes straight through. */
void mp_preload_fail(const char *what, int err);

/* The monitor is needed only once a second M can exist, so it is started
 * by pthread_create (ensure), or at once when schedtrace is on and threads
 * may be created (may_start: false after _Fork).  Called at init and in
 * fork children (which have no monitor). */
void mp_preload_monitor_later(bool may_start);
/* Start the monitor unless it runs (one load when it does); after
 * mp_m_reserve().  On failure: mp_preload_fail. */
void mp_preload_monitor_ensure(void);

/* fork.c: register the fork child handler (0 or an errno). */
int mp_fork_install(void);
/* fork.c: in the child of a fork that ran no atfork handlers (_Fork, raw
 * syscall(SYS_fork)): a fresh scheduler, the monitor left to the next
 * pthread_create.  Async-signal-safe. */
void mp_fork_child_reset(void);
/* fork.c: clone flags that make a task sharing the caller's TLS. */
bool mp_clone_shares_tls(unsigned long flags);

#endif
