"""Dynamic servers: 'add server', 'del server' and 'wait srv-removable'.

- The answers to a sequence of add/del commands (errors and successes) are
  HAProxy 2.6's byte for byte (compared with /usr/sbin/haproxy running the
  same configuration when it is installed).
- An added server starts in maintenance and gets no traffic; once ready it
  takes requests, shows in 'show stat', 'show servers state' and the
  Prometheus exporter; in maintenance it gets no new request; deleted, it is
  gone from all of them.
- Added servers take traffic with every algorithm that accepts them.
- An added server's check runs once enabled.
- 'add server'/'del server' repeated while clients send requests
  continuously: every response is a 200.
- Master-worker reload: the added servers are re-created in the new worker
  with their address, weight and state; one whose backend is gone from the
  new configuration is reported and left out.
- A stress run mutating servers from the CLI (add, del, weight, state,
  addr) from several sessions at once under traffic: every response is a
  200 and the process stays up.
"""
import os
import random
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, cli, free_port, http_backend, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"
OPS = [int(x) for x in os.environ.get("STRESS_OPS", "0,1,2,3,4,5").split(",")]

BACKENDS = """backend be
    server s1 127.0.0.1:{p_a}
backend be_map
    balance source
    server s1 127.0.0.1:{p_a}
backend be_static
    balance static-rr
    server s1 127.0.0.1:{p_a}
backend be_lc
    balance leastconn
    server s1 127.0.0.1:{p_a}
backend be_first
    balance first
    server s1 127.0.0.1:{p_a}
backend be_rand
    balance random
    server s1 127.0.0.1:{p_a}
backend be_src
    balance source
    hash-type consistent
    server s1 127.0.0.1:{p_a}
backend be_uri
    balance uri
    hash-type consistent
    server s1 127.0.0.1:{p_a}
backend bchk
    server c1 127.0.0.1:{p_a} check inter 500
"""

CONFIG = """global
    stats socket {sock} level admin
    nbthread 2
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:{p_fe}
    use_backend %[req.hdr(x-be)] if {{ req.hdr(x-be) -m found }}
    default_backend be
frontend prom
    bind 127.0.0.1:{p_prom}
    http-request use-service prometheus-exporter
""" + BACKENDS

# The same without the exporter, for the comparison with HAProxy.
COMPARE_CONFIG = """global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
""" + BACKENDS

COMMANDS = [
    "add server be/d1 127.0.0.1:{p_b}",
    "add server be/d1 127.0.0.1:{p_b}",
    "add server be_map/d1 127.0.0.1:{p_b}",
    "add server be_static/d1 127.0.0.1:{p_b}",
    "add server be_lc/d1 127.0.0.1:{p_b}",
    "add server be_first/d1 127.0.0.1:{p_b}",
    "add server be_rand/d1 127.0.0.1:{p_b}",
    "add server be_src/d1 127.0.0.1:{p_b}",
    "add server be_uri/d1 127.0.0.1:{p_b}",
    "add server nope/d1 127.0.0.1:{p_b}",
    "add server be",
    "add server be/d2",
    "add server be/d2 127.0.0.1:{p_b} cookie c1",
    "add server be/d2 127.0.0.1:{p_b} redir http://x",
    "add server be/d2 127.0.0.1:{p_b} non-stick",
    "add server be/d2 127.0.0.1:{p_b} weight 300",
    "add server be/d2 127.0.0.1:{p_b} id 0",
    "add server be/d2 127.0.0.1:{p_b} id abc",
    "add server be/d2 127.0.0.1:{p_b} id 1",
    "add server be/d2 127.0.0.1:{p_b} track nope/x",
    "add server be/d2 127.0.0.1:{p_b} track zz",
    "add server be/d2 127.0.0.1:{p_b} track be/s1",
    "add server be/d2 127.0.0.1:{p_b} track bchk/c1",
    "add server be/d3 127.0.0.1:{p_b} track be/d2",
    "add server be/d4 127.0.0.1:{p_b} agent-check",
    "add server be/d4 127.0.0.1:{p_b} check inter 2s fall 2 rise 1 port {p_b} "
    "addr 127.0.0.1 weight 20 maxconn 30 backup send-proxy id 40",
    "add server be/d5 127.0.0.1:{p_b} agent-check agent-port {p_b} agent-inter 1s "
    "send-proxy-v2 maxqueue 5 slowstart 1s disabled",
    "del server be",
    "del server nope/x",
    "del server be/zz",
    "del server be/s1",
    "del server be/d1",
    "disable server be/d1",
    "del server be/d1",
    "del server be/d1",
    "del server bchk/c1",
    "disable server bchk/c1",
    "del server bchk/c1",
    "enable server bchk/c1",
    "disable server be/d2",
    "del server be/d2",
    "add server be/d2 127.0.0.1:{p_b}",
]


