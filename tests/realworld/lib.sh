# lib.sh - what the realworld cases (tests/realworld/*.sh) share.  Sourced,
# after setting name:   name=xz; . "$(dirname "$0")/lib.sh"
#
# A case defines a function BODY OUT that does the work once, running each
# program of the case through `rw PROGRAM ARGS...`, writing what must not
# change into OUT/ (and on stdout), then calls `rw_modes BODY [FILE...]`.
# rw_modes runs BODY four times: plain (the reference), under
# `taskset -c 0`, under `maxprocs -p 1` and under `maxprocs -p 2`; each run
# must succeed, print the same stdout as the plain one and leave the same
# FILEs (paths under OUT) byte for byte.  It times each run (wall time, and
# CPU time of the children, as getrusage(RUSAGE_CHILDREN) counts them) and
# writes the case's row of the suite's table (table.sh).
#
# Gives: set -eu, $launcher, $library, $gen (rwgen), $here, a fresh $dir
# removed at exit, $slow (3 for a sanitized library, else 1), $rw_timeout,
# $rw_mode (plain|taskset|p1|p2 while BODY runs), and:
#   rw_need PROG...       skip (77) naming the first PROG not installed
#   rw PROG ARGS...       run PROG as the current mode says, with a timeout;
#                         a timeout is recorded as a hang naming PROG
#   rw_plain PROG ARGS... run PROG uncapped (a client), with a timeout
#   rw_server OUT PROG ARGS...  start a server in the background as the mode
#                         says (so that $rw_pid is the server's PID, as $!
#                         would be), remembered for cleanup
#   rw_start OUT FN       pick a free port, call FN OUT PORT (which starts
#                         the server with rw_server) and wait until the server
#                         accepts on 127.0.0.1:PORT; a server that dies at
#                         once (the port was taken) is retried on another
#                         port; the port is left in $rw_port
#   rw_bg PID             remember a background program for cleanup
#   rw_wait PID [S]       wait at most S s ($rw_timeout) for the background
#                         PID to end (a hang naming it otherwise, then
#                         SIGKILL); its wait status in $rw_status
#   rw_stop PID SIG [S]   send SIG, then rw_wait PID S (10 s)
#   rw_proc_cpu PID       the CPU seconds so far of the process and of its
#                         children (/proc)
#   rw_load_begin PID / rw_load_end OUT PID   around a server's load phase:
#                         rw_metrics with the server's CPU and the wall time
#   rw_metrics OUT CPU WALL   BODY's own CPU and wall seconds for this mode
#                         (servers: the server's CPU over the load phase)
#   rw_multiproc          CPU/wall at -p 1 counts several capped processes:
#                         reported, not checked
#   rw_fail MESSAGE       record a failure of this run (BODY goes on)
set -eu
# A sanitized build's library cannot come first in the link map of the
# programs it is preloaded into; leaks of the programs are not ours.
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
export LC_ALL=C
# meson sets MALLOC_PERTURB_ (glibc then fills fresh and freed blocks): x264
# (ffmpeg's libx264) then encodes other bytes than without it, and than
# under ASan's malloc, which ignores it.  It is for our code, not theirs.
unset MALLOC_PERTURB_
launcher=${MAXPROCS_LAUNCHER:?}
library=${MAXPROCS_LIBRARY:?}
gen=${MP_RW_GEN:?}
here=$(cd "$(dirname "$0")" && pwd)
results=${MP_RW_RESULTS:-}
dir=$(mktemp -d "/tmp/mp-rw-$name-XXXXXX")
slow=1
# A sanitized library: its runtimes go in LD_PRELOAD after it (the launcher
# puts the library first).  Pulled in only as the library's dependencies,
# they come after libc in the lookup order and their interceptors find no
# "next" function: cc1, node, ffmpeg and redis-server crash at a call to
# address 0 (docs/compatibility.md).
rw_san=()
while read -r _lib _ _path _; do
	case $_lib in
	libasan.so* | libubsan.so*)
		slow=3
		rw_san+=("$_path")
		;;
	esac
