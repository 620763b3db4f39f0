"""Client certificate verification on TLS bind lines.

Certificates are made at test time (tests/system/tls_helpers.py): a client
CA and certificates it signs (a valid one with a multi-entry subject, a
revoked one, an expired one), an intermediate CA that has expired with a
certificate under it, and a certificate from a CA the proxy does not know.
Checked, against the real binary:
 - verify required: a valid certificate is accepted; no certificate, an
   unknown CA, an expired certificate are refused with HAProxy's alerts and
   log lines; a revoked one is refused with crl-file only;
 - crt-ignore-err / ca-ignore-err let listed errors through (expired leaf,
   expired intermediate) and the fetches report them; an error left out of
   the list still fails;
 - verify optional: no certificate goes on, fetches say so;
 - ssl_c_s_dn / ssl_c_i_dn (full, per entry and occurrence, rfc2253),
   ssl_c_serial, ssl_c_sha1, ssl_c_notbefore/notafter, ssl_c_version
   compared with what `openssl x509` prints;
 - crt-list: SNI filters (names replacing the certificate's, "!name"
   taking one out of a wildcard), per-line alpn, per-line verify and
   ca-file over the bind line's, comments and blank lines, the default
   certificate staying the bind line's first;
 - "-c" errors: verify without a CA file, a CA file that does not exist,
   an error id out of range, crt-list lines with an option refused or
   verify without any CA file.
"""
import calendar
import os
import ssl
import subprocess
import sys
import tempfile
import time

from halyard_test import check, summary, free_port
from tls_helpers import (UdpLog, client_ctx, connect, make_ca, make_certs, make_sub_ca,
                         request, revoke, sign_client, x509_field)

HALYARD = os.environ.get("HALYARD")

FIELDS = ("used=%[ssl_c_used] verify=%[ssl_c_verify] ca_err=%[ssl_c_ca_err] "
          "depth=%[ssl_c_ca_err_depth] err=%[ssl_c_err] has_crt=%[ssl_fc_has_crt] "
          "ver=%[ssl_c_version]")
CERT = ("sdn=%[ssl_c_s_dn]|idn=%[ssl_c_i_dn]|cn=%[ssl_c_s_dn(cn)]|ou1=%[ssl_c_s_dn(OU,1)]|"
        "oulast=%[ssl_c_s_dn(OU,-1)]|rfc=%[ssl_c_s_dn(,0,rfc2253)]|"
        "irfc=%[ssl_c_i_dn(,0,rfc2253)]|serial=%[ssl_c_serial,hex]|sha1=%[ssl_c_sha1,hex]|"
        "nb=%[ssl_c_notbefore]|na=%[ssl_c_notafter]")

CRT_LIST = """# comment, then a blank line

a.pem *.foo.example !secure.foo.example
w.pem [alpn http/1.0] x.example
a.pem [verify required ca-file cca.crt] secure.example
w.pem [verify optional] opt.example
"""

CONFIG = """
global
    log 127.0.0.1:{udp} local0
    crt-base {d}
    ca-base {d}

defaults
    mode http
    log global
    timeout connect 2s
    timeout client 3s
    timeout server 3s

frontend fe
    bind 127.0.0.1:{req} ssl crt a.pem ca-file cca.crt verify required
    bind 127.0.0.1:{opt} ssl crt a.pem ca-file cca.crt verify optional
    bind 127.0.0.1:{crl} name crl ssl crt a.pem ca-file cca.crt verify required crl-file cca.crl
    bind 127.0.0.1:{ign} ssl crt a.pem ca-file {d}/cca.crt verify required crt-ignore-err 10,20 ca-ignore-err 10
    bind 127.0.0.1:{all} ssl crt a.pem ca-verify-file cca.crt verify optional crt-ignore-err all
    bind 127.0.0.1:{none} ssl crt a.pem ca-file cca.crt
    bind 127.0.0.1:{lst} ssl crt b.pem crt-list {d}/list.txt alpn http/1.1 ca-file oca.crt
    http-request return status 200 content-type text/plain lf-string "{fields}" hdr x-crt "{cert}"
"""


