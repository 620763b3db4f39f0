"""Layer-4 health checks: a server that refuses connections is marked DOWN
after 'fall' failed checks and gets no traffic; it comes back UP after
'rise' successful checks. State changes are logged in HAProxy's words and
shown by show stat; a server flapping while clients send requests never
makes a request fail beyond those sent to it before it was marked down."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

from halyard_test import check, summary, free_port, cli, hit

HALYARD = os.environ.get("HALYARD")


class Backend:
    """A named server that can be stopped and started on a fixed port."""

    def __init__(self, name, port):
        self.name, self.port, self.srv = name, port, None

    def start(self):
        srv = socket.socket()
        srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        srv.bind(("127.0.0.1", self.port))
        srv.listen(256)
        self.srv = srv

        def run():
            while True:
                try:
                    c, _ = srv.accept()
                except OSError:
                    return
                try:
                    c.sendall(self.name.encode())
                except OSError:
                    pass
                c.close()
        threading.Thread(target=run, daemon=True).start()

    def stop(self):
        if self.srv:
            # shutdown() wakes the thread blocked in accept(): without it
            # the socket would go on listening until a connection comes,
            # and layer-4 checks are withdrawn before being accepted
            try:
                self.srv.shutdown(socket.SHUT_RDWR)
            except OSError:
                pass
            self.srv.close()
            self.srv = None


def status_of(sock, srv):
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0][2:].split(",")
    for line in lines[1:]:
        f = line.split(",")
        if len(f) > 1 and f[1] == srv:
            d = dict(zip(cols, f))  # a check under way: "* " and its last result
            d["check_status"] = d.get("check_status", "").removeprefix("* ")
            return d
    return {}


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    tmp = tempfile.mkdtemp(prefix="halyard-chk-")
    b1, b2 = Backend("s1", free_port()), Backend("s2", free_port())
    b1.start()
    b2.start()
    port, sock, cfg, log = free_port(), f"{tmp}/s.sock", f"{tmp}/h.cfg", f"{tmp}/err.log"
    open(cfg, "w").write(f"""global
    nbthread 2
    stats socket {sock} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 500ms
    option redispatch
    retries 2
listen l
    bind 127.0.0.1:{port}
    server s1 127.0.0.1:{b1.port} check inter 200 rise 2 fall 2
    server s2 127.0.0.1:{b2.port} check inter 200 rise 3 fall 2
""")
    errf = open(log, "w")
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL, stderr=errf)
    try:
        time.sleep(0.8)
        st = status_of(sock, "s2")
        check("a healthy server is UP with L4OK", st.get("status") == "UP" and
              st.get("check_status") == "L4OK", st)
        b2.stop()
        t0 = time.time()
        down = wait_for(lambda: status_of(sock, "s2").get("status") == "DOWN", 3)
        # two failed checks, "inter" (200 ms) apart
        check("a refusing server goes DOWN after fall checks", down and time.time() - t0 >= 0.19,
              time.time() - t0)
        down_line = (
            r"\[WARNING\]  \(\d+\) : Server l/s2 is DOWN, reason: Layer4 connection problem, "
            r"info: \"Connection refused\", check duration: \d+ms\. 1 active and 0 backup "
            r"servers left\. \d+ sessions active, 0 requeued, 0 remaining in queue\.")
        # the line may reach the log just after show stat tells the change
        wait_for(lambda: re.search(down_line, open(log).read()), 1)
        text = open(log).read()
        check("the DOWN line is HAProxy's", re.search(down_line, text), text[-400:])
        c = Counter(hit(port) for _ in range(100))
        check("a DOWN server gets no traffic", c == Counter({"s1": 100}), c)
        st = status_of(sock, "s2")
        check("show stat counts the failures", int(st.get("chkfail") or 0) >= 2 and
              st.get("chkdown") == "1" and st.get("check_status") == "L4CON", st)
        b2.start()
        up = wait_for(lambda: status_of(sock, "s2").get("status") == "UP", 3)
        check("it comes back UP after rise checks", up)
        check("the UP line is HAProxy's", re.search(
            r"Server l/s2 is UP, reason: Layer4 check passed, check duration: \d+ms\. 2 "
            r"active and 0 backup servers online\. 0 sessions requeued, 0 total in queue\.",
            open(log).read()))
        c = Counter(hit(port) for _ in range(100))
        # round-robin is exact per thread; two threads share the connections
        check("traffic is shared again", 45 <= c["s2"] <= 55 and c["s1"] + c["s2"] == 100, c)

        # flapping: clients keep sending while s2 goes down and up
        stop = threading.Event()
        res = Counter()

        def client():
            while not stop.is_set():
                res["ok" if hit(port) else "fail"] += 1
        threads = [threading.Thread(target=client) for _ in range(8)]
        for t in threads:
            t.start()
        for _ in range(3):
            b2.stop()
            time.sleep(0.8)
            b2.start()
            time.sleep(1.0)
        stop.set()
        for t in threads:
            t.join(5)
        print(f"     while flapping: {res['ok']} ok, {res['fail']} failed")
        # only connections already in flight to s2 when it stopped may fail:
        # at most one per client and per flap
        check("while a server flaps only in-flight requests fail",
              res["fail"] <= 3 * len(threads) and res["ok"] > 100, res)
        b2.stop()
        wait_for(lambda: status_of(sock, "s2").get("status") == "DOWN", 3)
        c = Counter(hit(port) for _ in range(200))
        check("once it is marked DOWN no request fails", c == Counter({"s1": 200}), c)
        b2.start()
        b1.stop()
        b2.stop()
        gone = wait_for(lambda: "has no server available" in open(log).read(), 3)
        check("losing every server is an alert", gone)
    finally:
        p.kill()
        p.wait()
        errf.close()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
