#!/usr/bin/env python3
"""Typed and JSON forms of the runtime API compared with HAProxy 2.6: runs
Halyard and Debian's /usr/sbin/haproxy on the same configuration (HTTP and
TCP proxies, checked, backup, limited, disabled and tracking servers) and compares:

- "show schema json": byte for byte;
- "show info typed" and "show info json": the same fields (position, name,
  tags, type) in the same order, and JSON values equal to the typed ones;
- "show stat typed" and "show stat json": the same objects in the same
  order; every field Halyard prints is one HAProxy prints with the same
  position, tags and type; identity and configuration fields have HAProxy's
  values; each typed value equals the CSV cell of "show stat" and the JSON
  value; the proxy/type/server filter and "up"/"no-maint" select the same
  objects;
- the statistics page's ";csv" export has the rows and cells of "show stat",
  and its HTML page is well-formed, with a table per proxy and a row per
  "show stat" row.

    HALYARD=$PWD/build/halyard python3 tests/system/test_stats_typed.py
"""
import json
import xml.etree.ElementTree as ET
import os
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
HAPROXY = os.environ.get("HAPROXY", "/usr/sbin/haproxy")
BUDGET_S = 120
PROCS = []

CONFIG = """global
    stats socket {sock} level admin
    node testnode
    description typed output test

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe1
    bind 127.0.0.1:{fe1}
    default_backend be1

backend be1
    server s1 127.0.0.1:{origin} check inter 200 maxconn 10
    server s2 127.0.0.1:{origin} backup
    server s3 127.0.0.1:{origin} disabled
    server s4 127.0.0.1:{origin} track s1

listen tcp1
    mode tcp
    bind 127.0.0.1:{fe2}
    server t1 127.0.0.1:{origin} weight 7
    server t2 127.0.0.1:{closed} check inter 200 fall 1

listen web
    bind 127.0.0.1:{fe3}
    stats enable
    stats uri /st
    server w1 127.0.0.1:{origin}
"""

# Fields whose value depends only on the configuration: equal in both.
# (Not slim nor Maxconn: the default maxconn follows the file descriptor
# limit, which each program computes its own way.)
SAME_VALUE = {"pxname", "svname", "iid", "sid", "type", "pid", "mode", "weight", "uweight",
              "act", "bck", "algo", "addr", "check_status", "status"}
INFO_SAME_VALUE = {"Nbproc", "Process_num", "node", "description"}
# Fields that may change between two "show stat" (checks run every 200 ms).
STAT_MOVING = {"lastchg", "downtime", "check_duration", "chkfail", "chkdown", "last_chk",
               "check_desc"}
# Fields that change between two CLI sessions (each one is counted).
INFO_MOVING = ("Uptime", "Uptime_sec", "CumConns", "CumReq")


