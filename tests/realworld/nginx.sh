#!/usr/bin/env bash
# nginx.sh: nginx (its own configuration and prefix in a temp dir: one worker
# reading files through a pool of 4 threads, `aio threads`) on 127.0.0.1,
# loaded by ab (apache2-utils): 3,000 keep-alive requests for a small file, 200
# for a 1 MB one; no failed or non-2xx request; curl reads the big file back
# intact.  Then, as scripts do by PID: `kill -HUP` reloads the configuration
# (new worker, still serving), `kill -QUIT` stops it gracefully, status 0.
name=nginx
. "$(dirname "$0")/lib.sh"
rw_need nginx ab curl
www=$dir/www
mkdir -p "$www"
"$gen" mixed 1000000 >"$www/big.bin"
"$gen" mixed 4096 >"$www/small.bin"
user=
[ "$(id -u)" != 0 ] || user='user root root;'
n=$((3000 / slow))

start() {
	local p=$1/nginx
	mkdir -p "$p/tmp" "$p/logs"
	cat >"$p/nginx.conf" <<CONF
$user
worker_processes 1;
daemon off;
master_process on;
pid $p/nginx.pid;
error_log $p/logs/error.log info;
thread_pool rw threads=4;
events { worker_connections 256; }
http {
	access_log off;
	client_body_temp_path $p/tmp/body;
	proxy_temp_path $p/tmp/proxy;
	fastcgi_temp_path $p/tmp/fastcgi;
	uwsgi_temp_path $p/tmp/uwsgi;
	scgi_temp_path $p/tmp/scgi;
	default_type application/octet-stream;
	server {
		listen 127.0.0.1:$2;
		root $www;
		location / {
			aio threads=rw;
			sendfile off;
			output_buffers 2 64k;
		}
	}
}
CONF
	rw_server "$1" nginx -p "$p" -c "$p/nginx.conf" -e "$p/logs/error.log"
}

# ab_check OUT NAME: the ab report OUT/NAME shows every request done, none
# failed, none non-2xx.
ab_check() {
	local r=$1/$2
	grep -q "^Complete requests: *$3\$" "$r" || rw_fail "$2: not every request completed"
	grep -q '^Failed requests: *0$' "$r" || rw_fail "$2: failed requests"
	! grep -q '^Non-2xx responses' "$r" || rw_fail "$2: non-2xx responses"
}

body() {
	rw_start "$1" start
	local url=http://127.0.0.1:$rw_port pid=$rw_pid workers
	# nginx writes its pid file after it has opened its sockets.
	local i
	for ((i = 0; i < 100 * slow; i++)); do
		[ "$(cat "$1/nginx/nginx.pid" 2>/dev/null)" = "$pid" ] && break
		sleep 0.05
	done
	[ "$(cat "$1/nginx/nginx.pid" 2>/dev/null)" = "$pid" ] ||
		rw_fail "nginx.pid ($(cat "$1/nginx/nginx.pid" 2>/dev/null)) is not \$! ($pid)"
	rw_load_begin "$pid"
	rw_plain ab -q -k -n "$n" -c 8 "$url/small.bin" >"$1/ab.small"
	rw_plain ab -q -n 200 -c 4 "$url/big.bin" >"$1/ab.big"
	rw_load_end "$1" "$pid"
	ab_check "$1" ab.small "$n"
	ab_check "$1" ab.big 200
	rw_plain curl -sf -o "$1/big.back" "$url/big.bin"
	cmp "$www/big.bin" "$1/big.back"
	echo "nginx: $n + 200 requests, none failed"

	# Reload: the master starts a new worker and retires the old one.
	workers=$(pgrep -P "$pid" | sort | tr '\n' ' ')
	kill -HUP "$pid"
	local new=
	for ((i = 0; i < 200 * slow; i++)); do
		new=$(pgrep -P "$pid" | sort | tr '\n' ' ')
		[ -n "$new" ] && [ "$new" != "$workers" ] && ! grep -qw -- "${workers%% *}" <<<"$new" && break
		sleep 0.05
	done
	[ -n "$new" ] && [ "$new" != "$workers" ] || rw_fail "no new worker after SIGHUP (workers: $workers)"
	rw_plain curl -sf -o "$1/small.back" "$url/small.bin"
	cmp "$www/small.bin" "$1/small.back"
	grep -q 'reconfiguring' "$1/nginx/logs/error.log" || rw_fail "the error log does not say it reloaded"
	echo "nginx: reloaded by SIGHUP, new worker serves"
	rw_stop "$pid" QUIT
	echo "nginx: stopped by SIGQUIT, status $rw_status"
	if grep -E '\[(alert|emerg|crit)\]' "$1/nginx/logs/error.log" >&2; then
		rw_fail "alerts in the error log"
	fi
}
rw_modes body
