/*
 * catchall.c - catch-all mode (catchall.h; docs/design.md, "Catch-all mode";
 * the measurements behind it: interposition-notes.md sections 2, 4 and 7).
 *
 * A seccomp filter (shim/seccomp_bpf.c) traps the numbers sysno.def marks
 * TRAP (for futex only the waits), and only when they are issued from
 * inside this process's libc text.  The SIGSYS handler brackets the call
 * as a wrapper would and re-issues it from our own stub
 * (catchall_stub.S, outside libc, so the filter lets it through), then
 * writes the kernel's answer into the interrupted context's RAX; the
 * sigreturn resumes libc just after its syscall instruction, as if the
 * kernel had answered there.
 *
 * A call trapped inside a wrapper (libc's read under our read, a futex
 * under pthread_mutex_lock) is already bracketed: the handler only
 * re-issues it (mp_self.depth says so; a vfork child, whose depth
 * mp_m_vfork_begin raised, changes nothing of ours the same way).
 *
 * Semantics: the re-issued call is a real system call, so a signal
 * arriving while it blocks is delivered (our handler blocks no signal and
 * has SA_NODEFER), and restarts or fails with EINTR by its handler's
 * SA_RESTART exactly as the original call would have; the -EINTR is what
 * libc then sees.  Cancellation: libc enabled asynchronous cancellation
 * around its syscall, so SIGCANCEL unwinds from inside the re-issued call
 * through this handler (compiled with -fexceptions: the bracket's exit
 * runs) and the signal frame into libc and the program's cleanups.
 *
 * Safety (the host and its children must never die of SIGSYS):
 *   - SIGSYS is an owned signal (signals/): the program's sigaction on it
 *     is virtualised, its handler is chained for every SIGSYS that is not
 *     our trap, and it is kept out of every mask the program sets;
 *   - glibc's own lock waits with every signal blocked
 *     (__lll_lock_wait_private: thread start and exit, pthread_kill) are
 *     exempt in the filter;
 *   - execve is never trapped; the filter survives exec, but libc lands
 *     elsewhere in the new image under address randomisation, so it is
 *     inert there: the mode refuses to start without randomisation and the
 *     exec wrappers clear ADDR_NO_RANDOMIZE.
 *
 * x86_64 only: on other architectures the mode refuses with one line.
 */
#include "preload/catchall.h"
#include "shim/proctask.h"
#include "preload/preload.h"
#include "preload/real.h"
#include "preload/wrap.h"

#include <dlfcn.h>
#include <fcntl.h>
#include <link.h>
#include <linux/audit.h>
#include <linux/capability.h>
#include <linux/filter.h>
#include <linux/seccomp.h>
#include <string.h>
#include <sys/personality.h>
#include <sys/prctl.h>
#include <ucontext.h>

#include "shim/line.h"
#include "shim/raw_syscall.h"
#include "shim/seccomp_bpf.h"
#include "signals/signals.h"

#ifndef SYS_SECCOMP
#define SYS_SECCOMP 1
#endif
#ifndef SECCOMP_FILTER_FLAG_TSYNC
#define SECCOMP_FILTER_FLAG_TSYNC 1
#endif
#ifndef CAP_SYS_ADMIN
#define CAP_SYS_ADMIN 21
#endif

/* Our traps' SECCOMP_RET_DATA ("mp"): the handler's si_errno. */
#define MP_CATCH_DATA 0x6d70

/* Above every number sysno.def names (as syscall.c's table). */
#define MP_TRAP_NR_LIMIT 512

bool mp_catchall_on;

/* catchall_stub.S */
long mp_catchall_syscall6(long nr, long a1, long a2, long a3, long a4, long a5, long a6);

/* ---- the trapped numbers: the TRAP rows of sysno.def ---- */

enum mp_trap_id {
#define MP_TRAP_ROW_TRAP(nr, class, name) MP_TRAP_##name,
#define MP_TRAP_ROW_MASK(nr, class, name) MP_TRAP_##name,
#define MP_TRAP_ROW_NOTRAP(nr, class, name)
#define MP_SYSNO(nr, class, trap, name) MP_TRAP_ROW_##trap(nr, class, name)
#include "preload/sysno.def"
#undef MP_SYSNO
#undef MP_TRAP_ROW_TRAP
#undef MP_TRAP_ROW_MASK
	MP_TRAP_COUNT
};

