#!/usr/bin/env python3
"""HTTP/1.1 integrity under load: 10,000 requests over 100 keep-alive
client connections, with bodies of random sizes and framings in both
directions, must all arrive intact and in order.

Started by tests/system/run.sh with HALYARD=<binary> (works the same with
HAProxy 2.6: HALYARD=/usr/sbin/haproxy). Python 3 standard library only.

The proxy runs one HTTP frontend and a roundrobin backend of two origins
written here (threaded, keep-alive, Content-Length and chunked on both
sides). Each of the 100 client threads keeps ONE connection open and sends
100 requests on it, one after the other:
  - method POST (with a body) or GET (without);
  - request body of a random size (mostly small, some up to 512 KiB),
    framed with Content-Length or chunked (random chunk sizes), sent in one
    or several writes;
  - the expected response size, framing and content seed are given in
    request headers; the response body is a slice of a shared random block
    chosen by that seed, so the client knows exactly what must come back.
The origin checks each request body against the SHA-256 the client put in
a header and answers 500 on a mismatch; the client checks status, request
id echo, response body bytes, and that its connection was never closed.

Cases (one ok/FAIL line each):
  all_requests_answered     10,000 responses received (none missing)
  request_bodies_intact     every request body reached an origin unaltered
  response_bodies_intact    every response body reached the client unaltered
  responses_in_order        each response matched its own request (id echo)
  client_keepalive_held     no client connection was closed by the proxy
  both_origins_used         the roundrobin backend used both origins
  within_time               everything done within the time budget

Seed: random unless HTTP_INTEGRITY_SEED is set; it is printed so a failure
can be replayed. The whole file is bounded (watchdog at 55 s).
"""
import hashlib
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port

HALYARD = os.environ.get("HALYARD")
CONNECTIONS = 100
REQUESTS_PER_CONNECTION = 100
BUDGET = 45.0          # seconds for the load itself
WATCHDOG = 55.0        # seconds for the whole file
BLOCK = random.Random(1).randbytes(1 << 20) * 2  # 2 MiB: any 1 MiB slice fits
IO_TIMEOUT = 15.0
threading.stack_size(512 * 1024)


def body_slice(seed, size):
    off = seed % (1 << 20)
    return BLOCK[off:off + size]


def random_size(rng):
    r = rng.random()
    if r < 0.15:
        return 0
    if r < 0.70:
        return rng.randint(1, 2048)
    if r < 0.95:
        return rng.randint(2049, 64 * 1024)
    return rng.randint(64 * 1024 + 1, 512 * 1024)


class Reader:
    """Buffered reads of HTTP/1.1 messages from a socket."""

    def __init__(self, sock):
        self.s = sock
        self.buf = bytearray()

    def _fill(self):
        d = self.s.recv(262144)
        if not d:
            raise EOFError("connection closed by peer")
        self.buf += d

    def line(self):
        while True:
            i = self.buf.find(b"\r\n")
            if i >= 0:
                ln = bytes(self.buf[:i])
                del self.buf[:i + 2]
                return ln
            self._fill()

    def exact(self, n):
        while len(self.buf) < n:
            self._fill()
        b = bytes(self.buf[:n])
        del self.buf[:n]
        return b

    def head(self):
        first = self.line()
        while first == b"":
            first = self.line()
        hdrs = {}
        while True:
            ln = self.line()
            if not ln:
                return first, hdrs
            name, _, value = ln.partition(b":")
            hdrs.setdefault(name.strip().lower().decode(), []).append(value.strip().decode())

    def body(self, hdrs):
        if "chunked" in ",".join(hdrs.get("transfer-encoding", [])).lower():
            parts = []
            while True:
                size = int(self.line().split(b";")[0], 16)
                if size == 0:
                    while self.line():  # trailers, if any
                        pass
                    return b"".join(parts)
                parts.append(self.exact(size))
                if self.exact(2) != b"\r\n":
                    raise ValueError("chunk not followed by CRLF")
        n = int(hdrs.get("content-length", ["0"])[0])
        return self.exact(n)


def chunk_encode(rng, data):
    out = []
    pos = 0
    while pos < len(data):
        n = min(len(data) - pos, rng.randint(1, 40000))
        out.append(b"%x\r\n" % n)
        out.append(data[pos:pos + n])
        out.append(b"\r\n")
        pos += n
    out.append(b"0\r\n\r\n")
    return b"".join(out)


# --------------------------------------------------------------------------
# Origins
# --------------------------------------------------------------------------

