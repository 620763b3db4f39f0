#!/usr/bin/env bash
# System test: how configuration files are found and loaded, and the command
# line options around check mode.
#   -f DIR (only visible *.cfg files, C lexical order), several -f, "--"
#   file lists, -C, ${.FILE}/${.LINE} and HAPROXY_CFGFILES, -cc exit codes,
#   -v/-vv, -q, -dW, and the NOTICE preamble shown before alerts.
# Runs with HALYARD=<binary> (set by tests/system/run.sh); prints
# "N passed, N failed" and exits non-zero when a check fails.
set -uo pipefail

bin=${HALYARD:?HALYARD must point to the binary}
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
pass=0 fail=0

ok() { pass=$((pass + 1)); echo "ok   $1"; }
ko() {
	fail=$((fail + 1))
	echo "FAIL $1"
	[ -s "$tmp/out" ] && sed -e 's/^/     stdout| /' "$tmp/out" | head -n 20
	[ -s "$tmp/err" ] && sed -e 's/^/     stderr| /' "$tmp/err" | head -n 20
	return 0
}

# hl <args...>: runs the binary (bounded in time) with stdout/stderr in
# $tmp/out and $tmp/err; sets $rc.
hl() {
	rc=0
	timeout -k 5 30 "$bin" "$@" >"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
}

# expect <name> <exit> [out:<text> | err:<text> | !out:<text> | !err:<text>]...
# checks the last run: exit status, then fixed substrings present or absent.
expect() {
	local name=$1 want=$2 spec file text
	shift 2
	if [ "$rc" -ge 124 ]; then
		ko "$name: crashed or timed out (exit $rc)"
		return
	fi
	if grep -qE 'ERROR: (Address|Leak|Memory|Thread)Sanitizer|runtime error:' "$tmp/err"; then
		ko "$name: sanitizer report"
		return
	fi
	if [ "$rc" != "$want" ]; then
		ko "$name: exit $rc, expected $want"
		return
	fi
	for spec in "$@"; do
		case "$spec" in
		'!out:'*) file=out text=${spec#!out:} ;;
		'!err:'*) file=err text=${spec#!err:} ;;
		out:*) file=out text=${spec#out:} ;;
		err:*) file=err text=${spec#err:} ;;
		*) ko "$name: bad spec '$spec'"; return ;;
		esac
		if [ "${spec:0:1}" = '!' ]; then
			if grep -qF -- "$text" "$tmp/$file"; then
				ko "$name: std$file has '$text'"
				return
			fi
		elif ! grep -qF -- "$text" "$tmp/$file"; then
			ko "$name: std$file lacks '$text'"
			return
		fi
	done
	ok "$name"
}

# ------------------------------------------------------------------ fixtures
mkdir -p "$tmp/conf.d" "$tmp/other" "$tmp/order" "$tmp/empty"
cd "$tmp" || exit 1

cat >conf.d/10-defaults.cfg <<'EOF'
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
EOF
cat >conf.d/20-listen.cfg <<'EOF'
listen app
    bind :18080
    server s1 127.0.0.1:18081
EOF
# Not loaded: hidden, other extension, and a directory named like a file.
printf 'this hidden file is never loaded\n' >conf.d/.hidden.cfg
printf 'neither is this one\n' >conf.d/30-backup.cfg.bak
printf 'nor this one\n' >conf.d/40-notes.conf
printf 'nor this one\n' >conf.d/CFG
mkdir conf.d/50-dir.cfg
printf 'nor a file inside a subdirectory\n' >conf.d/50-dir.cfg/inner.cfg

# C lexical order: "100-..." sorts before "20-..." and "B" before "a".
cat >order/20-second.cfg <<'EOF'
listen dup
    bind :18090
EOF
cat >order/100-first.cfg <<'EOF'
defaults
    timeout connect 5s
    timeout client 30s
    timeout server 30s
listen dup
    bind :18091
EOF
cat >order/a-fourth.cfg <<'EOF'
.notice "loading ${.FILE} line ${.LINE}"
EOF
cat >order/B-third.cfg <<'EOF'

.notice "loading ${.FILE} line ${.LINE}"
EOF

cat >other/warn.cfg <<'EOF'
listen no-timeouts
    bind :18100
    server s 127.0.0.1:18101
EOF
cat >other/bad.cfg <<'EOF'
global
    maxconn 10

    no-such-keyword
