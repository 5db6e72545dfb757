#!/usr/bin/env bash
# git.sh: a generated repository (800 commits over 200 files, made by
# `git fast-import` uncapped), copied for each run, then `git repack -a -d -f
# --threads=4`, `git fsck --full --strict`, `git grep --threads=4` in the
# work tree and in HEAD~100, and `git log`; every listing equals the plain
# run's (the pack itself may differ: delta search in threads is not
# deterministic).
name=git
. "$(dirname "$0")/lib.sh"
rw_need git
export HOME=$dir GIT_CONFIG_NOSYSTEM=1 GIT_AUTHOR_DATE=@1700000000 GIT_COMMITTER_DATE=@1700000000
"$gen" gitstream 800 200 >"$dir/stream"
git init -q -b main "$dir/base"
git -C "$dir/base" config gc.auto 0
git -C "$dir/base" fast-import --quiet <"$dir/stream"
git -C "$dir/base" reset -q --hard main

body() {
	cp -a "$dir/base" "$1/repo"
	cd "$1/repo"
	rw git repack -a -d -f -q --threads=4 --window=20 --depth=20
	rw git fsck --full --strict --no-progress
	rw git count-objects -v | grep -E '^(count|packs|prune-packable|garbage):'
	rw git rev-list --objects --all | sort | md5sum
	rw git grep --threads=4 -n -e 'maxprocs scheduler' -e 'futex mutex' >"$1/grep.wt"
	rw git grep --threads=4 -c -e thread HEAD~100 >"$1/grep.tree"
	rw git log --format='%H %s' >"$1/log"
	echo "git: $(wc -l <"$1/log") commits, $(wc -l <"$1/grep.wt") lines found"
}
rw_modes body grep.wt grep.tree log
