#!/bin/bash
# live_tools CASE LIVE_LOAD: the stats segment and `maxprocs ps/top/set`
# (issue 14) on tests/integration/live_load.c.  Cases:
#   top        top -b -n 3 PID shows N and thread counts that add up
#   ps         ps lists the process; a SIGKILLed one's segment is removed
#   resize     set 4 -> 1 -> 4 under 16 threads: the P table follows, the
#              Ps held never exceed N once settled, the program ends well
#   badset     set refuses a bad N, a bad PID, a PID without a segment (2)
#   other_user another user can neither read nor change it (root; 77)
#   precreated a file or symlink at the segment's path is refused, the
#              program runs on without a segment
#   random     random bytes over the segment: no crash, N unchanged, one
#              "ignoring" line at most; removed or truncated: a new one
#   cgroup     MAXPROCS=auto follows cpu.max (v2) or cfs_quota_us (v1)
#              changed at run time within 2 s (root; 77 otherwise)
#   fork       a fork child publishes its own segment, never the parent's
#   tmux       the interactive view under tmux shows the same N (77 without tmux)
set -u
case_=$1 load=$2
launcher=${MAXPROCS_LAUNCHER:?MAXPROCS_LAUNCHER not set}
# The ASan build: the library comes before ASan's runtime in the link map
# (as itrun says), and the tools' exits need no leak report.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
dir=$(mktemp -d /tmp/mp-live.XXXXXX)
segdir=/dev/shm/maxprocs-$(id -u)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill -9 "$p" 2>/dev/null; done
	[ -n "${cg:-}" ] && { cat "$cg/cgroup.procs" 2>/dev/null | while read -r p; do echo "$p" > "$cg_root/cgroup.procs"; done; rmdir "$cg" 2>/dev/null; }
	rm -rf "$dir"
}
trap cleanup EXIT
fail() { echo "live_tools $case_: FAIL: $*" >&2; exit 1; }
skip() { echo "live_tools $case_: skipped: $*" >&2; exit 77; }

# start OUT ARGS...: run the load under the launcher in the background;
# sets $pid once it printed "ready" (its threads run) and its segment is
# there (the monitor's first publish, 250 ms at most).
start() {
	local out=$1; shift
	"$launcher" "$@" > "$out" 2> "$out.err" &
	pid=$!
	pids+=("$pid")
	for _ in $(seq 200); do
		grep -q '^ready' "$out" 2>/dev/null && [ -e "$segdir/$pid" ] && return 0
		kill -0 "$pid" 2>/dev/null || fail "the program ended early: $(cat "$out.err")"
		sleep 0.05
	done
	fail "no segment at $segdir/$pid after 10 s"
}

# field NAME LINE: the value of NAME=... in a top -b line
field() { sed -n "s/.* $1=\([^ ]*\).*/\1/p" <<< " $2"; }

# top_line: one batch line of process $pid (the last of -n 1)
top_line() { "$launcher" top -b -n 1 "$pid" | grep "^pid=$pid comm="; }

# wait_n N SECONDS: until top shows N=N
wait_n() {
	local want=$1 end=$(( $(date +%s%N) + ${2%.*}000000000 ))
	while [ "$(date +%s%N)" -lt "$end" ]; do
		[ "$(field N "$(top_line)")" = "$want" ] && return 0
		sleep 0.1
	done
	return 1
}

# finish: end the program with SIGTERM (it stops its threads and returns
# 0) and check it did, within its timeout, and took its segment away.
finish() {
	kill -TERM "$pid" 2>/dev/null
	wait "$pid"; local rc=$?
	[ "$rc" = 0 ] || fail "the program exited $rc: $(tail -3 "$dir/out.err")"
	[ ! -e "$segdir/$pid" ] || fail "its segment is still there after a normal exit"
}

