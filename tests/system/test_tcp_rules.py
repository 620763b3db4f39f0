"""TCP rule sets through real connections, next to HAProxy 2.6 when it is
installed: "tcp-request connection reject" closes at once and is counted
in the frontend's dcon column; "tcp-request session reject" in dses;
"tcp-request content reject" after inspection is counted in dreq; accepted connections reach the server and
are counted in neither. Both proxies run the same configuration and must
give the same counters."""
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """
global
    stats socket {sock} level admin

defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s

frontend fe_conn
    bind 127.0.0.1:{p_conn}
    tcp-request connection reject if {{ src 127.0.0.0/8 }}
    default_backend be

frontend fe_sess
    bind 127.0.0.1:{p_sess}
    tcp-request session reject if {{ src 127.0.0.0/8 }}
    default_backend be

frontend fe_content
    bind 127.0.0.1:{p_content}
    tcp-request inspect-delay 2s
    tcp-request content reject if {{ req.payload(0,3) -m str BAD }}
    tcp-request content accept if {{ req.len ge 3 }}
    default_backend be

backend be
    server s1 127.0.0.1:{p_srv}
"""


def origin(port, stop):
    """Answers "ok" to every connection."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", port))
    s.listen(64)
    s.settimeout(0.2)
    while not stop.is_set():
        try:
            c, _ = s.accept()
        except OSError:
            continue
        try:
            c.sendall(b"ok")
            c.close()
        except OSError:
            pass
    s.close()


def exchange(port, data):
    """Sends <data>, returns what comes back before the close ("" when the
    proxy closed or reset without answering)."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=3)
    except OSError:
        return ""
    out = b""
    try:
        if data:
            c.sendall(data)
        while True:
            d = c.recv(64)
            if not d:
                break
            out += d
    except OSError:
        pass
    c.close()
    return out.decode(errors="replace")


def stat_fields(sock, px):
    """The FRONTEND row of <px> in "show stat", as a column -> value dict."""
    out = cli(sock, "show stat").splitlines()
    cols = out[0].lstrip("# ").split(",")
    for line in out[1:]:
        f = line.split(",")
        if len(f) > 2 and f[0] == px and f[1] == "FRONTEND":
            return dict(zip(cols, f))
    return {}


def run(name, binary):
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "stats.sock")
    ports = {k: free_port() for k in ("p_conn", "p_sess", "p_content", "p_srv")}
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, **ports))
    stop = threading.Event()
    t = threading.Thread(target=origin, args=(ports["p_srv"], stop), daemon=True)
    t.start()
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(0.2)
        check(f"{name}: connection rule closes without data",
              exchange(ports["p_conn"], b"") == "")
        check(f"{name}: session rule closes without data",
              exchange(ports["p_sess"], b"") == "")
        check(f"{name}: content rule rejects BAD",
              exchange(ports["p_content"], b"BADDATA") == "")
        check(f"{name}: content rule accepts", exchange(ports["p_content"], b"GOOD") == "ok")
        time.sleep(0.2)
        fs = stat_fields(sock, "fe_sess")
        check(f"{name}: dses counted", fs.get("dses") == "1", fs.get("dses"))
        fc = stat_fields(sock, "fe_conn")
        ft = stat_fields(sock, "fe_content")
        check(f"{name}: dcon counted", fc.get("dcon") == "1", fc.get("dcon"))
        check(f"{name}: dreq counted", ft.get("dreq") == "1", ft.get("dreq"))
        check(f"{name}: accepted not denied", ft.get("dcon") == "0" and ft.get("dses") == "0",
              f"{ft.get('dcon')} {ft.get('dses')}")
        return fc, ft
    finally:
        proc.terminate()
        proc.wait(5)
        stop.set()
        t.join(2)
        shutil.rmtree(tmp, ignore_errors=True)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    ours = run("halyard", HALYARD)
    if os.path.exists(HAPROXY):
        theirs = run("haproxy", HAPROXY)
        for col in ("dcon", "dses", "dreq", "stot"):
            check(f"same {col} as haproxy",
                  (ours[0].get(col), ours[1].get(col)) == (theirs[0].get(col), theirs[1].get(col)),
                  f"{ours[0].get(col)},{ours[1].get(col)} vs {theirs[0].get(col)},{theirs[1].get(col)}")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
