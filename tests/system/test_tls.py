"""TLS termination on bind lines.

Certificates are made at test time with the openssl command (a CA, an
ECDSA P-256 certificate, an RSA-2048 one and an ECDSA wildcard one) in a
temporary directory. Clients are Python's ssl module. Checked:
 - SNI selection among three certificates, the default (first) one without
   SNI or with an unknown name, wildcard names, strict-sni refusals;
 - ALPN: the configured protocol is chosen, none when there is no overlap;
 - version bounds: TLS 1.1 refused by default (the client allows it), taken
   on a line that allows it, TLS 1.3 refused under ssl-max-ver TLSv1.2;
 - HTTP over TLS to a plain backend: large response and request bodies
   intact, keep-alive, ssl_fc* fetches in a response header, %sslv/%sslc
   in the log, session resumption with tickets and with the session cache;
 - a client sending garbage and a client stalling mid-handshake are closed
   and logged as HAProxy does, the process keeps serving; many concurrent
   handshakes all succeed and "show info" counts them;
 - "-c" errors for a key that does not match, a missing key, and a
   directory of certificates that loads.
"""
import hashlib
import os
import shutil
import socket
import ssl
import subprocess
import sys
import tempfile
import threading
import time
import warnings

from halyard_test import check, summary, free_port, cli
from tls_helpers import BIG, UdpLog, client_ctx, connect, make_certs, request, start_origin

HALYARD = os.environ.get("HALYARD")


CONFIG = """
global
    stats socket {sock} level admin
    log 127.0.0.1:{udp} local0
    crt-base {d}
    tune.ssl.cachesize 1000

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 3s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{p1} ssl crt a.pem crt b.pem crt w.pem alpn http/1.1
    bind 127.0.0.1:{p2} name strict ssl crt a.pem crt {d}/b.pem strict-sni no-tls-tickets
    bind 127.0.0.1:{p3} ssl crt a.pem ssl-min-ver TLSv1.1 ssl-max-ver TLSv1.2 ciphers DEFAULT@SECLEVEL=0
    log-format "TLSLOG %sslv %sslc %[ssl_fc_sni] %ST"
    http-response set-header X-SSL "%[ssl_fc] %[ssl_fc_sni] %[ssl_fc_protocol] %[ssl_fc_alpn] %[ssl_fc_is_resumed] %[ssl_fc_has_sni]"
    http-response set-header X-Cipher "%[ssl_fc_cipher]"
    default_backend origin

backend origin
    server o 127.0.0.1:{oport}
"""


def peer_cn(s):
    cert = s.getpeercert()
    return dict(x[0] for x in cert["subject"])["commonName"]


def handshake(port, ctx, sni=None):
    """The CN the server presents, or None when the handshake fails."""
    try:
        s = connect(port, ctx, sni)
    except (ssl.SSLError, OSError):
        return None
    cn = peer_cn(s)
    s.close()
    return cn


def test_sni(d, p1, p2):
    ctx = client_ctx(d)
    check("sni a.example", handshake(p1, ctx, "a.example") == "a.example")
    check("sni alt name of a", handshake(p1, ctx, "alt.example") == "a.example")
    check("sni b.example (rsa)", handshake(p1, ctx, "b.example") == "b.example")
    check("sni wildcard", handshake(p1, ctx, "x.wild.example") == "*.wild.example")
    check("wildcard covers one label only",
          handshake(p1, ctx, "a.b.wild.example") == "a.example")
    check("no sni: default (first) cert", handshake(p1, ctx) == "a.example")
    check("unknown name: default cert", handshake(p1, ctx, "nope.example") == "a.example")
    check("strict-sni known name", handshake(p2, ctx, "b.example") == "b.example")
    check("strict-sni unknown name refused", handshake(p2, ctx, "nope.example") is None)
    check("strict-sni without sni refused", handshake(p2, ctx) is None)


def test_alpn(d, p1):
    s = connect(p1, client_ctx(d, alpn=["h2", "http/1.1"]), "a.example")
    check("alpn http/1.1 chosen", s.selected_alpn_protocol() == "http/1.1",
          s.selected_alpn_protocol())
    s.close()
    s = connect(p1, client_ctx(d, alpn=["h2"]), "a.example")
    check("alpn without overlap: none", s.selected_alpn_protocol() is None)
    s.close()


