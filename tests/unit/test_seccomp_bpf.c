/* test_seccomp_bpf.c - the catch-all filter (shim/seccomp_bpf.c): a small
 * classic-BPF interpreter runs the built program on synthetic
 * struct seccomp_data inputs, and a forked child loads it into the kernel
 * (which checks it) and sees a trapped read reach its SIGSYS handler. */
#ifdef MP_TEST_LITE
#include "lite.h"
#else
#include <criterion/criterion.h>
#endif

#include <errno.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/futex.h>
#include <linux/seccomp.h>
#include <signal.h>
#include <stdint.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <ucontext.h>
#include <unistd.h>

#include "shim/seccomp_bpf.h"

#define DATA 0x6d70
#define TRAP (SECCOMP_RET_TRAP | DATA)
#define ALLOW SECCOMP_RET_ALLOW

/* The numbers sysno.def marks TRAP, futex apart, as preload/catchall.c
 * takes them. */
static const uint32_t table_nrs[] = {
#define MP_ROW_TRAP(nr) nr,
#define MP_ROW_MASK(nr) nr,
#define MP_ROW_NOTRAP(nr)
#define MP_SYSNO(nr, class, trap, name) MP_ROW_##trap(nr)
#include "preload/sysno.def"
#undef MP_SYSNO
};

/* ---- a classic-BPF interpreter: what seccomp filters may use ---- */

static int steps;

static uint32_t run(const struct sock_filter *f, int len, const struct seccomp_data *d)
{
	uint32_t a = 0;
	steps = 0;
	for (int pc = 0; pc < len; pc++) {
		const struct sock_filter *i = &f[pc];
		steps++;
		switch (i->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			cr_assert(i->k % 4 == 0 && i->k + 4 <= sizeof *d, "load at %u", i->k);
			memcpy(&a, (const char *)d + i->k, 4);
			break;
		case BPF_ALU | BPF_AND | BPF_K:
			a &= i->k;
			break;
		case BPF_JMP | BPF_JEQ | BPF_K:
			pc += a == i->k ? i->jt : i->jf;
			break;
		case BPF_JMP | BPF_JGE | BPF_K:
			pc += a >= i->k ? i->jt : i->jf;
			break;
		case BPF_RET | BPF_K:
			return i->k;
		default:
			cr_assert(0, "instruction %d: unexpected code 0x%x", pc, i->code);
		}
		cr_assert(pc + 1 <= len, "jump past the end at %d", pc);
	}
	cr_assert(0, "fell off the end");
	return 0;
}

static const uint64_t LIBC_LO = 0x7f1234560000ull, LIBC_HI = 0x7f1234700000ull;
static const uint64_t EXEMPT_LO = 0x7f1234600100ull, EXEMPT_HI = 0x7f1234600149ull;

/* The table without futex, which the builder takes apart. */
static uint32_t plain_nrs[sizeof table_nrs / sizeof table_nrs[0]];
static unsigned nplain;

static int build(struct sock_filter *f, unsigned max, bool exempt)
{
	nplain = 0;
	for (size_t i = 0; i < sizeof table_nrs / sizeof table_nrs[0]; i++)
		if (table_nrs[i] != SYS_futex)
			plain_nrs[nplain++] = table_nrs[i];
	struct mp_bpf_spec s = {
		.arch = AUDIT_ARCH_X86_64,
		.trap_nrs = plain_nrs,
		.ntrap = nplain,
		.futex_nr = SYS_futex,
		.trap_ip = { LIBC_LO, LIBC_HI },
		.exempt = { { EXEMPT_LO, EXEMPT_HI } },
		.nexempt = exempt ? 1 : 0,
		.data = DATA,
	};
	return mp_bpf_build(&s, f, max);
}

static struct seccomp_data call(int nr, uint64_t ip, uint64_t arg1)
{
	struct seccomp_data d;
	memset(&d, 0, sizeof d);
	d.nr = nr;
	d.arch = AUDIT_ARCH_X86_64;
	d.instruction_pointer = ip;
	d.args[1] = arg1;
	return d;
}

static struct sock_filter prog[MP_BPF_MAX_LEN(sizeof table_nrs / sizeof table_nrs[0])];
static int len;

static void setup(void)
{
	len = build(prog, sizeof prog / sizeof prog[0], true);
	cr_assert_gt(len, 0);
}

Test(seccomp_bpf, traps_the_table_numbers_from_inside_libc, .init = setup)
{
	for (size_t i = 0; i < sizeof table_nrs / sizeof table_nrs[0]; i++) {
		struct seccomp_data d = call((int)table_nrs[i], LIBC_LO + 0x1234, 0);
		if (table_nrs[i] == SYS_futex)
			continue;
		cr_assert_eq(run(prog, len, &d), TRAP, "nr %u", table_nrs[i]);
	}
	struct seccomp_data lo = call(SYS_read, LIBC_LO, 0), last = call(SYS_read, LIBC_HI - 1, 0);
	cr_assert_eq(run(prog, len, &lo), TRAP);
	cr_assert_eq(run(prog, len, &last), TRAP);
}

