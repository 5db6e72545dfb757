/*
 * tree.c - what the launcher makes of a profile directory after the run
 * (`maxprocs profile`) and on `maxprocs report`: every DIR/PID/stacks.raw
 * is symbolized (symbolize.c), and then
 *
 *   DIR/PID/profile.pb.gz                 that process's samples (pprof.c)
 *   DIR/PID/stalls.folded, pwait.folded   rewritten with the better names
 *   DIR/PID/summary.txt                   its top stacks with func+0xoff
 *                                         (object) file.c:123 (the rest of
 *                                         the library's summary is kept)
 *   DIR/summary.txt                       the whole tree: a line per
 *                                         process, the calls, the top stacks
 *   DIR/stalls.folded, pwait.folded       every process's stacks, each under
 *                                         a root frame "PROGRAM (PID)"
 *   DIR/profile.pb.gz                     every sample, labelled with its pid
 *   DIR/trace.json                        every process's trace events, on
 *                                         one time line
 *
 * It reads the files again each time, so running it twice gives the same
 * files.
 */
#include "tools/profile.h"

#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "tools/raw.h"
#include "tools/symbolize.h"

#define TOP_STACKS 10   /* as the library's summary */
#define TOP_FRAMES 12

/* ---- a process's stacks, the threads merged ------------------------------ */

/* One stack of one process (all its threads), for the top stacks. */
struct merged {
	const struct mp_raw *r;
	const struct mp_raw_stack *s;   /* the first thread's: call and frames */
	uint64_t stall_ns, pwait_ns, kept;
};

static int by_stack(const void *a, const void *b)
{
	const struct mp_raw_stack *x = *(const struct mp_raw_stack *const *)a;
	const struct mp_raw_stack *y = *(const struct mp_raw_stack *const *)b;
	int c = strcmp(x->call, y->call);
	if (c || x->depth != y->depth)
		return c ? c : x->depth < y->depth ? -1 : 1;
	for (size_t i = 0; i < x->depth; i++)
		if (x->frame[i] != y->frame[i])
			return x->frame[i] < y->frame[i] ? -1 : 1;
	return 0;
}

static int by_merged_stall(const void *a, const void *b)
{
	const struct merged *x = a, *y = b;
	return x->stall_ns < y->stall_ns ? 1 : x->stall_ns > y->stall_ns ? -1 : 0;
}

/* r's stacks, one per distinct frames and call, appended to *out. */
static void merge_threads(const struct mp_raw *r, struct merged **out, size_t *n, size_t *cap)
{
	const struct mp_raw_stack **order = mp_xrealloc(NULL, r->nstacks * sizeof *order);
	for (size_t i = 0; i < r->nstacks; i++)
		order[i] = &r->stacks[i];
	qsort(order, r->nstacks, sizeof *order, by_stack);
	for (size_t i = 0; i < r->nstacks; i++) {
		if (i == 0 || by_stack(&order[i - 1], &order[i]) != 0)
			MP_PUSH(*out, *n, *cap, ((struct merged){ r, order[i], 0, 0, 0 }));
		struct merged *m = &(*out)[*n - 1];
		m->stall_ns += order[i]->stall_ns;
		m->pwait_ns += order[i]->pwait_ns;
		m->kept += order[i]->kept;
	}
	free(order);
}

static void print_top(FILE *out, const struct merged *m, size_t n, bool tree)
{
	for (size_t i = 0; i < n && i < TOP_STACKS && m[i].stall_ns; i++) {
		fprintf(out, "  %.3f ms  %s", (double)m[i].stall_ns / 1e6, m[i].s->call);
		if (tree)
			fprintf(out, "  in %s (%ld)", m[i].r->program, m[i].r->pid);
		fprintf(out, "  (%llu kept, P-wait %.3f ms)\n", (unsigned long long)m[i].kept,
		        (double)m[i].pwait_ns / 1e6);
		for (size_t f = 0; f < m[i].s->depth && f < TOP_FRAMES; f++) {
			char where[1200];
			mp_raw_where(&m[i].r->frames[m[i].s->frame[f]], where, sizeof where);
			fprintf(out, "        %s\n", where);
		}
	}
}

/* ---- folded stacks ---------------------------------------------------------- */

struct folded {
	char *text;   /* root first, ';' between frames, the call last */
	uint64_t stall_ns, pwait_ns;
};

static int by_text(const void *a, const void *b)
{
	return strcmp(((const struct folded *)a)->text, ((const struct folded *)b)->text);
}

/* A frame name as one folded frame: ';' separates frames, and the last
 * blank the weight. */
