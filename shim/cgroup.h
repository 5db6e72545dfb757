/*
 * cgroup.h - the tightest cgroup CPU limit on this process, in CPUs.
 * Rules and rounding are in cpus.h.
 */
#ifndef MAXPROCS_SHIM_CGROUP_H
#define MAXPROCS_SHIM_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* ceil(quota/period) of the tightest v1 or v2 quota on the path from this
 * process's cgroup up to the hierarchy's mount; 0 if none is found or the
 * files cannot be read.  Raw system calls only; no allocation. */
uint32_t mp_cgroup_cpu_limit(void);

/* The same quota as a fraction: true with *quota / *period CPUs (the
 * tightest one), false if there is none. */
bool mp_cgroup_cpu_quota(int64_t *quota, uint64_t *period);

/* Pure helpers of mp_cgroup_cpu_limit, exposed for the unit tests and the
 * fuzzer (tests/fuzz).  The quota-file parsers are in cpus.h. */

/* One line of /proc/self/cgroup, "ID:CONTROLLERS:PATH" without its '\n':
 * PATH goes to v2 for the v2 line ("0::PATH"), to v1cpu for a v1 line whose
 * controllers include "cpu"; other or malformed lines, or a PATH of cap
 * bytes or more, leave both as they are. */
void mp_cgroup_line(const char *line, char *v2, char *v1cpu, size_t cap);

/* One line of /proc/self/mountinfo (modified in place: split and
 * unescaped).  If it is a mount of fstype (for v1, with super option
 * controller; NULL for v2) whose root is a prefix of cgroup path, true with
 * mnt = its mount point and dir = mnt + the rest of path (both < cap). */
bool mp_mountinfo_dir(char *line, const char *path, const char *fstype,
                      const char *controller, char *dir, char *mnt,
                      size_t cap);

#endif
