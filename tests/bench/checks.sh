#!/usr/bin/env bash
# Benchmark of health checks at rest: what 1,000 servers with `check inter
# 1s` cost Halyard and Debian's haproxy when no traffic flows.  A measuring
# tool, not a test: numbers never make it fail.
#
#   tests/bench/checks.sh [l4|tcp-check|both]      (default: l4)
#
#   l4          plain layer-4 checks (connect, then close)
#   tcp-check   `option tcp-check` with a single `tcp-check connect` rule,
#               which goes through the tcp-check engine
#
# Every server points at one local listener, build/bench/origin in `sink`
# mode (single-threaded epoll: accepts, reads until the peer closes, closes),
# so the proxy runs 1,000 checks per second.  For each proxy: start the
# origin and the proxy (`-db -f <cfg>`), wait CHECKS_WARMUP seconds (the
# first checks are spread over one interval), read utime+stime of the
# proxy's process from /proc/<pid>/stat, wait CHECKS_SECONDS, read them again.
# Reported: CPU time used as a percentage of one core and, as a sanity
# check, how many servers "show stat" shows UP with a passed check at the end
# of the window (the origin's accept count cannot tell: haproxy delays the
# last ACK of the handshake and resets its check connections before the
# server gets to accept them).
# The table is printed and written to build/bench/checks-<date>-<time>.md.
#
# Knobs (environment)
#   CHECKS_SERVERS=1000    servers in the backend
#   CHECKS_INTER=1s        their check interval
#   CHECKS_SECONDS=30      measured window
#   CHECKS_WARMUP=3        seconds before the window
#   CHECKS_NBTHREAD=1      nbthread of both proxies
#   BENCH_PIN=1            0: no taskset pinning
#   BENCH_PROXY_CPUS=0     CPU list of the proxy; BENCH_LOAD_CPUS=1 the origin's
#   HALYARD_BIN=build/halyard  HAPROXY_BIN=$(command -v haproxy)
#
# Exit status: 0 when every measurement was taken, 1 otherwise, 2 on a bad
# argument.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

say() { printf 'checks: %s\n' "$*" >&2; }

kinds=${1:-l4}
case "$kinds" in
l4 | tcp-check) ;;
both) kinds="l4 tcp-check" ;;
*) say "unknown scenario '$kinds' (l4, tcp-check or both)"; exit 2 ;;
esac

SERVERS=${CHECKS_SERVERS:-1000}
INTER=${CHECKS_INTER:-1s}
SECONDS_=${CHECKS_SECONDS:-30}
WARMUP=${CHECKS_WARMUP:-3}
NBTHREAD=${CHECKS_NBTHREAD:-1}
PIN=${BENCH_PIN:-1}
PROXY_CPUS=${BENCH_PROXY_CPUS:-0}
LOAD_CPUS=${BENCH_LOAD_CPUS:-1}
HALYARD_BIN=${HALYARD_BIN:-build/halyard}
HAPROXY_BIN=${HAPROXY_BIN:-$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)}
for b in "$HALYARD_BIN" "$HAPROXY_BIN"; do
	[ -x "$b" ] || { say "$b is not an executable (see HALYARD_BIN, HAPROXY_BIN)"; exit 1; }
done

mkdir -p build/bench
origin=build/bench/origin
if [ ! -x "$origin" ] || [ tests/bench/origin.c -nt "$origin" ]; then
	say "compiling tests/bench/origin.c"
	cc -O2 -Wall -Wextra -Werror -o "$origin" tests/bench/origin.c || exit 1
fi

stamp=$(date +%Y%m%d-%H%M%S)
rundir=build/bench/runs/checks-$stamp
mkdir -p "$rundir"
tck=$(getconf CLK_TCK)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	wait 2>/dev/null || true
}
trap cleanup EXIT

# free_port: a loopback port nobody listens on now.
free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

# pinned <cpus> <argv...>: runs the command, under taskset unless
# BENCH_PIN=0, in place of the (sub)shell that calls it, so that $! of
# "pinned ... &" is the command's own pid.
pinned() {
	local cpus=$1
	shift
	if [ "$PIN" = 1 ]; then exec taskset -c "$cpus" "$@"; else exec "$@"; fi
}

# checked_up <sock>: the servers UP whose last check passed (L4OK or L7OK).
checked_up() {
	python3 - "$1" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX)
s.settimeout(5)
s.connect(sys.argv[1])
s.sendall(b"show stat\n")
out = b""
while True:
    d = s.recv(65536)
    if not d:
        break
    out += d
lines = out.decode().splitlines()
cols = lines[0][2:].split(",")
n = 0
for line in lines[1:]:
    f = dict(zip(cols, line.split(",")))
    if f.get("svname") not in ("FRONTEND", "BACKEND", None) and f.get("status") == "UP" \
            and f.get("check_status", "").strip("* ") in ("L4OK", "L7OK"):
        n += 1
