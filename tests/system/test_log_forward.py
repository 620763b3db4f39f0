"""log-forward sections: syslog messages received over UDP and TCP (newline
and octet-counting framing) are relayed to log targets, unchanged for a
target without a format, rewritten for the others. Run next to Debian's
haproxy 2.6 when it is installed: both get the same messages and must send
the same lines (messages with a PRI; without one, Halyard uses the notice
level where haproxy uses emerg; an RFC 5424 message with only "-" in its
header is passed whole, where haproxy keeps only "<PRI>message"). Also:
maxconn on TCP, and the level filter of a target.
"""
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time

from halyard_test import check, summary, free_port

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """
log-forward fwd
    dgram-bind 127.0.0.1:{udp_in}
    bind 127.0.0.1:{tcp_in}
    maxconn 2
    timeout client 2s
    log 127.0.0.1:{out} local0
    log 127.0.0.1:{out} format rfc5424 local0
    log 127.0.0.1:{out} format rfc3164 local0
    log 127.0.0.1:{out} format raw local0
    log 127.0.0.1:{out} format short local0
    log 127.0.0.1:{out} format priority local0
    log 127.0.0.1:{out} local0 warning
"""

UDP_MSGS = [
    b"<134>Dec  6 03:20:00 myhost app[12]: hello 3164",
    b'<131>1 2026-12-06T03:20:00.123456+01:00 host5 app5 77 ID1 [x@1 a="b\\]"] hello 5424',
    b"<27>1 2026-12-06T03:20:00Z - - - - - only the message",
    b"<150>Dec 16 23:59:59 edge nginx: GET / 200",
]
TCP_STREAM = (b"<134>Dec  6 03:20:00 myhost app[12]: over tcp\n"
              b"20 <134>octet counted!!"
              b"<11>Dec  6 03:20:01 myhost app[13]: after\n")


def sink():
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind(("127.0.0.1", 0))
    s.settimeout(0.5)
    return s


def drain(s, quiet=1.0):
    out = []
    while True:
        try:
            out.append(s.recv(65536))
        except socket.timeout:
            return out


def run(binary, args):
    """Starts <binary> on a fresh config, sends every message, returns the
    lines received (None when it did not start)."""
    tmp = tempfile.mkdtemp()
    out = sink()
    ports = {"udp_in": free_port(), "tcp_in": free_port(), "out": out.getsockname()[1]}
    cfg = os.path.join(tmp, "cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(**ports))
    proc = subprocess.Popen([binary] + args + ["-f", cfg], stdout=subprocess.DEVNULL,
                            stderr=subprocess.DEVNULL)
    try:
        for _ in range(50):  # wait for the TCP listener
            try:
                socket.create_connection(("127.0.0.1", ports["tcp_in"]), timeout=1).close()
                break
            except OSError:
                time.sleep(0.1)
        drain(out, 0.3)
        u = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
        for m in UDP_MSGS:
            u.sendto(m, ("127.0.0.1", ports["udp_in"]))
            time.sleep(0.05)  # keep the order of the lines
        c = socket.create_connection(("127.0.0.1", ports["tcp_in"]))
        c.sendall(TCP_STREAM)
        c.close()
        lines = drain(out)
        # maxconn 2: a third connection is closed at once
        held = [socket.create_connection(("127.0.0.1", ports["tcp_in"])) for _ in range(2)]
        time.sleep(0.2)
        third = socket.create_connection(("127.0.0.1", ports["tcp_in"]))
        third.settimeout(2)
        try:
            closed = third.recv(1) == b""
        except OSError:
            closed = True
        for h in held + [third]:
            h.close()
        return lines, closed
    finally:
        proc.terminate()
        proc.wait()
        out.close()


def strip_dates(lines):
    """Dates made at relay time differ between two runs: masked."""
    iso = rb"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{6}[+-]\d\d:\d\d"
    bsd = rb"^(<\d+>)\w{3} [ \d]\d \d\d:\d\d:\d\d (localhost )"  # no date came in
    return [re.sub(bsd, rb"\1NOW \2", re.sub(iso, b"NOW", x)) for x in lines]


def main():
    lines, closed = run(HALYARD, [])
    check("lines relayed", len(lines) >= 7 * len(UDP_MSGS), f"{len(lines)} lines")
    check("a target without format gets the message unchanged", UDP_MSGS[0] + b"\n" in lines)
    check("rfc3164 -> rfc5424", b"<134>1 " in b"".join(lines) and any(
        re.match(rb"^<134>1 \d{4}-12-06T03:20:00-00:00 myhost app 12 - - hello 3164\n$", x)
        for x in lines), str(lines[:3]))
    check("rfc5424 -> rfc3164", b"<131>Dec  6 03:20:00 host5 app5[77]: hello 5424\n" in lines)
    check("structured data kept", any(b'[x@1 a="b\\]"] hello 5424' in x for x in lines))
    check("level filter: notice and info stay out of the warning target",
          lines.count(b"<134>Dec  6 03:20:00 myhost app[12]: hello 3164\n") == 2)
    check("tcp newline framing", b"over tcp\n" in lines and b"<3>after\n" in lines)
    check("tcp octet counting", b"octet counted!!\n" in lines)
    check("an empty RFC 5424 header passes whole",
          lines.count(UDP_MSGS[2] + b"\n") == 3, str([x for x in lines if b"only" in x]))
    check("maxconn closes extra TCP connections", closed)
    if os.path.exists(HAPROXY):
        ref, ref_closed = run(HAPROXY, ["-d"])
        # haproxy 2.6 passes an RFC 5424 message whose header fields are all
        # "-" as "<PRI>message" to a target without format; we keep it whole
        mine = [x for x in lines if b"only the message" not in x]
        ref = [x for x in ref if b"only the message" not in x]
        check("same lines as haproxy 2.6",
              sorted(strip_dates(mine)) == sorted(strip_dates(ref)),
              "\n".join(repr(x) for x in set(strip_dates(lines)) ^ set(strip_dates(ref))))
        check("same maxconn behaviour as haproxy 2.6", closed == ref_closed)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
