/*
 * vfork_parent.c - the parent's half of vfork.S, back on its own stack:
 * calls act again, and a failure becomes -1 with errno as in glibc.
 */
#include <errno.h>

#include "sched/sched.h"

__attribute__((visibility("hidden"))) long mp_vfork_parent(long r);

long mp_vfork_parent(long r)
{
	mp_m_vfork_end();
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}
