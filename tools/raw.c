/*
 * raw.c - read DIR/PID/stacks.raw (raw.h; the format is the comment of
 * write_raw in prof/report.c).  Unknown lines are skipped, so that the
 * library may add kinds of lines without breaking an older launcher.
 */
#include "tools/raw.h"

#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "tools/profile.h"

void mp_out_of_memory(void)
{
	fputs("maxprocs: out of memory\n", stderr);
	exit(MP_TOOL_EXIT_LAUNCHER);
}

void *mp_xrealloc(void *p, size_t size)
{
	p = realloc(p, size ? size : 1);
	if (!p)
		mp_out_of_memory();
	return p;
}

void *mp_xcalloc(size_t n, size_t size)
{
	void *p = calloc(n ? n : 1, size ? size : 1);
	if (!p)
		mp_out_of_memory();
	return p;
}

char *mp_xstrdup(const char *s)
{
	size_t n = strlen(s) + 1;
	return memcpy(mp_xrealloc(NULL, n), s, n);
}

/* The frames by pc while reading: open addressing over indices + 1. */
struct pc_index {
	size_t *slot, cap;
	size_t capframes;          /* of r->frames */
};

static size_t pc_slot(const struct pc_index *ix, const struct mp_raw *r, uint64_t pc)
{
	size_t i = (size_t)((pc * 0x9e3779b97f4a7c15ull) >> 20) & (ix->cap - 1);
	while (ix->slot[i] && r->frames[ix->slot[i] - 1].pc != pc)
		i = (i + 1) & (ix->cap - 1);
	return i;
}

static size_t frame_of(struct mp_raw *r, struct pc_index *ix, uint64_t pc)
{
	if (2 * (r->nframes + 1) > ix->cap) {
		size_t *old = ix->slot, oldcap = ix->cap;
		ix->cap = ix->cap ? 2 * ix->cap : 1024;
		ix->slot = mp_xcalloc(ix->cap, sizeof *ix->slot);
		for (size_t i = 0; i < oldcap; i++)
			if (old[i])
				ix->slot[pc_slot(ix, r, r->frames[old[i] - 1].pc)] = old[i];
		free(old);
	}
	size_t s = pc_slot(ix, r, pc);
	if (!ix->slot[s]) {
		struct mp_raw_frame f = { .pc = pc };
		MP_PUSH(r->frames, r->nframes, ix->capframes, f);
		ix->slot[s] = r->nframes;
	}
	return ix->slot[s] - 1;
}

static char *field(char **save)
{
	return strtok_r(NULL, " \n", save);
}

/* The rest of the line, without its newline (names may hold blanks). */
static char *rest(char **save)
{
	char *s = strtok_r(NULL, "\n", save);
	return s ? s : (char *)"";
}

static uint64_t hex(const char *s) { return s ? strtoull(s, NULL, 16) : 0; }
static uint64_t dec(const char *s) { return s ? strtoull(s, NULL, 10) : 0; }