def make_client_certs(d):
    make_certs(d)
    make_ca(d, "cca", "/C=FR/O=Halyard Test/CN=Client CA")
    make_ca(d, "oca", "/CN=Other CA")
    sign_client(d, "cca", "good", "/C=FR/ST=Paris/O=Acme, Inc./OU=Dev/OU=Ops/CN=alice")
    sign_client(d, "cca", "rev", "/CN=mallory")
    sign_client(d, "cca", "old", "/CN=old", "20200101000000Z", "20210101000000Z")
    sign_client(d, "oca", "other", "/CN=stranger")
    make_sub_ca(d, "cca", "ica", "/CN=Old Sub CA", "20200101000000Z", "20210101000000Z")
    sign_client(d, "ica", "sub", "/CN=subuser")
    with open(os.path.join(d, "sub.crt"), "a") as f:  # the client sends its chain
        f.write(open(os.path.join(d, "ica.crt")).read())
    revoke(d, "cca", "rev")


def get(d, port, cert=None):
    """(body, x-crt header) of a GET with client certificate <cert>, or
    the ssl.SSLError / OSError met (handshake refused)."""
    kw = {"cert": cert} if cert else {}
    try:
        s = connect(port, client_ctx(d, **kw))
        try:
            st, hdrs, body = request(s)
        finally:
            s.close()
    except (ssl.SSLError, OSError) as e:
        return e
    return body.decode(), hdrs.get("x-crt", "")


def refused(r, alert):
    """Whether <r> (from get()) is a refusal carrying TLS alert <alert>."""
    if os.environ.get("SHOW_ERRORS"):
        print("   ", repr(r))
    return isinstance(r, ssl.SSLError) and alert in str(r)


def asn1_time(text):
    """"notBefore=Dec  7 22:40:43 2026 GMT" -> "261207224043Z"."""
    t = time.strptime(text.split("=", 1)[1], "%b %d %H:%M:%S %Y %Z")
    return time.strftime("%y%m%d%H%M%SZ", time.gmtime(calendar.timegm(t)))


def test_required(d, p, log):
    r = get(d, p["req"], "good")
    check("required: valid certificate accepted", isinstance(r, tuple) and
          r[0] == "used=1 verify=0 ca_err=0 depth=0 err=0 has_crt=1 ver=3", r)
    r = get(d, p["req"])
    check("required: no certificate refused (certificate required)",
          refused(r, "CERTIFICATE_REQUIRED"), r)
    check("required: no certificate logged", log.wait_for("fe/1: SSL handshake failure"))
    r = get(d, p["req"], "other")
    check("required: unknown CA refused (unknown ca)", refused(r, "UNKNOWN_CA"), r)
    check("required: unknown CA logged",
          log.wait_for("fe/1: SSL client certificate not trusted"), log.lines[-3:])
    r = get(d, p["req"], "old")
    check("required: expired certificate refused", refused(r, "EXPIRED"), r)
    r = get(d, p["req"], "sub")
    check("required: expired intermediate CA refused", refused(r, "EXPIRED"), r)
    check("required: CA chain failure logged",
          log.wait_for("fe/1: SSL client CA chain cannot be verified"), log.lines[-3:])
    r = get(d, p["req"], "rev")
    check("required: revoked certificate accepted without crl-file", isinstance(r, tuple), r)


def test_crl(d, p, log):
    r = get(d, p["crl"], "rev")
    check("crl-file: revoked certificate refused", refused(r, "REVOKED"), r)
    check("crl-file: logged", log.wait_for("fe/crl: SSL client certificate not trusted"))
    r = get(d, p["crl"], "good")
    check("crl-file: valid certificate accepted", isinstance(r, tuple) and
          r[0].startswith("used=1 verify=0"), r)


