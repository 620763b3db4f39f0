#!/usr/bin/env python3
"""HTTP statistics on the stats socket: "show stat" for HTTP and TCP proxies
(mode, hrsp_*, req_tot, ereq, eresp, intercepted, and which columns are
empty), "show errors" with its arguments and levels, and CumReq/CumConns of
"show info", after a fixed sequence of valid and invalid requests and an
invalid response.

The expected values were captured from HAProxy 2.6 (Debian 12) running the
same configuration and traffic; the test passes with
HALYARD=/usr/sbin/haproxy too. Lines that HAProxy prints and Halyard does
not (H1 multiplexer flags in "show errors", columns Halyard does not
measure yet) are not compared; a column HAProxy leaves empty must be empty.

    HALYARD=$PWD/build/halyard python3 tests/system/test_http_stats.py
"""
import os
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from halyard_test import check, cli, free_port, summary  # noqa: E402

HALYARD = os.environ.get("HALYARD")
BUDGET_S = 120
PROCS = []  # started processes, killed by the watchdog

CONFIG = """global
    stats socket {sock} level admin
    stats socket {sock}-op level operator
    stats socket {sock}-user level user

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe1
    bind 127.0.0.1:{fe1}
    monitor-uri /mon
    default_backend be1

backend be1
    server s1 127.0.0.1:{origin}

frontend fe2
    bind 127.0.0.1:{fe2}
    default_backend bebad

backend bebad
    server b1 127.0.0.1:{bad}

listen tcp1
    mode tcp
    bind 127.0.0.1:{fe3}
    server t1 127.0.0.1:{origin}
"""

# ---- HAProxy 2.6's answers for CONFIG after traffic() ----
# Compared columns; any other column only has to be empty where HAProxy's is.
COLS = ("iid", "sid", "type", "mode", "ereq", "eresp", "hrsp_1xx", "hrsp_2xx", "hrsp_3xx",
        "hrsp_4xx", "hrsp_5xx", "hrsp_other", "req_tot", "intercepted", "cache_lookups",
        "cache_hits", "comp_in", "comp_out", "comp_byp", "comp_rsp")
# (pxname, svname) -> (values of COLS, which of the 128 columns are not empty)
HA_ROWS = {
    ('fe1', 'FRONTEND'): (('2', '0', '0', 'http', '2', '', '0', '4', '1', '3', '1', '0', '9', '1', '0', '0', '0', '0', '0', '0'),
        "1100111111111000010000000011100011110001111110111001111000000000"
        "0000000000010111111100110000001000000001111111111111111111111111"),
    ('be1', 's1'): (('3', '1', '2', 'http', '', '0', '1', '3', '1', '1', '1', '0', '7', '', '', '', '', '', '', ''),
        "1111110111010111111110010011101011010001111110001110000100111100"
        "0000000001010000000111001011111111110001111000000000000000000000"),
    ('be1', 'BACKEND'): (('3', '0', '1', 'http', '', '0', '0', '3', '1', '1', '1', '0', '6', '', '0', '0', '0', '0', '0', '0'),
        "1111111111110111111110111011101011010001111110001111111100111100"
        "0000000000011000000111110011111000011111111111111111111111111111"),
    ('fe2', 'FRONTEND'): (('4', '0', '0', 'http', '0', '', '0', '0', '0', '0', '1', '0', '1', '0', '0', '0', '0', '0', '0', '0'),
        "1100111111111000010000000011100011110001111110111001111000000000"
        "0000000000010111111100110000001000000001111111111111111111111111"),
    ('bebad', 'b1'): (('5', '1', '2', 'http', '', '1', '0', '0', '0', '0', '0', '0', '0', '', '', '', '', '', '', ''),
        "1111110111010111111110010011101011010001111110001110000100111100"
        "0000000001010000000111001011111111110001111000000000000000000000"),
    ('bebad', 'BACKEND'): (('5', '0', '1', 'http', '', '1', '0', '0', '0', '0', '1', '0', '1', '', '0', '0', '0', '0', '0', '0'),
        "1111111111110111111110111011101011010001111110001111111100111100"
        "0000000000011000000111110011111000011111111111111111111111111111"),
    ('tcp1', 'FRONTEND'): (('6', '0', '0', 'tcp', '0', '', '', '', '', '', '', '', '0', '', '', '', '0', '0', '0', '0'),
        "1100111111111000010000000011100011110000000000111001111000000000"
        "0000000000010111011100000000001000000001111111111111111111111111"),
    ('tcp1', 't1'): (('6', '1', '2', 'tcp', '', '0', '', '', '', '', '', '', '', '', '', '', '', '', '', ''),
        "1111110111010111111110010011101011010000000000000110000100111100"
        "0000000001010000000111001011111111110001111000000000000000000000"),
    ('tcp1', 'BACKEND'): (('6', '0', '1', 'tcp', '', '0', '', '', '', '', '', '', '', '', '', '', '0', '0', '0', '0'),
        "1111111111110111111110111011101011010000000000000111111100111100"
        "0000000000011000000111000011111000011111111111111111111111111111"),
}
# (" \n" opens each capture and "  \n" ends its header: HAProxy's spaces)
HA_ERR_HEAD = "Total events captured on [DATE] : 2\n"
HA_ERR_REQ = " \n" + """[DATE] frontend fe1 (#2): invalid request
  backend <NONE> (#-1), server <NONE> (#-1), event #0, src 127.0.0.1:PORT
  buffer starts at 0 (including 0 out), 16355 free,
  len 29, wraps at 16336, error at position 21
""" + "  \n" + """  00000  GET /x HTTP/1.1\\r\\n
  00017  Host : x\\r\\n
  00027  \\r\\n
"""
HA_ERR_RSP = " \n" + """[DATE] backend bebad (#5): invalid response
  frontend fe2 (#4), server b1 (#1), event #1, src 127.0.0.1:PORT
  buffer starts at 0 (including 0 out), 16329 free,
  len 55, wraps at 16336, error at position 39
""" + "  \n" + """  00000  HTTP/1.1 200 OK\\r\\n
  00017  Content-Length: 2\\r\\n
  00036  Bad Header: x\\r\\n
  00051  \\r\\n
  00053  ok
"""
HA_ERRORS = HA_ERR_HEAD + HA_ERR_REQ + HA_ERR_RSP + "\n"
# Counted by HAProxy in TCP mode too, but not measured by Halyard there.
TCP_UNMEASURED = ("ereq", "eresp")
DATE_RE = r"\[\d\d/[A-Z][a-z]{2}/\d{4}:\d\d:\d\d:\d\d\.\d{3}\]"


