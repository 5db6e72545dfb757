/*
 * report.c - the profiler's files, written once when the program ends
 * (mp_prof_write): DIR/PID/summary.txt, stalls.folded, pwait.folded,
 * trace.json.
 *
 * Never on a hot path: it may sleep (the clock's calibration), call
 * dladdr (the loader's lock) and snprintf.  Other threads may still be
 * recording meanwhile: their figures are read as they are, a little
 * smeared in time.
 */
#include "prof/internal.h"

#include <dlfcn.h>
#include <link.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "sched/sched.h"
#include "shim/line.h"
#include "shim/raw_syscall.h"

/* ---- a buffered file written with raw system calls ---------------------- */

struct out {
	int fd, err;
	size_t len;
	char path[4200], tmp[4208];
	char buf[32768];
};

static void out_flush(struct out *o)
{
	size_t done = 0;
	while (done < o->len && o->fd >= 0) {
		long n = mp_raw_syscall(SYS_write, o->fd, o->buf + done, o->len - done);
		if (n == -EINTR)
			continue;
		if (n <= 0) {
			o->err = n < 0 ? (int)-n : EIO;
			break;
		}
		done += (size_t)n;
	}
	o->len = 0;
}

__attribute__((format(printf, 2, 3)))
static void outf(struct out *o, const char *fmt, ...)
{
	va_list ap;
	if (o->len > sizeof o->buf - 1024)
		out_flush(o);
	va_start(ap, fmt);
	int n = vsnprintf(o->buf + o->len, sizeof o->buf - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len += (size_t)n < sizeof o->buf - o->len ? (size_t)n : sizeof o->buf - o->len - 1;
}

/* Each file is written as NAME.tmp and renamed into place when complete,
 * so a reader (the launcher, a user looking during a --flush-ms run) sees
 * the previous version or the new one, never half of one. */
static int out_open(struct out *o, const char *dir, const char *name)
{
	if ((size_t)snprintf(o->path, sizeof o->path, "%s/%s", dir, name) >= sizeof o->path - 4)
		return -ENAMETOOLONG;
	snprintf(o->tmp, sizeof o->tmp, "%s.tmp", o->path);
	o->len = 0;
	o->err = 0;
	o->fd = (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)o->tmp,
	                             O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0666, 0, 0);
	return o->fd < 0 ? o->fd : 0;
}

static int out_close(struct out *o)
{
	out_flush(o);
	if (o->fd >= 0)
		mp_raw_syscall(SYS_close, o->fd, 0, 0);
	if (!o->err && mp_raw_syscall6(SYS_renameat, AT_FDCWD, (long)o->tmp, AT_FDCWD,
	                               (long)o->path, 0, 0) != 0)
		o->err = EIO;
	if (o->err)
		mp_raw_syscall(SYS_unlinkat, AT_FDCWD, (long)o->tmp, 0);
	return o->err ? -o->err : 0;
}

/* ---- gathering ------------------------------------------------------------ */

static struct mp_prof_callstat total[MP_PROF_MAX_CALLS];
static double tpns;   /* ticks per ns */

static double us(uint64_t ticks) { return (double)ticks / tpns / 1000.0; }
static double ns_us(uint64_t ns) { return (double)ns / 1000.0; }

/* The rows: every call id, and the waits outside calls. */
static bool is_row(unsigned c) { return c < mp_prof.opt.ncalls || c == MP_PROF_PREEMPTED; }

static void gather(void)
{
	memset(total, 0, sizeof total);
	uint32_t n = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < n && i < MP_PROF_THREADS; i++) {
		const struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (!t)
			continue;
		for (unsigned c = 0; c < MP_PROF_MAX_CALLS; c++) {
			const struct mp_prof_callstat *s = &t->calls[c];
			struct mp_prof_callstat *d = &total[c];
			if (!s->count || !is_row(c))
				continue;
			d->count += s->count;
			d->stall += s->stall;
			d->pwait += s->pwait;
			d->long_calls += s->long_calls;
			if (s->max_stall > d->max_stall)
				d->max_stall = s->max_stall;
			if (s->max_pwait > d->max_pwait)
				d->max_pwait = s->max_pwait;
			for (unsigned b = 0; b < MP_PROF_HIST; b++)
				d->hist[b] += s->hist[b];
		}
	}
}

/* The names of the threads still running, as they are now: a thread
 * named after its first call (by itself, or by its creator racing it)
 * would otherwise keep its old name in every file.  From
 * /proc/self/task/TID/comm; a thread that has ended keeps the name it had
 * then, so that a later thread given its tid does not rename it. */