EOF
cat >other/files.cfg <<'EOF'
.notice "file=${.FILE} line=${.LINE}"
.if defined(HAPROXY_CFGFILES)
.notice "HAPROXY_CFGFILES is set while parsing"
.else
.notice "HAPROXY_CFGFILES is not set while parsing"
.endif
EOF

# ------------------------------------------------------------------ -f DIR
hl -c -f conf.d
expect "-f DIR loads its visible *.cfg files only" 0 "out:Configuration file is valid" \
	"!err:[WARNING]" "!err:[ALERT]"

hl -c -f order
expect "-f DIR uses C lexical order (100-first before 20-second)" 1 \
	"err:[order/20-second.cfg:1]" "err:proxy 'dup' has the same name as" \
	"err:'dup' declared at order/100-first.cfg:5." \
	"err:Error(s) found in configuration file : order/20-second.cfg" \
	"!err:Error(s) found in configuration file : order/100-first.cfg"

# order of the .notice lines: B-third (uppercase sorts first) then a-fourth
hl -c -f order
if grep -n 'loading order/' "$tmp/err" | sed -n '1s/.*loading \(order\/[^ ]*\) line \([0-9]*\).*/\1:\2/p' |
	grep -qx 'order/B-third.cfg:2' &&
	grep 'loading order/' "$tmp/err" | sed -n '2p' | grep -qF 'loading order/a-fourth.cfg line 1'; then
	ok "-f DIR: uppercase sorts before lowercase, \${.FILE}/\${.LINE} per file"
else
	ko "-f DIR: uppercase sorts before lowercase, \${.FILE}/\${.LINE} per file"
fi

hl -c -f empty -f conf.d -f empty
expect "-f on an empty directory adds no file" 0 "out:Configuration file is valid" "!err:[ALERT]"

hl -c -f empty
expect "-f on an empty directory alone: no file, usage (as HAProxy)" 1 "err:Usage :" \
	"out:version" "!err:[ALERT]"

hl -c
expect "no -f at all: usage" 1 "err:Usage :" "!err:[ALERT]"

# Only options that take a value consume the next argument: a last option
# without one is not "missing its argument".
hl -Z
expect "unknown option alone" 1 "err:Unknown option '-Z'." "err:Usage :" "!err:expects an argument"
hl -c -f conf.d -dM
expect "pending option after the files" 1 "err:Option '-dM' is not supported yet." \
	"!err:expects an argument"
hl -c -f
expect "valued option without its value" 1 "err:Option '-f' expects an argument."

hl -c -f "$tmp/nonexistent-dir"
expect "-f on a missing path fails" 1 \
	"err:Cannot open configuration file/directory $tmp/nonexistent-dir : No such file or directory"

# ------------------------------------------------------------------ several -f, --
hl -c -f conf.d/10-defaults.cfg -f conf.d/20-listen.cfg
expect "several -f are loaded in order (defaults apply to the next file)" 0 \
	"out:Configuration file is valid" "!err:missing timeouts"

hl -c -f conf.d/20-listen.cfg -f conf.d/10-defaults.cfg
expect "several -f: a later file's defaults do not apply to earlier proxies" 0 \
	"out:Warnings were found." "err:missing timeouts for " "err:'app'"

hl -c -f conf.d -f other/bad.cfg
expect "-f DIR mixed with -f FILE; errors name the file and line" 1 \
	"err:parsing [other/bad.cfg:4] : unknown keyword 'no-such-keyword' in 'global' section" \
	"err:Error(s) found in configuration file : other/bad.cfg"

hl -c -- conf.d/10-defaults.cfg conf.d/20-listen.cfg
expect "-- FILE... loads every following argument as a file" 0 "out:Configuration file is valid" \
	"!err:missing timeouts"

hl -c -f conf.d/10-defaults.cfg -- conf.d/20-listen.cfg other/bad.cfg
expect "-f then -- FILE...: all files are loaded" 1 "err:parsing [other/bad.cfg:4]"

hl -c -- conf.d
expect "-- DIR is expanded like -f DIR" 0 "out:Configuration file is valid"

# ------------------------------------------------------------------ HAPROXY_CFGFILES, ${.FILE}
rc=0
env -u HAPROXY_CFGFILES timeout -k 5 30 "$bin" -c -f other/files.cfg -f conf.d \
	>"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
expect "\${.FILE} and \${.LINE} in .notice; HAPROXY_CFGFILES not usable while parsing" 0 \
	"err:[NOTICE]" "err:parsing [other/files.cfg:1]" "err:file=other/files.cfg line=1" \
	"err:HAPROXY_CFGFILES is not set while parsing"

