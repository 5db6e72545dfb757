/* test_fork.c - mp_sched_fork_child leaves the forking thread alone on P0, every other P idle and no M queued, and the child's scheduler works. */
#include <dirent.h>
#include <signal.h>
#include <stdlib.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* ---- the child's side: no Criterion here, only a message and _exit ---- */

static int report_fd = -1;

/* What each thread of process pid is doing, for a failure message: its
 * tid and the head of /proc's syscall line ("running", or the call number
 * and first argument: a futex word's address), beside the addresses a
 * wait of the scheduler's own would show. */
static void describe_threads(int pid, char *out, size_t cap)
{
	char path[300];
	int n = snprintf(out, cap, "sched.lock=%p;", (void *)&mp_sched.lock.word);
	snprintf(path, sizeof path, "/proc/%d/task", pid);
	DIR *d = opendir(path);
	if (!d)
		return;
	struct dirent *e;
	while ((e = readdir(d)) != NULL && n > 0 && (size_t)n < cap) {
		if (e->d_name[0] == '.')
			continue;
		char line[128] = "?";
		snprintf(path, sizeof path, "/proc/%d/task/%s/syscall", pid, e->d_name);
		FILE *f = fopen(path, "r");
		if (f) {
			if (!fgets(line, sizeof line, f))
				strcpy(line, "?");
			fclose(f);
		}
		/* the call and its first two arguments */
		int fields = 0;
		for (char *c = line; *c; c++)
			if ((*c == ' ' && ++fields == 3) || *c == '\n') {
				*c = 0;
				break;
			}
		n += snprintf(out + n, cap - (size_t)n, " %s: %s;", e->d_name, line);
	}
	closedir(d);
}

__attribute__((format(printf, 1, 2), noreturn))
static void child_fail(const char *fmt, ...)
{
	char buf[600];
	va_list ap;
	va_start(ap, fmt);
	int n = vsnprintf(buf, sizeof buf, fmt, ap);
	va_end(ap);
	if (n > 0 && (size_t)n < sizeof buf - 2) {
		buf[n++] = ' ';
		describe_threads(getpid(), buf + n, sizeof buf - (size_t)n);
		n = (int)strlen(buf);
	}
	if (n > 0 && write(report_fd, buf, (size_t)n < sizeof buf ? (size_t)n : sizeof buf - 1) < 0)
		_exit(3);
	_exit(1);
}

#define CHILD_CHECK(cond, ...) do { if (!(cond)) child_fail(__VA_ARGS__); } while (0)

static atomic_int child_step;

static void *child_thread(void *arg)
{
	int want = (int)(intptr_t)arg;   /* 1: attach and hold; 2: attach, wait, detach */
	mp_m_attach();
	atomic_store(&child_step, want == 1 ? 10 + mp_m_pid() : 20 + mp_m_pid());
	while (atomic_load(&child_step) != -want)
		sched_yield();   /* hold the P as running code */
	mp_m_detach();
	return NULL;
}

/* The forking thread's half: what must hold right after fork.  It holds
 * a P throughout, so it waits by spinning (SPIN_UNTIL): asleep it would
 * look blocked outside the table to the monitor. */
