"""TLS session tickets with keys from a "tls-ticket-keys" file.

Key files are made at test time (openssl rand). Checked, against the real
binary, with Python's ssl module resuming sessions:
 - two instances with the same key file accept each other's tickets, on
   TLS 1.2 and 1.3; an instance with other keys does not;
 - the last but one key of the file encrypts, the last three are accepted
   (a file holding only that key among its three accepts the tickets, one
   without it does not); 80-byte keys (AES-256) work as 48-byte ones;
 - "set ssl tls-key" rotation: the new key comes next, the former next
   one encrypts, the oldest is forgotten (a ticket two rotations old is
   refused); "show tls-keys" lists files and keys in HAProxy's format;
 - a ticket issued before a reload (-W, SIGUSR2) resumes on the new worker;
 - tickets are interchangeable with /usr/sbin/haproxy using the same file,
   and the CLI answers are HAProxy's (when it is installed);
 - "-c" errors: missing file, too few keys, mixed sizes, bad base64.
"""
import base64
import os
import shutil
import signal
import ssl
import subprocess
import sys
import tempfile
import time

from halyard_test import check, cli, free_port, start_proxy, summary, wait_for
from tls_helpers import connect, make_certs, request

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """
global
    stats socket {sock} level admin
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
frontend fe
    bind 127.0.0.1:{port} ssl crt {d}/a.pem tls-ticket-keys {keys}
    {more}
    http-request return status 200 content-type text/plain string {name}
"""


def keys(n, size=48):
    return [base64.b64encode(os.urandom(size)).decode() for _ in range(n)]


def write_keys(d, name, lines):
    p = os.path.join(d, name)
    with open(p, "w") as f:
        f.write("".join(k + "\n" for k in lines))
    return p


class Proxy:
    def __init__(self, d, keyfile, name, binary=None, more=""):
        self.port = free_port()
        self.proc, self.sock, self.err = start_proxy(binary or HALYARD, CONFIG, d=d, port=self.port,
                                                     keys=keyfile, name=name, more=more)

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        self.err.seek(0)
        err = self.err.read()
        if "Sanitizer" in err or "runtime error" in err:
            check("no sanitizer report", False, err[-3000:])


def client(version):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.check_hostname = False
    c.verify_mode = ssl.CERT_NONE
    c.minimum_version = c.maximum_version = version
    return c


def fetch(ctx, port, session=None):
    """(body, session, reused) of one request on <port>."""
    s = connect(port, ctx, session=session)
    try:
        _, _, body = request(s)
        return body.decode(), s.session, s.session_reused
    finally:
        s.close()


def resumes(ctx, session, port):
    try:
        return fetch(ctx, port, session)[2]
    except (ssl.SSLError, OSError) as e:
        return e


V12, V13 = ssl.TLSVersion.TLSv1_2, ssl.TLSVersion.TLSv1_3


def test_shared(d, ks):
    f = write_keys(d, "k4", ks)
    a, b = Proxy(d, f, "A"), Proxy(d, f, "B")
    other = Proxy(d, write_keys(d, "other", keys(3)), "O")
    try:
        for v, vn in ((V12, "TLS 1.2"), (V13, "TLS 1.3")):
            ctx = client(v)
            body, sess, _ = fetch(ctx, a.port)
            check(f"{vn}: first handshake on A, ticket received", body == "A" and
                  sess is not None and sess.has_ticket)
            check(f"{vn}: A's ticket resumes on B", resumes(ctx, sess, b.port) is True)
            check(f"{vn}: A's ticket does not resume with other keys",
                  resumes(ctx, sess, other.port) is False)
            body, sess2, _ = fetch(ctx, b.port)
            check(f"{vn}: B's ticket resumes on A", resumes(ctx, sess2, a.port) is True)
    finally:
        for p in (a, b, other):
            p.stop()


