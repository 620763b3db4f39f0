"""Health checks beyond HTTP: option tcp-check rules (connect, send,
send-binary, expect string/rstring/binary/rbinary, comments) and the
protocol checks built on them (smtpchk, ssl-hello-chk, mysql-check,
pgsql-check, redis-check, ldap-check), agent checks and server tracking. Each backend's server is a small
loopback script that first answers as a healthy server, then as a sick one;
the test checks the bytes the check sends, the check_status/check_code/
last_chk columns of show stat and the state-change lines. Runs against
halyard, then against /usr/sbin/haproxy when it is installed, so both must
give the same texts."""
import csv
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import ThreadedServer, check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

MYSQL_HS = b"\x0a5.7.99-test\x00" + b"\x01" * 8
MYSQL_HS = len(MYSQL_HS).to_bytes(3, "little") + b"\x00" + MYSQL_HS
MYSQL_OK = b"\x07\x00\x00\x02\x00\x00\x00\x02\x00\x00\x00"
MYSQL_ERR = b"\x0c\x00\x00\x02\xff\x15\x04#28000denied"


class Script(ThreadedServer):
    """A loopback server running, for each connection, the steps of its
    current mode: ("send", bytes), ("recv", n) to read at least n bytes
    (bounded wait), ("wait", s). Records the bytes each connection sent."""

    def __init__(self, modes, mode="good"):
        self.modes, self.mode, self.got = modes, mode, []
        super().__init__()

    def serve(self, c):
        steps = self.modes[self.mode]
        data = b""
        try:
            c.settimeout(1)
            for op, arg in steps:
                if op == "send":
                    c.sendall(arg)
                elif op == "wait":
                    time.sleep(arg)
                else:
                    while len(data) < arg:
                        d = c.recv(4096)
                        if not d:
                            break
                        data += d
        except OSError:
            pass
        self.got.append(data)
        c.close()

    def last(self):
        return next((g for g in reversed(self.got) if g), b"")


def refused_port():
    return free_port()


def stat(sock, be):
    try:
        lines = cli(sock, "show stat").splitlines()
    except OSError:
        return {}
    cols = lines[0][2:].split(",")
    for f in csv.reader(lines[1:]):
        if len(f) > 1 and f[0] == be and f[1] == "s1":
            d = dict(zip(cols, f))
            d["check_status"] = d.get("check_status", "").removeprefix("* ")
            return d
    return {}


def no_sanitizer_report(name, log):
    """Checks that the binary's log holds no AddressSanitizer/UBSan report."""
    text = open(log).read()
    check(f"{name}: no sanitizer report", not re.search(r"Sanitizer|runtime error:", text),
          text[-800:])


def wait_for(pred, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.05)
    return False