case $case_ in
top)
	start "$dir/out" -p 2 "$load" 6 30
	"$launcher" top -b -n 3 -d 0.3 "$pid" > "$dir/top" || fail "top failed"
	cat "$dir/top"
	[ "$(grep -c '^maxprocs top - ' "$dir/top")" = 3 ] || fail "expected 3 refreshes"
	[ "$(grep -c "^pid=$pid comm=" "$dir/top")" = 3 ] || fail "expected 3 lines of process $pid"
	while read -r line; do
		[ "$(field N "$line")" = 2 ] || fail "N is not 2: $line"
		[ "$(field why "$line")" = '"MAXPROCS=2"' ] || fail "why is not MAXPROCS=2: $line"
		[ "$(field comm "$line")" = live_load ] || fail "comm: $line"
		thr=$(field threads "$line") r=$(field t_running "$line") c=$(field t_in_calls "$line") w=$(field t_waiting "$line")
		[ "$thr" = 7 ] || fail "expected 7 threads (6 workers and main): $line"
		[ $((r + c + w)) = "$thr" ] || fail "running + in calls + waiting != threads: $line"
		[ "$r" -le 2 ] || fail "more threads running than N: $line"
		ps_=$(( $(field p_idle "$line") + $(field p_running "$line") + $(field p_in_call "$line") + $(field p_stopped "$line") ))
		[ "$ps_" = 2 ] || fail "the P table has $ps_ Ps: $line"
	done < <(grep "^pid=$pid comm=" "$dir/top")
	finish
	echo "top: N=2 and 7 threads in 3 refreshes"
	;;
ps)
	start "$dir/out" -p 3 "$load" 2 3
	"$launcher" ps > "$dir/ps" || fail "ps failed"
	cat "$dir/ps"
	grep -Eq "^ *$pid +3 +3 .* live_load +MAXPROCS=3\$" "$dir/ps" || fail "ps does not show $pid with N=3, 3 threads"
	kill -9 "$pid"; wait "$pid" 2>/dev/null
	[ -e "$segdir/$pid" ] || fail "a SIGKILLed process left no segment to clean (test premise)"
	"$launcher" ps > "$dir/ps2" 2> "$dir/ps2.err" || fail "ps failed"
	grep -q "removed the stale segment of process $pid" "$dir/ps2.err" || fail "no word of the stale segment: $(cat "$dir/ps2.err")"
	[ ! -e "$segdir/$pid" ] || fail "ps left the dead process's segment"
	! grep -Eq "^ *$pid " "$dir/ps2" || fail "ps lists a dead process"
	echo "ps: listed, then cleaned after SIGKILL"
	;;
resize)
	start "$dir/out" -p 4 "$load" 16 40
	[ "$(field N "$(top_line)")" = 4 ] || fail "N is not 4 at start"
	for n in 1 4 1 4; do
		"$launcher" set "$pid" $n > "$dir/set" || fail "set $n failed: $(cat "$dir/set")"
		grep -q "N=$n " "$dir/set" || fail "set did not confirm N=$n: $(cat "$dir/set")"
		sleep 0.6   # settle: holders of stopped Ps reach a call or are preempted
		"$launcher" top -b -n 4 -d 0.25 "$pid" | grep "^pid=$pid comm=" > "$dir/top"
		while read -r line; do
			[ "$(field N "$line")" = $n ] || fail "N is not $n: $line"
			held=$(( $(field p_running "$line") + $(field p_in_call "$line") ))
			[ "$held" -le $n ] || fail "$held Ps held at N=$n once settled: $line"
			[ "$(field p_stopped "$line")" = $((4 - n)) ] || fail "expected $((4 - n)) stopped Ps: $line"
			[ "$(field t_running "$line")" -le $n ] || fail "more threads running than N=$n: $line"
		done < "$dir/top"
		echo "N=$n: $(tail -1 "$dir/top" | cut -c1-160)"
	done
	finish
	echo "resize 4 -> 1 -> 4 -> 1 -> 4 under 16 threads: held Ps <= N once settled, the program ended well"
	;;