static void refresh_names(void)
{
	uint32_t n = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < n && i < MP_PROF_THREADS; i++) {
		struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (!t || atomic_load_explicit(&t->ended, memory_order_acquire))
			continue;
		char path[64], name[sizeof t->name + 1];
		snprintf(path, sizeof path, "/proc/self/task/%d/comm", t->tid);
		int fd = (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
		if (fd < 0)
			continue;
		long r = mp_raw_syscall(SYS_read, fd, (long)name, (long)sizeof name - 1);
		mp_raw_syscall(SYS_close, fd, 0, 0);
		if (r <= 0)
			continue;
		if (name[r - 1] == '\n')
			r--;
		if (r <= 0 || (size_t)r >= sizeof t->name)
			continue;
		name[r] = 0;
		memcpy(t->name, name, (size_t)r + 1);
	}
}

/* The q-quantile of a log2 histogram, interpolated within its bucket by
 * rank and capped by the maximum seen (ticks). */
static uint64_t quantile(const struct mp_prof_callstat *s, double q)
{
	uint64_t want = (uint64_t)(q * (double)s->count + 0.5), seen = 0;
	if (want == 0)
		want = 1;
	for (unsigned b = 0; b < MP_PROF_HIST; b++) {
		if (seen + s->hist[b] >= want) {
			double lo = b ? (double)(1ull << b) : 0.0, hi = (double)(1ull << (b + 1));
			double f = s->hist[b] ? (double)(want - seen) / (double)s->hist[b] : 1.0;
			uint64_t v = (uint64_t)(lo + f * (hi - lo));
			return v < s->max_stall ? v : s->max_stall;
		}
		seen += s->hist[b];
	}
	return s->max_stall;
}

static int by_stall_desc(const void *a, const void *b)
{
	const struct mp_prof_callstat *x = &total[*(const unsigned *)a];
	const struct mp_prof_callstat *y = &total[*(const unsigned *)b];
	return x->stall < y->stall ? 1 : x->stall > y->stall ? -1 : 0;
}

/* A frame, resolved once per stack when the report starts: our own
 * frames (a thread's start trampoline) say nothing to the user and are
 * left out; the others are "func" / "func+0x1c (libfoo.so.1)", or
 * "libfoo.so.1+0x1234" without a symbol.  pc is a return address: the call
 * is at pc - 1. */
struct frame_sym {
	bool ours;
	char fn[128], where[320];
};

/* The executable's name.  Not dladdr's dli_fname: for the executable that
 * is argv[0], which a program that sets its process title rewrites (nginx's
 * workers: "nginx: worker process"). */
static const char *exe_name(const char *fallback)
{
	static char name[96];
	if (!name[0]) {
		char exe[4096];
		long r = mp_raw_syscall6(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)exe,
		                         sizeof exe - 1, 0, 0);
		if (r <= 0)
			return fallback;
		exe[r] = 0;
		const char *base = strrchr(exe, '/');
		base = base ? base + 1 : exe;
		size_t n = strlen(base) < sizeof name ? strlen(base) : sizeof name - 1;
		memcpy(name, base, n);
		name[n] = 0;
	}
	return name;
}

static void resolve(uintptr_t pc, struct frame_sym *fs)
{
	static void *self_base;
	Dl_info me, di;
	struct link_map *map = NULL;
	uintptr_t at = pc ? pc - 1 : pc;
	if (!self_base && dladdr((void *)mp_prof_write, &me))
		self_base = me.dli_fbase;
	fs->ours = false;
	if (!dladdr1((void *)at, &di, (void **)&map, RTLD_DL_LINKMAP) || !di.dli_fname) {
		snprintf(fs->fn, sizeof fs->fn, "0x%lx", (unsigned long)at);
		snprintf(fs->where, sizeof fs->where, "%s", fs->fn);
		return;
	}
	fs->ours = self_base && di.dli_fbase == self_base;
	const char *base = strrchr(di.dli_fname, '/');
	base = base ? base + 1 : di.dli_fname;
	if (map && map->l_name && !map->l_name[0])   /* the executable */
		base = exe_name(base);
	if (di.dli_sname && di.dli_saddr) {
		snprintf(fs->fn, sizeof fs->fn, "%s", di.dli_sname);
		snprintf(fs->where, sizeof fs->where, "%s+0x%lx (%s)", di.dli_sname,
		         (unsigned long)(at - (uintptr_t)di.dli_saddr), base);
	} else {
		snprintf(fs->fn, sizeof fs->fn, "%s+0x%lx", base, (unsigned long)(at - (uintptr_t)di.dli_fbase));
		snprintf(fs->where, sizeof fs->where, "%s", fs->fn);
	}
}

/* The stack table's live entries, the threads' entries of one stack
 * merged: the summary and the folded files are per stack; stacks.raw
 * keeps each thread's entry (the chain from `first`). */
struct stack_ref {
	const struct mp_prof_stack *s;
	uint64_t stall, pwait, kept;
	struct frame_sym *sym;   /* [s->depth], resolved once (resolve_stacks) */
	int first;               /* table index of its first entry; entry_next[] the others */
};
static struct stack_ref refs[MP_PROF_STACKS];
static unsigned nrefs;
static int entry_next[MP_PROF_STACKS];   /* -1 ends a chain */

