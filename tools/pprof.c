/*
 * pprof.c - DIR/PID/stacks.raw (written by the library, prof/report.c) to
 * DIR/PID/profile.pb.gz: pprof's profile.proto (tools/profile.proto),
 * packed by protobuf-c and gzipped by zlib, so `go tool pprof -top` reads
 * it.  This runs in the launcher, never in the profiled program, which
 * keeps protobuf-c and zlib out of it.
 *
 * Sample types: calls (count, the stacks kept), stall and pwait
 * (nanoseconds, estimated as in docs/profiler.md); the default is stall.
 * Each sample's leaf is a pseudo-frame named after the call (read, ...),
 * then the program's frames with their real addresses and mappings, so
 * pprof can also symbolize them itself.
 */
#include "tools/profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "profile.pb-c.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* Growable arrays, freed with the whole conversion (the launcher exits). */
#define PUSH(arr, n, cap, v)                                                 \
	do {                                                                 \
		if ((n) == (cap)) {                                          \
			(cap) = (cap) ? 2 * (cap) : 64;                      \
			(arr) = realloc((arr), (cap) * sizeof *(arr));       \
			if (!(arr)) {                                        \
				perror("maxprocs: pprof");                   \
				exit(MP_TOOL_EXIT_LAUNCHER);                 \
			}                                                    \
		}                                                            \
		(arr)[(n)++] = (v);                                          \
	} while (0)

static char **strs;
static size_t nstrs, capstrs;

static int64_t str_id(const char *s)
{
	for (size_t i = 0; i < nstrs; i++)
		if (!strcmp(strs[i], s))
			return (int64_t)i;
	char *copy = strdup(s);
	PUSH(strs, nstrs, capstrs, copy);
	return (int64_t)nstrs - 1;
}

struct map { uint64_t start, end, off; char *path; };
struct frame { uint64_t pc; char *name; };
static struct map *maps;
static size_t nmaps, capmaps;
static struct frame *frames;
static size_t nframes, capframes;

static Function **funcs;
static size_t nfuncs, capfuncs;
static Location **locs;
static size_t nlocs, caplocs;
static Sample **samples;
static size_t nsamples, capsamples;

static uint64_t func_id(const char *name)
{
	int64_t n = str_id(name);
	for (size_t i = 0; i < nfuncs; i++)
		if (funcs[i]->name == n)
			return funcs[i]->id;
	Function *f = calloc(1, sizeof *f);
	perftools__profiles__function__init(f);
	f->id = nfuncs + 1;
	f->name = f->system_name = n;
	PUSH(funcs, nfuncs, capfuncs, f);
	return f->id;
}

static const struct map *map_of(uint64_t pc)
{
	for (size_t i = 0; i < nmaps; i++)
		if (pc >= maps[i].start && pc < maps[i].end)
			return &maps[i];
	return NULL;
}

/* The location of a return address pc (the call is at pc - 1), or of a
 * call's pseudo-frame (pc 0, named call). */
static uint64_t loc_id(uint64_t pc, const char *call)
{
	uint64_t addr = pc ? pc - 1 : 0;
	char name[600];
	if (pc) {
		const char *sym = NULL;
		for (size_t i = 0; i < nframes && !sym; i++)
			if (frames[i].pc == pc && strcmp(frames[i].name, "?"))
				sym = frames[i].name;
		const struct map *m = map_of(pc);
		if (sym) {
			snprintf(name, sizeof name, "%s", sym);
		} else if (m) {
			const char *base = strrchr(m->path, '/');
			snprintf(name, sizeof name, "%s+0x%llx", base ? base + 1 : m->path,
			         (unsigned long long)(addr - m->start + m->off));
		} else {
			snprintf(name, sizeof name, "0x%llx", (unsigned long long)addr);
		}
	} else {
		snprintf(name, sizeof name, "%s", call);
	}
	uint64_t fid = func_id(name);
	for (size_t i = 0; i < nlocs; i++)
		if (locs[i]->address == addr && locs[i]->line[0]->function_id == fid)
			return locs[i]->id;
	Location *l = calloc(1, sizeof *l);
	Line *ln = calloc(1, sizeof *ln);
	Line **lines = calloc(1, sizeof *lines);
	perftools__profiles__location__init(l);
	perftools__profiles__line__init(ln);
	ln->function_id = fid;
	lines[0] = ln;
	l->id = nlocs + 1;
	l->address = addr;
	l->n_line = 1;
	l->line = lines;
	const struct map *m = pc ? map_of(pc) : NULL;
	l->mapping_id = m ? (uint64_t)(m - maps) + 1 : 0;
	PUSH(locs, nlocs, caplocs, l);
	return l->id;
}

static int gzip_write(const char *path, const uint8_t *buf, size_t len)
{
	gzFile gz = gzopen(path, "wb9");
	if (!gz)
		return -errno;
	size_t done = 0;
	while (done < len) {
		unsigned chunk = len - done > (1u << 30) ? 1u << 30 : (unsigned)(len - done);
		int n = gzwrite(gz, buf + done, chunk);
		if (n <= 0) {
			gzclose(gz);
			return -EIO;
		}
		done += (size_t)n;
	}
	return gzclose(gz) == Z_OK ? 0 : -EIO;
}