done < <(ldd "$library" 2>/dev/null || true)
rw_env=()
if ((${#rw_san[@]})); then
	rw_env=(env "LD_PRELOAD=$(IFS=:; echo "${rw_san[*]}")${LD_PRELOAD:+:$LD_PRELOAD}")
fi
rw_timeout=$((${MP_RW_TIMEOUT:-60} * slow))
rw_mode=plain
rw_prefix=()
rw_multi=0

rw_cleanup() {
	local pid
	if [ -f "$dir/.pids" ]; then
		while read -r pid; do
			kill -KILL "$pid" 2>/dev/null || true
		done <"$dir/.pids"
	fi
	rm -rf "$dir"
}
trap rw_cleanup EXIT
trap 'exit 129' HUP
trap 'exit 130' INT
trap 'exit 143' TERM

# row RESULT [NOTE]: the case's row of the table, when there is no timing.
rw_row() {
	[ -n "$results" ] || return 0
	mkdir -p "$results"
	printf '%s\t%s\t-\t-\t-\t-\t%s\n' "$name" "$1" "${2:-}" >"$results/$name.row"
}

rw_need() {
	local p
	for p in "$@"; do
		if ! command -v "$p" >/dev/null 2>&1; then
			echo "SKIP: $name: $p is not installed (scripts/install-deps installs it)" >&2
			rw_row skip "$p missing"
			exit 77
		fi
	done
}

rw_fail() {
	echo "FAIL: $name ($rw_mode): $*" >&2
	echo "$rw_mode: $*" >>"$dir/.failures"
}

rw_multiproc() { rw_multi=1; }

rw_desc() {
	case $rw_mode in
	plain) echo "plain" ;;
	taskset) echo "taskset -c 0" ;;
	p1) echo "maxprocs -p 1" ;;
	p2) echo "maxprocs -p 2" ;;
	esac
}

rw_hang() {
	rw_fail "HANG: $1 ($(rw_desc)) did not finish in $2 s"
}

rw() {
	local rc=0
	timeout -k 5 "$rw_timeout" "${rw_prefix[@]}" "$@" || rc=$?
	case $rc in
	124 | 137) rw_hang "$1" "$rw_timeout" ;;
	esac
	return "$rc"
}

rw_plain() {
	local rc=0
	timeout -k 5 "$rw_timeout" "$@" || rc=$?
	case $rc in
	124 | 137) rw_fail "HANG: $1 (the uncapped client) did not finish in $rw_timeout s" ;;
	esac
	return "$rc"
}

rw_server() {
	local out=$1
	shift
	"${rw_prefix[@]}" "$@" >>"$out/server.log" 2>&1 &
	rw_pid=$!
	rw_bg "$rw_pid"
}

rw_start() {
	local out=$1 fn=$2 try i
	for try in 1 2 3; do
		rw_port=$("$gen" port)
		"$fn" "$out" "$rw_port"
		for ((i = 0; i < 200 * slow; i++)); do
			if (exec 3<>"/dev/tcp/127.0.0.1/$rw_port") 2>/dev/null; then
				return 0
			fi
			rw_alive "$rw_pid" || break
			sleep 0.05
		done
		if rw_alive "$rw_pid"; then
			rw_fail "$(cat "/proc/$rw_pid/comm") accepts nothing on 127.0.0.1:$rw_port after $((10 * slow)) s"
			return 1
		fi
		wait "$rw_pid" || true
		echo "rw_start: the server ended at once (try $try, port $rw_port); its log ends:" >&2
		tail -n 5 "$out/server.log" >&2 || true
	done
	rw_fail "the server did not start in 3 tries"
	return 1
}