static bool same_stack(const struct mp_prof_stack *a, const struct mp_prof_stack *b)
{
	return a->call == b->call && a->depth == b->depth &&
	       memcmp(a->pc, b->pc, a->depth * sizeof a->pc[0]) == 0;
}

static void gather_stacks(void)
{
	/* refs by their thread-less key: open addressing, twice the table's
	 * size so that a probe run stays short (ref index + 1; 0 empty) */
	static unsigned by_key[2 * MP_PROF_STACKS];
	static uint64_t key_of[MP_PROF_STACKS];
	memset(by_key, 0, sizeof by_key);
	nrefs = 0;
	uint32_t nused = atomic_load_explicit(&mp_prof.nused, memory_order_acquire);
	for (uint32_t u = 0; u < nused && u < MP_PROF_STACKS; u++) {
		/* relaxed: a slot number; the entry itself is read after the
		 * acquire of its hash */
		uint32_t taken = atomic_load_explicit(&mp_prof.used[u], memory_order_relaxed);
		if (!taken)
			continue;   /* being taken right now */
		unsigned i = taken - 1;
		const struct mp_prof_stack *s = &mp_prof.stacks[i];
		entry_next[i] = -1;
		if (atomic_load_explicit(&s->hash, memory_order_acquire) < 2)
			continue;
		uint64_t key = mp_prof_stack_key(s->call, s->pc, s->depth);
		unsigned slot = (unsigned)(key % (2 * MP_PROF_STACKS));
		struct stack_ref *r = NULL;
		for (; by_key[slot]; slot = (slot + 1) % (2 * MP_PROF_STACKS)) {
			unsigned k = by_key[slot] - 1;
			if (key_of[k] == key && same_stack(refs[k].s, s)) {
				r = &refs[k];
				break;
			}
		}
		if (!r) {
			key_of[nrefs] = key;
			by_key[slot] = nrefs + 1;
			r = &refs[nrefs++];
			*r = (struct stack_ref){ s, 0, 0, 0, NULL, -1 };
		}
		entry_next[i] = r->first;
		r->first = (int)i;
		r->stall += atomic_load(&s->stall);
		r->pwait += atomic_load(&s->pwait);
		r->kept += atomic_load(&s->kept);
	}
}

/* The symbols of one write: mapped for it and unmapped after, since the
 * writer may run in a signal handler (no malloc: the interrupted thread may
 * hold its lock). */
static struct frame_sym *syms;
static size_t syms_len;

/* Every frame of every stack, once, for all the files (dladdr takes the
 * loader's lock: not once per file and per frame). */
static void resolve_stacks(void)
{
	size_t frames = 0;
	for (unsigned i = 0; i < nrefs; i++)
		frames += refs[i].s->depth;
	syms_len = (frames ? frames : 1) * sizeof *syms;
	long p = mp_raw_syscall6(SYS_mmap, 0, (long)syms_len, PROT_READ | PROT_WRITE,
	                         MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	syms = p < 0 && p > -4096 ? NULL : (struct frame_sym *)p;
	for (unsigned i = 0, at = 0; i < nrefs; at += refs[i].s->depth, i++) {
		refs[i].sym = syms ? syms + at : NULL;
		for (unsigned f = 0; refs[i].sym && f < refs[i].s->depth; f++)
			resolve(refs[i].s->pc[f], &refs[i].sym[f]);
	}
}

static void release_stacks(void)
{
	if (syms)
		mp_raw_syscall(SYS_munmap, (long)syms, (long)syms_len, 0);
	syms = NULL;
	for (unsigned i = 0; i < nrefs; i++)
		refs[i].sym = NULL;
}

/* Shell sort: glibc's qsort may call malloc, which a writer in a signal
 * handler must not. */
static void sort_items(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
	char tmp[128], *a = base;
	if (size > sizeof tmp)
		return;
	for (size_t gap = n / 2; gap > 0; gap = gap == 2 ? 1 : gap * 5 / 11) {
		for (size_t i = gap; i < n; i++) {
			memcpy(tmp, a + i * size, size);
			size_t j = i;
			for (; j >= gap && cmp(a + (j - gap) * size, tmp) > 0; j -= gap)
				memcpy(a + j * size, a + (j - gap) * size, size);
			memcpy(a + j * size, tmp, size);
		}
	}
}

static int by_ref_stall_desc(const void *a, const void *b)
{
	const struct stack_ref *x = a, *y = b;
	return x->stall < y->stall ? 1 : x->stall > y->stall ? -1 : 0;
}

static const char *call_name(unsigned c)
{
	if (c == MP_PROF_PREEMPTED)
		return "(preempted)";
	const char *n = c < mp_prof.opt.ncalls ? mp_prof.opt.call_names[c] : NULL;
	return n ? n : "?";
}

unsigned mp_prof_top_calls(struct mp_prof_top *out, unsigned max)
{
	/* Summed here rather than with gather(): its table is the report's,
	 * which _exit may be writing from another thread. */
	uint64_t count[MP_PROF_MAX_CALLS] = { 0 }, stall[MP_PROF_MAX_CALLS] = { 0 };
	if (!mp_prof_on)
		return 0;
	uint32_t n = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < n && i < MP_PROF_THREADS; i++) {
		const struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (!t)
			continue;
		for (unsigned c = 0; c < MP_PROF_MAX_CALLS; c++) {
			/* relaxed reads of another thread's totals: a smear, never torn */
			count[c] += __atomic_load_n(&t->calls[c].count, __ATOMIC_RELAXED);
			stall[c] += __atomic_load_n(&t->calls[c].stall, __ATOMIC_RELAXED);
		}
	}
	double per_ns = mp_ticks_per_ns();
	unsigned k = 0;
	for (; k < max; k++) {
		unsigned best = MP_PROF_MAX_CALLS;
		for (unsigned c = 0; c < MP_PROF_MAX_CALLS; c++)
			if (is_row(c) && c != MP_PROF_PREEMPTED && stall[c] &&
			    (best == MP_PROF_MAX_CALLS || stall[c] > stall[best]))
				best = c;
		if (best == MP_PROF_MAX_CALLS)
			break;
		out[k] = (struct mp_prof_top){ call_name(best), count[best],
		                               per_ns > 0 ? (uint64_t)((double)stall[best] / per_ns) : 0 };
		stall[best] = 0;
	}
	return k;
}

