"""Passive health observation and state change side effects:

- observe layer7: a server answering 500s is marked DOWN after error-limit
  of them in a row (on-error mark-down) with the HANA check status, while a
  server answering 200s, one answering 501s (the client's doing) and one
  alternating 500 and 200 stay UP; a server timeout, a close, garbage or
  a truncated head before the response are errors too;
- observe layer4: a server whose traffic port refuses connections (its
  health check port answers) is marked DOWN (mark-down); with fail-check
  and sudden-death the errors count as failed checks;
- on-marked-down shutdown-sessions: a long TCP session on a server that
  goes DOWN is closed, one on a server without the option survives;
- on-marked-up shutdown-backup-sessions: a session on a backup server is
  closed when the active server comes back UP;
- maintenance: entering it counts as going DOWN, leaving it as coming UP
  (drain and weight changes do not);
- the CLI's "shutdown sessions server" closes a server's sessions.

Also passes with HALYARD=/usr/sbin/haproxy (HAProxy 2.6)."""
import csv
import http.server
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")


class HttpServer:
    """Answers every GET with status <codes[i % len(codes)]> and its name."""

    def __init__(self, name, codes):
        self.name, self.codes, self.n = name, codes, 0
        outer = self

        class H(http.server.BaseHTTPRequestHandler):
            def do_GET(self):
                code = outer.codes[outer.n % len(outer.codes)]
                outer.n += 1
                body = outer.name.encode()
                self.send_response(code)
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *a):
                pass
        self.httpd = http.server.HTTPServer(("127.0.0.1", 0), H)
        self.port = self.httpd.server_address[1]
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


class EchoServer:
    """Echoes every connection; the listening socket can be closed and
    opened again on the same port while accepted connections live on."""

    def __init__(self, port=0):
        self.port, self.lsn, self.conns = port, None, []
        self.start()

    def start(self):
        lsn = socket.socket()
        lsn.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        lsn.bind(("127.0.0.1", self.port))
        lsn.listen(64)
        self.port, self.lsn = lsn.getsockname()[1], lsn
        threading.Thread(target=self._accept, args=(lsn,), daemon=True).start()

    def _accept(self, lsn):
        while True:
            try:
                c, _ = lsn.accept()
            except OSError:
                return
            self.conns.append(c)
            threading.Thread(target=self._echo, args=(c,), daemon=True).start()

    @staticmethod
    def _echo(c):
        try:
            while True:
                d = c.recv(4096)
                if not d:
                    break
                c.sendall(d)
        except OSError:
            pass
        c.close()

    def stop_listening(self):
        # shutdown() wakes the blocked accept() and stops listening at once
        try:
            self.lsn.shutdown(socket.SHUT_RDWR)
        except OSError:
            pass
        self.lsn.close()

    def close(self):
        self.stop_listening()
        for c in self.conns:
            try:
                c.close()
            except OSError:
                pass


def closed_port():
    """A port nobody listens on (connections are refused)."""
    return free_port()


def http_get(port, timeout=3):
    """One request through the proxy: (status, body) or (None, None)."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c.sendall(b"GET / HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
        out = b""
        while True:
            d = c.recv(4096)
            if not d:
                break
            out += d
        c.close()
        head, _, body = out.partition(b"\r\n\r\n")
        return int(head.split()[1]), body.decode()
    except (OSError, IndexError, ValueError):
        return None, None


def tcp_try(port, timeout=2):
    """Opens a session, sends a line and returns what comes back (None when
    the proxy closed it or failed)."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        c.sendall(b"ping\n")
        d = c.recv(16)
        c.close()
        return d or None
    except OSError:
        return None


