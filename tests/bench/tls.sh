#!/usr/bin/env bash
# Full TLS handshakes per (wall clock) second, Halyard vs Debian's haproxy, same config:
#   tests/bench/tls.sh [halyard binary]     (default build/halyard)
# Certificates (ECDSA P-256, RSA-2048) are made in a temp dir; each run is
# `openssl s_time -new` for 5 s against a local "http-request return"
# frontend. Figures are ratios on a shared machine: indicative only.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."
bin=$(readlink -f "${1:-build/halyard}")
tmp=$(mktemp -d)
pids=()
trap 'kill "${pids[@]}" 2>/dev/null; rm -rf "$tmp"' EXIT
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=ec \
	-keyout "$tmp/ec.key" -out "$tmp/ec.crt" -days 2 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -subj /CN=rsa \
	-keyout "$tmp/rsa.key" -out "$tmp/rsa.crt" -days 2 2>/dev/null
cat "$tmp/ec.crt" "$tmp/ec.key" >"$tmp/ec.pem"
cat "$tmp/rsa.crt" "$tmp/rsa.key" >"$tmp/rsa.pem"
port=$((20000 + RANDOM % 20000))
config() { # <port base>
	cat <<CFG
global
    nbthread 1
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend fe
    bind 127.0.0.1:$1 ssl crt $tmp/ec.pem
    bind 127.0.0.1:$(($1 + 1)) ssl crt $tmp/rsa.pem
    http-request return status 200 content-type text/plain string ok
CFG
}
config "$port" >"$tmp/h.cfg"
config $((port + 10)) >"$tmp/p.cfg"
"$bin" -f "$tmp/h.cfg" & pids+=($!)
haproxy -f "$tmp/p.cfg" & pids+=($!)
sleep 1
rate() { # <port> <tls version flag>: connections per user second
	openssl s_time -connect "127.0.0.1:$1" -new -time 5 "$2" 2>/dev/null |
		awk '/connections in [0-9]+ real seconds/ {print $1 / $4; exit}'
}
for kind in ecdsa rsa; do
	off=0; [ "$kind" = rsa ] && off=1
	for v in -tls1_3 -tls1_2; do
		h=$(rate $((port + off)) $v)
		p=$(rate $((port + 10 + off)) $v)
		awk -v k="$kind" -v v="$v" -v h="$h" -v p="$p" \
			'BEGIN {printf "%-6s %-8s halyard %8.1f/s haproxy %8.1f/s ratio %.2f\n", k, v, h, p, p ? h / p : 0}'
	done
done
