#!/usr/bin/env bash
# Benchmark: Halyard and Debian's haproxy measured in the same run, with the
# same configuration, reported as halyard/haproxy ratios; in the HTTP
# scenarios Debian's nginx runs as well, with an equivalent configuration,
# and halyard/nginx ratios are added.  A measuring tool, not a test: slow
# numbers never make it fail.
#
#   tests/bench/run.sh [scenario...]        (default: tcp-bulk tcp-connrate)
#
# Scenarios
#   tcp-bulk-splice     one connection, the origin streams 1 GiB to the client
#                       through the proxy, `option splice-auto`
#   tcp-bulk-splice-forced  the same with `option splice-request` and
#                       `option splice-response` (haproxy 2.6's splice-auto
#                       heuristic does not splice this stream; this one does)
#   tcp-bulk-nosplice   the same without any splice option
#   tcp-bulk            the three above
#   tcp-connrate        10 s of short connections (connect, send 64 B, read
#                       the 64 B reply, close), 64 in flight
#   tcp-upload-splice, tcp-upload-splice-forced, tcp-upload-nosplice,
#   tcp-upload          (not in the default run): the client streams 1 GiB
#                       to the origin
#   http-ka             (not in the default run) HTTP/1.1 keep-alive, 100 B
#                       responses, wrk with 64 connections for 10 s
#   http-close          the same with one request per connection
#                       (wrk -H 'Connection: close')
#   http-1m             1 MiB responses over keep-alive
#   http-ka-latency     latency of http-ka's requests at a fixed rate: a
#                       quarter of the slowest proxy's http-ka requests/s
#                       (build/bench/httprate instead of wrk; http-ka runs
#                       first)
#   http                the four above
#   http-acl-1k, http-acl-100k  (not in the default run) http-ka where every
#                       request is checked against a list of N networks
#                       (src -f / nginx geo) and N host names (req.hdr(host)
#                       -i -f / nginx map) that never match: lookup cost
#                       against list size
#   http-acl            the two above
#   http-idle           (not in the default run) keep-alive
#                       connections (BENCH_IDLE_CONNS, 8,000 by default)
#                       opened, one request each (answered by
#                       the proxy itself), then held idle: proxy memory per
#                       idle connection from its RSS before and while idle
#   http-srv4-rr, http-srv1k-rr, http-srv4-lc, http-srv1k-lc  (not in the
#                       default run) http-ka with 4 or 1,000 servers (all on
#                       the origin's address), roundrobin or leastconn
#   http-servers        the four above
#   http-rules          (not in the default run) http-ka through 50 ACLs on
#                       the path, header rewrites both ways and a lookup in
#                       a 10,000-entry map on each request
#   http-log            (not in the default run) http-ka with one log line
#                       per request sent over UDP (httplog; nginx: its
#                       combined access log over syslog)
#   http-log-targets    (not in the default run) halyard and haproxy, each
#                       on http-ka logging to nowhere (no log line: the
#                       reference), an httplog line per request to a UDP
#                       socket nobody reads, and to a unix datagram socket
#                       nobody reads (stuck: its queue fills, lines are
#                       dropped); ratios are <proxy>-<target>/<proxy>
#   http-log-targets-latency  (not in the default run) the same targets at
#                       http-ka-latency's fixed rate (httprate): achieved
#                       rate, latency percentiles, CPU per request
#   https-ka            (not in the default run) http-ka over TLS (ECDSA
#                       P-256 certificate, X25519 only): one handshake per
#                       connection, then keep-alive requests
#   https-resume        one request per connection over TLS, each handshake
#                       resumed with the session ticket the client keeps
#   https-full-ecdsa, https-full-rsa  one request per connection, each a
#                       full handshake (tickets and session cache off),
#                       ECDSA P-256 or RSA-2048 certificate
#   https               the four above
#   reload              (not in the default run; tests/bench/reload.py)
#                       master-worker mode on a 1,000-proxy configuration:
#                       time from `reload` on the master CLI to the new
#                       worker serving, the master's and the new worker's
#                       CPU time, failed requests meanwhile (halyard and
#                       haproxy; RELOAD_PROXIES, RELOAD_TIMES, RELOAD_ROUNDS)
#   all                 every scenario, reload included
#
# Reported per scenario: MB/s, connections/s or requests/s, proxy CPU time
# (utime+stime of the proxy's processes from /proc/<pid>/stat) per GiB, per
# connection or per request, how busy the proxy CPU was, and the errors the
# client counted; for HTTP also wrk's latency percentiles at full load and
# the proxy's peak RSS.  A proxy that refuses its configuration (Halyard
# without `mode http`, say) is reported "not runnable"; the others still run.
#
# What it does
#   1. builds build/halyard if missing (packaging/build.sh normal); runs
#      packaging/install-deps.sh if haproxy, nginx, wrk or cc is missing
#   2. compiles tests/bench/origin.c, load.c and httprate.c with `cc -O2`
#      into build/bench/ (when the source is newer than the binary)
#   3. hands over to tests/bench/bench.py, which takes build/bench/.lock (a
#      second run waits for the first: they would disturb each other), writes
#      the proxies' configurations to
#      build/bench/runs/<date>-<time>/<scenario>.<proxy>.cfg, has each proxy
#      check them, runs the rounds (halyard, haproxy[, nginx], halyard, ...),
#      prints the table and writes
#      it to build/bench/results-<date>-<time>.md; proxy output goes to
#      build/bench/runs/<date>-<time>/logs/
#
# Knobs (environment)
#   BENCH_ROUNDS=3             rounds per proxy and scenario
#   BENCH_BULK_BYTES=1073741824  bytes per bulk/upload connection
#   BENCH_CONNRATE_SECONDS=10  duration of one connrate round
#   BENCH_CONNRATE_CONNS=64    connections in flight during connrate
#   BENCH_NBTHREAD=1           nbthread of both proxies
#   BENCH_PIN=1                0: no taskset pinning
#   BENCH_PROXY_CPUS=0         CPU list for the proxy (taskset -c)
#   BENCH_LOAD_CPUS=1          CPU list for the origin and the load client
#   BENCH_SOURCES=8            connrate client source addresses 127.0.0.1..N
#   BENCH_HTTP_SECONDS=10      duration of one HTTP round (wrk -d)
#   BENCH_HTTP_CONNS=64        wrk connections (wrk -c)
#   BENCH_WRK_THREADS=1        wrk threads (wrk -t)
#   BENCH_HTTP_SMALL_BYTES=100 response body of http-ka and http-close
#   BENCH_HTTP_LARGE_BYTES=1048576  response body of http-1m
#   BENCH_LATENCY_PERCENT=25   http-ka-latency's rate, in % of the slowest
#                              proxy's median http-ka requests/s
#   BENCH_LATENCY_RATE=0       if set, http-ka-latency's rate in requests/s
#   BENCH_QUIET_WAIT=0         before each round wait up to N s for other
#                              processes to go quiet (shared machines)
#   BENCH_LOCK_WAIT=900        how long to wait for another run to finish
#   HALYARD_BIN=build/halyard  HAPROXY_BIN=$(command -v haproxy)
#   NGINX_BIN=$(command -v nginx)  WRK_BIN=$(command -v wrk)
#
# Exit status: 0 when every measurement was taken, whatever the numbers and
# the client-side error counts, and Halyard rows "not runnable" because its
# configuration check says a feature is "not supported yet"; 1 when the
# benchmark could not run or some measurement could not be taken (build
# failure, a proxy that does not start, dies or refuses its configuration
# for another reason); 2 on a bad argument.
#
# The default run (4 scenarios x 3 rounds x 2 proxies) takes about 2 minutes;
# `http` (4 scenarios x 3 rounds x 3 proxies x 10 s) about 7 minutes.
# Run it on an otherwise idle machine: the bench prints a note when the load
# average says otherwise.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/../.."

