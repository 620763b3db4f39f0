#!/usr/bin/env python3
"""Benchmark driver: Halyard against Debian's haproxy (TCP and HTTP
scenarios) and Debian's nginx (HTTP scenarios), side by side.

Called by tests/bench/run.sh, which builds the binaries first; see that
script's header and tests/bench/README.md for usage.  Standard library only.

Before the rounds, every proxy checks its configuration (`-c`, nginx `-t`);
a proxy that refuses it is "not runnable" for that scenario and the others
still run.  For every scenario and round it starts the origin
(build/bench/origin), then one proxy, waits for its listening socket, reads
the proxy's CPU time, runs the client (build/bench/load for TCP, wrk for
HTTP), reads the CPU time again, and stops the proxy and the origin.  Proxies
alternate A B A B (TCP) or A B C A B C (HTTP).  The result is a Markdown table
of medians and halyard/<other proxy> ratios, printed and written to
build/bench/results-<date>.md.

Exit status: 0 when every measurement was taken (whatever the numbers and
the errors counted by the client), Halyard rows refused for a feature it
does not support yet included; 1 when some measurement could not be taken (a
proxy did not start, died or refused its configuration for another reason,
the client failed); 2 on usage.
"""

import datetime
import fcntl
import os
import platform
import random
import re
import resource
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import time

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
OUT = os.path.join(ROOT, "build", "bench")
GIB = 1 << 30
MIB = 1 << 20
CLK_TCK = os.sysconf("SC_CLK_TCK")


def env_int(name, default):
    v = os.environ.get(name, "")
    try:
        return int(v) if v else default
    except ValueError:
        sys.exit(f"bench: {name}={v!r} is not an integer")


ROUNDS = env_int("BENCH_ROUNDS", 3)
BULK_BYTES = env_int("BENCH_BULK_BYTES", GIB)
CONNRATE_SECONDS = env_int("BENCH_CONNRATE_SECONDS", 10)
CONNRATE_CONNS = env_int("BENCH_CONNRATE_CONNS", 64)
NBTHREAD = env_int("BENCH_NBTHREAD", 1)
SOURCES = env_int("BENCH_SOURCES", 8)
QUIET_WAIT = env_int("BENCH_QUIET_WAIT", 0)
PIN = os.environ.get("BENCH_PIN", "1") != "0"
PROXY_CPUS = os.environ.get("BENCH_PROXY_CPUS", "0")
LOAD_CPUS = os.environ.get("BENCH_LOAD_CPUS", "1")
HTTP_SECONDS = env_int("BENCH_HTTP_SECONDS", 10)
HTTP_CONNS = env_int("BENCH_HTTP_CONNS", 64)
HTTP_SMALL = env_int("BENCH_HTTP_SMALL_BYTES", 100)
# 8,000 by default: with a hard limit of 20,000 files (some containers),
# haproxy 2.6 (2 files per connection, not raising its hard limit) starts
# no more; set BENCH_IDLE_CONNS=10000 where the limit allows it
IDLE_CONNS = env_int("BENCH_IDLE_CONNS", 8000)
HTTP_LARGE = env_int("BENCH_HTTP_LARGE_BYTES", MIB)
WRK_THREADS = env_int("BENCH_WRK_THREADS", 1)
LATENCY_PERCENT = env_int("BENCH_LATENCY_PERCENT", 25)
LATENCY_RATE = env_int("BENCH_LATENCY_RATE", 0)

# name -> (kind, options): for the TCP kinds (bulk, upload, connrate) the
# splice options; for http (wrk, as fast as it goes) and http-rate (httprate,
# at a fixed rate) the response body size and whether every request asks to
# close its connection
SPLICE_AUTO = ["option splice-auto"]
SPLICE_FORCED = ["option splice-request", "option splice-response"]
SCENARIOS = {
    "tcp-bulk-splice": ("bulk", SPLICE_AUTO),
    "tcp-bulk-splice-forced": ("bulk", SPLICE_FORCED),
    "tcp-bulk-nosplice": ("bulk", []),
    "tcp-connrate": ("connrate", []),
    "tcp-upload-splice": ("upload", SPLICE_AUTO),
    "tcp-upload-splice-forced": ("upload", SPLICE_FORCED),
    "tcp-upload-nosplice": ("upload", []),
    "http-ka": ("http", {"body": HTTP_SMALL, "close": False}),
    "http-close": ("http", {"body": HTTP_SMALL, "close": True}),
    "http-1m": ("http", {"body": HTTP_LARGE, "close": False}),
    "http-ka-latency": ("http-rate", {"body": HTTP_SMALL, "close": False}),
    # http-ka with two lookups per request in lists of N entries that never
    # match: the client address among N networks, the Host among N names
    "http-acl-1k": ("http", {"body": HTTP_SMALL, "close": False, "acl": 1000}),
    "http-acl-100k": ("http", {"body": HTTP_SMALL, "close": False, "acl": 100000}),
    # http-ka with a traffic log line per request sent over UDP (httplog;
    # nginx: its combined access log to syslog) to a socket nobody reads
    "http-log": ("http", {"body": HTTP_SMALL, "close": False, "log": True}),
    # halyard alone, http-ka logging to nowhere (no log line), with an
    # httplog line per request to a UDP socket nobody reads, and to a unix
    # datagram socket nobody reads (it fills up: lines dropped)
    "http-log-targets": ("http", {"body": HTTP_SMALL, "close": False, "log_targets": True}),
    # the same at http-ka-latency's fixed rate: logging must not slow a
    # proxy that is not saturated, nor show in its latencies
    "http-log-targets-latency": ("http-rate", {"body": HTTP_SMALL, "close": False,
                                               "log_targets": True}),
    # memory per idle client connection: answered by the proxy, then held
    "http-idle": ("idle", {"body": HTTP_SMALL, "close": False, "conns": IDLE_CONNS}),
    # many servers: the same origin behind N server lines
    "http-srv4-rr": ("http", {"body": HTTP_SMALL, "close": False, "servers": 4}),
    "http-srv1k-rr": ("http", {"body": HTTP_SMALL, "close": False, "servers": 1000}),
    "http-srv4-lc": ("http", {"body": HTTP_SMALL, "close": False, "servers": 4,
                              "lb": "leastconn"}),
    "http-srv1k-lc": ("http", {"body": HTTP_SMALL, "close": False, "servers": 1000,
                               "lb": "leastconn"}),
    # a rules-heavy configuration
    "http-rules": ("http", {"body": HTTP_SMALL, "close": False, "rules": True}),
    # TLS termination (the origin stays plain HTTP), X25519 only, TLS 1.2
    # and 1.3 allowed (wrk negotiates 1.3): keep-alive requests over one
    # handshake per connection; one request per connection resumed by the
    # session ticket wrk keeps; one full handshake per request (tickets and
    # session cache off), ECDSA P-256 and RSA-2048
    "https-ka": ("http", {"body": HTTP_SMALL, "close": False, "tls": "ecdsa"}),
    "https-resume": ("http", {"body": HTTP_SMALL, "close": True, "tls": "ecdsa",
                              "resume": True}),
    "https-full-ecdsa": ("http", {"body": HTTP_SMALL, "close": True, "tls": "ecdsa"}),
    "https-full-rsa": ("http", {"body": HTTP_SMALL, "close": True, "tls": "rsa"}),
}
DEFAULT = ["tcp-bulk-splice", "tcp-bulk-splice-forced", "tcp-bulk-nosplice", "tcp-connrate"]
ALIASES = {
    "tcp-bulk": ["tcp-bulk-splice", "tcp-bulk-splice-forced", "tcp-bulk-nosplice"],
    "tcp-upload": ["tcp-upload-splice", "tcp-upload-splice-forced", "tcp-upload-nosplice"],
    "http": ["http-ka", "http-close", "http-1m", "http-ka-latency"],
    "http-acl": ["http-acl-1k", "http-acl-100k"],
    "http-servers": ["http-srv4-rr", "http-srv1k-rr", "http-srv4-lc", "http-srv1k-lc"],
    "https": ["https-ka", "https-resume", "https-full-ecdsa", "https-full-rsa"],
    "default": DEFAULT,
    "all": list(SCENARIOS),
}