/* ---- the files ------------------------------------------------------------ */

static struct out out;

static int write_summary(const char *dir, const char *why, double wall_s)
{
	static unsigned order[MP_PROF_MAX_CALLS];
	unsigned n = 0;
	uint64_t all_stall = 0, all_pwait = 0, all_calls = 0;
	for (unsigned c = 0; c < MP_PROF_MAX_CALLS; c++)
		if (total[c].count && is_row(c)) {
			order[n++] = c;
			all_stall += total[c].stall;
			all_pwait += total[c].pwait;
			all_calls += total[c].count;
		}
	sort_items(order, n, sizeof order[0], by_stall_desc);
	int r = out_open(&out, dir, "summary.txt");
	if (r != 0)
		return r;
	char facts[256] = "";
	if (mp_prof.opt.describe)
		mp_prof.opt.describe(facts, sizeof facts);
	if (why)
		outf(&out, "maxprocs profile: %s, pid %d, %.3f s, ended by %s; %s\n",
		     program_invocation_short_name, mp_prof.pid, wall_s, why, facts);
	else
		outf(&out, "maxprocs profile: %s, pid %d, %.3f s so far, still running (a periodic flush); %s\n",
		     program_invocation_short_name, mp_prof.pid, wall_s, facts);
	outf(&out, "%llu intercepted calls, %.3f ms blocked in them, %.3f ms waiting for a P after them"
	     " or after a preemption\n\n",
	     (unsigned long long)(all_calls - total[MP_PROF_PREEMPTED].count), us(all_stall) / 1000,
	     ns_us(all_pwait) / 1000);
	outf(&out, "calls by time blocked (exact; percentiles from log2 buckets):\n");
	outf(&out, "  %-22s %10s %12s %10s %10s %10s %10s %12s\n", "call", "count", "blocked ms",
	     "p50 us", "p90 us", "p99 us", "max us", "P-wait ms");
	for (unsigned i = 0; i < n; i++) {
		const struct mp_prof_callstat *s = &total[order[i]];
		if (order[i] == MP_PROF_PREEMPTED) {
			outf(&out, "  %-22s %10llu %12s %10s %10s %10s %10s %12.3f\n", call_name(order[i]),
			     (unsigned long long)s->count, "-", "-", "-", "-", "-", ns_us(s->pwait) / 1000);
			continue;
		}
		outf(&out, "  %-22s %10llu %12.3f %10.1f %10.1f %10.1f %10.1f %12.3f\n",
		     call_name(order[i]), (unsigned long long)s->count, us(s->stall) / 1000,
		     us(quantile(s, 0.5)), us(quantile(s, 0.9)), us(quantile(s, 0.99)),
		     us(s->max_stall), ns_us(s->pwait) / 1000);
	}

	gather_stacks();
	resolve_stacks();
	sort_items(refs, nrefs, sizeof refs[0], by_ref_stall_desc);
	outf(&out, "\ntop stacks by time blocked (estimated: calls of at least %.0f us exactly, shorter ones sampled):\n",
	     (double)mp_prof.opt.min_ns / 1000);
	if (!mp_prof_has_stacks())
		outf(&out, "  (none: glibc's backtrace() was not found)\n");
	for (unsigned i = 0; i < nrefs && i < 10 && refs[i].stall; i++) {
		const struct mp_prof_stack *s = refs[i].s;
		outf(&out, "  %.3f ms  %s  (%llu kept, P-wait %.3f ms)\n", us(refs[i].stall) / 1000,
		     call_name(s->call), (unsigned long long)refs[i].kept, ns_us(refs[i].pwait) / 1000);
		for (unsigned f = 0; refs[i].sym && f < s->depth && f < 12; f++)
			if (!refs[i].sym[f].ours)
				outf(&out, "        %s\n", refs[i].sym[f].where);
	}

	outf(&out, "\nthreads:\n  %-8s %-16s %10s %12s %12s\n", "tid", "name", "calls", "blocked ms",
	     "P-wait ms");
	uint32_t nt = atomic_load(&mp_prof.nthreads);
	uint64_t nested = 0, events_dropped = 0;
	for (uint32_t i = 0; i < nt && i < MP_PROF_THREADS; i++) {
		const struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (!t)
			continue;
		uint64_t calls = 0, stall = 0, pwait = 0;
		for (unsigned c = 0; c < mp_prof.opt.ncalls; c++) {
			calls += t->calls[c].count;
			stall += t->calls[c].stall;
			pwait += t->calls[c].pwait;
		}
		pwait += t->calls[MP_PROF_PREEMPTED].pwait;
		nested += t->dropped_nested;
		events_dropped += t->dropped_events;
		if (!calls)
			continue;   /* a thread gone in a fork child, or that made no call */
		outf(&out, "  %-8d %-16.16s %10llu %12.3f %12.3f\n", t->tid, t->name,
		     (unsigned long long)calls, us(stall) / 1000, ns_us(pwait) / 1000);
	}
	outf(&out, "\ndropped: %llu threads beyond %d, %llu stacks beyond %d, %llu calls inside a handler's recording,"
	     " %llu trace slices beyond %d a thread\n",
	     (unsigned long long)atomic_load(&mp_prof.dropped_threads), MP_PROF_THREADS,
	     (unsigned long long)atomic_load(&mp_prof.dropped_stacks), MP_PROF_STACKS,
	     (unsigned long long)nested, (unsigned long long)events_dropped, MP_PROF_EVENTS);
	return out_close(&out);
}

