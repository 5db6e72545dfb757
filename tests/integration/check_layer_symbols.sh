#!/bin/sh
# check_layer_symbols.sh NM LIST LIB...: no layer below preload/ (the static
# libraries LIB: shim, sched, signals, prof) calls a function the library
# exports (LIST, from preload/calls.def).  Inside libmaxprocs.so such a call
# binds to our own wrapper, not to libc: the monitor's pthread_sigmask once
# left the owned signals open on the monitor thread.  A lower layer uses
# raw system calls, or a function pointer the preload hands it.
set -eu
nm=$1 list=$2
shift 2
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
tr -s ' \t' '\n\n' < "$list" | grep -v '^$' | sort -u > "$tmp/exported"
bad=0
for lib in "$@"; do
	"$nm" -u "$lib" | awk 'NF >= 2 { sub(/@.*/, "", $2); print $2 }' | sort -u > "$tmp/undef"
	# mp_stats_snapshot is the core's own, exported for the tools.
	comm -12 "$tmp/exported" "$tmp/undef" | grep -v '^mp_stats_snapshot$' > "$tmp/hits" || true
	if [ -s "$tmp/hits" ]; then
		echo "$lib calls what the library exports (it would bind to our own wrapper):"
		sed 's/^/  /' "$tmp/hits"
		bad=1
	fi
done
[ "$bad" = 0 ] && echo "ok: $# libraries below preload/ call none of the exported names"
exit "$bad"