def backends(second_port):
    """Backend name -> (config lines, server script modes)."""
    ok_pong = [("recv", 6), ("send", b"+PONG\r\n")]
    return {
        "tcp": (["option tcp-check", "tcp-check send PING\\r\\n",
                 "tcp-check expect string +PONG"],
                {"good": ok_pong, "bad": [("recv", 6), ("send", b"-ERR\r\n")]}),
        "inv": (["option tcp-check", "tcp-check comment greeting", "tcp-check send HI\\r\\n",
                 "tcp-check expect ! rstring ^-ERR comment refused"],
                {"good": [("recv", 4), ("send", b"+OK\r\n")],
                 "bad": [("recv", 4), ("send", b"-ERR no\r\n")]}),
        "bin": (["option tcp-check", "tcp-check send-binary 000102ff",
                 "tcp-check expect min-recv 3 binary 0a0b0c", "tcp-check expect rbinary ^0A0B"],
                {"good": [("recv", 4), ("send", b"\x0a\x0b\x0c\x0d")],
                 "bad": [("recv", 4), ("send", b"\x0a\x0b\x0d\x0c")]}),
        "tout": (["option tcp-check", "tcp-check send PING\\r\\n",
                  "tcp-check comment waiting", "tcp-check expect string +PONG"],
                 {"good": ok_pong, "bad": [("recv", 6), ("wait", 1.5)]}),
        "multi": (["option tcp-check", "tcp-check connect send-proxy", "tcp-check send one",
                   "tcp-check comment second port",
                   f"tcp-check connect port {second_port}", "tcp-check send two",
                   "tcp-check expect string ok"],
                  {"good": [("recv", 50)], "bad": [("recv", 50)]}),
        "smtp": (["option smtpchk EHLO test.example"],
                 {"good": [("send", b"220 mx ESMTP\r\n"), ("recv", 19), ("send", b"250 hello\r\n"),
                           ("recv", 25), ("send", b"221 bye\r\n")],
                  "bad": [("send", b"554 go away\r\n")]}),
        "ssl": (["option ssl-hello-chk"],
                {"good": [("recv", 126), ("send", b"\x16\x03\x01\x00\x05hello")],
                 "bad": [("recv", 126), ("send", b"HTTP/1.0 400 Bad\r\n")]}),
        "mysql": (["option mysql-check user bob"],
                  {"good": [("send", MYSQL_HS), ("recv", 46), ("send", MYSQL_OK)],
                   "bad": [("send", MYSQL_HS), ("recv", 46), ("send", MYSQL_ERR)]}),
        "pgsql": (["option pgsql-check user alice"],
                  {"good": [("recv", 20), ("send", b"R\x00\x00\x00\x08\x00\x00\x00\x00")],
                   "bad": [("recv", 20), ("send", b"E\x00\x00\x00\x20SFATAL\x00Mno role\x00\x00")]}),
        "redis": (["option redis-check"],
                  {"good": [("recv", 14), ("send", b"+PONG\r\n")],
                   "bad": [("recv", 14), ("send", b"-ERR loading, \"wait\"\r\n")]}),
        "ldap": (["option ldap-check"],
                 {"good": [("recv", 14), ("send", bytes.fromhex("300c02010161070a010004000400"))],
                  "bad": [("recv", 14), ("send", bytes.fromhex("300c02010161070a013104000400"))]}),
    }


# Results once healthy: check_status, check_code, last_chk.
GOOD = {
    "tcp": ("L7OK", "0", "(tcp-check)"), "inv": ("L7OK", "0", "(tcp-check)"),
    "bin": ("L7OK", "0", "(tcp-check)"), "tout": ("L7OK", "0", "(tcp-check)"),
    "multi": ("L7OK", "0", "(tcp-check)"), "smtp": ("L7OK", "221", "bye"),
    "ssl": ("L6OK", "", ""), "mysql": ("L7OK", "0", ""),
    "pgsql": ("L7OK", "0", "PostgreSQL server is ok"), "redis": ("L7OK", "0", "Redis server is ok"),
    "ldap": ("L7OK", "0", ""),
}

# Once sick: the reason and details of the DOWN line.
BAD = {
    "tcp": "Layer7 invalid response, info: \"TCPCHK did not match content '+PONG' at step 2\"",
    "inv": "Layer7 invalid response, info: \"TCPCHK matched unwanted content (regex) at step 3 "
           "comment: refused\"",
    "bin": "Layer7 invalid response, info: \"TCPCHK did not match content (binary) at step 2\"",
    "tout": "Layer7 timeout, info: \" at step 3 of tcp-check (expect string '+PONG') comment: "
            "'waiting'\"",
    "multi": "Layer7 invalid response, info: \"TCPCHK got an empty response at step 6\"",
    "smtp": "Layer7 wrong status, code: 554, info: \"go away\"",
    "ssl": "Layer6 invalid response",
    "mysql": "Layer7 wrong status, code: 1045, info: \"#28000denied\"",
    "pgsql": "Layer7 invalid response, info: \"FATAL\"",
    "redis": "Layer7 wrong status, code: 0, info: \"-ERR loading, <22>wait<22>\"",
    "ldap": "Layer7 wrong status, code: 49, info: \"See RFC: "
            "http://tools.ietf.org/html/rfc4511#section-4.1.9\"",
}


