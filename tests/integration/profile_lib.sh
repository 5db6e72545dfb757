# profile_lib.sh - what the profile_*.sh tests share.  Sourced, after
# setting name:   name=profile-foo; . "$(dirname "$0")/profile_lib.sh"
# Gives: set -eu, $launcher, a fresh $dir removed at exit, fail MESSAGE.
set -eu
# A sanitized build's library cannot come first in the link map of the
# programs it is preloaded into (itrun says the same for its runs).
export ASAN_OPTIONS="${ASAN_OPTIONS:+$ASAN_OPTIONS:}verify_asan_link_order=0:detect_leaks=0"
launcher=${MAXPROCS_LAUNCHER:?}
dir=$(mktemp -d "/tmp/mp-$name-XXXXXX")
trap 'rm -rf "$dir"' EXIT
fail() { echo "FAIL: $*" >&2; exit 1; }
