/* test_resize.c - mp_procresize grows and shrinks the P table under running Ms: new Ps go to waiters, stopped Ps are never wired, every P stays accounted for. */
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

Test(resize, rejects_bad_sizes, .init = sched_up_2p, .fini = sched_down)
{
	cr_assert_eq(mp_procresize(0), -EINVAL);
	cr_assert_eq(mp_procresize(MP_MAXPROCS + 1), -EINVAL);
	struct mp_stats s = stats();
	cr_assert_eq(s.nprocs, 2, "%s", stats_str(&s));
	assert_all_ps_idle(2);
}

Test(resize, growing_hands_new_ps_to_waiters, .init = sched_up_nomon_1p, .fini = sched_down, .timeout = 60)
{
	static struct agent a[4];
	for (int i = 0; i < 4; i++) {
		agent_start(&a[i], i);
		agent_post(&a[i], A_ATTACH);
		if (i == 0)
			cr_assert(agent_wait(&a[0], 1, MP_TEST_WAIT_MS));
		else
			cr_assert(WAIT_UNTIL(stats().waiting == (uint32_t)i, MP_TEST_WAIT_MS), "A%d did not park", i);
	}
	cr_assert_eq(mp_procresize(4), 0);
	unsigned seen = 0;
	for (int i = 0; i < 4; i++) {
		struct mp_stats s = stats();
		cr_assert(agent_wait(&a[i], 1, MP_TEST_WAIT_MS), "A%d got none of the new Ps; %s", i, stats_str(&s));
		int pid = atomic_load(&a[i].pid);
		cr_assert(pid >= 0 && pid < 4, "A%d holds P%d", i, pid);
		cr_assert(!(seen & 1u << pid), "two Ms hold P%d", pid);
		seen |= 1u << pid;
	}
	struct mp_stats s = stats();
	cr_assert_eq(s.nprocs, 4, "%s", stats_str(&s));
	cr_assert_eq(s.running, 4, "%s", stats_str(&s));
	cr_assert_eq(s.waiting, 0, "%s", stats_str(&s));
	cr_assert_eq(s.idle, 0, "%s", stats_str(&s));
	for (int i = 0; i < 4; i++) {
		agent_run(&a[i], A_DETACH);
		agent_finish(&a[i]);
	}
	assert_no_worker_failures();
	assert_all_ps_idle(4);
}

Test(resize, shrinking_stops_ps_as_holders_let_go, .init = sched_up_nomon_4p, .fini = sched_down, .timeout = 60)
{
	static struct agent a[4];
	int holder_of_p0 = -1;
	for (int i = 0; i < 4; i++) {
		agent_start(&a[i], i);
		agent_run(&a[i], A_ATTACH);
		if (atomic_load(&a[i].pid) == 0)
			holder_of_p0 = i;
	}
	cr_assert_geq(holder_of_p0, 0);
	cr_assert_eq(mp_procresize(1), 0);

	/* Running holders keep their P until their next call. */
	struct mp_stats s = stats();
	cr_assert_eq(s.nprocs, 1, "%s", stats_str(&s));
	cr_assert_eq(s.running, 4, "%s", stats_str(&s));
	for (int i = 1; i < 4; i++)
		cr_assert(atomic_load(&mp_allp[i].word) & PW_STOP, "P%d beyond the table not asked to stop", i);

	for (int i = 0; i < 4; i++)
		agent_run(&a[i], A_ENTER_SYSCALL);
	s = stats();
	if (mp_sched_sync(NULL) == MP_SYNC_CAS) {
		/* The CAS enter sees the flag and gives the P up. */
		cr_assert_eq(s.stopped, 3, "Ps beyond the table not stopped at their holders' calls: %s", stats_str(&s));
		cr_assert_eq(s.in_syscall, 1, "%s", stats_str(&s));
	} else {
		/* The membarrier enter does not look at the word: the exits
		 * (or the monitor, had it been running) stop them. */
		cr_assert_eq(s.stopped, 0, "%s", stats_str(&s));
		cr_assert_eq(s.in_syscall, 4, "%s", stats_str(&s));
	}

	/* P0's holder comes back fast; the others find no P and queue. */
	agent_run(&a[holder_of_p0], A_EXIT);
	cr_assert_eq(atomic_load(&a[holder_of_p0].pid), 0);
	unsigned queued = 0;
	for (int i = 0; i < 4; i++) {
		if (i == holder_of_p0)
			continue;
		agent_post(&a[i], A_EXIT);
		queued++;
		cr_assert(WAIT_UNTIL(stats().waiting == queued, MP_TEST_WAIT_MS), "A%d did not park", i);
	}
	/* Each in turn gets P0 and passes it on. */
	agent_run(&a[holder_of_p0], A_DETACH);
	for (int i = 0; i < 4; i++) {
		if (i == holder_of_p0)
			continue;
		cr_assert(agent_wait(&a[i], 3, MP_TEST_WAIT_MS), "A%d never got P0", i);
		int pid = atomic_load(&a[i].step_pid[2]);
		cr_assert_eq(pid, 0, "A%d came back on P%d of a 1-P table", i, pid);
		agent_run(&a[i], A_DETACH);
	}
	for (int i = 0; i < 4; i++)
		agent_finish(&a[i]);
	s = stats();
	cr_assert_eq(s.fast_exits, 1, "%s", stats_str(&s));
	cr_assert_eq(s.slow_exits, 3, "%s", stats_str(&s));
	assert_no_worker_failures();
	assert_all_ps_idle(4);
}

