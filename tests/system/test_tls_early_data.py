"""TLS 1.3 early data (0-RTT) on bind lines.

Clients are `openssl s_client`: a first connection saves the session
(-sess_out), a second one resumes it and sends a request as early data
(-sess_in -early_data <file>). Between the client and the proxy, a relay
delays every server-to-client chunk by DELAY seconds: the client cannot
finish its handshake before DELAY, so what happens before is 0-RTT.
The origin records, for each request, the time it came and its
Early-Data headers. Checked:
 - allow-0rtt: the ticket allows 15360 bytes of early data (as HAProxy
   2.6), the early request reaches the origin before the handshake could
   end, with "Early-Data: 1"; ssl_fc_has_early is 1 in the request rules,
   ssl_fc_early_rcvd too; a client's own Early-Data header is not doubled;
   a 425 from the server reaches the client; on a keep-alive connection the
   next request (after the handshake) is not early; a client leaving before
   its Finished is handled;
 - http-request wait-for-handshake: the same request waits for the end of
   the handshake (>= DELAY), then goes without Early-Data, with
   ssl_fc_has_early 0 and ssl_fc_early_rcvd 1;
 - replay protection: a second use of the same session gets its early data
   rejected, the request sent again after the handshake is answered;
 - early data rejected by the server (tune.ssl.cachesize 0: nothing to
   resume) is skipped, the request sent after the handshake is answered;
 - without allow-0rtt, the ticket allows no early data, s_client sends
   none and the request after the handshake is answered;
 - crt-list: allow-0rtt on one line applies to that certificate only (the
   other line's early data are rejected, its session still resumes);
 - TCP mode forwards early data; TLS 1.2 and full TLS 1.3 handshakes still
   work on an allow-0rtt listener;
 - "-c": wait-for-handshake takes no argument; haproxy 2.6 (when
   installed) advertises the same early data limit for the same bind line.
"""
import http.server
import os
import re
import socket
import socketserver
import ssl
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, start_proxy
from tls_helpers import make_certs

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"
DELAY = 0.5

SEEN = []  # (time, path, [Early-Data values]) per request at the origin


class Origin(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        SEEN.append((time.time(), self.path, self.headers.get_all("Early-Data") or []))
        st = 425 if self.path == "/425" else 200
        body = b"hello\n"
        self.send_response(st)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True

    def handle_error(self, request, client_address):
        pass  # connections reset when a proxy is killed


class Relay:
    """Forwards 127.0.0.1:self.port to <dport>, server-to-client chunks
    delayed by <delay> s each."""

    def __init__(self, dport, delay):
        self.dport, self.delay = dport, delay
        self.ls = socket.socket()
        self.ls.bind(("127.0.0.1", 0))
        self.ls.listen(16)
        self.port = self.ls.getsockname()[1]
        threading.Thread(target=self.accept, daemon=True).start()

    def accept(self):
        while True:
            try:
                c, _ = self.ls.accept()
                s = socket.create_connection(("127.0.0.1", self.dport), timeout=10)
            except OSError:
                return
            c.settimeout(10)
            threading.Thread(target=self.pump, args=(c, s, 0), daemon=True).start()
            threading.Thread(target=self.pump, args=(s, c, self.delay), daemon=True).start()

    @staticmethod
    def pump(a, b, delay):
        try:
            while True:
                x = a.recv(65536)
                if not x:
                    break
                if delay:
                    time.sleep(delay)
                b.sendall(x)
        except OSError:
            pass
        try:
            b.shutdown(socket.SHUT_WR)
        except OSError:
            pass


CONFIG = """
global
    stats socket {sock} level admin
    crt-base {d}
    tune.ssl.cachesize {cache}

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{p0rtt} ssl crt a.pem allow-0rtt
    bind 127.0.0.1:{pplain} ssl crt a.pem
    bind 127.0.0.1:{plist} ssl crt-list {d}/list
    http-request wait-for-handshake if {{ path_beg /wait }}
    http-request set-var(txn.early) ssl_fc_has_early
    http-response set-header X-Early "%[var(txn.early)] %[ssl_fc_early_rcvd]"
    default_backend origin

frontend tcp
    mode tcp
    bind 127.0.0.1:{ptcp} ssl crt a.pem allow-0rtt
    default_backend origin_tcp

backend origin
    server o 127.0.0.1:{oport}

backend origin_tcp
    mode tcp
    server o 127.0.0.1:{oport}
"""

REQ = "GET {path} HTTP/1.1\r\nHost: a.example\r\n{extra}Connection: close\r\n\r\n"


def s_client(port, d, sni, sess_out=None, sess_in=None, early=None, stdin=b"", alpn=True):
    """Runs openssl s_client; returns its output (text)."""
    args = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-servername", sni,
            "-ign_eof"]
    if alpn:
        args += ["-alpn", "http/1.1"]
    if sess_out:
        args += ["-sess_out", sess_out]
    if sess_in:
        args += ["-sess_in", sess_in]
    if early:
        args += ["-early_data", early]
    try:
        r = subprocess.run(args, input=stdin, capture_output=True, timeout=10, cwd=d)
    except subprocess.TimeoutExpired as e:
        return (e.stdout or b"").decode(errors="replace") + "\nTIMEOUT"
    return r.stdout.decode(errors="replace")


