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

/* pprof.c: stacks.raw to profile.pb.gz; 0 or -errno. */
int mp_tool_pprof(const char *raw_path, const char *out_path);

/* flame.c: from folded stacks (several files: one picture, one list). */
#include <stdio.h>
int mp_tool_flame_svg(const char *const *folded, int nfiles, const char *svg, const char *title);
int mp_tool_top(const char *const *folded, int nfiles, int n, FILE *out);

/* profile.c: each returns the exit status. */
int mp_tool_profile(int argc, char **argv, const char *library);
int mp_tool_report(int argc, char **argv);

#endif
