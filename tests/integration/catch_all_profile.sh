#!/bin/sh
# catch_all_profile: in catch-all mode the stall profile names a trapped
# call by its system call: stdio's fgets blocks in SYS_read.
prog=$1
# Sanitizer builds: the preload comes before the ASan runtime.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
for p in 1 2; do
	rm -rf "$dir"/*
	if ! "$MAXPROCS_LAUNCHER" --catch-all -p "$p" -- env MAXPROCS_PROFILE="$dir" "$prog" fgets >/dev/null 2>"$dir/err"; then
		echo "FAIL: catch_all fgets under the profiler, -p $p" >&2
		cat "$dir/err" >&2
		exit 1
	fi
	sum=$(ls "$dir"/*/summary.txt 2>/dev/null | head -1)
	if [ -z "$sum" ] || ! grep -q "^  SYS_read " "$sum" || ! grep -q "^  [0-9.]* ms  SYS_read" "$sum"; then
		echo "FAIL: no SYS_read row and stack in the profile (-p $p):" >&2
		cat "$sum" "$dir/err" >&2
		exit 1
	fi
done
echo "SYS_read in the call table and the top stacks at -p 1 and -p 2"
