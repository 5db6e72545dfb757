/*
 * throw.c - mp_throw (the fatal report, async-signal-safe) and the
 * debug-build check of "m.p is never stale".
 */
#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "sched/fastpath.h"
#include "sched/internal.h"
#include "shim/raw_syscall.h"

#define relaxed memory_order_relaxed
#define acquire memory_order_acquire
#define release memory_order_release

static size_t fmt_long(char *out, long v)
{
	char tmp[24];
	size_t n = 0, len = 0;
	unsigned long u = v < 0 ? 0ul - (unsigned long)v : (unsigned long)v;
	do {
		tmp[n++] = (char)('0' + u % 10);
		u /= 10;
	} while (u);
	if (v < 0)
		out[len++] = '-';
	while (n)
		out[len++] = tmp[--n];
	return len;
}

void mp_throw(const char *fn, const char *what, long a, long b)
{
	char buf[256];
	size_t n = 0;
	const char *parts[] = { "maxprocs: fatal: ", fn, ": ", what, " (" };
	for (size_t i = 0; i < sizeof parts / sizeof parts[0]; i++)
		for (const char *s = parts[i]; *s && n < 200; s++)
			buf[n++] = *s;
	n += fmt_long(buf + n, a);
	buf[n++] = ',';
	buf[n++] = ' ';
	n += fmt_long(buf + n, b);
	buf[n++] = ')';
	buf[n++] = '\n';
	mp_raw_syscall(SYS_write, 2, buf, n);
	abort();
}

/*
 * The invariant "m.p is never stale": an M's p is 0, or a P in RUNNING whose
 * m is this M and whose gen is the one the M was wired with.  The single
 * exception is a P the monitor revoked from an M blocked outside the table:
 * the gen moved on and the M slot's revoked says so; the M finds out at its next
 * entry point, before it touches the P.
 */
void mp_check_m(const struct mp_m *mp, const char *fn)
{
#ifdef MP_DEBUG
	struct mp_p *pp = mp->p;
	if (!pp)
		return;
	MP_CHECK(pp >= mp_allp && pp < mp_allp + MP_MAXPROCS, fn,
	         "m.p is not a P", (long)(uintptr_t)pp, 0);
	uint64_t w = claim_wait(pp);   /* acquire: m, tid published with it */
	bool ours = pw_gen(w) == pw_gen(mp->pword);
	if (ours) {
		MP_CHECK(pw_state(w) == P_RUNNING, fn, "m.p is not RUNNING",
		         pp->id, pw_state(w));
		/* The word and mslot are two loads.  Between them the monitor
		 * may revoke the P (this M was descheduled or asleep: allowed,
		 * the M finds out at its next entry point) and hand it to
		 * another M, whose slot we would then read.  mslot counts only
		 * if the word still has our gen after it: read it again.  The
		 * fence pairs with the one in p_assign_locked (a new owner's
		 * slot is stored only after the word left our gen). */
		int32_t owner = atomic_load_explicit(&pp->mslot, relaxed);
		atomic_thread_fence(acquire);
		uint64_t again = atomic_load_explicit(&pp->word, acquire);
		ours = pw_gen(again) == pw_gen(w);
		if (ours)
			MP_CHECK(owner == mp->slot, fn, "m.p does not point back to this M",
			         pp->id, owner);
		else
			w = again;   /* revoked meanwhile: checked below */
	}
	if (!ours) {
		/* acquire: revoked is stored before the revoking CAS */
		MP_CHECK(mp->slot >= 0 && atomic_load_explicit(&mslot(mp->slot)->revoked, acquire), fn,
		         "m.p is stale and was not revoked", pp->id, pw_gen(w));
	}
	MP_CHECK(mp->oldp == pp, fn, "m.oldp is not m.p while m.p is held", pp->id,
	         mp->oldp ? (long)mp->oldp->id : -1);
#else
	(void)mp;
	(void)fn;
#endif
}