rc=0
env -u HAPROXY_CFGFILES timeout -k 5 30 "$bin" -cc 'defined(HAPROXY_CFGFILES)' \
	>"$tmp/out" 2>"$tmp/err" </dev/null || rc=$?
expect "-cc: HAPROXY_CFGFILES is not defined (no file loaded)" 1

# ------------------------------------------------------------------ -C
hl -C "$tmp" -c -f conf.d/10-defaults.cfg -f conf.d/20-listen.cfg
expect "-C DIR: relative -f paths are taken from DIR" 0 "out:Configuration file is valid"
(
	cd / && rc=0 && timeout -k 5 30 "$bin" -c -C "$tmp/conf.d" -f 10-defaults.cfg -f 20-listen.cfg \
		>"$tmp/out" 2>"$tmp/err" </dev/null
) || true
grep -qF "Configuration file is valid" "$tmp/out" && ok "-C DIR from another working directory" ||
	ko "-C DIR from another working directory"

hl -C "$tmp/nonexistent-dir" -c -f conf.d
expect "-C on a missing directory fails" 1 "err:[ALERT]" "err:nonexistent-dir"

# ------------------------------------------------------------------ -cc
hl -cc '1'
expect "-cc true condition exits 0" 0
hl -cc 'version_atleast(1.0) && feature(OPENSSL)'
expect "-cc true predicates exit 0" 0
hl -cc '0'
expect "-cc false condition exits 1" 1
hl -cc 'streq(a,b) || version_before(1.0)'
expect "-cc false predicates exit 1" 1
hl -cc 'no_such_predicate(1)'
expect "-cc unknown predicate exits 2" 2 "err:[ALERT]" "err:no_such_predicate"
hl -cc 'streq(a'
expect "-cc syntax error exits 2" 2 "err:[ALERT]"
hl -cc '"unterminated'
expect "-cc tokenizer error exits 2" 2 "err:[ALERT]"

# ------------------------------------------------------------------ -v, -vv
hl -v
expect "-v prints the version" 0 "out:Halyard version " "!err:[ALERT]"
hl -vv
expect "-vv prints the version and libraries" 0 "out:Halyard version " \
	"out:OpenSSL version" "out:PCRE2 version" "out:zlib version" "out:liburcu version" \
	"out:jemalloc version"

# ------------------------------------------------------------------ -q
hl -q -c -f conf.d
expect "-q: nothing printed for a valid configuration" 0
if [ -s "$tmp/out" ] || [ -s "$tmp/err" ]; then ko "-q: output is empty"; else ok "-q: output is empty"; fi

hl -q -c -f other/warn.cfg
expect "-q: warnings are silenced" 0 "!err:[WARNING]" "!err:[NOTICE]" "!out:Warnings were found."

hl -q -c -f other/bad.cfg
expect "-q: errors still fail" 1

# ------------------------------------------------------------------ -dW
hl -c -f other/warn.cfg
expect "a warning alone keeps check mode successful" 0 "out:Warnings were found." \
	"out:Configuration file is valid" "err:[WARNING]"

hl -c -dW -f other/warn.cfg
expect "-dW turns the warning into a failure" 1 "err:[WARNING]" \
	"err:Some warnings were found and 'zero-warning' is set. Aborting." \
	"!out:Configuration file is valid"

# ------------------------------------------------------------------ preamble
hl -c -f other/bad.cfg
expect "alerts exit 1" 1 "err:[NOTICE]" "err:halyard version is" "err:[ALERT]"
first_notice=$(grep -n 'halyard version is' "$tmp/err" | head -n 1 | cut -d: -f1)
first_alert=$(grep -n '\[ALERT\]' "$tmp/err" | head -n 1 | cut -d: -f1)
if [ -n "$first_notice" ] && [ -n "$first_alert" ] && [ "$first_notice" -lt "$first_alert" ]; then
	ok "the NOTICE preamble comes before the first alert"
else
	ko "the NOTICE preamble comes before the first alert"
fi
[ "$(grep -c 'halyard version is' "$tmp/err")" -eq 1 ] && ok "the preamble is shown once" ||
	ko "the preamble is shown once"

hl -c -f conf.d
expect "no preamble when there is nothing to report" 0 "!err:halyard version is"

echo "$pass passed, $fail failed"
[ "$fail" -eq 0 ]
