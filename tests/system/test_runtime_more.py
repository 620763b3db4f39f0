"""Runtime API commands: "show servers state", "show backend", "show env",
"set maxconn frontend|server|global" and "clear counters [all]".

The expected outputs were captured from HAProxy 2.6 (Debian 12) running the
same configuration (CONFIG below, ports substituted); the column
srv_time_since_last_change depends on timing and is compared loosely. The
limits are also checked for their effect on traffic: a server limit makes a
connection wait in the queue, a frontend or global limit pauses accepting,
raising them lets the waiting connections through."""
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import cli

HALYARD = os.environ.get("HALYARD")
passed = failed = 0


def check(name, cond, detail=""):
    global passed, failed
    passed += bool(cond)
    failed += not cond
    print(f"{'ok  ' if cond else 'FAIL'} {name} {'' if cond else detail}", flush=True)


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    p = s.getsockname()[1]
    s.close()
    return p


def holding_server(name):
    """Sends <name> to every client, then keeps the connection until the
    client closes it."""
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def serve(c):
        try:
            c.sendall(name.encode())
            while c.recv(4096):
                pass
        except OSError:
            pass
        c.close()

    def run():
        while True:
            c, _ = srv.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def connect(port):
    c = socket.create_connection(("127.0.0.1", port), timeout=5)
    return c


def banner(c, wait):
    """What the server sent within <wait> seconds, or None."""
    c.settimeout(wait)
    try:
        return c.recv(16).decode() or None
    except OSError:
        return None


CONFIG = """global
    stats socket {sock} level admin
    stats socket {sock}-op level operator
    stats socket {sock}-user level user
    maxconn 500

defaults
    mode tcp
    timeout connect 5s
    timeout client 10s
    timeout server 10s
    timeout queue 5s

frontend fe1
    bind 127.0.0.1:{fe}
    maxconn 100
    default_backend be1

backend be1
    id 3
    server s1 127.0.0.1:{p1} weight 5
    server s2 127.0.0.1:{p2} disabled
    server s3 127.0.0.1:{p3} backup

backend be2
    id 4
    balance leastconn
    server t1 127.0.0.1:{p4} id 7 maxconn 20
"""

# ---- HAProxy 2.6 outputs for CONFIG (ports 19501, 19502, 19503, 19601) ----
STATE_HDR = ("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state srv_uweight "
             "srv_iweight srv_time_since_last_change srv_check_status srv_check_result "
             "srv_check_health srv_check_state srv_agent_state bk_f_forced_id srv_f_forced_id "
             "srv_fqdn srv_port srvrecord srv_use_ssl srv_check_port srv_check_addr "
             "srv_agent_addr srv_agent_port\n")
HA_STATE_ALL = STATE_HDR + (
    "3 be1 1 s1 127.0.0.1 2 0 5 5 1 1 0 2 0 0 1 0 - 19501 - 0 0 - - 0\n"
    "3 be1 2 s2 127.0.0.1 0 5 1 1 1 1 0 0 8 0 1 0 - 19502 - 0 0 - - 0\n"
    "3 be1 3 s3 127.0.0.1 2 0 1 1 1 1 0 2 0 0 1 0 - 19503 - 0 0 - - 0\n"
    "4 be2 7 t1 127.0.0.1 2 0 1 1 1 1 0 2 0 0 1 1 - 19601 - 0 0 - - 0\n\n")
HA_STATE_BE2 = STATE_HDR + "4 be2 7 t1 127.0.0.1 2 0 1 1 1 1 0 2 0 0 1 1 - 19601 - 0 0 - - 0\n\n"
# after "disable server be1/s3", "set server be2/t1 state drain", "set weight be1/s1 9"
HA_STATE_CHANGED = STATE_HDR + (
    "3 be1 1 s1 127.0.0.1 2 0 9 5 3 1 0 2 0 0 1 0 - 19501 - 0 0 - - 0\n"
    "3 be1 2 s2 127.0.0.1 0 5 1 1 3 1 0 0 8 0 1 0 - 19502 - 0 0 - - 0\n"
    "3 be1 3 s3 127.0.0.1 0 1 1 1 0 1 0 0 0 0 1 0 - 19503 - 0 0 - - 0\n"
    "4 be2 7 t1 127.0.0.1 2 8 1 1 0 1 0 2 0 0 1 1 - 19601 - 0 0 - - 0\n\n")
