#!/usr/bin/env bash
# pingpong.sh PINGPONG recv|poll|pipe: two threads in a request/response
# ping-pong over a socketpair (blocking recv, or poll then recv) or pipes;
# the issue 12 "performance" row: its p1/taskset ratio is the cost of
# handing the one P over on every message (a goal of <= 1, not asserted).
prog=${1:?usage: pingpong.sh PINGPONG recv|poll|pipe}
name=pingpong_${2:?}
. "$(dirname "$0")/lib.sh"
body() {
	rw "$prog" $((20000 / slow)) "$2" 2>"$1/rate" || return 1
	cat "$1/rate" >&2
}
kind=$2
body_kind() { body "$1" "$kind"; }
rw_modes body_kind
