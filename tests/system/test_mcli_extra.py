"""Master CLI and signal behaviours beyond the basic reload cases:
@@ worker sessions (with commands, bare, in prompt mode), show proc json,
hard-reload, SIGTTOU/SIGTTIN pausing and resuming the listeners, and the
grace delay before a soft stop."""
import json
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port

HALYARD = os.environ.get("HALYARD")


def echo_backend():
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def serve(c):
        with c:
            while True:
                d = c.recv(4096)
                if not d:
                    return
                c.sendall(d)

    def run():
        while True:
            c, _ = srv.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def mcli(sock, text, wait=3.0):
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(wait)
    s.connect(sock)
    s.sendall(text.encode())
    s.shutdown(socket.SHUT_WR)
    out = b""
    try:
        while True:
            d = s.recv(65536)
            if not d:
                break
            out += d
    except socket.timeout:
        pass
    s.close()
    return out.decode(errors="replace")


def try_connect(port, timeout=1.0):
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c.sendall(b"ping")
        ok = c.recv(4) == b"ping"
        c.close()
        return ok
    except OSError:
        return False


def start(tmp, port, bport, glob="", master=True, timeout="5s"):
    cfg = f"{tmp}/h.cfg"
    open(cfg, "w").write(f"""global
    nbthread 2
{glob}
defaults
    mode tcp
    timeout connect 1s
    timeout client {timeout}
    timeout server {timeout}
listen l
    bind 127.0.0.1:{port}
    server s 127.0.0.1:{bport}
""")
    args = [HALYARD, "-f", cfg] + (["-W", "-S", f"{tmp}/m.sock"] if master else [])
    p = subprocess.Popen(args, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    end = time.time() + 5
    while time.time() < end and not try_connect(port, 0.2):
        time.sleep(0.05)
    return p


def workers(sock):
    info = json.loads(mcli(sock, "show proc json\n"))
    return [p for p in info if p["type"] == "worker"]


def test_master(tmp, bport):
    port = free_port()
    sock = f"{tmp}/m.sock"
    p = start(tmp, port, bport)
    try:
        info = json.loads(mcli(sock, "show proc json\n"))
        check("show proc json parses", info[0]["type"] == "master" and len(info) == 2, info)
        wpid = workers(sock)[0]["pid"]
        out = mcli(sock, "@@1 show info; show info\n")
        check("@@1 with commands runs them all in the worker",
              out.count(f"Pid: {wpid}") == 2, out[:300])
        out = mcli(sock, "@@1\nshow info\n")
        check("bare @@1 relays the next lines to the worker", f"Pid: {wpid}" in out, out[:300])
        out = mcli(sock, "prompt\n@@1\nshow info\nquit\n")
        check("@@1 in prompt mode gives the worker a prompt",
              f"Pid: {wpid}" in out and "\n> " in out, out[-200:])
        out = mcli(sock, "@@9 show info\n")
        check("@@ to a missing worker is refused", "Can't find the target" in out, out)
        out = mcli(sock, "hard-reload\n", wait=15)
        check("hard-reload succeeds", out.startswith("Success=1"), out[:200])
        end = time.time() + 5
        while time.time() < end and (len(workers(sock)) != 1 or workers(sock)[0]["pid"] == wpid):
            time.sleep(0.1)
        ws = workers(sock)
        check("hard-reload leaves only the new worker",
              len(ws) == 1 and ws[0]["pid"] != wpid, ws)
        check("traffic flows after hard-reload", try_connect(port))
        os.kill(p.pid, 22)  # SIGTTOU
        time.sleep(0.5)
        check("SIGTTOU (via the master) stops listening", not try_connect(port, 0.5))
        os.kill(p.pid, 21)  # SIGTTIN
        time.sleep(0.5)
        check("SIGTTIN listens again", try_connect(port))
    finally:
        p.kill()
        p.wait()


def test_grace(tmp, bport):
    port = free_port()
    p = start(tmp, port, bport, glob="    grace 1500", master=False)
    try:
        os.kill(p.pid, 10)  # SIGUSR1
        time.sleep(0.5)
        check("during grace new connections are still served", try_connect(port))
        end = time.time() + 5
        while time.time() < end and p.poll() is None:
            time.sleep(0.05)
        check("after grace the process stops", p.poll() is not None)
    finally:
        if p.poll() is None:
            p.kill()
        p.wait()


def test_systemd_notify(tmp, bport):
    """-Ws sends READY=1 with MAINPID to $NOTIFY_SOCKET, and RELOADING=1 then
    READY=1 again around a reload."""
    path = f"{tmp}/notify.sock"
    ns = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
    ns.bind(path)
    ns.settimeout(5)
    port, sock = free_port(), f"{tmp}/n.sock"
    cfg = f"{tmp}/n.cfg"
    open(cfg, "w").write(f"""defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen l
    bind 127.0.0.1:{port}
    server s 127.0.0.1:{bport}
""")
    env = dict(os.environ, NOTIFY_SOCKET=path)
    p = subprocess.Popen([HALYARD, "-Ws", "-S", sock, "-f", cfg], env=env,
                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        msg = ns.recv(512).decode()
        check("-Ws: READY=1 with the master's MAINPID",
              "READY=1" in msg and f"MAINPID={p.pid}" in msg, msg)
        mcli(sock, "reload\n", wait=15)
        msgs = []
        try:
            while len(msgs) < 2:
                msgs.append(ns.recv(512).decode())
        except socket.timeout:
            pass
        check("-Ws: RELOADING=1 then READY=1 on reload",
              len(msgs) == 2 and "RELOADING=1" in msgs[0] and "READY=1" in msgs[1], msgs)
    finally:
        p.kill()
        p.wait()
        ns.close()


def test_max_reloads(tmp, bport):
    """mworker-max-reloads 1: an old worker kept alive by a connection is
    stopped once it has survived more than one reload."""
    port = free_port()
    sock = f"{tmp}/m.sock"
    # the connection's timeouts outlast the wait: only the SIGTERM sent to
    # the old worker, which ends its soft stop at once, can stop it in time
    p = start(tmp, port, bport, glob="    mworker-max-reloads 1", timeout="60s")
    try:
        held = socket.create_connection(("127.0.0.1", port), timeout=2)
        first = workers(sock)[0]["pid"]
        mcli(sock, "reload\n", wait=15)
        time.sleep(0.3)
        check("an old worker with a connection survives one reload",
              any(w["pid"] == first for w in workers(sock)))
        mcli(sock, "reload\n", wait=15)
        end = time.time() + 5
        while time.time() < end and any(w["pid"] == first for w in workers(sock)):
            time.sleep(0.1)
        check("it is stopped after more reloads than mworker-max-reloads",
              not any(w["pid"] == first for w in workers(sock)))
        held.close()
    finally:
        p.kill()
        p.wait()


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    tmp = tempfile.mkdtemp(prefix="halyard-mcli-")
    bport = echo_backend()
    test_master(tmp, bport)
    test_grace(tmp, bport)
    test_systemd_notify(tmp, bport)
    test_max_reloads(tmp, bport)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
