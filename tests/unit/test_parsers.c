/* test_parsers.c - the shim's pure parsers: settings (config.h), cgroup quota files (cpus.h), /proc/self/cgroup and mountinfo lines (cgroup.h), /proc task files (proctask.h). */
#ifdef MP_TEST_LITE
#include "lite.h"        /* TSan builds: Criterion's runner cannot start */
#else
#include <criterion/criterion.h>
#endif

#include <dirent.h>
#include <pthread.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "shim/cgroup.h"
#include "shim/config.h"
#include "shim/cpus.h"
#include "shim/limits.h"
#include "shim/proctask.h"

/* ---- mp_parse_u64 ---- */

static bool u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	*out = 4242;
	return mp_parse_u64(s, lo, hi, out);
}

Test(parse_u64, accepts_decimal_in_range)
{
	uint64_t v;

	cr_assert(u64("0", 0, 1, &v) && v == 0);
	cr_assert(u64("1", 0, 1, &v) && v == 1);
	cr_assert(u64("1024", 1, 1024, &v) && v == 1024);
	cr_assert(u64("007", 1, 1024, &v) && v == 7, "leading zeros are digits");
	cr_assert(u64("18446744073709551609", 0, UINT64_MAX, &v) &&
	          v == 18446744073709551609ull);
}

Test(parse_u64, rejects_and_leaves_out_alone)
{
	static const char *const bad[] = {
		"", "+1", "-1", " 1", "1 ", "1\n", "12abc", "0x10", "1e3", "1.5",
		"1,000", "abc", "18446744073709551616", "99999999999999999999",
		"100000000000000000000000",
	};
	uint64_t v;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!u64(bad[i], 0, UINT64_MAX, &v), "accepted \"%s\"", bad[i]);
		cr_assert_eq(v, 4242, "\"%s\" changed *out", bad[i]);
	}
	cr_assert(!u64(NULL, 0, 1, &v));
	cr_assert(!u64("0", 1, 1024, &v), "below lo");
	cr_assert(!u64("1025", 1, 1024, &v), "above hi");
	cr_assert_eq(v, 4242);
}

/* ---- mp_config_parse ---- */

struct warnings {
	int n;
	char last[512];
};

static void collect(void *ctx, const char *line)
{
	struct warnings *w = ctx;

	w->n++;
	strncpy(w->last, line, sizeof(w->last) - 1);
}

static int parse(struct mp_config *cfg, const struct mp_env *env,
                 uint32_t default_nprocs, struct warnings *w)
{
	memset(w, 0, sizeof(*w));
	memset(cfg, 0xa5, sizeof(*cfg));
	return mp_config_parse(cfg, env, default_nprocs, collect, w);
}

Test(config, unset_gives_defaults_silently)
{
	struct mp_env env = { 0 };
	struct mp_config cfg;
	struct warnings w;

	cr_assert_eq(parse(&cfg, &env, 3, &w), 0);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(cfg.nprocs, 3);
	cr_assert(!cfg.nprocs_from_env);
	cr_assert_eq(cfg.schedtrace_ms, 0);
	cr_assert_eq(cfg.slice_ns, MP_SLICE_DEFAULT_US * 1000);
	cr_assert_eq(cfg.spin_ns, MP_SPIN_DEFAULT_US * 1000);
	cr_assert(!cfg.debug);
	cr_assert_eq(cfg.preempt_signal, MP_PREEMPT_SIGNAL_AUTO);

	/* Empty is unset. */
	env = (struct mp_env){ .procs = "", .schedtrace = "", .slice_us = "", .spin_us = "", .debug = "",
	                       .preempt_signal = "", .sync = "", .profile = "", .profile_min_us = "",
	                       .profile_flush_ms = "" };
	cr_assert_eq(parse(&cfg, &env, 3, &w), 0);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(cfg.nprocs, 3);
	cr_assert_eq(cfg.preempt_signal, MP_PREEMPT_SIGNAL_AUTO);
}

