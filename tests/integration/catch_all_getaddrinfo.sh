#!/bin/sh
# catch_all_getaddrinfo: getaddrinfo against a slow local resolver (a
# 200 ms DNS server on 127.0.0.1, in a private network and mount
# namespace whose /etc/resolv.conf points at it), in catch-all mode at
# -p 1 and -p 2, while a second thread computes: its poll and recvfrom
# are trapped inside the wrapped call, and nothing dies.  Skips (77)
# without unshare -nm (root), ip or python3.
prog=$1
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
for t in unshare ip python3; do
	command -v $t >/dev/null 2>&1 || { echo "$t not found: skipped" >&2; exit 77; }
done
unshare -nm true 2>/dev/null || { echo "unshare -nm refused (not root?): skipped" >&2; exit 77; }
dir=$(mktemp -d) || exit 1
trap 'rm -rf "$dir"' EXIT
echo "nameserver 127.0.0.1" >"$dir/resolv.conf"
echo "options timeout:5 attempts:1" >>"$dir/resolv.conf"
cat >"$dir/dns.py" <<'PY'
import socket, struct, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind(("127.0.0.1", 53))
open(sys.argv[1], "w").close()
while True:
    q, peer = s.recvfrom(512)
    time.sleep(0.2)
    qid, flags, qd = struct.unpack("!HHH", q[:6])
    end = 12
    while q[end]:
        end += q[end] + 1
    question = q[12:end + 5]
    qtype = struct.unpack("!H", q[end + 1:end + 3])[0]
    if qtype == 1:
        ans = b"\xc0\x0c" + struct.pack("!HHIH", 1, 1, 60, 4) + bytes([10, 1, 2, 3])
        s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 1, 0, 0) + question + ans, peer)
    else:
        s.sendto(struct.pack("!HHHHHH", qid, 0x8180, 1, 0, 0, 0) + question, peer)
PY
for p in 1 2; do
	out=$(unshare -nm sh -c '
		ip link set lo up || exit 1
		mount --bind "$1/resolv.conf" /etc/resolv.conf || exit 1
		python3 "$1/dns.py" "$1/ready" & dns=$!
		for i in $(seq 50); do [ -e "$1/ready" ] && break; sleep 0.1; done
		"$2" --catch-all -p "$3" -- "$4" getaddrinfo; st=$?
		kill $dns; rm -f "$1/ready"; exit $st' sh "$dir" "$MAXPROCS_LAUNCHER" "$p" "$prog" 2>"$dir/err")
	st=$?
	if [ $st -eq 77 ]; then cat "$dir/err" >&2; exit 77; fi
	if [ $st -ne 0 ] || ! echo "$out" | grep -q "10.1.2.3"; then
		echo "FAIL: getaddrinfo under --catch-all -p $p (status $st): $out" >&2
		cat "$dir/err" >&2
		exit 1
	fi
	echo "-p $p: $out"
done
