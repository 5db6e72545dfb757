/*
 * resolve.c - real-symbol lookup (see resolve.h).
 */
#include "shim/resolve.h"

#include <dlfcn.h>
#include <errno.h>
#include <stdlib.h>
#include "shim/line.h"

static bool mp_resolve_debug;

void mp_resolve_set_debug(bool on)
{
	mp_resolve_debug = on;
}

static void *mp_resolve_in_libc(const char *name, const char *version)
{
	void *libc = dlopen("libc.so.6", RTLD_LAZY | RTLD_NOLOAD);
	void *p = NULL;

	if (!libc)
		return NULL;
	if (version)
		p = dlvsym(libc, name, version);
	if (!p)
		p = dlsym(libc, name);
	dlclose(libc);
	return p;
}

void *mp_resolve(const char *name, const char *version)
{
	int saved = errno;
	void *p = NULL;

	if (version)
		p = dlvsym(RTLD_NEXT, name, version);
	if (!p)
		p = dlsym(RTLD_NEXT, name);
	if (!p)
		p = mp_resolve_in_libc(name, version);
	if (!p && mp_resolve_debug) {
		struct mp_line ln;

		mp_line_init(&ln);
		mp_line_str(&ln, "maxprocs: debug: no definition of ");
		mp_line_str(&ln, name);
		mp_line_str(&ln, " after us");
		mp_line_write(&ln, 2);
	}
	errno = saved;
	return p;
}

void mp_resolve_fatal(const char *name)
{
	struct mp_line ln;

	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: cannot find the real ");
	mp_line_str(&ln, name);
	mp_line_str(&ln, " (not in libc.so.6?); aborting");
	mp_line_write(&ln, 2);
	abort();
}