CFG_DIR = tempfile.mkdtemp()


def start(binary, cfg_text, sock):
    """Runs <binary> on <cfg_text> until its CLI answers; returns the process.
    The file is always the same one: answers may name it."""
    cfg = os.path.join(CFG_DIR, "t.cfg")
    with open(cfg, "w") as f:
        f.write(cfg_text)
    # stderr goes to a file: a pipe read only at the end could fill up
    # (sanitizer reports) and block the process
    err = tempfile.TemporaryFile()
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL, stderr=err)
    proc.err_file = err
    for _ in range(100):
        if os.path.exists(sock):
            try:
                cli(sock, "show info")
                return proc
            except OSError:
                pass
        time.sleep(0.05)
    return proc


def stop(proc):
    proc.terminate()
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def stderr_of(proc):
    proc.err_file.seek(0)
    return proc.err_file.read().decode(errors="replace")


def answers(binary, ports):
    """The answers of <binary> to COMMANDS, in order."""
    sock = tempfile.mktemp(suffix=".sock")
    proc = start(binary, COMPARE_CONFIG.format(sock=sock, **ports), sock)
    out = [cli(sock, c.format(**ports)) for c in COMMANDS]
    stop(proc)
    return out


def get(port, be=None, conn=None, timeout=5):
    """One GET through the proxy; (status, body) or (None, error)."""
    hdrs = "x-be: %s\r\n" % be if be else ""
    own = conn is None
    try:
        c = conn or socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c.settimeout(timeout)
        c.sendall(("GET /x HTTP/1.1\r\nhost: t\r\n%s%s\r\n"
                   % (hdrs, "connection: close\r\n" if own else "")).encode())
        buf = b""
        while b"\r\n\r\n" not in buf:
            d = c.recv(65536)
            if not d:
                raise OSError("closed")
            buf += d
        head, body = buf.split(b"\r\n\r\n", 1)
        length = 0
        for line in head.split(b"\r\n")[1:]:
            k, _, v = line.partition(b":")
            if k.strip().lower() == b"content-length":
                length = int(v)
        while len(body) < length:
            d = c.recv(65536)
            if not d:
                raise OSError("short body")
            body += d
        if own:
            c.close()
        return int(head.split()[1]), body.decode()
    except (OSError, ValueError, IndexError) as e:
        return None, str(e)


def stat_rows(sock, px):
    """{server: {column: value}} of backend <px> in 'show stat'."""
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0].lstrip("# ").split(",")
    rows = {}
    for l in lines[1:]:
        f = l.split(",")
        if len(f) > 2 and f[0] == px:
            rows[f[1]] = dict(zip(cols, f))  # a check under way: "* " and its last result
            rows[f[1]]["check_status"] = rows[f[1]].get("check_status", "").removeprefix("* ")
    return rows


