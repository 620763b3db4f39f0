"""Runtime changes of agent checks: 'set server <b>/<s> agent-addr <ip>
[port <port>]', 'agent-port <port>', 'agent-send <text>'; 'fqdn' and 'ssl'
refused as not supported yet; the 'set server' help line.

The answers are compared with /usr/sbin/haproxy on the same command
sequence. On Halyard the effects are checked with recording agents: the
text an agent receives, and the server's state following the agent that
the new address or port points to."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, cli, free_port, summary

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
backend be
    server s1 127.0.0.1:{p_srv} agent-check agent-port {p_up} agent-inter 200 agent-send hello\\n
    server s2 127.0.0.1:{p_srv}
"""

SEQUENCE = [
    "set server be/s1 agent-addr",
    "set server be/s1 agent-addr 127.0.0.1 port abc",
    "set server be/s1 agent-addr 127.0.0.1 port 70000",
    "set server be/s1 agent-addr 1.2.3.4.5",
    "set server be/s1 agent-port",
    "set server be/s1 agent-port abc",
    "set server be/s1 agent-port 70000",
    "set server be/s2 agent-addr 127.0.0.2",
    "set server be/s2 agent-port 2345",
    "set server be/s2 agent-send x",
    "set server be/s1 agent-port {p_up}",
    "set server be/s1 agent-addr 127.0.0.1",
    "set server be/s1 agent-addr 127.0.0.1 port {p_up}",
    "set server be/s1 agent-send hello",
]


class Agent:
    """An agent on <host> that answers <word> and records what it got."""

    def __init__(self, host, word):
        self.got = []
        self.conns = 0
        self.s = socket.socket()
        self.s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.s.bind((host, 0))
        self.s.listen(64)
        self.port = self.s.getsockname()[1]
        self.word = word
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            c, _ = self.s.accept()
            self.conns += 1
            c.settimeout(0.3)
            try:
                self.got.append(c.recv(256))
            except OSError:
                self.got.append(b"")
            try:
                c.sendall(self.word + b"\n")
            except OSError:
                pass
            c.close()


def start(binary, ports):
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "s.sock")
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, **ports))
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    return proc, sock


def answers(binary, ports):
    proc, sock = start(binary, ports)
    try:
        return [cli(sock, cmd.format(**ports)) for cmd in SEQUENCE]
    finally:
        proc.kill()
        proc.wait()


def status(sock, sv):
    for line in cli(sock, "show stat").splitlines():
        f = line.split(",")
        if len(f) > 17 and f[1] == sv:
            return f[17]
    return None


def wait_for(pred, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def effects(ports, up, down, other):
    proc, sock = start(HALYARD, ports)
    try:
        check("the configured agent-send text reaches the agent",
              wait_for(lambda: b"hello\n" in up.got), repr(up.got[-3:]))
        # without a health check, a server that is up shows "no check"
        check("agent says up: up", wait_for(lambda: status(sock, "s1") == "no check"),
              status(sock, "s1"))
        check("agent-send answers nothing", cli(sock, "set server be/s1 agent-send ping") == "\n")
        check("the new text is sent from the next check on",
              wait_for(lambda: up.got and up.got[-1] == b"ping"), repr(up.got[-3:]))
        before = down.conns
        check("agent-port answers nothing",
              cli(sock, f"set server be/s1 agent-port {down.port}") == "\n")
        check("the agent on the new port is asked", wait_for(lambda: down.conns > before))
        check("and its 'down' takes the server down",
              wait_for(lambda: status(sock, "s1") == "DOWN (agent)"), status(sock, "s1"))
        ans = cli(sock, f"set server be/s1 agent-addr 127.0.0.2 port {other.port}")
        check("agent-addr with a port answers nothing", ans == "\n", repr(ans))
        check("the agent at the new address is asked, with the new text",
              wait_for(lambda: b"ping" in other.got), repr(other.got[-3:]))
        check("and its 'up' brings the server back",
              wait_for(lambda: status(sock, "s1") == "no check"), status(sock, "s1"))
        ans = cli(sock, "set server be/s1 agent-addr agent.example")
        check("a host name is refused, named", "agent.example" in ans and
              "not supported yet" in ans, repr(ans))
        ans = cli(sock, "set server be/s1 fqdn srv.example")
        check("fqdn: not supported yet", "'set server <srv> fqdn' is not supported yet" in ans,
              repr(ans))
        ans = cli(sock, "set server be/s1 ssl on")
        check("ssl: not supported yet", "'set server <srv> ssl' is not supported yet" in ans,
              repr(ans))
        help_line = [ln for ln in cli(sock, "help").splitlines() if "set server <bk>" in ln]
        check("help: HAProxy's text for set server",
              help_line and help_line[0].endswith(": change a server's state, weight, "
                                                  "address or ssl"), repr(help_line))
        check("still running", proc.poll() is None)
    finally:
        proc.kill()
        proc.wait()


def main():
    up, down, other = Agent("127.0.0.1", b"up"), Agent("127.0.0.1", b"down"), \
        Agent("127.0.0.2", b"up")
    ports = {"p_srv": free_port(), "p_up": up.port}
    ours = answers(HALYARD, ports)
    if os.path.exists(HAPROXY):
        theirs = answers(HAPROXY, ports)
        for cmd, a, b in zip(SEQUENCE, ours, theirs):
            check(f"same answer as haproxy: '{cmd}'", a == b, f"{a!r} != {b!r}")
    else:
        check("haproxy installed for the comparison (packaging/install-deps.sh)", False)
    effects(ports, up, down, other)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
