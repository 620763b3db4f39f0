"""HTTP health checks (option httpchk): the request sent is the configured
one, the server goes DOWN on a bad status or body and back UP on a good
one, expect rules (status list, rstatus, string) are applied, and
disable-on-404 puts an UP server in NOLB. Show stat columns and state-change
lines use HAProxy's words. Runs against halyard, then against
/usr/sbin/haproxy when it is installed, to keep the behaviours aligned."""
import http.server
import os
import re
import socket
import socketserver
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"


class Origin:
    """An HTTP server whose status and body can be changed at runtime; it
    records the requests it receives."""

    def __init__(self):
        self.status, self.body, self.requests = 200, b"healthy\n", []
        origin = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.0"

            def handle_one_request(self):
                try:
                    super().handle_one_request()
                except OSError:
                    pass

            def answer(self):
                n = int(self.headers.get("Content-Length") or 0)
                body = self.rfile.read(n) if n else b""
                origin.requests.append((self.command, self.path, self.request_version,
                                        {k.lower(): v for k, v in self.headers.items()}, body))
                self.send_response(origin.status)
                self.send_header("Content-Length", str(len(origin.body)))
                self.end_headers()
                self.wfile.write(origin.body)
            do_GET = do_OPTIONS = do_HEAD = do_POST = answer

            def log_message(self, *a):
                pass

        socketserver.ThreadingTCPServer.allow_reuse_address = True
        socketserver.ThreadingTCPServer.daemon_threads = True
        self.srv = socketserver.ThreadingTCPServer(("127.0.0.1", 0), Handler)
        self.port = self.srv.server_address[1]
        threading.Thread(target=self.srv.serve_forever, daemon=True).start()


def garbage_server():
    """A server answering anything with bytes that are not HTTP; returns its port."""
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(64)

    def run():
        while True:
            c, _ = srv.accept()
            try:
                c.recv(4096)
                c.sendall(b"garbage\r\n\r\n")
            except OSError:
                pass
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def stat(sock, be):
    """The s1 row of backend <be>. HAProxy marks a check under way with a
    "* " in front of the last result: the result is what is compared."""
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0][2:].split(",")
    for line in lines[1:]:
        f = line.split(",")
        if len(f) > 1 and f[0] == be and f[1] == "s1":
            row = dict(zip(cols, f))
            if row.get("check_status", "").startswith("* "):
                row["check_status"] = row["check_status"][2:]
            return row
    return {}