def check_sent(name, s, second):
    """Checks the bytes the check of backend <name> sent to script <s>."""
    got = s.last()
    want = {
        "tcp": b"PING\r\n", "inv": b"HI\r\n", "bin": b"\x00\x01\x02\xff",
        "smtp": b"EHLO test.example\r\nQUIT\r\n", "redis": b"*1\r\n$4\r\nPING\r\n",
        "pgsql": b"\x00\x00\x00\x14\x00\x03\x00\x00user\x00alice\x00\x00",
        "ldap": bytes.fromhex("300c020101600702010304008000"),
        "mysql": b"\x25\x00\x00\x01\x00\x82\x00\x00\x00\x80\x00\x01\x21" + b"\x00" * 23 +
                 b"bob\x00\x00" + b"\x01\x00\x00\x00\x01",
    }.get(name)
    if want is not None:
        check(f"{name}: the check sends the expected bytes", got == want, got)
    elif name == "ssl":
        check("ssl: an SSLv3 ClientHello with the current time", len(got) == 126 and
              got[:11] == b"\x16\x03\x00\x00\x79\x01\x00\x00\x75\x03\x00" and
              abs(int.from_bytes(got[11:15], "big") - time.time()) < 30 and
              got[15:43] == b"HAPROXYSSLCHK\nHAPROXYSSLCHK\n", got[:48])
    elif name == "multi":
        check("multi: send-proxy then a second connection to 'connect port'",
              re.match(rb"PROXY TCP4 127\.0\.0\.1 127\.0\.0\.1 \d+ \d+\r\none$", got) and
              second.last() == b"two", (got, second.last()))