def start(binary, tmp, name, p):
    sock = os.path.join(tmp, name + ".sock")
    cfg = os.path.join(tmp, name + ".cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, **p))
    proc = subprocess.Popen([binary, "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    PROCS.append(proc)
    end = time.time() + 5
    while time.time() < end and not os.path.exists(sock):
        time.sleep(0.05)
    return proc, sock


def stop(proc):
    proc.send_signal(signal.SIGTERM)
    try:
        proc.wait(timeout=5)
    except subprocess.TimeoutExpired:
        proc.kill()
        proc.wait()


def parse_typed(text):
    """Typed lines -> list of (key tuple, tags, type, value)."""
    out = []
    for ln in text.split("\n"):
        if not ln:
            continue
        head, tags, typ, val = ln.split(":", 3)
        out.append((tuple(head.split(".")), tags, typ, val))
    return out


def stat_objects(typed):
    """Ordered (objtype, iid, sid) of a "show stat typed" answer."""
    seen = []
    for key, _, _, _ in typed:
        if key[:3] not in seen:
            seen.append(key[:3])
    return seen


def csv_rows(text):
    lines = [ln for ln in text.split("\n") if ln]
    cols = lines[0][2:].split(",")
    return cols, [ln.split(",") for ln in lines[1:]]


def compare_info(hy, ha):
    ht, at = parse_typed(cli(hy, "show info typed")), parse_typed(cli(ha, "show info typed"))
    shape = lambda t: [(k[0], k[1], tags, typ) for k, tags, typ, _ in t]  # noqa: E731
    check("show info typed: HAProxy's fields, tags and types", shape(ht) == shape(at),
          f"{set(shape(ht)) ^ set(shape(at))}")
    hv, av = {k[1]: v for k, _, _, v in ht}, {k[1]: v for k, _, _, v in at}
    diff = [n for n in INFO_SAME_VALUE if hv.get(n) != av.get(n)]
    check("show info typed: configuration values", not diff, f"{diff}")
    try:
        hj = json.loads(cli(hy, "show info json"))
        json.loads(cli(ha, "show info json"))
    except ValueError as e:
        check("show info json parses", False, str(e))
        return
    jshape = [(str(x["field"]["pos"]), x["field"]["name"], x["value"]["type"]) for x in hj]
    check("show info json: the typed fields", jshape == [(k[0], k[1], typ) for k, _, typ, _ in ht],
          f"{jshape[:5]}")
    jv = {x["field"]["name"]: str(x["value"]["value"]) for x in hj}
    bad = [n for n in jv if n not in INFO_MOVING and jv[n] != hv[n]]
    check("show info json: values equal the typed ones", not bad, f"{bad}")
    plain = dict(ln.split(": ", 1) for ln in cli(hy, "show info").split("\n") if ": " in ln)
    bad = [n for n in plain if n not in INFO_MOVING and plain[n] != hv.get(n)]
    check("show info: the same fields and values as typed", not bad and len(plain) == len(hv),
          f"{bad}")


def compare_stat(hy, ha):
    ht, at = parse_typed(cli(hy, "show stat typed")), parse_typed(cli(ha, "show stat typed"))
    check("show stat typed: HAProxy's objects in order", stat_objects(ht) == stat_objects(at),
          f"{stat_objects(ht)} / {stat_objects(at)}")
    ha_fields = {k: (tags, typ, v) for k, tags, typ, v in at}
    unknown = [k for k, tags, typ, _ in ht if ha_fields.get(k, ("", ""))[:2] != (tags, typ)]
    check("show stat typed: each field is HAProxy's, same tags and type", not unknown,
          f"{unknown[:5]}")
    # ("* " marks a check under way in HAProxy, which Halyard does not show)
    values = [(k, v, ha_fields[k][2]) for k, _, _, v in ht
              if k[4] in SAME_VALUE and k in ha_fields
              and ha_fields[k][2].removeprefix("* ") != v]
    check("show stat typed: configuration values are HAProxy's", not values, f"{values[:5]}")
    cols, rows = csv_rows(cli(hy, "show stat"))
    byobj = {}
    for r in rows:
        byobj[("FBS"[int(r[cols.index("type")])], r[cols.index("iid")], r[cols.index("sid")])] = r
    bad = [k for k, _, _, v in ht
           if k[4] not in STAT_MOVING and byobj[k[:3]][cols.index(k[4])] != v]
    check("show stat typed: values are the CSV cells", not bad, f"{bad[:5]}")
    missing = [(o, c) for o, r in byobj.items() for i, c in enumerate(cols)
               if r[i] and c != "-" and (o + (str(i if i < 103 else i - 1), c, "1")) not in
               {k for k, _, _, _ in ht}]
    check("show stat typed: every CSV cell with a value is typed", not missing, f"{missing[:5]}")
    try:
        hj = json.loads(cli(hy, "show stat json"))
        aj = json.loads(cli(ha, "show stat json"))
    except ValueError as e:
        check("show stat json parses", False, str(e))
        return
    flat = [x for row in hj for x in row]
    kind = {"Frontend": "F", "Backend": "B", "Server": "S"}
    jt = [((kind[x["objType"]], str(x["proxyId"]), str(x["id"]), str(x["field"]["pos"]),
            x["field"]["name"], str(x["processNum"])), x["value"]["type"], str(x["value"]["value"]))
          for x in flat]
    settled = lambda t: [(k, typ, v if k[4] not in STAT_MOVING else "") for k, typ, v in t]  # noqa
    diff = [a for a, b in zip(settled(jt), settled([(k, typ, v) for k, _, typ, v in ht])) if a != b]
    check("show stat json: the typed fields and values", len(jt) == len(ht) and not diff,
          f"{len(jt)} / {len(ht)} {diff[:3]}")
    check("show stat json: one array per object, as HAProxy",
          len(hj) == len(stat_objects(ht)) and len(aj) == len(stat_objects(at)))


def compare_filters(hy, ha):
    for args in ("2 -1 -1", "3 4 -1", "3 -1 1", "be1 3 2", "-1 1 -1", "tcp1 6 -1"):
        h = stat_objects(parse_typed(cli(hy, f"show stat {args} typed")))
        a = stat_objects(parse_typed(cli(ha, f"show stat {args} typed")))
        check(f"show stat {args} typed: HAProxy's objects", h == a and h, f"{h} / {a}")
    for opt in ("up", "no-maint"):
        h = stat_objects(parse_typed(cli(hy, f"show stat typed {opt}")))
        a = stat_objects(parse_typed(cli(ha, f"show stat typed {opt}")))
        check(f"show stat typed {opt}: HAProxy's objects", h == a, f"{h} / {a}")
    for args in ("nosuch 1 -1", "typed up no-maint", "domain foo"):  # errors
        h, a = cli(hy, f"show stat {args}"), cli(ha, f"show stat {args}")
        check(f"show stat {args}: HAProxy's answer", h == a, f"{h[:80]!r} / {a[:80]!r}")


def page(port, path):
    c = socket.create_connection(("127.0.0.1", port), timeout=3)
    c.sendall(b"GET " + path + b" HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n")
    data = b""
    while True:
        d = c.recv(65536)
        if not d:
            break
        data += d
    c.close()
    return data.partition(b"\r\n\r\n")[::2]


def check_html_page(hy, port):
    """The HTML page parses as XML (so its tags are balanced) and has one
    table per proxy with one row per "show stat" row."""
    head, body = page(port, b"/st")
    check("stats page: 200 text/html",
          head.startswith(b"HTTP/1.1 200") and b"content-type: text/html" in head, head[:200])
    try:
        root = ET.fromstring(body.decode())
    except ET.ParseError as e:
        check("stats page: well-formed markup", False, str(e))
        return
    tables = [t for t in root.iter("table") if t.get("class") == "px"]
    names = [t.find("caption/a").text for t in tables]
    _, rows = csv_rows(cli(hy, "show stat"))
    pxs = list(dict.fromkeys(r[0] for r in rows))
    check("stats page: a table per proxy, in order", names == pxs, f"{names} / {pxs}")
    nrows = sum(len(t.findall("tbody/tr")) for t in tables)
    check("stats page: a row per show stat row", nrows == len(rows), f"{nrows} / {len(rows)}")


def compare_page_csv(hy, port):
    head, body = page(port, b"/st;csv")
    check("stats page ;csv: 200 text/plain",
          head.startswith(b"HTTP/1.1 200") and b"content-type: text/plain" in head, head[:200])
    pc, prow = csv_rows(body.decode())
    sc, srow = csv_rows(cli(hy, "show stat"))
    varying = {pc.index(n) for n in STAT_MOVING | {"req_tot", "intercepted", "stot",
                                                    "conn_tot", "scur", "bin", "bout",
                                                    "req_rate", "req_rate_max", "hrsp_2xx"}}
    strip = lambda rows: [[v for i, v in enumerate(r) if i not in varying] for r in rows]  # noqa
    check("stats page ;csv: the rows and cells of show stat",
          pc == sc and strip(prow) == strip(srow), f"{len(prow)} / {len(srow)}")


def run(tmp):
    origin = socket.socket()
    origin.bind(("127.0.0.1", 0))
    origin.listen(64)
    threading.Thread(target=lambda: [origin.accept()[0].close() for _ in iter(int, 1)],
                     daemon=True).start()
    closed = free_port()
    ports = {}
    procs = {}
    for name, binary in (("hy", HALYARD), ("ha", HAPROXY)):
        ports[name] = {"fe1": free_port(), "fe2": free_port(), "fe3": free_port(),
                       "origin": origin.getsockname()[1], "closed": closed}
        procs[name] = start(binary, tmp, name, ports[name])
    try:
        hy, ha = procs["hy"][1], procs["ha"][1]
        if not (os.path.exists(hy) and os.path.exists(ha)):
            check("both processes started", False, f"{os.path.exists(hy)} {os.path.exists(ha)}")
            return
        time.sleep(1.2)  # a few checks: s1 up, t2 down
        check("show schema json: HAProxy's document",
              cli(hy, "show schema json") == cli(ha, "show schema json"))
        compare_info(hy, ha)
        compare_stat(hy, ha)
        compare_filters(hy, ha)
        compare_page_csv(hy, ports["hy"]["fe3"])
        check_html_page(hy, ports["hy"]["fe3"])
    finally:
        for proc, _ in procs.values():
            stop(proc)


def watchdog():
    print(f"FAIL watchdog: the test took longer than {BUDGET_S} s", flush=True)
    for p in PROCS:
        p.kill()
    os._exit(1)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    if not os.access(HAPROXY, os.X_OK):
        check("HAProxy binary to compare with", False, HAPROXY)
        return summary()
    timer = threading.Timer(BUDGET_S, watchdog)
    timer.daemon = True
    timer.start()
    tmp = tempfile.mkdtemp(prefix="halyard-stats-typed-")
    try:
        run(tmp)
    finally:
        timer.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
