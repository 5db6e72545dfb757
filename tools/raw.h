/*
 * raw.h - one process's DIR/PID/stacks.raw (written by the library:
 * prof/report.c, write_raw, whose comment is the format) in memory, its
 * frames symbolized by symbolize.c.  The launcher makes everything else
 * from it: profile.pb.gz (pprof.c), the folded files and the top stacks
 * with better names, and the process tree's merged files (tree.c).
 */
#ifndef MAXPROCS_TOOLS_RAW_H
#define MAXPROCS_TOOLS_RAW_H

#include <stddef.h>
#include <stdint.h>

#define MP_RAW_HIST_MAX 64   /* the library writes MP_PROF_HIST (48) buckets */

struct mp_raw_map {
	uint64_t start, end, off, bias;   /* one executable segment */
	char *path;
};

struct mp_raw_thread {
	long tid;
	char *name;
};

/* One call's exact figures, all threads of the process. */
struct mp_raw_call {
	char *name;
	uint64_t count, stall_ns, pwait_ns, max_stall_ns, max_pwait_ns;
	unsigned nhist;
	uint64_t hist[MP_RAW_HIST_MAX];   /* [b]: stalls of 2^b to 2^(b+1) ticks */
};

/* One distinct return address of the process's stacks. */
struct mp_raw_frame {
	uint64_t pc;
	const struct mp_raw_map *map;     /* NULL: in no mapping written */
	char *lib_name;                   /* the library's (dladdr) name, or NULL */
	/* symbolize.c: */
	char *func;                       /* NULL: no symbol found */
	uint64_t func_off;                /* of the call (pc - 1) in func */
	char *file;                       /* source file, NULL without debug info */
	int line;
	char *name;                       /* func, lib_name, or object+0xVADDR */
};

struct mp_raw_stack {
	char *call;
	long tid;
	uint64_t stall_ns, pwait_ns, kept;
	size_t depth;
	size_t *frame;                    /* [depth] indices into frames, innermost first */
};

struct mp_raw {
	long pid;
	char *program, *why;
	uint64_t wall_ns;
	int64_t start_ns;                 /* CLOCK_MONOTONIC at trace.json's ts 0 */
	double ticks_per_ns;
	struct mp_raw_map *maps;
	size_t nmaps;
	struct mp_raw_thread *threads;
	size_t nthreads;
	struct mp_raw_call *calls;
	size_t ncalls;
	struct mp_raw_frame *frames;
	size_t nframes;
	struct mp_raw_stack *stacks;
	size_t nstacks;
};

/* 0, or -errno (-EINVAL: not a stacks.raw of version 2). */
int mp_raw_read(const char *path, struct mp_raw *r);
void mp_raw_free(struct mp_raw *r);

/* The thread's name ("" if it made no call the library kept). */
const char *mp_raw_thread_name(const struct mp_raw *r, long tid);

/* The object a frame is in, without its directory ("?" if none). */
const char *mp_raw_object(const struct mp_raw_frame *f);

/* A frame for a person: "func+0x1c (object) file.c:123", as much of it as
 * is known. */
void mp_raw_where(const struct mp_raw_frame *f, char *buf, size_t len);

/* The malloc family, or the launcher dies with one line. */
__attribute__((noreturn)) void mp_out_of_memory(void);
void *mp_xrealloc(void *p, size_t size);
void *mp_xcalloc(size_t n, size_t size);
char *mp_xstrdup(const char *s);

#define MP_PUSH(arr, n, cap, v)                                                       \
	do {                                                                          \
		if ((n) == (cap)) {                                                   \
			(cap) = (cap) ? 2 * (cap) : 16;                               \
			(arr) = mp_xrealloc((arr), (cap) * sizeof *(arr));            \
		}                                                                     \
		(arr)[(n)++] = (v);                                                   \
	} while (0)

#endif
