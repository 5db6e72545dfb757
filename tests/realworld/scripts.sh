#!/usr/bin/env bash
# scripts.sh: the launcher as shell scripts and service managers use it, each
# the same as running the program directly (the plain run):
#   - `dd ... &`, then `kill -USR1 $!`: $! is dd, it prints its progress
#     report and goes on; it ends with status 0 and its final counts;
#   - `sleep 30 &`, `kill -TERM $!`: status 143; a threaded python3 with
#     `kill -HUP $!`: status 129 (SIGQUIT and SIGINT are ignored in the
#     background jobs of a script; nginx.sh sends -QUIT to nginx, which
#     handles it);
#   - `nohup PROG`: a SIGHUP sent to itself leaves the program (sh, and a
#     threaded python3) running;
#   - a systemd-style ExecStart (supervise.py: fork, exec, main PID = the
#     child): memcached -t 4 stopped by SIGTERM exits 0, `sh -c 'exit 3'`
#     exits 3, a threaded python3 killed by SIGKILL.
# (nginx's reload by -HUP and graceful stop by -QUIT are in nginx.sh.)
name=scripts
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
[ -x "$py" ] || rw_need python3-in-usr-bin
rw_need dd nohup memcached
threaded_sleep='import threading, time
ts = [threading.Thread(target=time.sleep, args=(30,), daemon=True) for _ in range(4)]
[t.start() for t in ts]
time.sleep(30)'
threaded_hup='import os, signal, threading
ts = [threading.Thread(target=sum, args=(range(10**6),)) for _ in range(4)]
[t.start() for t in ts]
os.kill(os.getpid(), signal.SIGHUP)
[t.join() for t in ts]
print("python survived SIGHUP")'

# wait_exe PID PROG: PID runs PROG itself (the launcher has exec'd it).
wait_exe() {
	local want i
	want=$(readlink -f "$(command -v "$2")")
	for ((i = 0; i < 200 * slow; i++)); do
		[ "$(readlink "/proc/$1/exe" 2>/dev/null)" = "$want" ] && return 0
		sleep 0.05
	done
	rw_fail "\$! ($1) is not $2 after $((10 * slow)) s"
	return 1
}

body() {
	local pid i
	# dd in the background, its progress report on SIGUSR1.
	mkfifo "$1/fifo"
	"${rw_prefix[@]}" dd if="$1/fifo" of=/dev/null bs=4k iflag=fullblock 2>"$1/dd.err" &
	pid=$!
	rw_bg "$pid"
	# Opened read-write, the FIFO does not block us; dd opens it after it
	# has set its handlers.
	exec 3<>"$1/fifo"
	wait_exe "$pid" dd
	for ((i = 0; i < 200 * slow; i++)); do
		ls -l "/proc/$pid/fd" 2>/dev/null | grep -q "$1/fifo" && break
		sleep 0.05
	done
	head -c 40960 /dev/zero >&3
	kill -USR1 "$pid"
	for ((i = 0; i < 100 * slow; i++)); do
		grep -q 'records in' "$1/dd.err" && break
		sleep 0.05
	done
	grep -q 'records in' "$1/dd.err" || rw_fail "dd did not report on SIGUSR1"
	head -c 40960 /dev/zero >&3
	exec 3>&-
	rw_wait "$pid"
	echo "dd: status $rw_status, $(grep -c 'records in' "$1/dd.err") reports, last: $(grep 'records in' "$1/dd.err" | tail -n 1)"

	# kill -TERM $!, kill -HUP $!
	"${rw_prefix[@]}" sleep 30 &
	pid=$!
	rw_bg "$pid"
	wait_exe "$pid" sleep
	kill -TERM "$pid"
	rw_wait "$pid" 10
	echo "sleep, kill -TERM \$!: status $rw_status"
	"${rw_prefix[@]}" "$py" -c "$threaded_sleep" &
	pid=$!
	rw_bg "$pid"
	wait_exe "$pid" "$py"
	sleep 0.2
	kill -HUP "$pid"
	rw_wait "$pid" 10
	echo "threaded python3, kill -HUP \$!: status $rw_status"

	# nohup
	rw nohup "${rw_prefix[@]}" sh -c 'kill -HUP $$; echo sh survived SIGHUP'
	rw nohup "${rw_prefix[@]}" "$py" -c "$threaded_hup"

	# ExecStart=
	local port
	port=$("$gen" port)
	rw_plain "$py" "$here/supervise.py" memcached SIGTERM 0.5 -- "${rw_prefix[@]}" \
		memcached -u root -l 127.0.0.1 -p "$port" -U 0 -t 4
	rw_plain "$py" "$here/supervise.py" sh none 0 -- "${rw_prefix[@]}" sh -c 'sleep 0.2; exit 3'
	rw_plain "$py" "$here/supervise.py" "$py" SIGKILL 0.3 -- "${rw_prefix[@]}" "$py" -c "$threaded_sleep"
}
rw_modes body