# then "enable server be1/s3", "set server be2/t1 state ready", "enable server be1/s2"
HA_STATE_BACK = STATE_HDR + (
    "3 be1 1 s1 127.0.0.1 2 0 9 5 3 1 0 2 0 0 1 0 - 19501 - 0 0 - - 0\n"
    "3 be1 2 s2 127.0.0.1 2 4 1 1 0 1 0 0 8 0 1 0 - 19502 - 0 0 - - 0\n"
    "3 be1 3 s3 127.0.0.1 2 0 1 1 0 1 0 0 0 0 1 0 - 19503 - 0 0 - - 0\n"
    "4 be2 7 t1 127.0.0.1 2 0 1 1 0 1 0 2 0 0 1 1 - 19601 - 0 0 - - 0\n\n")
HA_BACKENDS = "# name\nbe1\nbe2\n\n"
# command -> reply, admin level
HA_MESSAGES = [
    ("show servers state nope", "Can't find backend.\n\n"),
    ("show env HALYARD_NO_SUCH_VAR", "Variable not found\n\n"),
    ("set maxconn frontend", "A frontend name is expected.\n\n"),
    ("set maxconn frontend nope 5", "No such frontend.\n\n"),
    ("set maxconn frontend fe1", "Integer value expected.\n\n"),
    ("set maxconn frontend fe1 -1", "Value out of range.\n\n"),
    ("set maxconn frontend fe1 100", "\n"),
    ("set maxconn server", "Require 'backend/server'.\n\n"),
    ("set maxconn server be1", "Require 'backend/server'.\n\n"),
    ("set maxconn server be1/nope 3", "No such server.\n\n"),
    ("set maxconn server nope/s1 3", "No such backend.\n\n"),
    ("set maxconn server be1/s1", "Require <maxconn>.\n\n"),
    ("set maxconn server be1/s1 abc", "maxconn string empty or preceded by garbage\n"),
    ("set maxconn server be1/s1 3x", "Trailing garbage in maxconn string\n"),
    ("set maxconn server be1/s1 0", "\n"),
    ("set maxconn global", "Expects an integer value.\n\n"),
    ("set maxconn global 100000", "Value out of range.\n\n"),
    ("set maxconn global 0", "\n"),
    ("clear counters", "\n"),
    ("clear counters foo", "\n"),
    ("set timeout", "'set timeout' only supports 'cli'.\n\n"),
    ("set timeout foo 3", "'set timeout' only supports 'cli'.\n\n"),
    ("set timeout cli", "Expects an integer value.\n\n"),
    ("set timeout cli abc", "Invalid timeout value.\n\n"),
    ("set timeout cli 0", "Invalid timeout value.\n\n"),
    ("set timeout cli -1", "Invalid timeout value.\n\n"),
    ("set timeout cli 99999999999", "Invalid timeout value.\n\n"),
    ("set timeout cli 5", "\n"),
    ("set timeout cli 5s", "\n"),
    ("set timeout cli 1d", "\n"),
]
DENIED = "Permission denied\n\n"
# (socket suffix, command) -> reply
HA_LEVELS = [
    ("-op", "clear counters", "\n"),
    ("-user", "set timeout cli 5", "\n"),
    ("-op", "clear counters all", DENIED),
    ("-user", "clear counters", DENIED),
    ("-user", "clear counters all", DENIED),
    ("-op", "set maxconn global 10", DENIED),
    ("-op", "set maxconn frontend fe1 10", DENIED),
    ("-op", "set maxconn server be1/s1 10", DENIED),
    ("-user", "show env HOME", DENIED),
    ("-user", "show backend", HA_BACKENDS),
]


def with_ports(text, ports):
    for old, new in zip(("19501", "19502", "19503", "19601"), ports):
        text = text.replace(" " + old + " ", f" {new} ")
    return text


def loose(text):
    """Masks srv_time_since_last_change (10th field) of the state lines."""
    out = []
    for line in text.split("\n"):
        f = line.split(" ")
        if len(f) == 25 and not line.startswith("#"):
            f[9] = "T" if f[9].isdigit() else f[9] + "!"
        out.append(" ".join(f))
    return "\n".join(out)


