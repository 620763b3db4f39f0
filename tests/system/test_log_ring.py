"""Rings forwarding log lines to TCP syslog servers.

- "ring ... server" with the default framing (one line per newline) and with
  "log-proto octet-count" ("<len> <line>"), and a "log tcp@<addr>" target:
  every request's line reaches its receiver, framed as configured.
- A receiver that stops reading: requests are never held up, the ring keeps
  what it can and counts the lines it had to drop ("show events"), and once
  a receiver listens again the forwarder reconnects and delivers new lines.
"""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.request

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")

CONFIG = """
global
    stats socket {sock} level admin

ring nl
    format raw
    size 65536
    timeout connect 1s
    timeout server 2s
    server r1 127.0.0.1:{p_nl}

ring oc
    format short
    size 65536
    server r2 127.0.0.1:{p_oc} log-proto octet-count

ring small
    format raw
    maxlen 4096
    size 16384
    timeout server 500ms
    server r3 127.0.0.1:{p_small}

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{port}
    log ring@nl local0
    log ring@oc local0
    log tcp@127.0.0.1:{p_tcp} local0
    log-format "line %HU"
    http-request return status 200

frontend fe_small
    bind 127.0.0.1:{port2}
    log ring@small local0
    log-format "small %HU {pad}"
    http-request return status 200
"""


class Receiver:
    """A TCP server keeping every byte of every connection."""

    def __init__(self, port, read=True):
        self.port, self.data, self.conns = port, b"", 0
        self.read = read
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        if not read:  # a tiny window, so that the proxy's sends block soon
            self.s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 2048)
        self.s.bind(("127.0.0.1", port))
        self.s.listen(8)
        self.s.settimeout(0.2)
        self.stop = threading.Event()
        self.t = threading.Thread(target=self.loop, daemon=True)
        self.t.start()

    def loop(self):
        held = []
        while not self.stop.is_set():
            try:
                c, _ = self.s.accept()
            except OSError:
                continue
            self.conns += 1
            if not self.read:
                held.append(c)  # accepted, never read
                continue
            c.settimeout(0.2)
            while not self.stop.is_set():
                try:
                    d = c.recv(65536)
                except socket.timeout:
                    continue
                if not d:
                    break
                self.data += d
            c.close()
        for c in held:
            c.close()

    def close(self):
        self.stop.set()
        self.t.join()
        self.s.close()


def get(port, path):
    try:
        return urllib.request.urlopen(f"http://127.0.0.1:{port}{path}", timeout=5).status
    except Exception as e:  # noqa: BLE001 - any failure is a failed request
        return str(e)


def octet_frames(data):
    """Splits "<len> <frame>..." (RFC 6587 octet counting); None if malformed."""
    out, i = [], 0
    while i < len(data):
        sp = data.find(b" ", i)
        if sp < 0 or not data[i:sp].isdigit():
            return None
        n = int(data[i:sp])
        out.append(data[sp + 1:sp + 1 + n].decode(errors="replace"))
        i = sp + 1 + n
    return out


def wait_until(cond, limit=10):
    end = time.time() + limit
    while time.time() < end and not cond():
        time.sleep(0.05)
    return cond()


def dropped(sock, ring):
    m = re.search(rf"^\s+{ring}\s+: type=buffer, (\d+) dropped", cli(sock, "show events"), re.M)
    return int(m.group(1)) if m else -1


def main():
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "stats.sock")
    ports = {k: free_port() for k in ("port", "port2", "p_nl", "p_oc", "p_tcp", "p_small")}
    rx = {k: Receiver(ports[k]) for k in ("p_nl", "p_oc", "p_tcp")}
    stuck = Receiver(ports["p_small"], read=False)
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, pad="x" * 3500, **ports))
    proc = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_until(lambda: os.path.exists(sock))
        time.sleep(0.3)
        n = 200
        ok = sum(get(ports["port"], f"/r{i}") == 200 for i in range(n))
        check("requests answered", ok == n, f"{ok}/{n}")
        # lines of different connections may be written in any order
        want_nl = sorted(f"line /r{i}" for i in range(n))
        check("newline framing: every line",
              wait_until(lambda: sorted(rx["p_nl"].data.decode().split("\n")[:-1]) == want_nl
                         and rx["p_nl"].data.endswith(b"\n")), rx["p_nl"].data[-200:])
        want_oc = sorted(f"<6>line /r{i}" for i in range(n))
        check("octet-count framing: every line",
              wait_until(lambda: sorted(octet_frames(rx["p_oc"].data)) == want_oc),
              rx["p_oc"].data[-200:])
        lines = rx["p_tcp"].data.decode(errors="replace").splitlines()
        check("tcp@ target: one rfc3164 line per request",
              wait_until(lambda: len(rx["p_tcp"].data.splitlines()) == n) and all(
                  re.match(r"^<134>\w{3} [ \d]\d [\d:]{8} [^ ]+\[\d+\]: line /r\d+$", x)
                  for x in rx["p_tcp"].data.decode().splitlines()), str(lines[:2]))

        # a receiver that accepts and never reads
        m = 2000
        ok = sum(get(ports["port2"], f"/s{i}") == 200 for i in range(m))
        check("stuck receiver: requests are never held up", ok == m, f"{ok}/{m}")
        d = dropped(sock, "small")
        check("stuck receiver: dropped lines are counted", d > 0, str(d))
        # the receiver goes away: the forwarder notices and reconnects to a
        # new one, which gets the new lines
        stuck.close()
        fresh = Receiver(ports["p_small"])
        try:
            # the ring still holds the lines the old receiver never took: they
            # go first, then there is room for new lines again
            wait_until(lambda: fresh.data.count(b"\n") >= 1, 10)
            time.sleep(0.2)
            get(ports["port2"], "/after")
            check("new receiver: the forwarder reconnects and delivers",
                  wait_until(lambda: b"small /after" in fresh.data, 10), fresh.data[-200:])
        finally:
            fresh.close()
    finally:
        proc.terminate()
        proc.wait()
        for r in rx.values():
            r.close()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