def new_session(port, d, name, sni="a.example"):
    """Saves a session from a full handshake on <port> to <d>/<name> (a
    request is answered, so that the ticket has come when the server
    closes); returns its early data limit, -1 without a session."""
    path = os.path.join(d, name)
    s_client(port, d, sni, sess_out=path, stdin=REQ.format(path="/sess", extra="").encode())
    if not os.path.exists(path):
        return -1
    r = subprocess.run(["openssl", "sess_id", "-in", path, "-text", "-noout"],
                       capture_output=True, text=True, timeout=10)
    m = re.search(r"Max Early Data: (\d+)", r.stdout)
    return int(m.group(1)) if m else -1


def write_req(d, name, path, extra=""):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write(REQ.format(path=path, extra=extra))
    return p


def status(out):
    m = re.search(r"^HTTP/1\.1 (\d+)", out, re.M)
    return int(m.group(1)) if m else None


def header(out, name):
    m = re.search(rf"^{name}: ([^\r\n]*)", out, re.M | re.I)
    return m.group(1) if m else None


def seen(path):
    """The origin's records of <path>."""
    return [x for x in SEEN if x[1] == path]


def early_request(port, d, path, sess, extra="", stdin=b""):
    """Sends a request for <path> as early data on session <sess>;
    returns (output, start time)."""
    req = write_req(d, "req-" + path.strip("/"), path, extra)
    t0 = time.time()
    return s_client(port, d, "a.example", sess_in=os.path.join(d, sess), early=req,
                    stdin=stdin), t0


