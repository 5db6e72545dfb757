/*
 * itest.h - helpers for the integration test programs: outcome codes,
 * failure reports, clocks, CPU burning and what the runner asked for.
 *
 * Conventions: a program prints its results on stdout (the runner compares
 * them between plain and library runs, so they must not depend on timing)
 * and its measurements on stderr.  Exit 0 passes, 1 fails, 77 skips.
 */
#ifndef MAXPROCS_ITEST_H
#define MAXPROCS_ITEST_H

#include <errno.h>
#include <pthread.h>
#include <sched.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define IT_PASS 0
#define IT_FAIL 1
#define IT_SKIP 77

#define it_fail(...)                                                        \
	do {                                                                \
		fprintf(stderr, "FAIL: %s:%d: ", __FILE__, __LINE__);       \
		fprintf(stderr, __VA_ARGS__);                               \
		fputc('\n', stderr);                                        \
		exit(IT_FAIL);                                              \
	} while (0)

#define it_check(cond, ...)                                                 \
	do {                                                                \
		if (!(cond))                                                \
			it_fail(__VA_ARGS__);                               \
	} while (0)

/* A call that returns -1 and sets errno on failure. */
#define it_sys(expr)                                                        \
	({                                                                  \
		long it_ret_ = (long)(expr);                                \
		if (it_ret_ == -1)                                          \
			it_fail("%s: %s", #expr, strerror(errno));          \
		it_ret_;                                                    \
	})

/* A pthread call that returns an error number. */
#define it_pt(expr)                                                         \
	do {                                                                \
		int it_err_ = (expr);                                       \
		if (it_err_ != 0)                                           \
			it_fail("%s: %s", #expr, strerror(it_err_));        \
	} while (0)

static inline double it_clock_s(clockid_t clock)
{
	struct timespec ts;

	clock_gettime(clock, &ts);
	return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static inline double it_now(void) { return it_clock_s(CLOCK_MONOTONIC); }
static inline double it_process_cpu(void)
{
	return it_clock_s(CLOCK_PROCESS_CPUTIME_ID);
}
static inline double it_thread_cpu(void)
{
	return it_clock_s(CLOCK_THREAD_CPUTIME_ID);
}

/* Work the optimizer cannot remove. */
static inline void it_spin(unsigned n)
{
	for (volatile unsigned i = 0; i < n; i++)
		;
}

/* Burn this thread's CPU for seconds of its own CPU time (so waiting for a
 * P does not count), making no calls the library intercepts. */
static inline void it_burn_cpu(double seconds)
{
	double end = it_thread_cpu() + seconds;

	while (it_thread_cpu() < end)
		it_spin(1000);
}

/* Burn CPU until the wall clock reaches deadline. */
static inline void it_burn_until(double deadline)
{
	while (it_now() < deadline)
		it_spin(1000);
}

static inline void it_sleep_ms(long ms)
{
	struct timespec ts = { ms / 1000, (ms % 1000) * 1000000L };

	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

/* CPUs this process may run on. */
static inline int it_cpus(void)
{
	cpu_set_t set;

	if (sched_getaffinity(0, sizeof set, &set) != 0)
		return 1;
	return CPU_COUNT(&set);
}

/* True if libmaxprocs.so is mapped into this process. */
static inline bool it_library_loaded(void)
{
	char line[512];
	bool found = false;
	FILE *maps = fopen("/proc/self/maps", "r");

	if (!maps)
		return false;
	while (!found && fgets(line, sizeof line, maps))
		found = strstr(line, "libmaxprocs") != NULL;
	fclose(maps);
	return found;
}

/* The cap in force: MAXPROCS when the library is loaded and the value is
 * valid, else 0 (no cap). */
static inline int it_procs(void)
{
	const char *env = getenv("MAXPROCS");
	char *end;
	long n;

	if (!env || !it_library_loaded())
		return 0;
	n = strtol(env, &end, 10);
	return *env && !*end && n >= 1 && n <= 1024 ? (int)n : 0;
}

/* CPUs the program can use at once: the cap, if any, within the CPUs. */
static inline int it_usable_cpus(void)
{
	int cpus = it_cpus(), procs = it_procs();

	return procs && procs < cpus ? procs : cpus;
}

/* The runner said this run has the library; it must really be there. */
static inline void it_check_mode(void)
{
	const char *mode = getenv("MP_IT_MODE");

	if (mode && strcmp(mode, "library") == 0)
		it_check(it_library_loaded(),
		         "run with the library, but libmaxprocs is not mapped");
}

static inline void it_create(pthread_t *t, void *(*fn)(void *), void *arg)
{
	it_pt(pthread_create(t, NULL, fn, arg));
}

static inline void *it_join(pthread_t t)
{
	void *ret;

	it_pt(pthread_join(t, &ret));
	return ret;
}


/* A CPU-bound thread that makes no calls until it_spinners_stop is set:
 * a few of them keep Ms waiting for a P, so preemption and revocation go
 * on all through a test. */
static volatile int it_spinners_stop;

static inline void *it_spinner(void *arg)
{
	(void)arg;
	while (!it_spinners_stop)
		it_spin(1000);
	return NULL;
}

/* Two threads hand a turn back and forth it_pingpong_rounds times by
 * busy-waiting on an atomic, making no calls: at -p 1 each hand-over needs
 * the waiting one's P taken from the spinning one. */
#include <stdatomic.h>
static atomic_int it_pingpong_turn;
static int it_pingpong_rounds = 1000;

static inline void *it_pingpong_player(void *arg)
{
	int me = (int)(long)arg;

	for (int i = 0; i < it_pingpong_rounds; i++) {
		while (atomic_load_explicit(&it_pingpong_turn, memory_order_acquire) != me)
			;
		atomic_store_explicit(&it_pingpong_turn, 1 - me, memory_order_release);
	}
	return NULL;
}

static inline void it_pingpong(void)
{
	pthread_t t[2];

	it_create(&t[0], it_pingpong_player, (void *)0L);
	it_create(&t[1], it_pingpong_player, (void *)1L);
	it_join(t[0]);
	it_join(t[1]);
}

/* A request/response server: reads it_server.rounds requests (0, 1, 2...,
 * in order) from it_server.in and answers each with 2v+1 on it_server.out.
 * Run it on a thread: it_create(&t, it_answer_requests, &it_server). */
struct it_server {
	int in, out;
	unsigned rounds;
};

static inline void *it_answer_requests(void *arg)
{
	const struct it_server *s = arg;
	for (unsigned i = 0; i < s->rounds; i++) {
		unsigned v;
		it_check(read(s->in, &v, sizeof v) == sizeof v, "server: short read");
		it_check(v == i, "server: request %u out of order (expected %u)", v, i);
		v = v * 2 + 1;
		it_check(write(s->out, &v, sizeof v) == sizeof v, "server: short write");
	}
	return NULL;
}

static inline void *it_burn_thread(void *arg)
{
	it_burn_until(*(double *)arg);
	return NULL;
}

/* A child process's check that it is capped too: nthreads threads burn
 * CPU for 0.5 s; with procs > 0 Ps, CPU/wall must stay within the cap. */
static inline int it_child_burn_within_cap(int nthreads, int procs)
{
	pthread_t t[64];
	double wall0 = it_now(), cpu0 = it_process_cpu(), ratio;
	double deadline = wall0 + 0.5;
	int i;

	for (i = 0; i < nthreads && i < 64; i++)
		it_create(&t[i], it_burn_thread, &deadline);
	for (i = 0; i < nthreads && i < 64; i++)
		it_join(t[i]);
	ratio = (it_process_cpu() - cpu0) / (it_now() - wall0);
	fprintf(stderr, "child: CPU/wall %.2f (cap %d)\n", ratio, procs);
	if (procs)
		it_check(ratio <= procs * 1.15,
		         "child CPU/wall %.2f exceeds the cap of %d", ratio, procs);
	return IT_PASS;
}

#endif
