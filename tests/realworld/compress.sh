#!/usr/bin/env bash
# compress.sh xz|zstd|pigz|pbzip2: the compressor with 4 worker threads
# compresses 8 MB of generated mixed data and decompresses it (with threads
# where it has them); the data comes back, and the compressed bytes equal
# the plain run's (the threaded formats are deterministic).
name=${1:?usage: compress.sh xz|zstd|pigz|pbzip2}
. "$(dirname "$0")/lib.sh"
case $name in
xz) c=(xz -T4 -3 --block-size=1MiB -c) d=(xz -T4 -dc) ;;
zstd) c=(zstd -T4 -3 -B1M -q -c) d=(zstd -dq -c) ;;
pigz) c=(pigz -p 4 -b 256 -c) d=(pigz -p 4 -dc) ;;
pbzip2) c=(pbzip2 -p4 -b5 -c) d=(pbzip2 -p4 -dc) ;;
*)
	echo "compress.sh: unknown compressor $name" >&2
	exit 2
	;;
esac
rw_need "$name"
"$gen" mixed 8000000 >"$dir/in"

body() {
	rw "${c[@]}" "$dir/in" >"$1/in.z"
	rw "${d[@]}" "$1/in.z" >"$1/back"
	cmp "$dir/in" "$1/back"
	echo "$name: 8000000 bytes, $(wc -c <"$1/in.z") compressed, back intact"
}
rw_modes body in.z
