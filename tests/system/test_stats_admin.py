#!/usr/bin/env python3
"""The statistics page's admin form ("stats admin"): actions posted with
HAProxy 2.6's field names (s=<server> repeated, action=..., b=#<id> or the
backend's name) change the servers as "show stat" on the CLI then reports;
the 303 answers carry ;st=DONE|PART|NONE|ERRP|EXCD|DENY and the options
that HAProxy keeps; a page whose admin condition does not hold, or a
request without credentials, changes nothing. The page options (refresh,
;norefresh, ;csv, ;json, ;up, hide-version, show-node, show-desc,
show-legends, scope) are checked on the same page.

A real headless Chromium (Debian's "chromium" package) then loads the page:
a screenshot (copied to build/test-artifacts/stats-admin-<build dir>.png,
path printed) and the DOM
(--dump-dom) must hold the tables, server rows and admin forms, and the
form is driven from inside the browser (DevTools protocol over a pipe):
check a server, choose "Set state to MAINT", submit, land on ;st=DONE.

The form and redirection checks pass with HALYARD=/usr/sbin/haproxy too
(the page layout checks are Halyard's own and are skipped there, and so
is the browser part).

    HALYARD=$PWD/build/halyard python3 tests/system/test_stats_admin.py
"""
import base64
import fcntl
import http.client
import json
import os
import select
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
SRC = os.environ.get("HALYARD_SRC") or os.path.dirname(
    os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
IS_HAPROXY = bool(HALYARD) and os.path.basename(HALYARD) == "haproxy"
BUDGET_S = 200
PROCS = []  # started processes, killed by the watchdog
AUTH = "Basic " + base64.b64encode(b"admin:pw").decode()

CONFIG = """global
    stats socket {sock} level admin
    description the test balancer

defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout http-request 3s

frontend fe
    bind 127.0.0.1:{fe}
    stats enable
    stats uri /stats
    stats auth admin:pw
    stats admin if TRUE
    stats refresh 10s
    stats hide-version{show_version}
    stats show-node testnode
    stats show-desc
    stats show-legends
    default_backend be

frontend ro
    bind 127.0.0.1:{ro}
    acl from_far src 10.0.0.0/8
    stats enable
    stats uri /stats
    stats admin if from_far
    default_backend be

frontend scoped
    bind 127.0.0.1:{scoped}
    stats enable
    stats uri /st
    stats admin unless FALSE
    stats scope other
    default_backend be

backend be
    server s1 127.0.0.1:{hold}
    server s2 127.0.0.1:{hold} check inter 200 rise 1 fall 1 agent-check agent-port {agent} agent-inter 200
    server s3 127.0.0.1:{hold}

backend other
    server o1 127.0.0.1:{hold}
"""


class Listener:
    """Loopback TCP server; <reply> is sent to each connection (then closed)
    or, when None, connections are held open until the peer closes."""

    def __init__(self, reply=None):
        self.reply = reply
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

    def _serve(self, c):
        c.settimeout(30)
        try:
            if self.reply is not None:
                c.sendall(self.reply)
                return
            while c.recv(65536):
                pass
        except OSError:
            pass
        finally:
            c.close()


def request(port, method, path, body=None, auth=True, headers=None):
    """One request on a new connection: (status, headers, body text)."""
    h = dict(headers or {})
    if auth:
        h["Authorization"] = AUTH
    if body is not None:
        h["Content-Type"] = "application/x-www-form-urlencoded"
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    try:
        c.request(method, path, body=body, headers=h)
        r = c.getresponse()
        data = r.read().decode(errors="replace")
        return r.status, {k.lower(): v for k, v in r.getheaders()}, data
    finally:
        c.close()


def post(port, body, path="/stats", auth=True):
    """Posts a form; returns (status, location)."""
    st, hdrs, _ = request(port, "POST", path, body, auth)
    return st, hdrs.get("location")


def stat_status(sock, col="status"):
    """{(pxname, svname): <col>} from "show stat"."""
    lines = cli(sock, "show stat").strip("\n").split("\n")
    cols = lines[0][2:].split(",")
    i = cols.index(col)
    return {tuple(v[:2]): v[i] for v in (ln.split(",") for ln in lines[1:] if ln)}


def wait_agent_stopped(sock, srv, timeout=3.0):
    """Waits until "show stat" shows no agent result for <srv> of "be"
    (after "disable agent"); whether it did."""
    end = time.time() + timeout
    while stat_status(sock, "agent_status").get(("be", srv)) != "":
        if time.time() >= end:
            return False
        time.sleep(0.05)
    return True


def wait_status(sock, srv, want, timeout=3.0):
    """Waits until server <srv> of "be" shows a status accepted by <want>
    (a string or a predicate); returns the last status seen."""
    ok = want if callable(want) else (lambda s: s == want)
    end = time.time() + timeout
    while True:
        st = stat_status(sock).get(("be", srv), "")
        if ok(st) or time.time() >= end:
            return st
        time.sleep(0.05)


def be_iid(sock):
    lines = cli(sock, "show stat").strip("\n").split("\n")
    cols = lines[0][2:].split(",")
    for ln in lines[1:]:
        v = ln.split(",")
        if v[0] == "be":
            return v[cols.index("iid")]
    return "?"


def check_page(p, iid):
    st, hdrs, page = request(p["fe"], "GET", "/stats")
    check("page 200 with credentials", st == 200, f"{st}")
    check("admin form for be", f'name="b" value="#{iid}"' in page, page[:300])
    for s in ("s1", "s2", "s3", "o1"):
        check(f"checkbox for {s}", f'name="s" value="{s}"' in page)
    for a in ("ready", "drain", "maint", "dhlth", "ehlth", "hrunn", "hnolb", "hdown",
              "dagent", "eagent", "arunn", "adown", "shutdown"):
        check(f"action {a} offered", f'value="{a}"' in page)
    check("form posts", 'method="post"' in page)
    check("no form without credentials", request(p["fe"], "GET", "/stats", auth=False)[0] == 401)
    _, _, ro = request(p["ro"], "GET", "/stats", auth=False)
    check("no admin form when the condition fails",
          'name="s"' not in ro and 'name="action"' not in ro and "<table" in ro)


def check_options(p):
    st, hdrs, page = request(p["fe"], "GET", "/stats")
    check("stats refresh header", hdrs.get("refresh") == "10", repr(hdrs.get("refresh")))
    _, hdrs, _ = request(p["fe"], "GET", "/stats;norefresh")
    check(";norefresh drops it", "refresh" not in hdrs, repr(hdrs))
    _, hdrs, csv = request(p["fe"], "GET", "/stats;csv")
    check(";csv", hdrs.get("content-type", "").startswith("text/plain")
          and csv.startswith("# pxname,svname,") and "\nbe,s1," in csv, csv[:80])
    _, hdrs, js = request(p["fe"], "GET", "/stats;json")
    try:
        rows = json.loads(js)
    except ValueError:
        rows = None
    check(";json", isinstance(rows, list) and len(rows) > 0, js[:80])
    _, _, sc = request(p["scoped"], "GET", "/st", auth=False)
    check("stats scope: only the named proxy", 'value="o1"' in sc and 'value="s1"' not in sc)
    cli(p["sock"], "disable server be/s3")
    _, _, up = request(p["fe"], "GET", "/stats;up")
    check(";up hides the server in maintenance", 'value="s3"' not in up and 'value="s1"' in up)
    cli(p["sock"], "enable server be/s3")
    if IS_HAPROXY:
        return
    check("show-node", "testnode" in page)
    check("show-desc (global description)", "the test balancer" in page)
    check("show-legends (server id and address)", "id 1, 127.0.0.1:" in page)
    check("hide-version wins over show-version", "version" not in page.split("</h1>")[0])


def check_actions(p, iid):
    sock, fe = p["sock"], p["fe"]
    b = f"b=%23{iid}"
    cases = [  # (form, expected location)
        (f"s=s1&s=s3&action=maint&{b}", "/stats;st=DONE"),
        (f"s=s1&action=ready&{b}", "/stats;st=DONE"),
        ("s=s3&action=drain&b=be", "/stats;st=DONE"),
        (f"s=s1&s=nosuch&action=drain&{b}", "/stats;st=PART"),
        (f"s=nosuch&action=maint&{b}", "/stats;st=ERRP"),
        (f"s=s1&action=bogus&{b}", "/stats;st=ERRP"),
        (f"s=s1&action=&{b}", "/stats;st=ERRP"),
        ("s=s1&action=maint&b=nosuch", "/stats;st=ERRP"),
        ("s=s1&action=maint&b=fe", "/stats;st=ERRP"),
        (f"action=maint&{b}", "/stats;st=NONE"),
        (f"s=s1&action=dagent&{b}", "/stats;st=NONE"),  # s1 has no agent
    ]
    for form, want in cases:
        st, loc = post(fe, form)
        check(f"POST {form}", st == 303 and loc == want, f"{st} {loc}")
    got = stat_status(sock)
    check("after the forms: s1 DRAIN, s3 DRAIN",
          got.get(("be", "s1")) == "DRAIN" and got.get(("be", "s3")) == "DRAIN", repr(got))
    post(fe, f"s=s1&s=s3&action=ready&{b}")
    check("ready", wait_status(sock, "s1", "no check") == "no check"
          and wait_status(sock, "s3", "no check") == "no check")

    # health and agent of s2 (TCP check and agent both say up)
    check("s2 up by its checks", wait_status(sock, "s2", "UP") == "UP")
    running = lambda s: s.startswith("UP") or s == "no check"  # noqa: E731 (HAProxy: no check)
    steps = [
        ("dhlth", running),  # checks stopped
        ("hdown", lambda s: s.startswith("DOWN")),
        ("hrunn", running),
        ("hnolb", lambda s: s == "NOLB"),
        ("hrunn", running),
        ("ehlth", lambda s: s == "UP"),
        ("adown", lambda s: s.startswith("DOWN")),
        ("arunn", lambda s: s == "UP"),
        ("dagent", lambda s: s == "UP"),
        ("adown", None),  # the agent is stopped: nothing to force
        ("arunn", None),
        ("eagent", lambda s: s == "UP"),
    ]
    for action, want in steps:
        st, loc = post(fe, f"s=s2&action={action}&b=be")
        if want is None:
            check(f"{action} on s2 with its agent disabled", loc == "/stats;st=NONE", f"{loc}")
            continue
        if action == "dagent":
            check("dagent: show stat has no agent result", wait_agent_stopped(sock, "s2"))
        status = wait_status(sock, "s2", want)
        check(f"{action} on s2", st == 303 and loc == "/stats;st=DONE" and want(status),
              f"{st} {loc} {status}")

    # kill sessions: a request held by s1 is cut
    c = socket.create_connection(("127.0.0.1", p["hold_fe"]), timeout=5)
    c.sendall(b"GET /held HTTP/1.1\r\nHost: x\r\n\r\n")
    time.sleep(0.3)
    st, loc = post(fe, f"s=s1&s=s2&s=s3&action=shutdown&{b}")  # wherever it went
    try:
        cut = c.recv(4096)
        cut_ok = True  # closed or answered with an error: no longer held
    except socket.timeout:
        cut, cut_ok = b"", False
    c.close()
    check("shutdown: the held session ends", st == 303 and loc == "/stats;st=DONE" and cut_ok,
          f"{st} {loc} {cut[:40]!r}")


def check_redirects(p, iid):
    fe = p["fe"]
    st, loc = post(fe, f"s=s1&action=ready&b=%23{iid}", "/stats;up;norefresh;no-maint?scope=be")
    check("redirect keeps ;up, ;norefresh and the scope",
          loc == "/stats;st=DONE;up;norefresh?scope=be", f"{loc}")
    st, loc = post(fe, f"s=s1&action=ready&b=%23{iid}", "/stats;st=DENY")
    check("redirect from a page showing a result", loc == "/stats;st=DONE", f"{loc}")
    big = "&".join(["s=s1"] * 5000) + f"&action=ready&b=%23{iid}"
    st, loc = post(fe, big)
    check("a form larger than the buffer: EXCD", loc == "/stats;st=EXCD", f"{st} {loc}")
    for code, text in (("DONE", "Action processed successfully."),
                       ("NONE", "Nothing has changed."),
                       ("PART", "Action partially processed."),
                       ("ERRP", "Action not processed because of invalid parameters."),
                       ("EXCD", "Action not processed : the buffer couldn't store all the data."),
                       ("DENY", "Action denied."), ("XXXX", "Unexpected result.")):
        _, _, page = request(fe, "GET", f"/stats;st={code}")
        check(f"message for ;st={code}", text in page)


def check_slow_body(p, iid):
    """The form's body comes after the head, in two parts, after a 100."""
    body = f"s=s3&action=maint&b=%23{iid}".encode()
    c = socket.create_connection(("127.0.0.1", p["fe"]), timeout=5)
    c.sendall(f"POST /stats HTTP/1.1\r\nHost: x\r\nAuthorization: {AUTH}\r\n"
              f"Content-Length: {len(body)}\r\nExpect: 100-continue\r\n\r\n".encode())
    first = c.recv(100)
    time.sleep(0.2)
    c.sendall(body[:7])
    time.sleep(0.2)
    c.sendall(body[7:])
    resp = b""
    while b"\r\n\r\n" not in resp:
        d = c.recv(4096)
        if not d:
            break
        resp += d
    c.close()
    check("100-continue then the whole form", first.startswith(b"HTTP/1.1 100")
          and b"303" in resp.split(b"\r\n")[0] and b"st=DONE" in resp, repr(resp[:120]))
    check("slow form applied", wait_status(p["sock"], "s3", "MAINT") == "MAINT")
    post(p["fe"], f"s=s3&action=ready&b=%23{iid}")


def check_denied(p, iid):
    sock = p["sock"]
    before = stat_status(sock)
    st, loc = post(p["ro"], f"s=s1&action=maint&b=%23{iid}", auth=False)
    check("condition false: 303 ;st=DENY", st == 303 and loc == "/stats;st=DENY", f"{st} {loc}")
    st, loc = post(p["fe"], f"s=s1&action=maint&b=%23{iid}", auth=False)
    check("no credentials: 401", st == 401, f"{st}")
    time.sleep(0.2)
    check("nothing changed", stat_status(sock) == before)
    _, _, page = request(p["ro"], "GET", "/stats;st=DENY", auth=False)
    check("denied message", "Action denied." in page)


# ---- Chromium ----

def chromium_cmd(*args):
    return ["timeout", "60", "chromium", "--headless", "--no-sandbox", "--disable-gpu",
            "--user-data-dir=" + CHROME_PROFILE[0]] + list(args)


CHROME_PROFILE = [""]


def check_browser(p, tmp):
    url = f"http://admin:pw@127.0.0.1:{p['fe']}/stats"
    shot = os.path.join(tmp, "stats-admin.png")
    r = subprocess.run(chromium_cmd("--screenshot=" + shot, "--window-size=1600,1000", url),
                       stdout=subprocess.PIPE, stderr=subprocess.STDOUT, timeout=90)
    size = os.path.getsize(shot) if os.path.exists(shot) else 0
    with open(shot, "rb") if size else open(os.devnull, "rb") as f:
        magic = f.read(8)
    check("screenshot is a PNG of plausible size",
          r.returncode == 0 and magic == b"\x89PNG\r\n\x1a\n" and 20000 < size < 5000000,
          f"rc={r.returncode} size={size} {r.stdout[-300:]!r}")
    if size:
        art = os.path.join(SRC, "build", "test-artifacts")
        os.makedirs(art, exist_ok=True)
        # one file per build directory (build, build-asan...)
        tag = os.path.basename(os.path.dirname(os.path.abspath(HALYARD)))
        dest = os.path.join(art, f"stats-admin-{tag}.png")
        shutil.copy(shot, dest)
        print(f"screenshot: {dest} ({size} bytes)")
    r = subprocess.run(chromium_cmd("--dump-dom", url), stdout=subprocess.PIPE,
                       stderr=subprocess.DEVNULL, timeout=90)
    dom = r.stdout.decode(errors="replace")
    check("DOM: a table per proxy", all(f'id="{px}"' in dom for px in ("fe", "be", "other")),
          dom[:200])
    check("DOM: server rows with checkboxes",
          all(f'name="s" value="{s}"' in dom for s in ("s1", "s2", "s3", "o1")))
    check("DOM: two admin forms with the action list",
          dom.count('<select name="action">') == 2 and dom.count('method="post"') == 2)
    check("DOM: server rows", dom.count("<tr class=") >= 8)
    drive_form(p, url)


class Cdp:
    """Chromium driven over --remote-debugging-pipe (NUL-separated JSON)."""

    def __init__(self):
        r1, self.w = os.pipe()
        self.r, w2 = os.pipe()
        # out of the way of 3 and 4, which the child's ends become
        hi_r, hi_w = fcntl.fcntl(r1, fcntl.F_DUPFD, 10), fcntl.fcntl(w2, fcntl.F_DUPFD, 10)
        os.close(r1)
        os.close(w2)
        r1, w2 = hi_r, hi_w

        def fds():
            os.dup2(r1, 3)
            os.dup2(w2, 4)

        self.proc = subprocess.Popen(chromium_cmd("--remote-debugging-pipe", "about:blank")[2:],
                                     preexec_fn=fds, close_fds=False,  # fds: CLOEXEC
                                     stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        PROCS.append(self.proc)
        os.close(r1)
        os.close(w2)
        self.buf, self.id, self.session = b"", 0, None

    def send(self, method, params=None):
        self.id += 1
        m = {"id": self.id, "method": method, "params": params or {}}
        if self.session:
            m["sessionId"] = self.session
        os.write(self.w, json.dumps(m).encode() + b"\0")
        return self.id

    def wait(self, pred, timeout=20):
        end = time.time() + timeout
        while True:
            while b"\0" in self.buf:
                msg, self.buf = self.buf.split(b"\0", 1)
                m = json.loads(msg)
                if pred(m):
                    return m
            left = end - time.time()
            if left <= 0 or not select.select([self.r], [], [], left)[0]:
                raise TimeoutError("no answer from chromium")
            d = os.read(self.r, 65536)
            if not d:
                raise EOFError("chromium closed its pipe")
            self.buf += d

    def call(self, method, params=None):
        i = self.send(method, params)
        return self.wait(lambda m: m.get("id") == i)

    def eval(self, expr):
        r = self.call("Runtime.evaluate", {"expression": expr, "returnByValue": True})
        return r.get("result", {}).get("result", {}).get("value")

    def loaded(self):
        return self.wait(lambda m: m.get("method") == "Page.loadEventFired")

    def close(self):
        try:
            self.session = None
            self.send("Browser.close")
            self.proc.wait(timeout=10)
        except (OSError, subprocess.TimeoutExpired):
            self.proc.kill()
            self.proc.wait()


def drive_form(p, url):
    cdp = Cdp()
    try:
        target = cdp.call("Target.createTarget", {"url": "about:blank"})["result"]["targetId"]
        cdp.session = cdp.call("Target.attachToTarget",
                               {"targetId": target, "flatten": True})["result"]["sessionId"]
        cdp.call("Page.enable")
        cdp.call("Page.navigate", {"url": url})
        cdp.loaded()
        cdp.eval("""(() => { const box = document.querySelector('input[name=s][value=s3]');
            box.checked = true; box.form.querySelector('select[name=action]').value = 'maint';
            box.form.querySelector('input[type=submit]').click(); })()""")
        cdp.loaded()
        href = cdp.eval("location.href") or ""
        text = cdp.eval("document.body.innerText") or ""
        check("browser: submitted form lands on ;st=DONE",
              href.endswith("/stats;st=DONE") and "Action processed successfully." in text,
              f"{href} {text[:100]!r}")
        check("browser: the server is in maintenance",
              wait_status(p["sock"], "s3", "MAINT") == "MAINT")
    except (TimeoutError, EOFError, KeyError, TypeError) as e:
        check("browser: drive the admin form", False, repr(e))
    finally:
        cdp.close()


def start(tmp, p):
    cfg = os.path.join(tmp, "h.cfg")
    with open(cfg, "w") as f:
        # HAProxy 2.6.12 refuses "show-version"; with it, "hide-version" has an effect
        show_version = "" if IS_HAPROXY else "\n    stats show-version"
        f.write(CONFIG.format(show_version=show_version, **p))
    proc = subprocess.Popen([HALYARD, "-db", "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    PROCS.append(proc)
    end = time.time() + 5
    while time.time() < end and not os.path.exists(p["sock"]):
        time.sleep(0.05)
    time.sleep(0.3)
    return proc


def run(tmp):
    hold, agent = Listener(), Listener(b"up\n")
    p = {"fe": free_port(), "ro": free_port(), "scoped": free_port(), "hold": hold.port,
         "agent": agent.port, "sock": os.path.join(tmp, "s.sock")}
    p["hold_fe"] = p["ro"]  # any frontend routing to "be" (s1 first)
    CHROME_PROFILE[0] = os.path.join(tmp, "chromium")
    proc = start(tmp, p)
    try:
        if not os.path.exists(p["sock"]):
            check("start", False, "no stats socket")
            return
        iid = be_iid(p["sock"])
        check_page(p, iid)
        check_options(p)
        check_actions(p, iid)
        check_redirects(p, iid)
        check_slow_body(p, iid)
        check_denied(p, iid)
        if IS_HAPROXY:
            print("(the browser part checks Halyard's page layout: not run)")
        elif not shutil.which("chromium"):
            check("chromium installed (packaging/install-deps.sh)", False)
        else:
            check_browser(p, tmp)
        check("still running", proc.poll() is None)
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=5)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


def watchdog():
    print(f"FAIL watchdog: the test took longer than {BUDGET_S} s", flush=True)
    for pr in PROCS:
        pr.kill()
    os._exit(1)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 2
    timer = threading.Timer(BUDGET_S, watchdog)
    timer.daemon = True
    timer.start()
    tmp = tempfile.mkdtemp(prefix="halyard-stats-admin-")
    try:
        run(tmp)
    finally:
        timer.cancel()
        shutil.rmtree(tmp, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