# metric key -> (label, better)
METRICS = {
    "bulk": [("mbps", "throughput, MB/s", "higher"),
             ("cpu_per_gib", "proxy CPU s per GiB", "lower"),
             ("busy", "proxy CPU busy, %", "info"),
             ("load_busy", "origin+client CPU busy, %", "info")],
    "connrate": [("rate", "connections/s", "higher"),
                 ("cpu_per_conn", "proxy CPU µs per connection", "lower"),
                 ("busy", "proxy CPU busy, %", "info"),
                 ("load_busy", "origin+client CPU busy, %", "info")],
}
METRICS["upload"] = METRICS["bulk"]
METRICS["http"] = [("rps", "requests/s", "higher"),
                   ("mbps", "throughput, MB/s", "higher"),  # large bodies only
                   ("cpu_per_req", "proxy CPU µs per request", "lower"),
                   ("p50", "latency p50 at full load, ms", "lower"),
                   ("p99", "latency p99 at full load, ms", "lower"),
                   ("hwm", "proxy peak RSS, MiB", "lower"),
                   ("busy", "proxy CPU busy, %", "info"),
                   ("load_busy", "origin+client CPU busy, %", "info")]
METRICS["idle"] = [("mem_per_conn", "proxy memory per idle connection, bytes", "lower"),
                   ("rss_idle", "proxy RSS with the connections idle, MiB", "lower"),
                   ("rss_before", "proxy RSS before, MiB", "info")]
METRICS["http-rate"] = [("target", "fixed rate asked, requests/s", "info"),
                        ("rps", "requests/s achieved", "info"),
                        ("cpu_per_req", "proxy CPU µs per request", "lower"),
                        ("p50", "latency p50, µs", "lower"),
                        ("p90", "latency p90, µs", "lower"),
                        ("p99", "latency p99, µs", "lower"),
                        ("p999", "latency p99.9, µs", "lower"),
                        ("late", "requests sent over 1 ms late, %", "info"),
                        ("hwm", "proxy peak RSS, MiB", "lower"),
                        ("busy", "proxy CPU busy, %", "info"),
                        ("load_busy", "origin+client CPU busy, %", "info")]

TCP_PROXIES = ["halyard", "haproxy"]
HTTP_PROXIES = ["halyard", "haproxy", "nginx"]
# http-log-targets: each proxy logging to nowhere (the reference), to UDP
# and to a stuck unix socket; "<proxy>-<target>" runs <proxy>'s binary
LOG_TARGET_PROXIES = ["halyard", "halyard-udp", "halyard-unix",
                      "haproxy", "haproxy-udp", "haproxy-unix"]
OTHER_WARN = 10  # % of one CPU: a round where other processes took more is flagged

started = []  # Popen objects still to stop on exit


def log(msg):
    print(msg, flush=True)


def pinned(cpus, argv):
    return (["taskset", "-c", cpus] if PIN else []) + argv


def is_http(scenario):
    return SCENARIOS[scenario][0] in ("http", "http-rate", "idle")


def is_log_targets(scenario):
    return bool(SCENARIOS[scenario][1].get("log_targets")) if is_http(scenario) else False


def proxies_for(scenario):
    """The proxies measured in <scenario>: nginx takes part in HTTP only;
    http-log-targets measures halyard's log target variants instead."""
    if is_log_targets(scenario):
        return LOG_TARGET_PROXIES
    return HTTP_PROXIES if is_http(scenario) else TCP_PROXIES


def metrics_for(scenario):
    """(key, label, better) of the rows <scenario> reports: throughput in
    MB/s only where bodies are large enough for it to mean something."""
    kind, opts = SCENARIOS[scenario]
    if kind == "http" and opts["body"] < 64 * 1024:
        return [m for m in METRICS[kind] if m[0] != "mbps"]
    return METRICS[kind]


# ---------------------------------------------------------------- processes

def proc_tree(pid):
    """<pid> and its living descendants (nginx: master and worker)."""
    children = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            children.setdefault(int(rest[1]), []).append(int(d))
        except (OSError, IndexError):
            continue
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children.get(p, []))
    return out


def proc_cpu_ticks(pid):
    """utime+stime (all threads) of <pid> and of its descendants, in ticks."""
    total = 0
    for p in proc_tree(pid):
        try:
            with open(f"/proc/{p}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            total += int(rest[11]) + int(rest[12])  # fields 14 and 15
        except (OSError, IndexError):
            continue
    return total


def proc_status_kib(pid, field):
    """<field> (VmRSS, VmHWM...) of <pid> in KiB, None where unreadable."""
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                if line.startswith(field + ":"):
                    return int(line.split()[1])
    except (OSError, ValueError):
        pass
    return None


def tree_sum(pids, value):
    """Sum of value(pid) over <pids>; None when no pid gave a value."""
    vals = [v for v in (value(p) for p in pids) if v is not None]
    return sum(vals) if vals else None


def busy_ticks():
    """Non-idle ticks of all CPUs since boot, from /proc/stat: the sum of
    every task's utime+stime, short-lived ones included."""
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:]]
    return v[0] + v[1] + v[2] + v[5] + v[6] + v[7]  # all but idle and iowait


def kthread_ticks():
    """utime+stime of every kernel thread, as (pid, starttime) -> ticks."""
    out = {}
    for d in os.listdir("/proc"):
        if not d.isdigit():
            continue
        try:
            with open(f"/proc/{d}/stat") as f:
                rest = f.read().rsplit(")", 1)[1].split()
            if d == "2" or rest[1] == "2":
                out[(d, rest[19])] = int(rest[11]) + int(rest[12])
        except (OSError, IndexError, ValueError):
            continue
    return out


def self_ticks():
    t = os.times()
    return (t.user + t.system) * CLK_TCK


class Others:
    """CPU used by the rest of the system between start() and stop():
    everything busy on the machine minus our own processes, split into
    user-space processes (other jobs: they compete with us) and kernel
    threads (partly working for our own traffic)."""

    def start(self):
        self.b0, self.k0, self.s0 = busy_ticks(), kthread_ticks(), self_ticks()

    def stop(self, ours_ticks):
        busy = busy_ticks() - self.b0
        k1 = kthread_ticks()
        kern = sum(max(0, t - self.k0.get(k, 0)) for k, t in k1.items())
        mine = ours_ticks + self_ticks() - self.s0
        return max(0.0, busy - kern - mine), kern


def proc_fds_rss(pid):
    """(open fds, VmRSS in KiB) of <pid> and its descendants added up, None
    where unreadable."""
    def nfds(p):
        try:
            return len(os.listdir(f"/proc/{p}/fd"))
        except OSError:
            return None
    pids = proc_tree(pid)
    return tree_sum(pids, nfds), tree_sum(pids, lambda p: proc_status_kib(p, "VmRSS"))


def proc_hwm(pid):
    """Peak RSS (VmHWM, KiB) of <pid> and its descendants added up: pages
    the nginx master and worker share count twice."""
    return tree_sum(proc_tree(pid), lambda p: proc_status_kib(p, "VmHWM"))


def listening(port, pid):
    """True when process <pid> listens on 127.0.0.1:<port> (or *:<port>): the
    listening socket's inode must be one of its fds, so that nothing else on
    the port (another benchmark run, say) is mistaken for it."""
    want = {f"0100007F:{port:04X}", f"00000000:{port:04X}"}
    inodes = set()
    try:
        with open("/proc/net/tcp") as f:
            next(f)
            for line in f:
                parts = line.split()
                if parts[1] in want and parts[3] == "0A":
                    inodes.add(f"socket:[{parts[9]}]")
    except OSError:
        return False
    if not inodes:
        return False
    try:
        for fd in os.listdir(f"/proc/{pid}/fd"):
            try:
                if os.readlink(f"/proc/{pid}/fd/{fd}") in inodes:
                    return True
            except OSError:
                continue
    except OSError:
        pass
    return False


def take_lock():
    """One benchmark at a time: a second run would disturb the first and
    compete for its ports.  Waits up to BENCH_LOCK_WAIT s (default 900)."""
    path = os.path.join(OUT, ".lock")
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
    except OSError:
        holder = os.pread(fd, 64, 0).decode(errors="replace").strip() or "?"
        limit = env_int("BENCH_LOCK_WAIT", 900)
        log(f"bench: another benchmark run (pid {holder}) holds {os.path.relpath(path, ROOT)};"
            f" waiting up to {limit} s")
        t0 = time.monotonic()
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                break
            except OSError:
                if time.monotonic() - t0 > limit:
                    log("bench: still locked, giving up")
                    sys.exit(1)
                time.sleep(1)
    os.ftruncate(fd, 0)
    os.pwrite(fd, f"{os.getpid()}\n".encode(), 0)
    return fd  # kept open (and locked) until the process exits


