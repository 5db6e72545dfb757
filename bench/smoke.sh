#!/bin/sh
# bench-smoke: every program bench/compare runs, once with tiny parameters,
# plain and under the launcher at -p 1.  Checks only that each exits 0 and
# prints its result line, so that the programs cannot rot; it times nothing.
#   smoke.sh LAUNCHER CONVOY SPIN_HANDOVER POOL MCLOAD WAKE_COST SIGNAL_RACE
set -u
launcher=$1 convoy=$2 spin=$3 pool=$4 mcload=$5 wake_cost=$6 signal_race=$7
# A sanitized library need not come first in the link map (as itrun does).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0"
failures=0
server=
trap '[ -n "$server" ] && kill $server 2>/dev/null' EXIT

# check NAME WORKLOAD COMMAND...: runs COMMAND; it must exit 0 and print one
# line starting "workload=WORKLOAD " with a tput= field.
check() {
	name=$1 workload=$2
	shift 2
	out=$("$@" 2>/tmp/bench-smoke.$$) && rc=0 || rc=$?
	if [ "$rc" -ne 0 ] ||
	   ! printf '%s\n' "$out" | grep -q "^workload=$workload .* tput=[0-9]"; then
		echo "FAIL $name (exit $rc): $*"
		printf '%s\n' "$out" | sed 's/^/    /'
		sed 's/^/    stderr: /' /tmp/bench-smoke.$$
		failures=$((failures + 1))
	else
		echo "ok   $name: $out"
	fi
	rm -f /tmp/bench-smoke.$$
}

for how in plain p1; do
	if [ $how = plain ]; then run=; else run="$launcher -p 1 --"; fi
	check "convoy $how" convoy $run "$convoy" --threads 8 --seconds 0.1
	check "spin_handover $how" spin_handover $run "$spin" --seconds 0.1
	check "spin_handover block $how" spin_handover $run "$spin" --seconds 0.1 --spin-then-block 1000
	check "pool $how" pool $run "$pool" --threads 8 --seconds 0.1
	check "signal_race $how" signal_race $run "$signal_race" --polls 20
done

# wake_cost measures the machine, not maxprocs: run plain only, and it must
# print its same and free placements (other needs two CPUs).
out=$("$wake_cost" --rounds 20 --work-us 1 2>/dev/null) && rc=0 || rc=$?
if [ "$rc" -ne 0 ] ||
   ! printf '%s\n' "$out" | grep -q "^workload=wake_cost placement=same .* wake_p50_us=[0-9]" ||
   ! printf '%s\n' "$out" | grep -q "^workload=wake_cost placement=free .* call_p99_us=[0-9]"; then
	echo "FAIL wake_cost (exit $rc)"
	printf '%s\n' "$out" | sed 's/^/    /'
	failures=$((failures + 1))
else
	printf '%s\n' "$out" | sed 's/^/ok   wake_cost: /'
fi

# The memcached client needs a server: with memcached installed, one plain
# and one under the launcher; without, only its usage.
if command -v memcached >/dev/null 2>&1; then
	for how in plain p1; do
		if [ $how = plain ]; then run=; else run="$launcher -p 1 --"; fi
		# A port someone else holds makes memcached exit at once: try
		# another.
		for try in 1 2 3 4 5; do
			port=$((20000 + ($$ * 7 + try * 997) % 20000))
			$run memcached -t 4 -l 127.0.0.1 -p $port -U 0 -u "$(id -un)" &
			server=$!
			sleep 0.2
			kill -0 $server 2>/dev/null && break
		done
		check "mcload, memcached $how" memcached "$mcload" --port $port --conns 2 --seconds 0.1
		kill $server
		wait $server 2>/dev/null
		server=
	done
else
	echo "memcached not installed: only mcload's usage is checked"
	"$mcload" >/dev/null 2>&1
	if [ $? -ne 2 ]; then
		echo "FAIL mcload without arguments did not exit 2"
		failures=$((failures + 1))
	fi
fi

if [ $failures -ne 0 ]; then
	echo "bench-smoke: $failures failed"
	exit 1
fi
echo "bench-smoke: all passed"
