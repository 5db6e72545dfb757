/*
 * real.h - the real libc functions behind the wrappers, one per row of
 * calls.def:
 *
 *   mp_real_read()  ->  libc's read, resolved in the constructor; resolved
 *                       on first use if a wrapper runs before it (another
 *                       library's constructor, a thread started early).
 *
 * The pointer is read with a relaxed load: a plain mov on the hot path.
 * Two threads resolving at once store the same value.  A generated row's
 * pointer starts as a stub that resolves it (so its wrapper never tests
 * for NULL); a hand-written row's starts NULL.
 */
#ifndef MAXPROCS_PRELOAD_REAL_H
#define MAXPROCS_PRELOAD_REAL_H

#include "preload/libc.h"

/* glibc keeps the pre-2.3.2 condvar ABI under GLIBC_2.2.5 on x86_64; a
 * program linked since 2002 asks for the new one, and we must call it. */
#if defined(__x86_64__)
#define MP_COND_VERSION "GLIBC_2.3.2"
#else
#define MP_COND_VERSION NULL
#endif

/* The id of each row of calls.def, in table order: MP_CALL_read, ...
 * Every bracket names its call (wrap.h); the profiler will index its
 * per-call counters with it. */
enum mp_call_id {
#define MP_CALL(class, ret, name, ...) MP_CALL_##name,
#include "preload/calls.def"
#undef MP_CALL
	MP_CALL_COUNT
};

/* mp_call_names[MP_CALL_read] is "read". */
extern const char *const mp_call_names[MP_CALL_COUNT];

/*
 * mp_real_NAME(): a generated row's pointer is never NULL (it starts as a
 * stub that resolves and calls on: real.c), so its wrapper loads and calls
 * it; a hand-written row's is NULL until resolved.
 */
#define MP_REAL_GET_STUB(name)                                              \
	static inline mp_real_##name##_fn mp_real_##name(void)              \
	{                                                                   \
		return __atomic_load_n(&mp_real_##name##_ptr, __ATOMIC_RELAXED); \
	}
#define MP_REAL_GET_CHECKED(name)                                           \
	static inline mp_real_##name##_fn mp_real_##name(void)              \
	{                                                                   \
		mp_real_##name##_fn fn = __atomic_load_n(                   \
		        &mp_real_##name##_ptr, __ATOMIC_RELAXED);           \
		return __builtin_expect(fn != NULL, 1)                      \
		               ? fn : mp_real_##name##_resolve();           \
	}
#define MP_REAL_GET_MAY_BLOCK(name) MP_REAL_GET_STUB(name)
#define MP_REAL_GET_BLOCKING(name)  MP_REAL_GET_STUB(name)
#define MP_REAL_GET_TRY_FIRST(name) MP_REAL_GET_STUB(name)
#define MP_REAL_GET_LOOK_FIRST(name) MP_REAL_GET_STUB(name)
#define MP_REAL_GET_CUSTOM(name)    MP_REAL_GET_CHECKED(name)
#define MP_REAL_GET_REAL(name)      MP_REAL_GET_CHECKED(name)

#define MP_CALL(class, ret, name, params, args, pass_if, try, version)      \
	ret name params;                                                    \
	typedef ret(*mp_real_##name##_fn) params;                           \
	extern __attribute__((visibility("hidden"))) mp_real_##name##_fn mp_real_##name##_ptr; \
	mp_real_##name##_fn mp_real_##name##_resolve(void);                 \
	MP_REAL_GET_##class(name)
#include "preload/calls.def"
#undef MP_CALL

/* Resolve every row (the constructor). */
void mp_real_resolve_all(void);

#endif
