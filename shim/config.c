/*
 * config.c - parse the MAXPROCS* variables (see config.h for the rules).
 */
#include "shim/config.h"

#include <stdlib.h>
#include <string.h>
#include "shim/limits.h"
#include "shim/line.h"

bool mp_parse_u64(const char *s, uint64_t lo, uint64_t hi, uint64_t *out)
{
	uint64_t v = 0;

	if (!s || !*s)
		return false;
	for (; *s; s++) {
		if (*s < '0' || *s > '9')
			return false;
		if (v > (UINT64_MAX - 9) / 10)
			return false;           /* would overflow: surely > hi */
		v = v * 10 + (uint64_t)(*s - '0');
	}
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* One setting: its variable, its range, the words that describe what is
 * accepted and, if the default is not a number, its name. */
struct mp_setting {
	const char *name;
	uint64_t lo, hi;
	const char *accepted;
	const char *fallback_text;
};

/* Parse one variable; on a bad value warn and return false (caller keeps
 * its default).  Unset or empty: false without a warning. */
static bool mp_config_one(const struct mp_setting *set, const char *value,
                          uint64_t fallback, mp_warn_fn warn, void *ctx,
                          int *bad, uint64_t *out)
{
	struct mp_line ln;

	if (!value || !*value)
		return false;
	if (mp_parse_u64(value, set->lo, set->hi, out))
		return true;
	++*bad;
	if (!warn)
		return false;
	mp_line_init(&ln);
	mp_line_str(&ln, "maxprocs: ignoring ");
	mp_line_str(&ln, set->name);
	mp_line_str(&ln, "=");
	mp_line_quoted(&ln, value);
	mp_line_str(&ln, ": accepted: ");
	mp_line_str(&ln, set->accepted);
	mp_line_str(&ln, "; using ");
	/* A default in words that is not a number (auto) is said as such;
	 * otherwise the number in force, which may have been computed (the
	 * CPUs for MAXPROCS). */
	bool word = set->fallback_text[0] && (set->fallback_text[0] < '0' || set->fallback_text[0] > '9');
	if (word && !fallback) {
		mp_line_str(&ln, set->fallback_text);
	} else {
		mp_line_u64(&ln, fallback);
		if (word) {   /* MAXPROCS: "using 2 (auto)" */
			mp_line_str(&ln, " (");
			mp_line_str(&ln, set->fallback_text);
			mp_line_str(&ln, ")");
		}
	}
	ln.buf[ln.len] = '\0';   /* mp_line keeps one byte free */
	warn(ctx, ln.buf);
	return false;
}

/* mp_setting_KEY: one per row of shim/settings.def. */
#define MP_SETTING(key, env, option, shortopt, metavar, lo, hi, dflt, accepted, doc) \
	static const struct mp_setting mp_setting_##key = { env, lo, hi, accepted, dflt };
#include "shim/settings.def"
#undef MP_SETTING

int mp_config_parse(struct mp_config *cfg, const struct mp_env *env,
                    uint32_t default_nprocs, mp_warn_fn warn, void *ctx)
{
	uint64_t v;
	int bad = 0;

	if (default_nprocs < 1)
		default_nprocs = 1;
	if (default_nprocs > MP_MAXPROCS)
		default_nprocs = MP_MAXPROCS;

	cfg->nprocs = default_nprocs;
	cfg->nprocs_from_env = false;
	if (env->procs && strcmp(env->procs, "auto") == 0)
		;   /* the default, said aloud */
	else if (mp_config_one(&mp_setting_procs, env->procs, default_nprocs, warn,
	                  ctx, &bad, &v)) {
		cfg->nprocs = (uint32_t)v;
		cfg->nprocs_from_env = true;
	}

	cfg->schedtrace_ms = 0;
	if (mp_config_one(&mp_setting_schedtrace, env->schedtrace, 0, warn,
	                  ctx, &bad, &v))
		cfg->schedtrace_ms = v;

	cfg->slice_ns = MP_SLICE_DEFAULT_US * 1000;
	if (mp_config_one(&mp_setting_slice_us, env->slice_us,
	                  MP_SLICE_DEFAULT_US, warn, ctx, &bad, &v))
		cfg->slice_ns = v * 1000;

	cfg->spin_ns = MP_SPIN_DEFAULT_US * 1000;
	if (mp_config_one(&mp_setting_spin_us, env->spin_us,
	                  MP_SPIN_DEFAULT_US, warn, ctx, &bad, &v))
		cfg->spin_ns = v * 1000;

	cfg->catch_all = false;
	if (mp_config_one(&mp_setting_catch_all, env->catch_all, 0, warn, ctx, &bad, &v))
		cfg->catch_all = v != 0;
	cfg->debug = false;
	if (mp_config_one(&mp_setting_debug, env->debug, 0, warn, ctx, &bad,
	                  &v))
		cfg->debug = v != 0;

	cfg->preempt_signal = MP_PREEMPT_SIGNAL_AUTO;
	if (env->preempt_signal && strcmp(env->preempt_signal, "off") == 0)
		cfg->preempt_signal = MP_PREEMPT_SIGNAL_OFF;
	else if (env->preempt_signal && strcmp(env->preempt_signal, "auto") == 0)
		cfg->preempt_signal = MP_PREEMPT_SIGNAL_AUTO;
	else if (mp_config_one(&mp_setting_preempt_signal, env->preempt_signal,
	                       0, warn, ctx, &bad, &v))
		cfg->preempt_signal = (int)v;

	/* Words only: the warning is mp_config_one's, which accepts no number
	 * here (its range is empty). */
	cfg->sync = MP_CONFIG_SYNC_AUTO;
	if (env->sync && strcmp(env->sync, "membarrier") == 0)
		cfg->sync = MP_CONFIG_SYNC_MEMBARRIER;
	else if (env->sync && strcmp(env->sync, "cas") == 0)
		cfg->sync = MP_CONFIG_SYNC_CAS;
	else if (env->sync && strcmp(env->sync, "auto") != 0)
		mp_config_one(&mp_setting_sync, env->sync, 0, warn, ctx, &bad, &v);

	/* Any non-empty value is a directory (created at the end). */
	cfg->profile_dir = env->profile && *env->profile ? env->profile : NULL;
	cfg->profile_min_ns = MP_PROFILE_MIN_DEFAULT_US * 1000;
	if (mp_config_one(&mp_setting_profile_min_us, env->profile_min_us,
	                  MP_PROFILE_MIN_DEFAULT_US, warn, ctx, &bad, &v))
		cfg->profile_min_ns = v * 1000;
	cfg->profile_flush_ms = 0;
	if (mp_config_one(&mp_setting_profile_flush_ms, env->profile_flush_ms, 0, warn, ctx,
	                  &bad, &v))
		cfg->profile_flush_ms = v;

	cfg->stats = true;
	if (env->stats && strcmp(env->stats, "on") == 0)
		cfg->stats = true;
	else if (env->stats && strcmp(env->stats, "off") == 0)
		cfg->stats = false;
	else if (mp_config_one(&mp_setting_stats, env->stats, 1, warn, ctx, &bad, &v))
		cfg->stats = v != 0;

	/* Words only, as MAXPROCS_SYNC. */
	cfg->auto_floor = false;
	if (env->auto_round && strcmp(env->auto_round, "floor") == 0)
		cfg->auto_floor = true;
	else if (env->auto_round && strcmp(env->auto_round, "ceil") != 0)
		mp_config_one(&mp_setting_auto_round, env->auto_round, 0, warn, ctx, &bad, &v);

	cfg->auto_min = 1;
	if (mp_config_one(&mp_setting_auto_min, env->auto_min, 1, warn, ctx, &bad, &v))
		cfg->auto_min = (uint32_t)v;
	cfg->auto_reserve = 0;
	if (mp_config_one(&mp_setting_auto_reserve, env->auto_reserve, 0, warn, ctx, &bad, &v))
		cfg->auto_reserve = (uint32_t)v;

	return bad;
}

void mp_env_read(struct mp_env *env)
{
#define MP_SETTING(key, name, ...) env->key = getenv(name);
#include "shim/settings.def"
#undef MP_SETTING
}