Test(config, default_nprocs_is_clamped)
{
	struct mp_env env = { 0 };
	struct mp_config cfg;
	struct warnings w;

	parse(&cfg, &env, 0, &w);
	cr_assert_eq(cfg.nprocs, 1);
	parse(&cfg, &env, MP_MAXPROCS + 1, &w);
	cr_assert_eq(cfg.nprocs, MP_MAXPROCS);
	cr_assert_eq(w.n, 0);
}

Test(config, accepts_every_setting)
{
	struct mp_env env = { .procs = "1024", .schedtrace = "3600000", .slice_us = "100", .spin_us = "1000",
	                       .debug = "1", .preempt_signal = "34", .sync = "cas", .profile = "/tmp/p",
	                       .profile_min_us = "60000000", .profile_flush_ms = "3600000" };
	struct mp_config cfg;
	struct warnings w;

	cr_assert_eq(parse(&cfg, &env, 2, &w), 0);
	cr_assert_eq(w.n, 0);
	cr_assert_eq(cfg.nprocs, 1024);
	cr_assert(cfg.nprocs_from_env);
	cr_assert_eq(cfg.schedtrace_ms, 3600000);
	cr_assert_eq(cfg.slice_ns, 100000);
	cr_assert(cfg.debug);
	cr_assert_eq(cfg.preempt_signal, 34);
	cr_assert_eq(cfg.sync, MP_CONFIG_SYNC_CAS);
	cr_assert(cfg.profile_dir && strcmp(cfg.profile_dir, "/tmp/p") == 0);
	cr_assert_eq(cfg.profile_min_ns, 60000000ull * 1000);
	cr_assert_eq(cfg.profile_flush_ms, 3600000);
	cr_assert_eq(cfg.spin_ns, 1000000);

	env = (struct mp_env){ .procs = "1", .schedtrace = "0", .slice_us = "10000000", .spin_us = "0",
	                       .debug = "0", .preempt_signal = "64", .sync = "membarrier", .profile = "",
	                       .profile_min_us = "1", .profile_flush_ms = "0" };
	cr_assert_eq(parse(&cfg, &env, 2, &w), 0);
	cr_assert_eq(cfg.nprocs, 1);
	cr_assert_eq(cfg.schedtrace_ms, 0);
	cr_assert_eq(cfg.slice_ns, 10000000ull * 1000);
	cr_assert_eq(cfg.spin_ns, 0);
	cr_assert(!cfg.debug);
	cr_assert_eq(cfg.preempt_signal, 64);
	cr_assert_eq(cfg.sync, MP_CONFIG_SYNC_MEMBARRIER);
	cr_assert_null(cfg.profile_dir);
	cr_assert_eq(cfg.profile_min_ns, 1000);

	env = (struct mp_env){ .preempt_signal = "off" };
	parse(&cfg, &env, 2, &w);
	cr_assert_eq(cfg.preempt_signal, MP_PREEMPT_SIGNAL_OFF);
	env = (struct mp_env){ .preempt_signal = "auto" };
	parse(&cfg, &env, 2, &w);
	cr_assert_eq(cfg.preempt_signal, MP_PREEMPT_SIGNAL_AUTO);
	cr_assert_eq(w.n, 0);
}

/* One bad variable: one warning naming it and the value, and the default. */
static void expect_bad(struct mp_env env, const char *name, const char *value,
                       const char *using)
{
	struct mp_config cfg;
	struct warnings w;
	char want[128];

	cr_assert_eq(parse(&cfg, &env, 2, &w), 1, "%s=%s", name, value);
	cr_assert_eq(w.n, 1, "%s=%s", name, value);
	snprintf(want, sizeof(want), "%s='%s'", name, value);
	cr_assert(strstr(w.last, want), "warning \"%s\" lacks %s", w.last, want);
	cr_assert(strstr(w.last, using), "warning \"%s\" lacks \"%s\"", w.last, using);
	cr_assert_eq(cfg.nprocs, 2);
	cr_assert(!cfg.nprocs_from_env);
	cr_assert_eq(cfg.schedtrace_ms, 0);
	cr_assert_eq(cfg.slice_ns, MP_SLICE_DEFAULT_US * 1000);
	cr_assert(!cfg.debug);
	cr_assert_eq(cfg.preempt_signal, MP_PREEMPT_SIGNAL_AUTO);
}

