#!/usr/bin/env bash
# python.sh: Debian's python3 runs threads.py: threads with a lock, a queue
# pipeline and hashing, subprocess children, multiprocessing pools (fork and
# spawn).  Its output equals the plain run's.  The pools' workers are capped
# processes of their own, so CPU/wall at -p 1 is reported, not checked.
name=python
. "$(dirname "$0")/lib.sh"
py=/usr/bin/python3
[ -x "$py" ] || rw_need python3-in-usr-bin
rw_multiproc
body() {
	rw "$py" "$here/threads.py"
}
rw_modes body
