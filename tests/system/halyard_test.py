"""Helpers shared by the Python system tests: result reporting, free ports,
and one-shot CLI commands over a unix socket."""
import socket

_counts = {"passed": 0, "failed": 0}


def check(name, cond, detail=""):
    """Records and prints one result ("ok"/"FAIL" line)."""
    _counts["passed" if cond else "failed"] += 1
    print(f"{'ok  ' if cond else 'FAIL'} {name} {'' if cond else detail}")


def summary():
    """Prints the final "N passed, N failed" line; returns the exit status."""
    print(f"{_counts['passed']} passed, {_counts['failed']} failed")
    return 1 if _counts["failed"] else 0


def free_port():
    """A loopback TCP port that is free right now."""
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()
    return port


def cli(sock, cmd, timeout=5):
    """Sends one command line to the CLI at unix socket <sock>; returns the
    whole answer (the session closes after one line)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(timeout)
    s.connect(sock)
    s.sendall(cmd.encode() + b"\n")
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def hit(port, timeout=2):
    """Connects to the proxy on <port> and returns the first bytes the
    server sends (its name in these tests), or None on failure."""
    try:
        c = socket.create_connection(("127.0.0.1", port), timeout=timeout)
        d = c.recv(16).decode()
        c.close()
        return d or None
    except OSError:
        return None


def http_backend(name, host="127.0.0.1"):
    """Starts a threaded keep-alive HTTP/1.1 server answering 200 with body
    <name> to every request; returns (port, hits) where hits[0] counts the
    requests served."""
    import threading
    s = socket.socket()
    s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    s.bind((host, 0))
    s.listen(256)
    hits = [0]
    body = name.encode()

    def serve(c):
        buf = b""
        try:
            while True:
                d = c.recv(65536)
                if not d:
                    break
                buf += d
                while b"\r\n\r\n" in buf:
                    buf = buf.split(b"\r\n\r\n", 1)[1]
                    hits[0] += 1
                    c.sendall(b"HTTP/1.1 200 OK\r\ncontent-length: %d\r\n\r\n%s"
                              % (len(body), body))
        except OSError:
            pass
        c.close()

    def run():
        while True:
            c, _ = s.accept()
            threading.Thread(target=serve, args=(c,), daemon=True).start()
    threading.Thread(target=run, daemon=True).start()
    return s.getsockname()[1], hits