Test(config, rejects_bad_values)
{
	static const char *const procs[] = {
		"0", "1025", "-1", "+2", " 2", "2 ", "2x", "abc", "99999999999999999999",
	};
	for (size_t i = 0; i < sizeof(procs) / sizeof(procs[0]); i++)
		expect_bad((struct mp_env){ .procs = procs[i] }, MP_ENV_PROCS, procs[i],
		           "using 2");

	expect_bad((struct mp_env){ .schedtrace = "3600001" }, MP_ENV_SCHEDTRACE,
	           "3600001", "using 0");
	expect_bad((struct mp_env){ .schedtrace = "-5" }, MP_ENV_SCHEDTRACE, "-5",
	           "using 0");
	expect_bad((struct mp_env){ .slice_us = "99" }, MP_ENV_SLICE, "99",
	           "using 10000");
	expect_bad((struct mp_env){ .slice_us = "10000001" }, MP_ENV_SLICE,
	           "10000001", "using 10000");
	expect_bad((struct mp_env){ .slice_us = "10ms" }, MP_ENV_SLICE, "10ms",
	           "using 10000");
	expect_bad((struct mp_env){ .debug = "2" }, MP_ENV_DEBUG, "2", "using 0");
	expect_bad((struct mp_env){ .debug = "yes" }, MP_ENV_DEBUG, "yes", "using 0");
	expect_bad((struct mp_env){ .preempt_signal = "33" }, MP_ENV_PREEMPT_SIGNAL,
	           "33", "using auto");
	expect_bad((struct mp_env){ .preempt_signal = "65" }, MP_ENV_PREEMPT_SIGNAL,
	           "65", "using auto");
	expect_bad((struct mp_env){ .preempt_signal = "SIGURG" },
	           MP_ENV_PREEMPT_SIGNAL, "SIGURG", "using auto");
	expect_bad((struct mp_env){ .preempt_signal = "Off" }, MP_ENV_PREEMPT_SIGNAL,
	           "Off", "using auto");
	expect_bad((struct mp_env){ .sync = "CAS" }, "MAXPROCS_SYNC", "CAS", "using auto");
	expect_bad((struct mp_env){ .sync = "0" }, "MAXPROCS_SYNC", "0", "using auto");
	expect_bad((struct mp_env){ .profile_min_us = "0" }, "MAXPROCS_PROFILE_MIN_US", "0", "using 1000");
	expect_bad((struct mp_env){ .profile_min_us = "1ms" }, "MAXPROCS_PROFILE_MIN_US", "1ms", "using 1000");
}

Test(config, counts_each_bad_variable_once)
{
	struct mp_env env = { .procs = "0", .schedtrace = "x", .slice_us = "1", .spin_us = "1001", .debug = "2",
	                       .preempt_signal = "1", .sync = "1", .profile = "", .profile_min_us = "0",
	                       .profile_flush_ms = "3600001" };
	struct mp_config cfg;
	struct warnings w;

	cr_assert_eq(parse(&cfg, &env, 2, &w), 9);
	cr_assert_eq(w.n, 9);
	/* A NULL warn function is allowed. */
	cr_assert_eq(mp_config_parse(&cfg, &env, 2, NULL, NULL), 9);
}

Test(config, warning_quotes_unprintable_bytes)
{
	struct mp_env env = { .procs = "1\n2" };
	struct mp_config cfg;
	struct warnings w;

	cr_assert_eq(parse(&cfg, &env, 2, &w), 1);
	cr_assert(strstr(w.last, "'1?2'"), "warning \"%s\"", w.last);
	cr_assert(!strchr(w.last, '\n'));
}

