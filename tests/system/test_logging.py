"""Traffic logs under load.

1. 100,000 requests (h2load, keep-alive) with "option httplog" sent to a UDP
   syslog receiver: every request gives one line, and reading the lines
   with the field layout halog expects gives the same per-status counts as
   the requests got (about a third each of 200 proxied, 404 and 503 local).
2. The same (100,000 requests too) with a second target, a unix datagram
   socket nobody reads: the worker never waits for it (all requests
   complete, the UDP receiver still gets every line), the lines it could not
   take are counted in "show info" DroppedLogs, and lines kept + lines
   dropped = requests.
Throughput with and without logging is compared by tests/bench (http-log,
http-log-targets), not here.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from halyard_test import UdpSink, check, cli, free_port, summary

HALYARD = os.environ.get("HALYARD")
REQUESTS = 100000
SLOW_REQUESTS = 100000

CONFIG = """
global
    stats socket {sock} level admin
    log 127.0.0.1:{udp} local0
{extra_log}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    log global
    option httplog

frontend fe
    bind 127.0.0.1:{port}
    http-request return status 404 if {{ path /missing }}
    http-request return status 503 if {{ path /down }}
    default_backend origin

backend origin
    server o 127.0.0.1:{oport}

listen origin_srv
    bind 127.0.0.1:{oport}
    no log
    http-request return status 200 content-type text/plain string ok
"""

# halog's view of an httplog line: after the syslog header, fields are
# client, [date], frontend, backend/server, timers, status, bytes...
HTTPLOG = re.compile(
    r"^<\d+>\w{3} [ \d]\d [\d:]{8} [^ ]+\[\d+\]: "
    r"(?P<client>[\d.]+:\d+) \[(?P<date>[^\]]+)\] (?P<fe>\S+) (?P<be>\S+)/(?P<srv>\S+) "
    r"(?P<tq>-?\d+)/(?P<tw>-?\d+)/(?P<tc>-?\d+)/(?P<tr>-?\d+)/(?P<ta>\d+) "
    r"(?P<status>\d{3}) (?P<bytes>\d+) - - (?P<term>[-\w]{4}) "
    r"(?P<ac>\d+)/(?P<fc>\d+)/(?P<bc>\d+)/(?P<sc>\d+)/(?P<rc>\d+) (?P<sq>\d+)/(?P<bq>\d+) "
    r"\"(?P<req>[^\"]*)\"$")


def start(tmp, udp, extra_log=""):
    sock = os.path.join(tmp, "stats.sock")
    port, oport = free_port(), free_port()
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, udp=udp, extra_log=extra_log, port=port, oport=oport))
    proc = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, sock, port


def load(tmp, port, n):
    """Runs h2load over HTTP/1.1 on the three paths; returns its status counts."""
    uris = os.path.join(tmp, "uris")
    with open(uris, "w") as f:
        for p in ("/ok", "/missing", "/down"):
            f.write(f"http://127.0.0.1:{port}{p}\n")
    out = subprocess.run(["h2load", "--h1", "-n", str(n), "-c", "10", "-t", "1", "-i", uris],
                         capture_output=True, text=True, timeout=240).stdout
    m = re.search(r"status codes: (\d+) 2xx, (\d+) 3xx, (\d+) 4xx, (\d+) 5xx", out)
    done = re.search(r"requests: \d+ total, \d+ started, (\d+) done, (\d+) succeeded", out)
    return (tuple(int(x) for x in m.groups()) if m else None,
            int(done.group(1)) if done else -1, out)


def halog_counts(lines):
    """Per-status counts of the lines that parse as httplog lines."""
    counts, bad = {}, 0
    for raw in lines:
        m = HTTPLOG.match(raw.decode(errors="replace").rstrip("\n"))
        if not m or m.group("fe") != "fe":
            bad += 1
            continue
        counts[m.group("status")] = counts.get(m.group("status"), 0) + 1
    return counts, bad


def dropped(sock):
    m = re.search(r"^DroppedLogs: (\d+)$", cli(sock, "show info"), re.M)
    return int(m.group(1)) if m else -1


def phase_udp(tmp):
    sink = UdpSink()
    proc, sock, port = start(tmp, sink.port)
    try:
        status, done, out = load(tmp, port, REQUESTS)
        check("all requests done", done == REQUESTS, out[-600:])
        got = sink.wait_for(REQUESTS)
        check("one line per request", got == REQUESTS, f"{got} lines")
        counts, bad = halog_counts(sink.lines)
        check("every line has the httplog layout", bad == 0,
              f"{bad} bad, e.g. {sink.lines[0] if sink.lines else None}")
        sent = {"200": status[0], "404": status[2], "503": status[3]} if status else None
        check("per-status counts from the log match the requests", counts == sent,
              f"log {counts}, h2load {status}")
        check("each path was used", sent is not None and all(v > REQUESTS // 4 for v in
                                                                sent.values()), str(sent))
        check("nothing dropped", dropped(sock) == 0, str(dropped(sock)))
    finally:
        proc.terminate()
        proc.wait()
        sink.close()


def phase_slow_unix(tmp):
    sink = UdpSink()
    upath = os.path.join(tmp, "slow.sock")
    slow = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    slow.bind(upath)  # bound, never read during the load
    proc, sock, port = start(tmp, sink.port, f"    log {upath} format short local1")
    try:
        status, done, out = load(tmp, port, SLOW_REQUESTS)
        check("slow target: all requests done", done == SLOW_REQUESTS, out[-600:])
        got = sink.wait_for(SLOW_REQUESTS)
        check("slow target: the UDP target still gets every line", got == SLOW_REQUESTS,
              f"{got} lines")
        d = dropped(sock)
        check("slow target: dropped lines are counted", d > 0, str(d))
        slow.setblocking(False)
        kept = 0
        try:
            while slow.recv(65536):
                kept += 1
        except BlockingIOError:
            pass
        check("slow target: lines kept + dropped = requests", kept + d == SLOW_REQUESTS,
              f"{kept} kept + {d} dropped")
    finally:
        proc.terminate()
        proc.wait()
        sink.close()
        slow.close()


def main():
    tmp = tempfile.mkdtemp()
    phase_udp(tmp)
    phase_slow_unix(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
