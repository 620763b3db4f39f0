"""Runtime API of maps and ACLs: show/get/add/set/del/clear/prepare/commit
map and acl, with versions, "#<id>" and file names.

Every change is checked on live traffic: a map feeding an
"http-request return" body, a map choosing the backend from the Host
header, an ACL file denying sources. The CLI answers of a scripted session
are compared byte for byte with HAProxy 2.6 (/usr/sbin/haproxy, when
present) running the same configuration: entry references ("0x...") are
addresses there and ids here, so they are compared as a placeholder, and
the two ACLs of HAProxy's internal HTTP client are left out.

A last part updates a map in a loop while threads send requests: no
request may fail or see a value that never was in the map.
"""
import http.client
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from halyard_test import check, free_port, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    stats socket {sock} level admin
    stats socket {usock} level user

defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s

frontend fe
    bind 127.0.0.1:{p_fe}
    acl blocked src -f {d}/blocked.lst
    acl inline_paths path_beg /x /y
    http-request deny if blocked
    http-request set-var(txn.be) req.hdr(host),lower,map_str({d}/hosts.map,be_a)
    http-request return status 200 content-type text/plain lf-string "%[path,map({d}/paths.map,none)]" if {{ path_beg /p/ }}
    http-request return status 200 content-type text/plain lf-string "n=%[path,map_str_int({d}/nums.map,-1)]" if {{ path_beg /n/ }}
    use_backend %[var(txn.be)]

backend be_a
    server s 127.0.0.1:{p_a}

backend be_b
    server s 127.0.0.1:{p_b}
"""

FILES = {
    "blocked.lst": "10.0.0.0/8\n# a comment\n192.168.0.0/16\n",
    "hosts.map": "b.example be_b\n",
    "paths.map": "/p/a A1\n/p/b B1 with blanks\n",
    "nums.map": "/n/one 1\n/n/two 2\n",
}


def backend(name):
    """An HTTP server answering its name; returns its port."""
    class H(BaseHTTPRequestHandler):
        def do_GET(self):
            body = name.encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *a):
            pass
    srv = ThreadingHTTPServer(("127.0.0.1", 0), H)
    srv.daemon_threads = True
    threading.Thread(target=srv.serve_forever, daemon=True).start()
    return srv.server_address[1]


def cli(sock, cmd, timeout=10):
    """Sends one command line (and its payload, if any) then closes the
    sending side, as "socat" does; returns the whole answer."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def get(port, path, host="a.example"):
    """(status, body) of a GET, or (0, error)."""
    try:
        c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
        c.request("GET", path, headers={"Host": host})
        r = c.getresponse()
        body = r.read().decode(errors="replace")
        c.close()
        return r.status, body
    except OSError as e:
        return 0, str(e)


class Proxy:
    """One proxy process (halyard or haproxy) on the test configuration."""

    def __init__(self, binary, ports):
        self.tmp = tempfile.mkdtemp()
        self.d = self.tmp
        for name, text in FILES.items():
            with open(os.path.join(self.d, name), "w") as f:
                f.write(text)
        self.sock = os.path.join(self.tmp, "admin.sock")
        self.usock = os.path.join(self.tmp, "user.sock")
        self.port = free_port()
        cfg = os.path.join(self.tmp, "test.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(sock=self.sock, usock=self.usock, p_fe=self.port, d=self.d,
                                  **ports))
        self.errlog = open(os.path.join(self.tmp, "stderr"), "w+")
        self.proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL,
                                     stderr=self.errlog)
        for _ in range(100):
            if os.path.exists(self.sock) and get(self.port, "/p/a")[0]:
                break
            time.sleep(0.05)

    def cli(self, cmd, user=False):
        return cli(self.usock if user else self.sock, cmd)

    def alive(self):
        return self.proc.poll() is None

    def stop(self):
        """Stops the process; returns what sanitizers reported, if anything."""
        self.proc.terminate()
        try:
            self.proc.wait(10)
        except subprocess.TimeoutExpired:
            self.proc.kill()
        self.errlog.seek(0)
        err = self.errlog.read()
        self.errlog.close()
        shutil.rmtree(self.tmp, ignore_errors=True)
        bad = [l for l in err.splitlines() if "Sanitizer" in l or "runtime error" in l]
        return "\n".join(bad[:5])


def normalize(text, d):
    """Entry references as a placeholder, the temporary directory as D, and
    no line about HAProxy's internal HTTP client."""
    text = re.sub(r"0x[0-9a-f]+", "0xID", text.replace(d, "D"))
    return "".join(l for l in text.splitlines(True) if "file 'httpclient'" not in l)


