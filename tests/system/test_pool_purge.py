"""Idle server connections: what each pool-purge-delay closes.

Every pool-purge-delay, the proxy closes half of the idle connections a
server holds beyond what it is estimated to need; the estimate follows the
most connections the server used at once (HAProxy 2.6's rule, shown in the
used_max and need_est columns of "show servers conn"). So:

1. steady: one keep-alive client alternating between two servers (each
   switch parks one connection and takes the other) keeps using the same
   two server connections across many purges, where closing half of the
   idle ones each time would reconnect after every purge;
2. surplus: eight connections opened by a burst and then left idle are
   all kept at the first purge, then closed over the following ones, and
   need_est, up to 8 after the burst, goes back to 0;
3. pool-purge-delay 0 keeps no idle connection: each switch of server
   opens a new one.

Each part runs on Halyard and, when it is installed, on haproxy.
"""
import contextlib
import os
import shutil
import socket
import sys
import threading
import time

from halyard_test import ThreadedServer, check, cli, free_port, start_proxy, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy")
                                      else None)
PURGE_MS = 200

CONFIG = """
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    option http-keep-alive
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    balance roundrobin
    http-reuse safe
    default-server pool-purge-delay {delay}
{servers}
"""


class Origin(ThreadedServer):
    """Keep-alive origin counting its connections; /slow answers after 0.4 s."""

    def __init__(self):
        self.conns = 0
        super().__init__(backlog=128)

    def accepted(self):
        self.conns += 1

    def serve(self, c):
        buf = b""
        c.settimeout(30)
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    return
                buf += d
                while b"\r\n\r\n" in buf:
                    head, _, buf = buf.partition(b"\r\n\r\n")
                    if head.startswith(b"GET /slow"):
                        time.sleep(0.4)
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except OSError:
            pass
        finally:
            c.close()


class Client:
    """One keep-alive client connection."""

    def __init__(self, port):
        self.c = socket.create_connection(("127.0.0.1", port), timeout=10)
        self.buf = b""

    def get(self, path="/"):
        self.c.sendall(f"GET {path} HTTP/1.1\r\nHost: x\r\n\r\n".encode())
        while b"\r\n\r\n" not in self.buf:
            d = self.c.recv(4096)
            if not d:
                return False
            self.buf += d
        head, _, rest = self.buf.partition(b"\r\n\r\n")
        while len(rest) < 2:
            d = self.c.recv(4096)
            if not d:
                return False
            rest += d
        self.buf = rest[2:]
        return head.startswith(b"HTTP/1.1 200")

    def close(self):
        self.c.close()


def conn_line(sock, srv):
    """(used_max, need_est, idle_cur) of server be/<srv> in show servers conn."""
    for ln in cli(sock, "show servers conn be").splitlines():
        f = ln.split()
        if f and f[0] == f"be/{srv}":
            return int(f[7]), int(f[8]), int(f[12])
    return None


@contextlib.contextmanager
def running(binary, nsrv, delay):
    """<binary> with <nsrv> servers on a new origin: yields (origin, stats
    socket, listening port), and stops both afterwards."""
    origin = Origin()
    servers = "\n".join(f"    server s{i} 127.0.0.1:{origin.port}" for i in range(1, nsrv + 1))
    port = free_port()
    proc, sock, _ = start_proxy(binary, CONFIG, port=port, delay=delay, servers=servers)
    try:
        yield origin, sock, port
    finally:
        proc.terminate()
        proc.wait(10)
        origin.srv.close()


def steady(binary, name):
    with running(binary, 2, PURGE_MS) as (origin, _, port):
        cl = Client(port)
        ok = n = 0
        t_end = time.time() + 8 * PURGE_MS / 1000
        while time.time() < t_end:
            ok += cl.get()
            n += 1
            time.sleep(0.02)
        cl.close()
    check(f"{name}: steady alternation, every request answered", ok == n, f"{ok}/{n}")
    check(f"{name}: the two server connections outlive 8 purges",
          origin.conns <= 3, f"{origin.conns} server connections for {n} requests")


def burst(port):
    """Eight clients at once, two requests each (the first one slow, so that
    eight server connections are open together), then gone: True per client
    whose requests were answered."""
    clients = [Client(port) for _ in range(8)]
    results = []
    ths = [threading.Thread(target=lambda cl=cl: results.append(cl.get("/slow") and cl.get()))
           for cl in clients]
    for t in ths:
        t.start()
    for t in ths:
        t.join(10)
    for cl in clients:
        cl.close()
    return results


def surplus(binary, name):
    with running(binary, 1, PURGE_MS) as (_, sock, port):
        results = burst(port)
        samples = []  # (time, (used_max, need_est, idle_cur))
        t_end = time.time() + 30 * PURGE_MS / 1000
        while time.time() < t_end:
            samples.append((time.time(), conn_line(sock, "s1")))
            if samples[-1][1] and samples[-1][1][2] == 0 and len(samples) > 5:
                break
            time.sleep(0.05)
    check(f"{name}: burst, 16 requests answered", results.count(True) == 8, results)
    idle = [v[2] for _, v in samples if v]
    need = [v[1] for _, v in samples if v]
    check(f"{name}: the burst left 8 idle connections", idle and max(idle) == 8, idle[:10])
    full = [t for t, v in samples if v and v[2] == 8]
    lasted = full[-1] - samples[0][0] if full else 0
    check(f"{name}: all 8 kept past the first purge", lasted >= PURGE_MS / 1000,
          f"8 idle for {lasted:.2f} s")
    check(f"{name}: the surplus is closed over the following purges",
          idle and idle[-1] == 0, idle[-5:])
    check(f"{name}: need_est follows the burst (8) and goes back to 0",
          need and max(need) == 8 and need[-1] == 0,
          f"max {max(need) if need else None}, last {need[-1] if need else None}")


def no_idle(binary, name):
    with running(binary, 2, 0) as (origin, _, port):
        cl = Client(port)
        ok = sum(cl.get() for _ in range(6))
        cl.close()
    check(f"{name}: pool-purge-delay 0, every request answered", ok == 6, ok)
    check(f"{name}: pool-purge-delay 0, a new server connection per switch",
          origin.conns == 6, origin.conns)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    runs = [(HALYARD, "halyard")] + ([(HAPROXY, "haproxy")] if HAPROXY else [])
    for binary, name in runs:
        steady(binary, name)
        surplus(binary, name)
        no_idle(binary, name)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
