"""TLS towards servers (the "ssl" server option).

A Python ssl HTTP origin (certificate a.example from a test CA, client
certificates requested and checked against the same CA) sits behind
Halyard's clear-text frontend. Checked:
 - large response and request bodies intact through the re-encryption;
 - keep-alive: two requests of one client use one TLS server connection;
 - resumption: a second client connection makes a new server connection
   that resumes the first one's session (origin's session_reused and
   ssl_bc_is_resumed), and with no-ssl-reuse it does not;
 - the SNI sent is the "sni" expression's value (req.hdr(host));
 - the client certificate of "crt" reaches the origin;
 - ssl_bc* fetches; default-server inheritance of "ssl";
 - verify required with another CA, and a verifyhost mismatch: 503, the
   log line shows "SC--" and the server's connection errors count;
 - mode tcp with "ssl" on the server.
"""
import http.server
import os
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import UdpSink, check, free_port, start_proxy, stat_field, summary
from tls_helpers import make_certs

HALYARD = os.environ.get("HALYARD")
BIG = os.urandom(300 * 1024)
SNIS = []  # server names received by the origin, in order


class Origin(http.server.BaseHTTPRequestHandler):
    """GET /big: BIG; POST echoes; headers tell what the TLS session saw."""
    protocol_version = "HTTP/1.1"

    def reply(self, body):
        c = self.connection
        cert = c.getpeercert()
        cn = dict(x[0] for x in cert["subject"])["commonName"] if cert else "-"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.send_header("X-Reused", str(int(c.session_reused)))
        self.send_header("X-SNI", SNIS[-1] if SNIS else "-")
        self.send_header("X-Client-CN", cn)
        self.send_header("X-Port", str(self.client_address[1]))
        self.end_headers()
        self.wfile.write(body)

    def do_GET(self):
        self.reply(BIG if self.path == "/big" else b"hello\n")

    def do_POST(self):
        self.reply(self.rfile.read(int(self.headers["Content-Length"])))

    def log_message(self, *a):
        pass


