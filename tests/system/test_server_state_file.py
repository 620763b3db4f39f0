"""Server state files: 'server-state-file', 'server-state-base',
'load-server-state-from-file global|local' and 'server-state-file-name'.

The same configuration and state file are given to Halyard and to
/usr/sbin/haproxy: the start-up warnings, 'show servers state' (the time
since the last change compared loosely) and the status and weight columns
of 'show stat' must be the same. Then the round trip operators use for
reloads: in master-worker mode, servers changed from the CLI are saved with
'show servers state' and a reload through the master CLI keeps them."""
import os
import re
import socket
import subprocess
import sys
import tempfile
import time

from halyard_test import check, cli, free_port, summary

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """global
    stats socket {tmp}/s.sock level admin
    server-state-base {tmp}
    server-state-file global.state
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    load-server-state-from-file global
frontend fe
    bind 127.0.0.1:{p_fe}
    default_backend be
backend be
    server s1 127.0.0.1:{p_closed} check inter 5s
    server s2 127.0.0.1:{p_closed} weight 7
    server s3 127.0.0.1:{p_closed}
    server s4 127.0.0.1:{p_closed} disabled
    server s5 127.0.0.1:{p_closed}
backend b2
    server t1 127.0.0.1:{p_closed}
backend bl
    load-server-state-from-file local
    server-state-file-name local.state
    server l1 127.0.0.1:{p_closed}
backend bn
    load-server-state-from-file local
    server n1 127.0.0.1:{p_closed}
"""

HEADER = ("1\n# be_id be_name srv_id srv_name srv_addr srv_op_state srv_admin_state "
          "srv_uweight srv_iweight srv_time_since_last_change srv_check_status "
          "srv_check_result srv_check_health srv_check_state srv_agent_state "
          "bk_f_forced_id srv_f_forced_id srv_fqdn srv_port srvrecord srv_use_ssl "
          "srv_check_port srv_check_addr srv_agent_addr srv_agent_port\n")


def line(be_id, be, sid, srv, op, adm, uw, iw, since, port):
    return (f"{be_id} {be} {sid} {srv} 127.0.0.9 {op} {adm} {uw} {iw} {since} 1 0 2 0 0 0 0 "
            f"- {port} - 0 0 - - 0\n")


def state_files(tmp, p_closed, p_alt):
    with open(os.path.join(tmp, "global.state"), "w") as f:
        f.write(HEADER)
        f.write(line(3, "be", 1, "s1", 0, 0, 1, 1, 100, p_closed))  # checked DOWN
        f.write(line(3, "be", 2, "s2", 2, 1, 3, 7, 50, p_closed))   # maint, weight kept
        f.write(line(3, "be", 3, "s3", 2, 8, 5, 2, 50, p_closed))   # drain, weight changed
        f.write(line(3, "be", 4, "s4", 2, 0, 1, 1, 50, p_closed))   # config disabled wins
        f.write(line(3, "be", 5, "s5", 2, 0, 1, 1, 40, p_alt))      # port kept
        f.write(line(3, "be", 9, "nope", 2, 0, 1, 1, 50, p_closed))  # unknown server
        f.write(line(9, "gone", 1, "x", 2, 0, 1, 1, 50, p_closed))   # unknown backend
        f.write(line(4, "b2", 1, "t1", 9, 0, 1, 1, 50, p_closed))    # bad op state
    with open(os.path.join(tmp, "local.state"), "w") as f:
        f.write(HEADER)
        f.write(line(5, "bl", 1, "l1", 2, 1, 1, 1, 30, p_closed))


def run(binary, ports):
    tmp = tempfile.mkdtemp()
    state_files(tmp, ports["p_closed"], ports["p_alt"])
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(tmp=tmp, **ports))
    err = open(os.path.join(tmp, "err"), "w+")
    proc = subprocess.Popen([binary, "-f", cfg], stdout=subprocess.DEVNULL, stderr=err)
    sock = os.path.join(tmp, "s.sock")
    for _ in range(100):
        if os.path.exists(sock):
            break
        time.sleep(0.05)
    time.sleep(0.3)
    try:
        state = cli(sock, "show servers state")
        stat = cli(sock, "show stat")
    finally:
        proc.kill()
        proc.wait()
    err.seek(0)
    warn = [re.sub(r"\(\d+\)", "(pid)", ln.replace(tmp, "TMP"))
            for ln in err.read().splitlines() if ln.startswith("[WARNING]")]
    return warn, state, stat