Test(resize, shrinking_takes_a_p_in_syscall_at_once, .init = sched_up_nomon_2p, .fini = sched_down, .timeout = 60)
{
	static struct agent a, b;
	agent_start(&a, 1);
	agent_start(&b, 2);
	agent_run(&a, A_ATTACH);
	agent_run(&b, A_ATTACH);
	cr_assert_eq(atomic_load(&a.pid) + atomic_load(&b.pid), 1);
	/* Make sure the one left in SYSCALL is the one beyond the new table. */
	struct agent *in_call = atomic_load(&a.pid) == 1 ? &a : &b;
	struct agent *running = in_call == &a ? &b : &a;
	agent_run(in_call, A_ENTER_SYSCALL);
	cr_assert_eq(mp_procresize(1), 0);
	struct mp_stats s = stats();
	cr_assert_eq(s.stopped, 1, "%s", stats_str(&s));
	cr_assert_eq(s.in_syscall, 0, "%s", stats_str(&s));

	agent_post(in_call, A_EXIT);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "the M whose P was stopped did not park");
	cr_assert_eq(atomic_load(&in_call->done), 2, "an M came back on a stopped P");
	agent_run(running, A_DETACH);
	cr_assert(agent_wait(in_call, 3, MP_TEST_WAIT_MS));
	cr_assert_eq(atomic_load(&in_call->pid), 0);
	agent_run(in_call, A_DETACH);
	agent_finish(&a);
	agent_finish(&b);
	assert_no_worker_failures();
	assert_all_ps_idle(2);
}

Test(resize, growing_back_before_the_holder_noticed_keeps_its_p, .init = sched_up_nomon_2p, .fini = sched_down, .timeout = 60)
{
	static struct agent a[2];
	for (int i = 0; i < 2; i++) {
		agent_start(&a[i], i);
		agent_run(&a[i], A_ATTACH);
	}
	cr_assert_eq(mp_procresize(1), 0);
	cr_assert_eq(mp_procresize(2), 0);
	cr_assert(!(atomic_load(&mp_allp[1].word) & PW_STOP), "P1 still asked to stop after growing back");
	for (int i = 0; i < 2; i++) {
		int pid = atomic_load(&a[i].pid);
		agent_run(&a[i], A_ENTER_SYSCALL);
		agent_run(&a[i], A_EXIT);
		cr_assert_eq(atomic_load(&a[i].pid), pid);
	}
	struct mp_stats s = stats();
	cr_assert_eq(s.stopped, 0, "%s", stats_str(&s));
	cr_assert_eq(s.fast_exits, 2, "%s", stats_str(&s));
	for (int i = 0; i < 2; i++) {
		agent_run(&a[i], A_DETACH);
		agent_finish(&a[i]);
	}
	assert_no_worker_failures();
	assert_all_ps_idle(2);
}

/* ---- resizing under load ---------------------------------------------- */

#define LOAD_THREADS 12
#define LOAD_MAX_P 8

static atomic_bool stop;
/* Table sizes in effect, in order: a grow is announced before it starts, a
 * shrink after it returns.  An acquisition that began while sizes[a] was
 * the newest and ended while sizes[b] was may only have got a P below the
 * largest of sizes[a..b]: under load one acquisition can span several
 * resizes. */
#define MAX_RESIZES 64
static uint32_t sizes[MAX_RESIZES];
static atomic_uint newest;
static atomic_int in_user, in_user_max;

static void user_begin(void)
{
	int now = atomic_fetch_add(&in_user, 1) + 1;
	int max = atomic_load(&in_user_max);
	while (now > max && !atomic_compare_exchange_weak(&in_user_max, &max, now))
		;
}

