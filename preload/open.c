/*
 * open.c - open, open64, openat, openat64: variadic, so written by hand.
 * The mode argument exists only when the flags create a file; glibc reads
 * it under the same rule, and ignores the value we pass otherwise.
 */
#include "preload/real.h"
#include "preload/wrap.h"

#include <stdarg.h>

static inline int mp_open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

#define MP_OPEN_MODE(flags, last)                                           \
	mode_t mode = 0;                                                    \
	if (mp_open_needs_mode(flags)) {                                    \
		va_list ap;                                                 \
		va_start(ap, last);                                         \
		mode = (mode_t)va_arg(ap, int);                             \
		va_end(ap);                                                 \
	}

MP_EXPORT int open(const char *path, int flags, ...)
{
	MP_OPEN_MODE(flags, flags);
	mp_real_open_fn real = mp_real_open();
	MP_BRACKET(mp_enter_syscall, MP_CALL_open);
	return real(path, flags, mode);
}

MP_EXPORT int open64(const char *path, int flags, ...)
{
	MP_OPEN_MODE(flags, flags);
	mp_real_open64_fn real = mp_real_open64();
	MP_BRACKET(mp_enter_syscall, MP_CALL_open64);
	return real(path, flags, mode);
}

MP_EXPORT int openat(int dirfd, const char *path, int flags, ...)
{
	MP_OPEN_MODE(flags, flags);
	mp_real_openat_fn real = mp_real_openat();
	MP_BRACKET(mp_enter_syscall, MP_CALL_openat);
	return real(dirfd, path, flags, mode);
}

MP_EXPORT int openat64(int dirfd, const char *path, int flags, ...)
{
	MP_OPEN_MODE(flags, flags);
	mp_real_openat64_fn real = mp_real_openat64();
	MP_BRACKET(mp_enter_syscall, MP_CALL_openat64);
	return real(dirfd, path, flags, mode);
}
