/*
 * pprof.c - processes' stacks (stacks.raw, read and symbolized) to one
 * profile.pb.gz: pprof's profile.proto (tools/profile.proto), packed by
 * protobuf-c and gzipped by zlib, so that `go tool pprof` reads it.  This
 * runs in the launcher, never in the profiled program, which keeps
 * protobuf-c and zlib out of it.
 *
 * Sample types: calls (count, the stacks kept), stall and pwait
 * (nanoseconds, estimated as in docs/profiler.md); the default is stall.
 * A sample is one thread's stack: labels thread (its name), tid and pid.
 * Its leaf is a pseudo-frame named after the call (read, ...), then the
 * program's frames with their real addresses and mappings; the functions
 * have the names symbolize.c found (static ones too) and, with debug
 * information, their source file and line.
 */
#include "tools/profile.h"

#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <zlib.h>

#include "profile.pb-c.h"
#include "tools/raw.h"

typedef Perftools__Profiles__Profile Profile;
typedef Perftools__Profiles__ValueType ValueType;
typedef Perftools__Profiles__Sample Sample;
typedef Perftools__Profiles__Label Label;
typedef Perftools__Profiles__Mapping Mapping;
typedef Perftools__Profiles__Location Location;
typedef Perftools__Profiles__Line Line;
typedef Perftools__Profiles__Function Function;

/* A string-keyed map to ids (open addressing): the string table, and the
 * functions and locations by what makes them distinct. */
struct idmap {
	char **key;
	uint64_t *id;
	size_t cap, n;
};

static uint64_t fnv(const char *s)
{
	uint64_t h = 0xcbf29ce484222325ull;
	for (; *s; s++)
		h = (h ^ (unsigned char)*s) * 0x100000001b3ull;
	return h;
}

static size_t idmap_slot(const struct idmap *m, const char *key)
{
	size_t i = (size_t)fnv(key) & (m->cap - 1);
	while (m->key[i] && strcmp(m->key[i], key))
		i = (i + 1) & (m->cap - 1);
	return i;
}

/* The id of key, or 0 if new (then the caller sets it with idmap_set). */
static uint64_t idmap_get(struct idmap *m, const char *key)
{
	if (2 * (m->n + 1) > m->cap) {
		struct idmap old = *m;
		m->cap = m->cap ? 2 * m->cap : 256;
		m->key = mp_xcalloc(m->cap, sizeof *m->key);
		m->id = mp_xcalloc(m->cap, sizeof *m->id);
		for (size_t i = 0; i < old.cap; i++)
			if (old.key[i]) {
				size_t s = idmap_slot(m, old.key[i]);
				m->key[s] = old.key[i];
				m->id[s] = old.id[i];
			}
		free(old.key);
		free(old.id);
	}
	size_t s = idmap_slot(m, key);
	return m->key[s] ? m->id[s] : 0;
}

static void idmap_set(struct idmap *m, const char *key, uint64_t id)
{
	size_t s = idmap_slot(m, key);   /* idmap_get made the room */
	if (!m->key[s]) {
		m->key[s] = mp_xstrdup(key);
		m->n++;
	}
	m->id[s] = id;
}

static void idmap_free(struct idmap *m)
{
	for (size_t i = 0; i < m->cap; i++)
		free(m->key[i]);
	free(m->key);
	free(m->id);
	memset(m, 0, sizeof *m);
}

struct builder {
	char **strs;
	size_t nstrs, capstrs;
	struct idmap str_ids, func_ids, loc_ids;
	Function **funcs;
	size_t nfuncs, capfuncs;
	Location **locs;
	size_t nlocs, caplocs;
	Mapping **maps;
	size_t nmaps, capmaps;
	Sample **samples;
	size_t nsamples, capsamples;
};

/* String table index; [0] is "" (idmap ids are index + 1). */
static int64_t str_id(struct builder *b, const char *s)
{
	uint64_t id = idmap_get(&b->str_ids, s);
	if (id)
		return (int64_t)id - 1;
	char *copy = mp_xstrdup(s);
	MP_PUSH(b->strs, b->nstrs, b->capstrs, copy);
	idmap_set(&b->str_ids, s, b->nstrs);
	return (int64_t)b->nstrs - 1;
}