def test_which_key(d, ks):
    """File ks[0..3]: ks[2] encrypts; accepted: ks[1], ks[2], ks[3]."""
    a = Proxy(d, write_keys(d, "k4", ks), "A")
    only = Proxy(d, write_keys(d, "only", [ks[2]] + keys(2)), "D")
    without = Proxy(d, write_keys(d, "without", [ks[1], ks[3]] + keys(1)), "E")
    # an instance encrypting with ks[1] (file ks[0], ks[1], x): A accepts it
    older = Proxy(d, write_keys(d, "older", [ks[0], ks[1]] + keys(1)), "F")
    first = Proxy(d, write_keys(d, "first", keys(1) + [ks[0]] + keys(1)), "G")
    try:
        ctx = client(V12)
        _, sess, _ = fetch(ctx, a.port)
        check("the last but one key encrypts", resumes(ctx, sess, only.port) is True)
        check("the other keys do not encrypt", resumes(ctx, sess, without.port) is False)
        _, sess, _ = fetch(ctx, older.port)
        check("an older key of the file is still accepted", resumes(ctx, sess, a.port) is True)
        _, sess, _ = fetch(ctx, first.port)
        check("a key beyond the last three is not", resumes(ctx, sess, a.port) is False)
    finally:
        for p in (a, only, without, older, first):
            p.stop()


def test_aes256(d):
    k = keys(3, 80)
    f = write_keys(d, "k80", k)
    a, b = Proxy(d, f, "A"), Proxy(d, f, "B")
    try:
        ctx = client(V13)
        _, sess, _ = fetch(ctx, a.port)
        check("80-byte keys: ticket resumes on the other instance",
              resumes(ctx, sess, b.port) is True)
        out = cli(a.sock, "show tls-keys #0")
        check("80-byte keys: shown", out == f"# id secret\n# 0 ({f})\n0.0 {k[0]}\n0.1 {k[1]}\n"
              f"0.2 {k[2]}\n\n", out)
    finally:
        a.stop()
        b.stop()


def test_rotation(d, ks):
    f = write_keys(d, "k4", ks)
    a, b = Proxy(d, f, "A"), Proxy(d, f, "B")
    try:
        ctx = client(V12)
        _, before, _ = fetch(ctx, a.port)  # encrypted with ks[2]
        out = cli(a.sock, "show tls-keys")
        check("show tls-keys: files", out == f"# id (file)\n0 ({f})\n\n", out)
        out = cli(a.sock, "show tls-keys *")
        check("show tls-keys *: previous, current, next",
              out == f"# id secret\n# 0 ({f})\n0.0 {ks[1]}\n0.1 {ks[2]}\n0.2 {ks[3]}\n\n", out)
        n1, n2 = keys(2)
        out = cli(a.sock, f"set ssl tls-key #0 {n1}")
        check("set ssl tls-key: updated", out == "TLS ticket key updated!\n\n", out)
        out = cli(a.sock, f"show tls-keys {f}")
        check("rotated: the new key is next, the former next encrypts",
              out == f"# id secret\n# 0 ({f})\n0.0 {ks[2]}\n0.1 {ks[3]}\n0.2 {n1}\n\n", out)
        check("rotated: a ticket of the former key still resumes",
              resumes(ctx, before, a.port) is True)
        _, after, _ = fetch(ctx, a.port)  # encrypted with ks[3], B knows it
        check("rotated: new tickets use the former next key (B accepts them)",
              resumes(ctx, after, b.port) is True)
        out = cli(a.sock, f"set ssl tls-key {f} {n2}")
        check("set by file name", out == "TLS ticket key updated!\n\n", out)
        check("two rotations later the first ticket is refused",
              resumes(ctx, before, a.port) is False)
    finally:
        a.stop()
        b.stop()


CLI_CMDS = ["show tls-keys", "show tls-keys *", "show tls-keys #1", "show tls-keys 1",
            "show tls-keys {k48}", "set ssl tls-key #0 {key48}", "set ssl tls-key #0 {key80}",
            "show tls-keys #0", "set ssl tls-key #0 @@@", "set ssl tls-key #0 AAAA",
            "set ssl tls-key", "set ssl tls-key #7 AAAA", "set ssl tls-key /nonexistent AAAA"]


def cli_answers(binary, d, k48, k80, key48, key80):
    more = f"bind 127.0.0.1:{free_port()} ssl crt {d}/a.pem tls-ticket-keys {k80}\n" \
           f"    bind 127.0.0.1:{free_port()} ssl crt {d}/a.pem tls-ticket-keys {k48}"
    p = Proxy(d, k48, "X", binary, more)
    try:
        return [cli(p.sock, c.format(k48=k48, key48=key48, key80=key80)) for c in CLI_CMDS]
    finally:
        p.stop()