class Origin:
    def __init__(self, name):
        self.name = name
        self.lsn = socket.socket()
        self.lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsn.bind(("127.0.0.1", 0))
        self.lsn.listen(256)
        self.port = self.lsn.getsockname()[1]
        self.requests = 0
        self.bad_bodies = []
        self.lock = threading.Lock()
        threading.Thread(target=self.accept_loop, daemon=True).start()

    def accept_loop(self):
        while True:
            try:
                c, _ = self.lsn.accept()
            except OSError:
                return
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        c.settimeout(IO_TIMEOUT)
        rd = Reader(c)
        try:
            while True:
                try:
                    first, hdrs = rd.head()
                except (EOFError, OSError):
                    return
                body = rd.body(hdrs)
                rid = hdrs.get("x-req-id", ["?"])[0]
                want = hdrs.get("x-body-sha256", [""])[0]
                ok = hashlib.sha256(body).hexdigest() == want
                with self.lock:
                    self.requests += 1
                    if not ok:
                        self.bad_bodies.append("%s: %d bytes, %r" % (rid, len(body), first))
                seed = int(hdrs.get("x-resp-seed", ["0"])[0])
                size = int(hdrs.get("x-resp-size", ["0"])[0])
                rng = random.Random(seed)
                payload = body_slice(seed, size)
                status = b"200 OK" if ok else b"500 Bad Body"
                head = [b"HTTP/1.1 " + status,
                        b"X-Req-Id: " + rid.encode(),
                        b"X-Origin: " + self.name.encode()]
                if hdrs.get("x-resp-chunked", ["0"])[0] == "1":
                    head.append(b"Transfer-Encoding: chunked")
                    data = chunk_encode(rng, payload)
                else:
                    head.append(b"Content-Length: %d" % len(payload))
                    data = payload
                msg = b"\r\n".join(head) + b"\r\n\r\n" + data
                if len(msg) > 4096 and rng.random() < 0.3:
                    cut = rng.randint(1, len(msg) - 1)
                    c.sendall(msg[:cut])
                    c.sendall(msg[cut:])
                else:
                    c.sendall(msg)
        except Exception as e:  # reported through the client's checks
            with self.lock:
                self.bad_bodies.append("origin error: %r" % e)
        finally:
            c.close()


# --------------------------------------------------------------------------
# Clients
# --------------------------------------------------------------------------

class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.answered = 0
        self.bad_status = []
        self.bad_resp_body = []
        self.out_of_order = []
        self.closed = []
        self.errors = []
        self.origins = set()


def client(idx, port, seed, stats, deadline):
    rng = random.Random(seed * 1000003 + idx)
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=IO_TIMEOUT)
    except OSError as e:
        with stats.lock:
            stats.errors.append("conn %d: connect: %r" % (idx, e))
        return
    s.settimeout(IO_TIMEOUT)
    rd = Reader(s)
    try:
        for n in range(REQUESTS_PER_CONNECTION):
            if time.monotonic() > deadline:
                with stats.lock:
                    stats.errors.append("conn %d: out of time at request %d" % (idx, n))
                return
            rid = "%d-%d" % (idx, n)
            post = rng.random() < 0.75
            body = body_slice(rng.randrange(1 << 20), random_size(rng)) if post else b""
            chunked_req = post and rng.random() < 0.4
            resp_seed = rng.randrange(1 << 30)
            resp_size = random_size(rng)
            resp_chunked = rng.random() < 0.4
            head = [b"%s /obj/%s?n=%d HTTP/1.1" % (b"POST" if post else b"GET", rid.encode(), n),
                    b"Host: integrity.test",
                    b"X-Req-Id: " + rid.encode(),
                    b"X-Body-Sha256: " + hashlib.sha256(body).hexdigest().encode(),
                    b"X-Resp-Seed: %d" % resp_seed,
                    b"X-Resp-Size: %d" % resp_size,
                    b"X-Resp-Chunked: %d" % resp_chunked]
            if chunked_req:
                head.append(b"Transfer-Encoding: chunked")
                data = chunk_encode(rng, body)
            elif post:
                head.append(b"Content-Length: %d" % len(body))
                data = body
            else:
                data = b""
            msg = b"\r\n".join(head) + b"\r\n\r\n" + data
            if len(msg) > 4096 and rng.random() < 0.3:
                cut = rng.randint(1, len(msg) - 1)
                s.sendall(msg[:cut])
                s.sendall(msg[cut:])
            else:
                s.sendall(msg)

            try:
                first, hdrs = rd.head()
                rbody = rd.body(hdrs)
            except EOFError:
                with stats.lock:
                    stats.closed.append("conn %d closed before response %d" % (idx, n))
                return
            with stats.lock:
                stats.answered += 1
                stats.origins.update(hdrs.get("x-origin", []))
                if not first.startswith(b"HTTP/1.1 200"):
                    stats.bad_status.append("%s: %r" % (rid, first))
                if hdrs.get("x-req-id", [None])[0] != rid:
                    stats.out_of_order.append("%s: got %r" % (rid, hdrs.get("x-req-id")))
                if rbody != body_slice(resp_seed, resp_size):
                    stats.bad_resp_body.append("%s: %d bytes, expected %d" % (rid, len(rbody), resp_size))
                if "close" in ",".join(hdrs.get("connection", [])).lower():
                    stats.closed.append("%s: 'connection: close' from the proxy" % rid)
                    return
    except Exception as e:
        with stats.lock:
            stats.errors.append("conn %d: %r" % (idx, e))
    finally:
        s.close()


