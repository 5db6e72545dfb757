#!/usr/bin/env bash
# node.sh: node.js runs pool.js with a libuv thread pool of 4: 16 pbkdf2
# calls, 64 file writes and reads, 128 zlib jobs, all in parallel.  Its
# output equals the plain run's.
name=node
. "$(dirname "$0")/lib.sh"
rw_need node
export UV_THREADPOOL_SIZE=4
body() {
	mkdir "$1/files"
	rw node "$here/pool.js" "$1/files"
}
rw_modes body
