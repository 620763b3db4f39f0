"""Health checks over TLS (check-ssl, ssl without a check port, check-sni,
check-alpn, no-check-ssl), compared with haproxy 2.6 when it is installed.

A Halyard instance is the TLS origin: /sni answers 200 over TLS only when
the client sent SNI "srv.test", /ok 200, other paths 503 (so a check of
/sni passing shows that check-sni was sent inside TLS);
a clear-text port answers 200; a TCP server accepts and never speaks (the
handshake times out); a closed port refuses.  The proxy under test (and
haproxy on the same configuration) check 12 servers; once every check has
run a few times, the `show stat` columns status, check_status, check_code,
last_chk and check_desc must be the ones haproxy shows, and the DOWN log
lines the same text.  Also: a server refusing connections is DOWN after
its first failed check at start-up (haproxy's initial health), and
traffic to a check-ssl-only server stays in clear text.
"""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, cli, free_port, start_proxy, summary, wait_for

HALYARD = os.environ.get("HALYARD")
HAPROXY = shutil.which("haproxy") or ("/usr/sbin/haproxy" if os.path.exists("/usr/sbin/haproxy")
                                      else None)

ORIGIN = """
global
    stats socket {sock} level admin
defaults
    mode http
    timeout client 5s
    timeout server 5s
    timeout connect 5s
frontend tlsfe
    bind 127.0.0.1:{tls} ssl crt {d}/s.pem
    http-request return status 200 content-type text/plain string sni if {{ path /sni }} {{ ssl_fc_sni srv.test }}
    http-request return status 200 content-type text/plain string tlsok if {{ path /ok }}
    http-request return status 503 content-type text/plain string bad
frontend plain
    bind 127.0.0.1:{plain}
    http-request return status 200 content-type text/plain string plainok
"""

PROXY = """
global
    stats socket {sock} level admin
    log 127.0.0.1:{udp} local0
defaults
    mode http
    log global
    timeout client 5s
    timeout server 5s
    timeout connect 2s
    timeout check 2s
backend b_l6ok
    server s1 127.0.0.1:{tls} ssl verify none check inter 300
backend b_l6_plain
    server s1 127.0.0.1:{plain} check-ssl verify none check inter 300
backend b_l6_timeout
    server s1 127.0.0.1:{silent} check-ssl verify none check inter 700
backend b_http_ok
    option httpchk GET /sni
    server s1 127.0.0.1:{tls} ssl verify none check inter 300 check-sni srv.test
backend b_http_nosni
    option httpchk GET /ok
    server s1 127.0.0.1:{tls} ssl verify none check inter 300
backend b_http_bad
    option httpchk GET /nope
    server s1 127.0.0.1:{tls} ssl verify none check inter 300 check-sni srv.test
backend b_verify_name
    server s1 127.0.0.1:{tls} ssl verify required ca-file {d}/s.crt verifyhost other.test check inter 300
backend b_verify_ca
    server s1 127.0.0.1:{tls} ssl verify required ca-file {d}/o.crt check inter 300
backend b_verify_ok
    server s1 127.0.0.1:{tls} ssl verify required ca-file {d}/s.crt check-sni srv.test verifyhost srv.test check inter 300
backend b_port_plain
    server s1 127.0.0.1:{tls} ssl verify none check port {plain} inter 300
backend b_checkssl_port
    option httpchk GET /sni
    server s1 127.0.0.1:{plain} check port {tls} check-ssl verify none check-sni srv.test check-alpn http/1.1 inter 300
backend b_no_check_ssl
    server s1 127.0.0.1:{tls} ssl verify none check no-check-ssl inter 300
backend b_refused
    server s1 127.0.0.1:{closed} check inter 3s
frontend fe
    bind 127.0.0.1:{fe}
    use_backend b_checkssl_port
"""

COLUMNS = ["status", "check_status", "check_code", "last_chk", "check_desc", "chkfail",
           "check_rise", "check_fall", "check_health"]
