/*
 * fidelity.h - one stdout line per call: the return value and errno (or
 * the returned error number), so the runner can compare a plain run with a
 * library run line by line.
 */
#ifndef MAXPROCS_FIDELITY_H
#define MAXPROCS_FIDELITY_H

#include "itest.h"

static inline const char *fd_errname(int err)
{
	const char *name = err ? strerrorname_np(err) : "0";

	return name ? name : "?";
}

/* A call that returns -1 and sets errno; errno is printed even on success
 * (the library must leave it alone then, too). */
#define FD_SYS(what, expr)                                                  \
	do {                                                                \
		long fd_ret_;                                               \
		errno = 0;                                                  \
		fd_ret_ = (long)(expr);                                     \
		printf("%-44s ret=%ld errno=%s\n", what, fd_ret_,           \
		       fd_errname(errno));                                  \
	} while (0)

/* A call that returns 0 or an error number and leaves errno alone. */
#define FD_ERR(what, expr)                                                  \
	do {                                                                \
		int fd_err_;                                                \
		errno = 0;                                                  \
		fd_err_ = (expr);                                           \
		printf("%-44s -> %s errno=%s\n", what, fd_errname(fd_err_), \
		       fd_errname(errno));                                  \
	} while (0)

/* An absolute deadline ms from now on clock. */
static inline struct timespec fd_deadline(clockid_t clock, long ms)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

#endif
