/*
 * cpus.c - the default P count (rules in cpus.h).
 */
#include "shim/cpus.h"

#include "shim/limits.h"
#include "shim/cgroup.h"
#include "shim/raw_syscall.h"

/* CPUs in our affinity mask; 1 if it cannot be read.  The raw call returns
 * the mask size the kernel wrote; bits past it are zero. */
uint32_t mp_cpus_affinity(void)
{
	unsigned long mask[1024 / sizeof(unsigned long)];   /* 8192 CPUs */
	long r = mp_raw_syscall(SYS_sched_getaffinity, 0, sizeof(mask), mask);
	uint32_t n = 0;

	if (r <= 0)
		return 1;
	for (size_t i = 0; i < (size_t)r / sizeof(mask[0]); i++)
		n += (uint32_t)__builtin_popcountl(mask[i]);
	return n ? n : 1;
}

uint32_t mp_cpus_apply_limit(uint32_t cpus, uint32_t limit)
{
	uint32_t n = cpus ? cpus : 1;

	if (limit) {
		if (limit < 2)
			limit = 2;
		if (limit < n)
			n = limit;
	}
	return n;
}

/* A bounded string builder for the why text. */
struct why {
	char *buf;
	size_t len, cap;
};

static void why_str(struct why *w, const char *s)
{
	while (*s && w->len + 1 < w->cap)
		w->buf[w->len++] = *s++;
	w->buf[w->len] = '\0';
}

static void why_u64(struct why *w, uint64_t v)
{
	char tmp[24];
	int n = 0;
	do
		tmp[n++] = (char)('0' + v % 10);
	while ((v /= 10) != 0);
	char out[24];
	for (int i = 0; i < n; i++)
		out[i] = tmp[n - 1 - i];
	out[n] = '\0';
	why_str(w, out);
}

/* quota/period CPUs with up to two decimals: "1.5", "0.25", "2". */
static void why_cpus(struct why *w, int64_t quota, uint64_t period)
{
	unsigned __int128 hundredths = ((unsigned __int128)quota * 100 + period / 2) / period;
	uint64_t whole = (uint64_t)(hundredths / 100), frac = (uint64_t)(hundredths % 100);
	why_u64(w, whole);
	if (frac) {
		char d[4] = { '.', (char)('0' + frac / 10), (char)('0' + frac % 10), 0 };
		if (d[2] == '0')
			d[2] = 0;
		why_str(w, d);
	}
}

uint32_t mp_cpus_decide(uint32_t affinity, int64_t quota, uint64_t period,
                        const struct mp_auto_rules *rules, struct mp_cpus_info *info)
{
	static const struct mp_auto_rules defaults = { false, 1, 0 };
	struct mp_cpus_info local;
	if (!rules)
		rules = &defaults;
	if (!info)
		info = &local;
	struct why w = { info->why, 0, sizeof info->why };
	uint64_t n = affinity ? affinity : 1;
	bool has_quota = quota >= 0 && period;

	info->why[0] = '\0';
	info->affinity = affinity;
	info->quota_limit = has_quota ? mp_cgroup_quota_cpus(quota, period) : 0;
	if (has_quota) {
		uint64_t lim = rules->floor ? (uint64_t)quota / period : info->quota_limit;
		bool go_min = !rules->floor && lim < 2;
		if (go_min)
			lim = 2;   /* Go's rule: a blocked and a running thread overlap */
		if (lim < n) {
			n = lim;
			why_str(&w, "cgroup quota ");
			why_cpus(&w, quota, period);
			why_str(&w, rules->floor ? " -> floor " : " -> ceil ");
			why_u64(&w, go_min ? info->quota_limit : lim);
			if (go_min)
				why_str(&w, " -> 2");
		} else {
			why_str(&w, "affinity ");
			why_u64(&w, n);
			why_str(&w, " (cgroup quota ");
			why_cpus(&w, quota, period);
			why_str(&w, ")");
		}
	} else {
		why_str(&w, "affinity ");
		why_u64(&w, n);
	}
	if (rules->reserve) {
		n = n > rules->reserve ? n - rules->reserve : 0;
		why_str(&w, " - reserve ");
		why_u64(&w, rules->reserve);
	}
	uint32_t min = rules->min ? rules->min : 1;
	if (n < min) {
		n = min;
		why_str(&w, " -> min ");
		why_u64(&w, min);
	}
	if (n > MP_MAXPROCS)
		n = MP_MAXPROCS;
	info->result = (uint32_t)n;
	return (uint32_t)n;
}

uint32_t mp_cpus_auto(const struct mp_auto_rules *rules, struct mp_cpus_info *info)
{
	int64_t quota;
	uint64_t period;

	if (!mp_cgroup_cpu_quota(&quota, &period))
		quota = -1, period = 0;
	return mp_cpus_decide(mp_cpus_affinity(), quota, period, rules, info);
}

uint32_t mp_cpus_default(struct mp_cpus_info *info)
{
	return mp_cpus_auto(NULL, info);
}
