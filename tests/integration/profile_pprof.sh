#!/bin/sh
# profile_pprof: `go tool pprof` reads a process's profile.pb.gz and the
# tree's (profile_tree under `maxprocs profile`): -top names the static
# function and the calls, -lines its file:line, -tags the labels thread
# (the thread's name), tid and pid.  Skipped without go (Debian golang-go).
# Usage: profile_pprof.sh PROFILE_TREE
name=profile-pprof; . "$(dirname "$0")/profile_lib.sh"
command -v go >/dev/null 2>&1 || { echo "go not found (golang-go): skipped"; exit 77; }
prog=${1:?usage: profile_pprof.sh PROFILE_TREE}
export HOME="${HOME:-$dir}" GOCACHE="${GOCACHE:-$dir/gocache}"

"$launcher" profile -o "$dir/p" -- "$prog" >"$dir/out" 2>/dev/null
read -r word parent forked execed <"$dir/out" || true
[ "$word" = pids ] || fail "the program printed: $(cat "$dir/out")"

for pb in "$dir/p/$parent/profile.pb.gz" "$dir/p/profile.pb.gz"; do
	top=$(go tool pprof -top "$pb" 2>&1) || fail "go tool pprof -top $pb: $top"
	for name in nanosleep tree_static_sleep pthread_join; do
		echo "$top" | grep -q " $name\$" || fail "pprof -top $pb has no $name: $top"
	done
	lines=$(go tool pprof -top -lines "$pb" 2>&1) || fail "go tool pprof -lines $pb: $lines"
	echo "$lines" | grep -q ' tree_static_sleep .*profile_tree\.c:[0-9]' ||
		fail "pprof -lines $pb has no file:line for tree_static_sleep: $lines"
	tags=$(go tool pprof -tags "$pb" 2>&1) || fail "go tool pprof -tags $pb: $tags"
	for tag in thread: tid: pid: tree-sleeper; do
		echo "$tags" | grep -q "$tag" || fail "pprof -tags $pb has no $tag: $tags"
	done
done
tags=$(go tool pprof -tags "$dir/p/profile.pb.gz")
for pid in "$parent" "$forked" "$execed"; do
	echo "$tags" | grep -q ": $pid\$" || fail "the tree's profile has no pid $pid: $tags"
done
echo "go tool pprof reads the process's and the tree's profile.pb.gz: names, lines, thread labels"