def test_early(ports, d):
    relay = Relay(ports["p0rtt"], DELAY)
    check("ticket allows 15360 bytes of early data",
          new_session(relay.port, d, "s1") == 15360)
    out, t0 = early_request(relay.port, d, "/early", "s1")
    rec = seen("/early")
    check("early data accepted", "Early data was accepted" in out, out[-600:])
    check("early request answered", status(out) == 200, out[-600:])
    check("origin saw Early-Data: 1", len(rec) == 1 and rec[0][2] == ["1"], str(rec))
    check("request reached the origin before the handshake could end",
          len(rec) == 1 and rec[0][0] - t0 < DELAY * 0.6,
          str([r[0] - t0 for r in rec]))
    check("ssl_fc_has_early and ssl_fc_early_rcvd are 1",
          header(out, "X-Early") == "1 1", str(header(out, "X-Early")))

    new_session(relay.port, d, "s2")
    out, t0 = early_request(relay.port, d, "/wait", "s2")
    rec = seen("/wait")
    check("wait-for-handshake: early data accepted", "Early data was accepted" in out,
          out[-600:])
    check("wait-for-handshake: answered", status(out) == 200, out[-600:])
    check("wait-for-handshake: no Early-Data header", len(rec) == 1 and rec[0][2] == [],
          str(rec))
    check("wait-for-handshake: request waited for the handshake",
          len(rec) == 1 and rec[0][0] - t0 >= DELAY * 0.9, str([r[0] - t0 for r in rec]))
    check("wait-for-handshake: ssl_fc_has_early 0, ssl_fc_early_rcvd 1",
          header(out, "X-Early") == "0 1", str(header(out, "X-Early")))

    new_session(relay.port, d, "s3")
    out, _ = early_request(relay.port, d, "/own", "s3", extra="Early-Data: 1\r\n")
    rec = seen("/own")
    check("client's own Early-Data header kept, not doubled",
          len(rec) == 1 and rec[0][2] == ["1"], str(rec))

    new_session(relay.port, d, "s4")
    out, _ = early_request(relay.port, d, "/425", "s4")
    check("425 Too Early from the server reaches the client", status(out) == 425,
          out[-600:])
    check("425: request was sent with Early-Data: 1",
          [r[2] for r in seen("/425")] == [["1"]], str(seen("/425")))

    # keep-alive: the next request, sent after the handshake, is not early
    new_session(relay.port, d, "s5")
    req = os.path.join(d, "req-ka")
    with open(req, "w") as f:
        f.write("GET /ka1 HTTP/1.1\r\nHost: a.example\r\n\r\n")
    out = s_client(relay.port, d, "a.example", sess_in=os.path.join(d, "s5"), early=req,
                   stdin=REQ.format(path="/ka2", extra="").encode())
    check("keep-alive: both requests answered", out.count("HTTP/1.1 200") == 2, out[-800:])
    check("keep-alive: early request marked, the next one not",
          [r[2] for r in seen("/ka1")] == [["1"]] and [r[2] for r in seen("/ka2")] == [[]],
          str(seen("/ka1") + seen("/ka2")))
    check("keep-alive: ssl_fc_has_early 1 then 0",
          re.findall(r"^x-early: (\d)", out, re.M | re.I) == ["1", "0"], out[-800:])

    # a client that leaves after its early data, before its Finished
    new_session(relay.port, d, "s6")
    req = write_req(d, "req-gone", "/gone")
    c = subprocess.Popen(["openssl", "s_client", "-connect", f"127.0.0.1:{relay.port}",
                          "-servername", "a.example", "-alpn", "http/1.1", "-ign_eof",
                          "-sess_in", os.path.join(d, "s6"), "-early_data", req],
                         stdin=subprocess.DEVNULL, stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    time.sleep(DELAY / 2)
    c.kill()
    c.wait()
    time.sleep(DELAY * 2)
    check("client gone before its Finished: its early request went out",
          [r[2] for r in seen("/gone")] == [["1"]], str(seen("/gone")))

    # the same session again: OpenSSL's anti-replay refuses its early data
    req = REQ.format(path="/replay", extra="").encode()
    out, _ = early_request(relay.port, d, "/replay", "s1", stdin=req)
    rec = seen("/replay")
    check("replayed session: early data rejected", "Early data was rejected" in out,
          out[-600:])
    check("replayed session: request sent after the handshake answered",
          status(out) == 200 and len(rec) == 1 and rec[0][2] == [], str(rec))


def test_plain(ports, d):
    check("without allow-0rtt: ticket allows no early data",
          new_session(ports["pplain"], d, "p1") == 0)
    req = write_req(d, "req-plain", "/plain")
    out = s_client(ports["pplain"], d, "a.example", sess_in=os.path.join(d, "p1"), early=req,
                   stdin=REQ.format(path="/plain", extra="").encode())
    rec = seen("/plain")
    check("without allow-0rtt: no early data sent", "Early data was not sent" in out,
          out[-600:])
    check("without allow-0rtt: request after the handshake answered, no Early-Data",
          status(out) == 200 and len(rec) == 1 and rec[0][2] == [], str(rec))
    check("without allow-0rtt: ssl_fc_has_early 0, ssl_fc_early_rcvd 0",
          header(out, "X-Early") == "0 0", str(header(out, "X-Early")))


def test_crtlist(ports, d):
    """b.pem (first, no allow-0rtt), a.pem [allow-0rtt]: tickets of the
    line all advertise early data; only a.example's are accepted."""
    check("crt-list: ticket of the allow-0rtt line allows early data",
          new_session(ports["plist"], d, "l1", "a.example") == 15360)
    out, _ = early_request(ports["plist"], d, "/list", "l1")
    check("crt-list: early data accepted on the allow-0rtt line",
          "Early data was accepted" in out and "Reused" in out and status(out) == 200,
          out[-600:])
    check("crt-list: other line's ticket is still a ticket of the line",
          new_session(ports["plist"], d, "l2", "b.example") == 15360)
    req = write_req(d, "req-listb", "/listb")
    out = s_client(ports["plist"], d, "b.example", sess_in=os.path.join(d, "l2"), early=req,
                   stdin=REQ.format(path="/listb", extra="").encode())
    rec = seen("/listb")
    check("crt-list: early data rejected on the line without allow-0rtt, session resumed",
          "Early data was rejected" in out and "Reused" in out, out[-600:])
    check("crt-list: request after the handshake answered, no Early-Data",
          status(out) == 200 and len(rec) == 1 and rec[0][2] == [], str(rec))


def test_tcp(ports, d):
    new_session(ports["ptcp"], d, "t1")
    out, _ = early_request(ports["ptcp"], d, "/tcp", "t1")
    rec = seen("/tcp")
    check("tcp mode: early data accepted and forwarded",
          "Early data was accepted" in out and status(out) == 200, out[-600:])
    check("tcp mode: no header added", len(rec) == 1 and rec[0][2] == [], str(rec))


def test_other_handshakes(ports, d):
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    ctx.load_verify_locations(os.path.join(d, "ca.crt"))
    for ver in (ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3):
        ctx.maximum_version = ver
        try:
            with socket.create_connection(("127.0.0.1", ports["p0rtt"]), timeout=5) as raw:
                with ctx.wrap_socket(raw, server_hostname="a.example") as s:
                    s.sendall(REQ.format(path="/v", extra="").encode())
                    data = b""
                    while True:
                        x = s.recv(4096)
                        if not x:
                            break
                        data += x
            ok = data.startswith(b"HTTP/1.1 200") and b"x-early: 0 0" in data.lower()
        except (OSError, ssl.SSLError) as e:
            ok, data = False, str(e).encode()
        check(f"allow-0rtt listener serves a {ver.name} full handshake", ok, data[:200])


def test_rejected_no_cache(d, oport):
    """Without a session cache, allow-0rtt tickets cannot be resumed: the
    client's early data are rejected and skipped."""
    ports = {k: port() for k in ("p0rtt", "pplain", "plist", "ptcp")}
    proc, _, err = start_proxy(HALYARD, CONFIG, d=d, cache=0, oport=oport, **ports)
    try:
        n = new_session(ports["p0rtt"], d, "n1")
        req = REQ.format(path="/nocache", extra="").encode()
        out, _ = early_request(ports["p0rtt"], d, "/nocache", "n1", stdin=req)
        rec = seen("/nocache")
        check("cachesize 0: ticket still advertises early data", n == 15360, str(n))
        check("cachesize 0: not resumed, early data rejected",
              "Early data was rejected" in out and "New, TLSv1.3" in out, out[-600:])
        check("cachesize 0: request after the handshake answered, no Early-Data",
              status(out) == 200 and len(rec) == 1 and rec[0][2] == [], str(rec))
    finally:
        stop(proc, err)


def stop(proc, err):
    """Stops the proxy (SIGTERM) and checks it reported no sanitizer error."""
    proc.terminate()
    try:
        proc.wait(timeout=10)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()
    err.seek(0)
    text = err.read()
    check("no sanitizer report", "Sanitizer" not in text, text[-2000:])


def port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def test_check(d):
    cfg = os.path.join(d, "bad.cfg")
    with open(cfg, "w") as f:
        f.write("defaults\n  mode http\nfrontend f\n  bind 127.0.0.1:%d\n"
                "  http-request wait-for-handshake now\n" % port())
    r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True, timeout=10)
    check("-c: wait-for-handshake with an argument refused",
          r.returncode != 0 and "wait-for-handshake" in r.stderr, r.stderr)


