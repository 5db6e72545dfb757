/* test_revoke.c - the monitor revokes only Ps whose holder blocked outside the table, never one just handed to a parked M that has not woken yet. */
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <poll.h>
#include <stddef.h>
#include <sys/ioctl.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "harness.h"

/*
 * A releaser wires a P to the first parked M and then wakes it.  If the
 * releaser stalls in between (preempted, or a page fault during a fork),
 * the new owner is still asleep on its futex with no CPU progress: what the
 * monitor takes for "blocked outside the table".  Seen in test_stress and
 * test_fork under load as "wire: P not assigned to this M".
 *
 * To hold that window open with the real hand-off code, the releaser H runs
 * under a seccomp filter that turns its FUTEX_WAKE of W's park word into a
 * user notification: H sleeps in the kernel, inside mp_p_put_locked, until
 * the test lets the call continue.  Meanwhile W2 waits, so the monitor ticks.
 */

#if defined(__x86_64__)
#define MP_AUDIT_ARCH AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define MP_AUDIT_ARCH AUDIT_ARCH_AARCH64
#endif

#define ARG_LO(i) (offsetof(struct seccomp_data, args) + 8 * (i))
#define ARG_HI(i) (ARG_LO(i) + 4)

static const uint32_t *trap_word;   /* the futex word whose wake is held */
static atomic_int listener = -1;    /* notification fd, or -errno */

/* A_CALL on H: from now on H's wake of trap_word waits for the test. */
static void install_trap(struct agent *a)
{
	(void)a;
	uint64_t addr = (uint64_t)(uintptr_t)trap_word;
	struct sock_filter code[] = {
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, MP_AUDIT_ARCH, 0, 9),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_futex, 0, 7),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(1)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, 0, 5),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_LO(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)addr, 0, 3),
		BPF_STMT(BPF_LD | BPF_W | BPF_ABS, ARG_HI(0)),
		BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(addr >> 32), 0, 1),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_USER_NOTIF),
		BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
	};
	struct sock_fprog prog = { .len = sizeof code / sizeof code[0], .filter = code };
	if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		atomic_store(&listener, -errno);
		return;
	}
	long fd = syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_NEW_LISTENER, &prog);
	atomic_store(&listener, fd < 0 ? -errno : (int)fd);
}

/* Waits for H's held call; returns its id, or 0. */
static uint64_t await_trapped_call(int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };
	if (poll(&pfd, 1, MP_TEST_WAIT_MS) != 1)
		return 0;
	struct seccomp_notif req;
	memset(&req, 0, sizeof req);
	if (ioctl(fd, SECCOMP_IOCTL_NOTIF_RECV, &req) != 0)
		return 0;
	return req.id;
}

static bool let_call_continue(int fd, uint64_t id)
{
	struct seccomp_notif_resp resp = { .id = id, .flags = SECCOMP_USER_NOTIF_FLAG_CONTINUE };
	return ioctl(fd, SECCOMP_IOCTL_NOTIF_SEND, &resp) == 0;
}

/* A slice far longer than the test: the monitor's slice-based revoke of a
 * holder that runs on without calls must not muddle the count. */
static void sched_up_long_slice(void)
{
	struct mp_options opt = { .nprocs = 1, .slice_ns = 600000000000ull };
	cr_assert_eq(mp_sched_init(&opt), 0);
	cr_assert_eq(mp_monitor_start(NULL), 0);
}

Test(revoke, p_handed_to_a_sleeping_m_is_not_revoked, .init = sched_up_long_slice, .fini = sched_down, .timeout = 60)
{
	static struct agent h, w, w2;
	agent_start(&h, 1);
	agent_start(&w, 2);
	agent_start(&w2, 3);
	agent_run(&h, A_ATTACH);
	agent_post(&w, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 1, MP_TEST_WAIT_MS), "W did not park");
	agent_post(&w2, A_ATTACH);
	cr_assert(WAIT_UNTIL(stats().waiting == 2, MP_TEST_WAIT_MS), "W2 did not park");

	/* W's futex word lives in its M slot: the head of the queue, which
	 * W joined first (read under the lock it was pushed under). */
	mp_lock(&mp_sched.lock);
	int32_t w_slot = mp_sched.qhead;
	mp_unlock(&mp_sched.lock);
	cr_assert_geq(w_slot, 0, "no M in the queue");
	trap_word = (const uint32_t *)&mslot(w_slot)->park;
	h.call = install_trap;
	agent_run(&h, A_CALL);
	int fd = atomic_load(&listener);
	if (fd < 0)
		cr_skip_test("seccomp user notification unavailable (%s): cannot hold a hand-off open",
		             strerror(-fd));

	/* H hands P0 to W and stalls before the wake-up. */
	agent_post(&h, A_DETACH);
	uint64_t id = await_trapped_call(fd);
	cr_assert_neq(id, 0, "H's detach never reached the wake-up of W");
	sleep_us(200000);   /* 20 of the monitor's slowest ticks */
	cr_assert_eq(atomic_load(&w.done), 0, "W ran before it was woken");
	cr_assert(let_call_continue(fd, id), "SECCOMP_IOCTL_NOTIF_SEND: %s", strerror(errno));

	/* A revoke decided while H held the lock lands as soon as H lets go
	 * of it, and hands P0 on to W2. */
	cr_assert(agent_wait(&h, h.posted, MP_TEST_WAIT_MS), "H's detach did not finish");
	cr_assert(agent_wait(&w, 1, MP_TEST_WAIT_MS), "W did not wake");
	cr_assert_eq(atomic_load(&w.pid), 0, "W woke on P%d", atomic_load(&w.pid));
	WAIT_UNTIL(stats().revokes > 0 || atomic_load(&w2.done) > 0, 200);
	struct mp_stats s = stats();
	cr_assert_eq(s.revokes, 0, "the monitor revoked P0 from W, which was handed it but not yet woken: %s",
	             stats_str(&s));
	cr_assert_eq(atomic_load(&w2.done), 0, "W2 got P0 while W holds it");

	agent_run(&w, A_DETACH);
	cr_assert(agent_wait(&w2, 1, MP_TEST_WAIT_MS), "W2 never got P0");
	agent_run(&w2, A_DETACH);
	agent_finish(&h);
	agent_finish(&w);
	agent_finish(&w2);
	close(fd);
	assert_no_worker_failures();
	assert_all_ps_idle(1);
}
