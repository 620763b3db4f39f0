"""Server changes through the stats socket while traffic flows: disable /
enable, drain, weight changes (absolute and percent), get weight, error
messages and levels. Every change goes through the RCU write path; no
client connection may fail while servers are switched in and out."""
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter

from halyard_test import check, summary, free_port, cli, hit

HALYARD = os.environ.get("HALYARD")


def named_backend(name):
    srv = socket.socket()
    srv.bind(("127.0.0.1", 0))
    srv.listen(256)

    def run():
        while True:
            c, _ = srv.accept()
            try:
                c.sendall(name.encode())
            except OSError:
                pass
            c.close()
    threading.Thread(target=run, daemon=True).start()
    return srv.getsockname()[1]


def spread(port, n=300):
    return Counter(hit(port) for _ in range(n))


# "show stat" header printed by HAProxy 2.6 (Debian 12), the compatibility target
HAPROXY_26_HEADER = ("# pxname,svname,qcur,qmax,scur,smax,slim,stot,bin,bout,dreq,dresp,ereq,econ,eresp,wretr,wr"
                     "edis,status,weight,act,bck,chkfail,chkdown,lastchg,downtime,qlimit,pid,iid,sid,throttle,lb"
                     "tot,tracked,type,rate,rate_lim,rate_max,check_status,check_code,check_duration,hrsp_1xx,hr"
                     "sp_2xx,hrsp_3xx,hrsp_4xx,hrsp_5xx,hrsp_other,hanafail,req_rate,req_rate_max,req_tot,cli_ab"
                     "rt,srv_abrt,comp_in,comp_out,comp_byp,comp_rsp,lastsess,last_chk,last_agt,qtime,ctime,rtim"
                     "e,ttime,agent_status,agent_code,agent_duration,check_desc,agent_desc,check_rise,check_fall"
                     ",check_health,agent_rise,agent_fall,agent_health,addr,cookie,mode,algo,conn_rate,conn_rate"
                     "_max,conn_tot,intercepted,dcon,dses,wrew,connect,reuse,cache_lookups,cache_hits,srv_icur,s"
                     "rc_ilim,qtime_max,ctime_max,rtime_max,ttime_max,eint,idle_conn_cur,safe_conn_cur,used_conn"
                     "_cur,need_conn_est,uweight,agg_server_status,agg_server_check_status,agg_check_status,-,ss"
                     "l_sess,ssl_reused_sess,ssl_failed_handshake,h2_headers_rcvd,h2_data_rcvd,h2_settings_rcvd,"
                     "h2_rst_stream_rcvd,h2_goaway_rcvd,h2_detected_conn_protocol_errors,h2_detected_strm_protoc"
                     "ol_errors,h2_rst_stream_resp,h2_goaway_resp,h2_open_connections,h2_backend_open_streams,h2"
                     "_total_connections,h2_backend_total_streams,h1_open_connections,h1_open_streams,h1_total_c"
                     "onnections,h1_total_streams,h1_bytes_in,h1_bytes_out,h1_spliced_bytes_in,h1_spliced_bytes_"
                     "out,")


def stat_rows(sock):
    lines = cli(sock, "show stat").splitlines()
    rows = {}
    for line in lines[1:]:
        if line:
            f = line.split(",")
            rows[(f[0], f[1])] = f
    return lines[0], rows


def check_show_stat(sock, port):
    header, rows = stat_rows(sock)
    check("show stat header is HAProxy 2.6's", header == HAPROXY_26_HEADER, header[:120])
    ncols = len(header.split(","))
    check("every row has every column", all(len(f) == ncols for f in rows.values()),
          {k: len(f) for k, f in rows.items()})
    cols = header[2:].split(",")
    idx = {name: i for i, name in enumerate(cols)}
    before = int(rows[("l", "FRONTEND")][idx["stot"]])
    payload = 0
    for _ in range(10):
        payload += len(hit(port) or "")
    _, rows = stat_rows(sock)
    fe, be = rows[("l", "FRONTEND")], rows[("l", "BACKEND")]
    check("frontend stot counts connections", int(fe[idx["stot"]]) == before + 10,
          fe[idx["stot"]])
    check("frontend bout counts bytes sent to clients", int(fe[idx["bout"]]) >= payload,
          (fe[idx["bout"]], payload))
    srv_stot = sum(int(rows[("l", f"s{i}")][idx["stot"]]) for i in (1, 2, 3))
    check("server stot adds up to the backend's", srv_stot == int(be[idx["stot"]]),
          (srv_stot, be[idx["stot"]]))
    cli(sock, "disable server l/s1")
    _, rows = stat_rows(sock)
    check("a disabled server shows MAINT", rows[("l", "s1")][idx["status"]] == "MAINT")
    check("the backend weight drops with it", rows[("l", "BACKEND")][idx["weight"]] != be[idx["weight"]])
    cli(sock, "enable server l/s1")
    check("an enabled server without checks shows 'no check'",
          stat_rows(sock)[1][("l", "s1")][idx["status"]] == "no check")


def check_slowstart(tmp):
    """slowstart: a server leaving maintenance ramps its weight up."""
    ports = [named_backend(f"r{i}") for i in (1, 2)]
    port, sock, cfg = free_port(), f"{tmp}/ss.sock", f"{tmp}/ss.cfg"
    open(cfg, "w").write(f"""global
    nbthread 1
    stats socket {sock} level admin
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen l
    bind 127.0.0.1:{port}
    server r1 127.0.0.1:{ports[0]} weight 100
    server r2 127.0.0.1:{ports[1]} weight 100 slowstart 3s
""")
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        cli(sock, "disable server l/r2")
        cli(sock, "enable server l/r2")
        early = spread(port, 200)
        time.sleep(3.5)
        late = spread(port, 200)
        check("slowstart: a re-enabled server starts with a small share",
              early["r2"] < 60, early)
        check("slowstart: full share once the ramp is over",
              80 <= late["r2"] <= 120, late)
    finally:
        p.kill()
        p.wait()