/* Brendan Gregg's folded stacks: root first, ';' between frames, the leaf
 * the call's name, then the weight in microseconds. */
static void write_folded(const char *dir, const char *name, bool pwait)
{
	if (out_open(&out, dir, name) != 0)
		return;
	for (unsigned i = 0; i < nrefs; i++) {
		const struct mp_prof_stack *s = refs[i].s;
		unsigned long long wus = (unsigned long long)((pwait ? ns_us(refs[i].pwait)
		                                                     : us(refs[i].stall)) + 0.5);
		if (!wus)
			continue;
		for (unsigned f = s->depth; refs[i].sym && f-- > 0;) {
			if (refs[i].sym[f].ours)
				continue;
			char fn[sizeof refs[i].sym[f].fn];
			memcpy(fn, refs[i].sym[f].fn, sizeof fn);
			for (char *p = fn; *p; p++)
				if (*p == ';' || *p == ' ')
					*p = '_';
			outf(&out, "%s;", fn);
		}
		outf(&out, "%s %llu\n", call_name(s->call), wus);
	}
	out_close(&out);
}

/* JSON string body: the names we write are comm names and call names;
 * anything outside printable ASCII, and quotes, become '_'. */
static void json_name(const char *s, char *out, size_t len)
{
	size_t i = 0;
	for (; *s && i + 1 < len; s++)
		out[i++] = (*s >= 32 && *s < 127 && *s != '"' && *s != '\\') ? *s : '_';
	out[i] = 0;
}

/* Timestamps: microseconds of CLOCK_MONOTONIC, the same clock in every
 * process, so the traces of a tree line up (and merge). */
static double trace_us(uint64_t t)
{
	return (double)mp_ticks_mono_ns(t, tpns) / 1000.0;
}

static const char *thread_name_of(int tid)
{
	uint32_t nt = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < nt && i < MP_PROF_THREADS; i++) {
		const struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (t && t->tid == tid)
			return t->name;
	}
	return NULL;
}

/* A track per P (tids from P_TRACK_TID up, above any real tid: pid_max is
 * at most 2^22), sorted before the threads, with a slice for each stretch
 * one thread held it.  A P "held" by a thread in a call stays its own
 * until it is retaken, as in the scheduler. */
