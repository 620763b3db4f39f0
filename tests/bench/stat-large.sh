#!/usr/bin/env bash
# Benchmark of "show stat" on a large configuration: how long Halyard and
# Debian's haproxy take to answer it for STAT_SERVERS servers (spread over
# STAT_BACKENDS backends), and what it does to traffic meanwhile. A
# measuring tool, not a test: numbers never make it fail.
#
#   tests/bench/stat-large.sh
#
# For each proxy (nbthread STAT_NBTHREAD): an HTTP frontend in front of
# build/bench/origin (http mode, 100-byte bodies), then
#   1. the time of STAT_ROUNDS "show stat" (CSV) and "show stat json"
#      answers, read whole over the stats socket, median reported;
#   2. wrk (-t1 -c20 for STAT_SECONDS) on the frontend, once alone and once
#      while a client asks "show stat" back to back: requests per second
#      and the latency p99 and maximum of both runs.
# The table is printed and written to build/bench/stat-large-<date>.md.
#
# Knobs: STAT_SERVERS=10000 STAT_BACKENDS=100 STAT_ROUNDS=5 STAT_SECONDS=5
#        STAT_NBTHREAD=2 (1 puts all the traffic on the thread that answers
#        the CLI; with 2, how many connections share it varies by run)
#        HALYARD_BIN=build/halyard HAPROXY_BIN=$(command -v haproxy)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

say() { printf 'stat-large: %s\n' "$*" >&2; }

SERVERS=${STAT_SERVERS:-10000}
BACKENDS=${STAT_BACKENDS:-100}
ROUNDS=${STAT_ROUNDS:-5}
SECS=${STAT_SECONDS:-5}
NBTHREAD=${STAT_NBTHREAD:-2}
HALYARD_BIN=${HALYARD_BIN:-build/halyard}
HAPROXY_BIN=${HAPROXY_BIN:-$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)}
for b in "$HALYARD_BIN" "$HAPROXY_BIN"; do
	[ -x "$b" ] || { say "$b is not an executable (see HALYARD_BIN, HAPROXY_BIN)"; exit 1; }
done
command -v wrk >/dev/null || { say "wrk is missing: packaging/install-deps.sh"; exit 1; }

mkdir -p build/bench
origin=build/bench/origin
if [ ! -x "$origin" ] || [ tests/bench/origin.c -nt "$origin" ]; then
	cc -O2 -Wall -Wextra -Werror -o "$origin" tests/bench/origin.c
fi
tmp=$(mktemp -d)
pids=()
cleanup() {
	for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
	rm -rf "$tmp"
}
trap cleanup EXIT

free_port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
p_origin=$(free_port)
"$origin" -p "$p_origin" -m http -n 100 >/dev/null &
pids+=($!)

# config <sock> <port>: one frontend, BACKENDS backends of SERVERS in all
config() {
	python3 - "$1" "$2" "$p_origin" "$SERVERS" "$BACKENDS" "$NBTHREAD" <<'EOF'
import sys
sock, port, origin, servers, backends = sys.argv[1], sys.argv[2], sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
nbthread = int(sys.argv[6])
out = [f"global\n    stats socket {sock} level admin\n    nbthread {nbthread}\n    maxconn 1000",
       "defaults\n    mode http\n    timeout connect 2s\n    timeout client 10s\n    timeout server 10s",
       f"frontend fe\n    bind 127.0.0.1:{port}\n    default_backend live",
       f"backend live\n    server o 127.0.0.1:{origin}"]
per = servers // backends
for b in range(backends):
    out.append(f"backend b{b}")
    out += [f"    server s{i} 127.0.0.{1 + i % 200}:{20000 + i}" for i in range(per)]
print("\n".join(out))
EOF
}

# answer_ms <sock> <cmd>: median time of ROUNDS whole answers, in ms
answer_ms() {
	python3 - "$1" "$2" "$ROUNDS" <<'EOF'
import socket, sys, time
sock, cmd, rounds = sys.argv[1], sys.argv[2], int(sys.argv[3])
ts, size = [], 0
for _ in range(rounds):
    t = time.time()
    s = socket.socket(socket.AF_UNIX); s.connect(sock); s.sendall(cmd.encode() + b"\n")
    size = 0
    while True:
        d = s.recv(1 << 20)
        if not d:
            break
        size += len(d)
    s.close()
    ts.append((time.time() - t) * 1000)
ts.sort()
print(f"{ts[len(ts) // 2]:.0f} {size}")
EOF
}

# wrk_run <port>: "req/s p99_ms max_ms"
wrk_run() {
	wrk -t1 -c20 -d"${SECS}s" --latency "http://127.0.0.1:$1/" 2>/dev/null | awk '
		/Requests\/sec/ {rps=$2}
		/^ +99%/ {p99=$2}
		/Latency/ && !lat {max=$4; lat=1}
		END {print rps, p99, max}'
}

hammer() { # asks "show stat" back to back until killed
	while :; do echo "show stat" | socat -t 5 - "UNIX-CONNECT:$1" >/dev/null 2>&1 || sleep 0.05; done
}

rows=()
for name in halyard haproxy; do
	bin=$HALYARD_BIN
	[ "$name" = haproxy ] && bin=$HAPROXY_BIN
	sock=$tmp/$name.sock port=$(free_port)
	config "$sock" "$port" >"$tmp/$name.cfg"
	"$bin" -db -f "$tmp/$name.cfg" >/dev/null 2>&1 &
	pid=$!
	pids+=($pid)
	for _ in $(seq 100); do [ -S "$sock" ] && break; sleep 0.1; done
	sleep 1
	read -r csv_ms csv_b < <(answer_ms "$sock" "show stat")
	read -r json_ms json_b < <(answer_ms "$sock" "show stat json")
	rss=$(awk '/VmRSS/ {print int($2 / 1024)}' "/proc/$pid/status")
	read -r rps0 p990 max0 < <(wrk_run "$port")
	hammer "$sock" &
	hp=$!
	read -r rps1 p991 max1 < <(wrk_run "$port")
	kill "$hp" 2>/dev/null || true
	wait "$hp" 2>/dev/null || true
	kill "$pid"
	wait "$pid" 2>/dev/null || true
	rows+=("| $name | $csv_ms ms ($((csv_b / 1024)) KiB) | $json_ms ms ($((json_b / 1048576)) MiB) | $rss MiB | $rps0 / $p990 / $max0 | $rps1 / $p991 / $max1 |")
done

out=build/bench/stat-large-$(date +%Y%m%d-%H%M%S).md
{
	echo "show stat with $SERVERS servers in $BACKENDS backends, nbthread $NBTHREAD ($(nproc) CPUs), $(date -u +%Y-%m-%d)"
	echo
	echo "| proxy | show stat (CSV) | show stat json | RSS | traffic alone: req/s / p99 / max | while show stat runs: req/s / p99 / max |"
	echo "|---|---:|---:|---:|---:|---:|"
	printf '%s\n' "${rows[@]}"
} | tee "$out"
