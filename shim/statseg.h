/*
 * statseg.h - the OS side of the live stats segment (layout in
 * statseg_layout.h): the per-user directory, the exclusive file, the
 * shared mapping, its removal.
 *
 * Rules (docs/design.md, "The stats segment"): the directory
 * /dev/shm/maxprocs-UID must be a real directory (not a symlink) owned by
 * this uid with mode 0700, else nothing is created; the file PID is
 * created with O_CREAT|O_EXCL|O_NOFOLLOW, mode 0600.  An existing file at
 * that path is replaced only if it is provably a stale segment of this
 * same PID (a regular file of ours, mode 0600, our magic and pid: left by
 * an earlier image of this process before an exec, or by a dead process
 * whose pid we reuse); anything else there (a symlink, a foreign or
 * malformed file) is refused.
 *
 * Raw system calls only (run on the monitor thread and in the
 * constructor's path); no allocation; the descriptor is closed before
 * return, so nothing is left in the program's descriptor table.
 */
#ifndef MAXPROCS_SHIM_STATSEG_H
#define MAXPROCS_SHIM_STATSEG_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/statseg_layout.h"

struct mp_statseg {
	struct mp_seg_file *file;   /* NULL: no segment */
	int pid;                    /* the process that created it */
	uint64_t dev, ino;          /* the file we made */
	char path[64];
};

/* Create and map the segment of this process, with its header filled and
 * the stats and control parts zeroed.  0, or -errno with *what naming
 * the step that failed ("directory owner", "open", ...). */
int mp_statseg_create(struct mp_statseg *seg, const char **what);

/* Unlink it (the mapping stays until the process ends); nothing unless this process created it (a vfork
 * child shares the parent's memory and must not unmap its segment). */
void mp_statseg_remove(struct mp_statseg *seg);

/* Still our file at our path, whole?  Checked before each publish: a
 * segment removed (a mistaken `rm`) or replaced is dropped, and a
 * truncated one unlinked, so that the caller makes a new one instead of
 * writing where nobody looks, or past the file's end (SIGBUS).  Only a
 * truncation in the microseconds between this check and the write is not
 * covered: only the owner can do it (the file is 0600). */
bool mp_statseg_intact(struct mp_statseg *seg);

/* A fork child: drop the parent's mapping without touching its file. */
void mp_statseg_forget(struct mp_statseg *seg);

/* The library's reader of the control area (pure; the unit tests feed it
 * random bytes).  A seq other than *seen is a new request: *seen takes
 * it, and the result is 1 with *n the request (1..MP_MAXPROCS, or
 * MP_SEG_CONTROL_AUTO) if its check word matches, else -1 (malformed:
 * nothing to apply).  0: no new request. */
int mp_seg_control_take(const struct mp_seg_control *c, uint32_t *seen, uint32_t *n);

/* Field 22 of /proc/self/stat (start time, clock ticks after boot);
 * 0 if unknown. */
uint64_t mp_proc_start_time(void);

/* Pure helper (unit tests): field 22 of the text of a /proc/PID/stat
 * file, whose field 2 is "(comm)" and may hold spaces and ')'. */
uint64_t mp_stat_start_time(const char *text);

#endif