static void fold_name(char *buf, size_t len, size_t *at, const char *name, bool blanks_ok)
{
	for (; *name && *at + 2 < len; name++)
		buf[(*at)++] = *name == ';' || (*name == ' ' && !blanks_ok) ? '_' : *name;
	buf[(*at)++] = ';';
	buf[*at] = 0;
}

/* r's folded lines, the same text merged (two call sites in one function
 * are one line), prefixed by root (NULL: none). */
static struct folded *fold(const struct mp_raw *r, const char *root, size_t *n)
{
	struct folded *lines = mp_xrealloc(NULL, r->nstacks * sizeof *lines);
	static char buf[65536];
	for (size_t i = 0; i < r->nstacks; i++) {
		const struct mp_raw_stack *s = &r->stacks[i];
		size_t at = 0;
		buf[0] = 0;
		if (root)
			fold_name(buf, sizeof buf, &at, root, true);
		for (size_t f = s->depth; f-- > 0;)
			fold_name(buf, sizeof buf, &at, r->frames[s->frame[f]].name, false);
		fold_name(buf, sizeof buf, &at, s->call, false);
		buf[at - 1] = 0;   /* the call is the leaf: no ';' after it */
		lines[i] = (struct folded){ mp_xstrdup(buf), s->stall_ns, s->pwait_ns };
	}
	qsort(lines, r->nstacks, sizeof *lines, by_text);
	size_t k = 0;
	for (size_t i = 0; i < r->nstacks; i++) {
		if (k && !strcmp(lines[k - 1].text, lines[i].text)) {
			lines[k - 1].stall_ns += lines[i].stall_ns;
			lines[k - 1].pwait_ns += lines[i].pwait_ns;
			free(lines[i].text);
		} else {
			lines[k++] = lines[i];
		}
	}
	*n = k;
	return lines;
}

/* Folded lines to f, each weight in microseconds (rounded; none of 0). */
static void write_folded_lines(FILE *f, const struct folded *lines, size_t n, bool pwait)
{
	for (size_t i = 0; i < n; i++) {
		uint64_t ns = pwait ? lines[i].pwait_ns : lines[i].stall_ns;
		if ((ns + 500) / 1000)
			fprintf(f, "%s %llu\n", lines[i].text, (unsigned long long)((ns + 500) / 1000));
	}
}

/* ---- files ------------------------------------------------------------------- */

/* Write path through a temporary file and a rename, so that a reader never
 * sees half a file; false (and a message unless quiet) on failure. */
static FILE *create(const char *path, char *tmp, size_t len)
{
	snprintf(tmp, len, "%s.tmp%ld", path, (long)getpid());
	return fopen(tmp, "w");
}

static bool commit(FILE *f, const char *tmp, const char *path, bool quiet)
{
	bool ok = f && !ferror(f);
	if (f && fclose(f) != 0)
		ok = false;
	if (ok && rename(tmp, path) == 0)
		return true;
	if (!quiet)
		fprintf(stderr, "maxprocs: %s: %s\n", path, strerror(errno ? errno : EIO));
	unlink(tmp);
	return false;
}

static char *slurp(const char *path, size_t *len)
{
	FILE *f = fopen(path, "r");
	if (!f)
		return NULL;
	char *buf = NULL;
	size_t n = 0, cap = 0;
	for (;;) {
		if (cap - n < 65536)
			buf = mp_xrealloc(buf, cap = cap ? 2 * cap : 131072);
		size_t got = fread(buf + n, 1, cap - n - 1, f);
		n += got;
		if (got == 0)
			break;
	}
	fclose(f);
	buf[n] = 0;
	*len = n;
	return buf;
}