struct mp_trap_row {
	uint32_t nr;
	bool blocking;      /* known to wait: the P goes to a waiter at once */
	const char *name;   /* the profile's */
};

/* BLOCKING and FUTEX (only its waits are trapped) rows wait for sure;
 * the rest may. */
#define MP_TRAP_BLOCKS_MAY_BLOCK false
#define MP_TRAP_BLOCKS_BLOCKING true
#define MP_TRAP_BLOCKS_FUTEX true
#define MP_TRAP_BLOCKS_PASS false
static const struct mp_trap_row mp_traps[MP_TRAP_COUNT] = {
#define MP_TRAP_ROW_TRAP(nr, class, name) { nr, MP_TRAP_BLOCKS_##class, "SYS_" #name },
#define MP_TRAP_ROW_MASK(nr, class, name) { nr, false, "SYS_" #name },
#define MP_SYSNO(nr, class, trap, name) MP_TRAP_ROW_##trap(nr, class, name)
#include "preload/sysno.def"
#undef MP_SYSNO
#undef MP_TRAP_ROW_TRAP
#undef MP_TRAP_ROW_MASK
#undef MP_TRAP_ROW_NOTRAP
};

/* trap id + 1 by number; 0: not trapped. */
static unsigned char mp_trap_of_nr[MP_TRAP_NR_LIMIT];

static const char *mp_all_names[MP_CALL_COUNT + MP_TRAP_COUNT];

const char *const *mp_catchall_call_names(unsigned *count)
{
	for (unsigned i = 0; i < MP_CALL_COUNT; i++)
		mp_all_names[i] = mp_call_names[i];
	for (unsigned i = 0; i < MP_TRAP_COUNT; i++)
		mp_all_names[MP_CALL_COUNT + i] = mp_traps[i].name;
	*count = MP_CALL_COUNT + MP_TRAP_COUNT;
	return mp_all_names;
}

/* ---- the handler ---- */

#if defined(__x86_64__)

static long mp_copy_user(void *dst, const void *src, size_t n, bool to_user);

#define MP_SIGBIT(sig) (1ull << ((sig) - 1))

/* The calls that take a signal mask for their duration (sigsuspend,
 * ppoll, pselect6, epoll_pwait[2]): the argument that holds it, or -1.
 * A handler that runs during the call runs under that mask: it is passed
 * on without SIGSYS, as every other mask the program sets. */
static int mp_mask_arg(long nr)
{
	switch (nr) {
	case SYS_rt_sigsuspend:
		return 0;
	case SYS_ppoll:
		return 3;
	case SYS_epoll_pwait:
	case SYS_epoll_pwait2:
		return 4;
	case SYS_pselect6:
		return 5;   /* a pointer to { const sigset_t *, size_t } */
	default:
		return -1;
	}
}

/* Re-issued as trapped: the arguments from the context, a mask argument
 * copied without SIGSYS when it has it (an unreadable one is passed on as
 * it is: the kernel then says EFAULT). */
static long mp_reissue(long nr, const greg_t *g)
{
	long a[6] = { g[REG_RDI], g[REG_RSI], g[REG_RDX], g[REG_R10], g[REG_R8], g[REG_R9] };
	int m = mp_mask_arg(nr);
	uint64_t mask;
	struct { const void *ss; size_t len; } sel;
	if (m >= 0 && a[m]) {
		const void *where = (const void *)a[m];
		if (nr == SYS_pselect6) {
			if (mp_copy_user(&sel, where, sizeof sel, false) || !sel.ss)
				goto issue;
			where = sel.ss;
		}
		if (mp_copy_user(&mask, where, sizeof mask, false) || !(mask & MP_SIGBIT(SIGSYS)))
			goto issue;
		mask &= ~MP_SIGBIT(SIGSYS);
		if (nr == SYS_pselect6) {
			sel.ss = &mask;
			a[m] = (long)&sel;
		} else {
			a[m] = (long)&mask;
		}
	}
issue:
	return mp_catchall_syscall6(nr, a[0], a[1], a[2], a[3], a[4], a[5]);
}

/* The brackets of wrap.h: the exit half also runs when cancellation
 * unwinds the re-issued call. */