/* ---- cgroup quota files ---- */

static bool cpu_max(const char *text, int64_t *q, uint64_t *per)
{
	*q = 4242;
	*per = 4242;
	return mp_cgroup_parse_cpu_max(text, q, per);
}

Test(cgroup, cpu_max_accepts)
{
	int64_t q;
	uint64_t per;

	cr_assert(cpu_max("max 100000", &q, &per) && q == -1 && per == 100000);
	cr_assert(cpu_max("max 100000\n", &q, &per) && q == -1 && per == 100000);
	cr_assert(cpu_max("50000 100000", &q, &per) && q == 50000 && per == 100000);
	cr_assert(cpu_max("50000 100000\n", &q, &per) && q == 50000);
	cr_assert(cpu_max(" 50000  100000 \n", &q, &per) && q == 50000 && per == 100000);
	cr_assert(cpu_max("0 100000", &q, &per) && q == 0);
}

Test(cgroup, cpu_max_rejects)
{
	static const char *const bad[] = {
		"", "\n", "max", "max\n", "max ", "100000", "maxx 100000",
		"max\t100000", "-1 100000", "50000 0", "50000 -100000",
		"50000 100000 junk", "50000 100000x", "50000x 100000", "+5 100000",
		"99999999999999999999 100000", "50000 99999999999999999999",
		"max max",
	};
	int64_t q;
	uint64_t per;

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		cr_assert(!cpu_max(bad[i], &q, &per), "accepted \"%s\"", bad[i]);
		cr_assert(q == 4242 && per == 4242, "\"%s\" changed the outputs", bad[i]);
	}
}

Test(cgroup, int_file)
{
	static const char *const bad[] = {
		"", "\n", "-", "--1", "+1", "abc", "12x", "1 2", "1.5",
		"9223372036854775808", "99999999999999999999",
	};
	int64_t v;

	cr_assert(mp_cgroup_parse_int("-1", &v) && v == -1);
	cr_assert(mp_cgroup_parse_int("-1\n", &v) && v == -1);
	cr_assert(mp_cgroup_parse_int("50000\n", &v) && v == 50000);
	cr_assert(mp_cgroup_parse_int(" 7 \n", &v) && v == 7);
	cr_assert(mp_cgroup_parse_int("0", &v) && v == 0);
	/* (On false *out may have been written: callers ignore it.) */
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!mp_cgroup_parse_int(bad[i], &v), "accepted \"%s\"", bad[i]);
}

Test(cgroup, quota_cpus_rounds_up)
{
	cr_assert_eq(mp_cgroup_quota_cpus(-1, 100000), 0, "max: no limit");
	cr_assert_eq(mp_cgroup_quota_cpus(50000, 0), 0, "period 0: no limit");
	cr_assert_eq(mp_cgroup_quota_cpus(0, 100000), 1);
	cr_assert_eq(mp_cgroup_quota_cpus(1, 100000), 1);
	cr_assert_eq(mp_cgroup_quota_cpus(50000, 100000), 1);
	cr_assert_eq(mp_cgroup_quota_cpus(100000, 100000), 1);
	cr_assert_eq(mp_cgroup_quota_cpus(100001, 100000), 2);
	cr_assert_eq(mp_cgroup_quota_cpus(150000, 100000), 2);
	cr_assert_eq(mp_cgroup_quota_cpus(400000, 100000), 4);
	cr_assert_eq(mp_cgroup_quota_cpus(INT64_MAX, 1), UINT32_MAX, "clamped");
}