Test(seccomp_bpf, allows_outside_libc, .init = setup)
{
	uint64_t ips[] = { LIBC_HI, LIBC_LO - 1, 0x401000, LIBC_LO + (1ull << 32), 0x7f1334560000ull };
	for (size_t i = 0; i < sizeof ips / sizeof ips[0]; i++) {
		struct seccomp_data d = call(SYS_read, ips[i], 0);
		cr_assert_eq(run(prog, len, &d), ALLOW, "ip %#llx", (unsigned long long)ips[i]);
	}
}

Test(seccomp_bpf, untrapped_numbers_allowed_by_number_alone, .init = setup)
{
	int nrs[] = { SYS_getpid, SYS_execve, SYS_execveat, SYS_rt_sigreturn, SYS_clone,
	              SYS_clone3, SYS_mmap, SYS_openat, SYS_close, SYS_exit_group, 1000 };
	size_t ntrap = sizeof table_nrs / sizeof table_nrs[0];
	for (size_t i = 0; i < sizeof nrs / sizeof nrs[0]; i++) {
		/* Whatever the IP and the arguments (the kernel's action cache
		 * needs exactly that), and within the number tests. */
		for (uint64_t ip = LIBC_LO; ip < LIBC_HI; ip += 0x10000) {
			struct seccomp_data d = call(nrs[i], ip, ip);
			cr_assert_eq(run(prog, len, &d), ALLOW, "nr %d", nrs[i]);
			cr_assert_leq(steps, (int)ntrap + 4);
		}
	}
}

Test(seccomp_bpf, another_arch_is_allowed_first, .init = setup)
{
	struct seccomp_data d = call(SYS_read, LIBC_LO + 8, 0);
	d.arch = AUDIT_ARCH_I386;
	cr_assert_eq(run(prog, len, &d), ALLOW);
	cr_assert_eq(steps, 3);   /* load, test, return */
	/* x32: the number carries bit 30. */
	struct seccomp_data x = call(SYS_read | 0x40000000, LIBC_LO + 8, 0);
	cr_assert_eq(run(prog, len, &x), ALLOW);
}

Test(seccomp_bpf, futex_only_its_waits, .init = setup)
{
	uint64_t in = LIBC_LO + 0x2000;
	int waits[] = { FUTEX_WAIT, FUTEX_WAIT | FUTEX_PRIVATE_FLAG, FUTEX_WAIT_BITSET | FUTEX_CLOCK_REALTIME,
	                FUTEX_LOCK_PI, 13 /* LOCK_PI2 */, FUTEX_WAIT_REQUEUE_PI | FUTEX_PRIVATE_FLAG };
	int others[] = { FUTEX_WAKE, FUTEX_WAKE | FUTEX_PRIVATE_FLAG, FUTEX_REQUEUE, FUTEX_CMP_REQUEUE,
	                 FUTEX_UNLOCK_PI, FUTEX_TRYLOCK_PI, FUTEX_WAKE_OP, FUTEX_WAKE_BITSET };
	for (size_t i = 0; i < sizeof waits / sizeof waits[0]; i++) {
		struct seccomp_data d = call(SYS_futex, in, (uint64_t)waits[i]);
		cr_assert_eq(run(prog, len, &d), TRAP, "op %d", waits[i]);
		struct seccomp_data out = call(SYS_futex, 0x555555554000ull, (uint64_t)waits[i]);
		cr_assert_eq(run(prog, len, &out), ALLOW, "op %d outside libc", waits[i]);
	}
	for (size_t i = 0; i < sizeof others / sizeof others[0]; i++) {
		struct seccomp_data d = call(SYS_futex, in, (uint64_t)others[i]);
		cr_assert_eq(run(prog, len, &d), ALLOW, "op %d", others[i]);
	}
}

Test(seccomp_bpf, exempt_lock_wait_is_allowed, .init = setup)
{
	struct seccomp_data d = call(SYS_futex, EXEMPT_LO + 0x20, FUTEX_WAIT | FUTEX_PRIVATE_FLAG);
	cr_assert_eq(run(prog, len, &d), ALLOW);
	struct seccomp_data e = call(SYS_futex, EXEMPT_HI, FUTEX_WAIT | FUTEX_PRIVATE_FLAG);
	cr_assert_eq(run(prog, len, &e), TRAP);
	/* Only futex is exempt there. */
	struct seccomp_data r = call(SYS_read, EXEMPT_LO + 0x20, 0);
	cr_assert_eq(run(prog, len, &r), TRAP);
}