def wait_for(pred, timeout=4):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def run(binary, name):
    print(f"--- {name}")
    tmp = tempfile.mkdtemp(prefix="halyard-httpchk-")
    o = {k: Origin() for k in ("plain", "custom", "str", "rst")}
    sock, cfg, log = f"{tmp}/s.sock", f"{tmp}/h.cfg", f"{tmp}/err.log"
    srv = "server s1 127.0.0.1:{} check inter 100 rise 2 fall 2"
    open(cfg, "w").write(f"""global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 1s
frontend fe
    bind 127.0.0.1:{free_port()}
    default_backend plain
backend plain
    option httpchk
    {srv.format(o["plain"].port)}
backend custom
    option httpchk
    http-check send meth GET uri /health ver HTTP/1.1 hdr Host example.com hdr X-Check yes
    http-check send-state
    http-check expect status 200-299,302
    {srv.format(o["custom"].port)}
backend str
    option httpchk GET /s
    http-check expect string healthy
    {srv.format(o["str"].port)}
backend rst
    option httpchk
    http-check expect rstatus ^[23]
    http-check disable-on-404
    {srv.format(o["rst"].port)}
backend bad
    option httpchk
    {srv.format(garbage_server())}
""")
    errf = open(log, "w")
    p = subprocess.Popen([binary, "-db", "-f", cfg], stdout=errf, stderr=errf)
    try:
        ups = wait_for(lambda: all(stat(sock, b).get("check_status") == "L7OK" for b in o), 5) \
            if wait_for(lambda: os.path.exists(sock), 3) else False
        # haproxy blanks the code and text while a check runs: read again then
        good = wait_for(lambda: (lambda st: st.get("check_status") == "L7OK" and
                                 st.get("check_code") == "200" and
                                 st.get("check_desc") == "Layer7 check passed")(
                                     stat(sock, "plain")), 2)
        st = stat(sock, "plain")
        check("healthy servers are UP with L7OK and code 200", ups and good, st)
        m, path, ver, hdrs, _ = o["plain"].requests[0]
        check("the default request is OPTIONS / HTTP/1.0",
              (m, path, ver) == ("OPTIONS", "/", "HTTP/1.0"), o["plain"].requests[0])
        m, path, ver, hdrs, _ = o["custom"].requests[-1]
        check("http-check send: method, uri, version and headers arrive",
              (m, path, ver) == ("GET", "/health", "HTTP/1.1") and
              hdrs.get("host") == "example.com" and hdrs.get("x-check") == "yes", hdrs)
        state = hdrs.get("x-haproxy-server-state", "")
        check("send-state adds X-Haproxy-Server-State", re.match(
            r"UP( \d/\d)?; address=127\.0\.0\.1; port=\d+; name=custom/s1; node=[^;]*; "
            r"weight=1/\d; scur=0/0; qcur=0$", state), state)
        check("option httpchk <meth> <uri>", o["str"].requests[-1][:2] == ("GET", "/s"))

        wait_for(lambda: stat(sock, "bad").get("status") == "DOWN")
        time.sleep(0.2)
        st = stat(sock, "bad")
        check("a response that is not HTTP is L7RSP", st.get("status") == "DOWN" and
              st.get("check_status") == "L7RSP" and re.search(
                  r"Server bad/s1 is DOWN, reason: Layer7 invalid response, check duration: "
                  r"\d+ms\.", open(log).read()), st)

        o["plain"].status = 500
        down = wait_for(lambda: stat(sock, "plain").get("status") == "DOWN")
        st = stat(sock, "plain")
        check("a 500 takes the server DOWN as L7STS", down and
              st.get("check_status") == "L7STS" and st.get("check_code") == "500" and
              st.get("last_chk") == "Internal Server Error" and
              st.get("check_desc") == "Layer7 wrong status", st)
        time.sleep(0.2)
        check("the DOWN line is HAProxy's", re.search(
            r"\[WARNING\]  \(\d+\) : Server plain/s1 is DOWN, reason: Layer7 wrong status, "
            r"code: 500, info: \"Internal Server Error\", check duration: \d+ms\. 0 active and "
            r"0 backup servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.",
            open(log).read()), open(log).read()[-500:])
        o["plain"].status = 200
        up = wait_for(lambda: stat(sock, "plain").get("status") == "UP")
        time.sleep(0.2)
        check("a 200 brings it back UP", up and re.search(
            r"Server plain/s1 is UP, reason: Layer7 check passed, code: 200, check duration: "
            r"\d+ms\. 1 active and 0 backup servers online\. 0 sessions requeued, 0 total in "
            r"queue\.", open(log).read()), open(log).read()[-500:])

        o["custom"].status = 302
        time.sleep(0.5)
        check("expect status accepts a listed code", stat(sock, "custom").get("status") == "UP")
        o["custom"].status = 301
        check("expect status rejects codes outside the list",
              wait_for(lambda: stat(sock, "custom").get("status") == "DOWN"))

        o["str"].body = b"sick\n"
        down = wait_for(lambda: stat(sock, "str").get("status") == "DOWN")
        st = stat(sock, "str")
        check("expect string: a body without it is L7RSP", down and
              st.get("check_status") == "L7RSP" and
              st.get("last_chk") == "HTTP content check did not match", st)

        o["rst"].status = 404
        nolb = wait_for(lambda: stat(sock, "rst").get("status") == "NOLB")
        st = stat(sock, "rst")
        check("disable-on-404 puts an UP server in NOLB", nolb and
              st.get("check_status") == "L7OKC" and st.get("check_code") == "404", st)
        time.sleep(0.2)
        check("the stopping line is HAProxy's", re.search(
            r"Server rst/s1 is stopping, reason: Layer7 check conditionally passed, code: 404, "
            r"check duration: \d+ms\. 0 active and 0 backup servers online\.",
            open(log).read()), open(log).read()[-500:])
        o["rst"].status = 204
        check("a good status after 404 makes it UP again",
              wait_for(lambda: stat(sock, "rst").get("status") == "UP"))
        o["rst"].status = 503
        down = wait_for(lambda: stat(sock, "rst").get("status") == "DOWN")
        check("expect rstatus rejects a 503", down and
              stat(sock, "rst").get("check_status") == "L7STS")
    finally:
        p.kill()
        p.wait()
        errf.close()
        for x in o.values():
            x.srv.shutdown()


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    run(HALYARD, "halyard")
    if os.access(HAPROXY, os.X_OK):
        run(HAPROXY, "haproxy")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