print(n)
PY
}

# cpu_ticks <pid>: utime+stime of the process, in clock ticks.
cpu_ticks() {
	# fields 14 and 15, counted after the ")" that ends the command name
	sed -e 's/^.*) //' "/proc/$1/stat" | awk '{ print $12 + $13 }'
}

# config <kind> <port> <origin port> <stats socket>: the configuration
# both proxies run.
config() {
	local kind=$1 port=$2 oport=$3 sock=$4 i
	printf '# checks.sh: %s, %s servers, check inter %s\n' "$kind" "$SERVERS" "$INTER"
	printf 'global\n    nbthread %s\n    maxconn 4000\n' "$NBTHREAD"
	printf '    stats socket %s level admin\n' "$sock"
	printf 'defaults\n    mode tcp\n    timeout connect 1s\n    timeout client 5s\n'
	printf '    timeout server 5s\n    timeout check 1s\n'
	printf 'frontend fe\n    bind 127.0.0.1:%s\n    default_backend be\n' "$port"
	printf 'backend be\n'
	if [ "$kind" = tcp-check ]; then
		printf '    option tcp-check\n    tcp-check connect\n'
	fi
	for ((i = 1; i <= SERVERS; i++)); do
		printf '    server s%d 127.0.0.1:%s check inter %s\n' "$i" "$oport" "$INTER"
	done
}

# measure <name> <binary> <kind>: prints "<cpu %> <servers checked UP>".
measure() {
	local name=$1 bin=$2 kind=$3 port oport cfg opid ppid t0 t1 c0 c1 up sock
	port=$(free_port)
	oport=$(free_port)
	cfg=$rundir/$kind.$name.cfg
	sock=$PWD/$rundir/$kind.$name.sock
	config "$kind" "$port" "$oport" "$sock" >"$cfg"
	"$bin" -c -f "$cfg" >"$rundir/$kind.$name.check" 2>&1 || {
		say "$name refuses $cfg (see $rundir/$kind.$name.check)"
		return 1
	}
	(pinned "$LOAD_CPUS" "$origin" -p "$oport" -m sink >/dev/null 2>"$rundir/$kind.$name.origin") &
	opid=$!
	pids+=("$opid")
	sleep 0.3
	(pinned "$PROXY_CPUS" "$bin" -db -f "$cfg" >"$rundir/$kind.$name.log" 2>&1) &
	ppid=$!
	pids+=("$ppid")
	sleep "$WARMUP"
	kill -0 "$ppid" 2>/dev/null || { say "$name died (see $rundir/$kind.$name.log)"; return 1; }
	c0=$(cpu_ticks "$ppid")
	t0=$(date +%s.%N)
	sleep "$SECONDS_"
	c1=$(cpu_ticks "$ppid")
	t1=$(date +%s.%N)
	up=$(checked_up "$sock" 2>/dev/null || echo "?")
	kill "$ppid"
	wait "$ppid" 2>/dev/null || true
	kill "$opid"
	wait "$opid" 2>/dev/null || true
	awk -v c0="$c0" -v c1="$c1" -v t0="$t0" -v t1="$t1" -v tck="$tck" -v up="$up" \
		'BEGIN { printf "%.2f %s\n", 100 * (c1 - c0) / tck / (t1 - t0), up }'
}

out=build/bench/checks-$stamp.md
{
	echo "# Health checks at rest: $SERVERS servers, check inter $INTER"
	echo
	echo "CPU time of the proxy over ${SECONDS_} s, as a percentage of one core"
	echo "(nbthread $NBTHREAD$([ "$PIN" = 1 ] && echo ", pinned to CPU $PROXY_CPUS"))."
	echo "Halyard: $("$HALYARD_BIN" -v | head -1)"
	echo "haproxy: $("$HAPROXY_BIN" -v | head -1)"
	echo
	echo "| scenario | halyard CPU | haproxy CPU | halyard servers checked UP | haproxy servers checked UP |"
	echo "|---|---|---|---|---|"
} >"$out"
status=0
for kind in $kinds; do
	say "$kind: halyard ($SECONDS_ s)"
	h=$(measure halyard "$HALYARD_BIN" "$kind") || { status=1; h="- -"; }
	say "$kind: haproxy ($SECONDS_ s)"
	x=$(measure haproxy "$HAPROXY_BIN" "$kind") || { status=1; x="- -"; }
	read -r hcpu hrate <<<"$h"
	read -r xcpu xrate <<<"$x"
	echo "| $kind | $hcpu % | $xcpu % | $hrate | $xrate |" >>"$out"
done
cat "$out"
say "written to $out (configurations and logs in $rundir)"
exit $status