def loose(state, checks=True):
    """'show servers state' with the time since the last change rounded to
    tens of seconds; without <checks>, also without the four check columns
    (srv_check_status, _result, _health, _state), which Halyard does not
    fill as HAProxy does yet (docs/runtime-api.md)."""
    out = []
    for ln in state.splitlines():
        f = ln.split(" ")
        if len(f) > 13 and not ln.startswith("#"):
            f[9] = str(int(f[9]) // 10)
            if not checks:
                f[10:14] = []
        out.append(" ".join(f))
    return out


def columns(stat, names):
    lines = stat.splitlines()
    cols = lines[0].lstrip("# ").split(",")
    return {(f[0], f[1]): tuple(f[cols.index(n)] for n in names)
            for f in (ln.split(",") for ln in lines[1:] if ln)}


def reload_round_trip(ports):
    """Master-worker: CLI changes saved to the state file survive reload."""
    tmp = tempfile.mkdtemp()
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(f"""global
    stats socket {tmp}/s.sock level admin
    server-state-file {tmp}/saved.state
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    load-server-state-from-file global
frontend fe
    bind 127.0.0.1:{ports['p_fe']}
    default_backend be
backend be
    server a 127.0.0.1:{ports['p_closed']}
    server b 127.0.0.1:{ports['p_closed']} weight 10
    server c 127.0.0.1:{ports['p_closed']}
""")
    sock, msock = os.path.join(tmp, "s.sock"), os.path.join(tmp, "m.sock")
    proc = subprocess.Popen([HALYARD, "-W", "-S", msock, "-f", cfg],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        for _ in range(100):
            if os.path.exists(sock):
                break
            time.sleep(0.05)
        time.sleep(0.3)
        cli(sock, "set server be/a state maint")
        cli(sock, "set server be/b weight 4")
        cli(sock, "set server be/c state drain")
        cli(sock, f"set server be/c addr 127.0.0.1 port {ports['p_alt']}")
        before = cli(sock, "show servers state be")
        with open(os.path.join(tmp, "saved.state"), "w") as f:
            f.write(before)
        out = cli(msock, "reload", timeout=30)
        check("reload succeeds", out.startswith("Success=1"), repr(out[:200]))
        time.sleep(0.5)
        after = cli(sock, "show servers state be")
        check("state kept across the reload", loose(after) == loose(before),
              f"{before!r} -> {after!r}")
        rows = columns(cli(sock, "show stat"), ["status", "weight", "addr"])
        check("show stat after the reload",
              rows.get(("be", "a"), ("",))[0] == "MAINT"
              and rows.get(("be", "b"), ("", ""))[1] == "4"
              and rows.get(("be", "c"), ("",))[0] == "DRAIN"
              and rows.get(("be", "c"), ("", "", ""))[2] == f"127.0.0.1:{ports['p_alt']}",
              repr(rows))
    finally:
        proc.terminate()
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            proc.kill()


def main():
    ports = {"p_fe": free_port(), "p_closed": free_port(), "p_alt": free_port()}
    warn, state, stat = run(HALYARD, ports)
    p = ports["p_closed"]
    check("warnings", warn == [
        "[WARNING]  (pid) : config : Server be/s1 is DOWN, changed from server-state after a "
        "reload. 3 active and 0 backup servers left. 0 sessions active, 0 requeued, 0 "
        "remaining in queue.",
        "[WARNING]  (pid) : config : Server be/s3 remains in forced drain mode.",
        "[WARNING]  (pid) : config : server-state application failed for server 'b2/t1', "
        "invalid srv_op_state value '9'",
        "[WARNING]  (pid) : config : Proxy 'bn': Can't open server state file 'TMP/bn': No "
        "such file or directory."], repr(warn))
    rows = columns(stat, ["status"])
    check("states applied", [rows.get(("be", s), ("",))[0] for s in
                             ("s1", "s2", "s3", "s4", "s5")]
          == ["DOWN", "MAINT", "DRAIN", "MAINT", "no check"]
          and rows.get(("bl", "l1"), ("",))[0] == "MAINT", repr(rows))
    st = {ln.split(" ")[3]: ln.split(" ") for ln in state.splitlines()[2:] if ln}
    check("weight kept when the configured one did not change, port kept",
          st["s2"][7] == "3" and st["s3"][7] == "1" and st["s5"][18] == str(ports["p_alt"])
          and st["s1"][4] == "127.0.0.1", repr(st))
    check("time since the last change goes on",
          90 <= int(st["s1"][9]) <= 110 and 40 <= int(st["s2"][9]) <= 60, repr(st))
    if os.path.exists(HAPROXY):
        h_warn, h_state, h_stat = run(HAPROXY, ports)
        check("same warnings as haproxy", warn == h_warn, f"{warn!r} != {h_warn!r}")
        check("same 'show servers state' as haproxy (but the check columns)",
              loose(state, False) == loose(h_state, False),
              f"{state!r} != {h_state!r}")
        ours, theirs = columns(stat, ["status"]), columns(h_stat, ["status"])
        check("same statuses as haproxy", ours == theirs, f"{ours!r} != {theirs!r}")
    else:
        check("haproxy installed for the comparison (packaging/install-deps.sh)", False)
    reload_round_trip(ports)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