def session(port):
    """A live echo session through the proxy (checked), or None."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=2)
        c.sendall(b"hello\n")
        if c.recv(16) != b"hello\n":
            c.close()
            return None
        return c
    except OSError:
        return None


def closed_within(c, timeout):
    """Whether the proxy closes session <c> within <timeout> seconds."""
    c.settimeout(timeout)
    try:
        return c.recv(16) == b""
    except socket.timeout:
        return False
    except OSError:
        return True


def still_alive(c):
    try:
        c.settimeout(2)
        c.sendall(b"again\n")
        return c.recv(16) == b"again\n"
    except OSError:
        return False


def stat_rows(sock):
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0][2:].split(",")
    rows = {}
    for f in csv.reader(lines[1:]):
        if len(f) > 2:
            rows[(f[0], f[1])] = dict(zip(cols, f))
            # a check under way shows its last result after "* "
            rows[(f[0], f[1])]["check_status"] = rows[(f[0], f[1])].get(
                "check_status", "").removeprefix("* ")
    return rows


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return pred()


def start_proxy(tmp, name, body, glob=""):
    sock, cfg, log = f"{tmp}/{name}.sock", f"{tmp}/{name}.cfg", f"{tmp}/{name}.log"
    open(cfg, "w").write(f"""global
    nbthread 2
    stats socket {sock} level admin
{glob}defaults
    timeout connect 1s
    timeout client 10s
    timeout server 10s
{body}""")
    errf = open(log, "w")
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL, stderr=errf)
    p.errf, p.log, p.sock = errf, log, sock
    wait_for(lambda: os.path.exists(sock), 3)
    time.sleep(0.3)
    return p


def stop_proxy(p):
    p.kill()
    p.wait()
    p.errf.close()


def case_layer7(tmp):
    bad, good = HttpServer("bad", [500]), HttpServer("good", [200])
    s501, flip = HttpServer("s501", [501, 505]), HttpServer("flip", [500, 200])
    port, fport = free_port(), free_port()
    opts = "check inter 10s observe layer7 error-limit 3 on-error mark-down"
    p = start_proxy(tmp, "l7", f"""listen web
    mode http
    bind 127.0.0.1:{port}
    balance roundrobin
    server bad 127.0.0.1:{bad.port} {opts}
    server good 127.0.0.1:{good.port} {opts}
    server s501 127.0.0.1:{s501.port} {opts}
listen flipper
    mode http
    bind 127.0.0.1:{fport}
    server flip 127.0.0.1:{flip.port} {opts}