static uint64_t func_id(struct builder *b, const char *name, const char *file)
{
	char key[2048];
	snprintf(key, sizeof key, "%s\x1f%s", name, file ? file : "");
	uint64_t id = idmap_get(&b->func_ids, key);
	if (id)
		return id;
	Function *f = mp_xrealloc(NULL, sizeof *f);
	perftools__profiles__function__init(f);
	f->id = b->nfuncs + 1;
	f->name = f->system_name = str_id(b, name);
	f->filename = file ? str_id(b, file) : 0;
	MP_PUSH(b->funcs, b->nfuncs, b->capfuncs, f);
	idmap_set(&b->func_ids, key, f->id);
	return f->id;
}

static uint64_t new_location(struct builder *b, const char *key, uint64_t mapping, uint64_t addr,
                             uint64_t func, int line)
{
	Location *l = mp_xrealloc(NULL, sizeof *l);
	Line *ln = mp_xrealloc(NULL, sizeof *ln);
	Line **lines = mp_xrealloc(NULL, sizeof *lines);
	perftools__profiles__location__init(l);
	perftools__profiles__line__init(ln);
	ln->function_id = func;
	ln->line = line;
	lines[0] = ln;
	l->id = b->nlocs + 1;
	l->mapping_id = mapping;
	l->address = addr;
	l->n_line = 1;
	l->line = lines;
	MP_PUSH(b->locs, b->nlocs, b->caplocs, l);
	idmap_set(&b->loc_ids, key, l->id);
	return l->id;
}

/* A call's pseudo-frame: one location for every process. */
static uint64_t call_location(struct builder *b, const char *call)
{
	char key[256];
	snprintf(key, sizeof key, "call\x1f%s", call);
	uint64_t id = idmap_get(&b->loc_ids, key);
	return id ? id : new_location(b, key, 0, 0, func_id(b, call, NULL), 0);
}

/* A frame of process p: its mappings' ids start after map_base. */
static uint64_t frame_location(struct builder *b, size_t p, const struct mp_raw *r,
                               const struct mp_raw_frame *f, uint64_t map_base)
{
	char key[128];
	snprintf(key, sizeof key, "%zu:%llx", p, (unsigned long long)f->pc);
	uint64_t id = idmap_get(&b->loc_ids, key);
	if (id)
		return id;
	uint64_t mapping = f->map ? map_base + (uint64_t)(f->map - r->maps) + 1 : 0;
	if (mapping && f->file) {
		b->maps[mapping - 1]->has_filenames = 1;
		b->maps[mapping - 1]->has_line_numbers = 1;
	}
	return new_location(b, key, mapping, f->pc ? f->pc - 1 : 0, func_id(b, f->name, f->file),
	                    f->line);
}

static Label *label(struct builder *b, const char *key, const char *str, int64_t num)
{
	Label *l = mp_xrealloc(NULL, sizeof *l);
	perftools__profiles__label__init(l);
	l->key = str_id(b, key);
	if (str)
		l->str = str_id(b, str);
	else
		l->num = num;
	return l;
}

static void add_process(struct builder *b, size_t p, const struct mp_raw *r)
{
	uint64_t map_base = b->nmaps;
	for (size_t i = 0; i < r->nmaps; i++) {
		Mapping *m = mp_xrealloc(NULL, sizeof *m);
		perftools__profiles__mapping__init(m);
		m->id = b->nmaps + 1;
		m->memory_start = r->maps[i].start;
		m->memory_limit = r->maps[i].end;
		m->file_offset = r->maps[i].off;
		m->filename = str_id(b, r->maps[i].path);
		m->has_functions = 1;   /* named here: pprof need not look again */
		MP_PUSH(b->maps, b->nmaps, b->capmaps, m);
	}
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct mp_raw_stack *s = &r->stacks[i];
		uint64_t *ids = mp_xrealloc(NULL, (s->depth + 1) * sizeof *ids);
		ids[0] = call_location(b, s->call);
		for (size_t k = 0; k < s->depth; k++)
			ids[k + 1] = frame_location(b, p, r, &r->frames[s->frame[k]], map_base);
		Sample *smp = mp_xrealloc(NULL, sizeof *smp);
		int64_t *v = mp_xrealloc(NULL, 3 * sizeof *v);
		Label **labels = mp_xrealloc(NULL, 3 * sizeof *labels);
		perftools__profiles__sample__init(smp);
		v[0] = (int64_t)s->kept;
		v[1] = (int64_t)s->stall_ns;
		v[2] = (int64_t)s->pwait_ns;
		const char *thread = mp_raw_thread_name(r, s->tid);
		labels[0] = label(b, "thread", *thread ? thread : "?", 0);   /* str 0 would read as num */
		labels[1] = label(b, "tid", NULL, s->tid);
		labels[2] = label(b, "pid", NULL, r->pid);
		smp->n_location_id = s->depth + 1;
		smp->location_id = ids;
		smp->n_value = 3;
		smp->value = v;
		smp->n_label = 3;
		smp->label = labels;
		MP_PUSH(b->samples, b->nsamples, b->capsamples, smp);
	}
}

