/*
 * workload.c - the helpers of workload.h.
 */
#include "workload.h"

#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <time.h>

uint64_t wl_now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

void wl_sleep_ns(uint64_t ns)
{
	struct timespec ts = { (time_t)(ns / 1000000000u), (long)(ns % 1000000000u) };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static uint64_t thread_cpu_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* A chain of dependent multiply-adds: the compiler can neither drop nor
 * vectorise it (the empty asm makes x opaque), and it makes no calls, so
 * nothing but the loop's own speed decides how long it takes. */
static uint64_t spin_iters(uint64_t n)
{
	uint64_t x = n;
	for (uint64_t i = 0; i < n; i++) {
		x = x * 6364136223846793005u + 1442695040888963407u;
		__asm__ volatile("" : "+r"(x));
	}
	return x;
}

static double ns_per_iter = 1.0;

/* The thread CPU clock counts only time on a CPU, so neither other load nor
 * a quota stretches the measurement; the fastest of a few tries leaves out
 * what an interrupt or a hypervisor stole. */
void wl_calibrate(void)
{
	const uint64_t n = 2000000;
	double best = 0;
	for (int i = 0; i < 5; i++) {
		uint64_t t0 = thread_cpu_ns();
		spin_iters(n);
		double per = (double)(thread_cpu_ns() - t0) / (double)n;
		if (per > 0 && (best == 0 || per < best))
			best = per;
	}
	if (best > 0)
		ns_per_iter = best;
}

void wl_work_ns(uint64_t ns)
{
	spin_iters((uint64_t)((double)ns / ns_per_iter) + 1);
}

/* ---- histogram ------------------------------------------------------- */

static unsigned bucket_of(uint64_t v)
{
	if (v < 16)
		return (unsigned)v;
	unsigned e = 63 - (unsigned)__builtin_clzll(v);       /* >= 4 */
	unsigned sub = (unsigned)(v >> (e - 4)) - 16;          /* 0..15 */
	return 16 * (e - 3) + sub;
}

/* The middle of bucket i. */
static double value_of(unsigned i)
{
	if (i < 16)
		return i;
	unsigned e = i / 16 + 3, sub = i % 16;
	double width = ldexp(1.0, (int)e - 4);
	return (16 + sub) * width + (width - 1) / 2;
}

void wl_hist_add(struct wl_hist *h, uint64_t ns)
{
	h->count[bucket_of(ns)]++;
	h->n++;
}

void wl_hist_merge(struct wl_hist *into, const struct wl_hist *from)
{
	for (unsigned i = 0; i < WL_HIST_BUCKETS; i++)
		into->count[i] += from->count[i];
	into->n += from->n;
}

double wl_hist_pct_us(const struct wl_hist *h, double q)
{
	if (h->n == 0)
		return 0;
	uint64_t rank = (uint64_t)ceil(q * (double)h->n), seen = 0;
	if (rank == 0)
		rank = 1;
	for (unsigned i = 0; i < WL_HIST_BUCKETS; i++) {
		seen += h->count[i];
		if (seen >= rank)
			return value_of(i) / 1000.0;
	}
	return value_of(WL_HIST_BUCKETS - 1) / 1000.0;
}

void wl_print_pct(FILE *f, const struct wl_hist *h)
{
	fprintf(f, " p50_us=%.3f p99_us=%.3f p999_us=%.3f",
	        wl_hist_pct_us(h, 0.50), wl_hist_pct_us(h, 0.99),
	        wl_hist_pct_us(h, 0.999));
}

/* ---- the process's own costs ----------------------------------------- */

static double tv_s(struct timeval tv)
{
	return (double)tv.tv_sec + (double)tv.tv_usec / 1e6;
}

void wl_usage_start(struct wl_usage *u)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	u->vcsw = ru.ru_nvcsw;
	u->ivcsw = ru.ru_nivcsw;
	u->user_s = tv_s(ru.ru_utime);
	u->sys_s = tv_s(ru.ru_stime);
}

void wl_usage_stop(struct wl_usage *u)
{
	struct rusage ru;
	getrusage(RUSAGE_SELF, &ru);
	u->vcsw = ru.ru_nvcsw - u->vcsw;
	u->ivcsw = ru.ru_nivcsw - u->ivcsw;
	u->user_s = tv_s(ru.ru_utime) - u->user_s;
	u->sys_s = tv_s(ru.ru_stime) - u->sys_s;
}

void wl_print_usage(FILE *f, const struct wl_usage *u)
{
	fprintf(f, " vcsw=%ld ivcsw=%ld cpu_s=%.3f user_s=%.3f sys_s=%.3f",
	        u->vcsw, u->ivcsw, u->user_s + u->sys_s, u->user_s, u->sys_s);
}

/* ---- arguments ------------------------------------------------------- */

uint64_t wl_arg_u64(const char *opt, const char *s, uint64_t min, uint64_t max)
{
	char *end;
	errno = 0;
	unsigned long long v = strtoull(s, &end, 10);
	if (errno || end == s || *end || *s == '-' || v < min || v > max) {
		fprintf(stderr, "%s: want an integer from %llu to %llu, not '%s'\n",
		        opt, (unsigned long long)min, (unsigned long long)max, s);
		exit(2);
	}
	return v;
}

double wl_arg_seconds(const char *opt, const char *s)
{
	char *end;
	errno = 0;
	double v = strtod(s, &end);
	if (errno || end == s || *end || !(v > 0 && v <= 3600)) {
		fprintf(stderr, "%s: want seconds, more than 0 and at most 3600, not '%s'\n",
		        opt, s);
		exit(2);
	}
	return v;
}

void wl_spawn(const char *who, pthread_t *t, void *(*fn)(void *), void *arg)
{
	int err = pthread_create(t, NULL, fn, arg);
	if (err) {
		fprintf(stderr, "%s: pthread_create: %s\n", who, strerror(err));
		exit(1);
	}
}