""")
    try:
        res = [http_get(port) for _ in range(30)]
        st = stat_rows(p.sock)
        b, g, f = st.get(("web", "bad"), {}), st.get(("web", "good"), {}), st.get(("web", "s501"), {})
        check("layer7: a server answering 500s is marked DOWN", b.get("status") == "DOWN", b)
        check("layer7: with the HANA status and counters",
              b.get("check_status") == "HANA" and b.get("hanafail") == "1" and
              b.get("chkfail") == "1" and b.get("chkdown") == "1", b)
        check("layer7: last_chk tells why", b.get("last_chk") ==
              "Detected 3 consecutive errors, last one was: Wrong http response", b)
        # error-limit requests, or one more: the mark-down is applied on the
        # check's thread, and a request arriving meanwhile on the other
        # thread may still pick the server (docs/configuration.md)
        check("layer7: the server got error-limit requests",
              sum(1 for r in res if r == (500, "bad")) in (3, 4), res)
        check("layer7: the good server stays UP", g.get("status", "").startswith("UP") and
              g.get("hanafail") == "0", g)
        check("layer7: 501 and 505 are not the server's fault",
              f.get("status", "").startswith("UP") and f.get("hanafail") == "0", f)
        check("layer7: the requests after the mark down avoid it",
              all(r[0] in (200, 501, 505) for r in res[10:]), res)
        text = open(p.log).read()
        check("layer7: the DOWN line is HAProxy's", re.search(
            r"Server web/bad is DOWN, reason: Health analyze, info: \"Detected 3 consecutive "
            r"errors, last one was: Wrong http response\"\. 2 active and 0 backup servers "
            r"left\. \d+ sessions active, 0 requeued, 0 remaining in queue\.", text), text)
        fres = [http_get(fport) for _ in range(12)]
        fl = stat_rows(p.sock).get(("flipper", "flip"), {})
        check("layer7: a good response resets the count",
              fl.get("status", "").startswith("UP") and fl.get("hanafail") == "0" and
              fres.count((500, "flip")) == 6, (fl, fres))
    finally:
        stop_proxy(p)
        for s in (bad, good, s501, flip):
            s.close()


def raw_server(kind):
    """A server that reads a request, then stays silent ("silent"), closes
    ("close"), answers garbage ("garbage") or half a head ("trunc")."""
    lsn = socket.socket()
    lsn.bind(("127.0.0.1", 0))
    lsn.listen(16)

    def run():
        keep = []
        while True:
            try:
                c, _ = lsn.accept()
                keep.append(c)
                c.recv(4096)
                if kind == "garbage":
                    c.sendall(b"garbage\r\n\r\n")
                elif kind == "trunc":
                    c.sendall(b"HTTP/1.1 200 OK\r\nContent-Le")
                if kind != "silent":
                    c.close()
            except OSError:
                return
    threading.Thread(target=run, daemon=True).start()
    return lsn


def case_layer7_errors(tmp):
    chk = EchoServer()
    want = {"silent": (504, "Read timeout (http)"), "close": (502, "Close from server (http)"),
            "garbage": (502, "Invalid http response (headers)"),
            "trunc": (502, "Close from server (http)")}
    srvs = {k: raw_server(k) for k in want}
    ports = {k: free_port() for k in want}
    body = "defaults\n    mode http\n    timeout server 300ms\n"
    for k in want:
        body += (f"listen {k}\n    bind 127.0.0.1:{ports[k]}\n    server s "
                 f"127.0.0.1:{srvs[k].getsockname()[1]} check addr 127.0.0.1 port {chk.port} "
                 "inter 10s observe layer7 error-limit 1 on-error mark-down\n")
    p = start_proxy(tmp, "l7e", body)
    try:
        for k, (status, desc) in want.items():
            got = http_get(ports[k])[0]
            ok = wait_for(lambda: stat_rows(p.sock).get((k, "s"), {}).get("status") == "DOWN", 2)
            r = stat_rows(p.sock).get((k, "s"), {})
            check(f"layer7 errors: {k} -> {status} and DOWN, last one was: {desc}",
                  got == status and ok and r.get("last_chk") ==
                  f"Detected 1 consecutive errors, last one was: {desc}", (got, r.get("last_chk")))
    finally:
        stop_proxy(p)
        chk.close()
        for lsn in srvs.values():
            lsn.close()


def case_layer4(tmp):
    good = EchoServer()
    port, fc_port, sd_port = free_port(), free_port(), free_port()
    dead = closed_port()
    # traffic goes to a refused port; the health checks to the echo server pass
    # the first checks pass at once; the next ones come late (on-error forces
    # fastinter), so only the observed errors move the health
    chk = (f"port {good.port} check inter 5s fastinter 10s rise 1 fall 3 observe layer4 "
           "error-limit 2")
    # all first checks within 300ms, so that the test is over before the
    # second ones (they would otherwise start up to 3.75s apart)
    p = start_proxy(tmp, "l4", f"""defaults
    mode tcp
    timeout connect 1s
    timeout client 10s
    timeout server 10s
    retries 0
listen md
    bind 127.0.0.1:{port}
    balance roundrobin
    server dead 127.0.0.1:{dead} {chk} on-error mark-down
    server good 127.0.0.1:{good.port} check inter 10s observe layer4 error-limit 2
listen fc
    bind 127.0.0.1:{fc_port}
    server dead 127.0.0.1:{dead} {chk} on-error fail-check
listen sd
    bind 127.0.0.1:{sd_port}
    server dead 127.0.0.1:{dead} {chk} on-error sudden-death
