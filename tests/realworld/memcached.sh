#!/usr/bin/env bash
# memcached.sh: memcached with 4 worker threads on 127.0.0.1, loaded by
# libmemcached-tools' memcslap (8 client threads: 16,000 sets, then 2,000
# sets and 16,000 gets) and memccp/memccat (a file stored and read back);
# memcstat's counters are exact (and equal the plain run's); SIGTERM ends the
# server with status 0.
name=memcached
. "$(dirname "$0")/lib.sh"
rw_need memcached memcslap memcstat memccp memccat
"$gen" mixed 200000 >"$dir/blob"
user=()
[ "$(id -u)" != 0 ] || user=(-u root)

start() {
	rw_server "$1" memcached "${user[@]}" -l 127.0.0.1 -p "$2" -U 0 -t 4 -m 64 -c 512
}

body() {
	rw_start "$1" start
	local s=--servers=127.0.0.1:$rw_port pid=$rw_pid
	rw_load_begin "$pid"
	rw_plain memcslap "$s" --concurrency=8 --execute-number=2000 --test=set >&2
	rw_plain memcslap "$s" --concurrency=8 --execute-number=2000 --test=get >&2
	rw_load_end "$1" "$pid"
	cp "$dir/blob" "$1/blob"
	rw_plain memccp "$s" "$1/blob"
	rw_plain memccat "$s" blob >"$1/blob.back"
	# memccat ends what it prints with a newline.
	printf '\n' | cat "$dir/blob" - | cmp - "$1/blob.back"
	rw_plain memcstat "$s" >"$1/stats"
	grep -E '^\s+(threads|cmd_get|cmd_set|get_hits|get_misses|rejected_connections|curr_items):' "$1/stats"
	grep -qE '^\s+threads: 4$' "$1/stats" || rw_fail "memcached does not run 4 worker threads"
	rw_stop "$pid" TERM
	echo "memcached: stopped by SIGTERM, status $rw_status"
}
rw_modes body
