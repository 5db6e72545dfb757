/*
 * profile.h - the launcher's subcommands (profile.c) and what they share
 * with its main part (maxprocs.c).
 */
#ifndef MAXPROCS_TOOLS_PROFILE_H
#define MAXPROCS_TOOLS_PROFILE_H

#include <stdbool.h>

#include "shim/limits.h"

#define MP_TOOL_EXIT_USAGE 2        /* bad arguments */
#define MP_TOOL_EXIT_LAUNCHER 125   /* the launcher itself failed (as env(1)) */
#define MP_TOOL_MAXPROCS MP_MAXPROCS

/* maxprocs.c */
__attribute__((format(printf, 1, 2), noreturn)) void mp_tool_die_usage(const char *fmt, ...);
void mp_tool_check_value(const char *opt, const char *val, long min, long max);
void mp_tool_set_preload(const char *library);
void mp_tool_set_env(const char *name, const char *value);
int mp_tool_exec_program(char **argv);
void mp_tool_set_wait_policy(void);   /* OMP_WAIT_POLICY=PASSIVE unless set */

/* pprof.c: processes' stacks (raw.h, symbolized) to one profile.pb.gz;
 * 0 or -errno. */
#include <stddef.h>
struct mp_raw;
int mp_tool_pprof(const struct mp_raw *const *procs, size_t nprocs, const char *out_path);

/* tree.c: every DIR/PID/stacks.raw symbolized, the process's files
 * rewritten with those names and its profile.pb.gz written, then DIR's
 * own files for the whole tree (summary.txt, stalls.folded, pwait.folded,
 * profile.pb.gz, trace.json).  Returns how many processes had a
 * stacks.raw; quiet: no message for a file that could not be written. */
int mp_tool_tree(const char *dir, bool quiet);

/* flame.c: from folded stacks (several files: one picture, one list). */
#include <stdio.h>
int mp_tool_flame_svg(const char *const *folded, int nfiles, const char *svg, const char *title);
int mp_tool_top(const char *const *folded, int nfiles, int n, FILE *out);

/* profile.c: each returns the exit status. */
int mp_tool_profile(int argc, char **argv, const char *library);
int mp_tool_report(int argc, char **argv);

#endif
