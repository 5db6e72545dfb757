/*
 * harness.h - what the unit tests share: fixtures that give each Criterion
 * test (its own process) a fresh scheduler, scripted M threads ("agents")
 * that the test drives one step at a time, bounded waits, and the checks
 * that every P is accounted for.
 *
 * Criterion assertions longjmp out of the test function, so only the test's
 * own thread may use them; other threads report through worker_fail().
 */
#ifndef MP_TEST_HARNESS_H
#define MP_TEST_HARNESS_H

#ifdef MP_TEST_LITE
#include "lite.h"        /* TSan builds: Criterion's runner cannot start */
#else
#include <criterion/criterion.h>
#endif
#include <errno.h>
#include <pthread.h>
#include <semaphore.h>
#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#include "sched/sched.h"
#include "sched/internal.h"

#define MP_UNUSED __attribute__((unused))

/* How long a step may take before we call it a hang: far beyond any monitor
 * tick (<= 10 ms), so a loaded 2-core VM running a sanitizer build passes. */
#define MP_TEST_WAIT_MS 10000

static inline uint64_t now_ns(void)
{
	struct timespec ts;
	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static inline void sleep_us(unsigned us)
{
	struct timespec ts = { .tv_sec = us / 1000000, .tv_nsec = (long)(us % 1000000) * 1000 };
	while (nanosleep(&ts, &ts) != 0 && errno == EINTR)
		;
}

static inline void spin_ns(uint64_t ns)
{
	uint64_t end = now_ns() + ns;
	while (now_ns() < end)
		__builtin_ia32_pause();
}

/* Polls cond until true or ms run out; evaluates to the last value of cond. */
#define WAIT_UNTIL(cond, ms) ({                                          \
	uint64_t wu_deadline_ = now_ns() + (uint64_t)(ms) * 1000000u;     \
	bool wu_ok_;                                                      \
	for (;;) {                                                        \
		if ((wu_ok_ = (cond)))                                        \
			break;                                                    \
		if (now_ns() > wu_deadline_)                                  \
			break;                                                    \
		sleep_us(200);                                                \
	}                                                                 \
	wu_ok_; })

/* The same for a thread that holds a P: it waits on the CPU, since asleep
 * it would look blocked outside the table and the monitor would revoke
 * its P. */
#define SPIN_UNTIL(cond, ms) ({                                          \
	uint64_t su_deadline_ = now_ns() + (uint64_t)(ms) * 1000000u;     \
	bool su_ok_;                                                      \
	for (;;) {                                                        \
		if ((su_ok_ = (cond)))                                        \
			break;                                                    \
		if (now_ns() > su_deadline_)                                  \
			break;                                                    \
		sched_yield();                                                \
	}                                                                 \
	su_ok_; })

static inline struct mp_stats stats(void)
{
	struct mp_stats s;
	mp_stats_snapshot(&s);
	return s;
}

/* One line of the stats, for failure messages. */
static inline const char *stats_str(const struct mp_stats *s)
{
	static __thread char buf[400];
	snprintf(buf, sizeof buf,
	         "nprocs=%u idle=%u running=%u syscall=%u stopped=%u threads=%u "
	         "waiting=%u hwm=%u enters=%lu fast=%lu slow=%lu handoffs=%lu "
	         "retakes=%lu parks=%lu preempts=%lu revokes=%lu",
	         s->nprocs, s->idle, s->running, s->in_syscall, s->stopped,
	         s->threads, s->waiting, s->running_hwm,
	         (unsigned long)s->enters, (unsigned long)s->fast_exits,
	         (unsigned long)s->slow_exits, (unsigned long)s->handoffs,
	         (unsigned long)s->retakes, (unsigned long)s->parks,
	         (unsigned long)s->preempts, (unsigned long)s->revokes);
	return buf;
}

/* ---- fixtures ---------------------------------------------------------- */

/* MP_TEST_SYNC=cas runs a test under the CAS protocol (meson registers
 * every unit test a second time so, as NAME_cas); else the default, the
 * membarrier protocol where the kernel has it. */
static inline enum mp_sync test_sync(void)
{
	const char *s = getenv("MP_TEST_SYNC");
	return s && strcmp(s, "cas") == 0 ? MP_SYNC_CAS : MP_SYNC_AUTO;
}

/* MP_TEST_SPIN_US: the spinning waiter's limit (sched/spinwait.c), off by
 * default so that the tests see the queue's plain behaviour; the *_spin
 * variants turn it on. */