def test_ignore(d, p):
    r = get(d, p["ign"], "old")
    check("crt-ignore-err 10: expired certificate let through", isinstance(r, tuple) and
          r[0] == "used=1 verify=10 ca_err=0 depth=0 err=10 has_crt=1 ver=3", r)
    r = get(d, p["ign"], "sub")
    check("ca-ignore-err 10: expired intermediate let through", isinstance(r, tuple) and
          r[0] == "used=1 verify=10 ca_err=10 depth=1 err=0 has_crt=1 ver=3", r)
    r = get(d, p["ign"], "other")
    check("crt-ignore-err 10,20: unknown CA still refused (error 21 not listed)",
          isinstance(r, Exception), r)
    r = get(d, p["all"], "other")
    check("crt-ignore-err all: unknown CA let through", isinstance(r, tuple) and
          r[0] == "used=1 verify=21 ca_err=0 depth=0 err=20 has_crt=1 ver=3", r)


def test_optional(d, p):
    r = get(d, p["opt"])
    check("optional: no certificate goes on", isinstance(r, tuple) and
          r[0] == "used=0 verify=0 ca_err=0 depth=0 err=0 has_crt=0 ver=", r)
    check("optional: certificate fetches empty without one",
          isinstance(r, tuple) and r[1] == "sdn=|idn=|cn=|ou1=|oulast=|rfc=|irfc=|serial=|"
          "sha1=|nb=|na=", r)
    r = get(d, p["opt"], "other")
    check("optional: unknown CA still refused", refused(r, "UNKNOWN_CA"), r)
    r = get(d, p["none"], "good")
    check("verify none: no certificate asked", isinstance(r, tuple) and
          r[0] == "used=0 verify=0 ca_err=0 depth=0 err=0 has_crt=0 ver=", r)


def test_cert_fetches(d, p):
    r = get(d, p["opt"], "good")
    check("fetches: request served", isinstance(r, tuple), r)
    if not isinstance(r, tuple):
        return
    got = dict(kv.split("=", 1) for kv in r[1].split("|"))
    crt = os.path.join(d, "good.crt")
    want = {
        "sdn": x509_field(d, crt, "-subject", "-nameopt", "compat").split("=", 1)[1],
        "idn": x509_field(d, crt, "-issuer", "-nameopt", "compat").split("=", 1)[1],
        "cn": "alice", "ou1": "Dev", "oulast": "Ops",
        "rfc": x509_field(d, crt, "-subject", "-nameopt", "RFC2253").split("=", 1)[1],
        "irfc": x509_field(d, crt, "-issuer", "-nameopt", "RFC2253").split("=", 1)[1],
        "serial": x509_field(d, crt, "-serial").split("=", 1)[1],
        "sha1": x509_field(d, crt, "-fingerprint", "-sha1").split("=", 1)[1].replace(":", ""),
        "nb": asn1_time(x509_field(d, crt, "-startdate")),
        "na": asn1_time(x509_field(d, crt, "-enddate")),
    }
    for k, v in want.items():
        check(f"fetch {k} matches openssl x509", got.get(k) == v, (got.get(k), v))
    check("fetch sdn in HAProxy's format", got["sdn"] ==
          "/C=FR/ST=Paris/O=Acme, Inc./OU=Dev/OU=Ops/CN=alice", got["sdn"])


def sni_get(d, port, sni, cert=None):
    """(CN of the server certificate, ALPN, body) of a GET with SNI <sni>,
    or the error met."""
    kw = {"cert": cert} if cert else {}
    try:
        s = connect(port, client_ctx(d, alpn=["http/1.1", "http/1.0"], **kw), sni=sni)
        try:
            cn = dict(x[0] for x in s.getpeercert()["subject"])["commonName"]
            alpn = s.selected_alpn_protocol()
            st, hdrs, body = request(s)
        finally:
            s.close()
    except (ssl.SSLError, OSError) as e:
        return e
    return cn, alpn, body.decode().split(" verify=")[0]


