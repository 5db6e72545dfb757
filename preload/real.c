/*
 * real.c - the real-function pointers of calls.def and their resolvers.
 */
#include "preload/real.h"

#include "shim/resolve.h"

const char *const mp_call_names[MP_CALL_COUNT] = {
#define MP_CALL(class, ret, name, ...) [MP_CALL_##name] = #name,
#include "preload/calls.def"
#undef MP_CALL
};

#define MP_CALL(class, ret, name, params, args, pass_if, try, version)      \
	mp_real_##name##_fn mp_real_##name##_ptr;                           \
	mp_real_##name##_fn mp_real_##name##_resolve(void)                  \
	{                                                                   \
		mp_real_##name##_fn fn =                                    \
		        (mp_real_##name##_fn)mp_resolve(#name, version);    \
		if (!fn)                                                    \
			mp_resolve_fatal(#name);                            \
		__atomic_store_n(&mp_real_##name##_ptr, fn,                 \
		                 __ATOMIC_RELAXED);                         \
		return fn;                                                  \
	}
#include "preload/calls.def"
#undef MP_CALL

/* A row libc lacks stays NULL here: only a call to it is fatal, and a
 * program cannot call what its libc does not have. */
void mp_real_resolve_all(void)
{
#define MP_CALL(class, ret, name, params, args, pass_if, try, version)      \
	__atomic_store_n(&mp_real_##name##_ptr,                             \
	                 (mp_real_##name##_fn)mp_resolve(#name, version),   \
	                 __ATOMIC_RELAXED);
#include "preload/calls.def"
#undef MP_CALL
}
