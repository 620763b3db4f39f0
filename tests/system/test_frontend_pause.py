"""'disable frontend' / 'enable frontend': the answers and the "Paused ..." /
"Resumed ..." warnings are HAProxy 2.6's (compared with /usr/sbin/haproxy
running the same configuration), and the effect is the same: a paused
frontend stops listening (new connections are refused, 'show stat' says
PAUSED) while the other frontends serve, and it serves again once enabled
(the effects are checked on both programs)."""
import os
import re
import socket
import sys
import time

from halyard_test import (banner_server, check, cli, free_port, start_proxy, stat_field, summary)

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    stats socket {sock} level admin
    nbthread 2
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{p_fe}
    default_backend be
listen li
    bind 127.0.0.1:{p_li}
    server s 127.0.0.1:{p_srv}
backend be
    server s 127.0.0.1:{p_srv}
"""

COMMANDS = [
    "disable frontend",
    "disable frontend nope",
    "disable frontend be",
    "enable frontend fe",
    "disable frontend fe",
    "disable frontend fe",
    "disable frontend li",
    "enable frontend li",
    "enable frontend li",
    "enable frontend fe",
]


def banner(c, wait):
    c.settimeout(wait)
    try:
        return c.recv(16).decode() or None
    except OSError:
        return None


def status(sock, px):
    return stat_field(sock, px, "FRONTEND", "status")


def start(binary, ports):
    return start_proxy(binary, CONFIG, **ports)


def warnings(err):
    err.seek(0)
    return [re.sub(r"\(\d+\)", "(pid)", ln) for ln in err.read().splitlines()
            if "Paused" in ln or "Resumed" in ln]


def answers(binary, ports):
    proc, sock, err = start(binary, ports)
    try:
        out = [cli(sock, c) for c in COMMANDS]
        time.sleep(0.2)
        return out, warnings(err)
    finally:
        proc.kill()
        proc.wait()


def effects(name, binary, ports):
    proc, sock, _ = start(binary, ports)
    try:
        c = socket.create_connection(("127.0.0.1", ports["p_fe"]), timeout=3)
        check(f"{name}: served before the pause", banner(c, 3) == "hi")
        c.close()
        cli(sock, "disable frontend fe")
        check(f"{name}: show stat says PAUSED", status(sock, "fe") == "PAUSED",
              status(sock, "fe"))
        time.sleep(0.2)
        try:
            socket.create_connection(("127.0.0.1", ports["p_fe"]), timeout=3).close()
            refused = False
        except ConnectionRefusedError:
            refused = True
        check(f"{name}: paused: new connections refused", refused)
        o = socket.create_connection(("127.0.0.1", ports["p_li"]), timeout=3)
        check(f"{name}: another frontend keeps serving", banner(o, 3) == "hi")
        o.close()
        cli(sock, "enable frontend fe")
        check(f"{name}: show stat says OPEN again", status(sock, "fe") == "OPEN",
              status(sock, "fe"))
        ok = True
        for _ in range(6):  # every thread polls the socket again
            c = socket.create_connection(("127.0.0.1", ports["p_fe"]), timeout=3)
            ok = ok and banner(c, 3) == "hi"
            c.close()
        check(f"{name}: served again after enable", ok)
        check(f"{name}: still running", proc.poll() is None)
    finally:
        proc.kill()
        proc.wait()


def main():
    ports = {"p_fe": free_port(), "p_li": free_port(), "p_srv": banner_server()}
    ours, our_warn = answers(HALYARD, ports)
    check("warnings logged", our_warn == ["[WARNING]  (pid) : Paused frontend fe.",
                                          "[WARNING]  (pid) : Paused proxy li.",
                                          "[WARNING]  (pid) : Resumed proxy li.",
                                          "[WARNING]  (pid) : Resumed frontend fe."],
          repr(our_warn))
    if os.path.exists(HAPROXY):
        theirs, their_warn = answers(HAPROXY, ports)
        for cmd, a, b in zip(COMMANDS, ours, theirs):
            check(f"same answer as haproxy: '{cmd}'", a == b, f"{a!r} != {b!r}")
        check("same warnings as haproxy", our_warn == their_warn, f"{their_warn!r}")
        effects("haproxy", HAPROXY, ports)
    else:
        check("haproxy installed for the comparison (packaging/install-deps.sh)", False)
    effects("halyard", HALYARD, ports)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
