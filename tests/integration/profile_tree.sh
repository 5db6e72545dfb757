#!/bin/sh
# profile_tree: a program that forks a child and fork+execs another, under
# `maxprocs profile`: the tree's DIR/summary.txt has a line for each of the
# three processes and the tree's per-call table, DIR/stalls.folded their
# stacks under "PROGRAM (PID)", DIR/profile.pb.gz and DIR/trace.json hold
# them all; profile prints the tree's summary.  Names from libdw: the
# program's own static function by name in stalls.folded, and with its
# file:line in summary.txt.  `maxprocs report` makes the same files from a
# profile written without the launcher.
# Usage: profile_tree.sh PROFILE_TREE PROFILE_TREE_SOURCE
name=profile-tree; . "$(dirname "$0")/profile_lib.sh"
prog=${1:?usage: profile_tree.sh PROFILE_TREE SOURCE}
src=${2:?usage: profile_tree.sh PROFILE_TREE SOURCE}

"$launcher" profile -o "$dir/p" -- "$prog" >"$dir/out" 2>"$dir/err" ||
	fail "maxprocs profile: $(cat "$dir/err")"
read -r word parent forked execed <"$dir/out" || true
[ "$word" = pids ] || fail "the program printed: $(cat "$dir/out")"
n=$(ls "$dir/p" | grep -c '^[0-9][0-9]*$')
[ "$n" -ge 3 ] || fail "$n process profiles, expected 3 or more"
grep -q '^maxprocs profile of a process tree: ' "$dir/err" ||
	fail "profile did not print the tree's summary: $(head -3 "$dir/err")"

for f in summary.txt stalls.folded pwait.folded profile.pb.gz trace.json; do
	[ -f "$dir/p/$f" ] || fail "the tree's $f is missing"
done
for pid in "$parent" "$forked" "$execed"; do
	grep -q "^  $pid " "$dir/p/summary.txt" || fail "the tree's summary has no line for $pid"
	grep -q "\"pid\":$pid," "$dir/p/trace.json" || fail "the tree's trace.json has no $pid"
	# The parent and the fork child always block 10 ms at a time; sh may
	# have no stack: its one wait3 is short when sleep ended before it
	# (sh descheduled on a loaded machine), and then no sample fell in it.
	[ "$pid" = "$execed" ] && [ ! -s "$dir/p/$pid/stalls.folded" ] && continue
	grep -q "^[^;]* ($pid);" "$dir/p/stalls.folded" || fail "the tree's stalls.folded has no $pid"
done
# 5 sleeps on the thread, 3 in the fork child, and sleep(1)'s own
count=$(sed -n 's/^  \(clock_\)*nanosleep  *\([0-9]*\) .*/\2/p' "$dir/p/summary.txt" | awk '{ s += $1 } END { print s + 0 }')
[ "$count" -ge 9 ] || fail "the tree's call table counts $count nanosleeps: $(cat "$dir/p/summary.txt")"
gzip -t "$dir/p/profile.pb.gz" || fail "the tree's profile.pb.gz is not gzip"
if command -v python3 >/dev/null 2>&1; then
	python3 -c 'import json,sys; d = json.load(open(sys.argv[1])); assert len({e["pid"] for e in d["traceEvents"]}) >= 3' \
		"$dir/p/trace.json" || fail "the tree's trace.json is not JSON with 3 processes"
fi

# The static function, named by libdw: by name in the folded stacks (in both
# processes that call it), and with its file:line in the top stacks.
line=$(grep -n 'TREE_STALL_LINE' "$src" | head -1 | cut -d: -f1)
base=$(basename "$src")
for pid in "$parent" "$forked"; do
	grep -q ';tree_static_sleep;nanosleep ' "$dir/p/$pid/stalls.folded" ||
		fail "$pid/stalls.folded does not name tree_static_sleep: $(cat "$dir/p/$pid/stalls.folded")"
	! grep -q 'profile_tree+0x' "$dir/p/$pid/stalls.folded" ||
		fail "$pid/stalls.folded has frames without a name: $(cat "$dir/p/$pid/stalls.folded")"
	grep -q "^        tree_static_sleep+0x[0-9a-f]* (profile_tree) $base:$line\$" "$dir/p/$pid/summary.txt" ||
		fail "$pid/summary.txt has no 'tree_static_sleep+0x.. (profile_tree) $base:$line': $(cat "$dir/p/$pid/summary.txt")"
done
# the rest of the library's summary is kept
grep -q '^threads:' "$dir/p/$parent/summary.txt" && grep -q '^calls by time blocked' "$dir/p/$parent/summary.txt" ||
	fail "the summary lost the library's sections"

# maxprocs report: the tree's summary first, then every process's; the same
# files again, and made for a profile the launcher did not run.
"$launcher" report "$dir/p" >"$dir/report"
head -1 "$dir/report" | grep -q '^maxprocs profile of a process tree: ' ||
	fail "report did not begin with the tree's summary"
[ "$(grep -c '^maxprocs profile:' "$dir/report")" = "$n" ] || fail "report did not print $n summaries"
mkdir "$dir/env"
MAXPROCS_PROFILE="$dir/env" LD_PRELOAD="${MAXPROCS_LIBRARY:?}" "$prog" >/dev/null
[ ! -e "$dir/env/summary.txt" ] || fail "the library wrote the tree's summary"
"$launcher" report "$dir/env" >/dev/null
for f in summary.txt stalls.folded profile.pb.gz trace.json; do
	[ -s "$dir/env/$f" ] || fail "report did not write the tree's $f"
done
echo "profile tree: $n processes in the tree's files; static function named, with file:line"
