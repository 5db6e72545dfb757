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

#define MP_RESOLVER(name, version)                                          \
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
/* A generated row: the pointer starts as a stub that resolves, then calls. */
#define MP_REAL_STUB(ret, name, params, args, version)                      \
	static ret mp_real_##name##_stub params                             \
	{                                                                   \
		return mp_real_##name##_resolve() args;                     \
	}                                                                   \
	mp_real_##name##_fn mp_real_##name##_ptr = mp_real_##name##_stub;   \
	MP_RESOLVER(name, version)
#define MP_REAL_NULL(ret, name, params, args, version)                      \
	mp_real_##name##_fn mp_real_##name##_ptr;                           \
	MP_RESOLVER(name, version)
#define MP_REAL_MAY_BLOCK MP_REAL_STUB
#define MP_REAL_BLOCKING  MP_REAL_STUB
#define MP_REAL_TRY_FIRST MP_REAL_STUB
#define MP_REAL_LOOK_FIRST MP_REAL_STUB
#define MP_REAL_CUSTOM    MP_REAL_NULL
#define MP_REAL_REAL      MP_REAL_NULL

#define MP_CALL(class, ret, name, params, args, pass_if, try, version)      \
	MP_REAL_##class(ret, name, params, args, version)
#include "preload/calls.def"
#undef MP_CALL

/* A row libc lacks keeps its stub (generated rows) or NULL: only a call
 * to it is fatal, and a program cannot call what its libc does not have. */
void mp_real_resolve_all(void)
{
#define MP_CALL(class, ret, name, params, args, pass_if, try, version)      \
	{                                                                   \
		mp_real_##name##_fn fn =                                    \
		        (mp_real_##name##_fn)mp_resolve(#name, version);    \
		if (fn)                                                     \
			__atomic_store_n(&mp_real_##name##_ptr, fn,         \
			                 __ATOMIC_RELAXED);                 \
	}
#include "preload/calls.def"
#undef MP_CALL
}
