"""Standalone reload: `halyard -D -f cfg -x <stats socket> -sf <old pid>` takes the
listening socket from the old process (stats socket with expose-fd listeners);
no connection attempt fails while a client loop runs through the handover, the
new process serves, and the old one exits once idle."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port

HALYARD = os.environ.get("HALYARD")


def backend(stop):
    srv = socket.socket()
    srv.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    srv.bind(("127.0.0.1", 0))
    srv.listen(256)
    srv.settimeout(0.2)

    def run():
        while not stop.is_set():
            try:
                c, _ = srv.accept()
            except OSError:
                continue
            c.sendall(b"hello\n")
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def wait_pidfile(path, old=None, timeout=5):
    end = time.time() + timeout
    while time.time() < end:
        try:
            pid = int(open(path).read().strip())
            if pid != old:
                return pid
        except (OSError, ValueError):
            pass
        time.sleep(0.05)
    return None


def alive(pid):
    try:
        os.kill(pid, 0)
        return True
    except OSError:
        return False


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    tmp = tempfile.mkdtemp(prefix="halyard-xfer-")
    stop = threading.Event()
    bport, port = backend(stop), free_port()
    sock, pidfile, cfg = f"{tmp}/stats.sock", f"{tmp}/pid", f"{tmp}/h.cfg"
    open(cfg, "w").write(f"""global
    stats socket {sock} level admin expose-fd listeners
    pidfile {pidfile}
defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
listen l
    bind 127.0.0.1:{port}
    server s 127.0.0.1:{bport}
""")
    pids = []
    try:
        subprocess.run([HALYARD, "-D", "-f", cfg], check=True, timeout=10)
        old = wait_pidfile(pidfile)
        pids.append(old)
        counts = {"ok": 0, "fail": 0}
        why = []  # how the failed attempts failed, with their time

        def loop():
            while not stop.is_set():
                t0 = time.time()
                try:
                    c = socket.create_connection(("127.0.0.1", port), timeout=10)
                    got = c.recv(16)
                    ok = got.startswith(b"hello")
                    if not ok:
                        why.append(f"read {got!r} after {time.time() - t0:.3f}s")
                    c.close()
                except OSError as e:
                    ok = False
                    why.append(f"{e!r} after {time.time() - t0:.3f}s")
                counts["ok" if ok else "fail"] += 1
        t = threading.Thread(target=loop)
        t.start()
        time.sleep(0.5)
        r = subprocess.run([HALYARD, "-D", "-f", cfg, "-x", sock, "-sf", str(old)],
                           timeout=10, capture_output=True, text=True)
        check("new process starts with -x", r.returncode == 0, r.stderr)
        new = wait_pidfile(pidfile, old)
        if new:
            pids.append(new)
        check("pidfile names a new process", new and new != old)
        time.sleep(1.0)
        stop.set()
        t.join(5)
        print(f"     connections: {counts['ok']} ok, {counts['fail']} failed")
        check("no connection failed across the handover",
              counts["fail"] == 0 and counts["ok"] > 50, f"{counts} {why[:5]}")
        end = time.time() + 5
        while alive(old) and time.time() < end:
            time.sleep(0.05)
        check("old process exited after -sf", not alive(old))
        out = subprocess.run(["socat", "-", f"UNIX-CONNECT:{sock}"], input="show info\n",
                             capture_output=True, text=True, timeout=5).stdout
        check("the new process answers on the stats socket", f"Pid: {new}" in out, out[:200])
        bad = subprocess.run([HALYARD, "-f", cfg, "-x", f"{tmp}/missing.sock"],
                             capture_output=True, text=True, timeout=10)
        check("an unreachable -x socket is fatal",
              bad.returncode != 0 and "Failed to get the sockets" in bad.stderr,
              bad.stderr)
    finally:
        stop.set()
        for p in pids:
            if p and alive(p):
                os.kill(p, 9)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