static __attribute__((noinline)) long mp_trapped_may_block(unsigned id, long nr, const greg_t *g)
{
	MP_BRACKET(mp_enter_syscall, MP_CALL_COUNT + id);
	return mp_reissue(nr, g);
}

static __attribute__((noinline)) long mp_trapped_blocking(unsigned id, long nr, const greg_t *g)
{
	MP_BRACKET(mp_enter_blocking, MP_CALL_COUNT + id);
	return mp_reissue(nr, g);
}

/* Copy from or to user memory as the kernel would: a bad address is
 * -EFAULT, not a crash (process_vm_*v on ourselves). */
static long mp_copy_user(void *dst, const void *src, size_t n, bool to_user)
{
	struct iovec local = { to_user ? (void *)src : dst, n };
	struct iovec remote = { to_user ? dst : (void *)src, n };
	long r = mp_catchall_syscall6(to_user ? SYS_process_vm_writev : SYS_process_vm_readv,
	                              mp_raw_getpid(), (long)&local, 1, (long)&remote, 1, 0);
	return r == (long)n ? 0 : -EFAULT;
}

/* libc's rt_sigprocmask(how, set, old, size), emulated: the new mask goes
 * into the interrupted context, which the sigreturn applies on the way
 * back to libc, exactly when the kernel would have applied it, less
 * SIGSYS.  The thread's mask now is the one saved in the context. */
static long mp_emulate_sigprocmask(ucontext_t *uc, const greg_t *g)
{
	int how = (int)g[REG_RDI];
	const void *set = (const void *)g[REG_RSI];
	void *old = (void *)g[REG_RDX];
	uint64_t cur, want;

	if (g[REG_R10] != 8)
		return -EINVAL;
	memcpy(&cur, &uc->uc_sigmask, sizeof cur);
	want = cur;
	if (set) {
		uint64_t s;
		if (how != SIG_BLOCK && how != SIG_UNBLOCK && how != SIG_SETMASK)
			return -EINVAL;
		if (mp_copy_user(&s, set, sizeof s, false))
			return -EFAULT;
		want = how == SIG_BLOCK ? cur | s : how == SIG_UNBLOCK ? cur & ~s : s;
		want &= ~(MP_SIGBIT(SIGKILL) | MP_SIGBIT(SIGSTOP) | MP_SIGBIT(SIGSYS));
	}
	if (old && mp_copy_user(old, &cur, sizeof cur, true))
		return -EFAULT;
	memcpy(&uc->uc_sigmask, &want, sizeof want);
	return 0;
}

static void mp_on_sigsys(int sig, siginfo_t *si, void *ucv)
{
	ucontext_t *uc = ucv;
	unsigned nr = (unsigned)si->si_syscall;

	(void)sig;
	if (si->si_code != SYS_SECCOMP || (si->si_errno & SECCOMP_RET_DATA) != MP_CATCH_DATA ||
	    nr >= MP_TRAP_NR_LIMIT || !mp_trap_of_nr[nr]) {
		mp_signals_sigsys_to_program(si, uc);   /* not our trap */
		return;
	}
	int saved = errno;
	greg_t *g = uc->uc_mcontext.gregs;
	unsigned id = mp_trap_of_nr[nr] - 1u;
	long r;
	if (nr == SYS_rt_sigprocmask) {
		r = mp_emulate_sigprocmask(uc, g);
	} else if (mp_self.depth != 0) {
		r = mp_reissue(nr, g);   /* inside a wrapper: bracketed already */
	} else {
		mp_count_trap();
		r = mp_traps[id].blocking ? mp_trapped_blocking(id, nr, g)
		                          : mp_trapped_may_block(id, nr, g);
	}
	g[REG_RAX] = r;
	errno = saved;
}

#define MP_CATCH_ARCH AUDIT_ARCH_X86_64

#endif

#if defined(__x86_64__)
/* ---- the wrappers' own calls: from the stub, never trapped ----
 *
 * In the mode, libc's read under our read wrapper would trap as well (the
 * same instruction serves fread's internal read): a trap costs about 2.3
 * us, the wrapper a few ns.  So the most frequent rows' real functions
 * become these, which make the call from our stub as libc would: a
 * cancellation point (asynchronous cancellation around the call, as
 * glibc's SYSCALL_CANCEL does), the kernel's error in errno.  Only the
 * pointers change, at start: the wrappers (and the mode off) are as they
 * were.  Every other row's call traps nested (the handler only re-issues). */

