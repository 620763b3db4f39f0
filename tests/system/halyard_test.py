"""Helpers shared by the Python system tests: result reporting, free ports,
one-shot CLI commands over a unix socket, banner servers, `show stat`
fields, starting a proxy on a configuration template and test certificates
made with openssl."""
import os
import socket
import subprocess
import tempfile
import threading
import time

_counts = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    """Records and prints one result ("ok"/"FAIL" line)."""
    _counts["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} {name} {'' if cond else detail}")


def summary():
    """Prints the final "N passed, N failed" line; returns the exit status."""
    print(f"{_counts['passed']} passed, {_counts['failed']} failed")
    return 1 if _counts["failed"] else 0


def free_port():
    """A loopback TCP port that is free right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(sock, cmd, timeout=5):
    """Sends one command line to the CLI at unix socket <sock>; returns the
    whole answer (the session closes after one line)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def hit(port, timeout=2):
    """Connects to the proxy on <port> and returns the first bytes the
    server sends (its name in these tests), or None on failure."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        d = c.recv(16).decode()
        c.close()
        return d or None
    except OSError:
        return None


def banner_server(name="hi", backlog=256):
    """A TCP server on 127.0.0.1 that sends <name> to every client and
    closes; returns its port."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(backlog)

    def run():
        while True:
            c, _ = s.accept()
            try:
                c.sendall(name.encode())
            except OSError:
                pass
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


def stat_field(sock, px, sv, field):
    """The <field> column of the `show stat` row of proxy <px>, server (or
    FRONTEND/BACKEND) <sv>; None when there is no such row."""
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0].lstrip("# ").split(",")
    for ln in lines[1:]:
        f = ln.split(",")
        if len(f) > 2 and f[0] == px and f[1] == sv:
            return f[cols.index(field)]
    return None


def wait_for(cond, timeout=5):
    """Polls <cond>() every 50 ms for up to <timeout> s; its last value."""
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def start_proxy(binary, template, settle=0.2, **fields):
    """Starts <binary> -f on <template> formatted with <fields>, {sock} (a
    stats socket path) and {tmp} (its temporary directory), stderr kept in
    a file; waits for the socket, then <settle> s.  Returns (process,
    socket path, stderr file opened w+)."""
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "s.sock")
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(template.format(sock=sock, tmp=tmp, **fields))
    err = open(os.path.join(tmp, "err"), "w+")
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL, stderr=err)
    wait_for(lambda: os.path.exists(sock) or proc.poll() is not None)
    time.sleep(settle)
    return proc, sock, err


class ThreadedServer:
    """A TCP server on 127.0.0.1 that hands each accepted connection to
    self.serve(c) in a thread of its own (after self.accepted(), a hook
    run in the accepting thread).  Subclasses define serve()."""

    def __init__(self, backlog=64):
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(backlog)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def accepted(self):
        """Called in the accepting thread for each new connection."""

    def _accept(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            self.accepted()
            threading.Thread(target=self.serve, args=(c,), daemon=True).start()

    def serve(self, c):
        raise NotImplementedError


class UdpSink:
    """Receives syslog datagrams on 127.0.0.1 in a thread, keeping every
    one in self.lines."""

    def __init__(self, poll=0.2):
        self.s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        try:  # a large buffer so that loopback bursts are not lost here
            self.s.setsockopt(socket.SOL_SOCKET, 33, 256 << 20)  # SO_RCVBUFFORCE
        except OSError:
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 64 << 20)
        self.s.bind(("127.0.0.1", 0))
        self.port = self.s.getsockname()[1]
        self.lines = []
        self.s.settimeout(poll)
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        while not self.stop.is_set():
            try:
                self.lines.append(self.s.recv(65536))
            except socket.timeout:
                continue

    def wait_for(self, n, limit=30):
        """Waits until <n> lines came (at most <limit> s), then 0.3 s more
        for any beyond; returns how many there are."""
        end = time.time() + limit
        while len(self.lines) < n and time.time() < end:
            time.sleep(0.1)
        time.sleep(0.3)  # anything beyond <n> would show up now
        return len(self.lines)

    def close(self):
        self.stop.set()
        self.t.join()
        self.s.close()


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