#define P_TRACK_TID 0x40000000
static void write_p_tracks(void)
{
	double end = trace_us(mp_ticks());
	for (unsigned p = 0; mp_prof.ptracks && p < MP_PROF_PTRACKS; p++) {
		const struct mp_prof_ptrack *tr = &mp_prof.ptracks[p];
		uint32_t n = atomic_load_explicit(&tr->n, memory_order_acquire);   /* ev[0, n) whole */
		if (!n)
			continue;
		outf(&out, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"P%u\"}}",
		     mp_prof.pid, P_TRACK_TID + (int)p, p);
		outf(&out, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_sort_index\",\"args\":{\"sort_index\":%d}}",
		     mp_prof.pid, P_TRACK_TID + (int)p, -1000 + (int)p);
		for (uint32_t k = 0; k < n; k++) {
			const struct mp_prof_pevent *e = &tr->ev[k];
			if (!e->tid || e->t < mp_prof.start_ticks)
				continue;
			double ts = trace_us(e->t);
			double to = k + 1 < n ? trace_us(tr->ev[k + 1].t) : end;
			char name[40];
			const char *tn = thread_name_of(e->tid);
			json_name(tn ? tn : "", name, sizeof name);
			outf(&out, ",\n{\"ph\":\"X\",\"cat\":\"holder\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"name\":\"%d %s\"}",
			     mp_prof.pid, P_TRACK_TID + (int)p, ts, to > ts ? to - ts : 0, e->tid, name);
		}
	}
}

/* Chrome/Perfetto trace-event JSON: one track per thread, named, with a
 * slice for each call kept (blocked or waited at least the threshold) and
 * one for each wait for a P. */
static void write_trace(const char *dir)
{
	if (out_open(&out, dir, "trace.json") != 0)
		return;
	outf(&out, "{\"displayTimeUnit\":\"ms\",\"traceEvents\":[\n");
	outf(&out, "{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"process_name\",\"args\":{\"name\":\"%s\"}}",
	     mp_prof.pid, mp_prof.pid, program_invocation_short_name);
	uint32_t nt = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < nt && i < MP_PROF_THREADS; i++) {
		const struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		if (!t || !t->nevents)
			continue;
		char name[40];
		json_name(t->name, name, sizeof name);
		outf(&out, ",\n{\"ph\":\"M\",\"pid\":%d,\"tid\":%d,\"name\":\"thread_name\",\"args\":{\"name\":\"%s\"}}",
		     mp_prof.pid, t->tid, name);
		for (uint32_t k = 0; k < t->nevents; k++) {
			const struct mp_prof_event *e = &t->events[k];
			double ts = trace_us(e->t0), end = trace_us(e->t1);
			if (e->call != MP_PROF_PREEMPTED)
				outf(&out, ",\n{\"ph\":\"X\",\"cat\":\"stall\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"name\":\"%s\"}",
				     mp_prof.pid, t->tid, ts, end - ts, call_name(e->call));
			if (e->wait_ns)
				outf(&out, ",\n{\"ph\":\"X\",\"cat\":\"pwait\",\"pid\":%d,\"tid\":%d,\"ts\":%.3f,\"dur\":%.3f,\"name\":\"wait for a P\",\"args\":{\"after\":\"%s\"}}",
				     mp_prof.pid, t->tid, end, ns_us(e->wait_ns), call_name(e->call));
		}
	}
	write_p_tracks();
	outf(&out, "\n]}\n");
	out_close(&out);
}

/*
 * stacks.raw: the stacks and the per-call figures as numbers, for the
 * launcher (tools/raw.c reads it): it symbolizes the stacks with libdw,
 * writes profile.pb.gz and the process tree's merged files, so that libdw,
 * protobuf and zlib stay out of the program.  Line-oriented,
 * whitespace-separated, numbers in hex where they are addresses:
 *
 *   maxprocs-stacks 2
 *   process PID WALL_NS START_NS TICKS_PER_NS WHY PROGRAM
 *                        START_NS: CLOCK_MONOTONIC when the profile began
 *                        (trace.json's ts 0), to line up a tree's traces
 *   mapping START END FILE_OFFSET BIAS PATH   each executable segment;
 *                        BIAS the object's load bias (dlpi_addr)
 *   thread TID NAME                           each thread that made a call
 *   call NAME COUNT STALL_NS PWAIT_NS MAX_STALL_NS MAX_PWAIT_NS HIST...
 *                        exact, all threads; HIST: MP_PROF_HIST counts,
 *                        [b] of stalls of 2^b to 2^(b+1) ticks
 *   frame PC FUNCTION                         dladdr's name for each PC below
 *                                             ("?": none)
 *   stack CALL TID STALL_NS PWAIT_NS KEPT PC...
 *                        one thread's weights of a stack (estimated),
 *                        innermost first, return addresses
 */
static int raw_mapping(struct dl_phdr_info *info, size_t size, void *arg)
{
	(void)size;
	(void)arg;
	const char *path = info->dlpi_name && *info->dlpi_name ? info->dlpi_name : NULL;
	char exe[4096];
	if (!path) {
		long r = mp_raw_syscall6(SYS_readlinkat, AT_FDCWD, (long)"/proc/self/exe", (long)exe,
		                         sizeof exe - 1, 0, 0);
		exe[r > 0 ? r : 0] = 0;
		path = r > 0 ? exe : "[main]";
	}
	if (strchr(path, ' ') || !strcmp(path, "linux-vdso.so.1"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type != PT_LOAD || !(ph->p_flags & PF_X))
			continue;
		uintptr_t start = info->dlpi_addr + ph->p_vaddr;
		outf(&out, "mapping %lx %lx %lx %lx %s\n", (unsigned long)start,
		     (unsigned long)(start + ph->p_memsz), (unsigned long)ph->p_offset,
		     (unsigned long)info->dlpi_addr, path);
	}
	return 0;
}