static long mp_stub_call(long nr, long a1, long a2, long a3, long a4)
{
	int old;
	pthread_setcanceltype(PTHREAD_CANCEL_ASYNCHRONOUS, &old);
	long r = mp_catchall_syscall6(nr, a1, a2, a3, a4, 0, 0);
	pthread_setcanceltype(old, NULL);
	if (r < 0 && r > -4096) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

static ssize_t mp_stub_read(int fd, void *buf, size_t n)
{
	return mp_stub_call(SYS_read, fd, (long)buf, (long)n, 0);
}

static ssize_t mp_stub_write(int fd, const void *buf, size_t n)
{
	return mp_stub_call(SYS_write, fd, (long)buf, (long)n, 0);
}

static ssize_t mp_stub_readv(int fd, const struct iovec *iov, int cnt)
{
	return mp_stub_call(SYS_readv, fd, (long)iov, cnt, 0);
}

static ssize_t mp_stub_writev(int fd, const struct iovec *iov, int cnt)
{
	return mp_stub_call(SYS_writev, fd, (long)iov, cnt, 0);
}

static ssize_t mp_stub_pread64(int fd, void *buf, size_t n, off64_t off)
{
	return mp_stub_call(SYS_pread64, fd, (long)buf, (long)n, (long)off);
}

static ssize_t mp_stub_pwrite64(int fd, const void *buf, size_t n, off64_t off)
{
	return mp_stub_call(SYS_pwrite64, fd, (long)buf, (long)n, (long)off);
}

/* The masks, as glibc's pthread_sigmask gives them to the kernel (its own
 * SIGCANCEL and SIGSETXID never blocked), from the stub: libc's
 * rt_sigprocmask would trap to be emulated. */
static long mp_stub_sigmask(int how, const sigset_t *set, sigset_t *old)
{
	uint64_t s;
	const void *p = set;
	if (set) {
		memcpy(&s, set, sizeof s);   /* glibc copies it too: a bad pointer faults there */
		s &= ~(MP_SIGBIT(32) | MP_SIGBIT(33));
		if (how != SIG_UNBLOCK)
			s &= ~MP_SIGBIT(SIGSYS);
		p = &s;
	}
	return mp_catchall_syscall6(SYS_rt_sigprocmask, how, (long)p, (long)old, 8, 0, 0);
}

static int mp_stub_pthread_sigmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	long r = mp_stub_sigmask(how, set, old);
	return r < 0 ? (int)-r : 0;
}

static int mp_stub_sigprocmask(int how, const sigset_t *restrict set, sigset_t *restrict old)
{
	long r = mp_stub_sigmask(how, set, old);
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return 0;
}

static void mp_catchall_own_calls(void)
{
#if defined(__SANITIZE_ADDRESS__)
	/* ASan builds keep its interceptors (and its unwinding through them:
	 * a cancellation from our stub trips its sigaltstack check). */
	return;
#endif
	/* relaxed: as every real pointer (real.h): a thread sees the old
	 * function or the stub, both correct */
	__atomic_store_n(&mp_real_sigprocmask_ptr, mp_stub_sigprocmask, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_pthread_sigmask_ptr, mp_stub_pthread_sigmask, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_read_ptr, mp_stub_read, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_write_ptr, mp_stub_write, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_readv_ptr, mp_stub_readv, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_writev_ptr, mp_stub_writev, __ATOMIC_RELAXED);
	/* off_t is 64 bits here: pread is pread64. */
	__atomic_store_n(&mp_real_pread64_ptr, mp_stub_pread64, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_pwrite64_ptr, mp_stub_pwrite64, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_pread_ptr, mp_stub_pread64, __ATOMIC_RELAXED);
	__atomic_store_n(&mp_real_pwrite_ptr, mp_stub_pwrite64, __ATOMIC_RELAXED);
}

#endif

/* ---- set-up ---- */

static void mp_catchall_say(const char *a, const char *b)
{
	struct mp_line ln;
	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: catch-all: ");
	mp_line_str(&ln, a);
	if (b)
		mp_line_str(&ln, b);
	mp_line_write(&ln, 2);
}

