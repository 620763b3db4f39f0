"""A server flapping while 200 clients send requests.

Two HTTP servers behind an HTTP backend with fast checks (inter 100ms,
fall 2, rise 2, option httpchk GET /health), "retries 3" and "option
redispatch 1". Server s2 flaps four times: its listening socket is closed
(new connections are refused; those already accepted are still answered),
then reopened once Halyard marked it DOWN. Meanwhile 200 clients, each on
its own connection at a time, keep sending requests.

Checked:
  - every request gets a 200, except those already sent on a connection the
    kernel had queued on s2's listening socket when it was closed: those
    connections are reset, and a request already sent is not retried (there
    is no "retry-on"), so it gets a 502 as in HAProxy. Such a failure is
    allowed only as a 502, within a second after s2 stopped, and at most
    one per client and per flap. A connection refused by s2 before it is
    marked DOWN is retried on another server and never fails;
  - while s2 is marked DOWN, it accepts no new connection other than the
    health checks, in particular between its reopening and the "rise"
    checks that bring it back UP. The DOWN intervals come from "show stat"
    polled every 10 ms (a poll sees DOWN somewhere between sending the
    command and reading the answer: the server was DOWN for sure from the
    answer of the first poll that saw it to the sending of the last one);
    a connection accepted in the first 100 ms of an interval may have been
    chosen just before the state changed and is tolerated;
  - s2 is back in the rotation after each flap.

The servers and the clients run in processes of their own, so that the
accept timestamps of the servers (CLOCK_MONOTONIC, shared by every process)
are not delayed by the clients' threads. The run takes about 10 seconds.
"""
import asyncio
import multiprocessing as mp
import os
import socket
import subprocess
import sys
import tempfile
import threading
import time

from halyard_test import check, summary, free_port, cli

HALYARD = os.environ.get("HALYARD")
CLIENTS = 200
FLAPS = 4
TOLERANCE = 0.1  # seconds: requests routed just before a server went DOWN


def server_main(ports, conn):
    """Serves s1 and s2 (names -> ports) until told to quit. Commands on
    <conn>: ("close", name), ("open", name), ("quit",) which answers the
    accept log: name -> [(monotonic accept time, path)]."""
    log = {name: [] for name in ports}

    def handler(name):
        async def handle(reader, writer):
            t = time.monotonic()
            try:
                line = await asyncio.wait_for(reader.readline(), 5)
                while True:
                    h = await asyncio.wait_for(reader.readline(), 5)
                    if h in (b"\r\n", b"\n", b""):
                        break
                words = line.split()
                log[name].append((t, words[1].decode() if len(words) > 1 else ""))
                body = name.encode()
                writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n"
                             b"Connection: close\r\n\r\n%s" % (len(body), body))
                await writer.drain()
            except (OSError, asyncio.TimeoutError, asyncio.IncompleteReadError):
                pass
            finally:
                writer.close()
        return handle

    async def run():
        loop = asyncio.get_running_loop()
        servers = {}

        async def start(name):
            servers[name] = await asyncio.start_server(
                handler(name), "127.0.0.1", ports[name], reuse_address=True, backlog=1024)

        for name in ports:
            await start(name)
        conn.send("ready")
        while True:
            cmd = await loop.run_in_executor(None, conn.recv)
            if cmd[0] == "close":
                servers[cmd[1]].close()  # the listener only: accepted ones carry on
            elif cmd[0] == "open":
                await start(cmd[1])
            else:
                conn.send(log)
                return
            conn.send("done")

    asyncio.run(run())