static void child_checks(uint32_t nprocs)
{
	mp_sched_fork_child();
	struct mp_stats s = stats();
	CHILD_CHECK(mp_m_attached() && mp_m_pid() == 0, "forking thread holds P%d, not P0", mp_m_pid());
	CHILD_CHECK(s.nprocs == nprocs && s.running == 1 && s.idle == nprocs - 1 && s.in_syscall == 0 &&
	            s.stopped == 0 && s.waiting == 0 && s.threads == 1,
	            "after fork_child: %s", stats_str(&s));
	mp_enter_syscall();
	mp_exit_syscall();
	CHILD_CHECK(mp_m_pid() == 0, "enter/exit in the child moved to P%d", mp_m_pid());

#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
	/* TSan cannot start threads in the child of a multi-threaded fork
	 * ("dup thread with used id"), and GCC 12's ASan may not either: its
	 * allocator's locks are not taken around fork, so one that a parent
	 * thread (Criterion's own) held then stays held in the child, where
	 * pthread_create waits on it for good (seen: the new thread in a futex
	 * wait at 0x640000001208, in ASan's allocator space, 1 run in 20).
	 * Check the single-threaded part only; the normal build checks the
	 * rest. */
	mp_m_detach();
	s = stats();
	CHILD_CHECK(s.idle == nprocs && s.waiting == 0 && s.threads == 0, "at the end: %s", stats_str(&s));
	_exit(0);
#endif
	/* The lock and the queue were rebuilt: a new M gets the idle P, a
	 * third queues and is handed P0 by enter-blocking. */
	pthread_t t1, t2;
	CHILD_CHECK(pthread_create(&t1, NULL, child_thread, (void *)1) == 0, "pthread_create");
	CHILD_CHECK(SPIN_UNTIL(atomic_load(&child_step) >= 10, MP_TEST_WAIT_MS),
	            "a new M in the child never got a P: %s", stats_str(&s));
	int second = atomic_load(&child_step) - 10;
	if (nprocs > 1)
		CHILD_CHECK(second == 1, "second M got P%d", second);
	CHILD_CHECK(pthread_create(&t2, NULL, child_thread, (void *)2) == 0, "pthread_create");
	CHILD_CHECK(SPIN_UNTIL(stats().waiting == 1 || nprocs > 2, MP_TEST_WAIT_MS), "third M did not queue");
	mp_enter_blocking();
	CHILD_CHECK(WAIT_UNTIL(atomic_load(&child_step) >= 20, MP_TEST_WAIT_MS),
	            "enter-blocking in the child did not hand P0 to the queued M");
	CHILD_CHECK(atomic_load(&child_step) == 20, "queued M got P%d", atomic_load(&child_step) - 20);
	atomic_store(&child_step, -2);
	pthread_join(t2, NULL);
	atomic_store(&child_step, -1);
	pthread_join(t1, NULL);
	mp_exit_syscall();
	CHILD_CHECK(mp_m_holds_p(), "forking thread has no P after its exit");
	mp_m_detach();
	CHILD_CHECK(mp_monitor_start(pthread_create) == 0, "the monitor did not restart in the child");
	s = stats();
	CHILD_CHECK(s.idle == nprocs && s.waiting == 0 && s.threads == 0, "at the end: %s", stats_str(&s));
	_exit(0);
}

/* ---- the parent's side ------------------------------------------------ */

/* Waits at most MP_TEST_WAIT_MS for the child; kills it if it hangs.
 * Returns NULL if it passed, else why not (static). */
static const char *reap(pid_t pid, int fd)
{
	static char why[800];
	int status = 0;
	pid_t r = 0;
	/* Twice the harness's bound: a child that is only slow (ASan on a
	 * loaded 2-CPU machine) gets its time, and one that hangs is killed and
	 * reported as such, before its caller's own bound (3x, below) expires.
	 * By the clock, not by counting sleeps: on a loaded machine 1 ms sleeps
	 * took 1.5 ms, and the caller's bound ran out first, with no word of
	 * the child. */
	uint64_t deadline = now_ns() + 2ull * MP_TEST_WAIT_MS * 1000000;
	while ((r = waitpid(pid, &status, WNOHANG)) == 0 && now_ns() < deadline)
		sleep_us(1000);
	if (r == 0) {
		char threads[300];
		describe_threads(pid, threads, sizeof threads);
		kill(pid, SIGKILL);
		waitpid(pid, &status, 0);
		snprintf(why, sizeof why, "fork child %d hung (killed): %s", (int)pid, threads);
		return why;
	}
	char msg[600] = "";
	ssize_t n = read(fd, msg, sizeof msg - 1);
	msg[n > 0 ? n : 0] = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		return NULL;
	if (WIFSIGNALED(status))
		snprintf(why, sizeof why, "fork child died of signal %d: %s", WTERMSIG(status), msg);
	else
		snprintf(why, sizeof why, "fork child exited %d: %s", WEXITSTATUS(status), msg);
	return why;
}

static uint32_t fork_nprocs;
static int forks_per_call = 1;
static char fork_failure[900];

/* Runs on an agent that holds a P: forks, and waits for the child inside a
 * bracketed call, as an intercepted waitpid would. */
static void fork_and_check(struct agent *a)
{
	(void)a;
	for (int i = 0; i < forks_per_call && !fork_failure[0]; i++) {
		int fds[2];
		if (pipe(fds) != 0) {
			snprintf(fork_failure, sizeof fork_failure, "pipe: %s", strerror(errno));
			return;
		}
		pid_t pid = fork();
		if (pid == 0) {
			close(fds[0]);
			report_fd = fds[1];
			child_checks(fork_nprocs);
		}
		close(fds[1]);
		mp_enter_syscall();
		const char *why = pid < 0 ? "fork failed" : reap(pid, fds[0]);
		mp_exit_syscall();
		close(fds[0]);
		if (why)
			snprintf(fork_failure, sizeof fork_failure, "fork %d: %s", i, why);
		spin_ns(1000000);
	}
}

