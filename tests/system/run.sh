#!/usr/bin/env bash
# System tests:  tests/system/run.sh <binary>
#
# Runs every tests/system/test_*.sh (its shebang if executable, else bash) and
# test_*.py (python3), from the repo root, with HALYARD=<absolute binary> and
# HALYARD_SRC=<repo root> in the environment, each under `timeout 300` in its
# own process group; whatever a test leaves running in that group is killed
# afterwards.  Exit 0 = pass.  One PASS/FAIL line per test (the test's output
# is shown on failure), then "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ $# -eq 1 ] || { echo "usage: $0 <binary>" >&2; exit 2; }
bin=$(readlink -f -- "$1") && [ -x "$bin" ] || { echo "system: $1 is not an executable" >&2; exit 2; }
export HALYARD=$bin HALYARD_SRC=$PWD
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0 fail=0
shopt -s nullglob
for t in tests/system/test_*.sh tests/system/test_*.py; do
	case "$t" in
	*.py) cmd=(python3 "$t") ;;
	*) if [ -x "$t" ]; then cmd=("./$t"); else cmd=(bash "$t"); fi ;;
	esac
	start=$SECONDS
	# setsid: the test and its children form a process group whose id is $pid.
	setsid timeout -k 10 300 "${cmd[@]}" >"$tmp/log" 2>&1 </dev/null &
	pid=$!
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null || true
	if [ "$rc" -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $t ($((SECONDS - start))s)"
	else
		fail=$((fail + 1))
		[ "$rc" -eq 124 ] && why="timed out after 300s" || why="exit $rc"
		echo "FAIL $t: $why"
		tail -n 80 "$tmp/log" | sed -e 's/^/     | /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