def test_cli(d, ks):
    k48 = write_keys(d, "k48", ks)
    k80 = write_keys(d, "k80b", keys(3, 80))
    key48, key80 = keys(1)[0], keys(1, 80)[0]
    out = cli_answers(HALYARD, d, k48, k80, key48, key80)
    check("files numbered from the last declared one",
          out[0] == f"# id (file)\n0 ({k80})\n1 ({k48})\n\n", out[0])
    check("unknown reference", out[3] == "'show tls-keys' unable to locate referenced filename\n\n")
    check("key of the wrong size", out[5] == "'set ssl tls-key' received a key of wrong size.\n\n")
    check("invalid base64", out[8] == "'set ssl tls-key' received invalid base64 encoded TLS key.\n\n")
    check("no argument", out[10] ==
          "'set ssl tls-key' expects a filename and the new TLS key in base64 encoding.\n\n")
    if os.path.exists(HAPROXY):
        ref = cli_answers(HAPROXY, d, k48, k80, key48, key80)
        for c, a, b in zip(CLI_CMDS, out, ref):
            check(f"same as haproxy: {c.split('{')[0]}", a == b, f"\n{a!r}\n{b!r}")


def test_haproxy(d, ks):
    if not os.path.exists(HAPROXY):
        return
    f = write_keys(d, "k4", ks)
    a, h = Proxy(d, f, "A"), Proxy(d, f, "H", HAPROXY)
    try:
        for v, vn in ((V12, "TLS 1.2"), (V13, "TLS 1.3")):
            ctx = client(v)
            _, sess, _ = fetch(ctx, a.port)
            check(f"{vn}: our ticket resumes on haproxy", resumes(ctx, sess, h.port) is True)
            _, sess, _ = fetch(ctx, h.port)
            check(f"{vn}: haproxy's ticket resumes on ours", resumes(ctx, sess, a.port) is True)
    finally:
        a.stop()
        h.stop()


def test_reload(d, ks):
    f = write_keys(d, "k4", ks)
    port = free_port()
    tmp = tempfile.mkdtemp()
    sock = os.path.join(tmp, "s.sock")
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as fh:
        fh.write(CONFIG.format(sock=sock, d=d, port=port, keys=f, name="R", more=""))
    proc = subprocess.Popen([HALYARD, "-W", "-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        wait_for(lambda: os.path.exists(sock))
        time.sleep(0.3)

        def pid():
            try:
                return [ln for ln in cli(sock, "show info").splitlines() if ln.startswith("Pid:")]
            except OSError:
                return []
        old = pid()
        ctx = client(V13)
        _, sess, _ = fetch(ctx, port)
        proc.send_signal(signal.SIGUSR2)
        check("reload: a new worker", wait_for(lambda: pid() not in ([], old), 15), old)
        check("reload: the ticket resumes on the new worker", resumes(ctx, sess, port) is True)
    finally:
        proc.terminate()
        proc.wait(timeout=15)
        shutil.rmtree(tmp, ignore_errors=True)


def test_errors(d, ks):
    cases = [("nonexistent", None, "unable to load ssl tickets keys file"),
             ("few", ks[:2], "please supply at least 3 keys in the tls-tickets-file"),
             ("mixed", ks[:2] + keys(1, 80), "wrong sized key on line 3"),
             ("odd", ks[:2] + [base64.b64encode(os.urandom(32)).decode()],
              "wrong sized key on line 3"),
             ("bad", ks[:1] + ["@@@@"] + ks[1:3], "unable to decode base64 key on line 2")]
    for name, lines, msg in cases:
        f = write_keys(d, name, lines) if lines is not None else os.path.join(d, name)
        cfg = os.path.join(d, "chk.cfg")
        with open(cfg, "w") as fh:
            fh.write(CONFIG.format(sock=os.path.join(d, "c.sock"), d=d, port=free_port(), keys=f,
                                   name="C", more=""))
        r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True, timeout=30)
        out = r.stdout + r.stderr
        check(f"-c {name}: refused", r.returncode != 0 and f"'{f}' : {msg}" in out, out)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    d = tempfile.mkdtemp()
    try:
        make_certs(d)
        ks = keys(4)
        test_shared(d, ks)
        test_which_key(d, ks)
        test_aes256(d)
        test_rotation(d, ks)
        test_cli(d, ks)
        test_haproxy(d, ks)
        test_reload(d, ks)
        test_errors(d, ks)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