static inline uint64_t test_spin_ns(void)
{
	const char *s = getenv("MP_TEST_SPIN_US");
	return s ? strtoull(s, NULL, 10) * 1000 : 0;
}

static inline void sched_up_monitor(uint32_t n, bool monitor)
{
	struct mp_options opt = { .nprocs = n, .sync = test_sync(), .spin_ns = test_spin_ns() };
	int rc = mp_sched_init(&opt);
	cr_assert_eq(rc, 0, "mp_sched_init(nprocs=%u) = %d", n, rc);
	if (monitor) {
		rc = mp_monitor_start(pthread_create);
		cr_assert_eq(rc, 0, "mp_monitor_start(pthread_create) = %d", rc);
	}
}

static inline void sched_up_1p(void) { sched_up_monitor(1, true); }
static inline void sched_up_2p(void) { sched_up_monitor(2, true); }
static inline void sched_up_4p(void) { sched_up_monitor(4, true); }
static inline void sched_up_8p(void) { sched_up_monitor(8, true); }

/*
 * Without the monitor, for tests of what Ms do to each other directly
 * (hand-off, queue order, resize at the next call).  While Ms wait, the
 * monitor revokes the P of a holder that looks blocked (no CPU progress,
 * asleep in the kernel), and on a loaded machine an agent spinning for its
 * next step can look so for a moment (descheduled inside the TSan runtime,
 * say).  Such a revoke would hand the P on before the test lets go of it.
 */
static inline void sched_up_nomon_1p(void) { sched_up_monitor(1, false); }
static inline void sched_up_nomon_2p(void) { sched_up_monitor(2, false); }
static inline void sched_up_nomon_4p(void) { sched_up_monitor(4, false); }
static inline void sched_down(void) { mp_sched_shutdown(); }

/* ---- failures seen by threads other than the test's ------------------- */

static atomic_int worker_failures MP_UNUSED;
static char worker_failure_msg[256] MP_UNUSED;
static pthread_mutex_t worker_failure_lock MP_UNUSED = PTHREAD_MUTEX_INITIALIZER;

__attribute__((format(printf, 1, 2)))
static inline void worker_fail(const char *fmt, ...)
{
	pthread_mutex_lock(&worker_failure_lock);
	if (atomic_fetch_add(&worker_failures, 1) == 0) {
		va_list ap;
		va_start(ap, fmt);
		vsnprintf(worker_failure_msg, sizeof worker_failure_msg, fmt, ap);
		va_end(ap);
	}
	pthread_mutex_unlock(&worker_failure_lock);
}

static inline void assert_no_worker_failures(void)
{
	pthread_mutex_lock(&worker_failure_lock);
	int n = atomic_load(&worker_failures);
	char msg[sizeof worker_failure_msg];
	memcpy(msg, worker_failure_msg, sizeof msg);
	pthread_mutex_unlock(&worker_failure_lock);
	cr_assert_eq(n, 0, "%d check(s) failed in other threads; first: %s", n, msg);
}

/* ---- agents: M threads that run one scripted step at a time ----------- */

enum agent_cmd {
	A_ATTACH, A_DETACH, A_ENTER_SYSCALL, A_ENTER_BLOCKING, A_EXIT,
	A_YIELD, A_NOTE_ORDER, A_CALL, A_QUIT,
};

static const char *const agent_cmd_name[] MP_UNUSED = {
	"attach", "detach", "enter-syscall", "enter-blocking", "exit",
	"yield", "note-order", "call", "quit",
};

/* Declare agents static: a failed assertion longjmps out of the test while
 * the agent threads still use them, so they must outlive its stack frame. */
#define AGENT_RING 32
#define AGENT_LOG 64

struct agent {
	pthread_t thread;
	sem_t go;
	int id;
	enum agent_cmd ring[AGENT_RING];
	unsigned posted;            /* test thread only */
	atomic_uint done;           /* steps finished */
	atomic_int pid;             /* mp_m_pid() after the last step */
	atomic_int step_pid[AGENT_LOG]; /* mp_m_pid() after step k */
	atomic_int order;           /* rank taken by A_NOTE_ORDER, from 1 */
	atomic_int yielded;         /* mp_yield()'s result at the last A_YIELD */
	struct mp_m *m;             /* this thread's M (white-box); set before the first step */
	void (*call)(struct agent *); /* what A_CALL runs; set before posting it */
	void *arg;                  /* for call */
};