static uint64_t ticks_ns(uint64_t ticks) { return (uint64_t)((double)ticks / tpns); }

/* A name as one field or the rest of a line: no blanks, nothing unprintable. */
static void raw_name(const char *s, bool spaces_ok, char *buf, size_t len)
{
	size_t i = 0;
	for (; *s && i + 1 < len; s++)
		buf[i++] = *s > ' ' && *s < 127 ? *s : spaces_ok && *s == ' ' ? ' ' : '_';
	buf[i] = 0;
}

static void write_raw(const char *dir, const char *why, uint64_t end)
{
	if (out_open(&out, dir, "stacks.raw") != 0)
		return;
	char why_field[64];
	raw_name(why ? why : "running", false, why_field, sizeof why_field);   /* NULL: a flush */
	int64_t mono = mp_clock_ns(CLOCK_MONOTONIC);
	uint64_t now = mp_ticks();
	uint64_t since = ticks_ns(now > mp_prof.start_ticks ? now - mp_prof.start_ticks : 0);
	outf(&out, "maxprocs-stacks 2\nprocess %d %llu %lld %.9f %s %s\n", mp_prof.pid,
	     (unsigned long long)ticks_ns(end - mp_prof.start_ticks), (long long)(mono - (int64_t)since),
	     tpns, why_field, program_invocation_short_name);
	dl_iterate_phdr(raw_mapping, NULL);
	uint32_t nt = atomic_load(&mp_prof.nthreads);
	for (uint32_t i = 0; i < nt && i < MP_PROF_THREADS; i++) {
		const struct mp_prof_thread *t = atomic_load(&mp_prof.threads[i]);
		bool any = false;
		for (unsigned c = 0; t && c < MP_PROF_MAX_CALLS && !any; c++)
			any = t->calls[c].count != 0;
		if (!any)
			continue;   /* gone in a fork child, or made no call */
		char name[sizeof t->name + 1];
		raw_name(t->name, true, name, sizeof name);
		outf(&out, "thread %d %s\n", t->tid, name);
	}
	for (unsigned c = 0; c < MP_PROF_MAX_CALLS; c++) {
		const struct mp_prof_callstat *s = &total[c];
		if (!s->count || !is_row(c))
			continue;
		outf(&out, "call %s %llu %llu %llu %llu %llu", call_name(c), (unsigned long long)s->count,
		     (unsigned long long)ticks_ns(s->stall), (unsigned long long)s->pwait,
		     (unsigned long long)ticks_ns(s->max_stall), (unsigned long long)s->max_pwait);
		for (unsigned b = 0; b < MP_PROF_HIST; b++)
			outf(&out, " %llu", (unsigned long long)s->hist[b]);
		outf(&out, "\n");
	}
	for (unsigned i = 0; i < nrefs; i++) {
		const struct mp_prof_stack *s = refs[i].s;
		for (unsigned f = 0; refs[i].sym && f < s->depth; f++) {
			const struct frame_sym *fs = &refs[i].sym[f];
			if (fs->ours)
				continue;
			char fn[sizeof fs->fn];
			raw_name(fs->fn, false, fn, sizeof fn);
			outf(&out, "frame %lx %s\n", (unsigned long)s->pc[f], strchr(fn, '+') ? "?" : fn);
		}
	}
	for (unsigned i = 0; i < nrefs; i++) {
		for (int e = refs[i].first; e >= 0; e = entry_next[e]) {
			const struct mp_prof_stack *s = &mp_prof.stacks[e];
			outf(&out, "stack %s %d %llu %llu %llu", call_name(s->call), (int)s->tid,
			     (unsigned long long)ticks_ns(atomic_load(&s->stall)),
			     (unsigned long long)atomic_load(&s->pwait),
			     (unsigned long long)atomic_load(&s->kept));
			/* the same frames as the ref's: our own left out */
			for (unsigned f = 0; refs[i].sym && f < s->depth; f++)
				if (!refs[i].sym[f].ours)
					outf(&out, " %lx", (unsigned long)s->pc[f]);
			outf(&out, "\n");
		}
	}
	out_close(&out);
}

/* The profile could not be written (a process that dropped its privileges
 * after the directory was made by another user, a full disk): one line on
 * stderr, so the loss is not silent. */
static void warn_lost(const char *path, long err)
{
	struct mp_line ln;
	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: profile: cannot write ");
	mp_line_str(&ln, path);
	mp_line_str(&ln, ": ");
	mp_line_str(&ln, strerror((int)-err));
	mp_line_str(&ln, "; this process's profile is lost");
	mp_line_write(&ln, 2);
}