badset)
	start "$dir/out" -p 2 "$load" 2 30
	for args in "$pid 0" "$pid 1025" "$pid x" "$pid -1" "abc 2" "$pid" "999999999 2"; do
		# shellcheck disable=SC2086
		"$launcher" set $args > /dev/null 2> "$dir/err"; rc=$?
		[ "$rc" = 2 ] || fail "set $args: exit $rc, not 2"
		[ "$(wc -l < "$dir/err")" = 1 ] || fail "set $args: not one line: $(cat "$dir/err")"
	done
	# A live process without a segment: this shell (not capped).
	"$launcher" set $$ 2 > /dev/null 2> "$dir/err"; rc=$?
	[ "$rc" = 2 ] && grep -q "no stats segment" "$dir/err" || fail "set on an uncapped PID: exit $rc: $(cat "$dir/err")"
	[ "$(field N "$(top_line)")" = 2 ] || fail "N changed"
	finish
	echo "badset: every bad input refused with exit 2 and one line"
	;;
other_user)
	[ "$(id -u)" = 0 ] || skip "not root"
	command -v setpriv > /dev/null || skip "no setpriv"
	start "$dir/out" -p 2 "$load" 2 30
	as_nobody() { setpriv --reuid=nobody --regid=nogroup --clear-groups "$@"; }
	as_nobody "$launcher" set "$pid" 1 > /dev/null 2> "$dir/err"; rc=$?
	cat "$dir/err"
	[ "$rc" != 0 ] || fail "nobody changed root's process's cap"
	[ "$(wc -l < "$dir/err")" = 1 ] || fail "not one line: $(cat "$dir/err")"
	grep -q "only its owner may change it" "$dir/err" || fail "unclear error: $(cat "$dir/err")"
	as_nobody "$launcher" top -b -n 1 "$pid" > /dev/null 2> "$dir/err"; rc=$?
	[ "$rc" != 0 ] && [ "$(wc -l < "$dir/err")" = 1 ] || fail "nobody read the segment: exit $rc: $(cat "$dir/err")"
	as_nobody cat "$segdir/$pid" > /dev/null 2>&1 && fail "nobody can read the file itself"
	as_nobody sh -c "echo x > '$segdir/$pid'" 2> /dev/null && fail "nobody can write the file itself"
	[ "$(stat -c %a "$segdir")" = 700 ] || fail "directory mode $(stat -c %a "$segdir")"
	[ "$(stat -c %a "$segdir/$pid")" = 600 ] || fail "file mode $(stat -c %a "$segdir/$pid")"
	[ "$(field N "$(top_line)")" = 2 ] || fail "N changed"
	finish
	echo "other_user: refused with one line; modes 0700 and 0600"
	;;
precreated)
	mkdir -p -m 700 "$segdir"
	# The shell knows its pid before the exec, so the path can be taken first.
	MAXPROCS_DEBUG=1 bash -c 'echo junk > "$1/$$"; exec "$2" -p 2 "$3" 3 1' sh "$segdir" "$launcher" "$load" \
		> "$dir/out" 2> "$dir/err" || fail "the program failed with a pre-created file: $(cat "$dir/err")"
	grep -q "no stats segment: a file is already at the segment's path" "$dir/err" ||
		fail "no word of the refused file: $(cat "$dir/err")"
	p=$(awk '/^ready/ { print $2 }' "$dir/out")
	[ "$(cat "$segdir/$p")" = junk ] || fail "the pre-created file was changed"
	rm -f "$segdir/$p"
	MAXPROCS_DEBUG=1 bash -c 'ln -s "$4/target" "$1/$$"; exec "$2" -p 2 "$3" 3 1' sh "$segdir" "$launcher" "$load" "$dir" \
		> "$dir/out" 2> "$dir/err" || fail "the program failed with a symlink: $(cat "$dir/err")"
	grep -q "no stats segment" "$dir/err" || fail "no word of the refused symlink: $(cat "$dir/err")"
	[ ! -e "$dir/target" ] || fail "the symlink was followed"
	p=$(awk '/^ready/ { print $2 }' "$dir/out")
	rm -f "$segdir/$p"
	echo "precreated: a file and a symlink refused, the program ran"
	;;
