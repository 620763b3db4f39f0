#!/usr/bin/env python3
"""System tests of the master-worker mode (-W, -S master CLI, reloads).

Started by tests/system/run.sh with HALYARD=<binary>. Python 3 standard
library only. Every case starts its own master with a generated
configuration in a temporary directory, free loopback ports, and small
threaded TCP backends written here.

Cases:
  show_proc_format        "show proc": header, master row, "# workers",
                          one worker, no "# old workers", "# programs",
                          empty line; fixed 15-column layout; "show proc
                          json" agrees
  worker_show_info        "@1 show info" / "@!<pid> show info" give the
                          worker's Pid and Nbthread; "@1" alone switches
                          the context, "@" goes back to the master
  reload_cli              "reload": Success=1, new worker, the old one is
                          listed as old (or gone), then exits and is reaped;
                          the listening socket is the same one
  reload_signals          SIGUSR2 and SIGHUP each give a new worker
  reload_new_binary       a reload runs the binary now installed at the
                          master's path, not the one it started from
  reload_changed_bind     a reload keeps the socket of an address still
                          configured, closes a removed one, binds a new one
  failed_reload           bad config: Success=0 with the ALERT lines,
                          "[failed: 1]", prompt "master[ReloadFailed]> ",
                          old worker still serves; fixed config reloads;
                          clients connecting meanwhile all succeed
  long_connections        connections opened before each of two reloads
                          keep working; their old workers stay listed until
                          they close, then exit
  hard_stop_after         "hard-stop-after 2s": an old worker holding an
                          idle connection exits 2-4 s after the reload
  load_new_connections    20 reloads while clients open new connections
                          continuously: no failed request
  load_persistent         20 reloads while clients send requests on
                          long-lived connections: no failed request
  levels                  "-S ...,level,user" may "show proc" but not
                          reload; "operator" may reload; "user" command
                          lowers an admin session; "mode,600" applies
  sigusr1_soft_stop       SIGUSR1 on the master: the open connection
                          finishes, then master and worker exit
  sigterm                 SIGTERM on the master: master and worker exit
                          promptly even with a connection open
  daemon_pidfile          -W -D -p: launcher exits, pidfile has the
                          master's pid, traffic flows

Prints one "ok/FAIL <case>" line per case and "N passed, N failed"; exits 1
on any failure. Optional arguments select cases by name.
"""
import json
import os
import re
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import threading
import time
import traceback

HALYARD = os.environ.get("HALYARD")
if not HALYARD or not os.access(HALYARD, os.X_OK):
    print("HALYARD must point to the halyard binary", file=sys.stderr)
    sys.exit(2)
HALYARD = os.path.realpath(HALYARD)

TOTAL_BUDGET = 145.0  # seconds for the whole file
TMP = tempfile.mkdtemp(prefix="halyard-mw-")
MASTERS = []        # every Master object, for the final cleanup
FOREIGN_PIDS = set()  # workers and daemonised masters (not our children)
BINARIES = {HALYARD}  # paths whose processes the cleanup may kill
threading.stack_size(512 * 1024)


class Failure(Exception):
    pass


def check(cond, msg):
    if not cond:
        raise Failure(msg)


# --------------------------------------------------------------------------
# Generic helpers
# --------------------------------------------------------------------------

def free_port():
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def connect(port, timeout=5.0):
    s = socket.create_connection(("127.0.0.1", port), timeout=timeout)
    s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return s


def recv_exact(sock, n, timeout=5.0):
    sock.settimeout(timeout)
    buf = bytearray()
    while len(buf) < n:
        chunk = sock.recv(n - len(buf))
        if not chunk:
            raise Failure("EOF after %d of %d bytes" % (len(buf), n))
        buf += chunk
    return bytes(buf)


def ping(sock, payload, timeout=5.0):
    """Sends payload and checks that the echo comes back identical."""
    sock.sendall(payload)
    got = recv_exact(sock, len(payload), timeout)
    check(got == payload, "echo mismatch: sent %r, got %r" % (payload[:40], got[:40]))


def echo_once(port, payload=b"hello\n", timeout=5.0):
    s = connect(port, timeout)
    try:
        ping(s, payload, timeout)
    finally:
        s.close()


def closed_by_peer(sock, timeout):
    """True if the peer closes (EOF or reset) within timeout."""
    end = time.monotonic() + timeout
    while True:
        left = end - time.monotonic()
        if left <= 0:
            return False
        sock.settimeout(left)
        try:
            if not sock.recv(65536):
                return True
        except socket.timeout:
            return False
        except (ConnectionResetError, BrokenPipeError):
            return True


def wait_for(pred, timeout, step=0.05):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        if pred():
            return True
        time.sleep(step)
    return pred()


def pid_exists(pid):
    """True while the pid exists (a zombie still counts)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def pid_state(pid):
    try:
        with open("/proc/%d/stat" % pid) as f:
            return f.read().rsplit(")", 1)[1].split()[0]
    except OSError:
        return "gone"


def is_ours(pid):
    """True if pid runs one of the binaries this file started."""
    try:
        exe = os.readlink("/proc/%d/exe" % pid)
    except OSError:
        return False
    exe = exe[:-len(" (deleted)")] if exe.endswith(" (deleted)") else exe
    return exe in BINARIES


def listen_inodes(port):
    """Inodes of the IPv4 sockets listening on 127.0.0.1:<port>."""
    want = "0100007F:%04X" % port
    inodes = set()
    with open("/proc/net/tcp") as f:
        next(f)
        for line in f:
            fields = line.split()
            if fields[1] == want and fields[3] == "0A":
                inodes.add(fields[9])
    return inodes


class Backend:
    """Threaded TCP echo server."""

    def __init__(self):
        self.sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        self.sock.bind(("127.0.0.1", 0))
        self.sock.listen(1024)
        self.port = self.sock.getsockname()[1]
        self.lock = threading.Lock()
        self.conns = []
        self.stopping = False
        threading.Thread(target=self._loop, daemon=True).start()

    def _loop(self):
        while not self.stopping:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with self.lock:
                self.conns.append(conn)
            threading.Thread(target=self._run, args=(conn,), daemon=True).start()

    def _run(self, conn):
        try:
            conn.settimeout(60)
            while True:
                data = conn.recv(65536)
                if not data:
                    return
                conn.sendall(data)
        except OSError:
            pass
        finally:
            with self.lock:
                if conn in self.conns:
                    self.conns.remove(conn)
            try:
                conn.close()
            except OSError:
                pass

    def stop(self):
        self.stopping = True
        try:
            self.sock.close()
        except OSError:
            pass
        with self.lock:
            conns = list(self.conns)
        for c in conns:
            try:
                c.close()
            except OSError:
                pass


def proxy_config(port, be_port, global_lines=()):
    g = ["global"] + ["    " + l for l in global_lines]
    return "\n".join(g) + """

