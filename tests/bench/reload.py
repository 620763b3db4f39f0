#!/usr/bin/env python3
"""Reload cost: how long Halyard and Debian's haproxy take from a `reload`
on the master CLI to a new worker serving, with a configuration of
RELOAD_PROXIES proxies.  A measuring tool, not a test: numbers never make it
fail.

    tests/bench/run.sh reload        (or python3 tests/bench/reload.py ...)

Each proxy runs in master-worker mode (`-W -S <sock> -f <cfg>`) on the same
configuration: one frontend that answers every request itself with the
worker's pid in a header (`http-request return ... hdr x-pid "%pid"`), and
RELOAD_PROXIES - 1 backends of two servers each (nothing connects to them:
what is measured is the work of building and starting a worker on a large
configuration, and the hand-over of the listening socket).

A round: start the proxy, wait until it answers, then RELOAD_TIMES times:
send `reload` to the master CLI and poll the frontend every millisecond
until a response carries a pid other than the previous worker's.  Reported
per proxy: the median and the maximum of that delay, the CPU time of the
master and of the new worker spent until then, and the requests of the poll
that failed (a refused or reset connection during the hand-over; there
should be none).  Rounds alternate halyard, haproxy, halyard...
"""

import argparse
import os
import socket
import statistics
import subprocess
import sys
import tempfile
import time

PROXIES = int(os.environ.get("RELOAD_PROXIES", "1000"))
TIMES = int(os.environ.get("RELOAD_TIMES", "5"))
ROUNDS = int(os.environ.get("RELOAD_ROUNDS", "3"))


def free_port():
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def config(port):
    """The configuration text, the same for both proxies."""
    out = ["global", "    maxconn 1000", "    nbthread 1", "",
           "defaults", "    mode http", "    timeout connect 2s",
           "    timeout client 10s", "    timeout server 10s", "",
           "frontend fe",
           f"    bind 127.0.0.1:{port}",
           '    http-request return status 200 content-type text/plain '
           'string ok hdr x-pid "%pid"', ""]
    for i in range(1, PROXIES):
        out += [f"backend be{i}", "    balance roundrobin",
                f"    server s1 127.0.0.{1 + i % 200}:{10000 + i}",
                f"    server s2 127.0.0.{1 + i % 200}:{20000 + i}", ""]
    return "\n".join(out)


