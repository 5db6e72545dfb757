#!/bin/sh
# profile_launcher: `maxprocs profile` exits with the program's status and
# dies of its signal; its profile holds every file, a child process's too;
# `go tool pprof -top` reads profile.pb.gz (skipped without go); `maxprocs
# report` prints the summary again; threads named after their first call
# have those names.  Usage: profile_launcher.sh STALLS_PROG
name=profile-launcher; . "$(dirname "$0")/profile_lib.sh"
prog=${1:?usage: profile_launcher.sh PROFILE_STALLS}

# The exit status, and death by a signal, as the program's.
set +e
"$launcher" profile -o "$dir/st" -- sh -c 'exit 3' 2>/dev/null
rc=$?
"$launcher" profile -o "$dir/sig" -- sh -c 'kill -TERM $$' 2>/dev/null
sig=$?
set -e
[ "$rc" = 3 ] || fail "exit 3 came back as $rc"
[ "$sig" = 143 ] || fail "death by SIGTERM came back as $sig, not 143"

# The files, of the program and of a child it forks and waits for.
"$launcher" profile -p 1 -o "$dir/p" -- "$prog" stalls run 2>"$dir/err"
root=$(sed -n 's/^maxprocs profile: [^,]*, pid \([0-9]*\),.*/\1/p' "$dir/err" | head -1)
[ -n "$root" ] || fail "no summary printed: $(head -3 "$dir/err")"
for f in summary.txt stalls.folded trace.json stacks.raw profile.pb.gz; do
	[ -s "$dir/p/$root/$f" ] || fail "$f missing or empty"
done
[ -f "$dir/p/$root/pwait.folded" ] || fail "pwait.folded missing"   # empty when no wait was long
"$launcher" profile -o "$dir/tree" -- sh -c '"$1" stalls run; "$1" stalls run' sh "$prog" 2>/dev/null
n=$(ls "$dir/tree" | grep -c '^[0-9][0-9]*$')   # DIR/PID/ (DIR's own files are the tree's)
[ "$n" -ge 3 ] || fail "a tree of 3 processes left $n profiles"
"$launcher" report "$dir/tree" | grep -c '^maxprocs profile:' | grep -qx "$n" ||
	fail "maxprocs report did not print $n summaries"

# A program that writes its process title over argv[0] (nginx's workers):
# its frames still name the executable's file, not the title's last part.
"$launcher" profile -o "$dir/title" -- "$prog" title run 2>/dev/null
sum=$(cat "$dir"/title/*/summary.txt)
echo "$sum" | grep -q 'profile_stalls' || fail "the executable is not named: $sum"
if echo "$sum" | grep -q '(b)\|^ *b+0x'; then fail "the executable is named after argv[0]: $sum"; fi

# Threads named after their first call (by themselves, by main) and still
# running at the end: the profile has the names they have then.
"$launcher" profile -o "$dir/names" -- "$prog" names run 2>/dev/null
sum=$(cat "$dir"/names/*/summary.txt)
for n in named-late named-by-main; do
	echo "$sum" | grep -q "^  [0-9]*  *$n " || fail "the threads section has no $n: $sum"
	grep -q "\"thread_name\",\"args\":{\"name\":\"$n\"}" "$dir"/names/*/trace.json ||
		fail "trace.json names no thread $n"
done

# More threads than have counters of their own (4096): each thread beyond
# is counted once as dropped, not once a call.  The main thread has one.
"$launcher" profile -o "$dir/many" -- "$prog" many run 2>/dev/null
dropped=$(grep '^dropped:' "$dir"/many/*/summary.txt)
echo "$dropped" | grep -q '^dropped: 105 threads beyond 4096,' || fail "4201 threads: $dropped"

# The heaviest stacks as text, and a flame graph of them.
"$launcher" report --top 3 "$dir/p" >"$dir/top"
[ "$(wc -l <"$dir/top")" = 3 ] || fail "report --top 3 printed: $(cat "$dir/top")"
grep -q 'stalls_reader;read$' "$dir/top" || grep -q ';read$' "$dir/top" || fail "report --top: no read stack: $(cat "$dir/top")"
"$launcher" report --svg "$dir/flame.svg" "$dir/p" 2>/dev/null
grep -q '^<svg ' "$dir/flame.svg" && grep -q '<title>read (' "$dir/flame.svg" ||
	fail "report --svg: no flame graph with a read frame"

# pprof reads it.
if command -v go >/dev/null 2>&1; then
	top=$(go tool pprof -top "$dir/p/$root/profile.pb.gz" 2>&1) || fail "go tool pprof: $top"
	for name in read nanosleep pthread_cond_timedwait stalls_reader; do
		echo "$top" | grep -q " $name\$" || fail "pprof -top has no $name: $top"
	done
	echo "go tool pprof -top reads profile.pb.gz"
else
	echo "go not found: pprof not checked" >&2
fi
echo "profile launcher: status, signal, files, tree, report"
