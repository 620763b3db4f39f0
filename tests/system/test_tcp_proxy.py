#!/usr/bin/env python3
"""System tests of the TCP proxy, end to end over loopback.

Started by tests/system/run.sh with HALYARD=<binary>. Python 3 standard
library only. Each case starts its own halyard process(es) with a generated
configuration on free loopback ports and small backends (threads) written
here, and checks what goes through byte for byte.

Cases:
  transfer_16mib          16 MiB each way, distinct random data, SHA-256,
                          with and without "option splice-auto"
  thousand_connections    1,000 connections open at once, unique payloads
  send_proxy_bytes        send-proxy / send-proxy-v2 headers, IPv4 and IPv6
  accept_proxy            accept-proxy v1/v2 in, v1/v2 out: the backend sees
                          the address given by the client's header
  consistent_hash         balance source + hash-type consistent: with the
                          5th of 5 servers disabled, no other key moves
  half_close              each side may shut its write side and still
                          receive what the other one sends afterwards
  connect_timeout         a server whose accept queue is full (SYNs
                          dropped) makes the client close after
                          "timeout connect"
  reset_and_hang          a server that resets and one that hangs do not
                          disturb a transfer on another connection
  slow_reader             a client that never reads does not stall the
                          others, and the proxy does not buffer without end
  frontend_maxconn        beyond the frontend's maxconn, connections wait
                          and are served once earlier ones close
  daemon_pidfile          -D -p: the launcher exits, the pidfile names the
                          serving process
  soft_stop_sigusr1       SIGUSR1: established connection finishes, new
                          ones are refused, then the process exits
  sigterm                 SIGTERM with a connection open: prompt exit

Prints one line per case and "N passed, N failed"; exits 1 on any failure.
"""
import hashlib
import os
import resource
import select
import shutil
import signal
import socket
import struct
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HALYARD = os.environ.get("HALYARD")
if not HALYARD or not os.access(HALYARD, os.X_OK):
    print("HALYARD must point to the halyard binary", file=sys.stderr)
    sys.exit(2)

TOTAL_BUDGET = 115.0  # seconds for the whole file
MIB = 1024 * 1024
TMP = tempfile.mkdtemp(prefix="halyard-tcp-")
PROCS = []  # every halyard process started, for the final cleanup
EXTRA_PIDS = []  # daemonised processes (not our children)
threading.stack_size(512 * 1024)


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# --------------------------------------------------------------------------
# Helpers
# --------------------------------------------------------------------------