SERVERS = ["b_l6ok", "b_l6_plain", "b_l6_timeout", "b_http_ok", "b_http_nosni", "b_http_bad",
           "b_verify_name", "b_verify_ca", "b_verify_ok", "b_port_plain", "b_checkssl_port",
           "b_no_check_ssl", "b_refused"]
EXPECTED = {  # haproxy 2.6's answers, also checked when it is not installed
    "b_l6ok": ["UP", "L6OK", "", "", "Layer6 check passed"],
    "b_l6_plain": ["DOWN", "L6RSP", "", "SSL handshake failure", "Layer6 invalid response"],
    "b_l6_timeout": ["DOWN", "L6TOUT", "", "", "Layer6 timeout"],
    "b_http_ok": ["UP", "L7OK", "200", "", "Layer7 check passed"],
    "b_http_nosni": ["UP", "L7OK", "200", "", "Layer7 check passed"],
    "b_http_bad": ["DOWN", "L7STS", "503", "Service Unavailable", "Layer7 wrong status"],
    "b_verify_name": ["DOWN", "L6RSP", "",
                      "Server presented an SSL certificate different from the configured one",
                      "Layer6 invalid response"],
    "b_verify_ca": ["DOWN", "L6RSP", "", "SSL handshake failure", "Layer6 invalid response"],
    "b_verify_ok": ["UP", "L6OK", "", "", "Layer6 check passed"],
    "b_port_plain": ["UP", "L4OK", "", "", "Layer4 check passed"],
    "b_checkssl_port": ["UP", "L7OK", "200", "", "Layer7 check passed"],
    "b_no_check_ssl": ["UP", "L4OK", "", "", "Layer4 check passed"],
    "b_refused": ["DOWN", "L4CON", "", "Connection refused", "Layer4 connection problem"],
}
for _k, _v in EXPECTED.items():  # chkfail (b_refused: one check), rise, fall, health
    _v += ["", "2", "3", "4" if _v[0] == "UP" else "0"]


def make_certs(d):
    for name, cn in (("s", "srv.test"), ("o", "other")):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={cn}", "-addext",
                        f"subjectAltName=DNS:{cn}", "-keyout", f"{d}/{name}.key", "-out",
                        f"{d}/{name}.crt", "-days", "30"], check=True, capture_output=True)
        with open(f"{d}/{name}.pem", "w") as f:
            f.write(open(f"{d}/{name}.crt").read() + open(f"{d}/{name}.key").read())


