"""Health checks of servers speaking the PROXY protocol: with "send-proxy"
or "send-proxy-v2" the checks send the header too (v1 with the check
connection's own addresses, v2 as a LOCAL header), unless "port" or "addr"
moves them elsewhere; "check-send-proxy" forces it; tcp-check rules send it
on the implicit connection and on "connect default", an explicit connect
only with its own "send-proxy". Each server is a loopback script that only
answers well when the connection starts with the header it expects; the
test reads check_status from show stat and the bytes each script got. Runs
against halyard, then against /usr/sbin/haproxy when it is installed."""
import csv
import os
import re
import subprocess
import sys
import tempfile
import time

from halyard_test import ThreadedServer, check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"
V2_LOCAL = b"\r\n\r\n\x00\r\nQUIT\n\x20\x00\x00\x00"


class Peer(ThreadedServer):
    """A loopback server wanting a PROXY header of version <want> (0: none)
    first. HTTP peers answer 200 when the header is right, else 503; TCP
    peers answer "ok" or "no" after reading "x". Records what it got."""

    def __init__(self, want, http=True):
        self.want, self.http, self.got = want, http, []
        super().__init__()

    def good(self, data, peer):
        """Whether <data> starts with the expected header then the check."""
        v1 = f"PROXY TCP4 127.0.0.1 127.0.0.1 {peer[1]} {self.port}\r\n".encode()
        head = {0: b"", 1: v1, 2: V2_LOCAL}[self.want]
        rest = data[len(head):] if data.startswith(head) else b""
        return rest.startswith(b"OPTIONS / HTTP/1.0\r\n" if self.http else b"x")

    def serve(self, c):
        data, end = b"", b"\r\n\r\n" if self.http else b"x"
        peer = c.getpeername()
        try:
            c.settimeout(1)
            while not data.endswith(end):
                d = c.recv(4096)
                if not d:
                    break
                data += d
            ok = self.good(data, peer)
            if self.http:
                c.sendall(b"HTTP/1.0 %s\r\nContent-Length: 0\r\n\r\n" %
                          (b"200 OK" if ok else b"503 Unavailable"))
            else:
                c.sendall(b"ok" if ok else b"no")
        except OSError:
            pass
        self.got.append(data)
        c.close()


def stat(sock, be):
    try:
        lines = cli(sock, "show stat").splitlines()
    except OSError:
        return {}
    cols = lines[0][2:].split(",")
    for f in csv.reader(lines[1:]):
        if len(f) > 1 and f[0] == be and f[1] == "s1":
            d = dict(zip(cols, f))
            return {k: d.get(k, "").removeprefix("* ") for k in ("status", "check_status")}
    return {}


def wait_for(pred, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


HTTP = ["option httpchk"]
TCP = ["option tcp-check", "tcp-check send x", "tcp-check expect string ok"]


def cases(refused):
    """backend -> (peer's wanted version, http peer, backend lines, server
    options with {p} for the peer's port, expected check_status)."""
    return {
        "v1": (1, True, HTTP, "127.0.0.1:{p} send-proxy", "L7OK"),
        "v2": (2, True, HTTP, "127.0.0.1:{p} send-proxy-v2", "L7OK"),
        "port": (1, True, HTTP, f"127.0.0.1:{refused} send-proxy port {{p}}", "L7STS"),
        "addr": (1, True, HTTP, "127.0.0.2:{p} send-proxy addr 127.0.0.1", "L7STS"),
        "forced": (1, True, HTTP, f"127.0.0.1:{refused} check-send-proxy port {{p}}", "L7OK"),
        "forced-v2": (2, True, HTTP,
                      f"127.0.0.1:{refused} send-proxy-v2 check-send-proxy port {{p}}", "L7OK"),
        "undone": (1, True, HTTP, "127.0.0.1:{p} check-send-proxy no-check-send-proxy", "L7STS"),
        "plain": (0, True, HTTP, "127.0.0.1:{p}", "L7OK"),
        "tcp-implicit": (1, False, TCP, "127.0.0.1:{p} send-proxy", "L7OK"),
        "tcp-explicit": (1, False, ["option tcp-check", "tcp-check connect"] + TCP[1:],
                         "127.0.0.1:{p} send-proxy", "L7RSP"),
        "tcp-default": (2, False, ["option tcp-check", "tcp-check connect default"] + TCP[1:],
                        "127.0.0.1:{p} send-proxy-v2", "L7OK"),
        "tcp-rule": (1, False, ["option tcp-check", "tcp-check connect port {p} send-proxy"]
                     + TCP[1:], f"127.0.0.1:{refused}", "L7OK"),
    }


def run(binary, name):
    print(f"--- {name}")
    tmp = tempfile.mkdtemp(prefix="halyard-chkpp-")
    sock, cfg, log = f"{tmp}/s.sock", f"{tmp}/h.cfg", f"{tmp}/err.log"
    refused = free_port()
    peers, want, text = {}, {}, ""
    for be, (ver, http, lines, srv, status) in cases(refused).items():
        peers[be] = p = Peer(ver, http)
        want[be] = status
        text += f"backend {be}\n" + "".join(f"    {x.format(p=p.port)}\n" for x in lines)
        text += f"    server s1 {srv.format(p=p.port)} check inter 100 rise 1 fall 1\n"
    open(cfg, "w").write(f"""global
    stats socket {sock} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 500ms
frontend fe
    bind 127.0.0.1:{free_port()}
    default_backend plain
""" + text)
    errf = open(log, "w")
    p = subprocess.Popen([binary, "-db", "-f", cfg], stdout=errf, stderr=errf)
    try:
        wait_for(lambda: os.path.exists(sock), 3)
        wait_for(lambda: all(stat(sock, be).get("check_status") == st
                             for be, st in want.items()))
        for be, st in want.items():
            got = stat(sock, be).get("check_status")
            first = peers[be].got[:1]
            check(f"{name}: {be}: check_status {st}", got == st, f"got {got}, peer saw {first}")
        v1 = peers["v1"].got[:1]
        check(f"{name}: a v1 header names the check connection's own addresses",
              v1 and re.match(rb"PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ %d\r\nOPTIONS "
                              % peers["v1"].port, v1[0]), v1)
        v2 = peers["v2"].got[:1]
        check(f"{name}: a v2 header is LOCAL", v2 and v2[0].startswith(V2_LOCAL), v2)
        text = open(log).read()
        check(f"{name}: no sanitizer report", not re.search(r"Sanitizer|runtime error:", text),
              text[-800:])
    finally:
        p.terminate()
        p.wait()


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    run(HALYARD, "halyard")
    if os.access(HAPROXY, os.X_OK):
        run(HAPROXY, "haproxy")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
