/* itstats.h - the library's counters, for tests that check what the
 * scheduler did (built with the project's include directories). */
#ifndef MAXPROCS_TESTS_ITSTATS_H
#define MAXPROCS_TESTS_ITSTATS_H

#include <dlfcn.h>
#include <stdbool.h>

#include "sched/sched.h"

/* The library's counters now (mp_stats_snapshot, found at run time):
 * false, *st untouched, when the library is not loaded. */
static inline bool it_stats(struct mp_stats *st)
{
	static void (*snapshot)(struct mp_stats *);
	if (!snapshot)
		snapshot = (void (*)(struct mp_stats *))dlsym(RTLD_DEFAULT, "mp_stats_snapshot");
	if (!snapshot)
		return false;
	snapshot(st);
	return true;
}

#endif
