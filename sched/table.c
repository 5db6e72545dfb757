/*
 * table.c - the core's state, which every other file of sched/ reads, and
 * the clock they all use.  It calls nothing in sched/, so nothing that
 * uses the state makes a circle with the file that defines it (the
 * monitor and init/shutdown in life.c call each other's neighbours
 * otherwise).
 */
#include <time.h>

#include "sched/internal.h"
#include "shim/vdso.h"

/* The tables: static memory today (a shared mapping later: see
 * struct mp_table). */
static struct mp_table mp_table_static;
struct mp_table *mp_tab = &mp_table_static;
struct mp_sched mp_sched;
bool mp_asym;
bool mp_fast_ok;
__thread struct mp_m mp_self __attribute__((tls_model("initial-exec"))) = { .slot = -1 };

/* The monitor's clock: the kernel's CLOCK_MONOTONIC through the vDSO (no
 * system call), never libc's clock_gettime, which a later preload may
 * replace (a frozen clock would make slices never end). */
uint64_t mp_now_ns(void)
{
	int64_t ns = mp_clock_ns(CLOCK_MONOTONIC);
	return ns < 0 ? 0 : (uint64_t)ns;
}