def clients_main(port, n, stop, conn):
    """Runs <n> client threads sending requests to <port> until <stop> is
    set; sends back the ok count, the errors [(monotonic time, description)]
    and the counts per server."""
    lock = threading.Lock()
    res = {"ok": 0, "errors": [], "by": {}}

    def one():
        try:
            c = socket.create_connection(("127.0.0.1", port), timeout=5)
            c.sendall(b"GET /req HTTP/1.1\r\nHost: t\r\nConnection: close\r\n\r\n")
            data = b""
            while True:
                d = c.recv(4096)
                if not d:
                    break
                data += d
            c.close()
        except OSError as e:
            return None, f"{type(e).__name__}: {e}"
        head, _, body = data.partition(b"\r\n\r\n")
        if not head.startswith(b"HTTP/1.1 200"):
            return None, head[:60].decode(errors="replace") or "empty response"
        return body.decode(errors="replace"), None

    def loop():
        while not stop.is_set():
            who, err = one()
            with lock:
                if err:
                    res["errors"].append((time.monotonic(), err))
                else:
                    res["ok"] += 1
                    res["by"][who] = res["by"].get(who, 0) + 1

    threads = [threading.Thread(target=loop) for _ in range(n)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(10)
    conn.send(res)


def status_of(sock, srv):
    """The "show stat" fields of server <srv>."""
    lines = cli(sock, "show stat").splitlines()
    cols = lines[0][2:].split(",")
    for line in lines[1:]:
        f = line.split(",")
        if len(f) > 1 and f[1] == srv:
            return dict(zip(cols, f))
    return {}


class Monitor(threading.Thread):
    """Polls the status of a server every 10 ms; records (sent, answered,
    status) for every poll."""

    def __init__(self, sock, srv):
        super().__init__(daemon=True)
        self.sock, self.srv, self.polls, self.stop = sock, srv, [], threading.Event()

    def run(self):
        while not self.stop.is_set():
            sent = time.monotonic()
            try:
                st = status_of(self.sock, self.srv).get("status", "?")
            except OSError:
                st = "?"
            self.polls.append((sent, time.monotonic(), st))
            time.sleep(0.01)

    def current(self):
        return self.polls[-1][2] if self.polls else "?"

    def down_intervals(self):
        """[(sure_from, sure_until)]: spans during which the server was
        DOWN for sure (see the module's comment)."""
        out, first, last = [], None, None
        for sent, answered, st in self.polls:
            if st.startswith("DOWN"):
                if first is None:
                    first = answered
                last = sent
            elif first is not None:
                out.append((first, last))
                first = None
        if first is not None:
            out.append((first, last))
        return [(a, b) for a, b in out if a <= b]


def wait_for(pred, timeout):
    end = time.time() + timeout
    while time.time() < end:
        if pred():
            return True
        time.sleep(0.01)
    return False


def main():
    if not HALYARD:
        print("HALYARD must point to the halyard binary")
        return 1
    tmp = tempfile.mkdtemp(prefix="halyard-flap-")
    ports = {"s1": free_port(), "s2": free_port()}
    port, sock, cfg = free_port(), f"{tmp}/s.sock", f"{tmp}/h.cfg"
    open(cfg, "w").write(f"""global
    nbthread 2
    stats socket {sock} level admin
    maxconn 4000
defaults
    mode http
    timeout connect 1s
    timeout client 5s
    timeout server 5s
    timeout check 500ms
    retries 3
    option redispatch 1
listen l
    bind 127.0.0.1:{port}
    balance roundrobin
    option httpchk GET /health
    server s1 127.0.0.1:{ports['s1']} check inter 100ms fall 2 rise 2
    server s2 127.0.0.1:{ports['s2']} check inter 100ms fall 2 rise 2
""")
    ctx = mp.get_context("fork")
    srv_conn, srv_child = ctx.Pipe()
    srv_proc = ctx.Process(target=server_main, args=(ports, srv_child), daemon=True)
    srv_proc.start()
    srv_conn.recv()
    errf = open(f"{tmp}/err.log", "w")
    p = subprocess.Popen([HALYARD, "-f", cfg], stdout=subprocess.DEVNULL, stderr=errf)
    stop = ctx.Event()
    cli_conn, cli_child = ctx.Pipe()
    clients = None
    mon = Monitor(sock, "s2")
    flaps = []
    try:
        up = wait_for(lambda: os.path.exists(sock) and all(
            status_of(sock, s).get("status") == "UP" for s in ("s1", "s2")), 5)
        check("both servers start UP", up)
        if not up:
            return summary()
        mon.start()
        clients = ctx.Process(target=clients_main, args=(port, CLIENTS, stop, cli_child),
                              daemon=True)
        clients.start()
        time.sleep(0.5)
        for _ in range(FLAPS):
            closed = time.monotonic()
            srv_conn.send(("close", "s2"))
            srv_conn.recv()
            down = wait_for(lambda: mon.current().startswith("DOWN"), 3)
            time.sleep(0.3)
            srv_conn.send(("open", "s2"))
            srv_conn.recv()
            reopened = time.monotonic()
            back = wait_for(lambda: mon.current() == "UP", 3)
            flaps.append((down, back, reopened, closed))
            time.sleep(0.4)
        stop.set()
        res = cli_conn.recv() if cli_conn.poll(20) else None
        mon.stop.set()
        mon.join(2)
        srv_conn.send(("quit",))
        log = srv_conn.recv() if srv_conn.poll(10) else None
    finally:
        stop.set()
        p.kill()
        p.wait()
        errf.close()
        if clients:
            clients.join(5)
        srv_proc.kill()

    check("every flap took s2 DOWN and back UP",
          len(flaps) == FLAPS and all(f[0] and f[1] for f in flaps), flaps)
    check("the clients reported back", res is not None and log is not None)
    if res is None or log is None:
        return summary()
    total = res["ok"] + len(res["errors"])
    print(f"     {total} requests: {res['ok']} ok, {len(res['errors'])} failed, "
          f"by server {res['by']}")
    check("many requests went through during the flaps", res["ok"] > 2000, res["ok"])
    unexpected = [(round(t, 3), e) for t, e in res["errors"]
                  if not e.startswith("HTTP/1.1 502") or
                  not any(f[3] <= t <= f[3] + 1.0 for f in flaps)]
    check("the only failures are 502s of requests caught in s2's closing",
          not unexpected, unexpected[:5])
    check("at most one failure per client and per flap",
          len(res["errors"]) <= CLIENTS * FLAPS, len(res["errors"]))
    check("both servers answered", res["by"].get("s1", 0) > 0 and res["by"].get("s2", 0) > 0,
          res["by"])

    intervals = mon.down_intervals()
    check("the DOWN intervals were observed", len(intervals) == FLAPS, intervals)
    traffic = [t for t, path in log["s2"] if path != "/health"]
    checks = [t for t, path in log["s2"] if path == "/health"]
    bad = [(round(t - a, 3), round(b - t, 3)) for t in traffic for a, b in intervals
           if a + TOLERANCE <= t <= b]
    check("no new connection reached s2 while it was DOWN", not bad, bad[:10])
    def up_seen(t):
        return next((ans for sent, ans, st in mon.polls if sent >= t and st == "UP"), None)

    risen = [len([c for c in checks if f[2] <= c <= (up_seen(f[2]) or 0)]) for f in flaps]
    check("each time, rise (2) checks after the reopening brought s2 back UP",
          all(n >= 2 for n in risen), risen)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
