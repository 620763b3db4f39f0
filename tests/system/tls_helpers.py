"""Helpers shared by the TLS system tests: certificates made with the
openssl command at test time, an HTTP origin, TLS clients, a UDP log sink.
"""
import http.server
import os
import socket
import socketserver
import ssl
import subprocess
import threading
import time

BIG = os.urandom(300 * 1024)


def sh(*args, cwd):
    subprocess.run(args, cwd=cwd, check=True, capture_output=True, timeout=60)


def make_certs(d):
    """CA, then three leaves signed by it; each PEM = leaf + CA + key."""
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
       "-out", "ca.crt", "-subj", "/CN=Test CA", "-days", "2", cwd=d)
    leaves = [("a", "ec", "a.example", "DNS:a.example,DNS:alt.example"),
              ("b", "rsa", "b.example", "DNS:b.example"),
              ("w", "ec", "*.wild.example", "DNS:*.wild.example")]
    for name, kind, cn, san in leaves:
        key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" \
            else ["-newkey", "rsa:2048"]
        sh("openssl", "req", "-new", *key, "-nodes", "-keyout", f"{name}.key", "-out",
           f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
        with open(os.path.join(d, f"{name}.ext"), "w") as f:
            f.write(f"subjectAltName={san}\n")
        sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
           "-CAcreateserial", "-days", "2", "-extfile", f"{name}.ext", "-out", f"{name}.crt",
           cwd=d)
        with open(os.path.join(d, f"{name}.pem"), "w") as f:
            for part in (f"{name}.crt", "ca.crt", f"{name}.key"):
                f.write(open(os.path.join(d, part)).read())


CA_CNF = """[ca]
default_ca = cca
[cca]
dir = {d}
database = {d}/{name}.index
serial = {d}/{name}.serial
crlnumber = {d}/{name}.crlnum
new_certs_dir = {d}
certificate = {d}/{name}.crt
private_key = {d}/{name}.key
default_md = sha256
default_crl_days = 2
policy = anything
unique_subject = no
copy_extensions = none
[anything]
countryName = optional
stateOrProvinceName = optional
organizationName = optional
organizationalUnitName = optional
commonName = supplied
[leaf]
basicConstraints = CA:FALSE
keyUsage = digitalSignature
extendedKeyUsage = clientAuth
[ca_ext]
basicConstraints = critical,CA:TRUE
keyUsage = keyCertSign,cRLSign
"""


def make_ca(d, name, subj):
    """A self-signed CA <name>.crt/.key able to sign with `openssl ca`."""
    sh("openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
       "-nodes", "-keyout", f"{name}.key", "-out", f"{name}.crt", "-subj", subj, "-days", "3",
       cwd=d)
    open(os.path.join(d, f"{name}.index"), "w").close()
    with open(os.path.join(d, f"{name}.serial"), "w") as f:
        f.write("1000\n")
    with open(os.path.join(d, f"{name}.crlnum"), "w") as f:
        f.write("01\n")
    with open(os.path.join(d, f"{name}.cnf"), "w") as f:
        f.write(CA_CNF.format(d=d, name=name))


def sign_client(d, ca, name, subj, start=None, end=None, ext="leaf"):
    """Client certificate <name>.crt/.key signed by CA <ca>; validity from
    <start> to <end> (YYYYMMDDhhmmssZ), else two days from now."""
    if not os.path.exists(os.path.join(d, f"{name}.key")):
        sh("openssl", "genpkey", "-algorithm", "ec", "-pkeyopt", "ec_paramgen_curve:P-256",
           "-out", f"{name}.key", cwd=d)
    sh("openssl", "req", "-new", "-key", f"{name}.key", "-out", f"{name}.csr", "-subj", subj,
       cwd=d)
    dates = ["-startdate", start, "-enddate", end] if start else ["-days", "2"]
    sh("openssl", "ca", "-batch", "-config", f"{ca}.cnf", "-extensions", ext, "-notext",
       "-in", f"{name}.csr", "-out", f"{name}.crt", *dates, cwd=d)


def make_sub_ca(d, parent, name, subj, start=None, end=None):
    """An intermediate CA <name> signed by CA <parent> (validity as in
    sign_client()), able to sign in turn."""
    make_ca(d, name, subj)
    sign_client(d, parent, name, subj, start, end, ext="ca_ext")


def revoke(d, ca, name):
    """Revokes <name>.crt and writes CA <ca>'s CRL to <ca>.crl."""
    sh("openssl", "ca", "-config", f"{ca}.cnf", "-revoke", f"{name}.crt", cwd=d)
    sh("openssl", "ca", "-config", f"{ca}.cnf", "-gencrl", "-out", f"{ca}.crl", cwd=d)


def x509_field(d, crt, *opts):
    """Output of `openssl x509 -noout <opts>` on <crt>, stripped."""
    r = subprocess.run(["openssl", "x509", "-in", crt, "-noout", *opts], cwd=d, check=True,
                       capture_output=True, text=True, timeout=30)
    return r.stdout.strip()


class Origin(http.server.BaseHTTPRequestHandler):
    """GET /big: BIG; POST: echoes the body; else a short text."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        body = BIG if self.path == "/big" else b"hello\n"
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def do_POST(self):
        body = self.rfile.read(int(self.headers["Content-Length"]))
        self.send_response(200)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *a):
        pass


class Server(socketserver.ThreadingMixIn, http.server.HTTPServer):
    daemon_threads = True
    request_queue_size = 512


def start_origin():
    """An Origin server on 127.0.0.1 in a thread; returns the server."""
    origin = Server(("127.0.0.1", 0), Origin)
    threading.Thread(target=origin.serve_forever, daemon=True).start()
    return origin


class UdpLog:
    """Collects syslog datagrams sent to 127.0.0.1:self.port."""

    def __init__(self):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.lines = []
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            self.lines.append(self.s.recv(65536).decode(errors="replace"))

    def wait_for(self, text, timeout=5):
        end = time.time() + timeout
        while time.time() < end:
            if any(text in ln for ln in self.lines):
                return True
            time.sleep(0.05)
        return False


def client_ctx(d, **kw):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(os.path.join(d, "ca.crt"))
    c.check_hostname = False
    for k, v in kw.items():
        if k == "ciphers":
            c.set_ciphers(v)
        elif k == "alpn":
            c.set_alpn_protocols(v)
        elif k == "cert":
            c.load_cert_chain(os.path.join(d, f"{v}.crt"), os.path.join(d, f"{v}.key"))
        else:
            setattr(c, k, v)
    return c


def connect(port, ctx, sni=None, session=None):
    raw = socket.create_connection(("127.0.0.1", port), timeout=5)
    try:
        return ctx.wrap_socket(raw, server_hostname=sni, session=session)
    except Exception:
        raw.close()
        raise


def read_response(f):
    """Reads one HTTP/1.1 response from file <f>: (status, headers, body)."""
    status = int(f.readline().split()[1])
    hdrs = {}
    while True:
        ln = f.readline().decode().rstrip("\r\n")
        if not ln:
            break
        k, v = ln.split(":", 1)
        hdrs[k.strip().lower()] = v.strip()
    body = f.read(int(hdrs.get("content-length", 0)))
    return status, hdrs, body


def request(s, method="GET", path="/", body=b""):
    head = f"{method} {path} HTTP/1.1\r\nHost: x\r\nContent-Length: {len(body)}\r\n\r\n"
    s.sendall(head.encode() + body)
    return read_response(s.makefile("rb"))