""", "    max-spread-checks 300\n")
    try:
        keys = (("md", "dead"), ("fc", "dead"), ("sd", "dead"))
        # full health: plain "UP" (HAProxy starts one failure away from DOWN
        # and climbs one step per successful check), once the first check ran
        def first_passed(st, k):
            return (st.get(k, {}).get("status"), st.get(k, {}).get("check_status")) == (
                "UP", "L4OK")
        wait_for(lambda: all(first_passed(stat_rows(p.sock), k) for k in keys), 8)
        st = stat_rows(p.sock)
        check("layer4: the refused server starts UP (its check passes)",
              all(first_passed(st, k) for k in keys), st.get(("md", "dead")))
        res = [tcp_try(port) for _ in range(8)]
        d = stat_rows(p.sock).get(("md", "dead"), {})
        check("layer4: refused connections mark it DOWN", d.get("status") == "DOWN" and
              d.get("check_status") == "HANA" and d.get("hanafail") == "1", d)
        check("layer4: last_chk tells why", d.get("last_chk") ==
              "Detected 2 consecutive errors, last one was: L4 unsuccessful connection", d)
        check("layer4: then every session reaches the good server",
              res[-4:] == [b"ping\n"] * 4, res)
        g = stat_rows(p.sock).get(("md", "good"), {})
        check("layer4: the good server stays UP", g.get("status", "").startswith("UP") and
              g.get("hanafail") == "0", g)

        for _ in range(2):
            tcp_try(fc_port)
        f = stat_rows(p.sock).get(("fc", "dead"), {})
        check("fail-check: error-limit errors are one failed check",
              f.get("status", "").startswith("UP") and f.get("chkfail") == "1" and
              f.get("hanafail") == "1" and f.get("check_status") == "HANA", f)
        for _ in range(4):
            tcp_try(fc_port)
        f = stat_rows(p.sock).get(("fc", "dead"), {})
        check("fail-check: fall failed checks take it DOWN",
              f.get("status") == "DOWN" and f.get("hanafail") == "3", f)

        for _ in range(2):
            tcp_try(sd_port)
        s = stat_rows(p.sock).get(("sd", "dead"), {})
        check("sudden-death: the first time leaves it UP", s.get("status", "").startswith("UP")
              and s.get("hanafail") == "1", s)
        for _ in range(2):
            tcp_try(sd_port)
        s = stat_rows(p.sock).get(("sd", "dead"), {})
        check("sudden-death: the second time takes it DOWN despite fall 3",
              s.get("status") == "DOWN" and s.get("hanafail") == "2", s)
    finally:
        stop_proxy(p)
        good.close()


def case_marked_down(tmp):
    a, b = EchoServer(), EchoServer()
    pa, pb, pt = free_port(), free_port(), free_port()
    p = start_proxy(tmp, "md", f"""defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
listen la
    bind 127.0.0.1:{pa}
    server a 127.0.0.1:{a.port} check inter 100 rise 1 fall 1 on-marked-down shutdown-sessions
listen lb
    bind 127.0.0.1:{pb}
    server b 127.0.0.1:{b.port} check inter 100 rise 1 fall 1
listen lt
    bind 127.0.0.1:{pt}
    server t 127.0.0.1:{b.port} track la/a on-marked-down shutdown-sessions
""")
    try:
        ca, cb, ct = session(pa), session(pb), session(pt)
        check("marked-down: sessions are up", None not in (ca, cb, ct))
        if None in (ca, cb, ct):
            return
        a.stop_listening()
        b.stop_listening()
        down = wait_for(lambda: all(stat_rows(p.sock).get(k, {}).get("status") == "DOWN"
                                    for k in (("la", "a"), ("lb", "b"))), 3)
        check("marked-down: both servers go DOWN", down, stat_rows(p.sock))
        check("marked-down: shutdown-sessions closes the session", closed_within(ca, 2))
        check("marked-down: without it the session lives on", still_alive(cb))
        check("marked-down: a tracking server's own option applies", closed_within(ct, 2))
        for c in (ca, cb, ct):
            c.close()
    finally:
        stop_proxy(p)
        a.close()
        b.close()


def case_marked_up(tmp):
    act, bck = EchoServer(), EchoServer()
    act.stop_listening()  # the active server starts DOWN
    port, port2 = free_port(), free_port()
    p = start_proxy(tmp, "mu", f"""defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
listen l
    bind 127.0.0.1:{port}
    server act 127.0.0.1:{act.port} check inter 100 rise 1 fall 1 on-marked-up shutdown-backup-sessions
    server bck 127.0.0.1:{bck.port} backup