/* The line of text that starts with head, or NULL. */
static char *line_starting(char *text, const char *head)
{
	size_t hl = strlen(head);
	for (char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
		if (!strncmp(p, head, hl))
			return p;
	return NULL;
}

/* DIR/PID/summary.txt's top stacks again, with the launcher's names: the
 * library's section starts with its "top stacks by time blocked" line
 * (kept: it says the threshold) and ends before "threads:". */
static void splice_top(const char *path, const struct merged *m, size_t n, bool quiet)
{
	size_t len;
	char *text = slurp(path, &len), tmp[PATH_MAX + 32];
	char *top = text ? line_starting(text, "top stacks by time blocked") : NULL;
	char *threads = top ? line_starting(top, "threads:") : NULL;
	char *body = top ? strchr(top, '\n') : NULL;
	if (!threads || !body || body > threads) {
		free(text);
		return;   /* not a summary of ours: leave it */
	}
	FILE *f = create(path, tmp, sizeof tmp);
	if (f) {
		fwrite(text, 1, (size_t)(body + 1 - text), f);
		print_top(f, m, n, false);
		fprintf(f, "\n%s", threads);
	}
	commit(f, tmp, path, quiet);
	free(text);
}

static void process_files(const char *dir, const struct mp_raw *r, bool quiet)
{
	char path[PATH_MAX], tmp[PATH_MAX + 32];
	snprintf(path, sizeof path, "%s/%ld/profile.pb.gz", dir, r->pid);
	int e = mp_tool_pprof(&r, 1, path);
	if (e < 0 && !quiet)
		fprintf(stderr, "maxprocs: %s: %s\n", path, strerror(-e));
	if (!r->nstacks)
		return;   /* no stacks (no unwinder): the library's files say so */
	size_t nl;
	struct folded *lines = fold(r, NULL, &nl);
	for (int pw = 0; pw < 2; pw++) {
		snprintf(path, sizeof path, "%s/%ld/%s", dir, r->pid, pw ? "pwait.folded" : "stalls.folded");
		FILE *f = create(path, tmp, sizeof tmp);
		if (f)
			write_folded_lines(f, lines, nl, pw);
		commit(f, tmp, path, quiet);
	}
	for (size_t i = 0; i < nl; i++)
		free(lines[i].text);
	free(lines);
	struct merged *m = NULL;
	size_t nm = 0, cap = 0;
	merge_threads(r, &m, &nm, &cap);
	if (nm)
		qsort(m, nm, sizeof *m, by_merged_stall);
	snprintf(path, sizeof path, "%s/%ld/summary.txt", dir, r->pid);
	splice_top(path, m, nm, quiet);
	free(m);
}

/* ---- the tree's summary ------------------------------------------------------- */

/* A call's figures over the tree: the histograms stay each process's own
 * (their ticks may differ), as intervals in nanoseconds. */
struct tree_call {
	const char *name;
	uint64_t count, stall_ns, pwait_ns, max_stall_ns;
	struct bucket { double lo, hi; uint64_t n; } *b;
	size_t nb, capb;
};

/* How many stalls were below v, each bucket's spread evenly over it (as
 * the library interpolates within a bucket). */
static double below(const struct tree_call *c, double v)
{
	double n = 0;
	for (size_t i = 0; i < c->nb; i++) {
		const struct bucket *b = &c->b[i];
		n += v >= b->hi ? (double)b->n : v <= b->lo ? 0 : (double)b->n * (v - b->lo) / (b->hi - b->lo);
	}
	return n;
}

/* The q-quantile in ns: where below() reaches q of the count, by bisection;
 * capped by the maximum seen. */
static double quantile(const struct tree_call *c, double q)
{
	double want = q * (double)c->count, lo = 0, hi = 0;
	if (want < 1)
		want = 1;
	for (size_t i = 0; i < c->nb; i++)
		if (c->b[i].n && c->b[i].hi > hi)
			hi = c->b[i].hi;
	for (int k = 0; k < 100 && hi - lo > 1e-3; k++) {
		double mid = (lo + hi) / 2;
		if (below(c, mid) >= want)
			hi = mid;
		else
			lo = mid;
	}
	return hi < (double)c->max_stall_ns ? hi : (double)c->max_stall_ns;
}

static int by_call_stall(const void *a, const void *b)
{
	const struct tree_call *x = a, *y = b;
	return x->stall_ns < y->stall_ns ? 1 : x->stall_ns > y->stall_ns ? -1 : 0;
}

static bool is_preempted(const char *call) { return !strcmp(call, "(preempted)"); }

static void write_tree_summary(FILE *f, const char *dir, struct mp_raw *const *procs, size_t n)
{
	uint64_t calls = 0, stall = 0, pwait = 0;
	int64_t first = INT64_MAX, last = INT64_MIN;
	for (size_t p = 0; p < n; p++) {
		for (size_t c = 0; c < procs[p]->ncalls; c++) {
			const struct mp_raw_call *rc = &procs[p]->calls[c];
			calls += is_preempted(rc->name) ? 0 : rc->count;
			stall += rc->stall_ns;
			pwait += rc->pwait_ns;
		}
		if (procs[p]->start_ns < first)
			first = procs[p]->start_ns;
		if (procs[p]->start_ns + (int64_t)procs[p]->wall_ns > last)
			last = procs[p]->start_ns + (int64_t)procs[p]->wall_ns;
	}
	fprintf(f, "maxprocs profile of a process tree: %zu process%s, %.3f s from the first start to the"
	        " last end; %s\n", n, n == 1 ? "" : "es", n ? (double)(last - first) / 1e9 : 0.0, dir);
	fprintf(f, "%llu intercepted calls, %.3f ms blocked in them, %.3f ms waiting for a P after them"
	        " or after a preemption\n\n", (unsigned long long)calls, (double)stall / 1e6,
	        (double)pwait / 1e6);

	fprintf(f, "processes (by start; each in full: %s/PID/summary.txt):\n", dir);
	fprintf(f, "  %-8s %-20s %10s %10s %12s %12s  %s\n", "pid", "program", "wall s", "calls",
	        "blocked ms", "P-wait ms", "ended by");
	for (size_t p = 0; p < n; p++) {
		uint64_t pc = 0, ps = 0, pw = 0;
		for (size_t c = 0; c < procs[p]->ncalls; c++) {
			const struct mp_raw_call *rc = &procs[p]->calls[c];
			pc += is_preempted(rc->name) ? 0 : rc->count;
			ps += rc->stall_ns;
			pw += rc->pwait_ns;
		}
		fprintf(f, "  %-8ld %-20.20s %10.3f %10llu %12.3f %12.3f  %s\n", procs[p]->pid,
		        procs[p]->program, (double)procs[p]->wall_ns / 1e9, (unsigned long long)pc,
		        (double)ps / 1e6, (double)pw / 1e6, procs[p]->why);
	}

	struct tree_call *tc = NULL;
	size_t ntc = 0, captc = 0;
	for (size_t p = 0; p < n; p++)
		for (size_t c = 0; c < procs[p]->ncalls; c++) {
			const struct mp_raw_call *rc = &procs[p]->calls[c];
			size_t k = 0;
			while (k < ntc && strcmp(tc[k].name, rc->name))
				k++;
			if (k == ntc)
				MP_PUSH(tc, ntc, captc, ((struct tree_call){ .name = rc->name }));
			struct tree_call *t = &tc[k];
			t->count += rc->count;
			t->stall_ns += rc->stall_ns;
			t->pwait_ns += rc->pwait_ns;
			if (rc->max_stall_ns > t->max_stall_ns)
				t->max_stall_ns = rc->max_stall_ns;
			for (unsigned b = 0; b < rc->nhist; b++)
				if (rc->hist[b]) {
					double lo = b ? ldexp(1.0, (int)b) : 0.0, hi = ldexp(1.0, (int)b + 1);
					double tpns = procs[p]->ticks_per_ns > 0 ? procs[p]->ticks_per_ns : 1.0;
					struct bucket bk = { lo / tpns, hi / tpns, rc->hist[b] };
					MP_PUSH(t->b, t->nb, t->capb, bk);
				}
		}
	if (ntc)
		qsort(tc, ntc, sizeof *tc, by_call_stall);
	fprintf(f, "\ncalls by time blocked, whole tree (exact; percentiles from log2 buckets):\n");
	fprintf(f, "  %-22s %10s %12s %10s %10s %10s %10s %12s\n", "call", "count", "blocked ms",
	        "p50 us", "p90 us", "p99 us", "max us", "P-wait ms");
	for (size_t k = 0; k < ntc; k++) {
		const struct tree_call *t = &tc[k];
		if (is_preempted(t->name))
			fprintf(f, "  %-22s %10llu %12s %10s %10s %10s %10s %12.3f\n", t->name,
			        (unsigned long long)t->count, "-", "-", "-", "-", "-", (double)t->pwait_ns / 1e6);
		else
			fprintf(f, "  %-22s %10llu %12.3f %10.1f %10.1f %10.1f %10.1f %12.3f\n", t->name,
			        (unsigned long long)t->count, (double)t->stall_ns / 1e6, quantile(t, 0.5) / 1e3,
			        quantile(t, 0.9) / 1e3, quantile(t, 0.99) / 1e3,
			        (double)t->max_stall_ns / 1e3, (double)t->pwait_ns / 1e6);
		free(t->b);
	}
	free(tc);

	struct merged *m = NULL;
	size_t nm = 0, cap = 0;
	for (size_t p = 0; p < n; p++)
		merge_threads(procs[p], &m, &nm, &cap);
	if (nm)
		qsort(m, nm, sizeof *m, by_merged_stall);
	fprintf(f, "\ntop stacks of the tree by time blocked (estimated, as in each process's summary):\n");
	print_top(f, m, nm, true);
	free(m);
}

/* ---- the tree's trace ---------------------------------------------------------- */

/* One process's trace events appended to f; false if none.  Their "ts"
 * are CLOCK_MONOTONIC microseconds, the same time base in every process,
 * so they go in as they are. */
static bool append_trace(FILE *f, const char *path, bool first)
{
	size_t len;
	char *text = slurp(path, &len);
	char *open = text ? strstr(text, "\"traceEvents\":[") : NULL;
	char *close = open ? strrchr(open, ']') : NULL;
	if (!close) {
		free(text);
		return false;
	}
	char *p = open + strlen("\"traceEvents\":[");
	while (p < close && (*p == '\n' || *p == ' '))
		p++;
	if (p == close) {
		free(text);
		return false;
	}
	if (!first)
		fputs(",\n", f);
	while (close > p && (close[-1] == '\n' || close[-1] == ' '))
		close--;
	fwrite(p, 1, (size_t)(close - p), f);
	free(text);
	return true;
}

/* ---- all of it -------------------------------------------------------------------- */

static int by_start(const void *a, const void *b)
{
	const struct mp_raw *x = *(struct mp_raw *const *)a, *y = *(struct mp_raw *const *)b;
	if (x->start_ns != y->start_ns)
		return x->start_ns < y->start_ns ? -1 : 1;
	return x->pid < y->pid ? -1 : x->pid > y->pid;
}

int mp_tool_tree(const char *dir, bool quiet)
{
	struct mp_raw **procs = NULL;
	size_t n = 0, cap = 0;
	DIR *d = opendir(dir);
	if (!d)
		return 0;
	for (struct dirent *e; (e = readdir(d)) != NULL;) {
		char *end, path[PATH_MAX];
		long pid = strtol(e->d_name, &end, 10);
		if (*end || pid <= 0)
			continue;
		snprintf(path, sizeof path, "%s/%ld/stacks.raw", dir, pid);
		struct mp_raw *r = mp_xrealloc(NULL, sizeof *r);
		int err = mp_raw_read(path, r);
		if (err < 0) {
			if (err != -ENOENT && !quiet)
				fprintf(stderr, "maxprocs: %s: %s\n", path,
				        err == -EINVAL ? "not a stacks.raw of version 2" : strerror(-err));
			free(r);
			continue;
		}
		r->pid = pid;   /* the directory's name is the truth */
		mp_symbolize(r);
		MP_PUSH(procs, n, cap, r);
	}
	closedir(d);
	qsort(procs, n, sizeof *procs, by_start);
	for (size_t p = 0; p < n; p++)
		process_files(dir, procs[p], quiet);

	if (n) {
		char path[PATH_MAX], tmp[PATH_MAX + 32];
		snprintf(path, sizeof path, "%s/summary.txt", dir);
		FILE *f = create(path, tmp, sizeof tmp);
		if (f)
			write_tree_summary(f, dir, procs, n);
		commit(f, tmp, path, quiet);

		for (int pw = 0; pw < 2; pw++) {
			snprintf(path, sizeof path, "%s/%s", dir, pw ? "pwait.folded" : "stalls.folded");
			f = create(path, tmp, sizeof tmp);
			for (size_t p = 0; f && p < n; p++) {
				char root[600];
				size_t nl;
				snprintf(root, sizeof root, "%s (%ld)", procs[p]->program, procs[p]->pid);
				struct folded *lines = fold(procs[p], root, &nl);
				write_folded_lines(f, lines, nl, pw);
				for (size_t i = 0; i < nl; i++)
					free(lines[i].text);
				free(lines);
			}
			commit(f, tmp, path, quiet);
		}

		snprintf(path, sizeof path, "%s/profile.pb.gz", dir);
		int e = mp_tool_pprof((const struct mp_raw *const *)procs, n, path);
		if (e < 0 && !quiet)
			fprintf(stderr, "maxprocs: %s: %s\n", path, strerror(-e));

		snprintf(path, sizeof path, "%s/trace.json", dir);
		f = create(path, tmp, sizeof tmp);
		if (f) {
			bool first = true;
			fputs("{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n", f);
			for (size_t p = 0; p < n; p++) {
				char one[PATH_MAX];
				snprintf(one, sizeof one, "%s/%ld/trace.json", dir, procs[p]->pid);
				if (append_trace(f, one, first))
					first = false;
			}
			fputs("\n]}\n", f);
		}
		commit(f, tmp, path, quiet);
	}
	for (size_t p = 0; p < n; p++) {
		mp_raw_free(procs[p]);
		free(procs[p]);
	}
	free(procs);
	return (int)n;
}