def test_versions(d, p1, p3):
    old = dict(ciphers="DEFAULT@SECLEVEL=0", minimum_version=ssl.TLSVersion.TLSv1_1,
               maximum_version=ssl.TLSVersion.TLSv1_1)
    try:
        client11 = client_ctx(d, **old)
    except ssl.SSLError:
        client11 = None
    if client11:
        check("tls1.1 refused by default", handshake(p1, client11) is None)
        check("tls1.1 accepted with ssl-min-ver TLSv1.1", handshake(p3, client11) == "a.example")
    else:
        check("python ssl allows a tls1.1 client", False)
    tls13 = client_ctx(d, minimum_version=ssl.TLSVersion.TLSv1_3)
    s = connect(p1, tls13)
    check("tls1.3 works", s.version() == "TLSv1.3", s.version())
    s.close()
    check("tls1.3 refused with ssl-max-ver TLSv1.2", handshake(p3, tls13) is None)
    tls12 = client_ctx(d, maximum_version=ssl.TLSVersion.TLSv1_2)
    s = connect(p3, tls12)
    check("tls1.2 accepted under max TLSv1.2", s.version() == "TLSv1.2", s.version())
    s.close()
    # default TLS 1.2 ciphers: AEAD with forward secrecy only
    cbc = client_ctx(d, maximum_version=ssl.TLSVersion.TLSv1_2,
                     ciphers="ECDHE-ECDSA-AES128-SHA:ECDHE-RSA-AES128-SHA:AES128-SHA:AES256-SHA256")
    check("default ciphers: CBC and RSA key transport refused", handshake(p1, cbc) is None)
    gcm = client_ctx(d, maximum_version=ssl.TLSVersion.TLSv1_2,
                     ciphers="ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256")
    s = connect(p1, gcm)
    check("default ciphers: ECDHE AES-GCM accepted", "GCM" in s.cipher()[0], s.cipher())
    s.close()
    check("ciphers DEFAULT on a bind line still allows CBC", handshake(p3, cbc) == "a.example")


def test_http(d, p1, log):
    s = connect(p1, client_ctx(d, alpn=["http/1.1"]), "b.example")
    st, h, body = request(s, path="/big")
    check("GET over TLS: 200", st == 200, st)
    check("GET over TLS: body intact", hashlib.sha256(body).digest() ==
          hashlib.sha256(BIG).digest(), len(body))
    x = h.get("x-ssl", "")
    check("ssl fetches in header", x == "1 b.example TLSv1.3 http/1.1 0 1", x)
    check("ssl_fc_cipher", h.get("x-cipher", "").startswith("TLS_"), h.get("x-cipher"))
    st, h, body = request(s, "POST", "/echo", BIG[:150000])
    check("POST over TLS: body echoed", st == 200 and body == BIG[:150000], len(body))
    ok = 0
    for _ in range(20):
        st, h, body = request(s)
        ok += st == 200 and body == b"hello\n"
    check("keep-alive: 20 more requests on one connection", ok == 20, ok)
    s.close()
    cipher = h.get("x-cipher", "?")
    check("log: %sslv %sslc %[ssl_fc_sni]",
          log.wait_for(f"TLSLOG TLSv1.3 {cipher} b.example 200"), log.lines[-1:])


def test_resume(d, p1, p2):
    for port, what in ((p1, "tickets"), (p2, "session cache (no-tls-tickets)")):
        ctx = client_ctx(d, maximum_version=ssl.TLSVersion.TLSv1_2)
        s = connect(port, ctx, "a.example")
        request(s)
        sess = s.session
        s.close()
        s = connect(port, ctx, "a.example", session=sess)
        st, h, _ = request(s)
        check(f"resumption with {what}", s.session_reused and
              h.get("x-ssl", "").split()[4] == "1", h.get("x-ssl"))
        s.close()


NO_CACHE = """
global
    tune.ssl.cachesize 0
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{p1} ssl crt {d}/a.pem
    bind 127.0.0.1:{p2} ssl crt {d}/a.pem no-tls-tickets
    http-response set-header X-SSL "%[ssl_fc_is_resumed]"
    default_backend origin
backend origin
    server o 127.0.0.1:{oport}
"""


