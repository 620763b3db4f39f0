#!/usr/bin/env bash
# THE test command: installs dependencies, builds, runs every test suite and
# ends with one line "N passed, N failed" (exit non-zero on any failure).
#
#   1. packaging/install-deps.sh
#   2. for the normal build (build/) and the ASan+UBSan build (build-asan/):
#      unit (ctest), config (tests/config/run.sh), vtc (tests/vtc/run.sh),
#      system (tests/system/run.sh)
#   3. the fuzz build (build-fuzz/): every tests/fuzz/fuzz_*.c target runs for
#      FUZZ_SECONDS on a temporary copy of tests/fuzz/corpus/<name>/
#
# Counts: ctest counts one per test binary; the other suites' own final
# "N passed, N failed" lines are added up.  An install or build failure, or a
# suite that exits non-zero without reporting a failure, counts as one failed.
#
# Knobs:  RUN_SUITES="unit config vtc system fuzz"  (subset to run)
#         SKIP_ASAN=1   skip the ASan build and its suites
#         SKIP_FUZZ=1   skip the fuzz build and run
#         FUZZ_SECONDS=20  per fuzz target;  VTC_JOBS=2  parallel vtc files
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

RUN_SUITES=${RUN_SUITES:-unit config vtc system fuzz}
FUZZ_SECONDS=${FUZZ_SECONDS:-20}
for s in $RUN_SUITES; do
	case "$s" in unit | config | vtc | system | fuzz) ;;
	*) echo "tests/run.sh: unknown suite '$s' in RUN_SUITES" >&2; exit 2 ;;
	esac
done
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

total_pass=0 total_fail=0
failures=()   # names of failed tests/steps, repeated before the summary
summary=()    # one line per suite

header() { printf '\n========== %s ==========\n' "$*"; }
wants() { [[ " $RUN_SUITES " == *" $1 "* ]]; }
add() { # add <label> <passed> <failed>
	total_pass=$((total_pass + $2)) total_fail=$((total_fail + $3))
	summary+=("$(printf '%-14s %d passed, %d failed' "$1" "$2" "$3")")
}
step_failed() { # step_failed <label> <why>
	failures+=("$1: $2")
	add "$1" 0 1
}

# run_suite <label> <cmd...>: runs a suite that prints "FAIL <name>..." lines
# and a final "N passed, N failed"; adds its counts.
run_suite() {
	local label=$1 log=$TMP/suite.log rc p f line
	shift
	header "$label"
	"$@" 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E '^([A-Za-z_-]+: )?[0-9]+ passed, [0-9]+ failed' "$log" | tail -n 1)
	if [[ "$line" =~ ([0-9]+)\ passed,\ ([0-9]+)\ failed ]]; then
		p=${BASH_REMATCH[1]} f=${BASH_REMATCH[2]}
	else
		p=0 f=0
	fi
	while IFS= read -r line; do
		failures+=("$label: ${line#FAIL }")
	done < <(grep -E '^FAIL ' "$log")
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$label: exited $rc without reporting a failure")
	fi
	add "$label" "$p" "$f"
}

# run_ctest <label> <builddir>: one count per ctest test.
run_ctest() {
	local label=$1 dir=$2 log=$TMP/ctest.log rc p=0 f=0 n line
	header "$label"
	(cd "$dir" && ctest --output-on-failure --timeout 300 -j "$(nproc)") 2>&1 | tee "$log"
	rc=${PIPESTATUS[0]}
	line=$(grep -E 'tests passed, [0-9]+ tests? failed out of [0-9]+' "$log" | tail -n 1)
	if [[ "$line" =~ ([0-9]+)\ tests?\ failed\ out\ of\ ([0-9]+) ]]; then
		f=${BASH_REMATCH[1]} n=${BASH_REMATCH[2]}
		p=$((n - f))
	fi
	# Names listed under "The following tests FAILED:" as "  3 - name (Failed)".
	while IFS= read -r line; do
		failures+=("$label: $line")
	done < <(sed -n '/The following tests FAILED:/,$p' "$log" |
		sed -nE 's/^[[:space:]]+[0-9]+ - (.*)$/\1/p')
	if [ "$rc" -ne 0 ] && [ "$f" -eq 0 ]; then
		f=1
		failures+=("$label: ctest exited $rc")
	fi
	add "$label" "$p" "$f"
}

