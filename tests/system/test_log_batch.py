"""Batched datagram log lines (worker/log.c: per-thread batches sent with
sendmmsg at the end of each loop turn).

1. A burst of 5,000 requests over 50 keep-alive connections at once, two
   worker threads, one httplog line each to a UDP receiver: every line
   arrives, once, as its own datagram, the lines of each connection in the
   order of its requests, and nothing is counted as dropped.
2. Soft stop: 20 requests wait for a slow origin when SIGUSR1 comes; they
   complete, the process exits on its own, and the line of each of them
   reached the receiver (the last lines a thread batched before the exit
   are not lost).
"""
import os
import re
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import UdpSink, check, cli, free_port, summary

HALYARD = os.environ.get("HALYARD")
CONNS = 50
PER_CONN = 100
STOP_CONNS = 20

CONFIG = """
global
    nbthread 2
    stats socket {sock} level admin
    log 127.0.0.1:{udp} local0

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    log global
    option httplog

frontend fe
    bind 127.0.0.1:{port}
    default_backend origin

backend origin
    server o 127.0.0.1:{oport}
{origin}
"""

LOCAL_ORIGIN = """
listen origin_srv
    bind 127.0.0.1:{oport}
    no log
    http-request return status 200 content-type text/plain string ok
"""

REQ = re.compile(rb'"GET /c(\d+)/r(\d+) HTTP/1\.1"\n$')


def start(tmp, udp, oport, origin):
    sock = os.path.join(tmp, "stats.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    port = free_port()
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, udp=udp, port=port, oport=oport,
                              origin=origin.format(oport=oport)))
    proc = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, sock, port


def read_response(f):
    """Reads one HTTP/1.1 response from file <f>; returns its status."""
    status = f.readline()
    length = 0
    while True:
        h = f.readline()
        if h in (b"\r\n", b""):
            break
        if h.lower().startswith(b"content-length:"):
            length = int(h.split(b":")[1])
    f.read(length)
    return int(status.split()[1]) if status else 0


def client(port, c, n, results):
    """<n> keep-alive requests /c<c>/r<i> in turn; counts the 200s."""
    ok = 0
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=20)
        f = s.makefile("rb")
        for i in range(n):
            s.sendall(f"GET /c{c}/r{i} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
            if read_response(f) == 200:
                ok += 1
        s.close()
    except OSError:
        pass
    results[c] = ok


def run_clients(port, conns, per_conn):
    results = {}
    ts = [threading.Thread(target=client, args=(port, c, per_conn, results))
          for c in range(conns)]
    for t in ts:
        t.start()
    for t in ts:
        t.join()
    return sum(results.values())


def parse(lines):
    """{connection: [request numbers in arrival order]}, and the datagrams
    that are not exactly one well-formed line."""
    per_conn, bad = {}, 0
    for d in lines:
        m = REQ.search(d)
        if not m or d.count(b"\n") != 1:
            bad += 1
            continue
        per_conn.setdefault(int(m.group(1)), []).append(int(m.group(2)))
    return per_conn, bad


def dropped(sock):
    m = re.search(r"^DroppedLogs: (\d+)$", cli(sock, "show info"), re.M)
    return int(m.group(1)) if m else -1


def phase_burst(tmp):
    sink = UdpSink()
    proc, sock, port = start(tmp, sink.port, free_port(), LOCAL_ORIGIN)
    total = CONNS * PER_CONN
    try:
        ok = run_clients(port, CONNS, PER_CONN)
        check("burst: all requests answered", ok == total, f"{ok}/{total}")
        got = sink.wait_for(total)
        check("burst: one datagram per request", got == total, f"{got} lines")
        per_conn, bad = parse(sink.lines)
        check("burst: each datagram is one httplog line", bad == 0, f"{bad} bad")
        wrong = [c for c in range(CONNS) if per_conn.get(c) != list(range(PER_CONN))]
        check("burst: every connection's lines arrive in request order", not wrong,
              f"{len(wrong)} connections, e.g. {wrong[:1]}: "
              f"{per_conn.get(wrong[0])[:20] if wrong and wrong[0] in per_conn else None}")
        check("burst: nothing dropped", dropped(sock) == 0, str(dropped(sock)))
    finally:
        proc.terminate()
        proc.wait()
        sink.close()


class SlowOrigin:
    """An HTTP origin that answers each request after <delay> seconds."""

    def __init__(self, delay):
        self.delay = delay
        self.ls = socket.socket()
        self.ls.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(64)
        self.port = self.ls.getsockname()[1]
        self.arrived = 0
        self.lock = threading.Lock()
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        f = c.makefile("rb")
        try:
            while True:
                line = f.readline()
                if not line:
                    break
                while f.readline() not in (b"\r\n", b""):
                    pass
                with self.lock:
                    self.arrived += 1
                time.sleep(self.delay)
                c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except OSError:
            pass
        c.close()


def phase_soft_stop(tmp):
    sink = UdpSink()
    origin = SlowOrigin(0.5)
    proc, sock, port = start(tmp, sink.port, origin.port, "")
    try:
        results = {}
        ts = [threading.Thread(target=client, args=(port, c, 1, results))
              for c in range(STOP_CONNS)]
        for t in ts:
            t.start()
        end = time.time() + 5
        while origin.arrived < STOP_CONNS and time.time() < end:
            time.sleep(0.01)
        check("soft stop: the requests reached the origin", origin.arrived == STOP_CONNS,
              str(origin.arrived))
        proc.send_signal(signal.SIGUSR1)
        for t in ts:
            t.join()
        ok = sum(results.values())
        check("soft stop: the requests in flight completed", ok == STOP_CONNS,
              f"{ok}/{STOP_CONNS}")
        try:
            rc = proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            rc = None
        check("soft stop: the process exited by itself", rc == 0, str(rc))
        got = sink.wait_for(STOP_CONNS, limit=5)
        per_conn, bad = parse(sink.lines)
        check("soft stop: the line of every request in flight arrived",
              got == STOP_CONNS and bad == 0 and sorted(per_conn) == list(range(STOP_CONNS)),
              f"{got} lines, {bad} bad")
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        sink.close()


def main():
    tmp = tempfile.mkdtemp()
    phase_burst(tmp)
    phase_soft_stop(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
