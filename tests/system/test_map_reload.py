#!/usr/bin/env python3
"""Map and ACL changes made through the runtime API survive a reload in
master-worker mode: the master replays them in the new worker.

One frontend answers every request itself with the value its map gives
for the path, and 403 when the client address is in an ACL file.  Through
the worker's stats socket the test adds, changes and deletes map entries,
commits a prepared version of a second map, adds an ACL pattern, then
reloads with `reload` on the master CLI and checks that the new worker
answers with the changed contents, that an untouched map keeps its file's
contents, and that a map file the new configuration no longer uses is
reported by the reload.
"""
import os
import socket
import subprocess
import sys
import tempfile

from halyard_test import check, cli, free_port, summary, wait_for

HALYARD = os.environ.get("HALYARD")

CONFIG = """
global
    stats socket {sock} level admin

defaults
    mode http
    timeout connect 2s
    timeout client 5s
    timeout server 5s

frontend fe
    bind 127.0.0.1:{port}
    http-request deny if {{ src -f {tmp}/deny.acl }} {{ path /denied }}
    http-request deny deny_status 401 if {{ req.hdr(x-tag) -f {tmp}/tags.acl }}
    http-request return status 200 content-type text/plain lf-string "%[path,map({tmp}/paths.map,none)] %[path,map({tmp}/versions.map,none)] %[path,map({tmp}/fixed.map,none)]{extra}"
"""


def get(port, path, tag="none"):
    """(status, body) of GET <path> with header x-tag: <tag>, or (None,
    None)."""
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=3) as s:
            s.sendall(f"GET {path} HTTP/1.1\r\nhost: x\r\nx-tag: {tag}\r\nconnection: close\r\n\r\n".encode())
            data = b""
            while True:
                d = s.recv(4096)
                if not d:
                    break
                data += d
    except OSError:
        return None, None
    head, _, body = data.partition(b"\r\n\r\n")
    parts = head.split(b" ", 2)
    return (int(parts[1]) if len(parts) > 1 else None), body.decode()


def pid_of(sock):
    try:
        for line in cli(sock, "show info").splitlines():
            if line.startswith("Pid: "):
                return int(line[5:])
    except OSError:
        return None
    return None


def write_config(path, sock, port, tmp, extra=""):
    with open(path, "w") as f:
        f.write(CONFIG.format(sock=sock, port=port, tmp=tmp, extra=extra))


def main():
    if not HALYARD:
        print("HALYARD is not set")
        return 1
    tmp = tempfile.mkdtemp()
    with open(f"{tmp}/paths.map", "w") as f:
        f.write("/a from-file-a\n/b from-file-b\n/c from-file-c\n")
    with open(f"{tmp}/versions.map", "w") as f:
        f.write("/a v-old\n")
    with open(f"{tmp}/fixed.map", "w") as f:
        f.write("/a fixed\n")
    with open(f"{tmp}/gone.map", "w") as f:
        f.write("/a gone\n")
    with open(f"{tmp}/deny.acl", "w") as f:
        f.write("10.9.9.9\n")
    with open(f"{tmp}/tags.acl", "w") as f:
        f.write("blocked\n")
    sock, msock = f"{tmp}/w.sock", f"{tmp}/m.sock"
    port = free_port()
    cfg = f"{tmp}/h.cfg"
    extra = " %[path,map(" + tmp + "/gone.map,none)]"
    write_config(cfg, sock, port, tmp, extra)
    err = open(f"{tmp}/err", "w+")
    proc = subprocess.Popen([HALYARD, "-W", "-S", msock, "-f", cfg],
                            stdout=subprocess.DEVNULL, stderr=err)
    try:
        wait_for(lambda: pid_of(sock) is not None, 10)
        old = pid_of(sock)
        check("before: the files' contents", get(port, "/a") == (200, "from-file-a v-old fixed gone"),
              repr(get(port, "/a")))
        pm, vm, dl = f"{tmp}/paths.map", f"{tmp}/versions.map", f"{tmp}/deny.acl"
        answers = [cli(sock, c) for c in (
            f"set map {pm} /a changed-a",
            f"del map {pm} /b",
            f"add map {pm} /d added-d",
            f"add map {tmp}/gone.map /z gone-z",
            f"add acl {dl} 127.0.0.1",
            f"add acl {tmp}/tags.acl two\\ words\\;x",
        )]
        ver = cli(sock, f"prepare map {vm}").strip().rsplit(" ", 1)[-1]
        answers += [cli(sock, f"add map @{ver} {vm} /a v-new"),
                    cli(sock, f"commit map @{ver} {vm}")]
        check("the changes are accepted", all(a == "\n" for a in answers), repr(answers))
        check("before the reload: the changes apply",
              get(port, "/a")[1] == "changed-a v-new fixed gone" and get(port, "/b")[1]
              == "none none none none" and get(port, "/denied")[0] == 403,
              repr([get(port, p) for p in ("/a", "/b", "/denied")]))

        write_config(cfg, sock, port, tmp)  # gone.map is no longer used
        out = cli(msock, "reload", timeout=20)
        check("reload succeeds", out.startswith("Success=1"), out)
        check("the reload names the map the new configuration lacks",
              "4 of 5 map and ACL files changed at run time carried" in out and
              f"not carried to the new worker: '{tmp}/gone.map': Unknown map identifier" in out, out)
        wait_for(lambda: pid_of(sock) not in (None, old), 10)
        check("a new worker serves", pid_of(sock) not in (None, old))
        check("set: the changed value is kept", get(port, "/a") == (200, "changed-a v-new fixed"),
              repr(get(port, "/a")))
        check("del: the deleted entry stays deleted", get(port, "/b")[1] == "none none none",
              repr(get(port, "/b")))
        check("add: the added entry is kept", get(port, "/d")[1] == "added-d none none",
              repr(get(port, "/d")))
        check("untouched entries keep their file's values",
              get(port, "/c")[1] == "from-file-c none none", repr(get(port, "/c")))
        check("acl: the added pattern is kept", get(port, "/denied")[0] == 403,
              repr(get(port, "/denied")))
        check("acl: a carried pattern with a blank and a ';' is intact",
              get(port, "/a", "two words;x")[0] == 401 and get(port, "/a", "blocked")[0] == 401
              and get(port, "/a", "two")[0] == 200,
              repr([get(port, "/a", t)[0] for t in ("two words;x", "blocked", "two")]))
        shown = cli(sock, f"show map {pm}")
        check("show map lists the carried entries in their order",
              [ln.split(" ", 1)[1] for ln in shown.splitlines() if ln] ==
              ["/a changed-a", "/c from-file-c", "/d added-d"], shown)
    finally:
        try:
            cli(msock, "quit")
        except OSError:
            pass
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        err.seek(0)
        text = err.read()
        check("no sanitizer report", "Sanitizer" not in text and "runtime error" not in text,
              text[-2000:])
    return summary()


if __name__ == "__main__":
    sys.exit(main())
