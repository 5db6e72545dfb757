#!/bin/sh
# profile_endings: every way a profiled program ends leaves a complete
# profile, with the program's own status and signal semantics: death by
# SIGTERM, SIGINT, SIGHUP and SIGQUIT (written, then the same death), a
# SIGTERM handler of its own (kept), SIGHUP ignored by its parent (still
# ignored, no interrupted call), exit and _exit from a thread, and SIGKILL
# (only what --flush-ms wrote).  Usage: profile_endings.sh ENDINGS_PROG
name=profile-endings; . "$(dirname "$0")/profile_lib.sh"
prog=${1:?usage: profile_endings.sh PROFILE_ENDINGS}
ulimit -c 0
signals=--default-signal=INT,QUIT,HUP,TERM

# run NAME VARIANT [SIGNAL]: the program plain, then profiled (by the
# library alone: the launcher would stay its parent), signalled once it
# says ready; its stdout and status must match.  Sets status and pdir.
run() {
	name=$1 variant=$2 sig=${3:-}
	for mode in plain profiled; do
		out=$dir/$name.$mode
		# A background job of a script starts with SIGINT and SIGQUIT
		# ignored, and under nohup SIGHUP is: env gives them back their
		# default, or ignores what the case says.
		if [ $mode = plain ]; then
			env $signals "$prog" "$variant" >"$out" 2>"$out.err" &
		else
			env $signals MAXPROCS_PROFILE="$dir/$name" \
				MAXPROCS_PROFILE_FLUSH_MS="${flush:-0}" LD_PRELOAD="$MAXPROCS_LIBRARY" \
				"$prog" "$variant" >"$out" 2>"$out.err" &
		fi
		pid=$!
		# A hang is a failure that names the program.
		rm -f "$dir/hung"
		(trap 'kill $nap 2>/dev/null; exit 0' TERM
		 sleep 30 & nap=$!
		 wait $nap && touch "$dir/hung" && kill -KILL $pid) >/dev/null 2>&1 &
		watchdog=$!
		if [ -n "$sig" ]; then
			i=0
			until grep -q '^ready$' "$out" 2>/dev/null; do
				i=$((i + 1))
				[ $i -lt 200 ] || { kill -KILL $pid; fail "$name: $variant never got ready ($mode)"; }
				sleep 0.05
			done
			[ "$sig" = KILL ] && sleep 0.3
			kill -"$sig" $pid
		fi
		set +e
		wait $pid
		eval "status_$mode=\$?"
		kill $watchdog 2>/dev/null
		wait $watchdog 2>/dev/null
		set -e
		[ ! -e "$dir/hung" ] || fail "$name: $prog $variant hung ($mode, killed after 30 s)"
	done
	[ "$status_plain" = "$status_profiled" ] ||
		fail "$name: status $status_profiled profiled, $status_plain plain"
	cmp -s "$dir/$name.plain" "$dir/$name.profiled" ||
		fail "$name: stdout differs: $(diff "$dir/$name.plain" "$dir/$name.profiled" | head -5)"
	status=$status_plain
	pdir=$dir/$name/$pid
	[ -s "$pdir/summary.txt" ] || fail "$name: no $pdir/summary.txt ($(cat "$dir/$name.profiled.err"))"
}

# complete WHY: the summary is whole (its last section is there), says how
# the program ended, and counted the 40 sleeps made before.
complete() {
	grep -q "ended by $1;" "$pdir/summary.txt" ||
		fail "$name: summary does not say 'ended by $1': $(head -1 "$pdir/summary.txt")"
	grep -q '^dropped: ' "$pdir/summary.txt" || fail "$name: summary cut short"
	n=$(awk '$1 == "nanosleep" { print $2 }' "$pdir/summary.txt")
	[ "${n:-0}" -ge 40 ] || fail "$name: $n nanosleep calls counted, not at least 40"
	for f in stalls.folded trace.json stacks.raw; do
		[ -s "$pdir/$f" ] || fail "$name: $f missing"
	done
	if ls "$pdir" | grep -q '\.tmp$'; then fail "$name: a .tmp file was left"; fi
}

for sig in TERM INT HUP QUIT; do
	run "$sig" wait "$sig"
	case $sig in TERM) n=15 ;; INT) n=2 ;; HUP) n=1 ;; QUIT) n=3 ;; esac
	[ "$status" = $((128 + n)) ] || fail "$sig: status $status, not $((128 + n))"
	complete "SIG$sig"
done
grep -q '^TERM default INT default HUP default QUIT default$' "$dir/TERM.profiled" ||
	fail "the program does not see its SIG_DFL: $(head -1 "$dir/TERM.profiled")"

run handler handler TERM
[ "$status" = 5 ] || fail "handler: status $status, not 5"
complete exit

# nohup: SIGHUP ignored before exec stays ignored, and interrupts nothing.
signals="--default-signal=INT,QUIT,TERM --ignore-signal=HUP"
run ignored ignored HUP
signals=--default-signal=INT,QUIT,HUP,TERM
grep -q 'HUP ignored' "$dir/ignored.profiled" || fail "ignored: $(head -1 "$dir/ignored.profiled")"
grep -q 'nanosleep through SIGHUP: slept' "$dir/ignored.profiled" ||
	fail "ignored: $(tail -1 "$dir/ignored.profiled")"

run exit exit
[ "$status" = 4 ] || fail "exit: status $status, not 4"
complete exit
run _exit _exit
[ "$status" = 6 ] || fail "_exit: status $status, not 6"
complete _exit

# SIGKILL writes nothing itself: with --flush-ms the last flush is there.
flush=50 run kill wait KILL
[ "$status" = 137 ] || fail "kill: status $status, not 137"
grep -q 'still running (a periodic flush)' "$pdir/summary.txt" ||
	fail "kill: the flushed summary says: $(head -1 "$pdir/summary.txt")"
echo "profile endings: TERM INT HUP QUIT handler ignored exit _exit KILL+flush"
