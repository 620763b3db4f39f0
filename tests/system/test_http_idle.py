"""Keep-alive connections between requests.

An HTTP connection waiting for its next request gives its transaction
state back (worker/http-txn.h, http_txn_park()) and takes a new one when
the next request comes. What must survive that, through the real binary:

1. Two requests on one connection 0.4 s apart, both through the server:
   one log line each, the second with %Ti (idle time) of at least 350 ms,
   its own captures (request header, cookie) and unique id, and the
   destination address back to the connection's after the first request's
   set-dst; the server connection is reused (one connection at the origin).
2. The idle connection is listed by "show sess" and "shutdown session"
   closes it; no log line for it.
3. timeout http-keep-alive closes an idle connection without a log line,
   after about the timeout, not the client timeout.
4. Two pipelined requests sent at once are both answered, in order.
5. Soft stop (SIGUSR1) closes an idle connection at once.
"""
import os
import re
import signal
import socket
import sys
import threading
import time

from halyard_test import UdpSink, check, cli, free_port, start_proxy, summary, wait_for

HALYARD = os.environ.get("HALYARD")

CONFIG = """
global
    stats socket {sock} level admin
    log 127.0.0.1:{udp} local0

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    timeout http-keep-alive 1s
    log global

frontend fe
    bind 127.0.0.1:{port}
    unique-id-format id-%rt
    log-format "tag=%hr cc=%CC id=%ID ti=%Ti st=%ST fi=%fi r=%{{+Q}}r"
    capture request header x-tag len 20
    capture cookie c= len 20
    http-request set-dst ipv4(10.1.2.3) if {{ req.hdr(x-setdst) -m found }}
    default_backend origin

backend origin
    server o 127.0.0.1:{oport}
"""


class Origin:
    """Keep-alive HTTP server counting its connections and requests."""

    def __init__(self):
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind(("127.0.0.1", 0))
        self.s.listen(64)
        self.port = self.s.getsockname()[1]
        self.conns = 0
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            c, _ = self.s.accept()
            self.conns += 1
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        buf = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
                while b"\r\n\r\n" in buf:
                    head, buf = buf.split(b"\r\n\r\n", 1)
                    path = head.split(b" ")[1]
                    c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s"
                              % (len(path), path))
        except OSError:
            pass
        c.close()


def request(path, tag, cookie=None, extra=""):
    return ("GET %s HTTP/1.1\r\nHost: t\r\nX-Tag: %s\r\n%s%s\r\n"
            % (path, tag, "Cookie: c=%s\r\n" % cookie if cookie else "", extra)).encode()


def read_response(c, buf=b""):
    """One response from <c> (content-length framed): (body, rest)."""
    while b"\r\n\r\n" not in buf:
        d = c.recv(65536)
        if not d:
            return None, buf
        buf += d
    head, rest = buf.split(b"\r\n\r\n", 1)
    n = int(re.search(rb"(?i)content-length: *(\d+)", head).group(1))
    while len(rest) < n:
        d = c.recv(65536)
        if not d:
            return None, rest
        rest += d
    return rest[:n], rest[n:]


def closed_within(c, limit):
    """Seconds until the peer closed <c> (None if not within <limit>)."""
    t0 = time.time()
    c.settimeout(limit)
    try:
        d = c.recv(1)
    except (socket.timeout, ConnectionResetError):
        return None if not isinstance(sys.exc_info()[1], ConnectionResetError) else 0
    return time.time() - t0 if d == b"" else None


def fields(line):
    return dict(re.findall(r"(\w+)=(\"[^\"]*\"|\S+)", line))


def main():
    if not HALYARD:
        print("HALYARD not set")
        sys.exit(2)
    udp, origin, port = UdpSink(), Origin(), free_port()
    proc, sock, err = start_proxy(HALYARD, CONFIG, port=port, udp=udp.port, oport=origin.port)
    try:
        # 1. two requests with an idle time between them
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(request("/one", "first", "a1", "X-Setdst: 1\r\n"))
        b1, rest = read_response(c)
        time.sleep(0.4)
        c.sendall(request("/two", "second", "b2"))
        b2, rest = read_response(c, rest)
        check("both answered", (b1, b2) == (b"/one", b"/two"), (b1, b2))
        udp.wait_for(2, 5)
        lines = [fields(x.decode(errors="replace")) for x in udp.lines]
        check("one line per request", len(lines) == 2, udp.lines)
        if len(lines) == 2:
            a, b = lines
            check("captures of each request", (a["tag"], a["cc"], b["tag"], b["cc"]) ==
                  ("{first}", "c=a1", "{second}", "c=b2"), (a, b))
            check("unique ids differ", a["id"] != b["id"] and b["id"].startswith("id-"), (a, b))
            check("idle time of the second", int(b["ti"]) >= 350 and int(a["ti"]) < 350, (a, b))
            check("set-dst for the first request only",
                  (a["fi"], b["fi"]) == ("10.1.2.3", "127.0.0.1"), (a, b))
            check("request lines", (a["r"], b["r"]) ==
                  ('"GET /one HTTP/1.1"', '"GET /two HTTP/1.1"'), (a, b))
        check("server connection reused", origin.conns == 1, origin.conns)

        # 2. show sess lists the idle connection; shutdown session closes it
        me = c.getsockname()[1]
        ours = [x for x in cli(sock, "show sess").splitlines() if ":%d " % me in x]
        check("show sess lists the idle connection", len(ours) == 1, ours)
        if ours:
            cli(sock, "shutdown session %s" % ours[0].split(":")[0])
            check("shutdown session closes it", closed_within(c, 2) is not None)
        c.close()

        # 3. keep-alive timeout, no log line for the idle close
        n0 = len(udp.lines)
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(request("/ka", "ka"))
        body, _ = read_response(c)
        t = closed_within(c, 5)
        check("keep-alive timeout closes", t is not None and 0.7 < t < 2.5, t)
        c.close()
        time.sleep(0.3)
        check("no line for an idle close", len(udp.lines) == n0 + 1, udp.lines[n0:])

        # 4. pipelined requests
        c = socket.create_connection(("127.0.0.1", port), timeout=5)
        c.sendall(request("/p1", "p1") + request("/p2", "p2"))
        b1, rest = read_response(c)
        b2, rest = read_response(c, rest)
        check("pipelined requests in order", (b1, b2) == (b"/p1", b"/p2"), (b1, b2))

        # 5. soft stop closes the idle connection at once
        proc.send_signal(signal.SIGUSR1)
        t = closed_within(c, 3)
        check("soft stop closes an idle connection", t is not None and t < 1.5, t)
        c.close()
        check("stops", wait_for(lambda: proc.poll() is not None, 5))
    finally:
        if proc.poll() is None:
            proc.kill()
        proc.wait()
        udp.close()
        err.seek(0)
        e = err.read()
        check("no sanitizer report", "Sanitizer" not in e and "runtime error" not in e, e[-2000:])
    summary()


main()
