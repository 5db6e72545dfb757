#!/bin/sh
# Runs both benchmarks (meson's `bench` target): run-all.sh BENCH_CORE BENCH_WRITE LIBMAXPROCS
set -e
"$1"
echo
"$2" "$3"