# rw_alive PID: PID exists and is not a zombie.
rw_alive() {
	local st
	st=$(cat "/proc/$1/stat" 2>/dev/null) || return 1
	st=${st##*) }
	[ "${st%% *}" != Z ]
}

rw_bg() {
	echo "$1" >>"$dir/.pids"
}

rw_wait() {
	local pid=$1 max=${2:-$rw_timeout} i what rc=0
	what=$(cat "/proc/$pid/comm" 2>/dev/null || echo "pid $pid")
	for ((i = 0; i < max * 20; i++)); do
		rw_alive "$pid" || break
		sleep 0.05
	done
	if rw_alive "$pid"; then
		rw_hang "$what${rw_after:+ $rw_after}" "$max"
		kill -KILL "$pid" 2>/dev/null || true
	fi
	wait "$pid" || rc=$?
	sed -i "/^$pid\$/d" "$dir/.pids" 2>/dev/null || true
	rw_status=$rc
}

rw_stop() {
	kill "-$2" "$1" 2>/dev/null || true
	rw_after="after SIG$2" rw_wait "$1" $(((${3:-10}) * slow))
}

rw_proc_cpu() {
	local p st sum=0
	for p in "$1" $(pgrep -P "$1" || true); do
		st=$(cat "/proc/$p/stat" 2>/dev/null) || continue
		st=${st##*) }
		# Fields 14 and 15 (utime, stime) are the 12th and 13th after ")".
		sum=$(echo "$st" | awk -v s="$sum" '{ print s + $12 + $13 }')
	done
	awk -v t="$sum" -v hz="$(getconf CLK_TCK)" 'BEGIN { printf "%.3f\n", t / hz }'
}

rw_metrics() {
	echo "$2 $3" >"$1/.metrics"
}

rw_load_begin() {
	_rw_lc0=$(rw_proc_cpu "$1")
	_rw_lt0=$EPOCHREALTIME
}

rw_load_end() {
	local c1 t1=$EPOCHREALTIME
	c1=$(rw_proc_cpu "$2")
	rw_metrics "$1" "$(awk -v a="$_rw_lc0" -v b="$c1" 'BEGIN { printf "%.3f", b - a }')" \
		"$(awk -v a="$_rw_lt0" -v b="$t1" 'BEGIN { printf "%.3f", b - a }')"
}

# rw_cpu: CPU seconds of the children this shell has waited for, in
# $rw_cpu_s (not in a $(...): a subshell has no children of its own).
rw_cpu() {
	times >"$dir/.times"
	rw_cpu_s=$(awk 'NR == 2 {
		split($1, u, "m"); split($2, s, "m")
		printf "%.3f\n", u[1] * 60 + u[2] + s[1] * 60 + s[2]
	}' "$dir/.times")
}

rw_modes() {
	local _body=$1 _mode _out _rc _t0 _t1 _c0 _c1 _f _cpu _wall
	shift
	local -A _w _c
	for _mode in plain taskset p1 p2; do
		rw_mode=$_mode
		case $_mode in
		plain) rw_prefix=() ;;
		taskset) rw_prefix=(taskset -c 0) ;;
		p1) rw_prefix=("${rw_env[@]}" "$launcher" -p 1 --) ;;
		p2) rw_prefix=("${rw_env[@]}" "$launcher" -p 2 --) ;;
		esac
		_out=$dir/$_mode
		mkdir -p "$_out"
		echo "--- $name: $(rw_desc)" >&2
		rw_cpu
		_c0=$rw_cpu_s
		_t0=$EPOCHREALTIME
		set +e
		(
			set -e
			"$_body" "$_out"
		) >"$_out/.stdout" 2>"$_out/.stderr"
		_rc=$?
		set -e
		_t1=$EPOCHREALTIME
		rw_cpu
		_c1=$rw_cpu_s
		# What a failed BODY left running.
		if [ -f "$dir/.pids" ]; then
			while read -r _f; do
				kill -KILL "$_f" 2>/dev/null || true
			done <"$dir/.pids"
			rm -f "$dir/.pids"
		fi
		if [ "$_rc" != 0 ]; then
			rw_fail "exit status $_rc; its stderr ends:"
			tail -n 20 "$_out/.stderr" | sed 's/^/    /' >&2
		fi
		if [ "$_mode" != plain ]; then
			if ! cmp -s "$dir/plain/.stdout" "$_out/.stdout"; then
				rw_fail "stdout differs from the plain run's:"
				diff "$dir/plain/.stdout" "$_out/.stdout" | head -n 10 | sed 's/^/    /' >&2
			fi
			for _f in "$@"; do
				cmp -s "$dir/plain/$_f" "$_out/$_f" ||
					rw_fail "$_f differs from the plain run's"
			done
		fi
		if [ -f "$_out/.metrics" ]; then
			read -r _cpu _wall <"$_out/.metrics"
		else
			_cpu=$(awk -v a="$_c0" -v b="$_c1" 'BEGIN { printf "%.3f", b - a }')
			_wall=$(awk -v a="$_t0" -v b="$_t1" 'BEGIN { printf "%.3f", b - a }')
		fi
		_w[$_mode]=$_wall
		_c[$_mode]=$_cpu
		echo "--- $name: $(rw_desc): wall ${_wall} s, cpu ${_cpu} s, status $_rc" >&2
	done
	echo "--- $name: the plain run's stdout:" >&2
	sed 's/^/    /' "$dir/plain/.stdout" >&2
	rw_mode=p1
	local row cpuwall
	row=$(awk -v pl="${_w[plain]}" -v ts="${_w[taskset]}" -v p1="${_w[p1]}" \
		-v p2="${_w[p2]}" -v c1="${_c[p1]}" 'function r(a, b) {
			return b > 0 ? sprintf("%.2f", a / b) : "-"
		}
		BEGIN { printf "%s/%s\t%s\t%s\t%s", r(p1, pl), r(p2, pl), r(p1, ts), r(c1, p1), pl }')
	cpuwall=$(echo "$row" | cut -f3)
	if [ "$rw_multi" = 0 ] && [ "$cpuwall" != - ] &&
		awk -v x="$cpuwall" 'BEGIN { exit !(x > 1.5) }'; then
		rw_fail "CPU time / wall time at -p 1 is $cpuwall: the cap did not hold (> 1.5)"
	fi
	[ "$rw_multi" = 0 ] || row=$(echo "$row" | awk -F'\t' -v OFS='\t' '{ $3 = $3 "*"; print }')
	local result=ok note=
	if [ -f "$dir/.failures" ]; then
		result=FAIL
		note=$(head -n 1 "$dir/.failures" | cut -c1-60)
	fi
	if [ -n "$results" ]; then
		mkdir -p "$results"
		printf '%s\t%s\t%s\t%s\n' "$name" "$result" "$row" "$note" >"$results/$name.row"
	fi
	echo "$name: $result: p1/plain,p2/plain, p1/taskset, cpu/wall@p1, plain s: $row"
	[ "$result" = ok ] || {
		echo "FAIL: $name:" >&2
		sed 's/^/    /' "$dir/.failures" >&2
		exit 1
	}
}
