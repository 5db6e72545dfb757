/*
 * seccomp_bpf.h - the catch-all mode's seccomp filter as classic BPF,
 * built by hand (libseccomp cannot compare the instruction pointer).  Pure:
 * it fills an array, it installs nothing (preload/catchall.c does).
 *
 * The program, in order (docs/design.md, "Catch-all mode"):
 *
 *   1. arch != ours                        -> ALLOW
 *   2. nr not one of the trapped numbers   -> ALLOW
 *      (the result depends on arch and nr only, so the kernel's action
 *      cache, 5.11+, allows every other number without running the filter)
 *   3. futex: an op that does not wait     -> ALLOW
 *             IP in an exempt range        -> ALLOW (glibc's lock waits
 *             with every signal blocked: a trap there would kill)
 *   4. IP outside trap_ip (libc's text)    -> ALLOW (our own stub, ld.so,
 *      the program, and a new image after exec under ASLR)
 *   5. TRAP with data (the SIGSYS handler's si_errno)
 */
#ifndef MAXPROCS_SHIM_SECCOMP_BPF_H
#define MAXPROCS_SHIM_SECCOMP_BPF_H

#include <linux/filter.h>
#include <stdint.h>

/* [lo, hi): both below the same 4 GiB boundary (hi may be its end). */
struct mp_bpf_range {
	uint64_t lo, hi;
};

#define MP_BPF_MAX_EXEMPT 4

struct mp_bpf_spec {
	uint32_t arch;                 /* AUDIT_ARCH_X86_64, ... */
	const uint32_t *trap_nrs;      /* trapped numbers, futex not among them */
	unsigned ntrap;
	int futex_nr;                  /* futex: trapped on its wait ops; -1 none */
	struct mp_bpf_range trap_ip;   /* trap only from here */
	struct mp_bpf_range exempt[MP_BPF_MAX_EXEMPT];   /* futex waits allowed from here */
	unsigned nexempt;
	uint16_t data;                 /* SECCOMP_RET_DATA of our traps */
};

/* The longest program mp_bpf_build writes for ntrap numbers. */
#define MP_BPF_MAX_LEN(ntrap) (32u + (ntrap) + 8u * MP_BPF_MAX_EXEMPT)

/* Fill out[0..max): the number of instructions, or -1 (a range that
 * straddles 4 GiB or is empty, too many numbers for 8-bit jumps, or max
 * too small). */
int mp_bpf_build(const struct mp_bpf_spec *spec, struct sock_filter *out, unsigned max);

#endif