def ask_pid(port):
    """The x-pid of one response of the frontend, or None when the request
    failed (refused, reset, no answer within 1 s)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=1) as s:
            s.sendall(b"GET / HTTP/1.1\r\nhost: b\r\nconnection: close\r\n\r\n")
            data = b""
            while b"\r\n\r\n" not in data:
                chunk = s.recv(4096)
                if not chunk:
                    break
                data += chunk
    except OSError:
        return None
    for line in data.split(b"\r\n"):
        if line.lower().startswith(b"x-pid:"):
            return int(line.split(b":", 1)[1])
    return None


def master_cli(sock, cmd):
    """Sends <cmd> to the master CLI; returns what it answered until it
    closed (nothing for `reload` on haproxy 2.6)."""
    with socket.socket(socket.AF_UNIX) as s:
        s.settimeout(10)
        s.connect(sock)
        s.sendall(cmd.encode() + b"\n")
        out = b""
        try:
            while True:
                chunk = s.recv(65536)
                if not chunk:
                    break
                out += chunk
        except OSError:
            pass
    return out.decode(errors="replace")


def cpu_seconds(pid):
    """CPU time of <pid>'s threads (the first field of each
    /proc/<pid>/task/*/schedstat, in ns: finer than the 10 ms clock ticks
    of /proc/<pid>/stat), or 0 when it is gone."""
    total = 0
    try:
        tasks = os.listdir(f"/proc/{pid}/task")
    except OSError:
        return 0.0
    for t in tasks:
        try:
            with open(f"/proc/{pid}/task/{t}/schedstat") as f:
                total += int(f.read().split()[0])
        except (OSError, ValueError, IndexError):
            pass
    return total / 1e9


def one_round(binary, name, workdir):
    """Starts <binary> in master-worker mode, reloads it TIMES times, stops
    it.  Returns a list of (delay s, master CPU s, worker CPU s, failed
    polls) per reload."""
    port = free_port()
    cfg = os.path.join(workdir, f"{name}.cfg")
    sock = os.path.join(workdir, f"{name}.sock")
    with open(cfg, "w") as f:
        f.write(config(port))
    log = open(os.path.join(workdir, f"{name}.log"), "a")
    master = subprocess.Popen([binary, "-W", "-S", sock, "-f", cfg], stdout=log,
                              stderr=subprocess.STDOUT)
    out = []
    try:
        deadline = time.monotonic() + 30
        pid = None
        while pid is None:
            if master.poll() is not None or time.monotonic() > deadline:
                raise SystemExit(f"reload: {name} did not start, see {log.name}")
            time.sleep(0.01)
            pid = ask_pid(port)
        for _ in range(TIMES):
            time.sleep(0.5)  # the previous old worker finishes meanwhile
            m0 = cpu_seconds(master.pid)
            t0 = time.monotonic()
            master_cli(sock, "reload")
            failed = 0
            while True:
                new = ask_pid(port)
                if new is None:
                    failed += 1
                elif new != pid:
                    break
                if time.monotonic() - t0 > 60:
                    raise SystemExit(f"reload: {name} had no new worker 60 s after reload")
                time.sleep(0.001)
            delay = time.monotonic() - t0
            out.append((delay, cpu_seconds(master.pid) - m0, cpu_seconds(new), failed))
            pid = new
    finally:
        master.terminate()
        try:
            master.wait(10)
        except subprocess.TimeoutExpired:
            master.kill()
            master.wait()
        log.close()
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--halyard", required=True)
    ap.add_argument("--haproxy", required=True)
    args = ap.parse_args()
    proxies = {"halyard": args.halyard, "haproxy": args.haproxy}
    results = {p: [] for p in proxies}
    with tempfile.TemporaryDirectory(prefix="bench-reload.") as workdir:
        for p, b in proxies.items():
            with open(os.path.join(workdir, "check.cfg"), "w") as f:
                f.write(config(free_port()))
            r = subprocess.run([b, "-c", "-f", os.path.join(workdir, "check.cfg")],
                               capture_output=True, text=True)
            if r.returncode != 0:
                sys.exit(f"reload: {p} refuses the configuration:\n{r.stderr}")
        for rnd in range(1, ROUNDS + 1):
            for p, b in proxies.items():
                got = one_round(b, p, workdir)
                results[p] += got
                print(f"round {rnd} {p}: " + ", ".join(f"{d * 1000:.0f} ms" for d, *_ in got),
                      flush=True)
    rows = [("reload to new worker serving, median ms", lambda r: statistics.median(
                [x[0] for x in r]) * 1000, "lower"),
            ("reload to new worker serving, max ms", lambda r: max(x[0] for x in r) * 1000,
             "lower"),
            ("master CPU per reload, median ms", lambda r: statistics.median(
                [x[1] for x in r]) * 1000, "lower"),
            ("new worker CPU until serving, median ms", lambda r: statistics.median(
                [x[2] for x in r]) * 1000, "lower"),
            ("failed requests during the reloads", lambda r: sum(x[3] for x in r), "lower")]
    lines = [f"## reload ({PROXIES} proxies, {ROUNDS} rounds x {TIMES} reloads per proxy)", "",
             "| metric | halyard | haproxy | halyard/haproxy | better |",
             "|---|---:|---:|---:|---|"]
    for label, fn, better in rows:
        a, b = fn(results["halyard"]), fn(results["haproxy"])
        ratio = f"{a / b:.2f}" if b else "n/a"
        cell = (lambda v: f"{v:,}") if isinstance(a, int) else (lambda v: f"{v:,.1f}")
        lines.append(f"| {label} | {cell(a)} | {cell(b)} | {ratio} | {better} |")
    text = "\n".join(lines)
    print(text)
    os.makedirs("build/bench", exist_ok=True)
    path = time.strftime("build/bench/reload-%Y%m%d-%H%M%S.md")
    with open(path, "w") as f:
        f.write(text + "\n")
    print(f"written to {path}")


if __name__ == "__main__":
    main()
