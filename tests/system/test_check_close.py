"""How health-check connections end, as in HAProxy 2.6: a check that
exchanges nothing (plain layer-4 check, tcp-check with a lone connect) holds
back the last ACK of the handshake and resets the connection, so the server
never accepts it; other checks end with a reset, unless their connect rule
says "linger" (a clean close), as the smtp, mysql and pgsql checks do.

One server per backend greets, reads, and records how the connection ended
("RST", "EOF"), or nothing when it never got to accept one."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port

HALYARD = os.environ.get("HALYARD")


class Recorder:
    """Accepts connections, sends a greeting, reads until the peer ends
    the connection and counts how it did."""

    def __init__(self, greeting):
        self.port, self.seen, self.lock = free_port(), {}, threading.Lock()
        self.greeting = greeting
        self.lsn = socket.socket()
        self.lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.lsn.bind(("127.0.0.1", self.port))
        self.lsn.listen(64)
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.lsn.accept()
            except OSError:
                return
            threading.Thread(target=self.one, args=(c,), daemon=True).start()

    def one(self, c):
        c.settimeout(2)
        how = "timeout"
        try:
            c.sendall(self.greeting)
            while True:
                if not c.recv(4096):
                    how = "EOF"
                    break
        except ConnectionResetError:
            how = "RST"
        except OSError:
            pass
        c.close()
        with self.lock:
            self.seen[how] = self.seen.get(how, 0) + 1

    def stop(self):
        try:
            self.lsn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsn.close()


CASES = {
    "plain": ("", None),
    "connect-only": ("option tcp-check\n    tcp-check connect", None),
    "connect-linger": ("option tcp-check\n    tcp-check connect linger", "EOF"),
    "expect": ("option tcp-check\n    tcp-check expect string OK", "RST"),
    "expect-linger": ("option tcp-check\n    tcp-check connect linger\n"
                      "    tcp-check expect string OK", "EOF"),
    "redis": ("option redis-check", "RST"),
    "smtp": ("option smtpchk", "EOF"),
}


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    tmp = tempfile.mkdtemp(prefix="halyard-chkclose-")
    servers = {name: Recorder(b"+PONG\r\n" if name == "redis" else b"+OK ready\r\n")
               for name in CASES}
    cfg = f"{tmp}/h.cfg"
    text = f"""defaults
    mode tcp
    timeout connect 1s
    timeout client 2s
    timeout server 2s
    timeout check 1s
frontend fe
    bind 127.0.0.1:{free_port()}
    default_backend plain
"""
    for name, (rules, _) in CASES.items():
        text += (f"backend {name}\n    {rules}\n"
                 f"    server s 127.0.0.1:{servers[name].port} check inter 200\n")
    open(cfg, "w").write(text)
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        time.sleep(1.5)
        # before the proxy goes: the kernel would close what it has open
        seen_at = {}
        for name, srv in servers.items():
            with srv.lock:
                seen_at[name] = dict(srv.seen)
    finally:
        p.kill()
        p.wait()
    for name, (_, expected) in CASES.items():
        seen = seen_at[name]
        servers[name].stop()
        if expected is None:
            check(f"{name}: the server never accepts a check connection", not seen, seen)
        else:
            check(f"{name}: check connections end with {expected}",
                  seen.get(expected, 0) >= 3 and set(seen) == {expected}, seen)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