listen l2
    bind 127.0.0.1:{port2}
    server act 127.0.0.1:{act.port} check inter 100 rise 1 fall 1
    server bck 127.0.0.1:{bck.port} backup
""")
    try:
        down = wait_for(lambda: all(stat_rows(p.sock).get(k, {}).get("status") == "DOWN"
                                    for k in (("l", "act"), ("l2", "act"))), 3)
        check("marked-up: the active server starts DOWN", down)
        c, c2 = session(port), session(port2)
        check("marked-up: sessions go to the backup", c is not None and c2 is not None and
              len(bck.conns) == 2, len(bck.conns))
        if not (c and c2):
            return
        act.start()
        up = wait_for(lambda: all(stat_rows(p.sock).get(k, {}).get("status") == "UP"
                                  for k in (("l", "act"), ("l2", "act"))), 3)
        check("marked-up: the active server comes UP", up)
        check("marked-up: shutdown-backup-sessions closes the backup's session",
              closed_within(c, 2))
        check("marked-up: without it the backup's session lives on", still_alive(c2))
        c.close()
        c2.close()
    finally:
        stop_proxy(p)
        act.close()
        bck.close()


def case_maint(tmp):
    e = EchoServer()
    p1, p2, p3 = free_port(), free_port(), free_port()
    opt = "check inter 100 on-marked-down shutdown-sessions"
    p = start_proxy(tmp, "mt", f"""defaults
    mode tcp
    timeout connect 1s
    timeout client 30s
    timeout server 30s
listen la
    bind 127.0.0.1:{p1}
    server a 127.0.0.1:{e.port} {opt}
listen lb
    bind 127.0.0.1:{p2}
    server b 127.0.0.1:{e.port} {opt}
listen lc
    bind 127.0.0.1:{p3}
    server act 127.0.0.1:{e.port} check inter 100 on-marked-up shutdown-backup-sessions disabled
    server bck 127.0.0.1:{e.port} backup
""")
    try:
        ca, cb, cc = session(p1), session(p2), session(p3)
        check("maint: sessions are up", None not in (ca, cb, cc))
        if None in (ca, cb, cc):
            return
        cli(p.sock, "disable server la/a")
        cli(p.sock, "set server lb/b state drain")
        check("maint: maintenance ends the sessions (on-marked-down)", closed_within(ca, 2))
        check("maint: drain does not", still_alive(cb))
        cli(p.sock, "set weight lc/act 0")
        cli(p.sock, "enable server lc/act")
        check("maint: a server left in maintenance with weight 0 keeps backups' sessions",
              still_alive(cc))
        cli(p.sock, "set weight lc/act 1")
        check("maint: a weight change does not count as coming up", still_alive(cc))
        cli(p.sock, "disable server lc/act")
        cli(p.sock, "enable server lc/act")
        check("maint: leaving maintenance ends the backups' sessions (on-marked-up)",
              closed_within(cc, 2))
        out = cli(p.sock, "shutdown sessions server lb/b")
        check("shutdown sessions server: answers nothing", out == "\n", repr(out))
        check("shutdown sessions server: closes the server's sessions", closed_within(cb, 2))
        out = cli(p.sock, "shutdown sessions server lb/nope")
        check("shutdown sessions server: unknown server", out == "No such server.\n\n",
              repr(out))
        for c in (ca, cb, cc):
            c.close()
    finally:
        stop_proxy(p)
        e.close()


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    # a whole-file budget well below the runner's timeout
    threading.Timer(120, lambda: os._exit(3)).start()
    tmp = tempfile.mkdtemp(prefix="halyard-obs-")
    cases = {"layer7": case_layer7, "layer7_errors": case_layer7_errors, "layer4": case_layer4,
             "marked_down": case_marked_down, "marked_up": case_marked_up,
             "maint": case_maint}
    for name in sys.argv[1:] or cases:
        cases[name](tmp)
    rc = summary()
    os._exit(rc)


if __name__ == "__main__":
    main()
