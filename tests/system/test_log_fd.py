"""Log targets on file descriptors: stdout, stderr and fd@<n>.

1. Halyard in the foreground (-db) with "log stdout", "log stderr" and
   "log fd@1" targets: each request gives one line on stdout per stdout
   target (raw and short framing) and one on stderr, among Halyard's own
   messages there.
2. stdout is a pipe nobody reads, with lines longer than PIPE_BUF (about
   6 kB: a long URI with "tune.http.logurilen 8192" and "len 8192"): once
   the pipe is full, a line is written whole or not at all. Reading the pipe
   afterwards gives only complete lines, and lines read + "show info"
   DroppedLogs = requests.
"""
import fcntl
import http.client
import os
import re
import subprocess
import sys
import tempfile
import time

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")

CONFIG = """
global
    stats socket {sock} level admin
    tune.http.logurilen 8192
{logs}
defaults
    mode http
    timeout connect 2s
    timeout client 10s
    timeout server 10s
    log global
    log-format "line %HU end"

frontend fe
    bind 127.0.0.1:{port}
    http-request return status 200 content-type text/plain string ok
"""


def start(tmp, logs, stdout, stderr):
    sock = os.path.join(tmp, "stats.sock")
    if os.path.exists(sock):
        os.unlink(sock)
    port = free_port()
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, logs=logs, port=port))
    proc = subprocess.Popen([HALYARD, "-db", "-f", cfg], stdout=stdout, stderr=stderr,
                            stdin=subprocess.DEVNULL)
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.2)
    return proc, sock, port


def get(port, path):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=5)
    c.request("GET", path)
    status = c.getresponse().status
    c.close()
    return status


def phase_targets(tmp):
    out_path, err_path = os.path.join(tmp, "out"), os.path.join(tmp, "err")
    logs = ("    log stdout format raw local0\n"
            "    log fd@1 format short local0\n"
            "    log stderr format raw local0\n")
    with open(out_path, "wb") as out, open(err_path, "wb") as err:
        proc, sock, port = start(tmp, logs, out, err)
        try:
            statuses = [get(port, f"/req{i}") for i in range(5)]
            check("fd targets: requests answered", statuses == [200] * 5, str(statuses))
            time.sleep(0.3)
            check("fd targets: nothing dropped", "DroppedLogs: 0\n" in cli(sock, "show info"))
        finally:
            proc.terminate()
            proc.wait()
    with open(out_path) as f:
        out = f.read().splitlines()
    with open(err_path) as f:
        err = [ln for ln in f.read().splitlines() if ln.startswith("line ")]
    want = [f"line /req{i} end" for i in range(5)]
    check("stdout: one raw line per request", [ln for ln in out if ln.startswith("line ")]
          == want, str(out))
    check("fd@1: one short line per request", [ln for ln in out if ln.startswith("<6>")]
          == ["<6>" + w for w in want], str(out))
    check("stdout: nothing else", len(out) == 10, str(out))
    check("stderr: one line per request", err == want, str(err))


def phase_full_pipe(tmp):
    rfd, wfd = os.pipe()
    n, uri = 40, "/" + "x" * 6000
    proc, sock, port = start(tmp, "    log stdout len 8192 format raw local0\n", wfd,
                             subprocess.DEVNULL)
    os.close(wfd)
    try:
        statuses = [get(port, f"{uri}{i}") for i in range(n)]
        check("full pipe: requests answered", statuses == [200] * n, str(set(statuses)))
        time.sleep(0.3)
        m = re.search(r"^DroppedLogs: (\d+)$", cli(sock, "show info"), re.M)
        dropped = int(m.group(1)) if m else -1
    finally:
        proc.terminate()
        proc.wait()
    fcntl.fcntl(rfd, fcntl.F_SETFL, os.O_NONBLOCK)
    data = b""
    try:
        while True:
            d = os.read(rfd, 65536)
            if not d:
                break
            data += d
    except BlockingIOError:
        pass
    os.close(rfd)
    lines = data.split(b"\n")
    tail = lines.pop()
    full = re.compile(rb"^line /x{6000}\d+ end$")
    bad = [ln[:40] + b"..." + ln[-20:] for ln in lines if not full.match(ln)]
    check("full pipe: the output ends with a whole line", tail == b"", repr(tail[-40:]))
    check("full pipe: every line is complete", not bad, str(bad))
    check("full pipe: some lines were dropped", dropped > 0, str(dropped))
    check("full pipe: lines read + dropped = requests", len(lines) + dropped == n,
          f"{len(lines)} read + {dropped} dropped")


def main():
    tmp = tempfile.mkdtemp()
    phase_targets(tmp)
    phase_full_pipe(tmp)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