Test(cgroup, apply_limit)
{
	cr_assert_eq(mp_cpus_apply_limit(8, 0), 8, "no limit");
	cr_assert_eq(mp_cpus_apply_limit(8, 1), 2, "at least 2, as Go");
	cr_assert_eq(mp_cpus_apply_limit(8, 3), 3);
	cr_assert_eq(mp_cpus_apply_limit(4, 100), 4, "never above the CPUs");
	cr_assert_eq(mp_cpus_apply_limit(1, 3), 1, "a 1-CPU mask gives 1");
	cr_assert_eq(mp_cpus_apply_limit(0, 0), 1, "never below 1");
}

/* ---- /proc/self/cgroup lines ---- */

Test(cgroup, proc_self_cgroup_lines)
{
	char v2[64] = "", v1[64] = "";

	mp_cgroup_line("0::/user.slice/session-1.scope", v2, v1, sizeof(v2));
	cr_assert(strcmp(v2, "/user.slice/session-1.scope") == 0, "v2 \"%s\"", v2);
	cr_assert(strcmp(v1, "") == 0);

	mp_cgroup_line("4:cpu,cpuacct:/docker/abc", v2, v1, sizeof(v1));
	cr_assert(strcmp(v1, "/docker/abc") == 0, "v1 \"%s\"", v1);
	mp_cgroup_line("7:cpuacct,cpu:/other", v2, v1, sizeof(v1));
	cr_assert(strcmp(v1, "/other") == 0, "v1 \"%s\"", v1);

	/* Not ours: left alone. */
	static const char *const other[] = {
		"5:cpuset:/x", "1:name=systemd:/x", "10::/x",
		"", "garbage", "0:", ":", "::",
	};
	for (size_t i = 0; i < sizeof(other) / sizeof(other[0]); i++) {
		strcpy(v2, "v2");
		strcpy(v1, "v1");
		mp_cgroup_line(other[i], v2, v1, sizeof(v1));
		cr_assert(strcmp(v2, "v2") == 0 && strcmp(v1, "v1") == 0,
		          "\"%s\" gave v2 \"%s\" v1 \"%s\"", other[i], v2, v1);
	}
	/* A path that does not fit is not copied. */
	strcpy(v2, "v2");
	mp_cgroup_line("0::/0123456789", v2, v1, 8);
	cr_assert(strcmp(v2, "v2") == 0, "v2 \"%s\"", v2);
	/* "0::" with an empty path is the root. */
	mp_cgroup_line("0::", v2, v1, sizeof(v2));
	cr_assert(strcmp(v2, "") == 0);
}

/* ---- mountinfo lines ---- */

static bool mountinfo(const char *line, const char *path, const char *fstype,
                      const char *controller, char *dir, char *mnt)
{
	char buf[512];

	strcpy(buf, line);
	strcpy(dir, "-");
	strcpy(mnt, "-");
	return mp_mountinfo_dir(buf, path, fstype, controller, dir, mnt, 64);
}

Test(cgroup, mountinfo_v2)
{
	const char *line = "30 25 0:26 / /sys/fs/cgroup rw,nosuid,nodev shared:4 - "
	                   "cgroup2 cgroup2 rw,nsdelegate,memory_recursiveprot";
	char dir[64], mnt[64];

	cr_assert(mountinfo(line, "/user.slice", "cgroup2", NULL, dir, mnt));
	cr_assert(strcmp(mnt, "/sys/fs/cgroup") == 0, "mnt \"%s\"", mnt);
	cr_assert(strcmp(dir, "/sys/fs/cgroup/user.slice") == 0, "dir \"%s\"", dir);
	cr_assert(mountinfo(line, "/", "cgroup2", NULL, dir, mnt));
	cr_assert(strcmp(dir, "/sys/fs/cgroup/") == 0, "dir \"%s\"", dir);
	cr_assert(!mountinfo(line, "/user.slice", "cgroup", "cpu", dir, mnt),
	          "wrong fstype");

	/* No optional fields: the separator is field 6. */
	cr_assert(mountinfo("30 25 0:26 / /cg rw - cgroup2 cgroup2 rw", "/a",
	                    "cgroup2", NULL, dir, mnt));
	cr_assert(strcmp(dir, "/cg/a") == 0, "dir \"%s\"", dir);
}

