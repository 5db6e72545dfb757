#!/bin/sh
# profile_lost: a process that cannot write its profile says so on stderr
# instead of losing it silently.  The case seen with nginx: the master
# runs as root, its workers drop to nobody and cannot create DIR/PID in a
# directory root made.  Skips (77) unless root with setpriv.
name=profile-lost; . "$(dirname "$0")/profile_lib.sh"
[ "$(id -u)" = 0 ] || { echo "not root: skipped" >&2; exit 77; }
command -v setpriv >/dev/null 2>&1 || { echo "setpriv not found: skipped" >&2; exit 77; }
chmod 755 "$dir"   # root's: nobody may enter it but not create in it

# The child (dash, which keeps stderr open to its end) runs as nobody.
"$launcher" profile -o "$dir/p" -- sh -c \
	'setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c ":"; :' 2>"$dir/err" ||
	fail "the run failed: $(cat "$dir/err")"
grep -q "^maxprocs: profile: cannot write $dir/p: Permission denied; this process's profile is lost\$" \
	"$dir/err" || fail "no warning for the lost profile: $(cat "$dir/err")"
[ "$(ls "$dir/p" | grep -c "^[0-9][0-9]*$")" = 1 ] || fail "expected only the root process's profile: $(ls "$dir/p")"

# DIR exists (made by root), DIR/PID cannot be made by nobody.
"$launcher" profile -o "$dir/q" -- sh -c \
	'mkdir "$1"; setpriv --reuid=nobody --regid=nogroup --clear-groups sh -c ":"; :' sh "$dir/q" \
	2>"$dir/err" || fail "the second run failed: $(cat "$dir/err")"
grep -q "^maxprocs: profile: cannot write $dir/q/[0-9]*: Permission denied; this process's profile is lost\$" \
	"$dir/err" || fail "no warning for the lost DIR/PID: $(cat "$dir/err")"
echo "profile lost: warned"