def free_port(avoid):
    """A port below the ephemeral range that binds now."""
    lo, _ = (int(x) for x in open("/proc/sys/net/ipv4/ip_local_port_range").read().split())
    top = max(lo - 1, 20001)
    for _ in range(200):
        port = random.randint(20000, top)
        if port in avoid:
            continue
        s = socket.socket()
        try:
            s.bind(("127.0.0.1", port))
            return port
        except OSError:
            continue
        finally:
            s.close()
    sys.exit("bench: no free port found")


def stop(proc, grace=5.0):
    """SIGTERM, then SIGKILL; returns the exit status."""
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(grace)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
    if proc in started:
        started.remove(proc)
    return proc.returncode


def describe_status(rc):
    if rc is None:
        return "running"
    if rc < 0:
        try:
            return f"killed by {signal.Signals(-rc).name}"
        except ValueError:
            return f"killed by signal {-rc}"
    return f"exit {rc}"


def cleanup(*_):
    for p in list(started):
        try:
            stop(p, 2.0)
        except Exception:
            pass


def wait_quiet():
    """Waits up to BENCH_QUIET_WAIT s until other processes stay under
    OTHER_WARN % of a CPU for half a second.  Returns a note, or None."""
    if QUIET_WAIT <= 0:
        return None
    t0 = time.monotonic()
    while True:
        o = Others()
        o.start()
        time.sleep(0.5)
        busy = 100 * o.stop(0)[0] / CLK_TCK / 0.5
        waited = time.monotonic() - t0
        if busy < OTHER_WARN:
            return f"waited {waited:.0f} s for other processes to calm down" if waited > 1 else None
        if waited >= QUIET_WAIT:
            return f"other processes still used {busy:.0f}% of a CPU after waiting {waited:.0f} s"


# ---------------------------------------------------------------- configs

# The configurations of one scenario are written next to each other so
# that what one proxy is asked to do can be checked against the others.

def make_config(proxy, scenario, port, oport, rundir):
    """The configuration text of <proxy> for <scenario>: the proxy listens
    on 127.0.0.1:<port> and forwards to the origin on 127.0.0.1:<oport>.
    nginx keeps its pid and temporary files under <rundir>/nginx/."""
    if not is_http(scenario):
        return tcp_config(proxy, scenario, port, oport)
    acl = SCENARIOS[scenario][1].get("acl")
    files = write_pattern_files(rundir, acl) if acl else None
    log = log_sink_port() if SCENARIOS[scenario][1].get("log") else None
    if is_log_targets(scenario):
        target = proxy.partition("-")[2]
        log = {"": None, "udp": f"127.0.0.1:{log_sink_port()}",
               "unix": unix_log_sink(rundir)}[target]
    elif log:
        log = f"127.0.0.1:{log}"
    if SCENARIOS[scenario][1].get("rules"):
        files = dict(files or {}, **write_rules_map(rundir))
    if SCENARIOS[scenario][1].get("tls"):
        files = dict(files or {}, pem=tls_cert(rundir, SCENARIOS[scenario][1]["tls"]))
    if proxy == "nginx":
        return nginx_http_config(scenario, port, oport, os.path.join(rundir, "nginx"), files,
                                 log)
    return haproxy_http_config(proxy, scenario, port, oport, files, log)


def write_rules_map(rundir):
    """The 10,000-entry host map of http-rules, for haproxy/Halyard and nginx."""
    path, npath = os.path.join(rundir, "rules.map"), os.path.join(rundir, "rules.nginx.map")
    with open(path, "w") as f, open(npath, "w") as g:
        for i in range(10000):
            f.write(f"host{i}.example.com pool{i % 7}\n")
            g.write(f"host{i}.example.com pool{i % 7};\n")
    return {"map": path, "nginx-map": npath}


def rules_lines():
    """http-rules for haproxy/Halyard: 50 path ACLs (none matches the
    benchmark's "/"), header rewrites both ways, one map lookup."""
    out = [f"    acl p{i} path_beg /area{i}/" for i in range(50)]
    out += [f"    http-request deny if p{i} {{ req.hdr(x-block) -m found }}"
            for i in range(50)]
    out += ["    http-request set-var(txn.pool) req.hdr(host),lower,map({map},default)",
            "    http-request set-header x-pool %[var(txn.pool)]",
            "    http-request set-header x-forwarded-proto http",
            "    http-request del-header x-debug",
            "    http-response set-header x-served-by bench",
            "    http-response del-header server"]
    return out