def ids(p):
    """List id by file name (or "acl '<kw>' line <n>" for inline lists)."""
    out = {}
    for line in (p.cli("show map") + p.cli("show acl")).splitlines()[1:]:
        m = re.match(r"(-?\d+) \(([^)]*)\) (.*)", line)
        if m:
            out[os.path.basename(m.group(2)) or m.group(3)[:40]] = m.group(1)
    return out


def scenario(name, p):
    """Changes maps and ACLs and checks traffic after each step. Returns the
    transcript of the CLI session, normalized."""
    d = p.d
    log = []

    def run(cmd, user=False):
        out = p.cli(cmd, user)
        log.append(f"=== {cmd}\n{out}")
        return out

    def body(path, host="a.example"):
        return get(p.port, path, host)

    t = f"{name}:"
    pm, hm, bl, nm = (f"{d}/paths.map", f"{d}/hosts.map", f"{d}/blocked.lst", f"{d}/nums.map")
    check(f"{t} map value at start", body("/p/a") == (200, "A1"), body("/p/a"))
    check(f"{t} default backend", body("/", "a.example") == (200, "be_a"))
    check(f"{t} mapped backend", body("/", "B.EXAMPLE") == (200, "be_b"))
    run("show map")
    run("show acl")
    run(f"show map {pm}")
    run(f"show acl {bl}")
    run(f"get map {pm} /p/a")
    run(f"get map {pm} /p/none")
    run(f"get acl {bl} 10.1.2.3")
    run(f"get acl {bl} 1.2.3.4")
    run(f"get acl {bl} not-an-address")
    run(f"get map {nm} /n/two")

    # set, add, del
    run(f"set map {pm} /p/a A2")
    check(f"{t} set map applies at once", body("/p/a") == (200, "A2"), body("/p/a"))
    run(f"add map {pm} /p/new NEW\\ value")
    check(f"{t} add map applies at once", body("/p/new") == (200, "NEW value"), body("/p/new"))
    run(f"add map {pm} /p/new SHADOWED")
    check(f"{t} first of duplicate keys wins", body("/p/new")[1] == "NEW value")
    run(f"show map {pm}")
    run(f"del map {pm} /p/new")
    check(f"{t} del map removes every entry of the key", body("/p/new") == (200, "none"))
    ref = re.search(r"(0x[0-9a-f]+) /p/b ", p.cli(f"show map {pm}"))
    run(f"set map {pm} #{ref.group(1)} B2")
    check(f"{t} set map by reference", body("/p/b") == (200, "B2"), body("/p/b"))
    run(f"del map {pm} #{ref.group(1)}")
    check(f"{t} del map by reference", body("/p/b") == (200, "none"))
    run(f"add map {nm} /n/three 3")
    check(f"{t} integer map value", body("/n/three") == (200, "n=3"), body("/n/three"))
    run(f"add map {nm} /n/bad notanumber")
    check(f"{t} refused value not added", body("/n/bad") == (200, "n=-1"), body("/n/bad"))
    run("show map")

    # errors
    run("show map /nonexistent")
    run("show map #999")
    run(f"set map {pm} /p/missing x")
    run(f"set map {pm} #0x1 x")
    run(f"set map {pm} #0xzz x")
    run(f"del map {pm} /p/missing")
    run(f"set map {pm} /p/a")
    run("add map")
    run(f"add acl {pm} /p/x")
    run(f"add acl {bl} not-an-address")
    run("del acl #999 x")
    run("get map")
    run(f"commit map {pm}")
    run(f"commit map @5 {pm}")
    run(f"add map @5 {pm} /p/a x")
    run("clear map")
    check(f"{t} errors left traffic alone", body("/p/a") == (200, "A2"))

    # versions: nothing changes for traffic until the commit
    run(f"prepare map {pm}")
    run(f"prepare map {pm}")
    run(f"add map @1 {pm} /p/a V1")
    run(f"add map @2 {pm} /p/a V2")
    run(f"add map @2 {pm} /p/c V2c")
    run(f"show map @2 {pm}")
    run("show map")
    check(f"{t} prepared version invisible", body("/p/a") == (200, "A2") and
          body("/p/c") == (200, "none"))
    run(f"commit map @2 {pm}")
    check(f"{t} committed version live", body("/p/a") == (200, "V2") and
          body("/p/c") == (200, "V2c"), f"{body('/p/a')} {body('/p/c')}")
    run(f"show map {pm}")
    run(f"show map @1 {pm}")
    run("show map")
    run(f"clear map {pm}")
    check(f"{t} clear map", body("/p/a") == (200, "none"))
    run(f"add map {pm} <<\n/p/a P1\n/p/d P d\n/p/e\n")
    check(f"{t} payload entries added", body("/p/d") == (200, "P d"), body("/p/d"))
    run(f"show map {pm}")

    # backend selection
    run(f"set map {hm} b.example be_a")
    check(f"{t} backend map set", body("/", "b.example") == (200, "be_a"))
    run(f"add map {hm} c.example be_b")
    check(f"{t} backend map add", body("/", "c.example") == (200, "be_b"))
    run(f"get map {hm} c.example")

    # ACL decisions
    check(f"{t} not denied at start", body("/")[0] == 200)
    run(f"add acl {bl} 127.0.0.1")
    check(f"{t} add acl denies", body("/")[0] == 403, body("/"))
    run(f"get acl {bl} 127.0.0.1")
    run(f"del acl {bl} 127.0.0.1")
    check(f"{t} del acl allows", body("/")[0] == 200)
    run(f"prepare acl {bl}")
    run(f"add acl @1 {bl} 127.0.0.0/8")
    check(f"{t} prepared acl invisible", body("/")[0] == 200)
    run(f"show acl @1 {bl}")
    run(f"commit acl @1 {bl}")
    check(f"{t} committed acl denies", body("/")[0] == 403)
    run("show acl")
    run(f"clear acl {bl}")
    check(f"{t} clear acl allows", body("/")[0] == 200)
    run("add acl #1 /z")
    run("show acl #1")
    run("del acl #1 /z")

    # the 2.6 binary answers every one of these at user level too
    run(f"add map {pm} /p/u U", user=True)
    check(f"{t} user level may add", body("/p/u") == (200, "U"))
    run("show map", user=True)
    check(f"{t} process alive", p.alive())
    return normalize("".join(log), d)