def test_no_cache(d, oport):
    """tune.ssl.cachesize 0 turns the session cache off (OpenSSL itself
    would read 0 as no limit): with no-tls-tickets nothing resumes, while
    tickets still do."""
    p1, p2 = free_port(), free_port()
    cfg = os.path.join(d, "nocache.cfg")
    with open(cfg, "w") as f:
        f.write(NO_CACHE.format(d=d, p1=p1, p2=p2, oport=oport))
    proc = subprocess.Popen([HALYARD, "-db", "-f", cfg])
    try:
        for _ in range(100):
            try:
                socket.create_connection(("127.0.0.1", p2), 1).close()
                break
            except OSError:
                time.sleep(0.05)
        for port, version, want in ((p1, ssl.TLSVersion.TLSv1_2, True),
                                    (p1, ssl.TLSVersion.TLSv1_3, True),
                                    (p2, ssl.TLSVersion.TLSv1_2, False),
                                    (p2, ssl.TLSVersion.TLSv1_3, False)):
            ctx = client_ctx(d, maximum_version=version)
            s = connect(port, ctx, "a.example")
            request(s)
            sess = s.session
            s.close()
            s = connect(port, ctx, "a.example", session=sess)
            st, h, _ = request(s)
            got = s.session_reused and h.get("x-ssl") == "1"
            s.close()
            what = "tickets" if port == p1 else "no-tls-tickets"
            check(f"cachesize 0, {what}, {version.name}: resumed={want}", got == want,
                  h.get("x-ssl"))
    finally:
        proc.terminate()
        proc.wait(10)


def test_bad_clients(p1, log, sock):
    c = socket.create_connection(("127.0.0.1", p1), timeout=3)
    c.sendall(b"GET / HTTP/1.0\r\nHost: x\r\n\r\n")
    try:
        closed = c.recv(100) is not None  # an alert or the close
    except ConnectionResetError:
        closed = True
    c.close()
    check("garbage instead of ClientHello: closed", closed)
    check("garbage logged as handshake failure", log.wait_for("fe/1: SSL handshake failure"))
    c = socket.create_connection(("127.0.0.1", p1), timeout=10)
    c.sendall(bytes.fromhex("16030100c8010000c40303"))  # the start of a ClientHello
    t0 = time.time()
    try:
        data = c.recv(100)
    except (ConnectionResetError, socket.timeout):
        data = None
    waited = time.time() - t0
    c.close()
    check("stalled handshake closed after timeout client", data == b"" and 2.5 < waited < 6,
          f"{data!r} after {waited:.1f}s")
    check("stall logged as handshake timeout", log.wait_for("Timeout during SSL handshake"))
    info = cli(sock, "show info")
    check("still serving after bad clients", "CumSslConns" in info)