def tls_cert(rundir, kind):
    """A self-signed certificate and its key in one PEM file under <rundir>
    (made once per run): ECDSA P-256 or RSA-2048.  Returns its path."""
    path = os.path.join(rundir, f"{kind}.pem")
    if not os.path.exists(path):
        key = (["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ecdsa"
               else ["-newkey", "rsa:2048"])
        subprocess.run(["openssl", "req", "-x509", "-nodes", "-days", "30", "-subj",
                        f"/CN=bench-{kind}", "-keyout", path + ".key", "-out", path + ".crt"]
                       + key, check=True, capture_output=True)
        with open(path, "w") as f:
            f.write(open(path + ".crt").read() + open(path + ".key").read())
    return path


_log_sink = None


def log_sink_port():
    """A UDP port on 127.0.0.1 bound for the whole run and never read: log
    lines sent there cost the proxy what sending costs, then the kernel
    drops them once the socket buffer is full."""
    global _log_sink
    if _log_sink is None:
        _log_sink = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        _log_sink.bind(("127.0.0.1", 0))
    return _log_sink.getsockname()[1]


_unix_sink = None


def unix_log_sink(rundir):
    """The path of a unix datagram socket bound for the whole run and never
    read: once its queue is full, every line sent to it is dropped."""
    global _unix_sink
    if _unix_sink is None:
        path = os.path.join(rundir, "stuck-log.sock")
        _unix_sink = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        _unix_sink.bind(path)
    return _unix_sink.getsockname()


def write_pattern_files(rundir, n):
    """The pattern lists of the http-acl scenarios, <n> entries each, in
    the formats of haproxy (-f files) and nginx (geo and map includes);
    none matches the benchmark's traffic (127.0.0.1, Host 127.0.0.1:port)."""
    nets = [f"10.{i >> 8 & 255}.{i & 255}.0/24" if i < 65536 else
            f"11.{i >> 8 & 255}.{i & 255}.0/24" for i in range(n)]
    hosts = [f"www.site-{i}.example" for i in range(n)]
    paths = {k: os.path.join(rundir, f"acl-{n}.{k}") for k in
             ("nets", "hosts", "nginx-nets", "nginx-hosts")}
    with open(paths["nets"], "w") as f:
        f.write("\n".join(nets) + "\n")
    with open(paths["hosts"], "w") as f:
        f.write("\n".join(hosts) + "\n")
    with open(paths["nginx-nets"], "w") as f:
        f.write("".join(f"{x} 1;\n" for x in nets))
    with open(paths["nginx-hosts"], "w") as f:
        f.write("".join(f"{x} 1;\n" for x in hosts))
    return paths


def tcp_config(proxy, scenario, port, oport):
    """Halyard and haproxy, TCP mode: the same text for both."""
    kind, splice = SCENARIOS[scenario]
    lines = [
        f"# {proxy}: {scenario} (tests/bench/run.sh)",
        "global",
        f"    nbthread {NBTHREAD}",
        "    maxconn 4096",
        "",
        "defaults",
        "    mode tcp",
        "    timeout connect 5s",
        "    timeout client 30s",
        "    timeout server 30s",
        "",
        "listen bench",
        f"    bind 127.0.0.1:{port}",
        "    balance roundrobin",
    ]
    lines += [f"    {opt}" for opt in splice]
    lines.append(f"    server origin 127.0.0.1:{oport}")
    return "\n".join(lines) + "\n"


def haproxy_http_config(proxy, scenario, port, oport, files=None, log=None):
    """Halyard and haproxy, HTTP mode: the same text for both.  Keep-alive
    on both sides (the default, written out) and idle server connections
    shared between client connections when safe (also the default).  With
    <files> (http-acl), each request is checked against the address and
    Host lists; with <log> (http-log, http-log-targets), an httplog line per
    request goes to that target."""
    opts = SCENARIOS[scenario][1]
    acl = [] if not files or "nets" not in files else [
        f"    http-request deny if {{ src -f {files['nets']} }}",
        f"    http-request deny if {{ req.hdr(host) -i -f {files['hosts']} }}",
    ]
    if opts.get("rules"):
        acl += [x.replace("{map}", files["map"]) for x in rules_lines()]
    if SCENARIOS[scenario][0] == "idle":  # answered by the proxy itself
        acl += ["    timeout http-keep-alive 60s",
                "    http-request return status 200 content-type text/plain string ok"]
    tls, full = "", opts.get("tls") and not opts.get("resume")
    if opts.get("tls"):
        tls = f" ssl crt {files['pem']} curves X25519" + (" no-tls-tickets" if full else "")
    nsrv = opts.get("servers", 1)
    servers = ([f"    balance {opts['lb']}"] if opts.get("lb") else []) + [
        f"    server s{i + 1} 127.0.0.1:{oport}" for i in range(nsrv)]
    return "\n".join([
        f"# {proxy}: {scenario} (tests/bench/run.sh)",
        "global",
        f"    nbthread {NBTHREAD}",
        f"    maxconn {IDLE_CONNS + 500 if SCENARIOS[scenario][0] == 'idle' else 4096}",
    ] + ([f"    log {log} local0"] if log else []) + (
        ["    tune.ssl.cachesize 0"] if full else []) + [
        "",
        "defaults",
        "    mode http",
    ] + (["    log global", "    option httplog"] if log else []) + [
        "    timeout connect 5s",
        "    timeout client 30s",
        "    timeout server 30s",
        "    option http-keep-alive",
        "",
        "frontend bench",
        f"    bind 127.0.0.1:{port}{tls}",
    ] + acl + [
        "    default_backend origin",
        "",
        "backend origin",
        "    http-reuse safe",
    ] + servers) + "\n"


def nginx_http_config(scenario, port, oport, home, files=None, log=None):
    """nginx doing what haproxy_http_config() asks of the other two: one
    worker (nbthread 1), HTTP/1.1 keep-alive towards the origin with idle
    connections kept, the same timeouts, no access log, and responses
    streamed through a 16 KiB buffer (haproxy's bufsize) instead of being
    buffered whole.  The request caps per connection (1000 by default) are
    lifted: haproxy has none.  Runs in the foreground; pid file and
    temporary directories go to <home>, never to the system's paths."""
    temp = "".join(f"    {d}_temp_path {home}/{d};\n"
                   for d in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    opts = SCENARIOS[scenario][1]
    kind = SCENARIOS[scenario][0]
    lists = "" if not files or "nets" not in files else (
        "    map_hash_max_size 262144;\n    map_hash_bucket_size 128;\n"
        f"    geo $remote_addr $bad_src {{\n        default 0;\n        include {files['nginx-nets']};\n    }}\n"
        f"    map $http_host $bad_host {{\n        hostnames;\n        default 0;\n        include {files['nginx-hosts']};\n    }}\n")
    checks = "" if not files or "nets" not in files else (
        "            if ($bad_src) {\n                return 403;\n            }\n"
        "            if ($bad_host) {\n                return 403;\n            }\n")
    if opts.get("rules"):  # 50 path patterns in one regex map, the host map, rewrites
        areas = "".join(f"        ~^/area{i}/ 1;\n" for i in range(50))
        lists += ("    map_hash_max_size 262144;\n    map_hash_bucket_size 128;\n"
                  f"    map $uri $area {{\n        default 0;\n{areas}    }}\n"
                  "    map $http_x_block $blocked {\n        default 1;\n        \"\" 0;\n    }\n"
                  "    map $area$blocked $deny {\n        default 0;\n        11 1;\n    }\n"
                  f"    map $http_host $pool {{\n        default default;\n"
                  f"        include {files['nginx-map']};\n    }}\n")
        checks += ("            if ($deny) {\n                return 403;\n            }\n"
                   "            proxy_set_header x-pool $pool;\n"
                   "            proxy_set_header x-forwarded-proto http;\n"
                   "            proxy_set_header x-debug \"\";\n"
                   "            add_header x-served-by bench;\n"
                   "            proxy_hide_header server;\n")
    servers = "".join(f"        server 127.0.0.1:{oport};\n"
                      for _ in range(opts.get("servers", 1)))
    if opts.get("lb") == "leastconn":
        servers = "        least_conn;\n" + servers
    conns = IDLE_CONNS + 500 if kind == "idle" else 4096
    body = ("            return 200 \"ok\";\n" if kind == "idle" else
            checks + """            proxy_pass http://origin;
            proxy_http_version 1.1;
            proxy_set_header Connection "";
            proxy_buffering off;
            proxy_buffer_size 16k;
            proxy_buffers 8 16k;
            proxy_connect_timeout 5s;
            proxy_read_timeout 30s;
            proxy_send_timeout 30s;
""")
    access_log = f"syslog:server=127.0.0.1:{log},facility=local0 combined" if log else "off"
    tls = ""
    if opts.get("tls"):
        tls = (f"        ssl_certificate {files['pem']};\n"
               f"        ssl_certificate_key {files['pem']};\n"
               "        ssl_protocols TLSv1.2 TLSv1.3;\n        ssl_ecdh_curve X25519;\n")
        tls += ("        ssl_session_tickets on;\n        ssl_session_cache none;\n"
                if opts.get("resume") else
                "        ssl_session_tickets off;\n        ssl_session_cache off;\n")
    return f"""# nginx: {scenario} (tests/bench/run.sh)
daemon off;
master_process on;
worker_processes {NBTHREAD};
error_log stderr warn;
pid {home}/nginx.pid;
worker_rlimit_nofile {conns + 1000};

events {{
    worker_connections {conns};
}}

http {{
    access_log {access_log};
{temp}    client_header_timeout 30s;
    send_timeout 30s;
    keepalive_timeout {60 if kind == "idle" else 30}s;
    keepalive_requests 1000000;

{lists}    upstream origin {{
{servers}        keepalive 1024;
        keepalive_requests 1000000;
    }}

    server {{
        listen 127.0.0.1:{port}{" ssl" if opts.get("tls") else ""};
{tls}        location / {{
{body}        }}
    }}
}}
"""


def proxy_argv(proxy, binary, cfg, check=False):
    """The command that runs <proxy> in the foreground on <cfg>, or with
    <check> the one that only checks <cfg>."""
    if proxy == "nginx":
        # -p: nothing relative resolves to the system's prefix; -e: errors
        # before the configuration is read go to stderr, not /var/log
        argv = [binary, "-p", os.path.dirname(cfg) + "/", "-e", "stderr", "-c", cfg]
        return argv + (["-t"] if check else [])
    return [binary, "-c" if check else "-db", "-f", cfg]


def check_config(proxy, binary, cfg):
    """Lets <proxy> check <cfg>.  Returns None when it accepts it, else the
    errors it printed, one string each."""
    try:
        p = subprocess.run(proxy_argv(proxy, binary, cfg, check=True), capture_output=True,
                           text=True, timeout=30)
    except (OSError, subprocess.TimeoutExpired) as e:
        return [f"configuration check failed to run: {e}"]
    if p.returncode == 0:
        return None
    errs = []
    for line in (p.stderr + p.stdout).splitlines():
        m = CHECK_ERROR.search(line)
        msg = m and (m.group(1) or m.group(2)).strip()
        if msg and not msg.startswith(("Error(s) found", "Fatal errors found")) \
                and msg not in errs:
            errs.append(msg)
    return errs or [f"configuration check exited with status {p.returncode}"]


# an error line of a configuration check, without its decoration:
#   [ALERT]    (123) : config : parsing [f.cfg:4] : 'mode http' is not ...
#   nginx: [emerg] 123#123: unknown directive "x" in f.cfg:3
CHECK_ERROR = re.compile(r"\[ALERT\][^:]*: (?:config : )?(?:parsing \[[^]]*\] : )?(.*)$"
                         r"|\[emerg\] (?:\d+#\d+: )?(.*)$")


def expected_refusal(proxy, errs):
    """True when <proxy> refused a configuration only for features it says it
    does not support yet: Halyard while its HTTP engine is being written."""
    return proxy == "halyard" and all("not supported yet" in e for e in errs)


def side_by_side(left, right, ltitle, rtitle):
    """Two texts in two columns, with their titles on top."""
    ll, rl = left.splitlines(), right.splitlines()
    w = max(len(x) for x in ll + [ltitle]) + 3
    out = [f"{ltitle:<{w}}{rtitle}", f"{'-' * len(ltitle):<{w}}{'-' * len(rtitle)}"]
    for i in range(max(len(ll), len(rl))):
        a = ll[i] if i < len(ll) else ""
        b = rl[i] if i < len(rl) else ""
        out.append(f"{a:<{w}}{b}".rstrip())
    return "\n".join(out)


# ---------------------------------------------------------------- one measurement

class Failure(Exception):
    pass


def origin_argv(scenario, oport, tools):
    """The origin's command line for <scenario>."""
    kind, opts = SCENARIOS[scenario]
    if is_http(scenario):
        return [tools["origin"], "-p", str(oport), "-m", "http", "-n", str(opts["body"])]
    omode = {"bulk": "source", "upload": "sink", "connrate": "rr"}[kind]
    return [tools["origin"], "-p", str(oport), "-m", omode, "-n", str(BULK_BYTES)]


def client_argv(scenario, port, tools, rate, pids=()):
    """(command line, time limit in s) of the client for <scenario>; <rate>
    is the request rate of the http-rate kind, <pids> the proxy's processes
    (whose memory the idle kind reads)."""
    kind, opts = SCENARIOS[scenario]
    if kind == "idle":
        return [tools["idleconns"], "-c", f"127.0.0.1:{port}", "-n", str(opts["conns"]),
                "-H", "2", "-P", ",".join(str(p) for p in pids)], 120
    if kind == "http-rate":
        return [tools["httprate"], "-c", f"127.0.0.1:{port}", "-R", f"{rate:.0f}",
                "-d", str(HTTP_SECONDS), "-k", str(HTTP_CONNS)], HTTP_SECONDS + 60
    if kind == "http":
        argv = [tools["wrk"], f"-t{WRK_THREADS}", f"-c{HTTP_CONNS}", f"-d{HTTP_SECONDS}s",
                "--timeout", "10s", "-s", tools["wrk_script"]]
        if opts["close"]:
            argv += ["-H", "Connection: close"]
        scheme = "https" if opts.get("tls") else "http"
        return argv + [f"{scheme}://127.0.0.1:{port}/"], HTTP_SECONDS + 60
    argv = [tools["load"], "-c", f"127.0.0.1:{port}"]
    if kind == "connrate":
        return argv + ["-m", "connrate", "-d", str(CONNRATE_SECONDS), "-k",
                       str(CONNRATE_CONNS), "-S", str(SOURCES)], CONNRATE_SECONDS + 60
    return argv + ["-m", kind, "-n", str(BULK_BYTES)], 600


def client_result(scenario, out, cpu):
    """Reads the client's key=value output line into the figures of the
    round, given the proxy's CPU seconds <cpu>; raises Failure when the
    line is not there."""
    kind, _ = SCENARIOS[scenario]
    lines = [x for x in out.splitlines()
             if x.startswith(("load:", "wrk:", "httprate:", "idleconns:"))]
    kv = dict(tok.split("=", 1) for tok in (lines or [""])[-1].split() if "=" in tok)
    try:
        if kind == "http":
            return http_figures(kv, cpu)
        if kind == "http-rate":
            return rate_figures(kv, cpu)
        if kind == "idle":
            return idle_figures(kv)
        ok = int(kv["ok"])
        res = {"ok": ok, "seconds": float(kv["seconds"]),
               "errors": {k: int(kv[k]) for k in ("connect_fail", "short_read", "reset",
                                                  "timeout")}}
        if kind == "connrate":
            res["rate"] = float(kv["rate"])
            res["cpu_per_conn"] = cpu * 1e6 / ok if ok else float("nan")
        else:
            nbytes = int(kv["bytes"])
            res["mbps"] = float(kv["mbps"])
            res["cpu_per_gib"] = cpu / (nbytes / GIB) if nbytes else float("nan")
        return res
    except (KeyError, ValueError):
        raise Failure(f"unexpected client output: {out.strip()!r}")


def http_figures(kv, cpu):
    """The figures of an HTTP round from wrk-report.lua's line <kv>."""
    reqs, secs = int(kv["requests"]), int(kv["duration_us"]) / 1e6
    return {"ok": reqs, "seconds": secs,
            "rps": reqs / secs if secs else float("nan"),
            "mbps": int(kv["bytes"]) / secs / 1e6 if secs else float("nan"),
            "cpu_per_req": cpu * 1e6 / reqs if reqs else float("nan"),
            "p50": float(kv["p50_us"]) / 1000, "p99": float(kv["p99_us"]) / 1000,
            "errors": {"non-2xx": int(kv["status"]), "connect": int(kv["connect"]),
                       "read": int(kv["read"]), "write": int(kv["write"]),
                       "timeout": int(kv["timeout"])}}


def idle_figures(kv):
    """Memory per idle connection from idleconns' line <kv>."""
    ok, before, idle = int(kv["ok"]), int(kv["rss_before_kib"]), int(kv["rss_idle_kib"])
    return {"ok": ok, "seconds": float(kv["seconds"]),
            "mem_per_conn": (idle - before) * 1024 / ok if ok else float("nan"),
            "rss_idle": idle / 1024, "rss_before": before / 1024,
            "errors": {"failed": int(kv["failed"])}}


def rate_figures(kv, cpu):
    """The figures of a fixed-rate HTTP round from httprate's line <kv>."""
    reqs, secs = int(kv["requests"]), float(kv["seconds"])
    return {"ok": reqs, "seconds": secs, "target": float(kv["target"]),
            "rps": float(kv["rate"]),
            "cpu_per_req": cpu * 1e6 / reqs if reqs else float("nan"),
            "p50": float(kv["p50_us"]), "p90": float(kv["p90_us"]),
            "p99": float(kv["p99_us"]), "p999": float(kv["p999_us"]),
            "late": 100.0 * int(kv["late"]) / reqs if reqs else float("nan"),
            "errors": {"non-2xx": int(kv["non_2xx"]), "connect": int(kv["connect"]),
                       "read": int(kv["read"]), "timeout": int(kv["timeout"])}}


def latency_rate(results):
    """The request rate of http-ka-latency: BENCH_LATENCY_RATE when set,
    else BENCH_LATENCY_PERCENT % of the lowest of the proxies' median
    requests/s in this run's http-ka, so that every proxy can sustain it;
    None when http-ka measured nothing."""
    if LATENCY_RATE > 0:
        return float(LATENCY_RATE)
    medians = []
    for p in HTTP_PROXIES:
        vals = [r["rps"] for r in results
                if r["scenario"] == "http-ka" and r["proxy"] == p and "rps" in r]
        if vals:
            medians.append(statistics.median(vals))
    return min(medians) * LATENCY_PERCENT / 100 if medians else None


def measure(proxy, binary, scenario, rnd, cfg, port, oport, tools, logdir, rate=None):
    """One round: origin, <proxy> on <cfg>, client (at <rate> requests/s in
    the http-rate kind).  Returns the round's figures; raises Failure when a
    measurement could not be taken."""
    tag = f"{scenario}-{proxy}-r{rnd}"
    res = {"proxy": proxy, "scenario": scenario, "round": rnd, "notes": []}

    oargs = origin_argv(scenario, oport, tools)
    origin = subprocess.Popen(pinned(LOAD_CPUS, oargs), stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True)
    started.append(origin)
    plog = open(os.path.join(logdir, f"{tag}.log"), "w")
    px = None
    try:
        t0 = time.monotonic()
        while not listening(oport, origin.pid):
            if origin.poll() is not None or time.monotonic() - t0 > 5:
                raise Failure(f"origin did not start ({describe_status(origin.poll())})")
            time.sleep(0.02)

        px = subprocess.Popen(pinned(PROXY_CPUS, proxy_argv(proxy, binary, cfg)),
                              stdout=plog, stderr=subprocess.STDOUT)
        started.append(px)
        t0 = time.monotonic()
        while not listening(port, px.pid):
            if px.poll() is not None:
                raise Failure(f"{proxy} failed to start ({describe_status(px.returncode)}), "
                              f"see {plog.name}")
            if time.monotonic() - t0 > 10:
                raise Failure(f"{proxy} not listening after 10 s, see {plog.name}")
            time.sleep(0.02)

        largs, limit = client_argv(scenario, port, tools, rate, proc_tree(px.pid))
        fds0, rss0 = proc_fds_rss(px.pid)
        others = Others()
        others.start()
        cpu0 = proc_cpu_ticks(px.pid)
        ocpu0 = proc_cpu_ticks(origin.pid)
        ru0 = resource.getrusage(resource.RUSAGE_CHILDREN)
        w0 = time.monotonic()
        try:
            lp = subprocess.run(pinned(LOAD_CPUS, largs), capture_output=True, text=True,
                                timeout=limit)
        except subprocess.TimeoutExpired:
            raise Failure(f"load client did not finish in {limit} s")
        wall = time.monotonic() - w0
        cpu1 = proc_cpu_ticks(px.pid)
        hwm = proc_hwm(px.pid)
        ocpu1 = proc_cpu_ticks(origin.pid)
        ru1 = resource.getrusage(resource.RUSAGE_CHILDREN)
        client_cpu = (ru1.ru_utime + ru1.ru_stime) - (ru0.ru_utime + ru0.ru_stime)
        load_cpu = client_cpu + (ocpu1 - ocpu0) / CLK_TCK
        # what else ran meanwhile: other jobs on the box compete with us;
        # kernel threads partly work for our own traffic (shown for info)
        other_user, other_kern = others.stop((cpu1 - cpu0) + load_cpu * CLK_TCK)
        # connections the client closed must be gone from the proxy shortly
        # after; in HTTP, idle server connections may stay (one per client
        # connection that was in flight at most)
        spare = 2 + (HTTP_CONNS if is_http(scenario) else 0)
        t0 = time.monotonic()
        while True:
            fds1, rss1 = proc_fds_rss(px.pid)
            if (fds1 is None or fds0 is None or fds1 <= fds0 + spare
                    or time.monotonic() - t0 > 2):
                break
            time.sleep(0.1)
        res["fds"], res["rss"] = (fds0, fds1), (rss0, rss1)
        res["hwm"] = hwm / 1024 if hwm is not None else float("nan")
        if fds0 is not None and fds1 is not None and fds1 > fds0 + spare:
            res["notes"].append(f"{proxy} holds {fds1} fds 2 s after the run, {fds0} before")
        if px.poll() is not None:
            raise Failure(f"{proxy} died during the run ({describe_status(px.returncode)}), "
                          f"see {plog.name}")
        if lp.returncode != 0:
            raise Failure(f"client failed ({describe_status(lp.returncode)}): "
                          f"{lp.stderr.strip()}")
        cpu = (cpu1 - cpu0) / CLK_TCK
        res.update(client_result(scenario, lp.stdout, cpu))
        if "target" in res and (res["rps"] < 0.98 * res["target"] or res["late"] > 1):
            res["notes"].append("the fixed rate was not held: queueing is in the latencies")
        if wall > 0:
            res["other"] = (100 * other_user / CLK_TCK / wall,
                            100 * other_kern / CLK_TCK / wall)
            if res["other"][0] > OTHER_WARN:
                res["notes"].append(f"other processes used {res['other'][0]:.0f}% of a CPU")
        res.update(cpu=cpu, wall=wall,
                   busy=100.0 * cpu / wall if wall > 0 else 0.0,
                   load_busy=100.0 * load_cpu / wall if wall > 0 else 0.0,
                   client_busy=100.0 * client_cpu / wall if wall > 0 else 0.0,
                   raw=lp.stdout.strip())
    finally:
        if px is not None:
            rc = stop(px)
            # SIGTERM is how we stop it; any other signal is a crash
            if rc is not None and rc < 0 and rc != -signal.SIGTERM:
                res["notes"].append(f"{proxy} {describe_status(rc)} when stopped")
            elif rc not in (0, -signal.SIGTERM, 143, None):
                res["notes"].append(f"{proxy} {describe_status(rc)} when stopped")
        plog.close()
        stop(origin)
        oerr = origin.stderr.read() if origin.stderr else ""
        for line in oerr.splitlines():
            if line.startswith("origin: conns="):
                kv = dict(t.split("=", 1) for t in line.split()[1:] if "=" in t)
                odd = [f"{k} {v}" for k, v in kv.items()
                       if k in ("resets", "unanswered", "errors") and v != "0"]
                if is_http(scenario) and "requests" in kv:
                    res["origin"] = f"{kv.get('conns', '?')} conns, {kv['requests']} requests"
                if odd:
                    res["notes"].append(f"origin saw {', '.join(odd)} "
                                        f"(of {kv.get('conns', '?')} connections)")
    return res


# ---------------------------------------------------------------- report

def fmt(v):
    if v is None or v != v:
        return "n/a"
    if abs(v) >= 1000:
        return f"{v:,.0f}"
    if abs(v) >= 100:
        return f"{v:.0f}"
    if abs(v) >= 10:
        return f"{v:.1f}"
    return f"{v:.3g}" if abs(v) < 1 else f"{v:.2f}"


def err_text(runs):
    if not runs:
        return "n/a"
    tot = {}
    for r in runs:
        for k, v in r["errors"].items():
            tot[k] = tot.get(k, 0) + v
    parts = [f"{k.replace('_', ' ')} {v}" for k, v in tot.items() if v]
    return ", ".join(parts) if parts else "0"


def table(results, scenarios, proxies, refused, inverse=False):
    """Markdown table of the medians of <scenarios>, one column per proxy of
    <proxies> and one ratio column halyard/<other> per other proxy (with
    <inverse>, <proxy>-<variant>/<proxy> for each variant: how a variant of
    a proxy compares with that proxy's reference run).
    A proxy that refused the scenario's configuration (<refused>, keyed by
    (scenario, proxy)) shows "not runnable"."""
    others = [p for p in proxies if "-" in p] if inverse else proxies[1:]
    base = {o: o.partition("-")[0] for o in others}
    rows = ["| scenario | metric | better | " + " | ".join(proxies) + " | "
            + " | ".join(f"{o}/{base[o]}" if inverse else f"halyard/{o}" for o in others)
            + " | "
            + " | ".join(f"errors {p}" for p in proxies)
            + f" | disturbed rounds {', '.join(proxies)} |",
            "|---|---|---|" + "---:|" * (len(proxies) + len(others)) + "---|" * len(proxies)
            + "---|"]
    for sc in scenarios:
        runs = {p: [r for r in results if r["scenario"] == sc and r["proxy"] == p
                    and "cpu" in r] for p in proxies}
        errs = " | ".join("not runnable" if (sc, p) in refused else err_text(runs[p])
                          for p in proxies)
        dist = ", ".join(
            f"{sum(1 for r in runs[p] if r.get('other', (0, 0))[0] > OTHER_WARN)}"
            f"/{len(runs[p])}" for p in proxies)
        for key, label, better in metrics_for(sc):
            med = {}
            for p in proxies:
                vals = [r[key] for r in runs[p] if r[key] == r[key]]
                med[p] = statistics.median(vals) if vals else None
            cells = " | ".join("not runnable" if (sc, p) in refused else fmt(med[p])
                               for p in proxies)
            h = med["halyard"]
            if inverse:
                ratios = " | ".join(
                    f"{med[o] / med[base[o]]:.2f}"
                    if med[base[o]] and med[o] is not None else "n/a" for o in others)
            else:
                ratios = " | ".join(f"{h / med[o]:.2f}" if h is not None and med[o] else "n/a"
                                    for o in others)
            rows.append(f"| {sc} | {label} | {better} | {cells} | {ratios} | {errs} | {dist} |")
    return "\n".join(rows)


def tables(results, scenarios, refused):
    """The TCP table and the HTTP table (each only when it has scenarios),
    and under them one line per proxy that could not run a scenario."""
    out = []
    for title, proxies, group in (
            ("TCP", TCP_PROXIES, [s for s in scenarios if not is_http(s)]),
            ("HTTP", HTTP_PROXIES,
             [s for s in scenarios if is_http(s) and not is_log_targets(s)]),
            ("Log targets", LOG_TARGET_PROXIES,
             [s for s in scenarios if is_log_targets(s)])):
        if group:
            inverse = proxies is LOG_TARGET_PROXIES
            out += [f"### {title}", "", table(results, group, proxies, refused, inverse), ""]
    for (sc, p), errs in refused.items():
        more = f" (and {len(errs) - 1} more: {'; '.join(errs[1:])})" if len(errs) > 1 else ""
        out.append(f"- {p} in {sc}: not runnable: {errs[0]}{more}")
    return "\n".join(out).rstrip()


def round_summary(r):
    """The main figure of a measured round, in words."""
    if "target" in r:
        return (f"{r['rps']:,.0f} req/s of {r['target']:,.0f} asked, p50 {r['p50']:.0f} µs, "
                f"p99 {r['p99']:.0f} µs, p99.9 {r['p999']:.0f} µs")
    if "rps" in r:
        text = f"{r['rps']:,.0f} req/s, p50 {r['p50']:.2f} ms, p99 {r['p99']:.2f} ms"
        return text + (f", {r['mbps']:,.0f} MB/s" if r["mbps"] >= 100 else "")
    if "rate" in r:
        return f"{r['rate']:,.0f} conn/s"
    if "mem_per_conn" in r:
        return (f"{r['ok']:,} idle connections, {r['mem_per_conn']:,.0f} B each "
                f"(RSS {r['rss_before']:.1f} -> {r['rss_idle']:.1f} MiB)")
    return f"{r['mbps']:,.0f} MB/s"


def raw_rounds(results):
    out = ["| scenario | proxy | round | result | proxy CPU s | proxy busy | "
           "origin+client busy | other processes / kernel threads, % of a CPU "
           "| proxy fds before/after "
           "| proxy RSS MiB before/after, peak | client errors | notes |",
           "|---|---|---:|---|---:|---:|---:|---:|---:|---:|---|---|"]
    for r in results:
        if "cpu" in r:
            main = round_summary(r) + f", {r['ok']} ok in {r['seconds']:.2f} s"
            cpu = (f"{r['cpu']:.2f} | {r['busy']:.0f}% | {r['load_busy']:.0f}% "
                   f"(client {r['client_busy']:.0f}%)")
            cpu += (f" | {r['other'][0]:.0f} / {r['other'][1]:.0f}" if "other" in r
                    else " | n/a")
            f0, f1 = r["fds"]
            m0, m1 = (f"{x / 1024:.1f}" if x is not None else "?" for x in r["rss"])
            cpu += f" | {f0}/{f1} | {m0}/{m1}, {r['hwm']:.1f}"
            errs = err_text([r])
        else:
            main, cpu, errs = "**not measured**", " | ".join(["n/a"] * 6), "n/a"
        notes = "; ".join(r["notes"] + ([f"origin: {r['origin']}"] if "origin" in r else []))
        out.append(f"| {r['scenario']} | {r['proxy']} | {r['round']} | {main} | {cpu} "
                   f"| {errs} | {notes} |")
    return "\n".join(out)


def first_line(argv):
    try:
        p = subprocess.run(argv, capture_output=True, text=True, timeout=10)
        return (p.stdout or p.stderr).splitlines()[0].strip()
    except Exception as e:  # noqa: BLE001 - informative only
        return f"unknown ({e})"


def environment(tools, scenarios):
    """The header lines: versions, tree, machine, pinning, parameters."""
    git = subprocess.run(["git", "-C", ROOT, "rev-parse", "--short", "HEAD"],
                         capture_output=True, text=True).stdout.strip() or "unknown"
    dirty = subprocess.run(["git", "-C", ROOT, "status", "--porcelain", "--untracked-files=no"],
                           capture_output=True, text=True).stdout.strip()
    cpu = "unknown"
    try:
        for line in open("/proc/cpuinfo"):
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    hb = tools["halyard"]
    mtime = datetime.datetime.fromtimestamp(os.stat(hb).st_mtime).strftime("%Y-%m-%d %H:%M:%S")
    return [
        f"- halyard: {first_line([hb, '-v'])} ({os.path.relpath(tools['halyard_src'], ROOT)} "
        f"built {mtime}, run from a copy in {os.path.relpath(os.path.dirname(hb), ROOT)}/; "
        f"tree at {git}{' with local changes' if dirty else ''})",
        f"- haproxy: {first_line([tools['haproxy'], '-v'])} ({tools['haproxy']})",
    ] + ([
        f"- nginx: {first_line([tools['nginx'], '-v'])} ({tools['nginx']})",
        f"- wrk: {first_line([tools['wrk'], '-v'])} ({tools['wrk']})",
    ] if any(is_http(s) for s in scenarios) else []) + [
        f"- machine: {platform.system()} {platform.release()}, {os.cpu_count()} CPUs ({cpu})",
        f"- pinning: " + (f"proxy on CPU {PROXY_CPUS}, origin and load client on CPU {LOAD_CPUS}"
                          if PIN else "none (BENCH_PIN=0)"),
        f"- parameters: {ROUNDS} rounds per proxy, alternating; nbthread {NBTHREAD}; "
        f"bulk {BULK_BYTES} bytes on one connection; connrate {CONNRATE_SECONDS} s with "
        f"{CONNRATE_CONNS} connections in flight, 64 B request and reply, "
        f"{SOURCES} client source addresses"
        + (f"; http: wrk for {HTTP_SECONDS} s, {WRK_THREADS} thread(s), {HTTP_CONNS} "
           f"connections, bodies of {HTTP_SMALL} B (ka, close) and {HTTP_LARGE} B (1m); "
           f"latency at " + (f"{LATENCY_RATE} requests/s" if LATENCY_RATE > 0 else
                             f"{LATENCY_PERCENT}% of the slowest proxy's http-ka rate")
           + f" for {HTTP_SECONDS} s over {HTTP_CONNS} connections"
           if any(is_http(s) for s in scenarios) else "")
        + (f"; waits up to {QUIET_WAIT} s before each round for other processes to go quiet"
           if QUIET_WAIT else ""),
    ]


# ---------------------------------------------------------------- main

def parse_scenarios(args):
    if any(a in ("-h", "--help") for a in args):
        print(__doc__)
        print("scenarios: " + ", ".join(SCENARIOS) + "; aliases: " +
              ", ".join(f"{k} ({' '.join(v)})" for k, v in ALIASES.items()))
        sys.exit(0)
    out = []
    for a in args or DEFAULT:
        names = ALIASES.get(a, [a] if a in SCENARIOS else None)
        if names is None:
            print(f"bench: unknown scenario '{a}'; known: {', '.join(SCENARIOS)}; "
                  f"aliases: {', '.join(ALIASES)}", file=sys.stderr)
            sys.exit(2)
        out += [n for n in names if n not in out]
    fixed = [i for i, n in enumerate(out) if SCENARIOS[n][0] == "http-rate"]
    if fixed and LATENCY_RATE <= 0 and "http-ka" not in out[:fixed[0]]:
        # their rate is a fraction of http-ka's, which must run first
        if "http-ka" in out:
            out.remove("http-ka")
        out.insert(fixed[0], "http-ka")
    return out


def title(scenarios):
    """The report's first line."""
    if any(is_http(s) for s in scenarios):
        return "# Halyard vs haproxy and nginx"
    return "# Halyard vs haproxy, TCP mode"


def write_configs(scenarios, rundir, port, oport):
    """Writes every proxy's configuration of every scenario to <rundir>.
    Returns ({(scenario, proxy): path}, [Markdown blocks showing them])."""
    os.makedirs(os.path.join(rundir, "nginx"), exist_ok=True)
    cfgs, shown = {}, []
    for sc in scenarios:
        for p in proxies_for(sc):
            path = os.path.join(rundir, f"{sc}.{p}.cfg")
            with open(path, "w") as f:
                f.write(make_config(p, sc, port, oport, rundir))
            cfgs[(sc, p)] = path
        text = {p: open(cfgs[(sc, p)]).read() for p in proxies_for(sc)}
        if is_log_targets(sc):
            shown.append(f"{sc}:\n\n" + "\n\n".join(
                f"```\n{os.path.relpath(cfgs[(sc, p)], ROOT)}\n{text[p].rstrip()}\n```"
                for p in proxies_for(sc)))
            continue
        same = ([x for x in text["halyard"].splitlines() if not x.startswith("#")] ==
                [x for x in text["haproxy"].splitlines() if not x.startswith("#")])
        block = (f"{sc}" + (" (halyard and haproxy identical apart from the comment line)"
                            if same else "") + ":\n\n```\n" +
                 side_by_side(text["halyard"], text["haproxy"],
                              os.path.relpath(cfgs[(sc, 'halyard')], ROOT),
                              os.path.relpath(cfgs[(sc, 'haproxy')], ROOT)) + "\n```")
        if "nginx" in text:
            block += (f"\n\n```\n{os.path.relpath(cfgs[(sc, 'nginx')], ROOT)}\n"
                      f"{'-' * len(os.path.relpath(cfgs[(sc, 'nginx')], ROOT))}\n"
                      f"{text['nginx'].rstrip()}\n```")
        shown.append(block)
    return cfgs, shown


def check_configs(scenarios, cfgs, tools):
    """Asks every proxy to check its configurations.  Returns
    ({(scenario, proxy): errors} of those refused, [failures]): a refusal is
    a failure unless expected_refusal() says otherwise."""
    refused, failures = {}, []
    for sc in scenarios:
        for p in proxies_for(sc):
            errs = check_config(p, tools[p], cfgs[(sc, p)])
            if errs is None:
                continue
            refused[(sc, p)] = errs
            log(f"{sc}: {p} not runnable: {errs[0]}"
                + (f" (and {len(errs) - 1} more)" if len(errs) > 1 else ""))
            if not expected_refusal(p, errs):
                failures.append(f"{sc} {p}: configuration refused: {'; '.join(errs)}")
    return refused, failures


def run_rounds(scenarios, cfgs, refused, tools, port, oport, logdir):
    """Every round of every scenario, proxies alternating, the refused ones
    left out.  Returns (results, failures)."""
    results, failures = [], []
    for sc in scenarios:
        kind, opts = SCENARIOS[sc]
        rate = None
        if kind == "http-rate":
            rate = latency_rate(results)
            if rate is None:
                failures.append(f"{sc}: no http-ka rate measured to take a fraction of")
                log(f"{sc}: NOT MEASURED: no http-ka rate measured to take a fraction of")
                continue
            log(f"{sc}: {rate:,.0f} requests/s for every proxy")
        for rnd in range(1, ROUNDS + 1):
            for p in proxies_for(sc):
                if (sc, p) in refused:
                    continue
                if kind == "connrate" or (kind == "http" and opts["close"]):
                    time.sleep(1)  # lets the previous run's TIME_WAITs age past 1 s
                quiet = wait_quiet()
                try:
                    r = measure(p, tools[p], sc, rnd, cfgs[(sc, p)], port, oport,
                                tools, logdir, rate)
                    if quiet:
                        r["notes"].insert(0, quiet)
                    log(f"{sc} round {rnd} {p:8s} {round_summary(r)}, proxy CPU {r['cpu']:.2f} s"
                        f" ({r['busy']:.0f}% busy, origin+client {r['load_busy']:.0f}%),"
                        f" errors {err_text([r])}"
                        + (f"; {'; '.join(r['notes'])}" if r["notes"] else ""))
                except Failure as e:
                    r = {"proxy": p, "scenario": sc, "round": rnd, "notes": [str(e)]}
                    failures.append(f"{sc} round {rnd} {p}: {e}")
                    log(f"{sc} round {rnd} {p:8s} NOT MEASURED: {e}")
                results.append(r)
    return results, failures


def proxy_output(logdir):
    """Every non-empty line the proxies printed (warnings, alerts)."""
    notable = []
    for name in sorted(os.listdir(logdir)):
        with open(os.path.join(logdir, name), errors="replace") as f:
            for line in f:
                line = line.rstrip()
                if line:
                    notable.append(f"{name}: {line}")
    return notable


def raise_fd_limit(want=65536):
    """Raises this process's file limit (children inherit it): haproxy 2.6
    does not raise its hard limit itself, and http-idle needs ~2 fds per
    connection in the proxy."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    for lim in ((max(want, hard), max(want, hard)), (hard, hard)):
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, lim)
            return
        except (ValueError, OSError):
            continue


def main():
    raise_fd_limit()
    args = sys.argv[1:]
    tools = {}
    while args and args[0].startswith("--") and "=" in args[0]:
        k, v = args.pop(0)[2:].split("=", 1)
        tools[k] = v
    scenarios = parse_scenarios(args)
    needed = ["halyard", "haproxy", "origin", "load"]
    if any(is_http(s) for s in scenarios):
        needed += ["nginx", "wrk", "httprate"]
    if any(SCENARIOS[s][0] == "idle" for s in scenarios):
        needed += ["idleconns"]
    for k in needed:
        if not tools.get(k):
            sys.exit(f"bench: --{k}=PATH missing (run tests/bench/run.sh)")
    tools["wrk_script"] = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                                       "wrk-report.lua")
    if ROUNDS < 1:
        sys.exit("bench: BENCH_ROUNDS must be at least 1")

    signal.signal(signal.SIGTERM, lambda *_: (cleanup(), sys.exit(1)))
    os.makedirs(OUT, exist_ok=True)
    lock = take_lock()  # noqa: F841 - held until exit
    stamp = datetime.datetime.now().strftime("%Y%m%d-%H%M%S")
    rundir = os.path.join(OUT, "runs", stamp)
    logdir = os.path.join(rundir, "logs")
    os.makedirs(logdir, exist_ok=True)

    # others may rebuild build/halyard meanwhile: every round runs one copy
    snap = os.path.join(rundir, "halyard")
    shutil.copy2(tools["halyard"], snap)
    tools["halyard_src"], tools["halyard"] = tools["halyard"], snap
    for p in LOG_TARGET_PROXIES:
        tools[p] = tools[p.partition("-")[0]]
    env = environment(tools, scenarios)
    load_start = os.getloadavg()
    log(title(scenarios) + "\n")
    log("\n".join(env))
    if load_start[0] > 0.5:
        log(f"- note: load average {load_start[0]:.2f} at start: something else is running, "
            "numbers will be noisy")

    port = free_port(set())
    oport = free_port({port})
    cfgs, shown = write_configs(scenarios, rundir, port, oport)
    log("\n## Configurations\n")
    log("\n\n".join(shown))
    log(f"\nproxy logs: {os.path.relpath(logdir, ROOT)}/\n")

    refused, failures = check_configs(scenarios, cfgs, tools)
    try:
        results, round_failures = run_rounds(scenarios, cfgs, refused, tools, port, oport,
                                             logdir)
        failures += round_failures
    except KeyboardInterrupt:
        cleanup()
        log("\ninterrupted")
        return 1
    finally:
        cleanup()

    notable = proxy_output(logdir)
    load_end = os.getloadavg()
    ratios = "halyard/haproxy" + (", and halyard/nginx in HTTP"
                                  if any(is_http(s) for s in scenarios) else "")
    md = [title(scenarios), "",
          f"Run {datetime.datetime.now().strftime('%Y-%m-%d %H:%M:%S')} by tests/bench/run.sh "
          f"{' '.join(scenarios)}", ""]
    md += env
    md.append(f"- load average: {load_start[0]:.2f} at start, {load_end[0]:.2f} at end")
    md += ["", f"Medians over the rounds; ratio = {ratios}. For `higher` metrics a "
           "ratio above 1 favours Halyard, for `lower` metrics below 1 does. Errors are the "
           "client's counts summed over all rounds. A disturbed round is one where "
           f"other processes used more than {OTHER_WARN}% of a CPU (see Rounds).",
           "",
           tables(results, scenarios, refused), "", "## Rounds", "", raw_rounds(results), ""]
    if failures:
        md += ["## Not measured", ""] + [f"- {f}" for f in failures] + [""]
    if notable:
        md += ["## Proxy output", "", "```"] + notable[:40]
        if len(notable) > 40:
            md.append(f"... {len(notable) - 40} more lines in {os.path.relpath(logdir, ROOT)}/")
        md += ["```", ""]
    md += ["## Configurations", ""] + shown + [""]
    text = "\n".join(md)
    path = os.path.join(OUT, f"results-{stamp}.md")
    with open(path, "w") as f:
        f.write(text)

    log("\n## Results\n")
    log(tables(results, scenarios, refused))
    if failures:
        log("\nNot measured:\n" + "\n".join(f"- {f}" for f in failures))
    if notable:
        log("\nProxy output (first lines):\n" + "\n".join(notable[:10]))
    log(f"\nfull report: {os.path.relpath(path, ROOT)}")
    return 1 if failures else 0


if __name__ == "__main__":
    sys.exit(main())
