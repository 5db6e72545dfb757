/* test_invariant.c - the debug build's invariant checks really fire: a corrupted m.p or P aborts with a message naming the function. */
#include <signal.h>
#include <sys/wait.h>
#include <unistd.h>

#include "harness.h"

/* Forks; the child lets corrupt() break the state and then calls an entry
 * point.  The child must die of SIGABRT with needle on its stderr (or,
 * with needle NULL, exit cleanly). */
static void expect_abort(void (*corrupt_and_call)(void), const char *needle)
{
	int fds[2];
	cr_assert_eq(pipe(fds), 0);
	pid_t pid = fork();
	cr_assert_geq(pid, 0, "fork: %s", strerror(errno));
	if (pid == 0) {
		dup2(fds[1], 2);
		close(fds[0]);
		corrupt_and_call();
		_exit(0);
	}
	close(fds[1]);
	char msg[512] = "";
	size_t len = 0;
	ssize_t n;
	while (len < sizeof msg - 1 && (n = read(fds[0], msg + len, sizeof msg - 1 - len)) > 0)
		len += (size_t)n;
	msg[len] = 0;
	close(fds[0]);
	int status;
	cr_assert_eq(waitpid(pid, &status, 0), pid);
	if (!needle) {
		cr_assert(WIFEXITED(status) && WEXITSTATUS(status) == 0,
		          "an intact M tripped a check (status 0x%x): %s", status, msg);
		return;
	}
	cr_assert(WIFSIGNALED(status) && WTERMSIG(status) == SIGABRT,
	          "corruption not caught: child status 0x%x, stderr: \"%s\"", status, msg);
	cr_assert(strstr(msg, needle), "abort message \"%s\" does not name \"%s\"", msg, needle);
}

static void require_checks(void)
{
#ifndef MP_DEBUG
	cr_skip_test("invariant checks are compiled out in this build (MP_DEBUG undefined: release)");
#endif
}

static void intact(void)
{
	mp_enter_syscall();
	mp_exit_syscall();
	mp_m_detach();
}

static void m_p_names_an_idle_p(void)
{
	mp_self.p = &mp_allp[1];
	mp_enter_syscall();
}

static void m_p_is_not_a_p(void)
{
	static struct mp_p fake;
	mp_self.p = &fake;
	mp_enter_syscall();
}

static void p_not_running(void)
{
	uint64_t w = atomic_load(&mp_allp[0].word);
	atomic_store(&mp_allp[0].word, pw_with_state(w, P_IDLE));
	mp_enter_syscall();
}

static void p_owned_by_another(void)
{
	/* Another M's slot (the one after ours is free, so nobody's). */
	atomic_store(&mp_allp[0].mslot, mp_self.slot + 1);
	mp_enter_syscall();
}

static void detach_with_stale_m_p(void)
{
	mp_self.p = &mp_allp[1];
	mp_m_detach();
}

/* Every case: main is an M holding P0 of two, with P1 idle. */
static void attach_on_p0(void)
{
	require_checks();
	mp_m_attach();
	cr_assert_eq(mp_m_pid(), 0);
}

Test(invariant, intact_m_passes, .init = sched_up_2p, .fini = sched_down)
{
	attach_on_p0();
	expect_abort(intact, NULL);
}

Test(invariant, stale_m_p_caught_at_enter, .init = sched_up_2p, .fini = sched_down)
{
	attach_on_p0();
	expect_abort(m_p_names_an_idle_p, "maxprocs: fatal: enter: m.p");
}

Test(invariant, wild_m_p_caught_at_enter, .init = sched_up_2p, .fini = sched_down)
{
	attach_on_p0();
	expect_abort(m_p_is_not_a_p, "maxprocs: fatal: enter: m.p is not a P");
}

Test(invariant, held_p_not_running_caught_at_enter, .init = sched_up_2p, .fini = sched_down)
{
	attach_on_p0();
	expect_abort(p_not_running, "maxprocs: fatal: enter: m.p is not RUNNING");
}

Test(invariant, held_p_with_another_owner_caught_at_enter, .init = sched_up_2p, .fini = sched_down)
{
	attach_on_p0();
	expect_abort(p_owned_by_another, "maxprocs: fatal: enter: m.p does not point back");
}

Test(invariant, stale_m_p_caught_at_detach, .init = sched_up_2p, .fini = sched_down)
{
	attach_on_p0();
	expect_abort(detach_with_stale_m_p, "maxprocs: fatal: mp_m_detach: m.p");
}
