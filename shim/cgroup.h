/*
 * cgroup.h - the tightest cgroup CPU limit on this process, in CPUs.
 * Rules and rounding are in cpus.h.
 */
#ifndef MAXPROCS_SHIM_CGROUP_H
#define MAXPROCS_SHIM_CGROUP_H

#include <stdint.h>

/* ceil(quota/period) of the tightest v1 or v2 quota on the path from this
 * process's cgroup up to the hierarchy's mount; 0 if none is found or the
 * files cannot be read.  Raw system calls only; no allocation. */
uint32_t mp_cgroup_cpu_limit(void);

#endif