int mp_tool_pprof(const char *raw_path, const char *out_path)
{
	FILE *f = fopen(raw_path, "r");
	if (!f)
		return -errno;
	nstrs = nmaps = nframes = nfuncs = nlocs = nsamples = 0;
	str_id("");
	char line[65536];
	if (!fgets(line, sizeof line, f) || strncmp(line, "maxprocs-stacks 1", 17) != 0) {
		fclose(f);
		return -EINVAL;
	}
	while (fgets(line, sizeof line, f)) {
		char *save = NULL, *kind = strtok_r(line, " \n", &save);
		if (!kind)
			continue;
		if (!strcmp(kind, "mapping")) {
			struct map m = { 0, 0, 0, NULL };
			char *a = strtok_r(NULL, " \n", &save), *b = strtok_r(NULL, " \n", &save);
			char *c = strtok_r(NULL, " \n", &save), *p = strtok_r(NULL, "\n", &save);
			if (!a || !b || !c || !p)
				continue;
			m.start = strtoull(a, NULL, 16);
			m.end = strtoull(b, NULL, 16);
			m.off = strtoull(c, NULL, 16);
			m.path = strdup(p);
			PUSH(maps, nmaps, capmaps, m);
		} else if (!strcmp(kind, "frame")) {
			char *a = strtok_r(NULL, " \n", &save), *n = strtok_r(NULL, " \n", &save);
			if (!a || !n)
				continue;
			struct frame fr = { strtoull(a, NULL, 16), strdup(n) };
			PUSH(frames, nframes, capframes, fr);
		} else if (!strcmp(kind, "stack")) {
			char *call = strtok_r(NULL, " \n", &save);
			char *st = strtok_r(NULL, " \n", &save), *pw = strtok_r(NULL, " \n", &save);
			char *kept = strtok_r(NULL, " \n", &save);
			if (!call || !st || !pw || !kept)
				continue;
			uint64_t *ids = NULL;
			size_t nids = 0, capids = 0;
			uint64_t leaf = loc_id(0, call);
			PUSH(ids, nids, capids, leaf);
			for (char *pc; (pc = strtok_r(NULL, " \n", &save)) != NULL;) {
				uint64_t id = loc_id(strtoull(pc, NULL, 16), call);
				PUSH(ids, nids, capids, id);
			}
			Sample *s = calloc(1, sizeof *s);
			int64_t *v = calloc(3, sizeof *v);
			perftools__profiles__sample__init(s);
			v[0] = (int64_t)strtoull(kept, NULL, 10);
			v[1] = (int64_t)strtoull(st, NULL, 10);
			v[2] = (int64_t)strtoull(pw, NULL, 10);
			s->n_location_id = nids;
			s->location_id = ids;
			s->n_value = 3;
			s->value = v;
			PUSH(samples, nsamples, capsamples, s);
		}
	}
	fclose(f);

	static const char *const types[3][2] = {
		{ "calls", "count" }, { "stall", "nanoseconds" }, { "pwait", "nanoseconds" },
	};
	ValueType vt[3], *vtp[3];
	for (int i = 0; i < 3; i++) {
		perftools__profiles__value_type__init(&vt[i]);
		vt[i].type = str_id(types[i][0]);
		vt[i].unit = str_id(types[i][1]);
		vtp[i] = &vt[i];
	}
	Mapping **mp = calloc(nmaps ? nmaps : 1, sizeof *mp);
	for (size_t i = 0; i < nmaps; i++) {
		mp[i] = calloc(1, sizeof *mp[i]);
		perftools__profiles__mapping__init(mp[i]);
		mp[i]->id = i + 1;
		mp[i]->memory_start = maps[i].start;
		mp[i]->memory_limit = maps[i].end;
		mp[i]->file_offset = maps[i].off;
		mp[i]->filename = str_id(maps[i].path);
		mp[i]->has_functions = 1;
	}
	int64_t comment = str_id("maxprocs profile: stall and pwait estimated (docs/profiler.md)");
	Profile p;
	perftools__profiles__profile__init(&p);
	p.n_sample_type = 3;
	p.sample_type = vtp;
	p.n_sample = nsamples;
	p.sample = samples;
	p.n_mapping = nmaps;
	p.mapping = mp;
	p.n_location = nlocs;
	p.location = locs;
	p.n_function = nfuncs;
	p.function = funcs;
	p.n_comment = 1;
	p.comment = &comment;
	p.default_sample_type = vt[1].type;
	p.n_string_table = nstrs;   /* last: every str_id above is in */
	p.string_table = strs;
	size_t len = perftools__profiles__profile__get_packed_size(&p);
	uint8_t *buf = malloc(len ? len : 1);
	if (!buf)
		return -ENOMEM;
	perftools__profiles__profile__pack(&p, buf);
	int r = gzip_write(out_path, buf, len);
	free(buf);
	return r;
}
