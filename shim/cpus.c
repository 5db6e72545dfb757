/*
 * cpus.c - the default P count (rules in cpus.h).
 */
#include "shim/cpus.h"

#include "shim/limits.h"
#include "shim/cgroup.h"
#include "shim/raw_syscall.h"

/* CPUs in our affinity mask; 1 if it cannot be read.  The raw call returns
 * the mask size the kernel wrote; bits past it are zero. */
uint32_t mp_cpus_affinity(void)
{
	unsigned long mask[1024 / sizeof(unsigned long)];   /* 8192 CPUs */
	long r = mp_raw_syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	uint32_t n = 0;

	if (r <= 0)
		return 1;
	for (size_t i = 0; i < (size_t)r / sizeof(mask[0]); i++)
		n += (uint32_t)__builtin_popcountl(mask[i]);
	return n ? n : 1;
}

uint32_t mp_cpus_apply_limit(uint32_t cpus, uint32_t limit)
{
	uint32_t n = cpus ? cpus : 1;

	if (limit) {
		if (limit < 2)
			limit = 2;
		if (limit < n)
			n = limit;
	}
	return n;
}

uint32_t mp_cpus_default(struct mp_cpus_info *info)
{
	uint32_t cpus = mp_cpus_affinity();
	uint32_t limit = mp_cgroup_cpu_limit();
	uint32_t n = mp_cpus_apply_limit(cpus, limit);

	if (n > MP_MAXPROCS)
		n = MP_MAXPROCS;
	if (info) {
		info->affinity = cpus;
		info->quota_limit = limit;
		info->result = n;
	}
	return n;
}