int mp_raw_read(const char *path, struct mp_raw *r)
{
	memset(r, 0, sizeof *r);
	FILE *f = fopen(path, "r");
	if (!f)
		return -errno;
	char *line = NULL;
	size_t cap = 0;
	if (getline(&line, &cap, f) < 0 || strcmp(line, "maxprocs-stacks 2\n") != 0) {
		free(line);
		fclose(f);
		return -EINVAL;
	}
	size_t capmaps = 0, capthreads = 0, capcalls = 0, capstacks = 0;
	struct pc_index ix = { NULL, 0, 0 };
	/* "frame" lines come before the stacks: their names wait here. */
	struct { uint64_t pc; char *name; } *names = NULL;
	size_t nnames = 0, capnames = 0;
	while (getline(&line, &cap, f) > 0) {
		char *save = NULL, *kind = strtok_r(line, " \n", &save);
		if (!kind)
			continue;
		if (!strcmp(kind, "process")) {
			r->pid = (long)dec(field(&save));
			r->wall_ns = dec(field(&save));
			char *start = field(&save), *tpns = field(&save), *why = field(&save);
			r->start_ns = start ? strtoll(start, NULL, 10) : 0;
			r->ticks_per_ns = tpns ? strtod(tpns, NULL) : 1.0;
			r->why = mp_xstrdup(why ? why : "?");
			r->program = mp_xstrdup(rest(&save));
		} else if (!strcmp(kind, "mapping")) {
			char *a = field(&save), *b = field(&save), *off = field(&save), *bias = field(&save);
			char *p = rest(&save);
			if (!bias || !*p)
				continue;
			struct mp_raw_map m = { hex(a), hex(b), hex(off), hex(bias), mp_xstrdup(p) };
			MP_PUSH(r->maps, r->nmaps, capmaps, m);
		} else if (!strcmp(kind, "thread")) {
			char *tid = field(&save);
			struct mp_raw_thread t = { (long)dec(tid), mp_xstrdup(rest(&save)) };
			MP_PUSH(r->threads, r->nthreads, capthreads, t);
		} else if (!strcmp(kind, "call")) {
			struct mp_raw_call c;
			memset(&c, 0, sizeof c);
			char *name = field(&save);
			if (!name)
				continue;
			c.name = mp_xstrdup(name);
			c.count = dec(field(&save));
			c.stall_ns = dec(field(&save));
			c.pwait_ns = dec(field(&save));
			c.max_stall_ns = dec(field(&save));
			c.max_pwait_ns = dec(field(&save));
			for (char *h; c.nhist < MP_RAW_HIST_MAX && (h = field(&save)) != NULL;)
				c.hist[c.nhist++] = dec(h);
			MP_PUSH(r->calls, r->ncalls, capcalls, c);
		} else if (!strcmp(kind, "frame")) {
			char *pc = field(&save), *name = field(&save);
			if (!pc || !name || !strcmp(name, "?"))
				continue;
			MP_PUSH(names, nnames, capnames, ((__typeof__(*names)){ hex(pc), mp_xstrdup(name) }));
		} else if (!strcmp(kind, "stack")) {
			char *call = field(&save), *tid = field(&save);
			char *st = field(&save), *pw = field(&save), *kept = field(&save);
			if (!kept)
				continue;
			struct mp_raw_stack s = { mp_xstrdup(call), (long)dec(tid), dec(st), dec(pw),
			                          dec(kept), 0, NULL };
			size_t capf = 0;
			for (char *pc; (pc = field(&save)) != NULL;) {
				size_t fi = frame_of(r, &ix, hex(pc));
				MP_PUSH(s.frame, s.depth, capf, fi);
			}
			MP_PUSH(r->stacks, r->nstacks, capstacks, s);
		}
	}
	free(line);
	fclose(f);
	for (size_t i = 0; i < nnames; i++) {
		size_t s = ix.cap ? pc_slot(&ix, r, names[i].pc) : 0;
		if (ix.cap && ix.slot[s] && !r->frames[ix.slot[s] - 1].lib_name)
			r->frames[ix.slot[s] - 1].lib_name = names[i].name;
		else
			free(names[i].name);
	}
	free(names);
	free(ix.slot);
	/* maps is complete now (no more realloc); pc - 1 is the call */
	for (size_t i = 0; i < r->nframes; i++)
		for (size_t m = 0; m < r->nmaps && !r->frames[i].map; m++)
			if (r->frames[i].pc > r->maps[m].start && r->frames[i].pc <= r->maps[m].end)
				r->frames[i].map = &r->maps[m];
	if (!r->program) {   /* no process line: a truncated file */
		r->program = mp_xstrdup("?");
		r->why = mp_xstrdup("?");
		r->ticks_per_ns = 1.0;
	}
	return 0;
}

void mp_raw_free(struct mp_raw *r)
{
	for (size_t i = 0; i < r->nmaps; i++)
		free(r->maps[i].path);
	for (size_t i = 0; i < r->nthreads; i++)
		free(r->threads[i].name);
	for (size_t i = 0; i < r->ncalls; i++)
		free(r->calls[i].name);
	for (size_t i = 0; i < r->nframes; i++) {
		free(r->frames[i].lib_name);
		free(r->frames[i].func);
		free(r->frames[i].file);
		free(r->frames[i].name);
	}
	for (size_t i = 0; i < r->nstacks; i++) {
		free(r->stacks[i].call);
		free(r->stacks[i].frame);
	}
	free(r->maps);
	free(r->threads);
	free(r->calls);
	free(r->frames);
	free(r->stacks);
	free(r->program);
	free(r->why);
	memset(r, 0, sizeof *r);
}

const char *mp_raw_thread_name(const struct mp_raw *r, long tid)
{
	/* the last: a tid reused by a later thread names the later one */
	for (size_t i = r->nthreads; i-- > 0;)
		if (r->threads[i].tid == tid)
			return r->threads[i].name;
	return "";
}

const char *mp_raw_object(const struct mp_raw_frame *f)
{
	if (!f->map)
		return "?";
	const char *base = strrchr(f->map->path, '/');
	return base ? base + 1 : f->map->path;
}

void mp_raw_where(const struct mp_raw_frame *f, char *buf, size_t len)
{
	int n;
	if (f->func)
		n = snprintf(buf, len, "%s+0x%llx (%s)", f->func, (unsigned long long)f->func_off,
		             mp_raw_object(f));
	else if (f->lib_name)
		n = snprintf(buf, len, "%s (%s)", f->lib_name, mp_raw_object(f));
	else
		n = snprintf(buf, len, "%s", f->name ? f->name : "?");
	if (f->file && n > 0 && (size_t)n < len) {
		const char *base = strrchr(f->file, '/');
		snprintf(buf + n, len - (size_t)n, " %s:%d", base ? base + 1 : f->file, f->line);
	}
}
