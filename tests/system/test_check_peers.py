"""Protocol health checks against the real servers Debian packages: redis
(option redis-check), PostgreSQL (option pgsql-check) and MariaDB (option
mysql-check, with a user and without). Each peer runs on loopback from a
temporary directory; the check must pass (L7OK with the peer's answer), then
fail once the peer is stopped (the server goes DOWN). Run next to Debian's
haproxy 2.6 when it is installed: both must report the same check results.
A peer whose program is missing is reported as a failure (the packages are
installed by packaging/install-deps.sh)."""
import csv
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"
PG_BIN = "/usr/lib/postgresql/15/bin"


def wait_port(port, limit=30):
    end = time.time() + limit
    while time.time() < end:
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return True
        except OSError:
            time.sleep(0.2)
    return False


def as_user(user, argv):
    return ["runuser", "-u", user, "--"] + argv


def start_redis(tmp, port):
    exe = shutil.which("redis-server")
    if not exe:
        return None
    return subprocess.Popen([exe, "--port", str(port), "--bind", "127.0.0.1", "--save", "",
                             "--appendonly", "no", "--dir", tmp, "--logfile", ""],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_pgsql(tmp, port):
    if not os.path.exists(os.path.join(PG_BIN, "postgres")):
        return None
    os.chmod(tmp, 0o755)  # the server's user must reach its directory
    data = os.path.join(tmp, "pg")
    os.makedirs(data)
    shutil.chown(tmp, "postgres")
    shutil.chown(data, "postgres")
    subprocess.run(as_user("postgres", [os.path.join(PG_BIN, "initdb"), "-D", data,
                                        "--auth=trust", "-U", "postgres"]),
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return subprocess.Popen(as_user("postgres", [os.path.join(PG_BIN, "postgres"), "-D", data,
                                                 "-p", str(port), "-k", data,
                                                 "-c", "listen_addresses=127.0.0.1"]),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


def start_mariadb(tmp, port):
    exe = shutil.which("mariadbd") or shutil.which("mysqld")
    install = shutil.which("mariadb-install-db") or shutil.which("mysql_install_db")
    if not exe or not install:
        return None
    os.chmod(tmp, 0o755)  # the server's user must reach its directory
    data = os.path.join(tmp, "my")
    os.makedirs(data)
    shutil.chown(data, "mysql")
    subprocess.run([install, f"--datadir={data}", "--user=mysql", "--skip-test-db"],
                   stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, check=True)
    return subprocess.Popen([exe, "--no-defaults", f"--datadir={data}", f"--port={port}",
                             "--bind-address=127.0.0.1", f"--socket={data}/sock",
                             f"--pid-file={data}/pid", "--user=mysql", "--skip-grant-tables",
                             "--skip-log-bin"],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)


CONFIG = """
global
    stats socket {sock} level admin

defaults
    mode tcp
    timeout connect 2s
    timeout client 5s
    timeout server 5s
    timeout check 2s
    default-server check inter 300ms fall 2 rise 1

frontend fe
    bind 127.0.0.1:{fport}
    default_backend redis

backend redis
    option redis-check
    server r 127.0.0.1:{redis}

backend pgsql
    option pgsql-check user postgres
    server p 127.0.0.1:{pgsql}

backend mysql
    option mysql-check user haproxy
    server m 127.0.0.1:{mysql}

backend mysql_nouser
    option mysql-check
    server m 127.0.0.1:{mysql}
"""


def rows(sock):
    out = cli(sock, "show stat").lstrip("# ")
    rows = {(r["pxname"], r["svname"]): r for r in csv.DictReader(out.splitlines())}
    for r in rows.values():  # a check under way shows its last result after "* "
        r["check_status"] = (r.get("check_status") or "").removeprefix("* ")
    return rows


def wait_state(sock, key, prefix, limit=10):
    end = time.time() + limit
    r = {}
    while time.time() < end:
        r = rows(sock).get(key, {})
        if r.get("status", "").startswith(prefix):
            return r
        time.sleep(0.1)
    return r


def run(name, binary, ports, peers, tmp):
    sock = os.path.join(tmp, f"{name}.sock")
    cfg = os.path.join(tmp, f"{name}.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=sock, **ports))
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    out = {}
    try:
        for _ in range(50):
            if os.path.exists(sock):
                break
            time.sleep(0.1)
        time.sleep(1.5)  # a few checks
        for key in (("redis", "r"), ("pgsql", "p"), ("mysql", "m"), ("mysql_nouser", "m")):
            r = wait_state(sock, key, "UP")
            out[key] = (r.get("status", "")[:2], r.get("check_status"), r.get("last_chk"))
    finally:
        proc.terminate()
        proc.wait()
    return out


def main():
    tmp = tempfile.mkdtemp()
    os.chmod(tmp, 0o755)
    ports = {k: free_port() for k in ("fport", "redis", "pgsql", "mysql")}
    peers = {"redis": start_redis(os.path.join(tmp), ports["redis"]),
             "pgsql": start_pgsql(tempfile.mkdtemp(), ports["pgsql"]),
             "mysql": start_mariadb(tempfile.mkdtemp(), ports["mysql"])}
    try:
        for k, p in peers.items():
            check(f"{k}: the peer runs", p is not None and wait_port(ports[k]),
                  "program missing or not listening")
        mine = run("halyard", HALYARD, ports, peers, tmp)
        want = {("redis", "r"): "Redis server is ok",
                ("pgsql", "p"): "PostgreSQL server is ok",
                ("mysql", "m"): "", ("mysql_nouser", "m"): ""}
        for key, info in want.items():
            st, cs, lc = mine.get(key, ("", "", ""))
            check(f"{key[0]}: UP with L7OK", st == "UP" and cs == "L7OK", str(mine.get(key)))
            if info:
                check(f"{key[0]}: the peer's answer is reported", lc == info, str(lc))
        if os.path.exists(HAPROXY):
            ref = run("haproxy", HAPROXY, ports, peers, tmp)
            check("same results as haproxy 2.6", mine == ref, f"\n{mine}\n{ref}")

        # the peers go away: every server goes DOWN
        for p in peers.values():
            if p:
                p.terminate()
                p.wait()
        sock = os.path.join(tmp, "down.sock")
        cfg = os.path.join(tmp, "down.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(sock=sock, **ports))
        proc = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                                stderr=subprocess.DEVNULL)
        try:
            for _ in range(50):
                if os.path.exists(sock):
                    break
                time.sleep(0.1)
            for key in (("redis", "r"), ("pgsql", "p"), ("mysql", "m")):
                r = wait_state(sock, key, "DOWN")
                check(f"{key[0]}: DOWN once the peer stopped",
                      r.get("status") == "DOWN" and r.get("check_status") == "L4CON",
                      f"{r.get('status')} {r.get('check_status')}")
        finally:
            proc.terminate()
            proc.wait()
    finally:
        for p in peers.values():
            if p and p.poll() is None:
                p.kill()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