class Origin:
    """Keep-alive origin: /s/NNN answers status NNN, /hints sends a 103 first,
    anything else 200; bodies are "ok". With <bad>, every answer is invalid."""

    def __init__(self, bad=False):
        self.bad = bad
        self.sock = socket.socket()
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(64)
        self.port = self.sock.getsockname()[1]
        threading.Thread(target=self._accept, daemon=True).start()

    def _accept(self):
        while True:
            try:
                c, _ = self.sock.accept()
            except OSError:
                return
            threading.Thread(target=self._serve, args=(c,), daemon=True).start()

    def answer(self, path):
        if self.bad:
            return b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nBad Header: x\r\n\r\nok"
        ok = b"Content-Length: 2\r\n\r\nok"
        if path.startswith(b"/s/"):
            return b"HTTP/1.1 " + path[3:6] + b" X\r\n" + ok
        hints = b"HTTP/1.1 103 Early Hints\r\nLink: </a>\r\n\r\n" if path == b"/hints" else b""
        return hints + b"HTTP/1.1 200 OK\r\n" + ok

    def _serve(self, c):
        buf = b""
        c.settimeout(10)
        try:
            while True:
                while b"\r\n\r\n" not in buf:
                    d = c.recv(65536)
                    if not d:
                        return
                    buf += d
                head, buf = buf.split(b"\r\n\r\n", 1)
                c.sendall(self.answer(head.split(b" ")[1]))
        except OSError:
            pass
        finally:
            c.close()


def exchange(port, data, shut=False):
    """Sends <data> on a new connection (then half-closes it if <shut>) and
    returns what comes back until the proxy closes, within 3 s."""
    c = socket.create_connection(("127.0.0.1", port), timeout=3)
    out = b""
    try:
        c.sendall(data)
        if shut:
            c.shutdown(socket.SHUT_WR)
        while True:
            d = c.recv(65536)
            if not d:
                break
            out += d
    except OSError:
        pass
    c.close()
    return out


def get(path, close=True):
    return (b"GET " + path + b" HTTP/1.1\r\nHost: x\r\n"
            + (b"Connection: close\r\n" if close else b"") + b"\r\n")


def traffic(p):
    """The fixed sequence of exchanges whose counts the expectations hold."""
    for path in (b"/", b"/s/404", b"/s/302", b"/hints", b"/mon"):
        exchange(p["fe1"], get(path))
    exchange(p["fe1"], get(b"/", False) + get(b"/s/503"))  # keep-alive
    exchange(p["fe1"], b"GET /x HTTP/1.1\r\nHost : x\r\n\r\n")  # space before colon
    exchange(p["fe1"], b"", shut=True)  # closed without a request
    exchange(p["fe2"], get(b"/q"))  # invalid response
    exchange(p["fe3"], get(b"/"))  # through TCP