/* Written as PATH.tmp and renamed, like the library's files: a reader (or
 * a crash) never sees half a profile under the real name. */
static int gzip_write(const char *path, const uint8_t *buf, size_t len)
{
	char tmp[4096];
	if ((size_t)snprintf(tmp, sizeof tmp, "%s.tmp", path) >= sizeof tmp)
		return -ENAMETOOLONG;
	gzFile gz = gzopen(tmp, "wb9");
	if (!gz)
		return errno ? -errno : -ENOMEM;
	size_t done = 0;
	int r = 0;
	while (done < len) {
		unsigned chunk = len - done > (1u << 30) ? 1u << 30 : (unsigned)(len - done);
		int n = gzwrite(gz, buf + done, chunk);
		if (n <= 0) {
			r = -EIO;
			break;
		}
		done += (size_t)n;
	}
	if (gzclose(gz) != Z_OK && r == 0)
		r = -EIO;
	if (r == 0 && rename(tmp, path) != 0)
		r = -errno;
	if (r != 0)
		unlink(tmp);
	return r;
}

static void builder_free(struct builder *b)
{
	for (size_t i = 0; i < b->nstrs; i++)
		free(b->strs[i]);
	for (size_t i = 0; i < b->nfuncs; i++)
		free(b->funcs[i]);
	for (size_t i = 0; i < b->nlocs; i++) {
		free(b->locs[i]->line[0]);
		free(b->locs[i]->line);
		free(b->locs[i]);
	}
	for (size_t i = 0; i < b->nmaps; i++)
		free(b->maps[i]);
	for (size_t i = 0; i < b->nsamples; i++) {
		for (size_t k = 0; k < b->samples[i]->n_label; k++)
			free(b->samples[i]->label[k]);
		free(b->samples[i]->label);
		free(b->samples[i]->location_id);
		free(b->samples[i]->value);
		free(b->samples[i]);
	}
	free(b->strs);
	free(b->funcs);
	free(b->locs);
	free(b->maps);
	free(b->samples);
	idmap_free(&b->str_ids);
	idmap_free(&b->func_ids);
	idmap_free(&b->loc_ids);
}

int mp_tool_pprof(const struct mp_raw *const *procs, size_t nprocs, const char *out_path)
{
	struct builder b;
	memset(&b, 0, sizeof b);
	str_id(&b, "");
	int64_t first = INT64_MAX, last = INT64_MIN;
	for (size_t p = 0; p < nprocs; p++) {
		add_process(&b, p, procs[p]);
		if (procs[p]->start_ns < first)
			first = procs[p]->start_ns;
		if (procs[p]->start_ns + (int64_t)procs[p]->wall_ns > last)
			last = procs[p]->start_ns + (int64_t)procs[p]->wall_ns;
	}

	static const char *const types[3][2] = {
		{ "calls", "count" }, { "stall", "nanoseconds" }, { "pwait", "nanoseconds" },
	};
	ValueType vt[3], *vtp[3];
	for (int i = 0; i < 3; i++) {
		perftools__profiles__value_type__init(&vt[i]);
		vt[i].type = str_id(&b, types[i][0]);
		vt[i].unit = str_id(&b, types[i][1]);
		vtp[i] = &vt[i];
	}
	int64_t comment = str_id(&b, "maxprocs profile: stall and pwait estimated (docs/profiler.md)");
	Profile p;
	perftools__profiles__profile__init(&p);
	p.n_sample_type = 3;
	p.sample_type = vtp;
	p.n_sample = b.nsamples;
	p.sample = b.samples;
	p.n_mapping = b.nmaps;
	p.mapping = b.maps;
	p.n_location = b.nlocs;
	p.location = b.locs;
	p.n_function = b.nfuncs;
	p.function = b.funcs;
	p.n_comment = 1;
	p.comment = &comment;
	p.default_sample_type = vt[1].type;
	p.duration_nanos = nprocs ? last - first : 0;
	p.n_string_table = b.nstrs;   /* last: every str_id above is in */
	p.string_table = b.strs;
	size_t len = perftools__profiles__profile__get_packed_size(&p);
	uint8_t *buf = mp_xrealloc(NULL, len);
	perftools__profiles__profile__pack(&p, buf);
	int r = gzip_write(out_path, buf, len);
	free(buf);
	builder_free(&b);
	return r;
}
