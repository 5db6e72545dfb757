/*
 * wrappers.c - the wrappers of every MAY_BLOCK and BLOCKING row of
 * calls.def.  Each one is:
 *
 *   ssize_t read(int fd, void *buf, size_t n)
 *   {
 *       mp_real_read_fn real = mp_real_read();
 *       if (pass_if)
 *           return real(fd, buf, n);
 *       MP_BRACKET(mp_enter_syscall);
 *       return real(fd, buf, n);
 *   }
 */
#include "preload/real.h"
#include "preload/wrap.h"


#define MP_WRAPPER(enter, ret, name, params, args, pass_if)                 \
	MP_EXPORT ret name params                                           \
	{                                                                   \
		mp_real_##name##_fn real = mp_real_##name();                \
		if (pass_if)                                                \
			return real args;                                   \
		MP_BRACKET(enter);                                          \
		return real args;                                           \
	}
#define MP_WRAP_MAY_BLOCK(...) MP_WRAPPER(mp_enter_syscall, __VA_ARGS__)
#define MP_WRAP_BLOCKING(...) MP_WRAPPER(mp_enter_blocking, __VA_ARGS__)
#define MP_WRAP_CUSTOM(...)
#define MP_WRAP_REAL(...)

#define MP_CALL(class, ret, name, params, args, pass_if, version)           \
	MP_WRAP_##class(ret, name, params, args, pass_if)
#include "preload/calls.def"
#undef MP_CALL