static void mp_catchall_refuse(const char *why)
{
	mp_catchall_say(why, "; running with the wrappers only");
}

/* Address randomisation: on for us, and for the system. */
static bool mp_aslr_off(void)
{
	char c = 0;
	long p = mp_raw_syscall(SYS_personality, 0xffffffffL, 0, 0);
	if (p != -1 && p >= 0 && (p & ADDR_NO_RANDOMIZE))
		return true;
	int fd = (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)"/proc/sys/kernel/randomize_va_space",
	                              O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return false;
	long n = mp_raw_syscall(SYS_read, fd, &c, 1);
	mp_raw_syscall(SYS_close, fd, 0, 0);
	return n == 1 && c == '0';
}

/* libc's executable segment, found by its soname. */
struct mp_text_search {
	struct mp_bpf_range text;
};

static int mp_find_libc_text(struct dl_phdr_info *info, size_t size, void *arg)
{
	struct mp_text_search *s = arg;
	const char *slash;
	(void)size;
	if (!info->dlpi_name || !*info->dlpi_name)
		return 0;
	slash = strrchr(info->dlpi_name, '/');
	if (strncmp(slash ? slash + 1 : info->dlpi_name, "libc.so", 7) != 0)
		return 0;
	for (int i = 0; i < info->dlpi_phnum; i++) {
		const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
		if (ph->p_type == PT_LOAD && (ph->p_flags & PF_X)) {
			s->text.lo = info->dlpi_addr + ph->p_vaddr;
			s->text.hi = s->text.lo + ph->p_memsz;
			return 1;
		}
	}
	return 0;
}

/* A libc function's bytes, [lo, hi), from its symbol; 0 if not found. */
static int mp_libc_function(const char *name, const char *version, struct mp_bpf_range *r)
{
	void *fn = dlvsym(RTLD_DEFAULT, name, version);
	Dl_info info;
	const ElfW(Sym) *sym = NULL;
	if (!fn || !dladdr1(fn, &info, (void **)&sym, RTLD_DL_SYMENT) || !sym || !sym->st_size)
		return 0;
	r->lo = (uint64_t)(uintptr_t)fn;
	r->hi = r->lo + sym->st_size;
	return 1;
}

static bool mp_has_cap_sys_admin(void)
{
	struct __user_cap_header_struct hdr = { _LINUX_CAPABILITY_VERSION_3, 0 };
	struct __user_cap_data_struct data[2];
	memset(data, 0, sizeof data);
	if (mp_raw_syscall(SYS_capget, &hdr, data, 0) != 0)
		return false;
	return (data[CAP_SYS_ADMIN / 32].effective >> (CAP_SYS_ADMIN % 32)) & 1;
}

/* The mode's start line is printed once per tree of processes, not by
 * every exec'd child: quiet when a filter is in already and the parent
 * has this library loaded (its own line was printed by it or an
 * ancestor).  Raw reads; anything unreadable means "print". */
static bool mp_filtered_already(void)
{
	return mp_proc_seccomp_mode() >= 1;
}

static bool mp_parent_has_library(void)
{
	static const char needle[] = "libmaxprocs";
	char path[64], buf[8192 + sizeof needle];
	struct mp_line ln;
	size_t keep = 0;
	bool found = false;

	mp_line_init(&ln);
	mp_line_str(&ln, "/proc/");
	mp_line_i64(&ln, mp_raw_syscall(SYS_getppid, 0, 0, 0));
	mp_line_str(&ln, "/maps");
	if (ln.len >= sizeof path)
		return false;
	memcpy(path, ln.buf, ln.len);
	path[ln.len] = 0;
	int fd = (int)mp_raw_syscall6(SYS_openat, AT_FDCWD, (long)path, O_RDONLY | O_CLOEXEC, 0, 0, 0);
	if (fd < 0)
		return false;
	while (!found) {
		long n = mp_raw_syscall(SYS_read, fd, buf + keep, sizeof buf - 1 - keep);
		if (n <= 0)
			break;
		size_t len = keep + (size_t)n;
		buf[len] = 0;
		found = strstr(buf, needle) != NULL;
		/* A name cut at the end of this read is whole in the next. */
		keep = len < sizeof needle - 1 ? len : sizeof needle - 1;
		memmove(buf, buf + len - keep, keep);
	}
	mp_raw_syscall(SYS_close, fd, 0, 0);
	return found;
}

