/*
 * fuzz_parsers.c - libFuzzer target for the shim's pure parsers: the
 * settings (mp_parse_u64, mp_config_parse), the cgroup quota files
 * (mp_cgroup_parse_cpu_max, mp_cgroup_parse_int, mp_cgroup_quota_cpus) and
 * the /proc/self/cgroup and mountinfo lines (mp_cgroup_line,
 * mp_mountinfo_dir).  Built only with clang (tests/fuzz/meson.build):
 *
 *   build-clang/tests/fuzz/fuzz_parsers -max_total_time=10 NEW_DIR tests/fuzz/corpus
 *
 * The first byte picks the parser ('0' config, '1' u64, '2' quota files,
 * '3' /proc/self/cgroup line, '4' mountinfo line, '5' the stats segment's
 * control reader, /proc/PID/stat start time and MAXPROCS=auto's decision;
 * any byte, modulo 6); the
 * rest is its text, NUL-terminated (for the config, split at '\n' into the
 * five variables, a value starting with \x01 being unset).
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "shim/cgroup.h"
#include "shim/config.h"
#include "shim/cpus.h"
#include "shim/limits.h"
#include "shim/statseg.h"

#define TEXT_MAX 4096

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check(int ok)
{
	if (!ok)
		abort();
}

static void warn_len(void *ctx, const char *line)
{
	check(strlen(line) < 512);
	++*(int *)ctx;
}

/* One value per row of settings.def, in its order. */
enum {
	NSETTINGS = 0
#define MP_SETTING(...) + 1
#include "shim/settings.def"
#undef MP_SETTING
};

static void fuzz_config(char *text)
{
	const char *v[NSETTINGS] = { NULL };
	struct mp_config cfg;
	struct mp_env env;
	int nwarn = 0, bad;
	char *p = text;

	for (int i = 0; i < NSETTINGS && p; i++) {
		char *nl = strchr(p, '\n');

		if (nl)
			*nl = '\0';
		v[i] = *p == '\x01' ? NULL : p;
		p = nl ? nl + 1 : NULL;
	}
	int k = 0;
#define MP_SETTING(key, ...) env.key = v[k++];
#include "shim/settings.def"
#undef MP_SETTING
	bad = mp_config_parse(&cfg, &env, (uint32_t)strlen(text), warn_len, &nwarn);
	/* every setting but the profile's directory can be bad */
	check(bad == nwarn && bad >= 0 && bad <= NSETTINGS - 1);
	check(cfg.nprocs >= 1 && cfg.nprocs <= MP_MAXPROCS);
	check(cfg.schedtrace_ms <= MP_SCHEDTRACE_MAX_MS);
	check(cfg.slice_ns >= MP_SLICE_MIN_US * 1000 &&
	      cfg.slice_ns <= MP_SLICE_MAX_US * 1000);
	check(cfg.preempt_signal == MP_PREEMPT_SIGNAL_AUTO ||
	      cfg.preempt_signal == MP_PREEMPT_SIGNAL_OFF ||
	      (cfg.preempt_signal >= MP_PREEMPT_SIGNAL_MIN &&
	       cfg.preempt_signal <= MP_PREEMPT_SIGNAL_MAX));
	check(cfg.sync == MP_CONFIG_SYNC_AUTO || cfg.sync == MP_CONFIG_SYNC_MEMBARRIER ||
	      cfg.sync == MP_CONFIG_SYNC_CAS);
}

static void fuzz_u64(const char *text)
{
	uint64_t v = 0;

	if (mp_parse_u64(text, 1, 1024, &v))
		check(v >= 1 && v <= 1024 && *text >= '0' && *text <= '9');
	if (mp_parse_u64(text, 0, UINT64_MAX, &v))
		check(strspn(text, "0123456789") == strlen(text));
}

static void fuzz_quota(const char *text)
{
	int64_t q, i;
	uint64_t per;

	if (mp_cgroup_parse_cpu_max(text, &q, &per)) {
		check(q >= -1 && per > 0);
		check(mp_cpus_apply_limit(8, mp_cgroup_quota_cpus(q, per)) >= 1);
	}
	if (mp_cgroup_parse_int(text, &i))
		(void)mp_cgroup_quota_cpus(i, 100000);
}

static void fuzz_cgroup_line(const char *text)
{
	char v2[64] = "", v1[64] = "";

	mp_cgroup_line(text, v2, v1, sizeof(v2));
	check(strlen(v2) < sizeof(v2) && strlen(v1) < sizeof(v1));
}

/* Text is "PATH\nLINE": the cgroup path looked for, then a mountinfo line. */
static void fuzz_mountinfo(char *text)
{
	char *nl = strchr(text, '\n'), *line = text, dir[128], mnt[128];
	const char *path = "/user.slice";

	if (nl) {
		*nl = '\0';
		path = text;
		line = nl + 1;
	}
	if (mp_mountinfo_dir(line, path, "cgroup2", NULL, dir, mnt, sizeof(dir)))
		check(strlen(dir) < sizeof(dir) && strlen(mnt) < sizeof(mnt) &&
		      strncmp(dir, mnt, strlen(mnt)) == 0);
}

/* Raw bytes as a control area (never an invalid N), as a stat line, and
 * as the numbers auto decides from (always 1..MP_MAXPROCS). */
static void fuzz_segment(const uint8_t *data, size_t size, const char *text)
{
	struct mp_seg_control c;
	uint32_t seen = 0, n = 0;
	memset(&c, 0, sizeof c);
	memcpy(&c, data, size < sizeof c ? size : sizeof c);
	if (mp_seg_control_take(&c, &seen, &n) == 1)
		check(n == MP_SEG_CONTROL_AUTO || (n >= 1 && n <= MP_MAXPROCS));
	(void)mp_stat_start_time(text);
	uint64_t w[4] = { 0, 0, 0, 0 };
	memcpy(w, data, size < sizeof w ? size : sizeof w);
	struct mp_auto_rules rules = { (w[3] & 1) != 0, (uint32_t)(w[3] >> 8) % 2048,
	                               (uint32_t)(w[3] >> 32) % 2048 };
	struct mp_cpus_info info;
	uint32_t r = mp_cpus_decide((uint32_t)w[0], (int64_t)w[1], w[2], &rules, &info);
	check(r >= 1 && r <= MP_MAXPROCS && r == info.result && strlen(info.why) < sizeof info.why);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char text[TEXT_MAX + 1], copy[TEXT_MAX + 1];

	if (size < 1 || size - 1 > TEXT_MAX)
		return 0;
	memcpy(text, data + 1, size - 1);
	text[size - 1] = '\0';
	memcpy(copy, text, size);

	switch ((uint8_t)(data[0] - '0') % 6) {
	case 0: fuzz_config(copy); break;
	case 1: fuzz_u64(text); break;
	case 2: fuzz_quota(text); break;
	case 3: fuzz_cgroup_line(text); break;
	case 4:
		fuzz_mountinfo(copy);
		/* The v1 form of the same line. */
		memcpy(copy, text, size);
		{
			char dir[128], mnt[128];
			char *nl = strchr(copy, '\n');
			(void)mp_mountinfo_dir(nl ? nl + 1 : copy, "/", "cgroup",
			                       "cpu", dir, mnt, sizeof(dir));
		}
		break;
	case 5: fuzz_segment(data + 1, size - 1, text); break;
	}
	return 0;
}