/* Ranks handed out by A_NOTE_ORDER, in the order agents get there. */
static atomic_int agent_rank MP_UNUSED;

/*
 * An agent holding a P stands for a thread running user code, so it waits
 * for its next step on the CPU: one asleep in the kernel with a P would be
 * "blocked outside the table" and the monitor would rightly revoke its P.
 * Without a P (not an M, or inside a bracketed call) it sleeps.
 */
static inline void agent_await_step(struct agent *a)
{
	if (mp_m_holds_p()) {
		while (sem_trywait(&a->go) != 0)
			sched_yield();
	} else {
		while (sem_wait(&a->go) != 0)
			;
	}
}

static inline void *agent_main(void *arg)
{
	struct agent *a = arg;
	__atomic_store_n(&a->m, &mp_self, __ATOMIC_RELEASE);
	for (unsigned i = 0;; i++) {
		agent_await_step(a);
		enum agent_cmd c = a->ring[i % AGENT_RING];
		/* The core promises to leave errno alone on every path. */
		errno = 4200 + a->id;
		switch (c) {
		case A_ATTACH: mp_m_attach(); break;
		case A_DETACH: mp_m_detach(); break;
		case A_ENTER_SYSCALL: mp_enter_syscall(); break;
		case A_ENTER_BLOCKING: mp_enter_blocking(); break;
		case A_EXIT: mp_exit_syscall(); break;
		case A_YIELD: atomic_store(&a->yielded, mp_yield()); break;
		case A_NOTE_ORDER: atomic_store(&a->order, atomic_fetch_add(&agent_rank, 1) + 1); break;
		case A_CALL: a->call(a); errno = 4200 + a->id; break;
		case A_QUIT: break;
		}
		if (errno != 4200 + a->id)
			worker_fail("agent %d: %s changed errno to %d", a->id, agent_cmd_name[c], errno);
		atomic_store(&a->pid, mp_m_pid());
		if (i < AGENT_LOG)
			atomic_store(&a->step_pid[i], mp_m_pid());
		atomic_fetch_add(&a->done, 1);
		if (c == A_QUIT)
			return NULL;
	}
}

static inline void agent_start(struct agent *a, int id)
{
	memset(a, 0, sizeof *a);
	a->id = id;
	atomic_store(&a->pid, -1);
	cr_assert_eq(sem_init(&a->go, 0, 0), 0);
	cr_assert_eq(pthread_create(&a->thread, NULL, agent_main, a), 0);
	cr_assert(WAIT_UNTIL(__atomic_load_n(&a->m, __ATOMIC_ACQUIRE) != NULL, MP_TEST_WAIT_MS),
	          "agent %d did not start", id);
}

/* Queue a step without waiting for it. */
static inline void agent_post(struct agent *a, enum agent_cmd c)
{
	cr_assert_lt(a->posted - atomic_load(&a->done), AGENT_RING, "agent %d: too many steps queued", a->id);
	a->ring[a->posted % AGENT_RING] = c;
	a->posted++;
	sem_post(&a->go);
}

/* Wait until the agent has finished n steps in all. */
static inline bool agent_wait(struct agent *a, unsigned n, unsigned ms)
{
	return WAIT_UNTIL(atomic_load(&a->done) >= n, ms);
}

/* Run one step and wait for it to finish (a hang fails the test). */
static inline void agent_run(struct agent *a, enum agent_cmd c)
{
	agent_post(a, c);
	bool finished = agent_wait(a, a->posted, MP_TEST_WAIT_MS);
	struct mp_stats s = stats();
	cr_assert(finished, "agent %d hung in %s; %s", a->id, agent_cmd_name[c], stats_str(&s));
}

static inline void agent_finish(struct agent *a)
{
	agent_post(a, A_QUIT);
	cr_assert(agent_wait(a, a->posted, MP_TEST_WAIT_MS), "agent %d did not quit", a->id);
	pthread_join(a->thread, NULL);
	sem_destroy(&a->go);
}

/* Join threads[0..n) within MP_TEST_WAIT_MS in all; a thread that does not
 * finish fails the test, naming it (a hang, or a lost wake-up) and the
 * scheduler's state then. */
