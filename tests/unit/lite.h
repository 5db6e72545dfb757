/*
 * lite.h - a stand-in for the part of Criterion the unit tests use, for
 * ThreadSanitizer builds only.
 *
 * Criterion 2.4's runner cannot start under TSan: BoxFort maps its
 * inheritable arena with MAP_FIXED at a random address in
 * 0x2000'0000'0000..0x6000'0000'0000, which TSan refuses outside its
 * application ranges ("Could not initialize inheritable arena",
 * Snaipe/Criterion#274).  This runner keeps Criterion's contract: each test
 * runs in its own forked process with its .init and .fini, a failed
 * assertion ends the test with a message, a hang past .timeout is killed and
 * reported, and the exit status is non-zero if any test failed.  A TSan
 * report ends the test's process (halt_on_error=1), so it fails the test.
 */
#ifndef MP_TEST_LITE_H
#define MP_TEST_LITE_H

#include <signal.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

struct lite_test {
	const char *suite, *name;
	void (*fn)(void);
	void (*init)(void);
	void (*fini)(void);
	double timeout;        /* seconds; 0: LITE_DEFAULT_TIMEOUT */
	int signal;            /* expected fatal signal, 0: none */
	int exit_code;
	int disabled;
	struct lite_test *next;
};

#define LITE_DEFAULT_TIMEOUT 100
#define LITE_SKIP_STATUS 125

static struct lite_test *lite_tests;

static inline void lite_register(struct lite_test *t)
{
	t->next = lite_tests;
	lite_tests = t;
}

#define Test(S, N, ...)                                                         \
	static void S##_##N##_fn(void);                                             \
	static struct lite_test S##_##N##_desc = {                                 \
		.suite = #S, .name = #N, .fn = S##_##N##_fn, ##__VA_ARGS__ };          \
	__attribute__((constructor)) static void S##_##N##_register(void)         \
	{ lite_register(&S##_##N##_desc); }                                       \
	static void S##_##N##_fn(void)

__attribute__((format(printf, 4, 5), noreturn))
static void lite_fail(const char *file, int line, const char *expr, const char *fmt, ...)
{
	char msg[1024];
	va_list ap;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof msg, fmt, ap);
	va_end(ap);
	fprintf(stderr, "[----] %s:%d: Assertion Failed: %s\n[----]   %s\n", file, line, expr, msg);
	fflush(stderr);
	_exit(1);
}

/* The message is optional, as in Criterion: `" " __VA_ARGS__` is " " alone
 * or glues onto the caller's format literal. */
#define cr_assert(cond, ...) \
	do { if (!(cond)) lite_fail(__FILE__, __LINE__, #cond, " " __VA_ARGS__); } while (0)
#define LITE_CMP(a, op, b, ...) \
	do { if (!((a) op (b))) lite_fail(__FILE__, __LINE__, #a " " #op " " #b, " " __VA_ARGS__); } while (0)
#define cr_assert_eq(a, b, ...)  LITE_CMP(a, ==, b, __VA_ARGS__)
#define cr_assert_neq(a, b, ...) LITE_CMP(a, !=, b, __VA_ARGS__)
#define cr_assert_lt(a, b, ...)  LITE_CMP(a, <, b, __VA_ARGS__)
#define cr_assert_leq(a, b, ...) LITE_CMP(a, <=, b, __VA_ARGS__)
#define cr_assert_gt(a, b, ...)  LITE_CMP(a, >, b, __VA_ARGS__)
#define cr_assert_geq(a, b, ...) LITE_CMP(a, >=, b, __VA_ARGS__)
#define cr_assert_null(p, ...)   LITE_CMP((const void *)(p), ==, NULL, __VA_ARGS__)
/* Criterion's expect goes on after a failure; here it ends the test, which
 * fails either way. */
#define cr_expect_eq(a, b, ...)  LITE_CMP(a, ==, b, __VA_ARGS__)

#define cr_log_info(...) \
	do { fprintf(stderr, "[----] " __VA_ARGS__); fputc('\n', stderr); } while (0)
#define cr_skip_test(...) \
	do { fprintf(stderr, "[SKIP] " __VA_ARGS__); fputc('\n', stderr); fflush(stderr); \
	     _exit(LITE_SKIP_STATUS); } while (0)

static int lite_run(const struct lite_test *t)
{
	fflush(NULL);
	pid_t pid = fork();
	if (pid < 0) {
		perror("fork");
		return 1;
	}
	if (pid == 0) {
		if (t->init)
			t->init();
		t->fn();
		if (t->fini)
			t->fini();
		fflush(NULL);
		_exit(0);
	}
	double limit = t->timeout > 0 ? t->timeout : LITE_DEFAULT_TIMEOUT;
	struct timespec start, now;
	clock_gettime(CLOCK_MONOTONIC, &start);
	int status = 0;
	pid_t r;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0) {
		clock_gettime(CLOCK_MONOTONIC, &now);
		if ((double)(now.tv_sec - start.tv_sec) + (now.tv_nsec - start.tv_nsec) / 1e9 > limit) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			fprintf(stderr, "[FAIL] %s::%s: timed out after %.0f s (hung)\n", t->suite, t->name, limit);
			return 1;
		}
		struct timespec ts = { 0, 5000000 };
		nanosleep(&ts, NULL);
	}
	bool pass;
	if (t->signal)
		pass = WIFSIGNALED(status) && WTERMSIG(status) == t->signal;
	else
		pass = WIFEXITED(status) && (WEXITSTATUS(status) == t->exit_code ||
		                             WEXITSTATUS(status) == LITE_SKIP_STATUS);
	if (pass)
		fprintf(stderr, "[%s] %s::%s\n",
		        WIFEXITED(status) && WEXITSTATUS(status) == LITE_SKIP_STATUS ? "SKIP" : "PASS",
		        t->suite, t->name);
	else if (WIFSIGNALED(status))
		fprintf(stderr, "[FAIL] %s::%s: killed by signal %d\n", t->suite, t->name, WTERMSIG(status));
	else
		fprintf(stderr, "[FAIL] %s::%s: exit status %d\n", t->suite, t->name, WEXITSTATUS(status));
	return !pass;
}

int main(void)
{
	int failed = 0, run = 0;
	for (const struct lite_test *t = lite_tests; t; t = t->next) {
		if (t->disabled)
			continue;
		run++;
		failed += lite_run(t);
	}
	fprintf(stderr, "[====] Synthesis: Tested: %d | Passing: %d | Failing: %d\n", run, run - failed, failed);
	return failed != 0;
}

#endif
