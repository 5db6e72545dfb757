#!/bin/sh
# catch_all_refuses_without_aslr: under setarch -R the catch-all mode
# refuses with one line and the program runs with the wrappers only (a
# filter inherited across exec would trap in a child whose libc lands at
# the same address).  Skips (77) without setarch.
prog=$1
# Sanitizer builds: the preload comes before the ASan runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
command -v setarch >/dev/null 2>&1 || { echo "setarch not found: skipped" >&2; exit 77; }
err=$(mktemp) || exit 1
trap 'rm -f "$err"' EXIT
setarch "$(uname -m)" -R true 2>/dev/null || { echo "setarch -R refused here: skipped" >&2; exit 77; }
for p in 1 2; do
	if ! CATCH_ALL_EXPECT_REFUSED=1 setarch "$(uname -m)" -R "$MAXPROCS_LAUNCHER" --catch-all -p "$p" -- "$prog" fgets 2>"$err"; then
		echo "FAIL: catch_all fgets under setarch -R, -p $p" >&2
		cat "$err" >&2
		exit 1
	fi
	if ! grep -q "catch-all: address randomisation is off.*running with the wrappers only" "$err" ||
	   [ "$(wc -l <"$err")" -ne 1 ] || grep -q "catch-all: on" "$err"; then
		echo "FAIL: expected exactly the one refusal line, got:" >&2
		cat "$err" >&2
		exit 1
	fi
	grep -q "seccomp=filter" "$err" && { echo "FAIL: a filter is in" >&2; exit 1; }
done
echo "refused with one line at -p 1 and -p 2; ran with the wrappers only"