/*
 * Who writes.  The files are written by one writer at a time (the buffers
 * above are shared): `writing` is taken by a CAS.  The last write (the
 * program ends) waits, bounded, for a periodic flush under way, then sets
 * `ended` so that nothing writes after it; a flush that finds a write
 * under way simply skips its turn.
 */
static _Atomic int writing, ended;

static void pause_ms(long ms)
{
	struct timespec ts = { 0, ms * 1000000 };
	mp_raw_syscall(SYS_nanosleep, (long)&ts, 0, 0);
}

static int write_files(const char *why)
{
	uint64_t end = mp_ticks();
	tpns = mp_ticks_per_ns();
	char dir[4096];
	long r = mp_raw_syscall(SYS_mkdirat, AT_FDCWD, (long)mp_prof.opt.dir, 0777);
	if (r < 0 && r != -EEXIST) {
		warn_lost(mp_prof.opt.dir, r);
		return (int)r;
	}
	snprintf(dir, sizeof dir, "%s/%d", mp_prof.opt.dir, mp_prof.pid);
	r = mp_raw_syscall(SYS_mkdirat, AT_FDCWD, (long)dir, 0777);
	if (r < 0 && r != -EEXIST) {
		warn_lost(dir, r);
		return (int)r;
	}
	refresh_names();
	gather();
	r = write_summary(dir, why, (double)(end - mp_prof.start_ticks) / tpns / 1e9);
	if (r < 0) {
		warn_lost(dir, r);
		return (int)r;
	}
	write_folded(dir, "stalls.folded", false);
	write_folded(dir, "pwait.folded", true);
	write_trace(dir);
	write_raw(dir, why, end);
	release_stacks();
	return 0;
}

/* The last write, waiting at most wait_ms for a flush under way. */
static int write_last(const char *why, int wait_ms)
{
	if (!mp_prof_on || atomic_load(&ended))
		return 0;
	int expect = 0;
	for (int i = 0; !atomic_compare_exchange_strong(&writing, &expect, 1); i++) {
		expect = 0;
		if (i >= wait_ms)
			return -EBUSY;
		pause_ms(1);
	}
	int r = 0;
	if (!atomic_exchange(&ended, 1))
		r = write_files(why);
	atomic_store(&writing, 0);
	return r;
}

/* A flush under way takes a few ms; wait for it at most 5 s. */
int mp_prof_write(const char *why)
{
	return write_last(why, 5000);
}

int mp_prof_flush(void)
{
	if (!mp_prof_on || atomic_load(&ended))
		return 0;
	int expect = 0;
	if (!atomic_compare_exchange_strong(&writing, &expect, 1))
		return 0;
	int r = atomic_load(&ended) ? 0 : write_files(NULL);
	atomic_store(&writing, 0);
	return r;
}

void mp_prof_write_reset(void)
{
	atomic_store(&writing, 0);
	atomic_store(&ended, 0);
}

/* ---- the last words: a terminating signal ------------------------------ */

static int words_duty = -1;                /* the monitor's duty (mp_prof_duty_add) */
static _Atomic(const char *) words_why;    /* set: the duty writes the last time */
static _Atomic uint32_t words_done;        /* futex: +1 when it has */

static void profile_duty(uint64_t now, void *arg)
{
	(void)now;
	(void)arg;
	const char *why = atomic_exchange(&words_why, NULL);
	if (!why) {
		mp_prof_flush();
		return;
	}
	mp_prof_write(why);
	atomic_fetch_add(&words_done, 1);
	mp_futex_wake((const uint32_t *)&words_done, 1 << 30);
}

int mp_prof_duty_add(uint64_t flush_ms)
{
	words_duty = mp_monitor_duty_add("profile", flush_ms * 1000000ull, profile_duty, NULL);
	return words_duty < 0 ? words_duty : 0;
}

static const char *signal_name(int sig)
{
	switch (sig) {
	case SIGTERM: return "SIGTERM";
	case SIGINT: return "SIGINT";
	case SIGHUP: return "SIGHUP";
	case SIGQUIT: return "SIGQUIT";
	default: return "a signal";
	}
}

void mp_prof_last_words(int sig)
{
	if (!mp_prof_on || atomic_load(&ended))
		return;
	const char *why = signal_name(sig);
	uint32_t seq = atomic_load(&words_done);
	atomic_store(&words_why, why);
	if (mp_monitor_duty_request(words_duty)) {
		struct timespec tick = { 0, 100000000 };
		for (int i = 0; i < 50 && atomic_load(&words_done) == seq; i++)
			mp_futex_wait((const uint32_t *)&words_done, seq, &tick);
		if (atomic_load(&words_done) != seq)
			return;
	}
	/* No monitor, or it could not finish (it may wait on a lock this very
	 * thread holds): write here.  Does nothing if its write began; after
	 * the 5 s above, no second wait for a flush that holds the files. */
	bool waited = atomic_exchange(&words_why, NULL) == NULL;
	write_last(why, waited ? 0 : 5000);
}
