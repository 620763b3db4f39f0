"""'set server <b>/<s> addr <ip> [port <port>]': the answers are HAProxy
2.6's byte for byte (compared with /usr/sbin/haproxy running the same
configuration when it is installed), and the new address takes effect:
new TCP connections go to it, HTTP idle connections to the old address are
not reused (http-reuse always), health checks follow it, and 'show servers
state' and 'show stat' show it."""
import os
import socket
import sys
import threading
import time

from halyard_test import (banner_server, check, cli, free_port, start_proxy, stat_field, summary, wait_for)

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    stats socket {sock} level admin
    nbthread 2
defaults
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend ft
    mode tcp
    bind 127.0.0.1:{p_tcp}
    default_backend bt
frontend fh
    mode http
    bind 127.0.0.1:{p_http}
    default_backend bh
backend bt
    mode tcp
    server s1 127.0.0.1:{p_a}
backend bx
    mode tcp
    server m1 127.0.0.1
    server m2 127.0.0.1:+10
    server u1 unix@{tmp}/nowhere.sock
backend bh
    mode http
    http-reuse always
    server h1 127.0.0.1:{p_ha}
backend bc
    mode tcp
    server c1 127.0.0.1:{p_closed} check inter 200 rise 1 fall 1
"""

# The command sequence; the answers of both programs are compared.
COMMANDS = [
    "set server bt/s1 addr",
    "set server bt/s1 addr foo",
    "set server bt/s1 addr 1.2.3.4:80",
    "set server bt/s1 addr 127.0.0.1",
    "set server bt/s1 addr 127.0.0.2",
    "set server bt/s1 addr 127.0.0.2 port abc",
    "set server bt/s1 addr 127.0.0.2 port",
    "set server bt/s1 addr 127.0.0.2 port +5",
    "set server bt/s1 addr ::1 port 70000",
    "set server bt/s1 addr 127.0.0.1 port {p_a}",
    "set server bx/m1 addr 127.0.0.5",
    "set server bx/m1 addr 127.0.0.5 port 80",
    "set server bx/m2 addr 127.0.0.6 port -3",
    "set server bx/u1 addr 127.0.0.5",
    "set server bt/s1 foo",
    "set server bt/s1",
    "set server bt/nope addr 127.0.0.1",
]


def http_server(name):
    """A keep-alive HTTP/1.1 server answering "<name>" to every request on
    the connection; counts its connections. Returns (port, counter)."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)
    conns = [0]

    def serve(c):
        buf = b""
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                buf += d
                while b"\r\n\r\n" in buf:
                    buf = buf.split(b"\r\n\r\n", 1)[1]
                    c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s"
                              % (len(name), name.encode()))
        except OSError:
            pass
        c.close()

    def run():
        while True:
            c, _ = s.accept()
            conns[0] += 1
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1], conns


def tcp_banner(port):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=3)
        c.settimeout(3)
        d = c.recv(16).decode()
        c.close()
        return d
    except OSError:
        return None


def http_get(port):
    """One request on a new client connection; the body, or None."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=3)
        c.settimeout(3)
        c.sendall(b"GET / HTTP/1.1\r\nhost: x\r\n\r\n")
        d = b""
        while b"\r\n\r\n" not in d or len(d.split(b"\r\n\r\n", 1)[1]) < 2:
            chunk = c.recv(4096)
            if not chunk:
                break
            d += chunk
        c.close()
        return d.split(b"\r\n\r\n", 1)[1].decode() if b"\r\n\r\n" in d else None
    except OSError:
        return None


def start(binary, ports):
    proc, sock, _ = start_proxy(binary, CONFIG, **ports)
    return proc, sock


def answers(binary, ports):
    proc, sock = start(binary, ports)
    try:
        return [cli(sock, c.format(**ports)) for c in COMMANDS]
    finally:
        proc.kill()
        proc.wait()


def effects(ports, p_b, p_hb, hb_conns, ha_conns):
    """What a changed address does, on Halyard."""
    proc, sock = start(HALYARD, ports)
    try:
        check("before: TCP traffic reaches A", tcp_banner(ports["p_tcp"]) == "A")
        out = cli(sock, f"set server bt/s1 addr 127.0.0.1 port {p_b}")
        check("answer to a port change",
              out == f"no need to change the addr, port changed from '{ports['p_a']}' to "
              f"'{p_b}' by 'stats socket command'\n\n", repr(out))
        check("after: TCP traffic reaches B", tcp_banner(ports["p_tcp"]) == "B")
        check("show stat shows the new address",
              stat_field(sock, "bt", "s1", "addr") == f"127.0.0.1:{p_b}")
        st = [ln for ln in cli(sock, "show servers state bt").splitlines() if " s1 " in ln]
        check("show servers state shows the new address",
              st and st[0].split(" ")[4] == "127.0.0.1" and st[0].split(" ")[18] == str(p_b),
              repr(st))

        # HTTP: a connection parked after the first request is not reused
        # once the server moved; the next request reaches the new address
        check("HTTP request to the first address", http_get(ports["p_http"]) == "HA")
        time.sleep(0.2)
        check("HTTP: a second request reuses the idle connection",
              http_get(ports["p_http"]) == "HA" and ha_conns[0] == 1, repr(ha_conns))
        cli(sock, f"set server bh/h1 addr 127.0.0.1 port {p_hb}")
        check("HTTP request after the change reaches the new address",
              http_get(ports["p_http"]) == "HB" and hb_conns[0] == 1, repr(hb_conns))

        # health checks follow the address
        check("check against a closed port: DOWN",
              wait_for(lambda: stat_field(sock, "bc", "c1", "status") == "DOWN"))
        cli(sock, f"set server bc/c1 addr 127.0.0.1 port {p_b}")
        check("check against the new address: UP",
              wait_for(lambda: stat_field(sock, "bc", "c1", "status") == "UP"))
        check("still serving after the changes", proc.poll() is None)
    finally:
        proc.kill()
        proc.wait()


def main():
    p_a, p_b = banner_server("A"), banner_server("B")
    p_ha, ha_conns = http_server("HA")
    p_hb, hb_conns = http_server("HB")
    ports = {"p_tcp": free_port(), "p_http": free_port(), "p_a": p_a, "p_ha": p_ha,
             "p_closed": free_port()}
    ours = answers(HALYARD, ports)
    check("an answer to every command", all(ours), repr(ours))
    if os.path.exists(HAPROXY):
        theirs = answers(HAPROXY, ports)
        for cmd, a, b in zip(COMMANDS, ours, theirs):
            check(f"same answer as haproxy: '{cmd}'", a == b, f"{a!r} != {b!r}")
    else:
        check("haproxy installed for the comparison (packaging/install-deps.sh)", False)
    effects(ports, p_b, p_hb, hb_conns, ha_conns)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
