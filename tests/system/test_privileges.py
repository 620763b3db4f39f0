"""Privileges of the worker, read from /proc/<pid>/ of the serving process:
chroot to a directory, chroot auto (an unlinked directory), user/group, and
no-new-privileges; in master-worker mode the master keeps root while the
worker drops it. Needs root (CI runs as root); reports a failure otherwise."""
import os
import socket
import subprocess
import sys
import tempfile
import time

from halyard_test import check, summary, free_port

HALYARD = os.environ.get("HALYARD")


def status(pid, field):
    for line in open(f"/proc/{pid}/status"):
        if line.startswith(field + ":"):
            return line.split()[1:]
    return []


def children(pid):
    try:
        return [int(p) for p in open(f"/proc/{pid}/task/{pid}/children").read().split()]
    except OSError:
        return []


def start(cfg_text, args, tmp):
    cfg = f"{tmp}/h.cfg"
    open(cfg, "w").write(cfg_text)
    p = subprocess.Popen([HALYARD, *args, "-f", cfg], stderr=subprocess.PIPE, text=True)
    time.sleep(0.8)
    return p


def config(port, glob):
    return f"""global
{glob}
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen l
    bind 127.0.0.1:{port}
    server s 127.0.0.1:1
"""


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    check("running as root (needed to drop privileges)", os.geteuid() == 0)
    tmp = tempfile.mkdtemp(prefix="halyard-priv-")
    jail = f"{tmp}/jail"
    os.mkdir(jail, 0o555)
    procs = []
    try:
        p = start(config(free_port(), f"    chroot {jail}\n    user nobody\n    group nogroup"),
                  [], tmp)
        procs.append(p)
        check("chroot DIR: root is the jail", os.readlink(f"/proc/{p.pid}/root") == jail,
              os.readlink(f"/proc/{p.pid}/root"))
        check("user nobody", status(p.pid, "Uid")[:1] == ["65534"], status(p.pid, "Uid"))
        check("group nogroup", status(p.pid, "Gid")[:1] == ["65534"], status(p.pid, "Gid"))
        check("supplementary groups dropped", status(p.pid, "Groups") == [],
              status(p.pid, "Groups"))
        check("no-new-privileges", status(p.pid, "NoNewPrivs") == ["1"])
        p.terminate()
        p.wait(5)

        p = start(config(free_port(), "    chroot auto\n    user nobody"), [], tmp)
        procs.append(p)
        root = os.readlink(f"/proc/{p.pid}/root")
        check("chroot auto: an unlinked directory", root.endswith("(deleted)"), root)
        check("chroot auto: nothing left in /tmp",
              not os.path.exists(root.replace(" (deleted)", "")))
        p.terminate()
        p.wait(5)

        p = start(config(free_port(), "    chroot auto\n    user nobody\n    insecure-setuid-wanted"),
                  [], tmp)
        procs.append(p)
        check("insecure-setuid-wanted keeps setuid possible",
              status(p.pid, "NoNewPrivs") == ["0"])
        p.terminate()
        p.wait(5)

        p = start(config(free_port(), "    chroot auto\n    user nobody"),
                  ["-W", "-S", f"{tmp}/m.sock"], tmp)
        procs.append(p)
        workers = children(p.pid)
        check("master-worker: one worker", len(workers) == 1, workers)
        if workers:
            w = workers[0]
            check("worker dropped to nobody", status(w, "Uid")[:1] == ["65534"])
            check("worker chrooted", os.readlink(f"/proc/{w}/root").endswith("(deleted)"))
            check("master keeps root (it binds on reload)", status(p.pid, "Uid")[:1] == ["0"])
        p.terminate()
        p.wait(5)

        p = start(config(free_port(), "    chroot /nonexistent-halyard-jail"), [], tmp)
        procs.append(p)
        rc = p.wait(5)
        err = p.stderr.read()
        check("a missing chroot directory is fatal", rc != 0 and "Cannot chroot" in err, err)
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