defaults
    mode tcp
    timeout connect 2s
    timeout client 30s
    timeout server 30s

frontend fe
    bind 127.0.0.1:%d
    default_backend be

backend be
    server s1 127.0.0.1:%d
""" % (port, be_port)


# --------------------------------------------------------------------------
# "show proc" parsing (strict: every output must have the exact layout)
# --------------------------------------------------------------------------

HEADER = "#<PID>          <type>          <reloads>       <uptime>        <version>      "
UPTIME = r"\d+d\d\dh\d\dm\d\ds"
MASTER_RE = re.compile(r"^(\d+) +master +(\d+) \[failed: (\d+)\] +(%s) +(\S+) *$" % UPTIME)
WORKER_RE = re.compile(r"^(\d+) +worker +(\d+) +(%s) +(\S+) *$" % UPTIME)


def columns(*fields):
    """The row HAProxy prints: 15-wide left-aligned columns, one space apart."""
    return ("%-15s %-15s %-15s %-15s %s" % fields).rstrip()


class ProcList:
    def __init__(self, raw):
        self.raw = raw
        check(raw.endswith("\n\n"), "show proc does not end with an empty line: %r" % raw[-80:])
        lines = raw[:-2].split("\n")
        check(len(lines) >= 4, "show proc too short: %r" % raw)
        check(lines[0] == HEADER, "show proc header %r, expected %r" % (lines[0], HEADER))
        m = MASTER_RE.match(lines[1])
        check(m, "bad master row %r" % lines[1])
        self.master_pid, self.reloads, self.failed = int(m.group(1)), int(m.group(2)), int(m.group(3))
        self.version = m.group(5)
        self.master_uptime = m.group(4)
        exp = columns(m.group(1), "master", "%s [failed: %s]" % (m.group(2), m.group(3)),
                      m.group(4), m.group(5))
        check(lines[1].rstrip() == exp, "master row columns %r, expected %r" % (lines[1], exp))
        check(lines[2] == "# workers", "line 3 is %r, expected '# workers'" % lines[2])
        i = 3
        self.workers, i = self._rows(lines, i)
        self.old = []
        self.has_old_section = False
        if i < len(lines) and lines[i] == "# old workers":
            self.has_old_section = True
            self.old, i = self._rows(lines, i + 1)
            check(self.old, "'# old workers' section without rows: %r" % raw)
        check(i < len(lines) and lines[i] == "# programs",
              "expected '# programs' at line %d: %r" % (i + 1, raw))
        check(i == len(lines) - 1, "unexpected lines after '# programs': %r" % raw)

    def _rows(self, lines, i):
        rows = []
        while i < len(lines) and not lines[i].startswith("#"):
            m = WORKER_RE.match(lines[i])
            check(m, "bad worker row %r" % lines[i])
            exp = columns(m.group(1), "worker", m.group(2), m.group(3), m.group(4))
            check(lines[i].rstrip() == exp, "worker row columns %r, expected %r" % (lines[i], exp))
            rows.append({"pid": int(m.group(1)), "reloads": int(m.group(2)),
                         "uptime": m.group(3), "version": m.group(4)})
            i += 1
        return rows, i

    @property
    def worker_pids(self):
        return [w["pid"] for w in self.workers]

    @property
    def old_pids(self):
        return [w["pid"] for w in self.old]


# --------------------------------------------------------------------------
# Master process wrapper
# --------------------------------------------------------------------------

class Master:
    count = 0

    def __init__(self, cfg_text, sockopts=("",), args=(), binary=None):
        Master.count += 1
        self.dir = os.path.join(TMP, "m%d" % Master.count)
        os.makedirs(self.dir, exist_ok=True)
        self.cfg = os.path.join(self.dir, "haproxy.cfg")
        self.log = os.path.join(self.dir, "log")
        self.socks = [os.path.join(self.dir, "master%d.sock" % i) for i in range(len(sockopts))]
        self.sockopts = list(sockopts)
        self.args = list(args)
        self.binary = binary or HALYARD
        self.proc = None
        self.pid = None
        self.write_cfg(cfg_text)
        MASTERS.append(self)

    def write_cfg(self, text):
        tmp = self.cfg + ".tmp"
        with open(tmp, "w") as f:
            f.write(text)
        os.replace(tmp, self.cfg)

    def command(self):
        cmd = [self.binary, "-W"]
        for path, opt in zip(self.socks, self.sockopts):
            cmd += ["-S", path + opt]
        return cmd + ["-f", self.cfg] + self.args

    def start(self):
        logf = open(self.log, "ab")
        try:
            self.proc = subprocess.Popen(self.command(), stdin=subprocess.DEVNULL, stdout=logf,
                                         stderr=subprocess.STDOUT, cwd=self.dir)
        finally:
            logf.close()
        self.pid = self.proc.pid
        self.wait_worker()
        return self

    def wait_worker(self, timeout=10.0):
        """Waits until the master CLI lists a current worker; returns the list."""
        end = time.monotonic() + timeout
        last = None
        while time.monotonic() < end:
            if self.proc is not None and self.proc.poll() is not None:
                raise Failure("master exited (%s) at start-up:\n%s"
                              % (self.proc.returncode, self.log_tail()))
            try:
                pl = self.show_proc(timeout=2.0)
                if pl.workers:
                    return pl
            except (OSError, Failure) as e:
                last = e
            time.sleep(0.05)
        raise Failure("no worker after %.0fs (%s):\n%s" % (timeout, last, self.log_tail()))

    def cli(self, cmd, sock=0, timeout=5.0):
        """One non-interactive master CLI exchange: the reply up to EOF."""
        s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        s.settimeout(timeout)
        try:
            s.connect(self.socks[sock])
            s.sendall(cmd.encode() + b"\n")
            s.shutdown(socket.SHUT_WR)
            end = time.monotonic() + timeout
            buf = bytearray()
            while True:
                left = end - time.monotonic()
                if left <= 0:
                    raise Failure("master CLI %r: no EOF after %.0fs, got %r"
                                  % (cmd, timeout, bytes(buf[-200:])))
                s.settimeout(left)
                try:
                    chunk = s.recv(65536)
                except socket.timeout:
                    continue
                if not chunk:
                    return buf.decode(errors="replace")
                buf += chunk
        finally:
            s.close()

    def show_proc(self, timeout=5.0):
        pl = ProcList(self.cli("show proc", timeout=timeout))
        FOREIGN_PIDS.update(pl.worker_pids + pl.old_pids)
        return pl

    def reload(self, cmd="reload", timeout=30.0):
        """Returns (success, startup messages)."""
        out = self.cli(cmd, timeout=timeout)
        m = re.match(r"Success=([01])\n--\n", out)
        check(m, "%r answered %r" % (cmd, out[:500]))
        return int(m.group(1)), out[m.end():]

    def worker_info(self, target="@1", timeout=5.0):
        out = self.cli("%s show info" % target, timeout=timeout)
        info = {}
        for line in out.splitlines():
            k, sep, v = line.partition(": ")
            if sep:
                info[k] = v
        return info, out

    def current_worker(self):
        pl = self.show_proc()
        check(len(pl.workers) == 1, "expected one current worker: %r" % pl.raw)
        return pl.workers[0]["pid"]

    def wait_new_worker(self, old_pid, timeout=15.0):
        found = {}

        def pred():
            try:
                pl = self.show_proc(timeout=2.0)
            except (OSError, Failure):
                return False
            if len(pl.workers) == 1 and pl.workers[0]["pid"] != old_pid:
                found["pl"] = pl
                return True
            return False

        check(wait_for(pred, timeout, 0.1),
              "no new worker after %.0fs (old %d):\n%s" % (timeout, old_pid, self.log_tail()))
        return found["pl"]

    def log_tail(self, n=25):
        try:
            with open(self.log, "rb") as f:
                lines = f.read().decode(errors="replace").splitlines()
            return "\n".join("    | " + l for l in lines[-n:])
        except OSError:
            return "    | (no log)"

    def stop(self):
        """SIGTERM the master; SIGKILL whatever is left of it and its workers."""
        workers = []
        try:
            if self.pid and pid_exists(self.pid):
                pl = self.show_proc(timeout=1.0)
                workers = pl.worker_pids + pl.old_pids
        except (OSError, Failure):
            pass
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(5)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(5)
        elif self.proc is None and self.pid and pid_exists(self.pid) and is_ours(self.pid):
            os.kill(self.pid, signal.SIGTERM)
            if not wait_for(lambda: not pid_exists(self.pid), 5):
                os.kill(self.pid, signal.SIGKILL)
        for pid in workers:
            if pid_exists(pid) and is_ours(pid):
                wait_for(lambda: not pid_exists(pid), 2)
                if pid_exists(pid) and is_ours(pid):
                    os.kill(pid, signal.SIGKILL)


class Session:
    """An interactive master CLI session (after "prompt")."""

    PROMPT_RE = re.compile(r"(master(\[ReloadFailed\])?|\d+)(\([xed]+\))?> $")

    def __init__(self, path, timeout=5.0):
        self.s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
        self.s.settimeout(timeout)
        self.s.connect(path)
        self.timeout = timeout

    def run(self, line):
        """Sends one line; returns (output, prompt)."""
        self.s.sendall(line.encode() + b"\n")
        end = time.monotonic() + self.timeout
        buf = ""
        while True:
            m = self.PROMPT_RE.search(buf)
            if m and m.end() == len(buf):
                return buf[:m.start()], m.group(0)
            left = end - time.monotonic()
            if left <= 0:
                raise Failure("no prompt after %r, got %r" % (line, buf[-300:]))
            self.s.settimeout(left)
            try:
                chunk = self.s.recv(65536)
            except socket.timeout:
                continue
            if not chunk:
                raise Failure("session closed after %r, got %r" % (line, buf[-300:]))
            buf += chunk.decode(errors="replace")

    def close(self):
        self.s.close()


def wait_pids_gone(pids, timeout):
    return wait_for(lambda: not any(pid_exists(p) for p in pids), timeout)


def describe_pids(pids):
    return ", ".join("%d:%s" % (p, pid_state(p)) for p in pids if pid_exists(p))


def setup(global_lines=(), sockopts=("",), args=(), binary=None):
    be = Backend()
    port = free_port()
    m = Master(proxy_config(port, be.port, global_lines), sockopts, args, binary)
    return be, port, m


# --------------------------------------------------------------------------
# Cases
# --------------------------------------------------------------------------

def t_show_proc_format():
    be, port, m = setup()
    try:
        m.start()
        time.sleep(0.2)
        raw = m.cli("show proc")
        pl = ProcList(raw)
        check(pl.master_pid == m.pid, "master row pid %d, master is %d" % (pl.master_pid, m.pid))
        check((pl.reloads, pl.failed) == (0, 0), "fresh master: reloads %d failed %d"
              % (pl.reloads, pl.failed))
        check(len(pl.workers) == 1, "one worker expected: %r" % raw)
        check(not pl.has_old_section, "'# old workers' listed on a fresh master: %r" % raw)
        w = pl.workers[0]
        check(w["reloads"] == 0, "fresh worker reloads %d" % w["reloads"])
        check(w["version"] == pl.version, "versions differ: %r" % raw)
        ver = m.cli("show version").strip()
        check(ver == pl.version, "show version %r, show proc says %r" % (ver, pl.version))
        check(pid_exists(w["pid"]) and w["pid"] != m.pid, "worker pid %d not running" % w["pid"])
        with open("/proc/%d/stat" % w["pid"]) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        check(ppid == m.pid, "worker's parent is %d, not the master %d" % (ppid, m.pid))
        # the expected layout, field by field
        exp_lines = [HEADER,
                     columns(str(m.pid), "master", "0 [failed: 0]", pl.master_uptime,
                             pl.version),
                     "# workers",
                     columns(str(w["pid"]), "worker", "0", w["uptime"], pl.version),
                     "# programs", "", ""]
        got = [l.rstrip() if i else l for i, l in enumerate(raw.split("\n"))]
        check(got == exp_lines, "show proc:\n%s\nexpected:\n%s" % (raw, "\n".join(exp_lines)))
        js = json.loads(m.cli("show proc json"))
        check(isinstance(js, list) and len(js) == 2, "show proc json: %r" % js)
        check(js[0].get("type") == "master" and js[0].get("pid") == m.pid, "json master %r" % js[0])
        check(js[1].get("type") == "worker" and js[1].get("pid") == w["pid"]
              and js[1].get("current") is True, "json worker %r" % js[1])
        echo_once(port)
    finally:
        m.stop()
        be.stop()


def t_worker_show_info():
    be, port, m = setup()
    try:
        m.start()
        wpid = m.current_worker()
        info, out = m.worker_info("@1")
        check(info.get("Pid") == str(wpid), "@1 show info Pid %r, show proc worker %d:\n%s"
              % (info.get("Pid"), wpid, out[:400]))
        check(re.fullmatch(r"[1-9]\d*", info.get("Nbthread", "")), "Nbthread %r" % info.get("Nbthread"))
        check(info.get("Process_num") == "1", "Process_num %r" % info.get("Process_num"))
        info2, out2 = m.worker_info("@!%d" % wpid)
        check(info2.get("Pid") == str(wpid), "@!%d show info Pid %r:\n%r\n%s" % (wpid, info2.get("Pid"), out2[:300], m.log_tail()))
        # context switch in a non-interactive line
        out = m.cli("@1; show info; @; show version")
        check("Pid: %d\n" % wpid in out, "'@1; show info' did not reach the worker: %r\n%s" % (out[:300], m.log_tail()))
        check(out.rstrip("\n").endswith(m.cli("show version").strip()),
              "'@' did not return to the master: %r" % out[-200:])
        # CurrConns counts an open connection
        c = connect(port)
        try:
            ping(c, b"x")
            info, out = m.worker_info("@1")
            check(info.get("CurrConns") == "1", "CurrConns %r with one connection open"
                  % info.get("CurrConns"))
        finally:
            c.close()
        # interactive: prompts follow the context
        s = Session(m.socks[0])
        try:
            _, p = s.run("prompt")
            check(p == "master> ", "prompt %r, expected 'master> '" % p)
            _, p = s.run("@1")
            check(p == "%d> " % wpid, "prompt after @1 %r, expected '%d> '" % (p, wpid))
            out, p = s.run("show info")
            check("Pid: %d\n" % wpid in out, "show info in worker context: %r" % out[:300])
            check(p == "%d> " % wpid, "prompt %r after a worker command" % p)
            _, p = s.run("@")
            check(p == "master> ", "prompt after @ %r" % p)
            out, p = s.run("show proc")
            ProcList(out if out.endswith("\n\n") else out + "\n")
            out, p = s.run("@5 show info")
            check("Can't find" in out or "not" in out.lower(), "@5 with one worker: %r" % out)
        finally:
            s.close()
    finally:
        m.stop()
        be.stop()


def t_reload_cli():
    be, port, m = setup()
    try:
        m.start()
        old = m.current_worker()
        lst = listen_inodes(port)
        check(len(lst) == 1, "listening sockets on the port: %r" % lst)
        ok, logs = m.reload()
        check(ok == 1, "reload: Success=%d\n%s" % (ok, logs))
        check(listen_inodes(port) == lst, "the listening socket changed on reload: %r -> %r"
              % (lst, listen_inodes(port)))
        pl = m.show_proc()
        check(pl.master_pid == m.pid, "master pid changed %d -> %d" % (m.pid, pl.master_pid))
        check(pl.reloads == 1 and pl.failed == 0, "master row after a reload: %r" % pl.raw)
        check(len(pl.workers) == 1 and pl.workers[0]["pid"] != old,
              "expected one new worker: %r" % pl.raw)
        new = pl.workers[0]["pid"]
        check(pl.workers[0]["reloads"] == 0, "new worker reloads %d" % pl.workers[0]["reloads"])
        check("New worker (%d)" % new in logs, "reload messages do not name worker %d: %r" % (new, logs))
        check("Loading success." in logs, "no 'Loading success.' in %r" % logs)
        if old in pl.old_pids:
            row = pl.old[pl.old_pids.index(old)]
            check(row["reloads"] == 1, "old worker reloads %d, expected 1" % row["reloads"])
        else:
            check(old not in pl.worker_pids and not pl.has_old_section,
                  "old worker %d misplaced: %r" % (old, pl.raw))

        def old_gone_from_list():
            p = m.show_proc()
            return old not in p.old_pids and not p.has_old_section

        check(wait_for(old_gone_from_list, 5), "old worker %d still listed after 5s:\n%s"
              % (old, m.cli("show proc")))
        check(wait_pids_gone([old], 5), "old worker %d still exists (state %s) 5s after the reload"
              % (old, pid_state(old)))
        check(m.proc.poll() is None, "master exited")
        echo_once(port)
        info, _ = m.worker_info("@1")
        check(info.get("Pid") == str(new), "@1 now reaches %r, expected %d" % (info.get("Pid"), new))
        # a second reload: master counter goes on
        ok, logs = m.reload()
        check(ok == 1, "second reload: %r" % logs)
        pl = m.show_proc()
        check(pl.reloads == 2, "master reloads %d after two reloads" % pl.reloads)
        check(pl.workers[0]["pid"] not in (old, new), "no new worker on the second reload")
        check(wait_pids_gone([new], 5), "worker %d left after the second reload" % new)
        check(listen_inodes(port) == lst, "the listening socket changed on the second reload")
        echo_once(port)
    finally:
        m.stop()
        be.stop()


def t_reload_signals():
    be, port, m = setup()
    try:
        m.start()
        for sig in (signal.SIGUSR2, signal.SIGHUP):
            old = m.current_worker()
            os.kill(m.pid, sig)
            pl = m.wait_new_worker(old)
            check(pl.master_pid == m.pid, "master pid changed")
            check(m.proc.poll() is None, "master exited on %s" % sig.name)
            new = pl.workers[0]["pid"]
            check(wait_pids_gone([old], 5), "%s: old worker %d still exists (%s)"
                  % (sig.name, old, pid_state(old)))
            echo_once(port)
            check(new != old, "same worker")
        pl = m.show_proc()
        check(pl.reloads == 2, "master reloads %d after SIGUSR2 + SIGHUP" % pl.reloads)
    finally:
        m.stop()
        be.stop()


def t_reload_new_binary():
    bindir = os.path.join(TMP, "bin")
    os.makedirs(bindir, exist_ok=True)
    path = os.path.join(bindir, "halyard")
    shutil.copy2(HALYARD, path)
    BINARIES.add(path)
    be, port, m = setup(binary=path)
    try:
        m.start()
        ino0 = os.stat("/proc/%d/exe" % m.pid).st_ino
        check(ino0 == os.stat(path).st_ino, "master does not run %s" % path)
        # install a new binary at the same path, as a package upgrade does
        shutil.copy2(HALYARD, path + ".new")
        os.replace(path + ".new", path)
        ino1 = os.stat(path).st_ino
        check(ino1 != ino0, "test setup: same inode")
        old = m.current_worker()
        ok, logs = m.reload()
        check(ok == 1, "reload: %r" % logs)
        got = os.stat("/proc/%d/exe" % m.pid).st_ino
        check(got == ino1, "after the reload the master still runs the replaced binary "
              "(exe -> %s), not the one now at %s"
              % (os.readlink("/proc/%d/exe" % m.pid), path))
        new = m.current_worker()
        check(os.stat("/proc/%d/exe" % new).st_ino == ino1, "new worker runs the old binary")
        check(wait_pids_gone([old], 5), "old worker left")
        echo_once(port)
    finally:
        m.stop()
        be.stop()


def t_reload_changed_bind():
    be = Backend()
    a, b, c = free_port(), free_port(), free_port()

    def cfg(ports):
        out = "defaults\n    mode tcp\n    timeout connect 2s\n    timeout client 30s\n" \
              "    timeout server 30s\n\nbackend be\n    server s1 127.0.0.1:%d\n" % be.port
        for p in ports:
            out += "\nfrontend fe%d\n    bind 127.0.0.1:%d\n    default_backend be\n" % (p, p)
        return out

    m = Master(cfg([a, b]))
    try:
        m.start()
        la = listen_inodes(a)
        check(len(la) == 1 and len(listen_inodes(b)) == 1, "not listening on both ports")
        echo_once(a)
        echo_once(b)
        old = m.current_worker()
        m.write_cfg(cfg([a, c]))
        ok, logs = m.reload()
        check(ok == 1, "reload: %r" % logs)
        check(listen_inodes(a) == la, "kept address %d got a new socket" % a)
        echo_once(a)
        echo_once(c)
        check(wait_pids_gone([old], 5), "old worker left")
        check(not listen_inodes(b), "port %d removed from the configuration is still "
              "listening (inodes %r)" % (b, listen_inodes(b)))
        try:
            echo_once(b, timeout=1.0)
            raise Failure("removed port %d still serves" % b)
        except OSError:
            pass
    finally:
        m.stop()
        be.stop()


BAD_LINE = "this-is-not-a-keyword at all\n"


def t_failed_reload():
    be, port, m = setup()
    good = proxy_config(port, be.port)
    load = None
    try:
        m.start()
        w = m.current_worker()
        lst = listen_inodes(port)
        # clients keep connecting through the failed and the fixed reloads
        load = Load(port, 2, False).start()
        m.write_cfg(good + BAD_LINE)
        ok, logs = m.reload()
        check(ok == 0, "reload of a bad config answered Success=%d:\n%s" % (ok, logs))
        alerts = [l for l in logs.splitlines() if l.startswith("[ALERT]")]
        check(alerts, "no [ALERT] line in the reload answer: %r" % logs)
        check(any("this-is-not-a-keyword" in l for l in alerts),
              "the ALERT lines do not name the bad keyword: %r" % alerts)
        check(re.search(r"^\[ALERT\] +\(%d\) : " % m.pid, logs, re.M),
              "ALERT lines not tagged with the master pid %d: %r" % (m.pid, alerts))
        check("Loading failure!" in logs, "no 'Loading failure!' in %r" % logs)
        check(m.proc.poll() is None, "master exited after a failed reload:\n%s" % m.log_tail())
        pl = m.show_proc()
        check(pl.failed == 1 and pl.reloads == 1,
              "master row after a failed reload: %r" % pl.raw.split("\n")[1])
        check("[failed: 1]" in pl.raw.split("\n")[1], "no [failed: 1]: %r" % pl.raw)
        check(pl.worker_pids == [w], "worker changed on a failed reload: %r" % pl.raw)
        check(not pl.has_old_section, "old workers after a failed reload: %r" % pl.raw)
        startup = m.cli("show startup-logs")
        check("this-is-not-a-keyword" in startup, "show startup-logs lacks the failure: %r" % startup)
        s = Session(m.socks[0])
        try:
            _, p = s.run("prompt")
            check(p == "master[ReloadFailed]> ", "prompt %r after a failed reload" % p)
        finally:
            s.close()
        # the old worker still serves, new connections included
        for i in range(20):
            echo_once(port, b"after-failure-%d\n" % i)
        info, _ = m.worker_info("@1")
        check(info.get("Pid") == str(w), "@1 reaches %r, expected %d" % (info.get("Pid"), w))
        # a second failure counts too
        ok, _ = m.reload()
        check(ok == 0, "second bad reload answered Success=%d" % ok)
        check(m.show_proc().failed == 2, "failed counter after two failures")
        # fixed configuration
        m.write_cfg(good)
        ok, logs = m.reload()
        check(ok == 1, "reload of the fixed config: Success=%d:\n%s" % (ok, logs))
        pl = m.show_proc()
        check(pl.reloads == 3 and pl.failed == 2, "master row %r" % pl.raw.split("\n")[1])
        check(len(pl.workers) == 1 and pl.workers[0]["pid"] != w, "no new worker: %r" % pl.raw)
        s = Session(m.socks[0])
        try:
            _, p = s.run("prompt")
            check(p == "master> ", "prompt %r after a successful reload" % p)
        finally:
            s.close()
        check(wait_pids_gone([w], 5), "old worker %d left after the good reload" % w)
        time.sleep(0.2)
        load.stop()
        check(load.failures == 0 and load.attempts > 50,
              "clients during the failed and fixed reloads: %d requests, %d failed: %s"
              % (load.attempts, load.failures, load.errors[:3]))
        check(listen_inodes(port) == lst, "listening socket changed across failed + fixed "
              "reloads: %r -> %r" % (lst, listen_inodes(port)))
        echo_once(port)
    finally:
        if load is not None:
            load.stop_ev.set()
        m.stop()
        be.stop()


def t_long_connections():
    be, port, m = setup()
    conns = []
    try:
        m.start()
        w0 = m.current_worker()
        c1 = connect(port)
        conns.append(c1)
        ping(c1, b"c1-before\n")
        check(m.worker_info("@1")[0].get("CurrConns") == "1", "c1 not counted on the worker")
        ok, logs = m.reload()
        check(ok == 1, "reload 1: %r" % logs)
        w1 = m.current_worker()
        # c2 must be served by w1: retry if the leaving worker still took it
        c2 = None
        for _ in range(20):
            c = connect(port)
            ping(c, b"c2-before\n")
            if m.worker_info("@1")[0].get("CurrConns") == "1":
                c2 = c
                break
            c.close()
            time.sleep(0.1)
        check(c2 is not None, "no connection reached the new worker %d" % w1)
        conns.append(c2)
        ok, logs = m.reload()
        check(ok == 1, "reload 2: %r" % logs)
        w2 = m.current_worker()
        check(len({w0, w1, w2}) == 3, "workers not distinct: %d %d %d" % (w0, w1, w2))
        time.sleep(1.0)
        pl = m.show_proc()
        check(sorted(pl.old_pids) == sorted([w0, w1]),
              "old workers %r, expected %r:\n%s" % (pl.old_pids, [w0, w1], pl.raw))
        rel = {r["pid"]: r["reloads"] for r in pl.old}
        check(rel == {w0: 2, w1: 1}, "old workers' reload counts %r, expected {%d: 2, %d: 1}"
              % (rel, w0, w1))
        check(pid_exists(w0) and pid_exists(w1), "an old worker exited with a connection open")
        # data still flows on both, and on a new connection
        for i in range(5):
            ping(c1, b"c1-after-%d\n" % i)
            ping(c2, b"c2-after-%d\n" % i)
        ping(c1, os.urandom(200000))
        echo_once(port)
        info, _ = m.worker_info("@!%d" % w0)
        check(info.get("Pid") == str(w0), "@!%d (old worker) show info: %r\n%s" % (w0, _[:300], m.log_tail()))
        c1.close()
        check(wait_pids_gone([w0], 5), "worker %d still exists (%s) 5s after its last connection "
              "closed" % (w0, pid_state(w0)))
        pl = m.show_proc()
        check(pl.old_pids == [w1], "after c1 closed, old workers %r, expected [%d]" % (pl.old_pids, w1))
        ping(c2, b"c2-still\n")
        c2.close()
        check(wait_pids_gone([w1], 5), "worker %d still exists (%s) 5s after its last connection "
              "closed" % (w1, pid_state(w1)))
        pl = m.show_proc()
        check(not pl.has_old_section and pl.worker_pids == [w2], "final show proc: %r" % pl.raw)
    finally:
        for c in conns:
            c.close()
        m.stop()
        be.stop()


def t_hard_stop_after():
    be, port, m = setup(global_lines=("hard-stop-after 2s",))
    c = None
    try:
        m.start()
        old = m.current_worker()
        c = connect(port)
        ping(c, b"stuck\n")
        ok, logs = m.reload()
        t0 = time.monotonic()
        check(ok == 1, "reload: %r" % logs)
        check(wait_pids_gone([old], 6), "old worker %d still exists (%s) 6s after the reload"
              % (old, pid_state(old)))
        dt = time.monotonic() - t0
        check(1.5 <= dt <= 4.0, "old worker exited %.2fs after the reload, expected 2-4s" % dt)
        check(closed_by_peer(c, 2), "the stuck connection was not closed")
        pl = m.show_proc()
        check(not pl.has_old_section, "old worker still listed: %r" % pl.raw)
        echo_once(port)
    finally:
        if c:
            c.close()
        m.stop()
        be.stop()


class Load:
    """Client threads sending echo requests through the proxy until stopped.
    persistent=False: one connection per request; True: each thread keeps a
    connection for about `lifetime` seconds and sends requests on it."""

    def __init__(self, port, nthreads, persistent, lifetime=1.0):
        self.port = port
        self.persistent = persistent
        self.lifetime = lifetime
        self.stop_ev = threading.Event()
        self.lock = threading.Lock()
        self.attempts = 0
        self.failures = 0
        self.connections = 0
        self.errors = []
        self.threads = [threading.Thread(target=self._run, args=(i,), daemon=True)
                        for i in range(nthreads)]

    def start(self):
        for t in self.threads:
            t.start()
        return self

    def _count(self, err=None):
        with self.lock:
            self.attempts += 1
            if err is not None:
                self.failures += 1
                if len(self.errors) < 10:
                    self.errors.append("%.3f %s" % (time.monotonic(), err))

    def _run(self, tid):
        n = 0
        conn, born = None, 0.0
        while not self.stop_ev.is_set():
            n += 1
            payload = b"t%d-r%d-" % (tid, n) + b"x" * (n % 64) + b"\n"
            try:
                if conn is None:
                    conn = connect(self.port, 5.0)
                    born = time.monotonic()
                    with self.lock:
                        self.connections += 1
                ping(conn, payload, 5.0)
                err = None
            except (OSError, Failure) as e:
                err = "%s: %s" % (type(e).__name__, e)
                if conn is not None:
                    conn.close()
                conn = None
            self._count(err)
            if conn is not None and (not self.persistent
                                     or time.monotonic() - born > self.lifetime):
                conn.close()
                conn = None
            if not self.persistent:
                time.sleep(0.001)
            else:
                time.sleep(0.002)
        if conn is not None:
            conn.close()

    def stop(self):
        self.stop_ev.set()
        for t in self.threads:
            t.join(10)
        check(not any(t.is_alive() for t in self.threads), "load threads did not stop")


LOAD_REPORT = []


def reload_under_load(persistent):
    be, port, m = setup()
    load = None
    try:
        m.start()
        seen = [m.current_worker()]
        lst = listen_inodes(port)
        load = Load(port, 4 if persistent else 3, persistent, lifetime=0.6).start()
        time.sleep(0.3)
        t0 = time.monotonic()
        for i in range(20):
            ok, logs = m.reload()
            check(ok == 1, "reload %d of 20: %r" % (i + 1, logs))
            w = m.current_worker()
            check(w not in seen, "reload %d: no new worker" % (i + 1))
            seen.append(w)
            time.sleep(0.1)
        dt = time.monotonic() - t0
        time.sleep(0.3)
        load.stop()
        line = "%s: %d requests (%d connections) over 20 reloads in %.1fs, %d failed" % (
            "persistent" if persistent else "new-connection", load.attempts, load.connections,
            dt, load.failures)
        LOAD_REPORT.append(line)
        print("     " + line, flush=True)
        check(load.failures == 0, "%s; first errors:\n      %s"
              % (line, "\n      ".join(load.errors)))
        check(load.attempts >= 200, "too few requests to mean anything: %s" % line)
        # every old worker leaves once its connections are closed
        olds = seen[:-1]
        check(wait_pids_gone(olds, 8), "old workers still exist 8s after the load: %s"
              % describe_pids(olds))
        pl = m.show_proc()
        check(pl.worker_pids == [seen[-1]] and not pl.has_old_section,
              "final show proc: %r" % pl.raw)
        check(pl.reloads == 20 and pl.failed == 0, "master row %r" % pl.raw.split("\n")[1])
        check(listen_inodes(port) == lst, "listening socket changed over the reloads: %r -> %r"
              % (lst, listen_inodes(port)))
        echo_once(port)
    finally:
        if load is not None and not load.stop_ev.is_set():
            load.stop_ev.set()
        m.stop()
        be.stop()


def t_load_new_connections():
    reload_under_load(False)


def t_load_persistent():
    reload_under_load(True)


def t_levels():
    be, port, m = setup(sockopts=("", ",level,user,mode,600", ",level,operator"))
    try:
        m.start()
        mode = stat.S_IMODE(os.stat(m.socks[1]).st_mode)
        check(mode == 0o600, "user socket mode %o, expected 600" % mode)
        w = m.current_worker()
        for cmd in ("reload", "hard-reload"):
            out = m.cli(cmd, sock=1, timeout=10)
            check("Permission denied" in out, "level user, %r answered %r" % (cmd, out[:300]))
            check("Success=" not in out, "level user, %r reloaded: %r" % (cmd, out[:300]))
        pl = ProcList(m.cli("show proc", sock=1))
        check(pl.worker_pids == [w] and pl.reloads == 0,
              "level user: show proc %r (no reload expected)" % pl.raw)
        # "user" lowers an admin session
        out = m.cli("user; reload", sock=0, timeout=10)
        check("Permission denied" in out, "admin session after 'user': reload answered %r" % out[:300])
        check(m.show_proc().reloads == 0, "reload happened after 'user'")
        # operator may reload
        out = m.cli("reload", sock=2, timeout=30)
        check(out.startswith("Success=1\n--\n"), "level operator: reload answered %r" % out[:300])
        pl = m.show_proc()
        check(pl.reloads == 1 and pl.worker_pids != [w], "operator reload: %r" % pl.raw)
        # after the reload, the sockets keep their levels
        out = m.cli("reload", sock=1, timeout=10)
        check("Permission denied" in out, "user socket after a reload: %r" % out[:300])
        check(stat.S_IMODE(os.stat(m.socks[1]).st_mode) == 0o600, "mode lost on reload")
        echo_once(port)
    finally:
        m.stop()
        be.stop()


def t_sigusr1_soft_stop():
    be, port, m = setup()
    c = None
    try:
        m.start()
        w = m.current_worker()
        c = connect(port)
        ping(c, b"before\n")
        os.kill(m.pid, signal.SIGUSR1)
        time.sleep(1.0)
        check(m.proc.poll() is None, "master exited with a connection still open (rc %s)"
              % m.proc.returncode)
        check(pid_exists(w), "worker exited with a connection still open")
        ping(c, b"during soft stop\n")
        c.close()
        c = None
        try:
            m.proc.wait(5)
        except subprocess.TimeoutExpired:
            raise Failure("master still running 5s after the last connection closed")
        check(wait_pids_gone([w], 3), "worker %d left (%s)" % (w, pid_state(w)))
        check(not os.path.exists(m.socks[0]) or not _can_connect_unix(m.socks[0]),
              "master CLI still answering")
    finally:
        if c:
            c.close()
        m.stop()
        be.stop()


def _can_connect_unix(path):
    s = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    s.settimeout(1)
    try:
        s.connect(path)
        return True
    except OSError:
        return False
    finally:
        s.close()


def t_sigterm():
    be, port, m = setup()
    c = None
    try:
        m.start()
        w = m.current_worker()
        c = connect(port)
        ping(c, b"idle\n")
        t0 = time.monotonic()
        os.kill(m.pid, signal.SIGTERM)
        try:
            m.proc.wait(3)
        except subprocess.TimeoutExpired:
            raise Failure("master still running 3s after SIGTERM")
        check(wait_pids_gone([w], 3), "worker %d still exists (%s) 3s after SIGTERM"
              % (w, pid_state(w)))
        dt = time.monotonic() - t0
        check(closed_by_peer(c, 2), "client connection not closed")
        try:
            echo_once(port, timeout=1.0)
            raise Failure("still serving after SIGTERM")
        except OSError:
            pass
        print("     sigterm: all gone in %.2fs, master exit code %s" % (dt, m.proc.returncode),
              flush=True)
    finally:
        if c:
            c.close()
        m.stop()
        be.stop()


def t_daemon_pidfile():
    pidfile = os.path.join(TMP, "daemon.pid")
    be, port, m = setup(args=("-D", "-p", pidfile))
    mpid = None
    try:
        logf = open(m.log, "ab")
        try:
            launcher = subprocess.Popen(m.command(), stdin=subprocess.DEVNULL, stdout=logf,
                                        stderr=subprocess.STDOUT, cwd=m.dir)
        finally:
            logf.close()
        try:
            rc = launcher.wait(10)
        except subprocess.TimeoutExpired:
            launcher.kill()
            launcher.wait(5)
            raise Failure("launcher did not exit within 10s with -D")
        check(rc == 0, "launcher exit code %d:\n%s" % (rc, m.log_tail()))
        check(wait_for(lambda: os.path.exists(pidfile) and os.path.getsize(pidfile) > 0, 5),
              "no pidfile")
        with open(pidfile) as f:
            content = f.read()
        check(re.fullmatch(r"\d+\n", content), "pidfile content %r" % content)
        mpid = int(content)
        FOREIGN_PIDS.add(mpid)
        m.pid = mpid
        check(pid_exists(mpid) and is_ours(mpid), "pid %d from the pidfile is not halyard" % mpid)
        pl = m.wait_worker()
        check(pl.master_pid == mpid, "pidfile says %d, show proc master is %d"
              % (mpid, pl.master_pid))
        w = pl.workers[0]["pid"]
        with open("/proc/%d/stat" % w) as f:
            ppid = int(f.read().rsplit(")", 1)[1].split()[1])
        check(ppid == mpid, "worker's parent %d, expected the master %d" % (ppid, mpid))
        echo_once(port)
        ok, logs = m.reload()
        check(ok == 1, "reload of the daemon: %r" % logs)
        check(m.show_proc().master_pid == mpid, "master pid changed on reload")
        echo_once(port)
        os.kill(mpid, signal.SIGTERM)
        check(wait_pids_gone([mpid], 5), "daemon master still running 5s after SIGTERM")
    finally:
        m.stop()
        be.stop()


CASES = [
    ("show_proc_format", t_show_proc_format),
    ("worker_show_info", t_worker_show_info),
    ("reload_cli", t_reload_cli),
    ("reload_signals", t_reload_signals),
    ("reload_new_binary", t_reload_new_binary),
    ("reload_changed_bind", t_reload_changed_bind),
    ("failed_reload", t_failed_reload),
    ("long_connections", t_long_connections),
    ("hard_stop_after", t_hard_stop_after),
    ("load_new_connections", t_load_new_connections),
    ("load_persistent", t_load_persistent),
    ("levels", t_levels),
    ("sigusr1_soft_stop", t_sigusr1_soft_stop),
    ("sigterm", t_sigterm),
    ("daemon_pidfile", t_daemon_pidfile),
]


def cleanup():
    for m in MASTERS:
        try:
            m.stop()
        except Exception:
            pass
    pids = set(FOREIGN_PIDS)
    # anything still running one of our binaries with our temporary directory
    # on its command line (a daemon whose pidfile was never read, a worker
    # never listed...)
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open("/proc/%s/cmdline" % d, "rb") as f:
                    if TMP.encode() in f.read():
                        pids.add(int(d))
            except OSError:
                pass
    for pid in pids:
        try:
            if pid != os.getpid() and pid_exists(pid) and is_ours(pid):
                os.kill(pid, signal.SIGKILL)
        except OSError:
            pass
    shutil.rmtree(TMP, ignore_errors=True)


def watchdog():
    print("FAIL budget: the file ran over %.0fs, aborting" % TOTAL_BUDGET, flush=True)
    try:
        cleanup()
    finally:
        os._exit(1)


def main():
    only = set(sys.argv[1:])
    timer = threading.Timer(TOTAL_BUDGET, watchdog)
    timer.daemon = True
    timer.start()
    passed = failed = 0
    start = time.monotonic()
    try:
        for name, fn in CASES:
            if only and name not in only:
                continue
            t0 = time.monotonic()
            try:
                fn()
            except Failure as e:
                failed += 1
                print("FAIL %s: %s" % (name, e), flush=True)
                continue
            except Exception:
                failed += 1
                print("FAIL %s: unexpected error\n%s" % (name, traceback.format_exc()), flush=True)
                continue
            passed += 1
            print("ok   %s (%.1fs)" % (name, time.monotonic() - t0), flush=True)
    finally:
        timer.cancel()
        cleanup()
    for line in LOAD_REPORT:
        print("load: " + line)
    print("%d passed, %d failed (%.1fs)" % (passed, failed, time.monotonic() - start))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