bool mp_catchall_init(void)
{
#if !defined(__x86_64__)
	mp_catchall_refuse("not supported on this architecture (x86_64 only)");
	return false;
#else
	static uint32_t nrs[MP_TRAP_COUNT];
	static struct sock_filter code[MP_BPF_MAX_LEN(MP_TRAP_COUNT)];
	struct mp_bpf_spec spec = { .arch = MP_CATCH_ARCH, .futex_nr = -1, .data = MP_CATCH_DATA };
	struct mp_text_search libc = { { 0, 0 } };
	unsigned n = 0;

	if (mp_aslr_off()) {
		mp_catchall_refuse("address randomisation is off (setarch -R, a debugger, "
		                   "randomize_va_space=0): a filter inherited across exec would trap "
		                   "in the new program");
		return false;
	}
	if (!dl_iterate_phdr(mp_find_libc_text, &libc)) {
		mp_catchall_refuse("libc's text not found");
		return false;
	}
	spec.trap_ip = libc.text;
	for (unsigned i = 0; i < MP_TRAP_COUNT; i++) {
		if (mp_traps[i].nr >= MP_TRAP_NR_LIMIT)
			continue;
		mp_trap_of_nr[mp_traps[i].nr] = (unsigned char)(i + 1);
		if (mp_traps[i].nr == SYS_futex)
			spec.futex_nr = SYS_futex;
		else
			nrs[n++] = mp_traps[i].nr;
	}
	spec.trap_nrs = nrs;
	spec.ntrap = n;
	/* glibc's lock waits with every signal blocked (notes 4.1c) need no
	 * exemption: libc's rt_sigprocmask is trapped and emulated without
	 * SIGSYS, so no libc window blocks it.  MAXPROCS_CATCH_ALL_EXEMPT_LLL
	 * (a debugging aid, not a setting) puts the exemption back. */
	if (getenv("MAXPROCS_CATCH_ALL_EXEMPT_LLL") &&
	    mp_libc_function("__lll_lock_wait_private", "GLIBC_PRIVATE", &spec.exempt[0]))
		spec.nexempt = 1;
	int len = mp_bpf_build(&spec, code, sizeof code / sizeof code[0]);
	if (len < 0) {
		mp_catchall_refuse("libc's text straddles a 4 GiB boundary");
		return false;
	}
	bool quiet = mp_filtered_already() && mp_parent_has_library();
	bool admin = mp_has_cap_sys_admin();
	mp_monitor_keep_signal_open(SIGSYS);
	if (mp_signals_own_sigsys(mp_on_sigsys) != 0) {
		mp_catchall_refuse("cannot install the SIGSYS handler");
		return false;
	}
	if (!admin && mp_raw_syscall6(SYS_prctl, PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0, 0) != 0) {
		mp_catchall_refuse("prctl(PR_SET_NO_NEW_PRIVS) refused");
		return false;
	}
	struct sock_fprog prog = { (unsigned short)len, code };
	long r = mp_raw_syscall(SYS_seccomp, SECCOMP_SET_MODE_FILTER, SECCOMP_FILTER_FLAG_TSYNC, &prog);
	if (r != 0) {
		/* > 0: a thread that could not take the filter (TSYNC). */
		mp_catchall_refuse(r > 0 ? "a thread could not take the filter (TSYNC)"
		                         : "seccomp refused the filter");
		return false;
	}
	mp_catchall_on = true;
	mp_catchall_own_calls();
	if (!quiet)
		mp_catchall_say("on: blocking system calls libc makes are trapped and bracketed (about 2.5 us each); ",
		                admin ? "CAP_SYS_ADMIN: no_new_privs left unset"
		                      : "no_new_privs is set: setuid programs run from here get no privileges");
	return true;
#endif
}

void mp_catchall_before_exec(void)
{
	if (!mp_catchall_on)
		return;
	long p = mp_raw_syscall(SYS_personality, 0xffffffffL, 0, 0);
	if (p >= 0 && (p & ADDR_NO_RANDOMIZE))
		mp_raw_syscall(SYS_personality, p & ~(long)ADDR_NO_RANDOMIZE, 0, 0);
}