static void check_acquired(int id, const char *after, unsigned since)
{
	unsigned until = atomic_load(&newest);
	uint32_t limit = 0;
	for (unsigned k = since; k <= until; k++)
		if (sizes[k] > limit)
			limit = sizes[k];
	int pid = mp_m_pid();
	if (pid < 0)
		worker_fail("thread %d: no P after %s", id, after);
	else if ((uint32_t)pid >= limit)
		worker_fail("thread %d: %s wired P%d; the table had at most %u Ps meanwhile (stopped P wired)",
		            id, after, pid, limit);
}

static void *load_worker(void *arg)
{
	int id = (int)(intptr_t)arg;
	uint64_t seed = 0x2545f4914f6cdd1dull * (uint64_t)(id + 1);
	unsigned before = atomic_load(&newest);
	mp_m_attach();
	user_begin();
	check_acquired(id, "attach", before);
	while (!atomic_load_explicit(&stop, memory_order_relaxed)) {
		seed ^= seed << 13, seed ^= seed >> 7, seed ^= seed << 17;
		unsigned op = (unsigned)(seed >> 20) % 10;
		if (op < 7) {
			atomic_fetch_sub(&in_user, 1);
			before = atomic_load(&newest);
			if (op < 2)
				mp_enter_blocking();
			else
				mp_enter_syscall();
			struct timespec ts = { 0, (long)(seed >> 40) % 200000 };
			syscall(SYS_nanosleep, &ts, NULL);
			mp_exit_syscall();
			user_begin();
			check_acquired(id, "exit", before);
		} else if (op < 8) {
			atomic_fetch_sub(&in_user, 1);
			before = atomic_load(&newest);
			bool gave = mp_yield();
			user_begin();
			/* A P kept (nobody waits) was not acquired anew. */
			if (gave)
				check_acquired(id, "yield", before);
			continue;
		} else {
			spin_ns((seed >> 30) % 1000000);
		}
	}
	atomic_fetch_sub(&in_user, 1);
	mp_m_detach();
	return NULL;
}

static void announce(uint32_t n)
{
	unsigned k = atomic_load(&newest) + 1;
	cr_assert_lt(k, MAX_RESIZES);
	sizes[k] = n;
	atomic_store(&newest, k);
}

static void resize_to(uint32_t n)
{
	bool grow = n > sizes[atomic_load(&newest)];
	if (grow)
		announce(n);
	cr_assert_eq(mp_procresize(n), 0);
	if (!grow)
		announce(n);
}

Test(resize, under_load_never_wires_a_stopped_p, .init = sched_up_8p, .fini = sched_down, .timeout = 60)
{
	static const uint32_t schedule[] = { 3, 1, 8, 2, 5, 1, 4, 8, 2, 6, 1, 7 };
	sizes[0] = LOAD_MAX_P;
	pthread_t t[LOAD_THREADS];
	for (int i = 0; i < LOAD_THREADS; i++)
		cr_assert_eq(pthread_create(&t[i], NULL, load_worker, (void *)(intptr_t)i), 0);
	for (int round = 0; round < 4; round++)
		for (size_t k = 0; k < sizeof schedule / sizeof schedule[0]; k++) {
			resize_to(schedule[k]);
			sleep_us(30000);
		}
	resize_to(3);
	sleep_us(30000);
	atomic_store(&stop, true);

	struct timespec deadline;
	clock_gettime(CLOCK_REALTIME, &deadline);
	deadline.tv_sec += MP_TEST_WAIT_MS / 1000;
	for (int i = 0; i < LOAD_THREADS; i++) {
		int rc = pthread_timedjoin_np(t[i], NULL, &deadline);
		struct mp_stats s = stats();
		cr_assert_eq(rc, 0, "worker %d hung: %s", i, stats_str(&s));
	}
	struct mp_stats s = stats();
	cr_log_info("resize under load: max in user %d; %s", atomic_load(&in_user_max), stats_str(&s));
	assert_no_worker_failures();
	cr_assert_leq(atomic_load(&in_user_max), (int)(LOAD_MAX_P + s.revokes), "%s", stats_str(&s));
	cr_assert_eq(s.nprocs, 3, "%s", stats_str(&s));
	uint64_t exits = s.fast_exits + s.slow_exits;   /* see test_stress.c */
	cr_assert(exits <= s.enters + s.revokes && s.enters <= exits + s.revokes,
	          "enters and exits do not pair up: %s", stats_str(&s));
	assert_all_ps_idle(LOAD_MAX_P);
}