Test(cgroup, mountinfo_v1_needs_the_controller)
{
	const char *line = "35 30 0:30 / /sys/fs/cgroup/cpu,cpuacct rw,nosuid shared:10 - "
	                   "cgroup cgroup rw,cpu,cpuacct";
	char dir[64], mnt[64];

	cr_assert(mountinfo(line, "/docker/abc", "cgroup", "cpu", dir, mnt));
	cr_assert(strcmp(dir, "/sys/fs/cgroup/cpu,cpuacct/docker/abc") == 0,
	          "dir \"%s\"", dir);
	cr_assert(!mountinfo(line, "/docker/abc", "cgroup", "memory", dir, mnt));
	cr_assert(!mountinfo("36 30 0:31 / /sys/fs/cgroup/cpuset rw - cgroup cgroup rw,cpuset",
	                     "/x", "cgroup", "cpu", dir, mnt), "cpuset is not cpu");
	cr_assert(!mountinfo("36 30 0:31 / /sys/fs/cgroup/cpu rw - cgroup cgroup",
	                     "/x", "cgroup", "cpu", dir, mnt), "no super options");
}

Test(cgroup, mountinfo_root_prefix_and_escapes)
{
	const char *line = "1 0 0:30 /docker/abc /sys/fs/my\\040cg rw - cgroup2 cgroup2 rw";
	char dir[64], mnt[64];

	/* A container's namespace root: the path under it. */
	cr_assert(mountinfo(line, "/docker/abc/sub", "cgroup2", NULL, dir, mnt));
	cr_assert(strcmp(mnt, "/sys/fs/my cg") == 0, "mnt \"%s\"", mnt);
	cr_assert(strcmp(dir, "/sys/fs/my cg/sub") == 0, "dir \"%s\"", dir);
	cr_assert(mountinfo(line, "/docker/abc", "cgroup2", NULL, dir, mnt));
	cr_assert(strcmp(dir, "/sys/fs/my cg") == 0, "dir \"%s\"", dir);
	/* The root must end at a '/' of the path. */
	cr_assert(!mountinfo(line, "/docker/abcd", "cgroup2", NULL, dir, mnt));
	cr_assert(!mountinfo(line, "/other", "cgroup2", NULL, dir, mnt));
}

Test(cgroup, mountinfo_malformed_and_too_long)
{
	static const char *const bad[] = {
		"", "-", "1 2 3", "1 2 3 4 5 6 -", "1 2 3 4 5 6 - cgroup2",
		"30 25 0:26 / /sys/fs/cgroup rw shared:4 cgroup2 cgroup2 rw",
	};
	char dir[64], mnt[64];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		cr_assert(!mountinfo(bad[i], "/x", "cgroup2", NULL, dir, mnt),
		          "accepted \"%s\"", bad[i]);
	/* mnt + path must fit in cap (64 here). */
	cr_assert(!mountinfo("1 0 0:1 / /mnt rw - cgroup2 cgroup2 rw",
	                     "/0123456789012345678901234567890123456789012345678901234567890",
	                     "cgroup2", NULL, dir, mnt));
}

/* /proc/self/task/TID/status, as the monitor reads it before a signal. */
Test(proctask, status_fields)
{
	static const char text[] =
		"Name:\tState: R\nUmask:\t0022\nState:\tS (sleeping)\nTgid:\t12\n"
		"SigQ:\t0/63390\nSigPnd:\t0000000000400000\nShdPnd:\t0000000000000000\n"
		"SigBlk:\tfffffffe7ffbfeff\nSigIgn:\t0000000000000000\n"
		"voluntary_ctxt_switches:\t1234567\nnonvoluntary_ctxt_switches:\t89\n";
	struct mp_task_info ti;

	cr_assert_eq(mp_proctask_parse(text, (long)strlen(text), &ti), 0);
	cr_assert_eq(ti.state, 'S', "the thread's name must not be taken for its state");
	cr_assert_eq(ti.nvcsw, 1234567, "voluntary switches, not the nonvoluntary ones");
	cr_assert(mp_sigmask_has(ti.sig_pending, SIGURG));
	cr_assert(!mp_sigmask_has(ti.sig_pending, SIGUSR1));
	cr_assert(mp_sigmask_has(ti.sig_blocked, SIGUSR1));
	cr_assert(!mp_sigmask_has(ti.sig_blocked, 33), "SIGSETXID is left open");
}

