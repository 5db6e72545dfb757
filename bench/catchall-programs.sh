#!/bin/bash
# catchall-programs.sh - zstd -T4 and sort --parallel=4 plain, with the
# wrappers (-p 1) and in catch-all mode (-p 1 --catch-all): wall time
# (median of REPS), the output's checksum (must not change), and what the
# cap saw: traps (calls catch-all bracketed) and revokes (Ps the monitor
# took from holders blocked outside the table).
#
#   bench/catchall-programs.sh BUILD_DIR [MB [REPS]]
set -euo pipefail
build=${1:?usage: catchall-programs.sh BUILD_DIR [MB [REPS]]}
mb=${2:-60}
reps=${3:-3}
launcher=$build/tools/maxprocs
for p in zstd sort; do
	command -v "$p" >/dev/null || { echo "$p not found" >&2; exit 77; }
done
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
head -c $((mb * 1000000)) /dev/urandom | base64 >"$dir/in.txt"

printf '%-6s %-10s %9s %10s %8s %8s\n' prog mode wall_s md5 traps revokes
for prog in zstd sort; do
	case $prog in
	zstd) cmd=(zstd -T4 -3 -q -c "$dir/in.txt") ;;
	sort) cmd=(sort --parallel=4 -S 200M "$dir/in.txt") ;;
	esac
	for mode in plain wrappers catch-all; do
		case $mode in
		plain) pre=() ;;
		wrappers) pre=("$launcher" -p 1 --) ;;
		catch-all) pre=("$launcher" -p 1 --catch-all --) ;;
		esac
		times=()
		for ((r = 0; r < reps; r++)); do
			s=$(date +%s.%N)
			MAXPROCS_DEBUG=1 "${pre[@]}" "${cmd[@]}" 2>"$dir/err" | md5sum >"$dir/md5"
			e=$(date +%s.%N)
			times+=("$(echo "$e - $s" | bc)")
		done
		med=$(printf '%s\n' "${times[@]}" | sort -n | sed -n "$(((reps + 1) / 2))p")
		traps=$(grep -o 'traps=[0-9]*' "$dir/err" | tail -1 | cut -d= -f2 || true)
		revokes=$(grep -o 'revokes=[0-9]*' "$dir/err" | tail -1 | cut -d= -f2 || true)
		printf '%-6s %-10s %9.3f %10s %8s %8s\n' "$prog" "$mode" "$med" "$(cut -c1-8 "$dir/md5")" \
			"${traps:--}" "${revokes:--}"
	done
done
