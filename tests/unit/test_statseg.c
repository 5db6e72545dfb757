/* test_statseg.c - the stats segment's pure parts: the library's reader of the control area against random bytes (never an invalid N), the /proc/PID/stat start time, and MAXPROCS=auto's decision and its reason (shim/statseg.h, shim/cpus.h). */
#ifdef MP_TEST_LITE
#include "lite.h"        /* TSan builds: Criterion's runner cannot start */
#else
#include <criterion/criterion.h>
#endif

#include <stdint.h>
#include <string.h>

#include "shim/cpus.h"
#include "shim/statseg.h"

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint32_t next32(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return (uint32_t)(rng >> 16);
}

Test(control, random_bytes_never_give_an_invalid_n)
{
	uint32_t seen = 0, accepted = 0, rejected = 0;
	for (int i = 0; i < 2000000; i++) {
		struct mp_seg_control c;
		uint32_t *w = (uint32_t *)&c;
		for (size_t k = 0; k < sizeof c / 4; k++)
			w[k] = next32();
		if (i % 4 == 0)
			c.check = ~c.request;   /* a check that matches: only the range stands */
		uint32_t n = 0xdeadbeef;
		int r = mp_seg_control_take(&c, &seen, &n);
		cr_assert(r >= -1 && r <= 1);
		if (r == 1) {
			cr_assert(n == MP_SEG_CONTROL_AUTO || (n >= 1 && n <= MP_MAXPROCS), "applied N=%u", n);
			cr_assert_eq(c.check, ~c.request);
			accepted++;
		} else if (r < 0) {
			rejected++;
		}
	}
	cr_log_info("accepted %u, rejected %u", accepted, rejected);
	cr_assert_gt(rejected, 1000000);
}

Test(control, a_request_is_taken_once)
{
	struct mp_seg_control c = { 0, 0, 0, 0 };
	uint32_t seen = 0, n = 0;
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), 0, "a zeroed area holds no request");
	c.request = 3;
	c.check = ~3u;
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), 0, "no new seq: nothing yet");
	c.seq = 1;
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), 1);
	cr_assert_eq(n, 3);
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), 0, "taken once");
	c.request = MP_MAXPROCS + 1;
	c.check = ~c.request;
	c.seq = 2;
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), -1, "1025 is out of range");
	c.request = MP_SEG_CONTROL_AUTO;
	c.check = ~0u;
	c.seq = 3;
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), 1);
	cr_assert_eq(n, MP_SEG_CONTROL_AUTO);
	c.request = 2;
	c.check = 2;   /* not ~2: a torn or random write */
	c.seq = 4;
	cr_assert_eq(mp_seg_control_take(&c, &seen, &n), -1);
}

Test(start_time, field_22_after_a_tricky_comm)
{
	const char *text = "4242 (a) b) (c) S 1 4242 4242 0 -1 4194304 100 0 0 0 1 2 0 0 20 0 1 0 "
	                   "987654 12345678 100\n";
	cr_assert_eq(mp_stat_start_time(text), 987654);
	cr_assert_eq(mp_stat_start_time("4242 (x) S 1 2"), 0, "too short");
	cr_assert_eq(mp_stat_start_time("no paren"), 0);
	cr_assert_eq(mp_stat_start_time(""), 0);
}

static void expect(uint32_t affinity, int64_t quota, uint64_t period, struct mp_auto_rules rules,
                   uint32_t want, const char *why)
{
	struct mp_cpus_info info;
	cr_assert_eq(mp_cpus_decide(affinity, quota, period, &rules, &info), want,
	             "affinity %u quota %lld/%llu: %s", affinity, (long long)quota,
	             (unsigned long long)period, info.why);
	cr_assert_eq(info.result, want);
	cr_assert(strcmp(info.why, why) == 0, "why \"%s\", not \"%s\"", info.why, why);
}

Test(auto_rules, rounding_minimum_reserve_and_reason)
{
	const struct mp_auto_rules ceil = { false, 1, 0 }, floor = { true, 1, 0 };
	expect(2, -1, 0, ceil, 2, "affinity 2");
	expect(4, 150000, 100000, ceil, 2, "cgroup quota 1.5 -> ceil 2");
	expect(4, 250000, 100000, ceil, 3, "cgroup quota 2.5 -> ceil 3");
	expect(4, 50000, 100000, ceil, 2, "cgroup quota 0.5 -> ceil 1 -> 2");
	expect(4, 25000, 100000, floor, 1, "cgroup quota 0.25 -> floor 0 -> min 1");
	expect(4, 150000, 100000, floor, 1, "cgroup quota 1.5 -> floor 1");
	expect(4, 850000, 100000, ceil, 4, "affinity 4 (cgroup quota 8.5)");
	expect(4, -1, 0, ((struct mp_auto_rules){ false, 1, 1 }), 3, "affinity 4 - reserve 1");
	expect(2, -1, 0, ((struct mp_auto_rules){ false, 1, 5 }), 1, "affinity 2 - reserve 5 -> min 1");
	expect(2, -1, 0, ((struct mp_auto_rules){ false, 3, 0 }), 3, "affinity 2 -> min 3");
	expect(8, 400000, 100000, ((struct mp_auto_rules){ true, 1, 1 }), 3, "cgroup quota 4 -> floor 4 - reserve 1");
	expect(4096, -1, 0, ceil, MP_MAXPROCS, "affinity 4096");
	/* The defaults (NULL rules) are Go's. */
	struct mp_cpus_info info;
	cr_assert_eq(mp_cpus_decide(4, 50000, 100000, NULL, &info), 2);
}