def check_cli_limits(tmp):
    """stats timeout closes idle sessions; stats maxconn makes extra
    sessions wait until one ends."""
    port, sock, cfg = free_port(), f"{tmp}/lim.sock", f"{tmp}/lim.cfg"
    open(cfg, "w").write(f"""global
    stats socket {sock} level admin
    stats timeout 1s
    stats maxconn 1
listen l
    bind 127.0.0.1:{port}
    timeout client 1s
    timeout server 1s
    timeout connect 1s
    server s 127.0.0.1:1
""")
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.5)
        a = socket.socket(socket.AF_UNIX)
        a.connect(sock)
        a.sendall(b"prompt\n")
        time.sleep(0.2)
        a.recv(100)
        b = socket.socket(socket.AF_UNIX)
        b.settimeout(0.5)
        b.connect(sock)
        b.sendall(b"show info\n")
        try:
            early = b.recv(20)
        except socket.timeout:
            early = None
        check("stats maxconn: a second session waits", early is None, early)
        a.settimeout(3)
        t0 = time.time()
        closed = a.recv(100) == b""
        check("stats timeout: an idle session is closed", closed and time.time() - t0 < 2.5)
        b.settimeout(3)
        check("stats maxconn: the waiting session is served next",
              b.recv(14) == b"Name: Halyard\n")
    finally:
        p.kill()
        p.wait()


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    tmp = tempfile.mkdtemp(prefix="halyard-rt-")
    ports = [named_backend(f"s{i}") for i in (1, 2, 3)]
    port, sock, usock = free_port(), f"{tmp}/admin.sock", f"{tmp}/user.sock"
    cfg = f"{tmp}/h.cfg"
    open(cfg, "w").write(f"""global
    nbthread 1
    stats socket {sock} level admin
    stats socket {usock} level user
defaults
    mode tcp
    timeout connect 1s
    timeout client 5s
    timeout server 5s
listen l
    bind 127.0.0.1:{port}
    balance roundrobin
    server s1 127.0.0.1:{ports[0]}
    server s2 127.0.0.1:{ports[1]}
    server s3 127.0.0.1:{ports[2]} weight 2
""")
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL,
                         stderr=subprocess.DEVNULL)
    try:
        time.sleep(0.6)
        c = spread(port, 400)
        check("initial weights 1:1:2", c["s1"] == 100 and c["s2"] == 100 and c["s3"] == 200, c)
        check("get weight", cli(sock, "get weight l/s3") == "2 (initial 2)\n\n")
        cli(sock, "disable server l/s1")
        c = spread(port, 300)
        check("a disabled server gets no traffic", c["s1"] == 0 and None not in c, c)
        cli(sock, "enable server l/s1")
        cli(sock, "set server l/s2 state drain")
        c = spread(port, 300)
        check("a draining server gets no new traffic", c["s2"] == 0 and c["s1"] > 0, c)
        cli(sock, "set server l/s2 state ready")
        cli(sock, "set server l/s3 weight 6")
        c = spread(port, 800)
        check("a new weight takes effect at once", c["s3"] == 600 and c["s1"] == 100, c)
        cli(sock, "set weight l/s3 50%")
        check("percent weights are relative to the initial one",
              cli(sock, "get weight l/s3") == "1 (initial 2)\n\n")
        check("unknown server", cli(sock, "disable server l/nope") == "No such server.\n\n")
        check("unknown backend", cli(sock, "get weight x/s1") == "No such backend.\n\n")
        check("weight bounds",
              "between 0 and 256" in cli(sock, "set server l/s1 weight 300"))
        check("bad state", "expects 'ready', 'drain' and 'maint'" in
              cli(sock, "set server l/s1 state foo"))
        check("a user-level socket cannot disable a server",
              cli(usock, "disable server l/s2") == "Permission denied\n\n")
        check("a user-level socket can read weights", "(initial" in cli(usock, "get weight l/s1"))

        check_show_stat(sock, port)
        check_slowstart(tmp)
        check_cli_limits(tmp)

        # flip servers continuously while clients run: nothing may fail
        stop = threading.Event()
        results = Counter()

        def client():
            while not stop.is_set():
                results["ok" if hit(port) else "fail"] += 1

        def flipper():
            i = 0
            while not stop.is_set():
                srv = f"l/s{i % 3 + 1}"
                cli(sock, f"disable server {srv}")
                cli(sock, f"set server {srv} weight {i % 5 + 1}")
                cli(sock, f"enable server {srv}")
                i += 1
        threads = [threading.Thread(target=client) for _ in range(4)]
        threads.append(threading.Thread(target=flipper))
        for t in threads:
            t.start()
        time.sleep(3)
        stop.set()
        for t in threads:
            t.join(10)
        print(f"     under changes: {results['ok']} ok, {results['fail']} failed")
        check("no request fails while servers change", results["fail"] == 0 and
              results["ok"] > 200, results)
        check("the process is still alive", p.poll() is None)
    finally:
        p.kill()
        p.wait()
    return summary()


if __name__ == "__main__":
    sys.exit(main())
