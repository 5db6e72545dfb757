#!/usr/bin/env bash
# redis.sh single|iothreads: redis-server on 127.0.0.1 (no persistence),
# without I/O threads or with `io-threads 2` and threaded reads, loaded by
# redis-benchmark -q (16 clients, 10,000 requests per test, 1,000 with I/O threads: SET, GET, INCR,
# LPUSH, LPOP); no client errors; the INCR counter and the command count are
# exact (and equal the plain run's); SIGTERM ends the server with status 0.
# (io-threads 3 or more spin for whole slices on a busy 2-CPU machine even
# uncapped: docs/compatibility.md.)
kind=${1:?usage: redis.sh single|iothreads}
name=redis_$kind
. "$(dirname "$0")/lib.sh"
rw_need redis-server redis-benchmark redis-cli
io=()
[ "$kind" = single ] || io=(--io-threads 2 --io-threads-do-reads yes)
# Each I/O-thread hand-off is a spin-wait, one preemption at -p 1 (as under
# taskset -c 0): a tenth of the load.
n=$((10000 / slow))
[ "$kind" = single ] || n=$((1000 / slow))

start() {
	rw_server "$1" redis-server --port "$2" --bind 127.0.0.1 --save '' --appendonly no \
		--dir "$1" --daemonize no "${io[@]}"
}

body() {
	rw_start "$1" start
	local cli=(redis-cli -h 127.0.0.1 -p "$rw_port") pid=$rw_pid
	rw_load_begin "$pid"
	rw_plain redis-benchmark -h 127.0.0.1 -p "$rw_port" -q -n "$n" -c 16 \
		-t set,get,incr,lpush,lpop >"$1/bench" 2>&1
	rw_load_end "$1" "$pid"
	tr '\r' '\n' <"$1/bench" | grep 'requests per second' >&2 || true
	if grep -qi 'error' "$1/bench"; then
		rw_fail "redis-benchmark reported errors:"
		grep -i error "$1/bench" | head -n 5 >&2
	fi
	echo "counter: $(rw_plain "${cli[@]}" get counter:__rand_int__)"
	rw_plain "${cli[@]}" info stats | tr -d '\r' >"$1/stats"
	grep -E '^(total_commands_processed|rejected_connections):' "$1/stats"
	grep -E '^io_threaded' "$1/stats" >&2 || true
	rw_stop "$pid" TERM
	echo "redis: stopped by SIGTERM, status $rw_status"
}
rw_modes body
