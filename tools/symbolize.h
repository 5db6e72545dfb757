/*
 * symbolize.h - names, offsets and file:line for a process's frames, from
 * the ELF files of its mappings and their debug information (elfutils
 * libdwfl), in the launcher: never in the profiled program.
 */
#ifndef MAXPROCS_TOOLS_SYMBOLIZE_H
#define MAXPROCS_TOOLS_SYMBOLIZE_H

#include "tools/raw.h"

/* Fill func, func_off, file, line and name of every frame of r.  A frame
 * whose file libdw cannot open or read keeps the library's name. */
void mp_symbolize(struct mp_raw *r);

#endif
