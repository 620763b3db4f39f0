#!/usr/bin/env bash
# Config corpus checker:  tests/config/run.sh <binary>
#
# Runs `<binary> -c [args] -f <file>` on every file of the corpus, from the
# repo root: paths inside the configs are relative to the repo root (e.g.
# tests/config/files/x.lst), and @FILE@ below is the repo-relative path.
#
#   tests/config/valid/*.cfg    must exit 0 and print "Configuration file is valid"
#   tests/config/invalid/*.cfg  must exit 1 (or the expect-exit value)
#
# Expectation comments, in the leading comment block of a file:
#   # expect-exit: N          expected exit status (default 0 valid, 1 invalid)
#   # expect-stderr: <text>   fixed substring of stderr (repeatable; @FILE@ is
#                             replaced by the path given to -f)
#   # expect-stdout: <text>   same for stdout (repeatable)
#   # args: <extra args>      extra arguments inserted before -f (e.g. -dW)
#   # env: NAME=value         environment variable for this run (repeatable)
#
# A crash (exit >= 128, a timeout, or a sanitizer report) always fails.
# Prints one PASS/FAIL line per file, then "N passed, N failed".
set -uo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

[ $# -eq 1 ] || { echo "usage: $0 <binary>" >&2; exit 2; }
bin=$(readlink -f -- "$1") && [ -x "$bin" ] || { echo "config: $1 is not an executable" >&2; exit 2; }
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT

pass=0 fail=0

# check_file <file> <kind: valid|invalid>; prints PASS/FAIL.
check_file() {
	local f=$1 kind=$2 line key val rc status=0 e
	local exp_exit=1 errs=() outs=() args=() envs=() why=()
	[ "$kind" = valid ] && exp_exit=0 outs=("Configuration file is valid")
	# Leading block of comments and blank lines only.
	while IFS= read -r line || [ -n "$line" ]; do
		case "$line" in
		'#'*) ;;
		*[![:space:]]*) break ;;
		*) continue ;;
		esac
		[[ "$line" =~ ^#[[:space:]]*(expect-exit|expect-stderr|expect-stdout|args|env):[[:space:]]?(.*)$ ]] || continue
		key=${BASH_REMATCH[1]} val=${BASH_REMATCH[2]//@FILE@/$f}
		case "$key" in
		expect-exit) exp_exit=${val//[[:space:]]/} ;;
		expect-stderr) errs+=("$val") ;;
		expect-stdout) outs+=("$val") ;;
		args) read -ra e <<<"$val"; args+=("${e[@]}") ;;
		env) envs+=("$val") ;;
		esac
	done <"$f"

	env "${envs[@]}" timeout -k 5 60 "$bin" -c "${args[@]}" -f "$f" \
		>"$tmp/out" 2>"$tmp/err" </dev/null || status=$?
	rc=$status
	if [ "$rc" -eq 124 ] || [ "$rc" -ge 128 ]; then
		why+=("crashed or timed out (exit $rc)")
	elif [ "$rc" != "$exp_exit" ]; then
		why+=("exit $rc, expected $exp_exit")
	fi
	if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$tmp/err"; then
		why+=("sanitizer report")
	fi
	for e in "${errs[@]}"; do
		grep -qF -- "$e" "$tmp/err" || why+=("stderr lacks: $e")
	done
	for e in "${outs[@]}"; do
		grep -qF -- "$e" "$tmp/out" || why+=("stdout lacks: $e")
	done

	if [ ${#why[@]} -eq 0 ]; then
		pass=$((pass + 1))
		echo "PASS $f"
	else
		fail=$((fail + 1))
		echo "FAIL $f: ${why[0]}"
		for e in "${why[@]:1}"; do echo "     $e"; done
		# Show what the binary said, trimmed.
		sed -e 's/^/     stdout| /' "$tmp/out" | head -n 20
		sed -e 's/^/     stderr| /' "$tmp/err" | head -n 40
	fi
}

shopt -s nullglob
for f in tests/config/valid/*.cfg; do check_file "$f" valid; done
for f in tests/config/invalid/*.cfg; do check_file "$f" invalid; done
echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
