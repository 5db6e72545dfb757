/*
 * seccomp_bpf.c - build the catch-all filter (seccomp_bpf.h has its shape).
 *
 * Jumps are forward only and 8 bits wide, so the program is written with
 * labels: each jump records the label it goes to, and the offsets are
 * filled in once every label has its place.
 */
#include "shim/seccomp_bpf.h"

#include <linux/futex.h>
#include <linux/seccomp.h>
#include <stddef.h>

#ifndef FUTEX_LOCK_PI2
#define FUTEX_LOCK_PI2 13
#endif

/* L_ALLOW ends the number tests; L_ALLOW_LATE ends the IP test, for the
 * futex block's jumps (forward only). */
enum label { L_NONE, L_ALLOW, L_ALLOW_LATE, L_TRAP, L_FUTEX, L_IPCHECK, L_COUNT };

struct prog {
	struct sock_filter *out;
	unsigned n, max;
	unsigned char jt[256 + 64], jf[256 + 64];   /* label of each jump, by index */
	int at[L_COUNT];                            /* where each label is */
	int fail;
};

static void emit(struct prog *p, uint16_t code, uint32_t k, enum label jt, enum label jf)
{
	if (p->n >= p->max || p->n >= sizeof p->jt) {
		p->fail = 1;
		return;
	}
	p->out[p->n] = (struct sock_filter)BPF_JUMP(code, k, 0, 0);
	p->jt[p->n] = (unsigned char)jt;
	p->jf[p->n] = (unsigned char)jf;
	p->n++;
}

static void stmt(struct prog *p, uint16_t code, uint32_t k)
{
	emit(p, code, k, L_NONE, L_NONE);
}

static void place(struct prog *p, enum label l)
{
	p->at[l] = (int)p->n;
}

#define LD_W(field) stmt(p, BPF_LD | BPF_W | BPF_ABS, (uint32_t)(field))
#define JEQ(k, t, f) emit(p, BPF_JMP | BPF_JEQ | BPF_K, (k), (t), (f))
#define JGE(k, t, f) emit(p, BPF_JMP | BPF_JGE | BPF_K, (k), (t), (f))

/* seccomp_data on a little-endian machine: the low word first. */
#define OFF_NR offsetof(struct seccomp_data, nr)
#define OFF_ARCH offsetof(struct seccomp_data, arch)
#define OFF_IP_LO offsetof(struct seccomp_data, instruction_pointer)
#define OFF_IP_HI (offsetof(struct seccomp_data, instruction_pointer) + 4)
#define OFF_ARG_LO(i) offsetof(struct seccomp_data, args[i])

static int range_ok(const struct mp_bpf_range *r)
{
	return r->lo < r->hi && (r->lo >> 32) == ((r->hi - 1) >> 32);
}

/* IP in r: go to in, else fall through to the next instruction.  Four
 * instructions; the accumulator holds the IP's low word after. */
static void ip_in(struct prog *p, const struct mp_bpf_range *r, enum label in)
{
	LD_W(OFF_IP_HI);
	/* Not the same high word: skip the rest (3 instructions). */
	emit(p, BPF_JMP | BPF_JEQ | BPF_K, (uint32_t)(r->lo >> 32), L_NONE, L_NONE);
	p->out[p->n - 1].jf = 3;
	LD_W(OFF_IP_LO);
	emit(p, BPF_JMP | BPF_JGE | BPF_K, (uint32_t)r->lo, L_NONE, L_NONE);
	p->out[p->n - 1].jf = 1;   /* below lo: skip the last test */
	/* hi may be 2^32 within the word: then every low word is below it. */
	if ((uint32_t)r->hi == 0 && r->hi != 0)
		JGE(0, in, in);
	else
		JGE((uint32_t)r->hi, L_NONE, in);
}

int mp_bpf_build(const struct mp_bpf_spec *s, struct sock_filter *out, unsigned max)
{
	struct prog pr = { .out = out, .max = max };
	struct prog *p = &pr;

	if (!range_ok(&s->trap_ip) || s->nexempt > MP_BPF_MAX_EXEMPT || s->ntrap > 200)
		return -1;
	for (unsigned i = 0; i < s->nexempt; i++)
		if (!range_ok(&s->exempt[i]))
			return -1;
	for (int l = 0; l < L_COUNT; l++)
		pr.at[l] = -1;

	/* 1. another architecture (a 32-bit int 0x80 call): not ours. */
	LD_W(OFF_ARCH);
	JEQ(s->arch, L_NONE, L_ALLOW);
	/* 2. the number; x32's numbers carry bit 30 and match none of these. */
	LD_W(OFF_NR);
	for (unsigned i = 0; i < s->ntrap; i++)
		JEQ(s->trap_nrs[i], L_IPCHECK, L_NONE);
	if (s->futex_nr >= 0)
		JEQ((uint32_t)s->futex_nr, L_FUTEX, L_NONE);
	place(p, L_ALLOW);
	stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);

	/* 3. futex: only the waits, and not from the exempt lock waits. */
	if (s->futex_nr >= 0) {
		place(p, L_FUTEX);
		LD_W(OFF_ARG_LO(1));
		stmt(p, BPF_ALU | BPF_AND | BPF_K, FUTEX_CMD_MASK);
		/* A wait op: on to the exempt tests after the fifth. */
		JEQ(FUTEX_WAIT, L_NONE, L_NONE);
		p->out[p->n - 1].jt = 4;
		JEQ(FUTEX_WAIT_BITSET, L_NONE, L_NONE);
		p->out[p->n - 1].jt = 3;
		JEQ(FUTEX_LOCK_PI, L_NONE, L_NONE);
		p->out[p->n - 1].jt = 2;
		JEQ(FUTEX_LOCK_PI2, L_NONE, L_NONE);
		p->out[p->n - 1].jt = 1;
		JEQ(FUTEX_WAIT_REQUEUE_PI, L_NONE, L_ALLOW_LATE);
		for (unsigned i = 0; i < s->nexempt; i++)
			ip_in(p, &s->exempt[i], L_ALLOW_LATE);
	}

	/* 4. from libc's text only. */
	place(p, L_IPCHECK);
	ip_in(p, &s->trap_ip, L_TRAP);
	place(p, L_ALLOW_LATE);
	stmt(p, BPF_RET | BPF_K, SECCOMP_RET_ALLOW);
	/* 5. */
	place(p, L_TRAP);
	stmt(p, BPF_RET | BPF_K, SECCOMP_RET_TRAP | (SECCOMP_RET_DATA & s->data));

	if (pr.fail)
		return -1;
	/* Labels to offsets. */
	for (unsigned i = 0; i < pr.n; i++) {
		enum label t = (enum label)pr.jt[i], f = (enum label)pr.jf[i];
		if (t != L_NONE) {
			int d = pr.at[t] - (int)i - 1;
			if (pr.at[t] < 0 || d < 0 || d > 255)
				return -1;
			out[i].jt = (unsigned char)d;
		}
		if (f != L_NONE) {
			int d = pr.at[f] - (int)i - 1;
			if (pr.at[f] < 0 || d < 0 || d > 255)
				return -1;
			out[i].jf = (unsigned char)d;
		}
	}
	return (int)pr.n;
}