random)
	start "$dir/out" -p 2 "$load" 3 30
	seg=$segdir/$pid
	size=$(stat -c %s "$seg")
	for i in $(seq 24); do
		# The whole file, then the control area alone (the end of the file).
		if [ $((i % 2)) = 0 ]; then
			head -c "$size" /dev/urandom | dd of="$seg" conv=notrunc status=none
		else
			head -c 16 /dev/urandom | dd of="$seg" bs=1 seek=$((size - 16)) conv=notrunc status=none
		fi
		sleep 0.05
		kill -0 "$pid" 2>/dev/null || fail "the program died after $i random writes: $(cat "$dir/out.err")"
	done
	wait_n 2 3 || fail "N is not 2 after the random writes: $(top_line)"
	# Removed, then truncated (past the end a write would be SIGBUS): the
	# library notices before its next publish and makes a new one.
	rm -f "$seg"
	wait_n 2 2 || fail "no new segment after rm: $(ls -l "$segdir")"
	truncate -s 100 "$seg"
	sleep 0.6
	kill -0 "$pid" 2>/dev/null || fail "the program died of a truncated segment"
	[ "$(stat -c %s "$seg")" = "$size" ] || fail "the truncated segment was not replaced"
	wait_n 2 2 || fail "N is not 2 after the truncation"
	finish
	n=$(grep -c "ignoring a malformed request" "$dir/out.err")
	[ "$n" -le 1 ] || fail "said $n times that it ignored a request"
	echo "random: 24 random writes, N still 2, $n line about it"
	;;
cgroup)
	[ "$(id -u)" = 0 ] || skip "not root"
	v2=$(awk '$3 == "cgroup2" { print $2; exit }' /proc/self/mounts)
	v1=$(awk '$3 == "cgroup" && $4 ~ /(^|,)cpu(,|$)/ { print $2; exit }' /proc/self/mounts)
	if [ -n "$v2" ] && grep -qw cpu "$v2/cgroup.controllers" 2>/dev/null && [ -w "$v2" ]; then
		kind=v2 cg_root=$v2
	elif [ -n "$v1" ] && [ -w "$v1" ]; then
		kind=v1 cg_root=$v1
		echo "cgroup v2 has no cpu controller here: testing v1 ($v1)" >&2
	else
		skip "no writable cgroup with a cpu controller (v2: ${v2:-none}, v1: ${v1:-none})"
	fi
	cg=$cg_root/maxprocs-test-$$
	mkdir "$cg" || skip "cannot create $cg"
	if [ $kind = v2 ]; then
		grep -qw cpu "$cg_root/cgroup.subtree_control" || echo +cpu > "$cg_root/cgroup.subtree_control" || skip "cannot enable cpu in $cg_root"
		quota() { echo "$1 100000" > "$cg/cpu.max"; }
		unlimited() { echo "max 100000" > "$cg/cpu.max"; }
	else
		quota() { echo 100000 > "$cg/cpu.cfs_period_us"; echo "$1" > "$cg/cpu.cfs_quota_us"; }
		unlimited() { echo -1 > "$cg/cpu.cfs_quota_us"; }
	fi
	cpus=$(nproc)
	[ "$cpus" -ge 2 ] || skip "one CPU: N cannot drop"
	# floor: a quota of half a CPU gives floor 0, then the minimum, 1.
	MAXPROCS_AUTO_ROUND=floor start "$dir/out" "$load" 4 30
	echo "$pid" > "$cg/cgroup.procs" || fail "cannot move $pid into $cg"
	[ "$(field N "$(top_line)")" = "$cpus" ] || fail "N is not $cpus at start: $(top_line)"
	t0=$(date +%s%N); quota 50000
	wait_n 1 3 || fail "N did not follow the quota of 0.5 CPU: $(top_line)"
	dt=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "quota 0.5 -> N=1 after ${dt} ms: $(field why "$(top_line)")"
	[ "$dt" -le 2200 ] || fail "took ${dt} ms (more than 2 s)"
	t0=$(date +%s%N); unlimited
	wait_n "$cpus" 3 || fail "N did not follow the quota's removal: $(top_line)"
	dt=$(( ($(date +%s%N) - t0) / 1000000 ))
	echo "no quota -> N=$cpus after ${dt} ms"
	[ "$dt" -le 2200 ] || fail "took ${dt} ms (more than 2 s)"
	# maxprocs set overrides auto until "set PID auto".
	"$launcher" set "$pid" 1 > /dev/null || fail "set 1"
	sleep 1.2
	[ "$(field N "$(top_line)")" = 1 ] || fail "auto undid maxprocs set"
	"$launcher" set "$pid" auto > /dev/null || fail "set auto"
	wait_n "$cpus" 2 || fail "set auto did not return to auto"
	kill "$pid"; wait "$pid" 2>/dev/null
	echo "cgroup $kind: auto followed the quota within 2 s both ways"
	;;
