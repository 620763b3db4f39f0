"""Timing of health checks: "spread-checks" adds random jitter to each
interval (up to that percentage, either way), and "max-spread-checks"
bounds the delay over which the first checks of all servers are spread
(by default, their smallest interval of a second or more). Loopback HTTP
servers record when each check arrives. Runs against halyard, then
against /usr/sbin/haproxy when it is installed."""
import os
import re
import subprocess
import sys
import tempfile
import time

from halyard_test import ThreadedServer, check, summary, free_port

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"


class Peer(ThreadedServer):
    """A loopback HTTP server answering 200 to each check; records the
    monotonic time each connection came."""

    def __init__(self):
        self.times = []
        super().__init__()

    def accepted(self):
        self.times.append(time.monotonic())

    def serve(self, c):
        try:
            c.settimeout(1)
            data = b""
            while b"\r\n\r\n" not in data:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            c.sendall(b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n")
        except OSError:
            pass
        c.close()


def start(binary, tmp, glob, servers):
    """Runs <binary> with global lines <glob> and one httpchk backend whose
    servers are (peer, options); returns the process and its log path."""
    cfg, log = f"{tmp}/h.cfg", f"{tmp}/err.log"
    text = "".join(f"    server s{i} 127.0.0.1:{p.port} check {o}\n"
                   for i, (p, o) in enumerate(servers))
    open(cfg, "w").write(f"""global
{glob}
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{free_port()}
    default_backend app
backend app
    option httpchk
{text}""")
    errf = open(log, "w")
    return subprocess.Popen([binary, "-db", "-f", cfg], stdout=errf, stderr=errf), log


def stop(p, name, log):
    p.terminate()
    p.wait()
    text = open(log).read()
    check(f"{name}: no sanitizer report", not re.search(r"Sanitizer|runtime error:", text),
          text[-800:])


def intervals(binary, name, glob, inter, n=16):
    """Milliseconds between the first <n>+1 checks of one server."""
    tmp = tempfile.mkdtemp(prefix="halyard-spread-")
    peer = Peer()
    p, log = start(binary, tmp, glob, [(peer, f"inter {inter}")])
    end = time.monotonic() + (n + 2) * inter * 1.6 / 1000 + 3
    while len(peer.times) <= n and time.monotonic() < end:
        time.sleep(0.05)
    stop(p, name, log)
    t = peer.times[:n + 1]
    return [round((b - a) * 1000) for a, b in zip(t, t[1:])]


def run_jitter(binary, name):
    iv = intervals(binary, name, "    spread-checks 50", 300)
    check(f"{name}: spread-checks 50: 16 intervals measured", len(iv) == 16, iv)
    check(f"{name}: spread-checks 50: each interval within 300ms +/- 50%",
          iv and all(140 <= i <= 480 for i in iv), iv)
    check(f"{name}: spread-checks 50: the intervals vary", iv and max(iv) - min(iv) >= 90, iv)
    iv = intervals(binary, name, "    spread-checks 0", 300)
    check(f"{name}: without jitter, the intervals stay at 300ms",
          len(iv) == 16 and all(285 <= i <= 360 for i in iv), iv)


def first_checks(binary, name, glob):
    """How many of 5 servers with a 20s interval got a check within 1.5s
    of the first one."""
    tmp = tempfile.mkdtemp(prefix="halyard-spread-")
    peers = [Peer() for _ in range(5)]
    p, log = start(binary, tmp, glob, [(q, "inter 20s") for q in peers])
    end = time.monotonic() + 5
    while not any(q.times for q in peers) and time.monotonic() < end:
        time.sleep(0.02)
    t0 = min((q.times[0] for q in peers if q.times), default=time.monotonic())
    time.sleep(max(0, t0 + 1.5 - time.monotonic()))
    got = sum(1 for q in peers if q.times and q.times[0] <= t0 + 1.5)
    stop(p, name, log)
    return got


def run_max_spread(binary, name):
    got = first_checks(binary, name, "    max-spread-checks 500")
    check(f"{name}: max-spread-checks 500: the 5 first checks within 1.5s", got == 5, got)
    got = first_checks(binary, name, "    max-spread-checks 0")
    check(f"{name}: by default the first checks spread over 20s: 1 within 1.5s", got == 1, got)


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    bins = [(HALYARD, "halyard")]
    if os.access(HAPROXY, os.X_OK):
        bins.append((HAPROXY, "haproxy"))
    for b, name in bins:
        print(f"--- {name}")
        run_jitter(b, name)
        run_max_spread(b, name)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