def test_haproxy(d, oport):
    if not os.path.exists(HAPROXY):
        return
    ports = {k: port() for k in ("p0rtt", "pplain", "plist", "ptcp")}
    cfg = CONFIG.format(sock=os.path.join(d, "h.sock"), d=d, cache=1000, oport=oport,
                        **ports).replace(" %[ssl_fc_early_rcvd]", "")  # not in 2.6
    path = os.path.join(d, "h.cfg")
    with open(path, "w") as f:
        f.write(cfg)
    proc = subprocess.Popen([HAPROXY, "-f", path], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        check("haproxy 2.6: same early data limit",
              new_session(ports["p0rtt"], d, "h1") == 15360)
        check("haproxy 2.6: none without allow-0rtt",
              new_session(ports["pplain"], d, "h2") == 0)
        out, _ = early_request(ports["p0rtt"], d, "/h", "h1")
        check("haproxy 2.6: early data accepted too",
              "Early data was accepted" in out and status(out) == 200, out[-600:])
    finally:
        proc.kill()
        proc.wait()


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    d = tempfile.mkdtemp()
    make_certs(d)
    with open(os.path.join(d, "list"), "w") as f:
        f.write("b.pem\na.pem [allow-0rtt]\n")
    origin = Server(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    oport = origin.server_address[1]
    ports = {k: port() for k in ("p0rtt", "pplain", "plist", "ptcp")}
    proc, _, err = start_proxy(HALYARD, CONFIG, d=d, cache=1000, oport=oport, **ports)
    try:
        if proc.poll() is not None:
            err.seek(0)
            check("proxy starts", False, err.read())
            return summary()
        test_early(ports, d)
        test_plain(ports, d)
        test_crtlist(ports, d)
        test_tcp(ports, d)
        test_other_handshakes(ports, d)
        check("proxy still running", proc.poll() is None)
    finally:
        stop(proc, err)
    test_rejected_no_cache(d, oport)
    test_check(d)
    test_haproxy(d, oport)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