say() { printf 'bench: %s\n' "$*" >&2; }

if ! command -v haproxy >/dev/null 2>&1 && [ ! -x /usr/sbin/haproxy ] ||
	! command -v nginx >/dev/null 2>&1 && [ ! -x /usr/sbin/nginx ] ||
	! command -v wrk >/dev/null 2>&1 ||
	! command -v cc >/dev/null 2>&1 || ! command -v python3 >/dev/null 2>&1 ||
	! command -v taskset >/dev/null 2>&1; then
	say "haproxy, nginx, wrk, cc, python3 or taskset missing: running packaging/install-deps.sh"
	packaging/install-deps.sh
fi

HALYARD_BIN=${HALYARD_BIN:-build/halyard}
if [ ! -x "$HALYARD_BIN" ]; then
	if [ "$HALYARD_BIN" != build/halyard ]; then
		say "HALYARD_BIN=$HALYARD_BIN is not an executable"
		exit 1
	fi
	say "build/halyard missing: building it"
	packaging/build.sh normal >&2 || { say "build failed"; exit 1; }
fi
HAPROXY_BIN=${HAPROXY_BIN:-$(command -v haproxy 2>/dev/null || echo /usr/sbin/haproxy)}
if [ ! -x "$HAPROXY_BIN" ]; then
	say "haproxy not found (HAPROXY_BIN=$HAPROXY_BIN)"
	exit 1
fi
# nginx and wrk are needed by the HTTP scenarios only: bench.py says so if
# one of them is missing when it needs it
NGINX_BIN=${NGINX_BIN:-$(command -v nginx 2>/dev/null || echo /usr/sbin/nginx)}
WRK_BIN=${WRK_BIN:-$(command -v wrk 2>/dev/null || true)}
[ -x "$NGINX_BIN" ] || NGINX_BIN=
[ -n "$WRK_BIN" ] && [ -x "$WRK_BIN" ] || WRK_BIN=

mkdir -p build/bench
for tool in origin load httprate idleconns; do
	src=tests/bench/$tool.c bin=build/bench/$tool
	if [ ! -x "$bin" ] || [ "$src" -nt "$bin" ]; then
		say "compiling $src"
		cc -O2 -Wall -Wextra -Werror -o "$bin" "$src" || { say "cannot compile $src"; exit 1; }
	fi
done

# "reload" is measured by reload.py, every other scenario by bench.py
args=() reload=0
for a in "$@"; do
	case "$a" in
	reload) reload=1 ;;
	all) reload=1 args+=("$a") ;;
	*) args+=("$a") ;;
	esac
done
rc=0
if [ ${#args[@]} -gt 0 ] || [ "$reload" -eq 0 ]; then
	python3 -B tests/bench/bench.py \
		--halyard="$(realpath "$HALYARD_BIN")" --haproxy="$(realpath "$HAPROXY_BIN")" \
		--nginx="${NGINX_BIN:+$(realpath "$NGINX_BIN")}" --wrk="${WRK_BIN:+$(realpath "$WRK_BIN")}" \
		--origin="$PWD/build/bench/origin" --load="$PWD/build/bench/load" \
		--httprate="$PWD/build/bench/httprate" --idleconns="$PWD/build/bench/idleconns" \
		${args[@]+"${args[@]}"} || rc=$?
fi
if [ "$reload" -eq 1 ]; then
	python3 -B tests/bench/reload.py --halyard="$(realpath "$HALYARD_BIN")" \
		--haproxy="$(realpath "$HAPROXY_BIN")" || rc=1
fi
exit "$rc"