fork)
	start "$dir/out" -p 2 "$load" 2 30 fork
	child=
	for _ in $(seq 200); do
		child=$(awk '/^child/ { print $2 }' "$dir/out")
		[ -n "$child" ] && [ -e "$segdir/$child" ] && break
		sleep 0.05
	done
	[ -n "$child" ] && [ -e "$segdir/$child" ] || fail "the fork child has no segment of its own"
	pids+=("$child")
	pl=$(top_line)
	cl=$("$launcher" top -b -n 1 "$child" | grep "^pid=$child comm=")
	echo "$pl" | cut -c1-120; echo "$cl" | cut -c1-120
	[ "$(field threads "$pl")" = 3 ] || fail "the parent's segment does not show its 3 threads: $pl"
	[ "$(field threads "$cl")" = 3 ] || fail "the child's segment does not show its 3 threads: $cl"
	"$launcher" set "$child" 1 > /dev/null || fail "set on the child"
	[ "$(field N "$("$launcher" top -b -n 1 "$child" | grep "^pid=$child comm=")")" = 1 ] || fail "the child's N is not 1"
	[ "$(field N "$(top_line)")" = 2 ] || fail "the parent's N changed with the child's"
	kill -TERM "$child"
	for _ in $(seq 100); do [ -e "$segdir/$child" ] || break; sleep 0.05; done
	[ ! -e "$segdir/$child" ] || fail "the child's segment outlived it"
	[ -e "$segdir/$pid" ] || fail "the child's exit took the parent's segment"
	finish
	echo "fork: the child published its own segment, its own N, and took only its own away"
	;;
tmux)
	command -v tmux > /dev/null || skip "no tmux"
	start "$dir/out" -p 2 "$load" 3 30
	sock=$dir/tmux.sock
	tmux -S "$sock" new-session -d -s live -x 200 -y 30 "$launcher top $pid" || skip "tmux cannot start a session"
	row=
	for _ in $(seq 40); do
		sleep 0.25
		row=$(tmux -S "$sock" capture-pane -p -t live | grep -E "^ *$pid +live_load ")
		[ -n "$row" ] && break
	done
	tmux -S "$sock" capture-pane -p -t live > "$dir/screen"
	tmux -S "$sock" send-keys -t live q
	sleep 0.3
	tmux -S "$sock" kill-server 2>/dev/null
	cat "$dir/screen"
	[ -n "$row" ] || fail "the screen has no row for $pid"
	read -r _ _ n idle run call stop thr _ <<< "$row"
	[ "$n" = 2 ] || fail "the screen shows N=$n: $row"
	[ $((idle + run + call + stop)) = 2 ] || fail "the screen's P columns do not add up to 2: $row"
	[ "$thr" = 4 ] || fail "the screen shows $thr threads, not 4: $row"
	[ "$(field N "$(top_line)")" = "$n" ] || fail "batch mode disagrees"
	finish
	echo "tmux: the interactive view shows N=2 and 4 threads, as -b does"
	;;
*)
	echo "live_tools: unknown case $case_" >&2; exit 2 ;;
esac