def wait_for(cond, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        if cond():
            return True
        time.sleep(0.05)
    return cond()


class Load:
    """Client threads sending requests continuously (half on keep-alive
    connections), recording every status."""

    def __init__(self, port, threads=4):
        self.port, self.stop, self.statuses = port, False, {}
        self.errors = []
        self.lock = threading.Lock()
        self.th = [threading.Thread(target=self.run, args=(i % 2,), daemon=True)
                   for i in range(threads)]

    def run(self, keepalive):
        conn = None
        while not self.stop:
            if keepalive and conn is None:
                try:
                    conn = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                except OSError as e:
                    self.record(None, str(e))
                    continue
            st, body = get(self.port, conn=conn)
            if st is None and conn:
                conn.close()
                conn = None
            self.record(st, body)
        if conn:
            conn.close()

    def record(self, st, detail):
        with self.lock:
            self.statuses[st] = self.statuses.get(st, 0) + 1
            if st != 200 and len(self.errors) < 5:
                self.errors.append(detail)

    def __enter__(self):
        for t in self.th:
            t.start()
        return self

    def __exit__(self, *a):
        self.stop = True
        for t in self.th:
            t.join(10)

    def all_ok(self):
        return set(self.statuses) == {200} and self.statuses[200] > 0


def compare(ports):
    ours = answers(HALYARD, ports)
    check("add server help is not needed: every answer came back", len(ours) == len(COMMANDS))
    if not os.path.exists(HAPROXY):
        print("note: %s not installed, answers not compared" % HAPROXY)
        check("first add answers as HAProxy documents", ours[0] == "New server registered.\n\n",
              repr(ours[0]))
        return
    theirs = answers(HAPROXY, ports)
    for cmd, a, b in zip(COMMANDS, ours, theirs):
        check("answer to '%s' is HAProxy's" % cmd.format(**ports), a == b,
              "ours %r, haproxy %r" % (a, b))


def effects(ports, hits_b):
    sock = tempfile.mktemp(suffix=".sock")
    proc = start(HALYARD, CONFIG.format(sock=sock, **ports), sock)
    p = ports["p_fe"]
    try:
        check("add server", cli(sock, "add server be/d1 127.0.0.1:%d" % ports["p_b"])
              == "New server registered.\n\n")
        rows = stat_rows(sock, "be")
        check("an added server starts in maintenance", rows.get("d1", {}).get("status") == "MAINT",
              str(rows.get("d1")))
        before = hits_b[0]
        bodies = [get(p)[1] for _ in range(10)]
        check("in maintenance it gets no request", set(bodies) == {"A"} and hits_b[0] == before,
              str(bodies))
        cli(sock, "set server be/d1 state ready")
        bodies = [get(p)[1] for _ in range(10)]
        # round-robin state is per thread: both servers get some
        check("ready, it takes its share of the requests (round-robin)",
              set(bodies) == {"A", "B"}, str(bodies))
        rows = stat_rows(sock, "be")
        d1 = rows.get("d1", {})
        check("show stat has its counters",
              d1.get("stot") == str(bodies.count("B")) and d1.get("status") == "no check"
              and d1.get("sid") == "2", str(d1))
        state = cli(sock, "show servers state be")
        check("show servers state lists it", " be 2 d1 127.0.0.1 2 0 1 1 " in state, state)
        prom = get(ports["p_prom"])[1]
        check("the Prometheus exporter has it",
              'haproxy_server_status{proxy="be",server="d1",state="UP"} 1' in prom)
        cli(sock, "set server be/d1 state maint")
        before = hits_b[0]
        bodies = [get(p)[1] for _ in range(6)]
        check("in maintenance again it gets no new request",
              set(bodies) == {"A"} and hits_b[0] == before, str(bodies))
        out = cli(sock, "wait 3s srv-removable be/d1; del server be/d1")
        check("wait srv-removable then del server", out == "\nServer deleted.\n", repr(out))
        check("deleted, it is gone from show stat", "d1" not in stat_rows(sock, "be"))
        check("and from show servers state", " d1 " not in cli(sock, "show servers state be"))
        check("and from the exporter", 'server="d1"' not in get(ports["p_prom"])[1])
        check("its name can be used again",
              cli(sock, "add server be/d1 127.0.0.1:%d" % ports["p_b"]) ==
              "New server registered.\n\n")
        check("a new server has zeroed counters", stat_rows(sock, "be")["d1"]["stot"] == "0")
        cli(sock, "disable server be/d1; del server be/d1")

        algorithms(sock, p, ports)
        checks(sock, ports)
        out = cli(sock, "wait 200 srv-removable be/s1")
        check("wait srv-removable on a running server says why at once",
              out == "Only servers in maintenance mode can be deleted.\n", repr(out))
        t0 = time.time()
        out = cli(sock, "wait 300")
        check("wait <delay> waits", time.time() - t0 >= 0.29 and out == "\n", repr(out))
        under_load(sock, p, ports, hits_b)
        stress(sock, p, ports)
        check("the process is still running", proc.poll() is None)
    finally:
        stop(proc)
        err = stderr_of(proc)
        check("no sanitizer report", "Sanitizer" not in err and "runtime error" not in err,
              err[-2000:])


def algorithms(sock, p, ports):
    for be in ("be_lc", "be_first", "be_rand", "be_src", "be_uri"):
        cli(sock, "add server %s/d1 127.0.0.1:%d" % (be, ports["p_b"]))
        cli(sock, "set server %s/d1 state ready; set server %s/s1 state maint" % (be, be))
        bodies = [get(p, be=be)[1] for _ in range(4)]
        check("%s: the added server takes the traffic" % be, bodies == ["B"] * 4, str(bodies))
        cli(sock, "set server %s/s1 state ready; set server %s/d1 state maint" % (be, be))
        bodies = [get(p, be=be)[1] for _ in range(4)]
        check("%s: in maintenance it is left out" % be, bodies == ["A"] * 4, str(bodies))
        out = cli(sock, "wait 3s srv-removable %s/d1; del server %s/d1" % (be, be))
        check("%s: deleted" % be, out == "\nServer deleted.\n", repr(out))


def checks(sock, ports):
    cli(sock, "add server be/dc 127.0.0.1:%d check inter 100 rise 1 fall 1" % ports["p_closed"])
    cli(sock, "set server be/dc state ready")
    time.sleep(0.4)
    row = stat_rows(sock, "be").get("dc", {})
    check("an added server's check waits for 'enable health'", row.get("check_status") == "",
          str(row.get("check_status")))
    cli(sock, "enable health be/dc")
    ok = wait_for(lambda: stat_rows(sock, "be").get("dc", {}).get("status") == "DOWN", 3)
    row = stat_rows(sock, "be").get("dc", {})
    check("enabled, it finds the closed port (DOWN, L4CON)",
          ok and row.get("check_status") == "L4CON", str(row.get("status")))
    cli(sock, "add server be/dk 127.0.0.1:%d check inter 100 rise 1 fall 1" % ports["p_b"])
    cli(sock, "set server be/dk state ready; enable health be/dk")
    ok = wait_for(lambda: stat_rows(sock, "be").get("dk", {}).get("check_status") == "L4OK", 3)
    check("and a live one passes (L4OK)", ok)
    out = cli(sock, "disable server be/dc; disable server be/dk; wait 3s srv-removable be/dc; "
                    "del server be/dc; wait 3s srv-removable be/dk; del server be/dk")
    check("servers with checks are deleted", out.count("Server deleted.") == 2, repr(out))


def under_load(sock, p, ports, hits_b):
    before = hits_b[0]
    deleted = 0
    with Load(p) as load:
        for i in range(15):
            name = "be/l%d" % i
            cli(sock, "add server %s 127.0.0.1:%d" % (name, ports["p_b"]))
            cli(sock, "set server %s state ready" % name)
            time.sleep(0.1)
            out = cli(sock, "set server %s state maint; wait 5s srv-removable %s; "
                            "del server %s" % (name, name, name), timeout=10)
            deleted += out.endswith("Server deleted.\n")
    n = sum(load.statuses.values())
    check("add/del under load: every server deleted", deleted == 15)
    check("add/del under load: every response is a 200 (%d requests)" % n, load.all_ok(),
          "%s %s" % (load.statuses, load.errors))
    check("add/del under load: the added servers took requests", hits_b[0] > before)


def stress(sock, p, ports, seconds=8):
    """Several CLI sessions mutate servers at once while traffic flows."""
    end = time.time() + seconds
    counts = {"add": 0, "del": 0}
    lock = threading.Lock()

    def mutator(k):
        rnd = random.Random(k)
        while time.time() < end:
            name = "be/x%d" % rnd.randrange(6)
            op = rnd.choice(OPS)
            port = ports["p_a"] if rnd.randrange(2) else ports["p_b"]
            try:
                if op == 0:
                    out = cli(sock, "add server %s 127.0.0.1:%d" % (name, port))
                    with lock:
                        counts["add"] += out.startswith("New server")
                elif op == 1:
                    out = cli(sock, "set server %s state maint; wait 2s srv-removable %s; "
                                    "del server %s" % (name, name, name), timeout=10)
                    with lock:
                        counts["del"] += out.endswith("Server deleted.\n")
                elif op == 2:
                    cli(sock, "set server %s weight %d" % (name, rnd.randrange(1, 100)))
                elif op == 3:
                    cli(sock, "set server %s state %s" % (name, rnd.choice(["ready", "drain"])))
                elif op == 4:
                    cli(sock, "set server %s addr 127.0.0.1 port %d" % (name, port))
                else:
                    cli(sock, "show stat")
            except OSError:
                pass

    with Load(p) as load:
        ms = [threading.Thread(target=mutator, args=(k,), daemon=True) for k in range(3)]
        for m in ms:
            m.start()
        for m in ms:
            m.join(seconds + 30)
    n = sum(load.statuses.values())
    check("stress: servers were added and deleted (%d/%d)" % (counts["add"], counts["del"]),
          counts["add"] > 5 and counts["del"] > 5)
    check("stress: every response is a 200 (%d requests)" % n, load.all_ok(),
          "%s %s" % (load.statuses, load.errors))
    check("stress: the CLI still answers", cli(sock, "show servers state be").startswith("1\n"))


def pid_of(sock):
    for line in cli(sock, "show info").splitlines():
        if line.startswith("Pid: "):
            return line[5:]
    return None


def reload_carry(ports):
    sock = tempfile.mktemp(suffix=".sock")
    msock = tempfile.mktemp(suffix=".msock")
    cfg = os.path.join(CFG_DIR, "mw.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, **ports))
    errf = tempfile.TemporaryFile()
    proc = subprocess.Popen([HALYARD, "-W", "-S", msock, "-f", cfg],
                            stdout=subprocess.DEVNULL, stderr=errf)
    proc.err_file = errf
    try:
        wait_for(lambda: os.path.exists(sock) and pid_of(sock) is not None, 10)
        old = pid_of(sock)
        cli(sock, "add server be/r1 127.0.0.1:%d weight 3 check inter 200; "
                  "set server be/r1 state ready; set server be/r1 weight 9; enable health be/r1; "
                  "add server be/r2 127.0.0.1:%d; set server be/r2 addr 127.0.0.1 port %d; "
                  "add server be_src/r3 127.0.0.1:%d; set server be_src/r3 state drain"
            % (ports["p_b"], ports["p_closed"], ports["p_b"], ports["p_b"]))
        with open(cfg, "w") as f:
            f.write(CONFIG.format(sock=sock, **ports).replace("backend be_src\n",
                                                              "backend be_src2\n"))
        out = cli(msock, "reload", timeout=20)
        check("reload succeeds", out.startswith("Success=1"), out)
        check("the master reports what it carried",
              "2 of 3 servers added at run time carried to the new worker." in out and
              "'add server be_src/r3 127.0.0.1:%d': No such backend." % ports["p_b"] in out,
              out)
        wait_for(lambda: pid_of(sock) not in (None, old), 10)
        check("a new worker serves", pid_of(sock) not in (None, old))
        state = cli(sock, "show servers state be")
        lines = {l.split()[3]: l.split() for l in state.splitlines()[2:] if l.strip()}
        r1, r2 = lines.get("r1"), lines.get("r2")
        check("r1 carried: running, weight 9 of 3",
              r1 is not None and r1[5] == "2" and r1[6] == "0" and r1[7:9] == ["9", "3"],
              state)
        check("r2 carried: its new port, still in maintenance",
              r2 is not None and r2[18] == str(ports["p_b"]) and r2[6] == "1", state)
        ok = wait_for(lambda: stat_rows(sock, "be").get("r1", {}).get("check_status") == "L4OK", 5)
        check("r1's check was carried enabled (it runs: L4OK)", ok)
        cli(sock, "set server be/r2 state ready; set server be/s1 state maint")
        bodies = [get(ports["p_fe"])[1] for _ in range(4)]
        check("traffic reaches the carried server", bodies == ["B"] * 4, str(bodies))
    finally:
        try:
            cli(msock, "quit")
        except OSError:
            pass
        stop(proc)
        err = stderr_of(proc)
        check("master-worker: no sanitizer report",
              "Sanitizer" not in err and "runtime error" not in err, err[-2000:])


def main():
    if not HALYARD:
        print("HALYARD is not set")
        return 1
    p_a, _ = http_backend("A")
    p_b, hits_b = http_backend("B")
    ports = {"p_a": p_a, "p_b": p_b, "p_fe": free_port(), "p_prom": free_port(),
             "p_closed": free_port()}
    compare(ports)
    effects(ports, hits_b)
    reload_carry(ports)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
