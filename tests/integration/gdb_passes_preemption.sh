#!/bin/sh
# gdb_passes_preemption: a capped program run under gdb with its default
# signal handling is never stopped by the library's preemption signal
# (issue 7, item 8: the library before it owned SIGRTMAX, and gdb stopped
# at the first one, "received signal SIG64"; SIGURG is nostop noprint
# pass in gdb).  usage: gdb_passes_preemption.sh PROGRAM; PROGRAM must
# have the library preempt it (sig_no_eintr: CPU-bound threads at the
# cap).  In a library run the library's MAXPROCS_DEBUG exit line must
# count signals sent, so that the run means something.  Skips (77)
# without gdb or when gdb cannot trace here.
prog=$1
command -v gdb >/dev/null 2>&1 || { echo "gdb not found: skipped" >&2; exit 77; }
# gdb itself runs without the library: the preload goes to the program.
preload=${LD_PRELOAD-}
unset LD_PRELOAD
# LeakSanitizer stops the world with ptrace, which a traced process cannot.
ASAN_OPTIONS=${ASAN_OPTIONS:+$ASAN_OPTIONS:}detect_leaks=0
export ASAN_OPTIONS
# gdb's own lines go to a log of their own (logging redirect), so that
# its "[New Thread ...]" lines never cut into the program's output, which
# both would otherwise write to the same stdout at the same time.
out=$(mktemp); err=$(mktemp); log=$(mktemp)
trap 'rm -f "$out" "$err" "$log"' EXIT
if [ -n "$preload" ]; then
	set -- -ex "set environment LD_PRELOAD=$preload" -ex 'set environment MAXPROCS_DEBUG=1'
else
	set --
fi
gdb -nx -batch -iex 'set debuginfod enabled off' -ex 'set startup-with-shell off' \
	-ex "set logging file $log" -ex 'set logging redirect on' -ex 'set logging enabled on' \
	"$@" -ex run --args "$prog" >"$out" 2>"$err" </dev/null
if grep -q 'ptrace: Operation not permitted\|Could not trace the inferior\|warning: ptrace' "$log" "$err"; then
	echo "gdb cannot trace here: skipped" >&2
	exit 77
fi
if grep -q 'received signal' "$log"; then
	echo "gdb stopped the program on a signal:" >&2
	grep -A3 'received signal' "$log" >&2
	exit 1
fi
if ! grep -q 'exited normally' "$log"; then
	echo "the program did not exit normally under gdb:" >&2
	tail -n 20 "$log" "$err" >&2
	exit 1
fi
if [ -n "$preload" ]; then
	n=$(sed -n 's/.*maxprocs: debug: exit.* signals=\([0-9]*\).*/\1/p' "$err" | tail -n 1)
	if [ -z "$n" ] || [ "$n" -eq 0 ]; then
		echo "no preemption signal was sent (signals=${n:-?}): the run tests nothing" >&2
		grep 'maxprocs: debug' "$err" >&2
		exit 1
	fi
	echo "library sent $n signals" >&2
fi
# The program's own output, as it wrote it.
cat "$out"
echo "gdb: the program exited normally, never stopped on a signal"