def hammer(p, seconds=3.0, threads=8):
    """Requests from several threads while the map changes; returns
    (requests, failures, first failure)."""
    stop = threading.Event()
    counts = {"n": 0, "bad": 0, "first": None}
    lock = threading.Lock()
    allowed = {"A1", "S1", "S2", "C1", "none"}

    def worker(i):
        c = None
        while not stop.is_set():
            try:
                if c is None:
                    c = http.client.HTTPConnection("127.0.0.1", p.port, timeout=5)
                c.request("GET", "/p/a" if i % 2 else "/p/c")
                r = c.getresponse()
                b = r.read().decode()
                ok = r.status == 200 and b in allowed
                detail = (r.status, b)
            except (OSError, http.client.HTTPException) as e:
                ok, detail, c = False, repr(e), None
            with lock:
                counts["n"] += 1
                if not ok:
                    counts["bad"] += 1
                    counts["first"] = counts["first"] or detail
    ts = [threading.Thread(target=worker, args=(i,)) for i in range(threads)]
    for th in ts:
        th.start()
    pm = f"{p.d}/paths.map"
    end = time.time() + seconds
    k = 0
    while time.time() < end:
        k += 1
        p.cli(f"set map {pm} /p/a S{k % 2 + 1}")
        p.cli(f"add map {pm} /p/c C1")
        p.cli(f"del map {pm} /p/c")
        v = p.cli(f"prepare map {pm}").split(":")[-1].strip()
        p.cli(f"add map @{v} {pm} <<\n/p/a S1\n/p/c C1\n/p/x{k} filler\n")
        p.cli(f"commit map @{v} {pm}")
        p.cli(f"clear map {pm}")
        p.cli(f"add map {pm} /p/a A1")
    stop.set()
    for th in ts:
        th.join()
    return counts["n"], counts["bad"], counts["first"]


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    ports = {"p_a": backend("be_a"), "p_b": backend("be_b")}
    ours = Proxy(HALYARD, ports)
    try:
        mine = scenario("halyard", ours)
    finally:
        report = ours.stop()
    check("halyard: no sanitizer report", not report, report)
    if os.path.exists(HAPROXY):
        theirs = Proxy(HAPROXY, ports)
        try:
            ref = scenario("haproxy", theirs)
        finally:
            theirs.stop()
        a, b = mine.splitlines(True), ref.splitlines(True)
        diff = [f"- {x!r}\n+ {y!r}" for x, y in zip(b, a) if x != y][:5]
        check("CLI answers identical to haproxy 2.6", a == b,
              f"{len(a)} vs {len(b)} lines\n" + "\n".join(diff))
    p = Proxy(HALYARD, ports)
    try:
        n, bad, first = hammer(p)
        check(f"concurrent updates: {n} requests, none failed", n > 100 and bad == 0,
              f"{bad} failed, first: {first}")
        check("concurrent updates: process alive", p.alive())
        check("concurrent updates: CLI still answers",
              p.cli(f"get map {p.d}/paths.map /p/a").startswith("type=str"))
    finally:
        report = p.stop()
    check("concurrent updates: no sanitizer report", not report, report)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
