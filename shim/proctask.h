/*
 * proctask.h - what the kernel says about one of our threads, read from
 * /proc/self/task/TID/status and syscall with raw system calls only (the
 * monitor must not go through interposed open/read, and must not
 * allocate).  One reading thread: the files stay open between reads, in
 * a small cache of its own (not locked).
 *
 * Call mp_proctask_private_fds() once on the reading thread first: the
 * descriptors the reads open then live in a table of that thread's own,
 * so the program's open() still gets the lowest free descriptor, a full
 * descriptor table does not stop the probe, and the program never sees
 * our descriptors.
 */
#ifndef MAXPROCS_SHIM_PROCTASK_H
#define MAXPROCS_SHIM_PROCTASK_H

#include <stdbool.h>
#include <stdint.h>

struct mp_task_info {
	char state;          /* 'R', 'S', 'D', 'Z', 'T', 't', 'X', ... */
	uint64_t sig_pending; /* SigPnd: signals pending for the thread itself */
	uint64_t sig_blocked; /* SigBlk */
	/* voluntary_ctxt_switches: how often it has slept; MP_NVCSW_UNKNOWN
	 * when the file has no such line. */
	uint64_t nvcsw;
};
#define MP_NVCSW_UNKNOWN UINT64_MAX

/* Give the calling thread a descriptor table of its own, empty but for a
 * pidfd of our process (opened after the unshare, so never in the
 * program's table), through which mp_proctask_borrow_fd reaches the
 * program's descriptors (or /proc/self/fd without one).  0, or -errno
 * when the kernel cannot (the caller must then not probe: a probe would
 * take the program's lowest free descriptor). */
int mp_proctask_private_fds(void);

/* Make fd in the private table a copy of the program's fd (for a trace
 * line to the program's stderr as it is now); return it when done.
 * 0 or -errno. */
int mp_proctask_borrow_fd(int fd);
void mp_proctask_return_fd(int fd);

/* Fill *out for thread tid of this process.  0 or -errno. */
int mp_proctask_read(int tid, struct mp_task_info *out);

/* 1 if thread tid is running or runnable (its syscall file says
 * "running"), 0 if it sleeps, or -errno.  Far cheaper than
 * mp_proctask_read, but it says nothing of signals, and for a thread on
 * its way to sleep the kernel waits until it is off its CPU (up to a
 * tick): ask it of threads known to be computing.  Not of the caller
 * itself (its file shows the read in progress). */
int mp_proctask_running(int tid);

/* Parse the text of a status file (exposed for the unit tests). */
int mp_proctask_parse(const char *text, long len, struct mp_task_info *out);

/* The Seccomp: field of /proc/self/status: 0 off, 1 strict, 2 filter; -1
 * unknown.  Raw calls, a buffer on the stack; works before any private
 * table (it opens one descriptor of the caller's table and closes it). */
int mp_proc_seccomp_mode(void);

static inline bool mp_sigmask_has(uint64_t mask, int sig)
{
	return sig > 0 && sig <= 64 && (mask >> (sig - 1)) & 1;
}

#endif
