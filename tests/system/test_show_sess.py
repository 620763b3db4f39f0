"""'show sess' and 'shutdown session <id>' with streams spread over four
threads: HTTP and TCP streams held open by a silent server are listed with
HAProxy's leading fields (proto, src, fe, be, srv, age), a listed id ends
its stream (the client sees the close), and the answers to bad ids and the
levels are HAProxy 2.6's (compared with /usr/sbin/haproxy when present,
leaving out the lines of HAProxy's own CLI stream and the fields Halyard
does not print)."""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, free_port, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    stats socket {sock} level admin
    stats socket {usock} level user
    nbthread 4

defaults
    mode http
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:{p_http}
    default_backend be_http

frontend ft
    mode tcp
    bind 127.0.0.1:{p_tcp}
    default_backend be_tcp

backend be_http
    server s1 127.0.0.1:{p_srv}

backend be_tcp
    mode tcp
    server s2 127.0.0.1:{p_srv}
"""

LINE = re.compile(r"^(0x[0-9a-f]+): proto=(\S+) src=(\S+) fe=(\S+) be=(\S+) srv=(\S+)"
                  r"(?: ts=\S+ epoch=\S+)? age=(\S+)")


def silent_server():
    """Accepts connections and never answers; returns its port."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    held = []

    def run():
        while True:
            c, _ = s.accept()
            held.append(c)
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


def cli(sock, cmd):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(10)
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


def sessions(sock):
    """The listed streams of the proxies (not the CLI's own)."""
    out = []
    for line in cli(sock, "show sess").splitlines():
        m = LINE.match(line)
        if m and m.group(2) != "unix_stream":
            out.append(m.groups())
    return out


def run(name, binary, p_srv):
    tmp = tempfile.mkdtemp()
    sock, usock = os.path.join(tmp, "a.sock"), os.path.join(tmp, "u.sock")
    ports = {"p_http": free_port(), "p_tcp": free_port(), "p_srv": p_srv}
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, usock=usock, **ports))
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    clients = []
    answers = []
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(0.2)
        for _ in range(4):
            h = socket.create_connection(("127.0.0.1", ports["p_http"]), timeout=5)
            h.sendall(b"GET /x HTTP/1.1\r\nHost: x\r\n\r\n")
            t = socket.create_connection(("127.0.0.1", ports["p_tcp"]), timeout=5)
            t.sendall(b"hello")
            clients += [h, t]
        time.sleep(1.3)
        ss = sessions(sock)
        check(f"{name}: eight streams listed", len(ss) == 8, repr(ss))
        http = [s for s in ss if s[3] == "fe"]
        tcp = [s for s in ss if s[3] == "ft"]
        check(f"{name}: HTTP streams", len(http) == 4 and
              all(s[4] == "be_http" and s[5] == "s1" for s in http), repr(http))
        check(f"{name}: TCP streams", len(tcp) == 4 and
              all(s[4] == "be_tcp" and s[5] == "s2" for s in tcp), repr(tcp))
        check(f"{name}: proto, source and age", all(
            s[1] == "tcpv4" and s[2].startswith("127.0.0.1:") and s[6] in ("1s", "2s")
            for s in ss), repr(ss))
        ports_of = {c.getsockname()[1]: c for c in clients}
        victim = tcp[0]
        answers.append(cli(sock, f"shutdown session {victim[0]}"))
        c = ports_of.get(int(victim[2].rsplit(":", 1)[1]))
        c.settimeout(3)
        try:
            closed = c.recv(10) == b""
        except OSError:
            closed = True
        check(f"{name}: shutdown session closes the client", closed)
        time.sleep(0.2)
        left = sessions(sock)
        check(f"{name}: the stream is gone", len(left) == 7 and
              victim[0] not in [s[0] for s in left], repr(left))
        for cmd in ("shutdown session 0x1234", "shutdown session", "shutdown session zz"):
            answers.append(cli(sock, cmd))
        answers.append(cli(usock, "show sess"))
        answers.append(cli(usock, f"shutdown session {tcp[1][0]}"))
        check(f"{name}: process alive", proc.poll() is None)
        return answers
    finally:
        for c in clients:
            c.close()
        proc.terminate()
        proc.wait(10)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    p_srv = silent_server()
    ours = run("halyard", HALYARD, p_srv)
    check("answers", ours[1:] == ["No such session (use 'show sess').\n\n",
                                  "Session pointer expected (use 'show sess').\n\n",
                                  "Session pointer expected (use 'show sess').\n\n",
                                  "Permission denied\n\n", "Permission denied\n\n"], repr(ours))
    if os.path.exists(HAPROXY):
        theirs = run("haproxy", HAPROXY, p_srv)
        check("same answers as haproxy 2.6", ours == theirs, f"{ours!r} vs {theirs!r}")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
