#!/usr/bin/env bash
# System tests under ThreadSanitizer:
#
#   tests/system/tsan.sh [-b <binary>] [test_x.py ...]
#
# Runs the named tests/system files (default: test_dynamic_servers.py, the
# stress test) against the TSan build (default: build-tsan/halyard, made by
# `packaging/build.sh tsan`) with TSAN_OPTIONS sending every process's
# reports to a temporary directory and tests/tsan.supp applied. Each test
# runs under `timeout 900`: TSan makes the binary several times slower.
# Prints one line per test (its result and the number of reports), then the
# reports themselves; exit 0 only when every test passed with no report.
# Not part of tests/run.sh: a run over every test takes several minutes.
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

bin=build-tsan/halyard
if [ "${1:-}" = "-b" ]; then
	bin=$2
	shift 2
fi
bin=$(readlink -f -- "$bin") && [ -x "$bin" ] || {
	echo "tsan: no TSan binary; run packaging/build.sh tsan" >&2
	exit 2
}
[ $# -gt 0 ] || set -- tests/system/test_dynamic_servers.py
logs=$(mktemp -d)
trap 'rm -rf "$logs"' EXIT
export HALYARD=$bin HALYARD_SRC=$PWD
export TSAN_OPTIONS="suppressions=$PWD/tests/tsan.supp halt_on_error=0 report_signal_unsafe=0 log_path=$logs/report"

bad=0
for t in "$@"; do
	case "$t" in */*) ;; *) t=tests/system/$t ;; esac
	rm -f "$logs"/report.*
	case "$t" in
	*.py) cmd=(python3 "$t") ;;
	*) cmd=(bash "$t") ;;
	esac
	setsid timeout -k 10 900 "${cmd[@]}" >"$logs/out" 2>&1 </dev/null &
	pid=$!
	wait "$pid"
	rc=$?
	kill -KILL -- "-$pid" 2>/dev/null || true
	n=$(cat "$logs"/report.* 2>/dev/null | grep -c '^WARNING: ThreadSanitizer')
	echo "$t: exit $rc, $n TSan report(s): $(tail -n 1 "$logs/out")"
	if [ "$rc" -ne 0 ] || [ "$n" -ne 0 ]; then
		bad=1
		cat "$logs"/report.* 2>/dev/null
	fi
done
exit $bad