Test(proctask, status_truncated_or_junk)
{
	struct mp_task_info ti;
	static const char cut[] = "Name:\tx\nState:\tR (running)\nSigPnd:\t00";
	static const char junk[] = "State:\tR\nSigPnd:\tzz\nSigBlk:\t00\n";

	cr_assert_neq(mp_proctask_parse(cut, (long)strlen(cut), &ti), 0, "no SigBlk line");
	cr_assert_neq(mp_proctask_parse(junk, (long)strlen(junk), &ti), 0, "SigPnd not hex");
	cr_assert_neq(mp_proctask_parse("", 0, &ti), 0);
	/* A file cut before its last lines still gives the signals; the count
	 * of sleeps is then unknown, not 0. */
	static const char no_count[] = "State:\tR\nSigPnd:\t00\nSigBlk:\t00\nvoluntary_ctxt_switches:\t";
	cr_assert_eq(mp_proctask_parse(no_count, (long)strlen(no_count), &ti), 0);
	cr_assert_eq(ti.nvcsw, MP_NVCSW_UNKNOWN);
}

/* The state the monitor reads before each later probe: the syscall file,
 * kept open between reads (a cache by tid). */
static int reader_pipe[2];
static _Atomic int reader_tid;

static _Atomic int spinner_tid, spinner_stop;

static void *spin_until_told(void *arg)
{
	(void)arg;
	atomic_store(&spinner_tid, (int)syscall(SYS_gettid));
	while (!atomic_load_explicit(&spinner_stop, memory_order_relaxed))
		;
	return NULL;
}

static int open_fds(void)
{
	DIR *d = opendir("/proc/self/fd");
	int n = 0;
	cr_assert(d);
	while (readdir(d))
		n++;
	closedir(d);
	return n;
}

static void *block_in_read(void *arg)
{
	(void)arg;
	char c;
	atomic_store(&reader_tid, (int)syscall(SYS_gettid));
	return (void *)read(reader_pipe[0], &c, 1);
}