def test_crt_list(d, p):
    port = p["lst"]
    cases = [("a.foo.example", ("a.example", "http/1.1")),
             ("secure.foo.example", ("b.example", "http/1.1")),
             ("x.example", ("*.wild.example", "http/1.0")),
             ("a.example", ("b.example", "http/1.1")),
             ("unknown.example", ("b.example", "http/1.1"))]
    for sni, want in cases:
        r = sni_get(d, port, sni)
        check(f"crt-list: SNI {sni} served by {want[0]} with ALPN {want[1]}",
              isinstance(r, tuple) and r[:2] == want, r)
    r = sni_get(d, port, "secure.example")
    check("crt-list: per-line verify required, no certificate refused",
          refused(r, "CERTIFICATE_REQUIRED"), r)
    r = sni_get(d, port, "secure.example", "good")
    check("crt-list: per-line ca-file accepts its client", isinstance(r, tuple) and
          r[0] == "a.example" and r[2] == "used=1", r)
    r = sni_get(d, port, "opt.example", "other")
    check("crt-list: per-line verify with the bind line's ca-file", isinstance(r, tuple) and
          r[0] == "*.wild.example" and r[2] == "used=1", r)
    r = sni_get(d, port, "opt.example", "good")
    check("crt-list: the bind line's ca-file refuses another CA", refused(r, "UNKNOWN_CA"), r)
    r = sni_get(d, port, "unknown.example", "good")
    check("crt-list: the bind line asks for no certificate", isinstance(r, tuple) and
          r[2] == "used=0", r)


def config_check(d, opts):
    cfg = os.path.join(d, "c.cfg")
    with open(cfg, "w") as f:
        f.write(f"frontend f\n    mode http\n    bind 127.0.0.1:1 ssl crt {d}/a.pem {opts}\n"
                "    timeout client 1s\n")
    r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


def test_config_errors(d):
    rc, out = config_check(d, "verify required")
    check("-c: verify without ca-file", rc == 1 and "Proxy 'f': verify is enabled but no CA "
          f"file specified for bind '127.0.0.1:1' at [{d}/c.cfg:3]." in out, out)
    rc, out = config_check(d, f"ca-file {d}/nosuch.crt verify required")
    check("-c: missing ca-file", rc == 1 and f"Couldn't open the ca-file '{d}/nosuch.crt' (No "
          f"such file or directory)." in out and f"'ca-file' : unable to load {d}/nosuch.crt"
          in out, out)
    rc, out = config_check(d, f"ca-file {d}/good.key verify optional")
    check("-c: ca-file without certificates", rc == 1 and "no certificate or crl found" in out,
          out)
    rc, out = config_check(d, f"ca-file {d}/cca.crt crl-file {d}/cca.crl verify optional")
    check("-c: ca-file and crl-file load", rc == 0 and "valid" in out, out)
    rc, out = config_check(d, f"ca-file {d}/cca.crt verify optional crt-ignore-err 95")
    check("-c: ignored error id out of range",
          rc == 1 and "ID '95' out of range (1..94) in error IDs list '95'" in out, out)
    lst = os.path.join(d, "bad.txt")
    with open(lst, "w") as f:
        f.write(f"{d}/a.pem [verify required] v.example\n")
    rc, out = config_check(d, f"crt-list {lst}")
    check("-c: crt-list line with verify and no CA file", rc == 1 and
          "verify is enabled but no CA file specified" in out, out)
    with open(lst, "w") as f:
        f.write(f"\n{d}/a.pem [ssl-min-ver TLSv1.3] v.example\n")
    rc, out = config_check(d, f"crt-list {lst}")
    check("-c: crt-list line option refused by name", rc == 1 and f"'crt-list '{lst}' line 2' "
          ": option 'ssl-min-ver' is not supported yet in a crt-list." in out, out)


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    with tempfile.TemporaryDirectory() as d:
        make_client_certs(d)
        log = UdpLog()
        p = {k: free_port() for k in ("req", "opt", "crl", "ign", "all", "none", "lst")}
        with open(os.path.join(d, "list.txt"), "w") as f:
            f.write(CRT_LIST)
        cfg = os.path.join(d, "h.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(udp=log.port, d=d, fields=FIELDS, cert=CERT, **p))
        proc = subprocess.Popen([HALYARD, "-f", cfg])
        try:
            time.sleep(0.5)
            test_required(d, p, log)
            test_crl(d, p, log)
            test_ignore(d, p)
            test_optional(d, p)
            test_cert_fetches(d, p)
            test_crt_list(d, p)
            check("process alive", proc.poll() is None)
        finally:
            proc.terminate()
            proc.wait(10)
        check("clean exit", proc.returncode in (0, -15, 143), proc.returncode)
        test_config_errors(d)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