def free_port(host="127.0.0.1"):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    with socket.socket(fam, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return s.getsockname()[1]


def recv_exact(sock, n, timeout=10.0):
    """Reads exactly n bytes (fails on EOF or timeout)."""
    sock.settimeout(timeout)
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(min(n - len(buf), 256 * 1024))
        if not chunk:
            raise Failure("EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def recv_until_eof(sock, timeout=10.0, limit=None):
    """Reads until EOF; returns (sha256 hexdigest, length)."""
    sock.settimeout(timeout)
    h = hashlib.sha256()
    n = 0
    while True:
        chunk = sock.recv(256 * 1024)
        if not chunk:
            return h.hexdigest(), n
        h.update(chunk)
        n += len(chunk)
        if limit is not None and n > limit:
            raise Failure("more than %d bytes received" % limit)


def recv_all_until_eof(sock, timeout=10.0):
    sock.settimeout(timeout)
    buf = bytearray()
    while True:
        chunk = sock.recv(65536)
        if not chunk:
            return bytes(buf)
        buf += chunk


def sha(data):
    return hashlib.sha256(data).hexdigest()


def connect(port, host="127.0.0.1", timeout=5.0, src=None):
    fam = socket.AF_INET6 if ":" in host else socket.AF_INET
    s = socket.socket(fam, socket.SOCK_STREAM)
    s.settimeout(timeout)
    if src is not None:
        s.bind((src, 0))
    s.connect((host, port))
    return s


def wait_for(pred, timeout, step=0.02):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def closed_by_peer(sock, timeout):
    """True if the peer closes (EOF or reset) within timeout, discarding
    any data still arriving."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


class Backend:
    """A threaded TCP server: handler(conn, backend) runs in a thread for
    every accepted connection; the connection is closed afterwards."""

    def __init__(self, handler, host="127.0.0.1", backlog=1024):
        fam = socket.AF_INET6 if ":" in host else socket.AF_INET
        self.sock = socket.socket(fam, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind((host, 0))
        self.sock.listen(backlog)
        self.host = host
        self.port = self.sock.getsockname()[1]
        self.handler = handler
        self.lock = threading.Lock()
        self.active = 0
        self.accepted = 0
        self.results = []  # free for handlers
        self.conns = []
        self.stopping = False
        self.thread = threading.Thread(target=self._loop, daemon=True)
        self.thread.start()

    @property
    def addr(self):
        return "[%s]:%d" % (self.host, self.port) if ":" in self.host else "%s:%d" % (
            self.host, self.port)

    def _loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.active += 1
                self.accepted += 1
                self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            conn.settimeout(30)
            self.handler(conn, self)
        except Exception:
            pass
        finally:
            with self.lock:
                self.active -= 1
            try:
                conn.close()
            except OSError:
                pass

    def add_result(self, r):
        with self.lock:
            self.results.append(r)

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


def echo_handler(conn, be):
    while True:
        data = conn.recv(65536)
        if not data:
            return
        conn.sendall(data)


class Halyard:
    """One halyard process with a generated configuration."""

    count = 0

    def __init__(self, body, global_lines=(), args=(), daemon=False):
        Halyard.count += 1
        self.name = "h%d" % Halyard.count
        self.dir = os.path.join(TMP, self.name)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "cfg")
        self.sock = os.path.join(self.dir, "stats.sock")
        self.log = os.path.join(self.dir, "log")
        self.pidfile = os.path.join(self.dir, "pid")
        glob = ["global", "    stats socket %s level admin" % self.sock]
        glob += ["    " + l for l in global_lines]
        with open(self.cfg, "w") as f:
            f.write("\n".join(glob) + "\n\n" + body + "\n")
        self.args = list(args)
        self.proc = None

    def start(self, ready=True):
        logf = open(self.log, "ab")
        self.proc = subprocess.Popen([HALYARD, "-f", self.cfg] + self.args,
                                     stdin=subprocess.DEVNULL, stdout=logf,
                                     stderr=subprocess.STDOUT)
        logf.close()
        PROCS.append(self.proc)
        if ready:
            self.wait_ready()
        return self

    def cli(self, cmd, timeout=2.0):
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.sock)
            s.sendall(cmd.encode() + b"\n")
            return recv_all_until_eof(s, timeout).decode(errors="replace")
        finally:
            s.close()

    def wait_ready(self, timeout=5.0):
        end = time.monotonic() + timeout
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise Failure("halyard exited (%s) at start-up:\n%s"
                              % (self.proc.returncode, self.log_tail()))
            try:
                if "Pid:" in self.cli("show info", 1.0):
                    return
            except OSError:
                pass
            time.sleep(0.05)
        raise Failure("halyard not ready after %.0fs:\n%s" % (timeout, self.log_tail()))

    def log_tail(self, n=20):
        try:
            with open(self.log, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join("    | " + l for l in lines[-n:])
        except OSError:
            return "    | (no log)"

    def stop(self):
        p = self.proc
        if p is None or p.poll() is not None:
            return
        p.terminate()
        try:
            p.wait(3)
        except subprocess.TimeoutExpired:
            p.kill()
            p.wait(3)


DEFAULTS = """defaults
    mode tcp
    timeout connect 2s
    timeout client 20s
    timeout server 20s
"""


# --------------------------------------------------------------------------
# PROXY protocol helpers
# --------------------------------------------------------------------------

PP2_SIG = b"\r\n\r\n\x00\r\nQUIT\n"


def pp_v1(src, sport, dst, dport):
    fam = "TCP6" if ":" in src else "TCP4"
    return ("PROXY %s %s %s %d %d\r\n" % (fam, src, dst, sport, dport)).encode()


def pp_v2(src, sport, dst, dport):
    if ":" in src:
        fam, af = 0x21, socket.AF_INET6
    else:
        fam, af = 0x11, socket.AF_INET
    addrs = socket.inet_pton(af, src) + socket.inet_pton(af, dst) + struct.pack(
        "!HH", sport, dport)
    return PP2_SIG + bytes([0x21, fam]) + struct.pack("!H", len(addrs)) + addrs


def read_proxy_header(conn):
    """Reads a PROXY header sent by the proxy; returns (version, raw bytes,
    (src, sport, dst, dport))."""
    first = recv_exact(conn, 1)
    if first == b"P":
        raw = bytearray(first)
        while not raw.endswith(b"\r\n"):
            raw += recv_exact(conn, 1)
            if len(raw) > 107:
                raise Failure("PROXY v1 line too long: %r" % bytes(raw))
        parts = raw[:-2].decode().split(" ")
        if len(parts) != 6 or parts[0] != "PROXY" or parts[1] not in ("TCP4", "TCP6"):
            raise Failure("bad PROXY v1 line %r" % bytes(raw))
        return 1, bytes(raw), (parts[2], int(parts[4]), parts[3], int(parts[5]))
    raw = first + recv_exact(conn, 15)
    check(raw[:12] == PP2_SIG, "no PROXY v2 signature: %r" % raw)
    check(raw[12] == 0x21, "PROXY v2 version/command byte 0x%02x, expected 0x21" % raw[12])
    fam = raw[13]
    length = struct.unpack("!H", raw[14:16])[0]
    rest = recv_exact(conn, length)
    if fam == 0x11:
        check(length >= 12, "PROXY v2 TCP4 block too short (%d)" % length)
        src = socket.inet_ntop(socket.AF_INET, rest[0:4])
        dst = socket.inet_ntop(socket.AF_INET, rest[4:8])
        sport, dport = struct.unpack("!HH", rest[8:12])
        tlv = rest[12:]
    elif fam == 0x21:
        check(length >= 36, "PROXY v2 TCP6 block too short (%d)" % length)
        src = socket.inet_ntop(socket.AF_INET6, rest[0:16])
        dst = socket.inet_ntop(socket.AF_INET6, rest[16:32])
        sport, dport = struct.unpack("!HH", rest[32:36])
        tlv = rest[36:]
    else:
        raise Failure("PROXY v2 family byte 0x%02x" % fam)
    # TLVs, if any, must tile the rest exactly
    i = 0
    while i < len(tlv):
        check(i + 3 <= len(tlv), "truncated PROXY v2 TLV")
        i += 3 + struct.unpack("!H", tlv[i + 1:i + 3])[0]
    check(i == len(tlv), "PROXY v2 TLVs do not tile the block")
    return 2, raw + rest, (src, sport, dst, dport)


def proxy_recorder(conn, be):
    """Backend: records the PROXY header and the payload (until EOF), then
    answers "ok" and closes."""
    try:
        hdr = read_proxy_header(conn)
    except Exception as e:  # recorded for the test to report
        be.add_result(("error", repr(e)))
        return
    payload = recv_all_until_eof(conn)
    be.add_result(("ok", hdr, payload))
    conn.sendall(b"ok")


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def t_transfer_16mib():
    size = 16 * MIB
    to_server = os.urandom(size)
    to_client = os.urandom(size)

    def handler(conn, be):
        got = {}

        def reader():
            got["r"] = recv_until_eof(conn, 30)

        t = threading.Thread(target=reader, daemon=True)
        t.start()
        conn.sendall(to_client)
        conn.shutdown(socket.SHUT_WR)
        t.join(40)
        be.add_result(got.get("r"))

    be = Backend(handler)
    p_plain, p_splice = free_port(), free_port()
    h = Halyard(DEFAULTS + """
listen plain
    bind 127.0.0.1:%d
    server s1 %s
listen spliced
    bind 127.0.0.1:%d
    option splice-auto
    server s1 %s
""" % (p_plain, be.addr, p_splice, be.addr), ["nbthread 2"]).start()
    try:
        for label, port in (("plain", p_plain), ("splice-auto", p_splice)):
            be.results.clear()
            c = connect(port)
            got = {}

            def reader():
                try:
                    got["r"] = recv_until_eof(c, 30)
                except Exception as e:
                    got["e"] = e

            t = threading.Thread(target=reader, daemon=True)
            t.start()
            c.sendall(to_server)
            c.shutdown(socket.SHUT_WR)
            t.join(40)
            c.close()
            check("e" not in got, "%s: client read failed: %r" % (label, got.get("e")))
            check(got.get("r") == (sha(to_client), size),
                  "%s: server->client data differ: got %r" % (label, got.get("r")))
            check(wait_for(lambda: be.results, 10), "%s: backend did not finish" % label)
            check(be.results[0] == (sha(to_server), size),
                  "%s: client->server data differ: backend got %r" % (label, be.results[0]))
    finally:
        h.stop()
        be.stop()


def t_thousand_connections():
    n = 1000
    be = Backend(echo_handler, backlog=2048)
    port = free_port()
    h = Halyard(DEFAULTS + """
listen fe
    bind 127.0.0.1:%d backlog 2048
    maxconn 3000
    server s1 %s
""" % (port, be.addr), ["maxconn 4000", "nbthread 2"]).start()
    socks = []
    try:
        for i in range(n):
            socks.append(connect(port))
        check(wait_for(lambda: be.active >= n, 15),
              "only %d of %d connections reached the backend" % (be.active, n))
        payloads = [b"%06d:" % i + os.urandom(2000 + (i * 37) % 3000) + b":%06d" % i
                    for i in range(n)]
        for s, p in zip(socks, payloads):
            s.sendall(p)
        got = [bytearray() for _ in range(n)]
        fdmap = {s.fileno(): i for i, s in enumerate(socks)}
        pending = set(range(n))
        for s in socks:
            s.setblocking(False)
        poller = select.poll()
        for s in socks:
            poller.register(s.fileno(), select.POLLIN)
        end = time.monotonic() + 20
        while pending and time.monotonic() < end:
            for fd, ev in poller.poll(200):
                i = fdmap[fd]
                try:
                    chunk = socks[i].recv(65536)
                except BlockingIOError:
                    continue
                if not chunk:
                    poller.unregister(fd)
                    pending.discard(i)
                    continue
                got[i] += chunk
                if len(got[i]) >= len(payloads[i]):
                    poller.unregister(fd)
                    pending.discard(i)
        bad = [i for i in range(n) if bytes(got[i]) != payloads[i]]
        check(not bad, "%d of %d connections got wrong or missing data (first: #%d, "
              "%d of %d bytes)" % (len(bad), n, bad[0] if bad else -1,
                                   len(got[bad[0]]) if bad else 0,
                                   len(payloads[bad[0]]) if bad else 0))
    finally:
        for s in socks:
            s.close()
        h.stop()
        be.stop()


def t_send_proxy_bytes():
    be = Backend(proxy_recorder)
    ports = {k: free_port("::1" if k.endswith("6") else "127.0.0.1")
             for k in ("v1_4", "v2_4", "v1_6", "v2_6")}
    h = Halyard(DEFAULTS + """
listen v1_4
    bind 127.0.0.1:{v1_4}
    server s1 {be} send-proxy
listen v2_4
    bind 127.0.0.1:{v2_4}
    server s1 {be} send-proxy-v2
listen v1_6
    bind [::1]:{v1_6}
    server s1 {be} send-proxy
listen v2_6
    bind [::1]:{v2_6}
    server s1 {be} send-proxy-v2
""".format(be=be.addr, **ports)).start()
    try:
        for key, port in ports.items():
            version = int(key[1])
            host = "::1" if key.endswith("6") else "127.0.0.1"
            be.results.clear()
            c = connect(port, host)
            cport = c.getsockname()[1]
            payload = b"payload after the header " + os.urandom(3000)
            c.sendall(payload)
            c.shutdown(socket.SHUT_WR)
            check(recv_all_until_eof(c) == b"ok", "%s: no answer" % key)
            c.close()
            check(wait_for(lambda: be.results, 5), "%s: backend got nothing" % key)
            r = be.results[0]
            check(r[0] == "ok", "%s: %s" % (key, r[1:]))
            ver, raw, addrs = r[1]
            check(ver == version, "%s: got a v%d header" % (key, ver))
            check(addrs == (host, cport, host, port),
                  "%s: header says %r, expected %r" % (key, addrs, (host, cport, host, port)))
            if version == 1:
                exp = pp_v1(host, cport, host, port)
            else:
                exp = pp_v2(host, cport, host, port)
                # TLVs are allowed after the address block; compare the rest
                exp = exp[:14] + raw[14:16] + exp[16:]
                raw = raw[:len(exp)]
            check(raw == exp, "%s: header bytes %r, expected %r" % (key, raw, exp))
            check(r[2] == payload, "%s: payload altered (%d bytes, expected %d)"
                  % (key, len(r[2]), len(payload)))
    finally:
        h.stop()
        be.stop()


def t_accept_proxy():
    be = Backend(proxy_recorder)
    p1, p2 = free_port(), free_port()
    h = Halyard(DEFAULTS + """
listen out_v1
    bind 127.0.0.1:%d accept-proxy
    server s1 %s send-proxy
listen out_v2
    bind 127.0.0.1:%d accept-proxy
    server s1 %s send-proxy-v2
""" % (p1, be.addr, p2, be.addr)).start()
    cases = []
    for out_ver, port in ((1, p1), (2, p2)):
        for in_ver in (1, 2):
            for addrs in (("192.0.2.44", 5555, "198.51.100.1", 8080),
                          ("2001:db8::44", 40000, "2001:db8::1", 443)):
                for split in (False, True):
                    cases.append((in_ver, out_ver, port, addrs, split))
    try:
        for in_ver, out_ver, port, addrs, split in cases:
            label = "v%d in, v%d out, %s%s" % (in_ver, out_ver, addrs[0],
                                                 ", header in 2 parts" if split else "")
            be.results.clear()
            hdr = (pp_v1 if in_ver == 1 else pp_v2)(*addrs)
            payload = b"after the header " + os.urandom(500)
            c = connect(port)
            if split:
                c.sendall(hdr[:9])
                time.sleep(0.05)
                c.sendall(hdr[9:] + payload)
            else:
                c.sendall(hdr + payload)
            c.shutdown(socket.SHUT_WR)
            ans = recv_all_until_eof(c)
            c.close()
            check(ans == b"ok", "%s: no answer (%r)" % (label, ans))
            check(wait_for(lambda: be.results, 5), "%s: backend got nothing" % label)
            r = be.results[0]
            check(r[0] == "ok", "%s: %s" % (label, r[1:]))
            ver, raw, got = r[1]
            check(ver == out_ver, "%s: backend got a v%d header" % (label, ver))
            check(got == addrs, "%s: backend sees %r, expected %r" % (label, got, addrs))
            check(r[2] == payload, "%s: payload altered" % label)
    finally:
        h.stop()
        be.stop()


def t_consistent_hash():
    names = ["s%d" % i for i in range(1, 6)]

    def named(name):
        def handler(conn, be):
            conn.sendall(name.encode())
        return handler

    bes = [Backend(named(n)) for n in names]
    servers = "\n".join("    server %s %s" % (n, b.addr) for n, b in zip(names, bes))
    pa, pb = free_port(), free_port()
    tmpl = DEFAULTS + """
listen ch
    bind 127.0.0.1:%d
    balance source
    hash-type consistent
%s
"""
    ha = Halyard(tmpl % (pa, servers), ["nbthread 2"]).start()
    hb = Halyard(tmpl % (pb, servers + " disabled"), ["nbthread 2"]).start()

    def ask(port, src):
        s = connect(port, src=src)
        try:
            return recv_all_until_eof(s, 5).decode()
        finally:
            s.close()

    try:
        keys = ["127.0.%d.%d" % (x // 200, 2 + x % 200) for x in range(240)]
        a = {k: ask(pa, k) for k in keys}
        b = {k: ask(pb, k) for k in keys}
        again = {k: ask(pa, k) for k in keys[:40]}
        check(all(v in names for v in a.values()), "unexpected answers: %r"
              % sorted(set(a.values())))
        moved = [k for k in keys[:40] if again[k] != a[k]]
        check(not moved, "same source, different server: %s" % moved[:5])
        used = sorted(set(a.values()))
        check(used == names, "with 5 servers only %s received keys" % used)
        check("s5" not in b.values(), "the disabled server s5 received connections")
        stolen = [k for k in keys if a[k] != "s5" and b[k] != a[k]]
        if stolen:
            k = stolen[0]
            raise Failure("%d of %d keys not on s5 moved when s5 left, e.g. %s: %s -> %s"
                          % (len(stolen), len(keys), k, a[k], b[k]))
        on_s5 = [k for k in keys if a[k] == "s5"]
        check(on_s5, "no key on s5: nothing was tested")
    finally:
        ha.stop()
        hb.stop()
        for b_ in bes:
            b_.stop()


def t_half_close():
    # direction 1: the client shuts its write side first, the server reads
    # until EOF, then answers.
    reply_tail = os.urandom(200 * 1024)

    def answer_after_eof(conn, be):
        digest, n = recv_until_eof(conn, 10)
        time.sleep(0.2)
        conn.sendall(("%s %d\n" % (digest, n)).encode() + reply_tail)

    # direction 2: the server shuts its write side first and keeps reading.
    server_data = os.urandom(MIB)

    def send_then_read(conn, be):
        conn.sendall(server_data)
        conn.shutdown(socket.SHUT_WR)
        be.add_result(recv_until_eof(conn, 10))

    b1, b2 = Backend(answer_after_eof), Backend(send_then_read)
    p1, p2 = free_port(), free_port()
    h = Halyard(DEFAULTS + """
listen cli_first
    bind 127.0.0.1:%d
    server s1 %s
listen srv_first
    bind 127.0.0.1:%d
    server s1 %s
""" % (p1, b1.addr, p2, b2.addr)).start()
    try:
        data = os.urandom(MIB)
        c = connect(p1)
        c.sendall(data)
        c.shutdown(socket.SHUT_WR)
        ans = recv_all_until_eof(c, 10)
        c.close()
        exp = ("%s %d\n" % (sha(data), len(data))).encode() + reply_tail
        check(ans == exp, "client shut first: reply of %d bytes, expected %d (%r...)"
              % (len(ans), len(exp), ans[:80]))

        c = connect(p2)
        got = recv_all_until_eof(c, 10)
        check(got == server_data, "server shut first: client got %d of %d bytes"
              % (len(got), len(server_data)))
        time.sleep(0.2)
        late = os.urandom(512 * 1024)
        c.sendall(late)
        c.shutdown(socket.SHUT_WR)
        check(wait_for(lambda: b2.results, 5), "server shut first: backend never saw EOF")
        c.close()
        check(b2.results[0] == (sha(late), len(late)),
              "server shut first: backend got %r, expected %d bytes" % (b2.results[0], len(late)))
    finally:
        h.stop()
        b1.stop()
        b2.stop()


def t_connect_timeout():
    # A listener with a full accept queue: the kernel drops further SYNs.
    bh = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    bh.bind(("127.0.0.1", 0))
    bh.listen(0)
    bport = bh.getsockname()[1]
    fillers = []
    blackholed = False
    for _ in range(16):
        s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        s.settimeout(0.3)
        try:
            s.connect(("127.0.0.1", bport))
            fillers.append(s)
        except (socket.timeout, OSError):
            s.close()
            blackholed = True
            break
    p = free_port()
    h = None
    try:
        check(blackholed, "could not make a black-holed address for the test")
        h = Halyard(DEFAULTS.replace("timeout connect 2s", "timeout connect 700ms") + """
listen fe
    bind 127.0.0.1:%d
    retries 0
    server bh 127.0.0.1:%d
""" % (p, bport)).start()
        c = connect(p)
        c.sendall(b"hello")
        t0 = time.monotonic()
        closed = closed_by_peer(c, 8)
        dt = time.monotonic() - t0
        c.close()
        check(closed, "client not closed 8s after connecting (timeout connect 700ms)")
        check(0.5 <= dt <= 3.0, "client closed after %.2fs, expected about 0.7s" % dt)
    finally:
        if h:
            h.stop()
        for s in fillers:
            s.close()
        bh.close()


def t_reset_and_hang():
    stream_size = 8 * MIB
    stream_data = os.urandom(stream_size)

    def resetter(conn, be):
        conn.recv(100)
        conn.sendall(os.urandom(64 * 1024))
        time.sleep(0.1)
        conn.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
        be.add_result("reset")

    def hanger(conn, be):
        be.add_result("hanging")
        time.sleep(25)

    def streamer(conn, be):
        conn.recv(10)
        for off in range(0, stream_size, 64 * 1024):
            conn.sendall(stream_data[off:off + 64 * 1024])
            time.sleep(0.004)

    br, bhg, bs = Backend(resetter), Backend(hanger), Backend(streamer)
    pr, ph, ps = free_port(), free_port(), free_port()
    h = Halyard(DEFAULTS + """
listen r
    bind 127.0.0.1:%d
    server s %s
listen hang
    bind 127.0.0.1:%d
    server s %s
listen stream
    bind 127.0.0.1:%d
    server s %s
""" % (pr, br.addr, ph, bhg.addr, ps, bs.addr), ["nbthread 1"]).start()
    socks = []
    try:
        cs = connect(ps)
        socks.append(cs)
        got = {}

        def reader():
            try:
                got["r"] = recv_until_eof(cs, 20)
            except Exception as e:
                got["e"] = e

        cs.sendall(b"go")
        t = threading.Thread(target=reader, daemon=True)
        t.start()
        time.sleep(0.1)
        chg = connect(ph)
        socks.append(chg)
        chg.sendall(os.urandom(4096))
        cr = connect(pr)
        socks.append(cr)
        cr.sendall(os.urandom(100))
        check(closed_by_peer(cr, 5), "the client of the resetting server was not closed")
        t.join(25)
        check("e" not in got, "streaming client failed: %r" % got.get("e"))
        check(got.get("r") == (sha(stream_data), stream_size),
              "streaming client got %r, expected %d intact bytes" % (got.get("r"), stream_size))
        check(br.results == ["reset"], "the resetting server was not reached")
        check(bhg.results == ["hanging"], "the hanging server was not reached")
        # the hung connection is still open, the proxy still serves
        c2 = connect(ps)
        socks.append(c2)
        c2.sendall(b"go")
        check(recv_until_eof(c2, 20) == (sha(stream_data), stream_size),
              "second stream after the reset was not intact")
    finally:
        for s in socks:
            s.close()
        h.stop()
        for b in (br, bhg, bs):
            b.stop()


def t_slow_reader():
    flood_total = 96 * MIB
    chunk = os.urandom(256 * 1024)

    def flooder(conn, be):
        sent = 0
        be.add_result(0)
        conn.settimeout(1)
        try:
            while sent < flood_total:
                try:
                    sent += conn.send(chunk)
                except socket.timeout:
                    pass
                be.results[0] = sent
        except OSError:
            pass

    bf, be = Backend(flooder), Backend(echo_handler)
    pf, pe = free_port(), free_port()
    h = Halyard(DEFAULTS + """
listen flood
    bind 127.0.0.1:%d
    server s %s
listen echo
    bind 127.0.0.1:%d
    server s %s
""" % (pf, bf.addr, pe, be.addr), ["nbthread 1"]).start()
    socks = []
    try:
        slow = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        slow.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
        slow.settimeout(5)
        slow.connect(("127.0.0.1", pf))
        socks.append(slow)
        slow.sendall(b"x")
        check(wait_for(lambda: bf.results, 5), "flood backend not reached")
        time.sleep(0.5)
        results = {}

        def echo_client(i):
            try:
                data = os.urandom(2 * MIB)
                c = connect(pe)
                socks.append(c)
                r = {}

                def rd():
                    try:
                        r["d"] = recv_exact(c, len(data), 15)
                    except Exception as e:
                        r["e"] = e

                t = threading.Thread(target=rd, daemon=True)
                t.start()
                c.sendall(data)
                t.join(16)
                results[i] = (r.get("d") == data, r.get("e"))
            except Exception as e:
                results[i] = (False, e)

        t0 = time.monotonic()
        ths = [threading.Thread(target=echo_client, args=(i,), daemon=True) for i in range(5)]
        for t in ths:
            t.start()
        for t in ths:
            t.join(20)
        dt = time.monotonic() - t0
        bad = {i: r for i, r in results.items() if not r[0]}
        check(len(results) == 5 and not bad,
              "echo clients beside a non-reading client failed: %r" % (bad or results))
        check(dt < 10, "echo clients took %.1fs beside a non-reading client" % dt)
        # the flood is held back by the non-reading client, not buffered
        sent1 = bf.results[0]
        time.sleep(0.5)
        sent2 = bf.results[0]
        check(sent2 < 48 * MIB, "the proxy read %d MiB from the server for a client that "
              "reads nothing" % (sent2 // MIB))
        check(sent2 - sent1 < MIB, "the server can still send (%d bytes in 0.5s) to a "
              "client that reads nothing" % (sent2 - sent1))
    finally:
        for s in socks:
            s.close()
        h.stop()
        bf.stop()
        be.stop()


def t_frontend_maxconn():
    """Five rounds (listener pause/resume races show up only now and then):
    10 connections fill "maxconn 10", 8 more wait unserved; closing 4 lets
    exactly 4 of them in, closing the rest lets the last 4 in."""
    be = Backend(echo_handler)
    port = free_port()
    h = Halyard(DEFAULTS + """
listen fe
    bind 127.0.0.1:%d
    maxconn 10
    server s %s
""" % (port, be.addr), ["nbthread 2"]).start()
    first, extra = [], []
    try:
        for rnd in range(1, 6):
            check(wait_for(lambda: be.active == 0, 5), "round %d: %d backend connections "
                  "left from the previous round" % (rnd, be.active))
            base = be.accepted
            first, extra = [], []
            for i in range(10):
                c = connect(port)
                first.append(c)
                c.sendall(b"first%d" % i)
                check(recv_exact(c, len(b"first%d" % i), 5) == b"first%d" % i,
                      "round %d: connection %d under maxconn not served" % (rnd, i))
            check(be.active == 10, "round %d: backend has %d connections, expected 10"
                  % (rnd, be.active))
            for i in range(8):
                try:
                    c = connect(port, timeout=3)
                except OSError as e:
                    raise Failure("round %d: connection %d beyond maxconn refused: %s"
                                  % (rnd, i, e))
                extra.append(c)
                c.sendall(b"extra%d" % i)
            time.sleep(0.5)
            check(be.accepted - base == 10,
                  "round %d: beyond maxconn 10, the backend got %d connections"
                  % (rnd, be.accepted - base))
            r, _, _ = select.select(extra, [], [], 0)
            check(not r, "round %d: a connection beyond maxconn got an answer or was closed"
                  % rnd)
            for c in first[:4]:
                c.close()
            check(wait_for(lambda: be.accepted - base >= 14, 5),
                  "round %d: 4 connections closed, but %d waiting ones were served in 5s"
                  % (rnd, be.accepted - base - 10))
            time.sleep(0.2)
            check(be.accepted - base == 14,
                  "round %d: 4 connections closed, %d waiting ones served (maxconn 10 "
                  "exceeded)" % (rnd, be.accepted - base - 10))
            for c in first[4:]:
                c.close()
            for i, c in enumerate(extra):
                try:
                    got = recv_exact(c, len(b"extra%d" % i), 5)
                except Exception as e:
                    raise Failure("round %d: waiting connection %d not served within 5s "
                                  "after every earlier connection closed (%s)" % (rnd, i, e))
                check(got == b"extra%d" % i, "round %d: waiting connection %d got %r"
                      % (rnd, i, got))
            for c in first + extra:
                c.close()
    finally:
        for c in first + extra:
            c.close()
        h.stop()
        be.stop()


def proc_alive(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            state = f.read().rsplit(")", 1)[1].split()[0]
        return state not in ("Z", "X")
    except OSError:
        return False


def t_daemon_pidfile():
    be = Backend(echo_handler)
    port = free_port()
    h = Halyard(DEFAULTS + """
listen fe
    bind 127.0.0.1:%d
    server s %s
""" % (port, be.addr))
    pid = None
    try:
        launcher = subprocess.Popen([HALYARD, "-D", "-p", h.pidfile, "-f", h.cfg],
                                    stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                                    stderr=open(h.log, "ab"))
        PROCS.append(launcher)
        try:
            rc = launcher.wait(5)
        except subprocess.TimeoutExpired:
            raise Failure("halyard -D did not return to the shell within 5s")
        check(rc == 0, "halyard -D exited with %d:\n%s" % (rc, h.log_tail()))
        check(wait_for(lambda: os.path.exists(h.pidfile) and open(h.pidfile).read().strip(), 3),
              "no pidfile written")
        text = open(h.pidfile).read()
        check(text.strip().isdigit() and text.endswith("\n"), "pidfile content %r" % text)
        pid = int(text)
        EXTRA_PIDS.append(pid)
        check(pid != launcher.pid, "the pidfile names the launcher, not the daemon")
        check(proc_alive(pid), "pid %d from the pidfile is not running" % pid)
        h.wait_ready()
        c = connect(port)
        c.sendall(b"through the daemon")
        check(recv_exact(c, 18, 5) == b"through the daemon", "daemon does not proxy")
        c.close()
        os.kill(pid, signal.SIGTERM)
        check(wait_for(lambda: not proc_alive(pid), 5), "daemon still alive 5s after SIGTERM")
    finally:
        if pid and proc_alive(pid):
            os.kill(pid, signal.SIGKILL)
        be.stop()


def t_soft_stop_sigusr1():
    be = Backend(echo_handler)
    port = free_port()
    h = Halyard(DEFAULTS + """
listen fe
    bind 127.0.0.1:%d
    server s %s
""" % (port, be.addr)).start()
    socks = []
    try:
        a = connect(port)
        socks.append(a)
        a.sendall(b"before")
        check(recv_exact(a, 6, 5) == b"before", "no echo before the signal")
        h.proc.send_signal(signal.SIGUSR1)
        time.sleep(0.3)
        a.sendall(b"during")
        check(recv_exact(a, 6, 5) == b"during",
              "the established connection stopped working after SIGUSR1")
        check(h.proc.poll() is None, "halyard exited with a connection still open")
        # new connections are refused (the listener is closed)
        refused = False
        outcome = ""
        end = time.monotonic() + 2
        while time.monotonic() < end:
            try:
                n = connect(port, timeout=0.5)
            except ConnectionRefusedError:
                refused = True
                break
            except OSError as e:
                outcome = "connect error %s" % e
                time.sleep(0.1)
                continue
            socks.append(n)
            n.sendall(b"new")
            outcome = "accepted at TCP level"
            try:
                n.settimeout(0.5)
                d = n.recv(10)
                outcome += ", then " + ("served %r" % d if d else "closed")
            except socket.timeout:
                outcome += ", then left waiting"
            except OSError as e:
                outcome += ", then %s" % e
            time.sleep(0.1)
        check(refused, "after SIGUSR1 a new connection was not refused (%s)" % outcome)
        a.sendall(b"after!")
        check(recv_exact(a, 6, 5) == b"after!", "the established connection broke")
        check(h.proc.poll() is None, "halyard exited with a connection still open")
        a.close()
        try:
            rc = h.proc.wait(5)
        except subprocess.TimeoutExpired:
            raise Failure("halyard still running 5s after its last connection closed")
        check(rc == 0, "halyard exited with %d after the soft stop" % rc)
    finally:
        for s in socks:
            s.close()
        h.stop()
        be.stop()


def t_sigterm():
    be = Backend(echo_handler)
    port = free_port()
    h = Halyard(DEFAULTS + """
listen fe
    bind 127.0.0.1:%d
    server s %s
""" % (port, be.addr)).start()
    try:
        a = connect(port)
        a.sendall(b"ping")
        check(recv_exact(a, 4, 5) == b"ping", "no echo")
        t0 = time.monotonic()
        h.proc.send_signal(signal.SIGTERM)
        try:
            h.proc.wait(3)
        except subprocess.TimeoutExpired:
            raise Failure("halyard still running 3s after SIGTERM")
        dt = time.monotonic() - t0
        check(dt < 1.5, "SIGTERM took %.2fs" % dt)
        check(closed_by_peer(a, 3), "the client connection stayed open after exit")
        a.close()
    finally:
        h.stop()
        be.stop()


CASES = [
    ("transfer_16mib", t_transfer_16mib),
    ("thousand_connections", t_thousand_connections),
    ("send_proxy_bytes", t_send_proxy_bytes),
    ("accept_proxy", t_accept_proxy),
    ("consistent_hash", t_consistent_hash),
    ("half_close", t_half_close),
    ("connect_timeout", t_connect_timeout),
    ("reset_and_hang", t_reset_and_hang),
    ("slow_reader", t_slow_reader),
    ("frontend_maxconn", t_frontend_maxconn),
    ("daemon_pidfile", t_daemon_pidfile),
    ("soft_stop_sigusr1", t_soft_stop_sigusr1),
    ("sigterm", t_sigterm),
]


def cleanup():
    for p in PROCS:
        if p.poll() is None:
            try:
                p.kill()
                p.wait(2)
            except Exception:
                pass
    for pid in EXTRA_PIDS:
        try:
            os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    shutil.rmtree(TMP, ignore_errors=True)


def watchdog():
    print("FAIL: the whole file exceeded %.0fs; aborting" % TOTAL_BUDGET, flush=True)
    cleanup()
    os._exit(1)


def main():
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    want = 8192 if hard == resource.RLIM_INFINITY else min(8192, hard)
    if soft < want:
        resource.setrlimit(resource.RLIMIT_NOFILE, (want, hard))
    only = set(sys.argv[1:])
    timer = threading.Timer(TOTAL_BUDGET, watchdog)
    timer.daemon = True
    timer.start()
    passed = failed = 0
    try:
        for name, fn in CASES:
            if only and name not in only:
                continue
            t0 = time.monotonic()
            try:
                fn()
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e), flush=True)
                continue
            except Exception:
                failed += 1
                print("FAIL %s: unexpected error\n%s" % (name, traceback.format_exc()), flush=True)
                continue
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
    finally:
        timer.cancel()
        cleanup()
    print("%d passed, %d failed" % (passed, failed))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