Test(seccomp_bpf, bad_ranges_are_refused)
{
	struct sock_filter f[MP_BPF_MAX_LEN(1)];
	uint32_t nr = SYS_read;
	struct mp_bpf_spec s = { .arch = AUDIT_ARCH_X86_64, .trap_nrs = &nr, .ntrap = 1, .futex_nr = -1,
	                         .trap_ip = { 0xfffff000ull, 0x100001000ull }, .data = DATA };
	cr_assert_eq(mp_bpf_build(&s, f, sizeof f / sizeof f[0]), -1, "straddles 4 GiB");
	s.trap_ip = (struct mp_bpf_range){ 0x5000, 0x5000 };
	cr_assert_eq(mp_bpf_build(&s, f, sizeof f / sizeof f[0]), -1, "empty");
	s.trap_ip = (struct mp_bpf_range){ 0x1fff00000ull, 0x200000000ull };   /* ends on the boundary */
	int n = mp_bpf_build(&s, f, sizeof f / sizeof f[0]);
	cr_assert_gt(n, 0);
	struct seccomp_data d = call(SYS_read, 0x1ffffffffull, 0);
	cr_assert_eq(run(f, n, &d), TRAP);
	struct seccomp_data e = call(SYS_read, 0x200000000ull, 0);
	cr_assert_eq(run(f, n, &e), ALLOW);
	cr_assert_eq(mp_bpf_build(&s, f, 5), -1, "too small");
}

/* ---- the kernel's view: a forked child installs it on its real libc ---- */

static volatile sig_atomic_t trapped_nr = -1;

static void on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	(void)sig;
	trapped_nr = si->si_syscall;
#if defined(__x86_64__)
	uc->uc_mcontext.gregs[REG_RAX] = si->si_errno == DATA ? 1 : -1;   /* one byte "read" */
#else
	(void)uc;
#endif
}

static int find_libc(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct mp_bpf_range *r = arg;
	(void)size;
	if (!strstr(info->dlpi_name, "libc.so"))
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++)
		if (info->dlpi_phdr[i].p_type == PT_LOAD && (info->dlpi_phdr[i].p_flags & PF_X)) {
			r->lo = info->dlpi_addr + info->dlpi_phdr[i].p_vaddr;
			r->hi = r->lo + info->dlpi_phdr[i].p_memsz;
			return 1;
		}
	return 0;
}

Test(seccomp_bpf, kernel_accepts_it_and_traps_a_libc_read)
{
#if !defined(__x86_64__)
	cr_skip_test("x86_64 only");
#else
	pid_t pid = fork();
	cr_assert_geq(pid, 0);
	if (pid == 0) {
		struct mp_bpf_range libc = { 0, 0 };
		static struct sock_filter f[MP_BPF_MAX_LEN(sizeof table_nrs / sizeof table_nrs[0])];
		uint32_t nrs[64];
		unsigned n = 0;
		for (size_t i = 0; i < sizeof table_nrs / sizeof table_nrs[0]; i++)
			if (table_nrs[i] != SYS_futex)
				nrs[n++] = table_nrs[i];
		if (!dl_iterate_phdr(find_libc, &libc))
			_exit(3);
		struct mp_bpf_spec s = { .arch = AUDIT_ARCH_X86_64, .trap_nrs = nrs, .ntrap = n,
		                         .futex_nr = SYS_futex, .trap_ip = libc, .data = DATA };
		int len = mp_bpf_build(&s, f, sizeof f / sizeof f[0]);
		struct sigaction sa;
		memset(&sa, 0, sizeof sa);
		sa.sa_sigaction = on_sigsys;
		sa.sa_flags = SA_SIGINFO | SA_NODEFER;
		sigaction(SIGSYS, &sa, NULL);
		struct sock_fprog fp = { (unsigned short)len, f };
		if (len < 0 || prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) ||
		    syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &fp))
			_exit(4);
		/* libc's read: trapped, answered by the handler. */
		char c;
		ssize_t r = read(-1, &c, 1);   /* EBADF if it reached the kernel */
		if (r != 1 || trapped_nr != SYS_read)
			_exit(5);
		/* getpid: untouched. */
		trapped_nr = -1;
		if (getpid() <= 0 || trapped_nr != -1)
			_exit(6);
		_exit(0);
	}
	int st;
	cr_assert_eq(waitpid(pid, &st, 0), pid);
	cr_assert(WIFEXITED(st), "child killed by signal %d", WTERMSIG(st));
	cr_assert_eq(WEXITSTATUS(st), 0, "child step %d failed", WEXITSTATUS(st));
#endif
}
