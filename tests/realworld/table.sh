#!/usr/bin/env bash
# table.sh begin|print: the realworld suite's table.  `begin` (the suite's
# first test) clears the rows of an earlier run; `print` (its last test)
# prints one line per case from the rows the cases wrote in $MP_RW_RESULTS,
# and also writes the table to $MP_RW_RESULTS/table.txt.
set -eu
results=${MP_RW_RESULTS:?}
case ${1:-print} in
begin)
	rm -rf "$results"
	mkdir -p "$results"
	date +%s >"$results/.start"
	exit 0
	;;
esac
shopt -s nullglob
rows=("$results"/*.row)
if ((${#rows[@]} == 0)); then
	echo "realworld: no rows in $results (run the whole suite: meson test --suite realworld)"
	exit 0
fi
elapsed=-
[ -f "$results/.start" ] && elapsed=$(($(date +%s) - $(cat "$results/.start")))
{
	echo
	echo "realworld suite (library: ${MAXPROCS_LIBRARY:-?}; ${elapsed} s)"
	printf '%-18s %-6s %-12s %-10s %-11s %-8s %s\n' case result "p1,p2/plain" p1/taskset \
		"cpu/wall@p1" "plain s" note
	cat "${rows[@]}" | sort | awk -F'\t' '{
		printf "%-18s %-6s %-12s %-10s %-11s %-8s %s\n", $1, $2, $3, $4, $5, $6, $7
	}'
	echo "p1,p2/plain: wall time at -p 1 and -p 2 over plain; p1/taskset: -p 1 over taskset -c 0;"
	echo "cpu/wall@p1: CPU time / wall time at -p 1 (the cap: <= 1.10; * = several capped"
	echo "processes, each with its own P, not checked); servers: the server's CPU and the"
	echo "client's wall time over the load phase."
} | tee "$results/table.txt"
