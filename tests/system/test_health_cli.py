"""Runtime control of checks: 'set server <b>/<s> health up|stopping|down',
'agent up|down', 'check-port', 'check-addr', 'enable|disable health|agent'.

The same command sequence runs on Halyard and /usr/sbin/haproxy: the
answers and the "changed from CLI" warnings must be the same (the lines of
real check results come at their own times and are not compared). On
Halyard, the effects are checked too: a server forced DOWN or stopping gets
no new connection, paused checks leave a forced state alone until enabled
again, and a new check port takes effect."""
import os
import re
import socket
import sys
import threading
import time

from halyard_test import (banner_server, check, cli, free_port, start_proxy, stat_field, summary, wait_for)

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    stats socket {sock} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
frontend fe
    bind 127.0.0.1:{p_fe}
    default_backend be
backend be
    server s1 127.0.0.1:{p_a} check inter 300
    server s2 127.0.0.1:{p_b}
    server s3 127.0.0.1:{p_c} check inter 300 agent-check agent-port {p_agent} agent-inter 300
    server s4 127.0.0.1:{p_a} track s1
"""

SEQUENCE = [
    ("set server be/s2 health down", 0.3),
    ("set server be/s2 health up", 0.3),
    ("set server be/s2 health stopping", 0.3),
    ("set server be/s2 health up", 0.3),
    ("disable health be/s1", 0.3),
    ("set server be/s1 health down", 0.6),
    ("set server be/s1 health up", 0.3),
    ("enable health be/s1", 0.3),
    ("set server be/s3 agent down", 0.1),
    ("set server be/s4 health down", 0.1),
    ("set server be/s1 agent down", 0.1),
    ("set server be/s3 agent foo", 0.1),
    ("set server be/s1 health", 0.1),
    ("set server be/s2 check-port 1234", 0.1),
    ("set server be/s1 check-port", 0.1),
    ("set server be/s1 check-port abc", 0.1),
    ("set server be/s1 check-port 70000", 0.1),
    ("set server be/s1 check-addr", 0.1),
    ("set server be/s1 check-addr foo", 0.1),
    ("set server be/s1 check-addr 127.0.0.1 port abc", 0.1),
    ("set server be/s1 check-addr 127.0.0.1 port {p_a}", 0.1),
    ("set server be/s1 check-port {p_a}", 0.1),
    ("enable health be/s2", 0.1),
    ("disable health be/s2", 0.1),
    ("enable agent be/s1", 0.1),
    ("disable agent be/s1", 0.1),
    ("enable health be/nope", 0.1),
    ("enable agent be", 0.1),
]


def start(binary, ports):
    return start_proxy(binary, CONFIG, settle=1.0, **ports)  # first checks done


def status(sock, sv):
    return stat_field(sock, "be", sv, "status")


def wait_status(sock, sv, want, timeout=5):
    return wait_for(lambda: status(sock, sv) == want, timeout)


def cli_lines(err):
    err.seek(0)
    return [re.sub(r"\(\d+\)", "(pid)", ln) for ln in err.read().splitlines()
            if "changed from CLI" in ln]


def run_sequence(binary, ports):
    proc, sock, err = start(binary, ports)
    try:
        out = []
        for cmd, pause in SEQUENCE:
            out.append(cli(sock, cmd.format(**ports)))
            time.sleep(pause)
        return out, cli_lines(err)
    finally:
        proc.kill()
        proc.wait()


def reached(port, n=12):
    """Banners of <n> connections through the frontend."""
    got = set()
    for _ in range(n):
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=3)
            c.settimeout(3)
            got.add(c.recv(4).decode())
            c.close()
        except OSError:
            pass
    return got


def effects(ports):
    proc, sock, _ = start(HALYARD, ports)
    fe = ports["p_fe"]
    try:
        check("all servers reached at first", reached(fe) == {"A", "B", "C"})
        cli(sock, "set server be/s2 health down")
        check("health down: DOWN", wait_status(sock, "s2", "DOWN"))
        check("health down: no new connection", "B" not in reached(fe))
        cli(sock, "set server be/s2 health stopping")
        check("health stopping: NOLB", wait_status(sock, "s2", "NOLB"), status(sock, "s2"))
        check("stopping: no new connection", "B" not in reached(fe))
        cli(sock, "set server be/s2 health up")
        check("health up: UP and reached again",
              wait_status(sock, "s2", "no check") and "B" in reached(fe), status(sock, "s2"))
        cli(sock, "disable health be/s1")
        cli(sock, "set server be/s1 health down")
        check("paused checks: a forced DOWN stays",
              wait_status(sock, "s1", "DOWN") and not wait_status(sock, "s1", "UP", 1.5))
        check("tracking server follows", status(sock, "s4") == "DOWN", status(sock, "s4"))
        cli(sock, "enable health be/s1")
        check("enabled checks bring it back", wait_status(sock, "s1", "UP", 5),
              status(sock, "s1"))
        cli(sock, "set server be/s3 agent down")
        check("agent down: DOWN", wait_status(sock, "s3", "DOWN (agent)", 2) or
              wait_status(sock, "s3", "DOWN", 1), status(sock, "s3"))
        check("the agent's next answer brings it back", wait_status(sock, "s3", "UP", 5))
        cli(sock, f"set server be/s1 check-port {ports['p_closed']}")
        check("check-port to a closed port: DOWN", wait_status(sock, "s1", "DOWN", 5))
        cli(sock, f"set server be/s1 check-addr 127.0.0.1 port {ports['p_a']}")
        check("check-addr with the right port: UP again", wait_status(sock, "s1", "UP", 5))
        check("still running", proc.poll() is None)
    finally:
        proc.kill()
        proc.wait()


def agent_server():
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(64)

    def run():
        while True:
            c, _ = s.accept()
            try:
                c.sendall(b"up\n")
            except OSError:
                pass
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


def main():
    ports = {"p_fe": free_port(), "p_a": banner_server("A"), "p_b": banner_server("B"),
             "p_c": banner_server("C"), "p_agent": agent_server(), "p_closed": free_port()}
    ours, our_lines = run_sequence(HALYARD, ports)
    check("CLI state changes logged", len(our_lines) >= 6, repr(our_lines))
    if os.path.exists(HAPROXY):
        theirs, their_lines = run_sequence(HAPROXY, ports)
        for (cmd, _), a, b in zip(SEQUENCE, ours, theirs):
            check(f"same answer as haproxy: '{cmd}'", a == b, f"{a!r} != {b!r}")
        check("same 'changed from CLI' lines as haproxy", our_lines == their_lines,
              f"{our_lines!r} != {their_lines!r}")
    else:
        check("haproxy installed for the comparison (packaging/install-deps.sh)", False)
    effects(ports)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