def run(binary, name):
    print(f"--- {name}")
    tmp = tempfile.mkdtemp(prefix="halyard-tcpchk-")
    sock, cfg, log = f"{tmp}/s.sock", f"{tmp}/h.cfg", f"{tmp}/err.log"
    second = Script({"good": [("recv", 3), ("send", b"ok")], "bad": [("recv", 3)]})
    scripts, text = {}, ""
    for be, (lines, modes) in backends(second.port).items():
        scripts[be] = Script(modes)
        text += f"backend {be}\n" + "".join(f"    {x}\n" for x in lines)
        text += f"    server s1 127.0.0.1:{scripts[be].port} check inter 100 rise 1 fall 1\n"
    refused = refused_port()
    text += f"""backend refused
    option tcp-check
    tcp-check comment admin
    tcp-check connect port {refused}
    server s1 127.0.0.1:{refused} check inter 100 rise 1 fall 1
backend refused-proto
    option redis-check
    server s1 127.0.0.1:{refused} check inter 100 rise 1 fall 1
backend tracker
    server s1 127.0.0.1:{refused} track tcp/s1
backend onbackup
    server s1 127.0.0.1:{refused} check inter 100 rise 1 fall 1
    server b1 127.0.0.1:{second.port} backup check inter 100
backend backuponly
    server s1 127.0.0.1:{refused} backup check inter 100 rise 1 fall 1
"""
    open(cfg, "w").write(f"""global
    stats socket {sock} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 300ms
frontend fe
    bind 127.0.0.1:{free_port()}
    default_backend tcp
""" + text)
    errf = open(log, "w")
    p = subprocess.Popen([binary, "-db", "-f", cfg], stdout=errf, stderr=errf)
    try:
        wait_for(lambda: os.path.exists(sock), 3)

        def healthy(be):
            st = stat(sock, be)
            return (st.get("status"), st.get("check_status"), st.get("check_code"),
                    st.get("last_chk")) == ("UP",) + GOOD[be]
        wait_for(lambda: all(healthy(be) for be in GOOD))
        for be in GOOD:
            # haproxy blanks last_chk while a check runs: read again then
            ok = wait_for(lambda: healthy(be), 2)
            st = stat(sock, be)
            check(f"{be}: healthy server is UP with {GOOD[be]}", ok,
                  {k: st.get(k) for k in ("status", "check_status", "check_code", "last_chk")})
            check_sent(be, scripts[be], second)

        for s in list(scripts.values()) + [second]:
            s.mode = "bad"
        wait_for(lambda: all(stat(sock, be).get("status") == "DOWN" for be in BAD))
        time.sleep(0.2)
        out = open(log).read()
        for be, why in BAD.items():
            check(f"{be}: sick server goes DOWN: {why[:40]}...", re.search(
                rf"\[WARNING\]  \(\d+\) : Server {be}/s1 is DOWN, reason: {re.escape(why)}, "
                rf"check duration: \d+ms\. \d+ active and 0 backup servers left\. 0 sessions "
                rf"active, 0 requeued, 0 remaining in queue\.", out), out[-1500:])
        redis = lambda: stat(sock, "redis").get("last_chk")
        check("show stat quotes a text holding a comma or quotes as CSV does",
              wait_for(lambda: redis() == '-ERR loading, "wait"', 2), redis())
        want = ("L7STS", "554", "go away")
        smtp = lambda: stat(sock, "smtp")
        ok = wait_for(lambda: tuple(smtp().get(k) for k in
                                    ("check_status", "check_code", "last_chk")) == want, 2)
        check("smtp: show stat gives L7STS, the SMTP code and text", ok, smtp())

        check("connection refused at an explicit connect names the step", re.search(
            rf"Server refused/s1 is DOWN, reason: Layer4 connection problem, info: \"Connection "
            rf"refused at step 2 of tcp-check \(connect port {refused}\) comment: 'admin'\"", out))
        check("a protocol check reports a refused connection tersely", re.search(
            r"Server refused-proto/s1 is DOWN, reason: Layer4 connection problem, info: "
            r"\"Connection refused\", check duration", out))

        st = stat(sock, "tracker")
        check("a tracking server follows the tracked one DOWN", (st.get("status"), st.get(
            "tracked")) == ("DOWN", "tcp/s1") and re.search(
            r"Server tracker/s1 is DOWN via tcp/s1\. 0 active and 0 backup servers left\. 0 "
            r"sessions active, 0 requeued, 0 remaining in queue\.", out), st)

        check("a DOWN line says when only backup servers are left", re.search(
            r"\) : Server onbackup/s1 is DOWN, reason: Layer4 connection problem, info: "
            r"\"Connection refused\", check duration: \d+ms\. 0 active and 1 backup servers "
            r"left\. Running on backup\. 0 sessions active, 0 requeued, 0 remaining in queue\.",
            out))
        check("lines about a backup server start with 'Backup Server'", re.search(
            r"\) : Backup Server backuponly/s1 is DOWN, reason: Layer4 connection problem, "
            r"info: \"Connection refused\", check duration: \d+ms\. 0 active and 0 backup "
            r"servers left\. 0 sessions active", out))

        scripts["tcp"].mode = "good"
        up = wait_for(lambda: stat(sock, "tcp").get("status") == "UP")
        time.sleep(0.2)
        check("tcp: back UP with HAProxy's line", up and re.search(
            r"Server tcp/s1 is UP, reason: Layer7 check passed, code: 0, info: \"\(tcp-check\)\", "
            r"check duration: \d+ms\. 1 active and 0 backup servers online\. 0 sessions "
            r"requeued, 0 total in queue\.", open(log).read()), open(log).read()[-600:])
        check("and back UP", re.search(
            r"Server tracker/s1 is UP via tcp/s1\. 1 active and 0 backup servers online\. 0 "
            r"sessions requeued, 0 total in queue\.", open(log).read()) and
            stat(sock, "tracker").get("status") == "UP", open(log).read()[-600:])
    finally:
        p.kill()
        p.wait()
        errf.close()
    no_sanitizer_report(name, log)


class Agent:
    """An agent answering <reply> to every connection, after reading what
    the check sends; records it."""

    def __init__(self):
        self.reply, self.got = b"75%\n", []
        self.srv = socket.socket()
        self.srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.srv.bind(("127.0.0.1", 0))
        self.srv.listen(64)
        self.port = self.srv.getsockname()[1]
        threading.Thread(target=self.run, daemon=True).start()

    def run(self):
        while True:
            try:
                c, _ = self.srv.accept()
            except OSError:
                return
            try:
                c.settimeout(1)
                self.got.append(c.recv(100))
                c.sendall(self.reply)
            except OSError:
                pass
            c.close()