class TlsOrigin(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def __init__(self, d):
        super().__init__(("127.0.0.1", 0), Origin)
        ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
        ctx.load_cert_chain(os.path.join(d, "a.pem"))
        ctx.load_verify_locations(os.path.join(d, "ca.crt"))
        ctx.verify_mode = ssl.CERT_OPTIONAL

        ctx.set_alpn_protocols(["http/1.1"])
        ctx.sni_callback = lambda sock, name, _ctx: SNIS.append(name or "-")
        self.socket = ctx.wrap_socket(self.socket, server_side=True)
        threading.Thread(target=self.serve_forever, daemon=True).start()


CONFIG = """
global
    stats socket {sock} level admin
    log 127.0.0.1:{udp} local0
    nbthread 1
    crt-base {d}
    ca-base {d}

defaults
    mode http
    log global
    option httplog
    retries 1
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{p1}
    http-response set-header X-BC "%[ssl_bc] %[ssl_bc_protocol] %[ssl_bc_alpn] %[ssl_bc_is_resumed] %[ssl_bc_use_keysize]"
    use_backend %[req.hdr(x-be)] if {{ req.hdr(x-be) -m found }}
    default_backend good

backend good
    server o 127.0.0.1:{op} ssl verify required ca-file ca.crt sni req.hdr(host) crt b.pem alpn http/1.1

backend noreuse
    server o 127.0.0.1:{op} ssl verify none no-ssl-reuse

backend inherit
    default-server ssl verify none
    server o 127.0.0.1:{op}

backend wrongca
    server o 127.0.0.1:{op} ssl ca-file {d2}/ca.crt

backend badhost
    server o 127.0.0.1:{op} ssl ca-file ca.crt verifyhost other.example

listen tcp
    mode tcp
    bind 127.0.0.1:{p2}
    server o 127.0.0.1:{op} ssl verify required ca-file ca.crt verifyhost a.example
"""


def read_response(f):
    status = int(f.readline().split()[1])
    hdrs = {}
    while True:
        ln = f.readline().decode().rstrip("\r\n")
        if not ln:
            break
        k, v = ln.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    return status, hdrs, f.read(int(hdrs.get("content-length", 0)))


def request(s, f, path="/", body=b"", host="a.example", be=None, method=None):
    extra = f"X-BE: {be}\r\n" if be else ""
    method = method or ("POST" if body else "GET")
    s.sendall(f"{method} {path} HTTP/1.1\r\nHost: {host}\r\n{extra}Content-Length: {len(body)}"
              f"\r\n\r\n".encode() + body)
    return read_response(f)


def one(port, **kw):
    with socket.create_connection(("127.0.0.1", port), timeout=5) as s:
        return request(s, s.makefile("rb"), **kw)


def test_http(p1):
    st, h, body = one(p1, path="/big")
    check("big response intact over TLS to the server", st == 200 and body == BIG,
          f"{st} {len(body)}")
    st, h, body = one(p1, body=BIG)
    check("big request body intact over TLS to the server", st == 200 and body == BIG,
          f"{st} {len(body)}")
    check("sni is the sni expression's value", h.get("x-sni") == "a.example", h.get("x-sni"))
    check("client certificate presented to the server", h.get("x-client-cn") == "b.example",
          h.get("x-client-cn"))
    bc = h.get("x-bc", "").split()
    check("ssl_bc fetches", len(bc) == 5 and bc[0] == "1" and bc[1].startswith("TLSv1.")
          and bc[2] == "http/1.1" and int(bc[4]) >= 128, h.get("x-bc"))


def test_keepalive_and_resume(p1):
    with socket.create_connection(("127.0.0.1", p1), timeout=5) as s:
        f = s.makefile("rb")
        _, h1, _ = request(s, f)
        _, h2, _ = request(s, f)
    check("keep-alive reuses the TLS server connection", h1.get("x-port") == h2.get("x-port"),
          f"{h1.get('x-port')} {h2.get('x-port')}")
    time.sleep(0.2)
    _, h3, _ = one(p1)
    check("a new server connection was made", h3.get("x-port") != h1.get("x-port"))
    check("it resumed the previous session (origin)", h3.get("x-reused") == "1",
          h3.get("x-reused"))
    check("ssl_bc_is_resumed is 1", h3.get("x-bc", "").split()[3:4] == ["1"], h3.get("x-bc"))
    one(p1, be="noreuse")
    _, h4, _ = one(p1, be="noreuse")
    check("no-ssl-reuse: full handshake every time", h4.get("x-reused") == "0",
          h4.get("x-reused"))
    st, h5, _ = one(p1, be="inherit")
    check("ssl inherited from default-server", st == 200 and h5.get("x-bc", "")[:1] == "1",
          h5.get("x-bc"))


def test_failures(p1, sock, log):
    for be in ("wrongca", "badhost"):
        before = int(stat_field(sock, be, "o", "econ") or 0)
        st, _, _ = one(p1, be=be)
        check(f"{be}: 503", st == 503, st)
        end = time.time() + 3
        line = None
        while time.time() < end and not line:
            line = next((ln.decode(errors="replace") for ln in log.lines
                         if f" {be}/o " in ln.decode(errors="replace")), None)
            time.sleep(0.05)
        check(f"{be}: log line with 503 and SC--", line and " 503 " in line and " SC-- " in line,
              line)
        after = int(stat_field(sock, be, "o", "econ") or 0)
        check(f"{be}: counted as connection errors", after - before == 2, f"{before} {after}")


def test_tcp(p2):
    with socket.create_connection(("127.0.0.1", p2), timeout=5) as s:
        st, h, body = request(s, s.makefile("rb"), path="/big", host="x")
    check("mode tcp with ssl on the server", st == 200 and body == BIG, f"{st} {len(body)}")


def main():
    if not HALYARD:
        print("HALYARD is not set", file=sys.stderr)
        sys.exit(2)
    d, d2 = tempfile.mkdtemp(), tempfile.mkdtemp()
    make_certs(d)
    make_certs(d2)  # another CA
    origin = TlsOrigin(d)
    log = UdpSink()
    p1, p2 = free_port(), free_port()
    proc, sock, err = start_proxy(HALYARD, CONFIG, d=d, d2=d2, p1=p1, p2=p2, udp=log.port,
                                  op=origin.server_address[1])
    try:
        check("halyard started", proc.poll() is None, open(err.name).read())
        if proc.poll() is None:
            test_http(p1)
            test_keepalive_and_resume(p1)
            test_failures(p1, sock, log)
            test_tcp(p2)
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
        log.close()
    summary()


if __name__ == "__main__":
    main()
