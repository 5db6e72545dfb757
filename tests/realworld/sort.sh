#!/usr/bin/env bash
# sort.sh: GNU sort --parallel=4 on 400,000 generated lines (about 8 MB) with
# an 8 MB buffer, so that it sorts in threads and merges temporary files;
# then a numeric unique sort.  The sorted output equals the plain run's.
name=sort
. "$(dirname "$0")/lib.sh"
rw_need sort
"$gen" lines 400000 >"$dir/in"

body() {
	rw sort --parallel=4 -S 8M -T "$1" -k2,2 -k3,3n -k1,1 "$dir/in" >"$1/sorted"
	rw sort -c -k2,2 -k3,3n -k1,1 "$1/sorted"
	rw sort --parallel=4 -S 4M -T "$1" -u -n -k3,3 "$dir/in" >"$1/unique"
	echo "sort: $(wc -l <"$1/sorted") lines sorted, $(wc -l <"$1/unique") unique keys"
}
rw_modes body sorted unique
