"""Long CLI answers produced in pieces, and the commands "show servers
conn", "show pools", "show activity", "show threads".

1. With 5,000 servers and one thread (the CLI and the traffic share it), a
   "show stat" read slowly arrives complete and identical to one read at
   full speed, while clients keep being served through the same thread:
   requests complete during the dump and none fails. A dump whose reader
   pauses is made as its output goes out (a change made meanwhile shows
   in the rows not sent yet).
2. Sessions around a dump: several commands on one line, prompt mode with
   lines sent ahead, a client leaving in the middle of a dump.
3. The new commands have HAProxy 2.6's layout (compared with
   /usr/sbin/haproxy on the same configuration)."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, cli, free_port, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"
BODY = b"x" * 100


def origin():
    """A TCP server that sends BODY and closes."""
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind(("127.0.0.1", 0))
    s.listen(512)

    def run():
        while True:
            c, _ = s.accept()
            try:
                c.sendall(BODY)
            except OSError:
                pass
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1]


def big_config(sock, p_fe, p_origin, nbthread, servers=5000, backends=50):
    out = [f"global\n    stats socket {sock} level admin\n    nbthread {nbthread}",
           "defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 10s\n"
           "    timeout server 10s",
           f"frontend fe\n    bind 127.0.0.1:{p_fe}\n    default_backend live",
           f"backend live\n    server o 127.0.0.1:{p_origin}"]
    per = servers // backends
    for b in range(backends):
        out.append(f"backend b{b}")
        out += [f"    server s{i} 127.0.0.{1 + i % 200}:{20000 + i}" for i in range(per)]
    return "\n".join(out) + "\n"


def start(binary, text):
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "s.sock")
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(text.replace("{sock}", sock))
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    for _ in range(200):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.5)
    return proc, sock


def slow_read(sock, cmd, chunk=8192, pause=0.002, timeout=60):
    """Sends <cmd> and reads the answer <chunk> bytes at a time, pausing
    between reads, so that the answer spans many loop turns."""
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    out = []
    while True:
        d = s.recv(chunk)
        if not d:
            break
        out.append(d)
        time.sleep(pause)
    s.close()
    return b"".join(out).decode()


class Traffic:
    """Clients fetching BODY through the proxy in a loop until stopped."""

    def __init__(self, port):
        self.port, self.done, self.errors, self.stop = port, 0, [], False
        self.t = threading.Thread(target=self.run, daemon=True)
        self.t.start()

    def run(self):
        while not self.stop:
            try:
                c = socket.create_connection(("127.0.0.1", self.port), timeout=5)
                got = b""
                while True:
                    d = c.recv(4096)
                    if not d:
                        break
                    got += d
                c.close()
                if got == BODY:
                    self.done += 1
                else:
                    self.errors.append(repr(got[:40]))
            except OSError as e:
                self.errors.append(str(e))

    def end(self):
        self.stop = True
        self.t.join(10)


def stat_rows_ok(text, nrows):
    lines = text.split("\n")
    if not lines or not lines[0].startswith("# pxname,"):
        return False, "no header"
    ncols = lines[0].count(",")
    rows = [ln for ln in lines[1:] if ln]
    bad = [ln for ln in rows if ln.count(",") != ncols]
    return (len(rows) == nrows and not bad and text.endswith("\n\n"),
            f"{len(rows)} rows (want {nrows}), {len(bad)} malformed")


def without_live(text):
    """The rows whose counters no traffic moves (not fe, not live)."""
    return [ln for ln in text.split("\n") if not ln.startswith(("fe,", "live,"))]


def large_dump():
    p_fe = free_port()
    proc, sock = start(HALYARD, big_config("{sock}", p_fe, origin(), 1))
    try:
        fast = cli(sock, "show stat", timeout=30)
        # 5,000 servers + 51 backend rows + 1 frontend row + the live server
        ok, why = stat_rows_ok(fast, 5000 + 51 + 1 + 1)
        check("show stat on 5,000 servers: complete", ok, why)
        traffic = Traffic(p_fe)
        while traffic.done == 0 and not traffic.errors:
            time.sleep(0.01)
        before = traffic.done
        slow = slow_read(sock, "show stat")
        during = traffic.done - before
        traffic.end()
        ok, why = stat_rows_ok(slow, 5000 + 51 + 1 + 1)
        check("read slowly: complete", ok, why)
        check("read slowly: the same rows as read at once", without_live(slow) ==
              without_live(fast))
        check("requests served on the same thread during the dump", during > 0,
              f"{during} requests")
        check("no request failed", not traffic.errors, repr(traffic.errors[:3]))
        typed = slow_read(sock, "show stat typed")
        check("show stat typed read slowly: one line per value, complete",
              typed.endswith("\n\n") and all(
                  re.match(r"^[FBS]\.\d+\.\d+\.\d+\.\w+\.1:", ln)
                  for ln in typed.split("\n") if ln), typed[-200:])
        js = slow_read(sock, "show stat json")
        check("show stat json read slowly: one JSON document",
              js.startswith("[[") and js.endswith("]]\n\n"), js[-80:])
        paused_dump(sock)
        sessions(sock)
        check("still running", proc.poll() is None)
    finally:
        proc.kill()
        proc.wait()


def paused_dump(sock):
    """A dump whose reader stops after its first bytes waits for it: rows
    are made as the output goes out, so a change made meanwhile shows in
    the rows not sent yet (a dump made whole at once could not show it)."""
    s = socket.socket(socket.AF_UNIX)
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 8192)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(b"show stat\n")
    out = [s.recv(8192)]
    time.sleep(0.2)  # lets the proxy fill the socket buffers
    ans = cli(sock, "set server b49/s99 state maint")
    while True:
        d = s.recv(65536)
        if not d:
            break
        out.append(d)
    s.close()
    rows = [ln.split(",") for ln in b"".join(out).decode().split("\n")]
    last = [r for r in rows if r[:2] == ["b49", "s99"]]
    check("a paused dump shows a change made before it reached the row",
          ans == "\n" and last and last[0][17] == "MAINT", repr(last[:1])[:200])
    cli(sock, "set server b49/s99 state ready")


def sessions(sock):
    state = cli(sock, "show servers state b1")
    both = cli(sock, "show stat; show servers state b1", timeout=30)
    stat = cli(sock, "show stat", timeout=30)
    # counters and times move between the three answers: compare the rows
    # each names (first two fields), in order
    def names(text):
        return [tuple(ln.replace(",", " ").split()[:2]) for ln in text.split("\n")]
    check("two dumps on one line: both, in order", names(both) == names(stat + state),
          f"{len(both)} != {len(stat)} + {len(state)}")
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(30)
    s.connect(sock)
    s.sendall(b"prompt\nshow servers state b2\nshow backend\nquit\n")
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    text = out.decode()
    want = "\n> " + cli(sock, "show servers state b2").rstrip("\n") + "\n\n> " + \
        cli(sock, "show backend").rstrip("\n") + "\n\n> "
    check("prompt mode: lines sent ahead run after the dump, in order", text == want,
          f"{text[-120:]!r}")
    for _ in range(3):  # leaves in the middle of a dump
        s = socket.socket(socket.AF_UNIX)
        s.connect(sock)
        s.sendall(b"show stat json\n")
        s.recv(1000)
        s.close()
    check("clients leaving mid-dump: the CLI still answers",
          cli(sock, "show backend").startswith("# name\nlive\n"))


SMALL = """global
    stats socket {sock} level admin
    nbthread 2
