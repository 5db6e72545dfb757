#!/bin/sh
# check_exports.sh NM LIBRARY LIST: the defined dynamic symbols of LIBRARY
# (nm -D --defined-only) must be exactly the names in LIST (exports.list,
# generated from preload/calls.def): no row left unexported (a CUSTOM row
# whose wrapper is missing), nothing else leaking out.
set -eu
nm=$1 lib=$2 list=$3
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
"$nm" -D --defined-only "$lib" | awk 'NF >= 3 { sub(/@.*/, "", $3); print $3 }' |
	sort -u > "$tmp/got"
tr -s ' \t' '\n\n' < "$list" | grep -v '^$' | sort -u > "$tmp/want"
if ! diff -u "$tmp/want" "$tmp/got" > "$tmp/diff"; then
	echo "exports of $lib differ from calls.def (- missing, + extra):"
	grep '^[-+][^-+]' "$tmp/diff" || true
	exit 1
fi
echo "ok: $(wc -l < "$tmp/got") exported symbols, as calls.def says"
