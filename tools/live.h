/*
 * live.h - the live subcommands on the stats segments of running capped
 * programs (shim/statseg_layout.h): `maxprocs ps`, `maxprocs top` and
 * `maxprocs set`.  Each returns the process's exit status.
 */
#ifndef MAXPROCS_TOOLS_LIVE_H
#define MAXPROCS_TOOLS_LIVE_H

int mp_tool_live_ps(int argc, char **argv);
int mp_tool_live_top(int argc, char **argv);
int mp_tool_live_set(int argc, char **argv);

#endif