static inline void join_all_or_fail(pthread_t *threads, int n, uint32_t nprocs, const char *what)
{
	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += MP_TEST_WAIT_MS / 1000;
	for (int i = 0; i < n; i++) {
		int rc = pthread_timedjoin_np(threads[i], NULL, &deadline);
		struct mp_stats s = stats();
		cr_assert_eq(rc, 0, "%s: thread %d of %d on %u Ps did not finish (hung?): %s", what,
		             i, n, nprocs, stats_str(&s));
	}
}

/* ---- accounting -------------------------------------------------------- */

/* One walk of the P table (white-box): false, with what is wrong in bad,
 * if a P is not where its word says. */
static inline bool p_table_consistent(char *bad, size_t badsz)
{
	bad[0] = 0;
	mp_lock(&mp_sched.lock);
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	uint32_t n = atomic_load(&mp_sched.nprocs);
	uint32_t npidle = atomic_load(&mp_sched.npidle);
	unsigned seen[MP_MAXPROCS] = { 0 };
	for (uint32_t i = 0; i < npidle && i < MP_MAXPROCS && !bad[0]; i++) {
		uint32_t id = mp_sched.pidle[i];
		if (id >= len)
			snprintf(bad, badsz, "idle stack slot %u holds P%u beyond the table (%u)", i, id, len);
		else if (seen[id]++)
			snprintf(bad, badsz, "P%u is on the idle stack twice", id);
	}
	for (uint32_t i = 0; i < len && !bad[0]; i++) {
		struct mp_p *pp = &mp_allp[i];
		uint64_t w = atomic_load(&pp->word);
		unsigned st = pw_state(w);
		if (st == P_IDLE && (!pp->in_idle || !seen[i]))
			snprintf(bad, badsz, "P%u is IDLE but not on the idle stack (in_idle=%d)", i, pp->in_idle);
		else if (st != P_IDLE && (pp->in_idle || seen[i]))
			snprintf(bad, badsz, "P%u in state %u is on the idle stack", i, st);
		else if (st == P_STOPPED && i < n)
			snprintf(bad, badsz, "P%u is STOPPED but within nprocs %u", i, n);
		else if (st != P_STOPPED && i >= n)
			snprintf(bad, badsz, "P%u beyond nprocs %u is in state %u", i, n, st);
		else if (st == P_RUNNING &&
		         (atomic_load(&pp->mslot) < 0 || atomic_load(&pp->mslot) >= MP_MAX_MS ||
		          !mslot(atomic_load(&pp->mslot))->in_use ||
		          mslot(atomic_load(&pp->mslot))->tid != atomic_load(&pp->tid)))
			snprintf(bad, badsz, "P%u is RUNNING but its M slot does not hold it", i);
	}
	mp_sched_unlock();
	return !bad[0];
}

/*
 * Walks the P table.  Call only when no M is moving.  The monitor may
 * still be: a retake CASes the P to IDLE, then takes the lock and puts it
 * on the idle stack, and on a loaded machine it can lose its CPU in
 * between, after the last M has gone.  Such a P is IDLE and on no stack
 * for a moment only, so the walk is repeated until it agrees (a P lost for
 * good still fails, after MP_TEST_WAIT_MS).
 */
static inline void assert_p_table_consistent(void)
{
	char bad[256];
	bool ok = WAIT_UNTIL(p_table_consistent(bad, sizeof bad), MP_TEST_WAIT_MS);
	cr_assert(ok, "P table: %s", bad);
}

/* After every M has detached: each usable P idle exactly once, each P
 * beyond a shrunk table stopped, no M left, and the high-water mark never
 * above the largest table the test used (max_n). */
static inline void assert_all_ps_idle(uint32_t max_n)
{
	struct mp_stats s = stats();
	const char *line = stats_str(&s);
	uint32_t len = atomic_load(&mp_sched.ptable_len);
	cr_assert_eq(s.idle + s.running + s.in_syscall + s.stopped, len,
	             "Ps not accounted exactly once (table of %u): %s", len, line);
	cr_assert_eq(s.idle, s.nprocs, "not every P idle after all Ms detached: %s", line);
	cr_assert_eq(s.stopped, len - s.nprocs, "%s", line);
	cr_assert_eq(s.running, 0, "%s", line);
	cr_assert_eq(s.in_syscall, 0, "%s", line);
	cr_assert_eq(s.waiting, 0, "%s", line);
	cr_assert_eq(s.threads, 0, "%s", line);
	cr_assert_leq(s.running_hwm, max_n, "high-water mark above nprocs: %s", line);
	assert_p_table_consistent();
}

#endif