def stat_rows(sock):
    lines = cli(sock, "show stat").strip("\n").split("\n")
    cols = lines[0][2:].split(",")
    rows = {}
    for ln in lines[1:]:
        v = ln.split(",")
        rows[(v[0], v[1])] = dict(zip(cols, v))
    return rows


def wait_for(cond, timeout=5.0):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "s.sock")
    ports = [holding_server(n) for n in ("s1", "s2", "s3", "t1")]
    fe = free_port()
    cfg = os.path.join(tmp, "h.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, fe=fe, p1=ports[0], p2=ports[1], p3=ports[2], p4=ports[3]))
    env = dict(os.environ, HALYARD_TEST_VAR="hello-42")
    proc = subprocess.Popen([HALYARD, "-f", cfg, "-d"], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL, env=env)

    def watchdog():
        print("FAIL watchdog: test took longer than 120 s", flush=True)
        proc.kill()
        os._exit(1)
    timer = threading.Timer(120, watchdog)
    timer.daemon = True
    timer.start()
    try:
        if not wait_for(lambda: os.path.exists(sock) and os.path.exists(sock + "-user")):
            check("start", False, "no stats socket")
            return 1
        time.sleep(0.2)
        run_tests(sock, fe, ports)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        timer.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
    print(f"{passed} passed, {failed} failed")
    return 1 if failed else 0


def run_tests(sock, fe, ports):
    # ---- output formats ----
    out = cli(sock, "show servers state")
    check("show servers state", loose(out) == loose(with_ports(HA_STATE_ALL, ports)), repr(out))
    out = cli(sock, "show servers state be2")
    check("show servers state <backend>", loose(out) == loose(with_ports(HA_STATE_BE2, ports)),
          repr(out))
    out = cli(sock, "show backend")
    check("show backend", out == HA_BACKENDS, repr(out))
    out = cli(sock, "show env HALYARD_TEST_VAR")
    check("show env <name>", out == "HALYARD_TEST_VAR=hello-42\n\n", repr(out))
    out = cli(sock, "show env")
    check("show env", "\nHALYARD_TEST_VAR=hello-42\n" in "\n" + out and out.endswith("\n\n")
          and all("=" in ln for ln in out.strip("\n").split("\n")), repr(out[-200:]))
    out = cli(sock + "-op", "show env HALYARD_TEST_VAR")
    check("show env at operator level", out == "HALYARD_TEST_VAR=hello-42\n\n", repr(out))
    for cmd, want in HA_MESSAGES:
        out = cli(sock, cmd)
        check(f"reply to '{cmd}'", out == want, repr(out))
    for suffix, cmd, want in HA_LEVELS:
        out = cli(sock + suffix, cmd)
        check(f"level{suffix}: '{cmd}'", out == want, repr(out))

    # ---- set timeout cli: this session only ----
    p = socket.socket(socket.AF_UNIX)
    p.settimeout(8)
    p.connect(sock)
    t0 = time.time()
    p.sendall(b"prompt\nset timeout cli 1\n")
    got = b""
    try:
        while True:
            d = p.recv(4096)
            if not d:
                break
            got += d
    except OSError:
        pass
    p.close()
    check("set timeout cli 1: the idle session closes before the default 10 s",
          got == b"\n> \n> " and time.time() - t0 < 6, repr(got))

    # ---- states after runtime changes ----
    cli(sock, "disable server be1/s3")
    cli(sock, "set server be2/t1 state drain")
    cli(sock, "set weight be1/s1 9")
    out = cli(sock, "show servers state")
    check("show servers state after changes",
          loose(out) == loose(with_ports(HA_STATE_CHANGED, ports)), repr(out))
    f3 = [ln for ln in out.split("\n") if " s3 " in ln]
    check("time since last change reset", f3 and f3[0].split(" ")[9] in ("0", "1"), repr(f3))
    cli(sock, "enable server be1/s3")
    cli(sock, "set server be2/t1 state ready")
    cli(sock, "enable server be1/s2")
    out = cli(sock, "show servers state")
    check("show servers state after re-enabling",
          loose(out) == loose(with_ports(HA_STATE_BACK, ports)), repr(out))
    cli(sock, "disable server be1/s2")
    cli(sock, "set weight be1/s1 5")

    # ---- set maxconn frontend: lowering pauses accepting, raising resumes ----
    check("set maxconn frontend 1", cli(sock, "set maxconn frontend fe1 1") == "\n")
    a = connect(fe)
    check("frontend limit: first connection served", banner(a, 3) == "s1")
    b = connect(fe)
    check("frontend limit: second connection waits", banner(b, 1.0) is None)
    rows = stat_rows(sock)
    check("frontend slim shows the new limit", rows[("fe1", "FRONTEND")]["slim"] == "1",
          rows[("fe1", "FRONTEND")]["slim"])
    cli(sock, "set maxconn frontend fe1 2")
    check("frontend limit raised: waiting connection accepted", banner(b, 3) == "s1")
    a.close()
    b.close()
    cli(sock, "set maxconn frontend fe1 100")

    # ---- set maxconn server: the second connection queues ----
    check("set maxconn server 1", cli(sock, "set maxconn server be1/s1 1") == "\n")
    wait_for(lambda: stat_rows(sock)[("be1", "s1")]["scur"] == "0")
    a = connect(fe)
    check("server limit: first connection served", banner(a, 3) == "s1")
    b = connect(fe)
    check("server limit: second connection waits", banner(b, 1.0) is None)
    rows = stat_rows(sock)
    check("server limit: second connection is queued",
          rows[("be1", "BACKEND")]["qcur"] == "1" and rows[("be1", "s1")]["slim"] == "1",
          f'{rows[("be1", "BACKEND")]["qcur"]} {rows[("be1", "s1")]["slim"]}')
    a.close()
    check("server limit: queued connection proceeds when the first closes", banner(b, 3) == "s1")
    c = connect(fe)
    check("server limit: third connection waits", banner(c, 1.0) is None)
    cli(sock, "set maxconn server be1/s1 2")
    check("server limit raised: queued connection proceeds", banner(c, 3) == "s1")
    b.close()
    c.close()
    cli(sock, "set maxconn server be1/s1 0")

    # ---- set maxconn global ----
    wait_for(lambda: stat_rows(sock)[("fe1", "FRONTEND")]["scur"] == "0")
    check("set maxconn global 1", cli(sock, "set maxconn global 1") == "\n")
    info = cli(sock, "show info")
    check("show info Maxconn follows", "\nMaxconn: 1\n" in info)
    a = connect(fe)
    check("global limit: first connection served", banner(a, 3) == "s1")
    b = connect(fe)
    check("global limit: second connection waits", banner(b, 1.0) is None)
    cli(sock, "set maxconn global 0")
    check("global limit back to the start-up value", "\nMaxconn: 500\n" in cli(sock, "show info"))
    check("global limit raised: waiting connection accepted", banner(b, 3) == "s1")
    a.sendall(b"x" * 100)
    a.close()
    b.close()

    # ---- clear counters ----
    wait_for(lambda: stat_rows(sock)[("fe1", "FRONTEND")]["scur"] == "0")
    time.sleep(0.2)
    keys = [("fe1", "FRONTEND"), ("be1", "s1"), ("be1", "BACKEND")]
    rows = stat_rows(sock)
    before = {k: (rows[k]["stot"], rows[k]["bin"], rows[k]["bout"]) for k in keys}
    check("traffic was counted", all(int(v) > 0 for t in before.values() for v in t), repr(before))
    cli(sock + "-op", "clear counters")
    rows = stat_rows(sock)
    check("clear counters keeps totals",
          all((rows[k]["stot"], rows[k]["bin"], rows[k]["bout"]) == before[k] for k in keys))
    check("clear counters all", cli(sock, "clear counters all") == "\n")
    rows = stat_rows(sock)
    after = {k: (rows[k]["stot"], rows[k]["bin"], rows[k]["bout"]) for k in keys}
    check("clear counters all zeroes stot/bin/bout",
          all(t == ("0", "0", "0") for t in after.values()), repr(after))
    a = connect(fe)
    check("traffic after clear", banner(a, 3) == "s1")
    a.close()
    ok = wait_for(lambda: stat_rows(sock)[("be1", "s1")]["bout"] == "2")
    rows = stat_rows(sock)
    check("counting restarts from zero", ok and rows[("be1", "s1")]["stot"] == "1"
          and rows[("fe1", "FRONTEND")]["stot"] == "1",
          repr({k: (rows[k]["stot"], rows[k]["bout"]) for k in keys}))


if __name__ == "__main__":
    sys.exit(main())
