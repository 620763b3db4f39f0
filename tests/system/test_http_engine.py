#!/usr/bin/env python3
"""HTTP engine behaviour seen from a raw origin: server connection reuse per
http-reuse and pool-max-conn, h1-case-adjust spelling on the wire, the
forwardfor header, and the idle keep-alive connections closed on soft stop.

The origin records every connection it accepts and the raw bytes of each
request head, so the test sees exactly what Halyard sent."""
import os
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from halyard_test import check, free_port, summary  # noqa: E402

HALYARD = os.environ.get("HALYARD", "build/halyard")


class Origin:
    """Keep-alive HTTP/1.1 origin: answers each request with a 2-byte body."""

    def __init__(self):
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        self.conns = 0
        self.heads = []
        self.lock = threading.Lock()
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns += 1
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def _serve(self, c):
        buf = b""
        while True:
            while b"\r\n\r\n" not in buf:
                try:
                    d = c.recv(65536)
                except OSError:
                    d = b""
                if not d:
                    c.close()
                    return
                buf += d
            head, buf = buf.split(b"\r\n\r\n", 1)
            with self.lock:
                self.heads.append(head)
            c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")

    def close(self):
        self.sock.close()


def start(cfg_text):
    """Starts Halyard on <cfg_text>; returns the process."""
    d = tempfile.mkdtemp(prefix="halyard-http-engine-")
    path = os.path.join(d, "cfg")
    with open(path, "w") as f:
        f.write(cfg_text)
    p = subprocess.Popen([HALYARD, "-db", "-f", path], stdout=subprocess.PIPE,
                         stderr=subprocess.STDOUT)
    return p


def wait_port(port, limit=5.0):
    end = time.time() + limit
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def request(port, path="/", extra=b"", keep=False):
    """One GET on a new connection; returns (status line, socket if kept)."""
    c = socket.create_connection(("127.0.0.1", port), timeout=3)
    c.sendall(b"GET " + path.encode() + b" HTTP/1.1\r\nHost: t\r\n" + extra + b"\r\n")
    data = b""
    while not data.endswith(b"ok"):
        d = c.recv(65536)
        if not d:
            break
        data += d
    if not keep:
        c.close()
        return data.split(b"\r\n", 1)[0], None
    return data.split(b"\r\n", 1)[0], c


def config(port, origin_port, backend_extra="", global_extra=""):
    return f"""global
    nbthread 1
{global_extra}
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 2s
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
{backend_extra}
    server s1 127.0.0.1:{origin_port}
"""


def reuse_case(name, backend_extra, expect_conns):
    """Two clients in a row, one request each: how many server connections?"""
    origin = Origin()
    port = free_port()
    p = start(config(port, origin.port, backend_extra))
    try:
        if not wait_port(port):
            check(name, False, "proxy not listening")
            return
        s1, _ = request(port)
        time.sleep(0.2)  # the first client is gone: its server connection is idle
        s2, _ = request(port)
        # a second request on a kept client connection may use the pool in safe mode
        ok = s1.endswith(b"200 OK") and s2.endswith(b"200 OK")
        check(name, ok and origin.conns == expect_conns,
              f"statuses {s1!r} {s2!r}, server connections {origin.conns}")
    finally:
        p.kill()
        p.wait()
        origin.close()


def case_adjust():
    origin = Origin()
    port = free_port()
    p = start(config(port, origin.port, "    option h1-case-adjust-bogus-server",
                     "    h1-case-adjust x-custom-name X-CUSTOM-Name"))
    try:
        wait_port(port)
        request(port, extra=b"x-custom-name: 1\r\nother-header: 2\r\n")
        head = origin.heads[-1] if origin.heads else b""
        check("h1-case-adjust spells the mapped name",
              b"\r\nX-CUSTOM-Name: 1" in head and b"\r\nother-header: 2" in head, repr(head))
    finally:
        p.kill()
        p.wait()
        origin.close()


def forwardfor_and_soft_stop():
    origin = Origin()
    port = free_port()
    p = start(config(port, origin.port, "    option forwardfor"))
    try:
        wait_port(port)
        st, c = request(port, keep=True)
        head = origin.heads[-1] if origin.heads else b""
        check("forwardfor adds the client address", b"\r\nx-forwarded-for: 127.0.0.1" in head,
              repr(head))
        p.send_signal(signal.SIGUSR1)  # soft stop: the idle connection is closed
        c.settimeout(3)
        try:
            closed = c.recv(100) == b""
        except OSError:
            closed = True
        check("soft stop closes an idle keep-alive connection", closed)
        c.close()
        try:
            p.wait(timeout=5)
            exited = True
        except subprocess.TimeoutExpired:
            exited = False
        check("soft stop then exits", exited)
    finally:
        p.kill()
        p.wait()
        origin.close()


def main():
    reuse_case("http-reuse always shares the idle server connection",
               "    http-reuse always", 1)
    reuse_case("http-reuse safe: a first request never takes a shared connection",
               "    http-reuse safe", 2)
    reuse_case("http-reuse never", "    http-reuse never", 2)
    reuse_case("pool-max-conn 0 keeps no idle connection",
               "    http-reuse always\n    default-server pool-max-conn 0", 2)
    case_adjust()
    forwardfor_and_soft_stop()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