defaults
    mode tcp
    timeout connect 2s
    timeout client 10s
    timeout server 10s
frontend fe
    bind 127.0.0.1:%d
    default_backend be
backend be
    server s1 127.0.0.1:%d
    server s2 127.0.0.1:%d maxconn 10
backend other
    server o1 127.0.0.1:%d
"""

POOL_LINE = (r"^  - Pool (\S+) \((\d+) bytes\) : (\d+) allocated \((\d+) bytes\), (\d+) used "
             r"\(~(\d+) by thread caches\), needed_avg (\d+), (\d+) failures, (\d+) users, "
             r"@0x[0-9a-f]+( \[SHARED\])?$")
POOL_TOTAL = (r"^Total: (\d+) pools, (\d+) bytes allocated, (\d+) used "
              r"\(~(\d+) by thread caches\)\.$")
THREAD_LINES = [r"^[* ] Thread (\d+) : id=0x[0-9a-f]+ act=\d glob=\d+ wq=\d rq=\d tl=\d+ "
                r"tlsz=\d+ rqsz=\d+$",
                r"^      1/(\d+) +stuck=\d prof=\d harmless=\d wantrdv=\d$",
                r"^             cpu_ns: poll=\d+ now=\d+ diff=\d+$",
                r"^             curr_task=\S+"]


def commands(binary, ports):
    proc, sock = start(binary, SMALL % ports)
    try:
        # before any traffic: the used_max and need_est estimates of the
        # pool purges are 0 on both
        out = {c: cli(sock, c) for c in
               ["show servers conn", "show servers conn other", "show servers conn 3",
                "show servers conn nope"]}
        for _ in range(5):
            socket.create_connection(("127.0.0.1", ports[0]), timeout=2).close()
        time.sleep(0.2)
        out.update({c: cli(sock, c) for c in ["show pools", "show activity", "show threads"]})
        return out
    finally:
        proc.kill()
        proc.wait()


def activity_names(text):
    return [ln.split(":")[0] for ln in text.split("\n") if ln]


def activity_ok(text, nthreads):
    lines = [ln for ln in text.split("\n") if ln]
    head = re.match(r"^thread_id: \d+ \(1\.\." + str(nthreads) + r"\)$", lines[0]) and \
        re.match(r"^date_now: \d+\.\d{6}$", lines[1])
    cols = r" \[" + r" \d+" * nthreads + r" \]" if nthreads > 1 else ""
    rest = all(re.match(r"^\w+: \d+" + cols + "$", ln) for ln in lines[2:])
    return bool(head and rest)


def threads_ok(text, nthreads):
    lines = [ln for ln in text.split("\n") if ln]
    starts = [i for i, ln in enumerate(lines) if re.match(THREAD_LINES[0], ln)]
    blocks_ok = all(re.match(THREAD_LINES[k], lines[i + k])
                    for i in starts for k in range(4) if i + k < len(lines))
    stars = sum(1 for i in starts if lines[i].startswith("*"))
    return len(starts) == nthreads and blocks_ok and stars == 1


def new_commands():
    ports = (free_port(), free_port(), free_port(), free_port())
    ours = commands(HALYARD, ports)
    if not os.path.exists(HAPROXY):
        check("haproxy installed for the comparison (packaging/install-deps.sh)", False)
        return
    theirs = commands(HAPROXY, ports)
    for c in ["show servers conn", "show servers conn other", "show servers conn 3",
              "show servers conn nope"]:
        check(f"'{c}': the same answer as haproxy", ours[c] == theirs[c],
              f"{ours[c]!r} != {theirs[c]!r}")
    for name, out in (("halyard", ours), ("haproxy", theirs)):
        lines = out["show pools"].split("\n")
        check(f"show pools ({name}): title, pool lines, total",
              lines[0] == "Dumping pools usage. Use SIGQUIT to flush them." and
              all(re.match(POOL_LINE, ln) for ln in lines[1:-3]) and
              re.match(POOL_TOTAL, lines[-3]) and lines[-2:] == ["", ""], repr(lines[-4:]))
        check(f"show activity ({name}): HAProxy's line format", activity_ok(
            out["show activity"], 2), out["show activity"][:300])
        check(f"show threads ({name}): one block per thread, a star on one",
              threads_ok(out["show threads"], 2), out["show threads"][:400])
    check("show activity: the same lines as haproxy, in its order",
          activity_names(ours["show activity"]) == activity_names(theirs["show activity"]))
    m = re.match(POOL_LINE, ours["show pools"].split("\n")[1])
    check("show pools: the buffer pool, bytes = count x size",
          m and m.group(1) == "buffer" and int(m.group(4)) == int(m.group(2)) * int(m.group(3)))
    acc = [ln for ln in ours["show activity"].split("\n") if ln.startswith("accepted:")]
    check("show activity: the accepted connections are counted",
          acc and int(acc[0].split()[1]) >= 5, repr(acc))


def main():
    large_dump()
    new_commands()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
