"""Server connections closed between transactions end with a reset.

When a client closes after its request (Connection: close) while the
server connection is kept alive, the proxy closes that idle server
connection. Like haproxy 2.6, Halyard resets it (SO_LINGER 0) instead of
closing it gracefully: nothing is left to say on it, and the proxy then
keeps no TIME_WAIT entry per request, which by the thousand slows down the
connect() calls that look for a free port.

50 requests, each on its own client connection: the origin (keep-alive)
sees each of its connections end with a reset (haproxy may reuse some of
them, so their number is not checked; haproxy ends one or two with a FIN at
times, so nine in ten are asked of it), the proxy holds no
TIME_WAIT socket towards the origin afterwards, and every request got its
answer. The same is checked on haproxy when it is installed.
"""
import os
import shutil
import socket
import subprocess
import sys
import threading
import time

from halyard_test import check, free_port, start_proxy, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy")
                                      else None)
N = 50

CONFIG = """
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    option http-keep-alive
frontend fe
    bind 127.0.0.1:{port}
    default_backend be
backend be
    http-reuse safe
    server o 127.0.0.1:{oport}
"""


class Origin:
    """A keep-alive origin that records how each connection ended."""

    def __init__(self):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(128)
        self.port = self.srv.getsockname()[1]
        self.ends = []
        self.conns = []
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        buf = b""
        c.settimeout(10)
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    self.ends.append("fin")
                    return
                buf += d
                while b"\r\n\r\n" in buf:
                    _, _, buf = buf.partition(b"\r\n\r\n")
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok")
        except ConnectionResetError:
            self.ends.append("reset")
        except OSError as e:
            self.ends.append(repr(e))
        finally:
            c.close()


def time_waits(oport):
    out = subprocess.run(["ss", "-tanH", "state", "time-wait", "dst", f"127.0.0.1:{oport}"],
                         capture_output=True, text=True, timeout=10).stdout
    return len([x for x in out.splitlines() if x.strip()])


def run(binary, name):
    origin = Origin()
    port = free_port()
    proc, sock, err = start_proxy(binary, CONFIG, port=port, oport=origin.port)
    answered = 0
    try:
        for _ in range(N):
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(b"GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            c.close()
            answered += data.startswith(b"HTTP/1.1 200") and data.endswith(b"ok")
        end = time.time() + 5
        while len(origin.ends) < len(origin.conns) and time.time() < end:
            time.sleep(0.05)
        tw = time_waits(origin.port)
    finally:
        proc.terminate()
        proc.wait(10)
    check(f"{name}: every request answered", answered == N, answered)
    resets = origin.ends.count("reset")
    if name == "haproxy":  # the reference: it ends one or two in 50 with a FIN at times
        check(f"{name}: the origin saw most of its connections end with a reset",
              origin.ends and resets >= len(origin.ends) * 9 // 10,
              f"{len(origin.ends)} connections: {resets} resets")
    else:
        check(f"{name}: the origin saw each of its connections end with a reset",
              origin.ends and resets == len(origin.ends),
              f"{len(origin.ends)} connections: {sorted(set(origin.ends))}")
    check(f"{name}: no TIME_WAIT towards the origin", tw == 0, tw)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    run(HALYARD, "halyard")
    if HAPROXY:
        run(HAPROXY, "haproxy")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
