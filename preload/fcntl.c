/*
 * fcntl.c - fcntl and fcntl64: only the commands that wait for a record
 * lock are bracketed; every other command returns at once and passes
 * straight through.  The third argument is an int, a long or a pointer
 * depending on the command; like glibc we fetch it as a pointer-sized word
 * and hand it on unchanged.
 */
#include "preload/real.h"
#include "preload/wrap.h"

#include <stdarg.h>

static inline int mp_fcntl_waits(int cmd)
{
	return cmd == F_SETLKW || cmd == F_SETLKW64 || cmd == F_OFD_SETLKW;
}

MP_EXPORT int fcntl(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	mp_real_fcntl_fn real = mp_real_fcntl();
	if (!mp_fcntl_waits(cmd))
		return real(fd, cmd, arg);
	MP_BRACKET(mp_enter_syscall, MP_CALL_fcntl);
	return real(fd, cmd, arg);
}

MP_EXPORT int fcntl64(int fd, int cmd, ...)
{
	va_list ap;
	void *arg;

	va_start(ap, cmd);
	arg = va_arg(ap, void *);
	va_end(ap);
	mp_real_fcntl64_fn real = mp_real_fcntl64();
	if (!mp_fcntl_waits(cmd))
		return real(fd, cmd, arg);
	MP_BRACKET(mp_enter_syscall, MP_CALL_fcntl64);
	return real(fd, cmd, arg);
}