def test_concurrent(d, p1, sock, n=200):
    ctx = client_ctx(d)
    results = []

    def one(i):
        try:
            s = connect(p1, ctx, ["a.example", "b.example", "x.wild.example"][i % 3])
            st, _, _ = request(s)
            results.append(st == 200)
            s.close()
        except Exception as e:
            results.append(repr(e))

    threads = [threading.Thread(target=one, args=(i,)) for i in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(30)
    check(f"{n} concurrent handshakes", results.count(True) == n,
          f"{results.count(True)} ok, first errors: {[r for r in results if r is not True][:3]}")
    time.sleep(0.5)
    info = dict(ln.split(": ", 1) for ln in cli(sock, "show info").splitlines() if ": " in ln)
    check("show info CurrSslConns back to 0", info.get("CurrSslConns") == "0",
          info.get("CurrSslConns"))
    check("show info CumSslConns counts them", int(info.get("CumSslConns", 0)) >= n,
          info.get("CumSslConns"))


def config_check(d, crt, mode="http"):
    cfg = os.path.join(d, "c.cfg")
    with open(cfg, "w") as f:
        f.write(f"frontend f\n    mode {mode}\n    bind 127.0.0.1:1 ssl crt {crt}\n"
                "    timeout client 1s\n")
    r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_config_errors(d):
    with open(os.path.join(d, "mismatch.pem"), "w") as f:
        f.write(open(os.path.join(d, "a.crt")).read() + open(os.path.join(d, "b.key")).read())
    with open(os.path.join(d, "nokey.pem"), "w") as f:
        f.write(open(os.path.join(d, "a.crt")).read())
    rc, out = config_check(d, f"{d}/mismatch.pem")
    check("-c: key mismatch", rc == 1 and "parsing [" in out and
          f"inconsistencies between private key and certificate loaded '{d}/mismatch.pem'"
          in out, out)
    rc, out = config_check(d, f"{d}/nokey.pem")
    check("-c: no key", rc == 1 and f"No Private Key found in '{d}/nokey.pem.key'" in out, out)
    check("-c: key material never printed", "PRIVATE" not in out)
    os.mkdir(os.path.join(d, "dir"))
    for n in ("a", "b"):
        with open(os.path.join(d, "dir", f"{n}.pem"), "w") as f:
            f.write(open(os.path.join(d, f"{n}.pem")).read())
    rc, out = config_check(d, f"{d}/dir")
    check("-c: directory of certificates", rc == 0 and "valid" in out, out)
    rc, out = config_check(d, f"{d}/a.pem alpn h2,http/1.1")
    check("-c: alpn h2 refused on an HTTP frontend",
          rc == 1 and "HTTP/2 is not supported yet" in out, out)
    rc, out = config_check(d, f"{d}/a.pem alpn h2,http/1.1", mode="tcp")
    check("-c: alpn h2 accepted in TCP mode", rc == 0, out)


def test_permission_error(d):
    """A certificate the (non-root) user cannot read is a clear error at -c
    time, naming the file and the reason."""
    if os.geteuid() != 0 or not shutil.which("runuser"):
        check("runs as root with runuser (to check as nobody)", False)
        return
    pd = tempfile.mkdtemp()
    os.chmod(pd, 0o755)
    pem = os.path.join(pd, "secret.pem")
    shutil.copy(os.path.join(d, "a.pem"), pem)
    os.chmod(pem, 0o600)
    cfg = os.path.join(pd, "c.cfg")
    with open(cfg, "w") as f:
        f.write(f"frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt {pem}\n"
                "    timeout client 1s\n")
    os.chmod(cfg, 0o644)
    binary = os.path.join(pd, "halyard")  # the checkout may not be reachable by nobody
    shutil.copy(HALYARD, binary)
    os.chmod(binary, 0o755)
    r = subprocess.run(["runuser", "-u", "nobody", "--", binary, "-c", "-f", cfg],
                       capture_output=True, text=True, timeout=30)
    out = r.stdout + r.stderr
    check("-c as nobody: unreadable certificate named with the reason",
          r.returncode == 1 and f"'{pem}' : Permission denied" in out, out)
    check("-c: no key material printed", "PRIVATE" not in out)
    shutil.rmtree(pd, ignore_errors=True)


def main():
    warnings.simplefilter("ignore", DeprecationWarning)  # TLSv1_1 on purpose
    if not HALYARD:
        print("HALYARD not set")
        return 1
    with tempfile.TemporaryDirectory() as d:
        make_certs(d)
        origin = start_origin()
        log = UdpLog()
        p1, p2, p3 = free_port(), free_port(), free_port()
        sock = os.path.join(d, "stats.sock")
        cfg = os.path.join(d, "h.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(sock=sock, udp=log.port, d=d, p1=p1, p2=p2, p3=p3,
                                  oport=origin.server_address[1]))
        proc = subprocess.Popen([HALYARD, "-f", cfg])
        try:
            for _ in range(100):
                if os.path.exists(sock):
                    break
                time.sleep(0.05)
            test_sni(d, p1, p2)
            test_alpn(d, p1)
            test_versions(d, p1, p3)
            test_http(d, p1, log)
            test_resume(d, p1, p2)
            test_bad_clients(p1, log, sock)
            test_concurrent(d, p1, sock)
            check("process alive", proc.poll() is None)
        finally:
            proc.terminate()
            proc.wait(10)
        check("clean exit", proc.returncode in (0, -15, 143), proc.returncode)
        test_no_cache(d, origin.server_address[1])
        test_config_errors(d)
        test_permission_error(d)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