Test(proctask, running_file_and_its_cache)
{
	struct mp_task_info ti;
	pthread_t t, spinner;

	/* (Not the caller itself: its own file shows the read in progress.) */
	cr_assert_eq(pthread_create(&spinner, NULL, spin_until_told, NULL), 0);
	while (!atomic_load(&spinner_tid))
		;
	int spin_tid = atomic_load(&spinner_tid);
	cr_assert_eq(mp_proctask_running(spin_tid), 1, "a thread computing runs");
	cr_assert_eq(mp_proctask_read(spin_tid, &ti), 0);
	cr_assert_eq(ti.state, 'R');
	cr_assert_lt(mp_proctask_running(0), 0, "tid 0: an error, not an answer");
	cr_assert_eq(pipe(reader_pipe), 0);
	cr_assert_eq(pthread_create(&t, NULL, block_in_read, NULL), 0);
	int fds = open_fds();
	int tid = 0, state = -1;
	for (int i = 0; i < 2000 && state != 0; i++) {   /* up to 2 s for it to block */
		tid = atomic_load(&reader_tid);
		state = tid ? mp_proctask_running(tid) : -1;
		if (state != 0)
			usleep(1000);
	}
	cr_assert_eq(state, 0, "a thread blocked in read sleeps");
	cr_assert_eq(mp_proctask_read(tid, &ti), 0);
	cr_assert_eq(ti.state, 'S');
	cr_assert(ti.nvcsw != MP_NVCSW_UNKNOWN && ti.nvcsw >= 1,
	          "a thread asleep has counted its sleep: %llu", (unsigned long long)ti.nvcsw);
	/* Both files of tid stay open (unless its cache slot is the
	 * spinner's, whose two files it then closed), and reading them
	 * again opens nothing. */
	int more = tid % 16 != spin_tid % 16 ? 2 : 0;
	{ int now_fds = open_fds(); cr_assert_eq(now_fds, fds + more, "the cache keeps the thread's two files open: %d then %d, tids %d %d", fds, now_fds, spin_tid, tid); }
	cr_assert_eq(mp_proctask_running(tid), 0, "read again through the open file");
	cr_assert_eq(mp_proctask_read(tid, &ti), 0);
	cr_assert_eq(open_fds(), fds + more, "a second read of the same thread opened a descriptor");
	cr_assert_eq(write(reader_pipe[1], "x", 1), 1);
	cr_assert_eq(pthread_join(t, NULL), 0);
	/* pthread_join returns when the kernel clears the thread's tid, while
	 * the task still runs its exit (it reads "running" then): give it up
	 * to 2 s to be gone. */
	int gone = 1;
	for (int i = 0; i < 2000 && gone == 1; i++) {
		gone = mp_proctask_running(tid);
		if (gone == 1)
			usleep(1000);
	}
	cr_assert_neq(gone, 1, "a thread that has exited is not running");
	cr_assert_eq(mp_proctask_running(spin_tid), 1, "other entries still read");
	atomic_store(&spinner_stop, 1);
	cr_assert_eq(pthread_join(spinner, NULL), 0);
}

/* Issue 14: MAXPROCS=auto, MAXPROCS_STATS and the auto rules. */
Test(config, auto_and_stats_settings)
{
	struct mp_config cfg;
	struct warnings w;
	struct mp_env env = { .procs = "auto" };
	cr_assert_eq(parse(&cfg, &env, 3, &w), 0);
	cr_assert_eq(cfg.nprocs, 3);
	cr_assert(!cfg.nprocs_from_env);
	cr_assert(cfg.stats, "the stats segment is on by default");
	cr_assert(!cfg.auto_floor);
	cr_assert_eq(cfg.auto_min, 1);
	cr_assert_eq(cfg.auto_reserve, 0);
	env = (struct mp_env){ .stats = "off", .auto_round = "floor", .auto_min = "1024", .auto_reserve = "1023" };
	cr_assert_eq(parse(&cfg, &env, 2, &w), 0);
	cr_assert(!cfg.stats);
	cr_assert(cfg.auto_floor);
	cr_assert_eq(cfg.auto_min, 1024);
	cr_assert_eq(cfg.auto_reserve, 1023);
	env = (struct mp_env){ .stats = "0", .auto_round = "ceil" };
	parse(&cfg, &env, 2, &w);
	cr_assert(!cfg.stats);
	cr_assert(!cfg.auto_floor);
	env = (struct mp_env){ .stats = "on" };
	parse(&cfg, &env, 2, &w);
	cr_assert(cfg.stats);
	cr_assert_eq(w.n, 0);
	expect_bad((struct mp_env){ .stats = "2" }, "MAXPROCS_STATS", "2", "using 1");
	expect_bad((struct mp_env){ .auto_round = "up" }, "MAXPROCS_AUTO_ROUND", "up", "using ceil");
	expect_bad((struct mp_env){ .auto_min = "0" }, "MAXPROCS_AUTO_MIN", "0", "using 1");
	expect_bad((struct mp_env){ .auto_reserve = "1024" }, "MAXPROCS_AUTO_RESERVE", "1024", "using 0");
	expect_bad((struct mp_env){ .procs = "Auto" }, MP_ENV_PROCS, "Auto", "using 2 (auto)");
}