def run_agent(binary, name):
    """agent-check: weight, drain/ready, down/up with a reason, errors."""
    print(f"--- {name}: agent-check")
    tmp = tempfile.mkdtemp(prefix="halyard-agent-")
    sock, cfg, log = f"{tmp}/s.sock", f"{tmp}/h.cfg", f"{tmp}/err.log"
    agent, srv = Agent(), Script({"good": []})
    open(cfg, "w").write(f"""global
    stats socket {sock} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
frontend fe
    bind 127.0.0.1:{free_port()}
    default_backend agent
backend agent
    server s1 127.0.0.1:{srv.port} weight 40 check inter 100 agent-check agent-port {agent.port} agent-inter 100 agent-send "hello\\n"
    server s2 127.0.0.1:{srv.port}
""")
    errf = open(log, "w")
    p = subprocess.Popen([binary, "-db", "-f", cfg], stdout=errf, stderr=errf)

    def state(**want):
        def ok():
            st = stat(sock, "agent")
            return all(st.get(k) == v for k, v in want.items())
        res = wait_for(ok, 3)
        st = stat(sock, "agent")
        return res, {k: st.get(k) for k in list(want) + ["status", "last_agt"]}

    def logged(line):
        wait_for(lambda: line in open(log).read(), 2)
        return line in open(log).read()
    try:
        wait_for(lambda: os.path.exists(sock), 3)
        ok, st = state(weight="30", agent_status="CHECKED", agent_desc="No status change")
        check("'75%' sets 30 of weight 40; the agent's status is CHECKED", ok, st)
        check("agent-send reaches the agent", agent.got and agent.got[0] == b"hello\n", agent.got[:1])
        agent.reply = b"drain\n"
        ok, st = state(status="DRAIN (agent)")
        check("'drain' drains the server", ok and logged(
            "Server agent/s1 enters drain state. 1 active and 0 backup servers online. 0 "
            "sessions requeued, 0 total in queue.\n"), st)
        agent.reply = b"ready\n"
        ok, st = state(status="UP")
        check("'ready' ends the drain", ok and logged(
            "Server agent/s1 is UP (leaving forced drain).\n"), st)
        agent.reply = b"down #maintenance window\n"
        ok, st = state(status="DOWN (agent)", agent_status="L7STS", agent_code="0",
                       last_agt="via agent : down (maintenance window)")
        check("'down #reason' takes the server DOWN", ok and re.search(
            r"Server agent/s1 is DOWN, reason: Layer7 wrong status, code: 0, info: \"via agent : "
            r"down \(maintenance window\)\", check duration: \d+ms\. 1 active and 0 backup "
            r"servers left\. 0 sessions active, 0 requeued, 0 remaining in queue\.",
            open(log).read()), st)
        agent.reply = b"up\n"
        ok, st = state(status="UP", agent_status="L7OK", last_agt="via agent : up")
        time.sleep(0.2)
        check("'up' brings it back", ok and re.search(
            r"Server agent/s1 is UP, reason: Layer7 check passed, code: 0, info: \"via agent : "
            r"up\", check duration: \d+ms\. 2 active and 0 backup servers online\.",
            open(log).read()), st)
        agent.reply = b"junk 100%\n"
        ok, st = state(status="UP", weight="40", agent_status="CHECKED",
                       last_agt="agent reports an error : junk")
        check("an unknown word is reported, the rest applies", ok, st)
    finally:
        p.kill()
        p.wait()
        errf.close()
    no_sanitizer_report(name, log)


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    run(HALYARD, "halyard")
    run_agent(HALYARD, "halyard")
    if os.access(HAPROXY, os.X_OK):
        run(HAPROXY, "haproxy")
        run_agent(HAPROXY, "haproxy")
    return summary()


if __name__ == "__main__":
    sys.exit(main())
