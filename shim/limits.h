/*
 * limits.h - limits shared by every layer (shim, sched, the launcher).
 * Pure constants: no declarations, no includes, so tools/ may include it.
 */
#ifndef MAXPROCS_SHIM_LIMITS_H
#define MAXPROCS_SHIM_LIMITS_H

#define MP_MAXPROCS 1024                  /* largest P table */

#endif