# --------------------------------------------------------------------------

CONFIG = """defaults
    mode http
    timeout connect 2s
    timeout client 20s
    timeout server 20s
    timeout http-keep-alive 20s

frontend fe
    bind 127.0.0.1:{fe}
    default_backend be

backend be
    balance roundrobin
    server o1 127.0.0.1:{o1}
    server o2 127.0.0.1:{o2}
"""


def wait_port(port, proc, timeout=5.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if proc.poll() is not None:
            return False
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.5).close()
            return True
        except OSError:
            time.sleep(0.05)
    return False


def first(items, n=5):
    return "; ".join(items[:n]) + (" (+%d more)" % (len(items) - n) if len(items) > n else "")


def main():
    if not HALYARD or not os.access(HALYARD, os.X_OK):
        print("HALYARD must point to the binary under test", file=sys.stderr)
        return 2
    seed = int(os.environ.get("HTTP_INTEGRITY_SEED") or random.randrange(1 << 31))
    print("seed %d (replay with HTTP_INTEGRITY_SEED=%d)" % (seed, seed), flush=True)

    tmp = tempfile.mkdtemp(prefix="halyard-http-integrity-")
    o1, o2 = Origin("o1"), Origin("o2")
    fe = free_port()
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(fe=fe, o1=o1.port, o2=o2.port))
    log = open(os.path.join(tmp, "log"), "wb")
    proc = subprocess.Popen([HALYARD, "-f", cfg], stdin=subprocess.DEVNULL,
                            stdout=log, stderr=subprocess.STDOUT)

    def watchdog():
        print("FAIL watchdog: the file took longer than %.0f s" % WATCHDOG, flush=True)
        proc.kill()
        os._exit(1)
    timer = threading.Timer(WATCHDOG, watchdog)
    timer.daemon = True
    timer.start()
    try:
        if not wait_port(fe, proc):
            log.flush()
            with open(os.path.join(tmp, "log"), "rb") as f:
                out = f.read().decode(errors="replace")
            check("start", False, "proxy not listening:\n" + out[-2000:])
            return summary()
        stats = Stats()
        t0 = time.monotonic()
        deadline = t0 + BUDGET
        threads = [threading.Thread(target=client, args=(i, fe, seed, stats, deadline))
                   for i in range(CONNECTIONS)]
        for t in threads:
            t.start()
        for t in threads:
            t.join(max(0.1, deadline + 2 - time.monotonic()))
        elapsed = time.monotonic() - t0
        total = CONNECTIONS * REQUESTS_PER_CONNECTION
        with stats.lock, o1.lock, o2.lock:
            print("%d responses in %.1f s; origins served %d + %d requests"
                  % (stats.answered, elapsed, o1.requests, o2.requests), flush=True)
            check("all_requests_answered", stats.answered == total,
                  "%d of %d; errors: %s" % (stats.answered, total, first(stats.errors)))
            bad_req = o1.bad_bodies + o2.bad_bodies
            check("request_bodies_intact", not bad_req and not stats.bad_status,
                  "origin saw: %s; statuses: %s" % (first(bad_req), first(stats.bad_status)))
            check("response_bodies_intact", not stats.bad_resp_body, first(stats.bad_resp_body))
            check("responses_in_order", not stats.out_of_order, first(stats.out_of_order))
            check("client_keepalive_held", not stats.closed, first(stats.closed))
            check("both_origins_used", stats.origins == {"o1", "o2"}, repr(stats.origins))
            check("within_time", elapsed < BUDGET and not any(t.is_alive() for t in threads),
                  "%.1f s" % elapsed)
    finally:
        timer.cancel()
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