# run_fuzz: every fuzz target briefly; prints FAIL lines and the counts.
run_fuzz() {
	local src name bin corpus work rc pass=0 fail=0 dict
	shopt -s nullglob
	for src in tests/fuzz/fuzz_*.c; do
		name=$(basename "$src" .c) bin=build-fuzz/$(basename "$src" .c)
		if [ ! -x "$bin" ]; then
			echo "FAIL $name: $bin was not built"
			fail=$((fail + 1))
			continue
		fi
		work=$(mktemp -d "$TMP/$name.XXXXXX")
		mkdir -p "$work/corpus"
		corpus=tests/fuzz/corpus/${name#fuzz_}
		[ -d "$corpus" ] && cp -R "$corpus/." "$work/corpus/"
		dict=()
		[ -f "tests/fuzz/$name.dict" ] && dict=("-dict=tests/fuzz/$name.dict")
		echo "--- $name: ${FUZZ_SECONDS}s on $(find "$work/corpus" -type f | wc -l) seed(s)"
		timeout -k 10 $((FUZZ_SECONDS + 300)) "$bin" -max_total_time="$FUZZ_SECONDS" \
			-timeout=25 -rss_limit_mb=4096 -print_final_stats=1 \
			-artifact_prefix="$work/" "${dict[@]}" "$work/corpus" >"$work/log" 2>&1 </dev/null
		rc=$?
		if [ "$rc" -eq 0 ]; then
			pass=$((pass + 1))
			echo "PASS $name ($(grep -m1 -oE 'stat::number_of_executed_units: [0-9]+' "$work/log" | grep -oE '[0-9]+$') runs)"
		else
			fail=$((fail + 1))
			echo "FAIL $name: exit $rc"
			tail -n 60 "$work/log" | sed -e 's/^/     | /'
			# Keep the reproducers (build dirs are ignored by git).
			mkdir -p "build-fuzz/crashes/$name"
			find "$work" -maxdepth 1 -type f \( -name 'crash-*' -o -name 'leak-*' \
				-o -name 'timeout-*' -o -name 'oom-*' \) -exec cp {} "build-fuzz/crashes/$name/" \;
			echo "     reproducers in build-fuzz/crashes/$name/"
		fi
		rm -rf "$work"
	done
	echo "$pass passed, $fail failed"
	[ "$fail" -eq 0 ]
}

# build <variant>: returns non-zero (and counts a failure) if it fails.
build() {
	header "build $1"
	if ! bash packaging/build.sh "$1"; then
		step_failed "build $1" "build failed (see above)"
		return 1
	fi
}

header "install dependencies"
bash packaging/install-deps.sh || step_failed "install-deps" "packaging/install-deps.sh failed"

variants=(normal)
[ "${SKIP_ASAN:-0}" = 1 ] || variants+=(asan)
if wants unit || wants config || wants vtc || wants system; then
	for v in "${variants[@]}"; do
		if [ "$v" = asan ]; then
			dir=build-asan
			export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
			export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
		else
			dir=build
			unset ASAN_OPTIONS UBSAN_OPTIONS
		fi
		build "$v" || continue
		wants unit && run_ctest "unit/$v" "$dir"
		wants config && run_suite "config/$v" bash tests/config/run.sh "$dir/halyard"
		wants vtc && run_suite "vtc/$v" bash tests/vtc/run.sh "$dir/halyard"
		wants system && run_suite "system/$v" bash tests/system/run.sh "$dir/halyard"
	done
fi

if wants fuzz && [ "${SKIP_FUZZ:-0}" != 1 ]; then
	export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1
	export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
	build fuzz && run_suite "fuzz" run_fuzz
fi

header "summary ($((SECONDS / 60))m$((SECONDS % 60))s)"
printf '%s\n' "${summary[@]}"
if [ ${#failures[@]} -gt 0 ]; then
	echo
	echo "Failed:"
	printf '  %s\n' "${failures[@]}"
fi
echo "$total_pass passed, $total_fail failed"
[ "$total_fail" -eq 0 ]