Test(fork, child_has_one_m_on_p0, .init = sched_up_2p, .fini = sched_down, .timeout = 60)
{
	/* Parent: A in a syscall with its P retaken, B running on it, E (the
	 * forking thread) on P1, C queued. */
	static struct agent a, b, c, e;
	agent_start(&a, 1);
	agent_start(&b, 2);
	agent_start(&c, 3);
	agent_start(&e, 4);
	agent_run(&a, A_ATTACH);
	agent_run(&e, A_ATTACH);
	cr_assert_eq(atomic_load(&e.pid), 1);
	agent_run(&a, A_ENTER_SYSCALL);
	agent_run(&b, A_ATTACH);      /* via the monitor's retake */
	/* Holders with C waiting: the monitor could only interfere from here
	 * (see sched_up_nomon_1p). */
	mp_monitor_stop();
	agent_post(&c, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "C did not queue");

	fork_nprocs = 2;
	e.call = fork_and_check;
	/* 3x: reap's own bound (2x) reports a child that hangs or fails a
	 * check late, with the child's own message. */
	agent_post(&e, A_CALL);
	cr_assert(agent_wait(&e, e.posted, 3 * MP_TEST_WAIT_MS), "the forking agent hung: %s",
	          fork_failure);
	cr_assert(!fork_failure[0], "%s", fork_failure);

	/* The parent is untouched: let everyone go. */
	agent_run(&e, A_DETACH);
	cr_assert(agent_wait(&c, 1, MP_TEST_WAIT_MS), "C never got E's P");
	agent_run(&b, A_DETACH);
	agent_run(&c, A_DETACH);
	agent_run(&a, A_EXIT);
	agent_run(&a, A_DETACH);
	agent_finish(&a);
	agent_finish(&b);
	agent_finish(&c);
	agent_finish(&e);
	assert_no_worker_failures();
	assert_all_ps_idle(2);
}

/* ---- forking while other Ms churn through the lock and the queue ------ */

#define CHURN_THREADS 6
static atomic_bool stop;

static void *churn(void *arg)
{
	uint64_t seed = 0x9e3779b97f4a7c15ull * (uint64_t)((intptr_t)arg + 1);
	mp_m_attach();
	while (!atomic_load(&stop)) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		switch ((seed >> 20) % 4) {
		case 0: mp_enter_syscall(); sleep_us((unsigned)(seed >> 40) % 300); mp_exit_syscall(); break;
		case 1: mp_enter_blocking(); sleep_us((unsigned)(seed >> 40) % 300); mp_exit_syscall(); break;
		case 2: mp_yield(); break;
		default: spin_ns((seed >> 40) % 200000); break;
		}
	}
	mp_m_detach();
	return NULL;
}

Test(fork, fork_while_ms_churn, .init = sched_up_2p, .fini = sched_down, .timeout = 90)
{
	pthread_t t[CHURN_THREADS];
	for (int i = 0; i < CHURN_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, churn, (void *)(intptr_t)i), 0);
	static struct agent e;
	agent_start(&e, 1);
	agent_run(&e, A_ATTACH);
	fork_nprocs = 2;
	/* One fork per call: the harness bounds each call at MP_TEST_WAIT_MS,
	 * a hang of any one fork fails, and twenty slow ones (ASan, beside the
	 * CPU-bound integration tests) do not add up to a false hang. */
	forks_per_call = 1;
	e.call = fork_and_check;
	for (int i = 0; i < 20 && !fork_failure[0]; i++) {
		agent_post(&e, A_CALL);
		bool done = agent_wait(&e, e.posted, 3 * MP_TEST_WAIT_MS);
		struct mp_stats s = stats();
		cr_assert(done,
		          "the forking agent hung in fork %d (not in its child: reap kills that): %s",
		          i, stats_str(&s));
	}
	atomic_store(&stop, true);
	cr_assert(!fork_failure[0], "%s", fork_failure);
	agent_run(&e, A_DETACH);
	agent_finish(&e);
	for (int i = 0; i < CHURN_THREADS; i++)
		pthread_join(t[i], NULL);
	assert_no_worker_failures();
	assert_all_ps_idle(2);
}