def silent_server():
    """Accepts connections and never sends a byte."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)
    held = []

    def loop():
        while True:
            try:
                held.append(srv.accept()[0])
            except OSError:
                return
    threading.Thread(target=loop, daemon=True).start()
    return srv


class Syslog:
    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.s.settimeout(0.2)
        self.port = self.s.getsockname()[1]
        self.lines = []
        threading.Thread(target=self.loop, daemon=True).start()

    def loop(self):
        while True:
            try:
                self.lines.append(self.s.recv(65536).decode(errors="replace"))
            except socket.timeout:
                continue
            except OSError:
                return

    def downs(self):
        """The text of each "Server ... is DOWN" line after the tag."""
        out = {}
        for ln in self.lines:
            if " is DOWN, reason: " in ln:
                text = ln.split("]: ", 1)[-1].strip()
                text = text.split(", check duration:")[0]  # timing differs
                out[text.split()[1]] = text
        return out


MARKED = set()  # (binary, backend) seen with a check under way ("* " before the status)


def rows(sock, binary=None):
    """The COLUMNS of every s1 row; chkfail only for b_refused (the others
    depend on timing); the "* " of a check under way is noted and removed."""
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0].lstrip("# ").split(",")
    out = {}
    for ln in lines[1:]:
        f = ln.split(",")
        if len(f) > 2 and f[1] == "s1":
            v = [f[cols.index(c)] for c in COLUMNS]
            if v[1].startswith("* "):
                MARKED.add((binary, f[0]))
                v[1] = v[1][2:]
                v[2] = v[3] = "?"  # haproxy clears these during a check
            if f[0] != "b_refused":
                v[5] = ""
            out[f[0]] = v
    return out


def settled(sock, binary, last):
    """Updates <last> with the rows of servers with no check under way."""
    for k, v in rows(sock, binary).items():
        if v[2] != "?":
            last[k] = v[:5] + [""] + v[6:]  # chkfail depends on timing


def run(binary, fields):
    log = Syslog()
    proc, sock, err = start_proxy(binary, PROXY, udp=log.port, **fields)
    try:
        t0 = time.time()
        # the refused server: DOWN after its first check (inter 3s: the first
        # comes within 3 s, and no second one before 3 s more)
        wait_for(lambda: rows(sock, binary).get("b_refused", [""])[0] == "DOWN", 4)
        first = rows(sock, binary).get("b_refused")
        first_t = time.time() - t0
        got = {}
        while time.time() - t0 < 4:  # every other check ran 4+ times
            time.sleep(0.05)
        end = time.time() + 2  # the last sample of each without a check under way
        while time.time() < end:
            settled(sock, binary, got)
            time.sleep(0.02)
        downs = log.downs()
        alive = proc.poll() is None
    finally:
        proc.terminate()
        proc.wait(10)
    return got, first, first_t, downs, alive


def curl_plain(port):
    out = subprocess.run(["curl", "-s", f"http://127.0.0.1:{port}/"], capture_output=True,
                         text=True, timeout=10)
    return out.stdout


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    d = tempfile.mkdtemp()
    make_certs(d)
    silent = silent_server()
    closed = free_port()
    fields = dict(d=d, tls=free_port(), plain=free_port(), silent=silent.getsockname()[1],
                  closed=closed, fe=free_port())
    origin, osock, _ = start_proxy(HALYARD, ORIGIN, **fields)
    try:
        got, first, first_t, downs, alive = run(HALYARD, fields)
        check("halyard stays up", alive)
        for name in SERVERS:
            check(f"{name}: {EXPECTED[name]}", got.get(name) == EXPECTED[name], got.get(name))
        check("refused server DOWN after its first failed check at start-up (chkfail 1)",
              first and first[0] == "DOWN" and first[5] == "1", (first, first_t))
        check("a check under way is shown with '* ' (b_l6_timeout)",
              (HALYARD, "b_l6_timeout") in MARKED, MARKED)
        fields_fe = fields["fe"]
        # traffic to the check-ssl-only server stays in clear text
        p, s, _ = start_proxy(HALYARD, PROXY.replace("{udp}", "1"), settle=0.5,
                              **{k: v for k, v in fields.items()})
        try:
            check("traffic to a check-ssl server is clear text",
                  curl_plain(fields_fe) == "plainok")
        finally:
            p.terminate()
            p.wait(10)
        if HAPROXY:
            hgot, hfirst, _, hdowns, halive = run(HAPROXY, fields)
            check("haproxy ran", halive)
            for name in SERVERS:
                check(f"{name}: same columns as haproxy", got.get(name) == hgot.get(name),
                      f"halyard {got.get(name)} haproxy {hgot.get(name)}")
            check("refused server: haproxy also DOWN after one check", hfirst == first,
                  (hfirst, first))
            check("haproxy also marks the check under way of b_l6_timeout",
                  (HAPROXY, "b_l6_timeout") in MARKED, MARKED)
            for name in sorted(set(downs) | set(hdowns)):
                check(f"DOWN log line of {name} as haproxy's", downs.get(name) == hdowns.get(name),
                      f"\n  halyard {downs.get(name)}\n  haproxy {hdowns.get(name)}")
        else:
            print("haproxy not installed: compared with the recorded answers only")
    finally:
        origin.terminate()
        origin.wait(10)
        shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
