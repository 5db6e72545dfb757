#!/usr/bin/env bash
# java.sh G1|Parallel: the JVM runs Pool.java (a thread pool with
# `synchronized` and wait/notify, then parallel streams that allocate) as a
# single-file source program, under the named garbage collector.  Its output
# equals the plain run's.
gc=${1:?usage: java.sh G1|Parallel}
name=java_$gc
. "$(dirname "$0")/lib.sh"
rw_need java
export HOME=$dir
body() {
	rw java -XX:+Use"${gc}"GC -Xmx256m -XX:ParallelGCThreads=4 -Xshare:auto \
		"$here/Pool.java"
}
rw_modes body
