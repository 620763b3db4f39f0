#!/usr/bin/env bash
# varnishtest scenarios:  tests/vtc/run.sh <binary>
#
# Runs every tests/vtc/**/*.vtc, one varnishtest process per file so that each
# file gets its own PASS/FAIL, with HAPROXY_PROGRAM=<binary> (varnishtest
# starts it as haproxy: `-d`, fd@ listeners, see
# shared/reference/haproxy/regression-testing.txt).  VTC_JOBS files run in
# parallel (default 2).  Nothing is skipped: a scenario that varnishtest
# reports as skipped (exit 77, e.g. an unmet `feature`) counts as failed.
# Prints one PASS/FAIL line per file, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ $# -eq 1 ] || { echo "usage: $0 <binary>" >&2; exit 2; }
bin=$(readlink -f -- "$1") && [ -x "$bin" ] || { echo "vtc: $1 is not an executable" >&2; exit 2; }
jobs=${VTC_JOBS:-2}

mapfile -t files < <(find tests/vtc -name '*.vtc' -type f | LC_ALL=C sort)
if [ ${#files[@]} -eq 0 ]; then
	echo "0 passed, 0 failed"
	exit 0
fi
command -v varnishtest >/dev/null || { echo "vtc: varnishtest not found (install varnish)" >&2; exit 2; }

tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
export HAPROXY_PROGRAM=$bin

# Start file i in the background; its log and exit status land in $tmp.
run_one() {
	(
		timeout -k 10 300 varnishtest -t 30 "${files[$1]}" >"$tmp/$1.log" 2>&1 </dev/null
		echo $? >"$tmp/$1.rc"
	) &
}

running=0
for i in "${!files[@]}"; do
	if [ "$running" -ge "$jobs" ]; then
		wait -n
		running=$((running - 1))
	fi
	run_one "$i"
	running=$((running + 1))
done
wait

pass=0 fail=0
for i in "${!files[@]}"; do
	f=${files[$i]} rc=$(cat "$tmp/$i.rc" 2>/dev/null || echo "?")
	if [ "$rc" = 0 ]; then
		pass=$((pass + 1))
		echo "PASS $f"
	else
		fail=$((fail + 1))
		[ "$rc" = 77 ] && echo "FAIL $f: skipped by varnishtest" || echo "FAIL $f: exit $rc"
		# varnishtest logs a failed test in full: show its end.
		tail -n 80 "$tmp/$i.log" | sed -e 's/^/     | /'
	fi
done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