def stat_rows(sock):
    lines = cli(sock, "show stat").strip("\n").split("\n")
    cols = lines[0][2:].split(",")
    return cols, {tuple(v[:2]): v for v in (ln.split(",") for ln in lines[1:])}


def check_stat(sock):
    cols, rows = stat_rows(sock)
    check("show stat rows", sorted(rows) == sorted(HA_ROWS), repr(sorted(rows)))
    for key, (want, mask) in HA_ROWS.items():
        v = rows.get(key)
        if not v or len(v) != len(cols):
            check(f"row {key}", False, repr(v))
            continue
        got = tuple(v[cols.index(c)] for c in COLS)
        tcp = want[COLS.index("mode")] == "tcp"
        bad = [(c, g, w) for c, g, w in zip(COLS, got, want)
               if g != w and not (tcp and g == "" and c in TCP_UNMEASURED)]
        check(f"row {key} HTTP columns", not bad, repr(bad))
        extra = [cols[i] for i in range(len(mask)) if mask[i] == "0" and v[i]]
        check(f"row {key} empty where HAProxy's are", not extra, repr(extra))


def masked(text):
    text = re.sub(DATE_RE, "[DATE]", text)
    text = re.sub(r"src 127\.0\.0\.1:\d+", "src 127.0.0.1:PORT", text)
    return "".join(ln for ln in text.splitlines(True) if not ln.startswith("  H1 "))


def check_errors(sock):
    out = cli(sock, "show errors")
    check("show errors format", re.match("Total events captured on " + DATE_RE, out), repr(out))
    check("show errors", masked(out) == HA_ERRORS, repr(out))
    req, rsp = HA_ERR_HEAD + HA_ERR_REQ + "\n", HA_ERR_HEAD + HA_ERR_RSP + "\n"
    for args, want in (("fe1", req), ("2 request", req), ("fe2", rsp), ("-1 response", rsp),
                       ("bebad", rsp), ("fe1 response", HA_ERR_HEAD + "\n"),
                       ("99", HA_ERR_HEAD + "\n")):
        out = masked(cli(sock, "show errors " + args))
        check(f"show errors {args}", out == want, repr(out))
    check("show errors <unknown>", cli(sock, "show errors nope") == "No such proxy.\n\n")
    check("show errors at user level",
          cli(sock + "-user", "show errors") == "Permission denied\n\n")
    check("show errors at operator level", masked(cli(sock + "-op", "show errors")) == HA_ERRORS)
    cli(sock, "clear counters all")
    check("clear counters all keeps the captures", masked(cli(sock, "show errors")) == HA_ERRORS)
    cols, rows = stat_rows(sock)
    fe1 = rows[("fe1", "FRONTEND")]
    check("clear counters all clears req_tot", fe1[cols.index("req_tot")] == "0")


def info(sock):
    return dict(ln.split(": ", 1) for ln in cli(sock, "show info").splitlines() if ": " in ln)


def check_info(sock, p):
    a = info(sock)
    exchange(p["fe1"], get(b"/", False) + get(b"/"))
    exchange(p["fe1"], b"GET /a b HTTP/1.1\r\n\r\n")  # refused by the parser
    b = info(sock)
    # one CLI session, two connections, two accepted requests
    dc = int(b["CumConns"]) - int(a["CumConns"])
    dr = int(b["CumReq"]) - int(a["CumReq"])
    check("show info CumConns", dc == 3, f"{dc}")
    check("show info CumReq", dr == 3, f"{dr}")


def start(tmp, p):
    sock = os.path.join(tmp, "s.sock")
    cfg = os.path.join(tmp, "h.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, **p))
    proc = subprocess.Popen([HALYARD, "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    PROCS.append(proc)
    end = time.time() + 5
    while time.time() < end and not os.path.exists(sock + "-user"):
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, sock


def run(tmp):
    origin, bad = Origin(), Origin(bad=True)
    p = {"fe1": free_port(), "fe2": free_port(), "fe3": free_port(),
         "origin": origin.port, "bad": bad.port}
    proc, sock = start(tmp, p)
    try:
        if not os.path.exists(sock + "-user"):
            check("start", False, "no stats socket")
            return
        traffic(p)
        check_stat(sock)
        check_errors(sock)
        check_info(sock, p)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def watchdog():
    print(f"FAIL watchdog: the test took longer than {BUDGET_S} s", flush=True)
    for p in PROCS:
        p.kill()
    os._exit(1)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    timer = threading.Timer(BUDGET_S, watchdog)
    timer.daemon = True
    timer.start()
    tmp = tempfile.mkdtemp(prefix="halyard-http-stats-")
    try:
        run(tmp)
    finally:
        timer.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
