"""OCSP stapling from "<crt>.ocsp" files and the OCSP CLI commands.

A CA, two leaves it signs and OCSP responses signed by the CA as
responder are made at test time with the openssl command (`openssl ocsp`
with an index file); an out-of-date response is built with Python's
cryptography package (openssl ocsp cannot date one in the past). Checked,
against the real binary (and against /usr/sbin/haproxy, when present, with
the same files):
 - the response is stapled when the client asks (openssl s_client -status,
   TLS 1.2 and 1.3), byte for byte as in the file, and not sent otherwise;
 - the issuer comes from the chain in the PEM, or from "<crt>.issuer";
   without either, start-up fails with HAProxy's message; an .issuer file
   that did not sign the certificate is refused;
 - a response for another certificate, an out-of-date one and garbage
   are reported with HAProxy's warning at start-up and not stapled;
 - "<crt>.sctl" (Certificate Transparency) is sent to TLS 1.2 clients that
   ask (openssl s_client -ct), as HAProxy 2.6 does; a malformed one fails;
 - ssl-load-extra-files: "none" loads no .ocsp, "ocsp" without "issuer"
   leaves a chain-less certificate without issuer, "key" governs the
   "<crt>.key" fallback, unknown values are refused by name, "all"/"none"
   stand alone;
 - "show ssl ocsp-response" (IDs, then one response) and "set ssl
   ocsp-response" (one-line base64 and "<<" payload): new response
   stapled at once, a response for an unknown certificate, out of date or
   invalid base64 refused with HAProxy's messages; same output as
   HAProxy's.
"""
import base64
import datetime
import os
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time

from halyard_test import check, cli, free_port, start_proxy, summary, wait_for
from tls_helpers import sh

HALYARD = os.environ.get("HALYARD")
HAPROXY = "/usr/sbin/haproxy"

CONFIG = """
global
    stats socket {sock} level admin
    {extra}
defaults
    mode http
    timeout connect 2s
    timeout client 3s
    timeout server 3s
frontend fe
    bind 127.0.0.1:{port} ssl crt {crt}
    http-request return status 200 content-type text/plain string ok
"""


def leaf(d, name, cn):
    sh("openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", f"{name}.key",
       "-out", f"{name}.csr", "-subj", f"/CN={cn}", cwd=d)
    sh("openssl", "x509", "-req", "-in", f"{name}.csr", "-CA", "ca.crt", "-CAkey", "ca.key",
       "-CAcreateserial", "-days", "2", "-out", f"{name}.crt", cwd=d)
    serial = subprocess.run(["openssl", "x509", "-in", f"{name}.crt", "-noout", "-serial"],
                            cwd=d, capture_output=True, text=True,
                            check=True).stdout.strip().split("=")[1]
    return serial


def respond(d, name, out, status="V"):
    """An OCSP response for <name>.crt signed by the CA, valid for a day;
    <status> "V" (good) or "R" (revoked) in the responder's index."""
    serial = leaf.serials[name]
    rev = "261201000000Z" if status == "R" else ""
    with open(os.path.join(d, "index.txt"), "w") as f:
        f.write(f"{status}\t301231235959Z\t{rev}\t{serial}\tunknown\t/CN={name}\n")
    sh("openssl", "ocsp", "-index", "index.txt", "-rsigner", "ca.crt", "-rkey", "ca.key",
       "-CA", "ca.crt", "-issuer", "ca.crt", "-cert", f"{name}.crt", "-ndays", "1",
       "-respout", out, cwd=d)


def expired_response(d, name, out):
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.x509 import ocsp
    load = lambda f: x509.load_pem_x509_certificate(open(os.path.join(d, f), "rb").read())
    cert, ca = load(f"{name}.crt"), load("ca.crt")
    key = serialization.load_pem_private_key(open(os.path.join(d, "ca.key"), "rb").read(), None)
    now = datetime.datetime.now(datetime.timezone.utc)
    b = ocsp.OCSPResponseBuilder().add_response(
        cert=cert, issuer=ca, algorithm=hashes.SHA1(), cert_status=ocsp.OCSPCertStatus.GOOD,
        this_update=now - datetime.timedelta(days=2), next_update=now - datetime.timedelta(days=1),
        revocation_time=None, revocation_reason=None).responder_id(
            ocsp.OCSPResponderEncoding.HASH, ca)
    with open(os.path.join(d, out), "wb") as f:
        f.write(b.sign(key, hashes.SHA256()).public_bytes(serialization.Encoding.DER))


def cat(d, out, *parts):
    with open(os.path.join(d, out), "w") as f:
        for p in parts:
            f.write(open(os.path.join(d, p)).read())


def make_files(d):
    sh("openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", "ca.key",
       "-out", "ca.crt", "-subj", "/CN=OCSP Test CA", "-days", "3", cwd=d)
    leaf.serials = {n: leaf(d, n, n) for n in ("a", "b")}
    respond(d, "a", "a.der")
    respond(d, "a", "a-revoked.der", "R")
    respond(d, "b", "b.der")
    expired_response(d, "a", "a-old.der")
    # one directory per case, each with its a.pem and companions
    cases = {"good": ("chain", "a.der", None), "nochain": ("plain", "a.der", None),
             "issuer": ("plain", "a.der", "ca.crt"), "badissuer": ("plain", "a.der", "b.crt"),
             "other": ("chain", "b.der", None), "old": ("chain", "a-old.der", None),
             "garbage": ("chain", None, None), "none": ("chain", None, None)}
    for case, (kind, resp, issuer) in cases.items():
        os.mkdir(os.path.join(d, case))
        parts = ("a.crt", "ca.crt", "a.key") if kind == "chain" else ("a.crt", "a.key")
        cat(d, f"{case}/a.pem", *parts)
        if resp:
            shutil.copy(os.path.join(d, resp), os.path.join(d, case, "a.pem.ocsp"))
        if issuer:
            shutil.copy(os.path.join(d, issuer), os.path.join(d, case, "a.pem.issuer"))
    with open(os.path.join(d, "garbage", "a.pem.ocsp"), "w") as f:
        f.write("not a response\n")
    # a key kept beside the certificate
    os.mkdir(os.path.join(d, "keyfile"))
    cat(d, "keyfile/a.pem", "a.crt", "ca.crt")
    shutil.copy(os.path.join(d, "a.key"), os.path.join(d, "keyfile", "a.pem.key"))
    shutil.copy(os.path.join(d, "a.der"), os.path.join(d, "keyfile", "a.pem.ocsp"))


def s_client(port, *extra):
    """What openssl s_client -status prints about OCSP (the text between
    "OCSP response:" and the next "---"), or "none" when nothing was
    stapled, or "failed"."""
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                        "-servername", "a", *extra], input="", capture_output=True,
                       text=True, timeout=10)
    out = r.stdout
    if "OCSP response: no response sent" in out:
        return "none"
    if "OCSP response:" not in out:
        return "failed" if r.returncode else "not asked"
    return out.split("OCSP response:", 1)[1].split("\n---\n", 1)[0]


def run_check(binary, d, crt, extra=""):
    cfg = os.path.join(d, "check.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=os.path.join(d, "chk.sock"), extra=extra, port=free_port(),
                              crt=crt))
    r = subprocess.run([binary, "-c", "-f", cfg], capture_output=True, text=True, timeout=30)
    return r.returncode, r.stdout + r.stderr


class Proxy:
    def __init__(self, binary, d, crt, extra=""):
        self.port = free_port()
        self.proc, self.sock, self.err = start_proxy(binary, CONFIG, extra=extra, port=self.port,
                                                     crt=crt)

    def stderr(self):
        self.err.seek(0)
        return self.err.read()

    def stop(self):
        self.proc.terminate()
        self.proc.wait(timeout=10)
        err = self.stderr()
        if "Sanitizer" in err or "runtime error" in err:
            check("no sanitizer report", False, err[-3000:])


def ocsp_text(d, der):
    return subprocess.run(["openssl", "ocsp", "-respin", der, "-resp_text", "-noverify"],
                          cwd=d, capture_output=True, text=True, timeout=10).stdout


def test_stapling(d):
    p = Proxy(HALYARD, d, f"{d}/good/a.pem")
    try:
        for v in ("-tls1_2", "-tls1_3"):
            r = s_client(p.port, "-status", v)
            check(f"stapled on {v}", "Cert Status: good" in r and
                  "Serial Number: " + leaf.serials["a"] in r, r[:300])
        check("not stapled without status request", s_client(p.port) == "not asked")
        # the signature is unique to this response: printed the same, it is the same
        sig = ocsp_text(d, "a.der").split("Signature Value:")[1].split("Certificate:")[0]
        r = s_client(p.port, "-status")
        check("stapled response is the file's", len(sig) > 200 and sig in r, r[-400:])
    finally:
        p.stop()


def test_issuer(d):
    p = Proxy(HALYARD, d, f"{d}/issuer/a.pem")
    try:
        check(".issuer file gives the issuer", "Cert Status: good" in s_client(p.port, "-status"))
    finally:
        p.stop()
    rc, out = run_check(HALYARD, d, f"{d}/nochain/a.pem")
    check("no issuer: refused", rc != 0 and
          f"'{d}/nochain/a.pem.ocsp' is present and activates OCSP but it is impossible to "
          "compute the OCSP certificate ID (maybe the issuer could not be found)'" in out, out)
    cfg = os.path.join(d, "srv.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.format(sock=os.path.join(d, "srv.sock"), extra="", port=free_port(),
                              crt=f"{d}/good/a.pem") + "    default_backend be\nbackend be\n"
                f"    server s 127.0.0.1:{free_port()} ssl verify none crt {d}/nochain/a.pem\n")
    r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True, timeout=30)
    rc, out = r.returncode, r.stdout + r.stderr
    check("no issuer on a server line: accepted (the response is not used)", rc == 0, out)
    rc, out = run_check(HALYARD, d, f"{d}/badissuer/a.pem")
    check("wrong .issuer: refused", rc != 0 and
          f"'{d}/badissuer/a.pem.issuer' is not an issuer'" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/issuer/a.pem", "ssl-load-extra-files ocsp")
    check("extra files 'ocsp' alone: .issuer not read", rc != 0 and
          "impossible to compute the OCSP certificate ID" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/issuer/a.pem", "ssl-load-extra-files ocsp issuer")
    check("extra files 'ocsp issuer': accepted", rc == 0, out)


def test_bad_responses(d):
    cases = [("other", "Certificate ID does not match certificate and issuer"),
             ("old", "no longer valid."), ("garbage", "Unable to parse OCSP response")]
    for case, msg in cases:
        p = Proxy(HALYARD, d, f"{d}/{case}/a.pem")
        try:
            check(f"{case}: not stapled", s_client(p.port, "-status") == "none")
            check(f"{case}: warning at start-up",
                  f"config : Loading: OCSP single response: {msg}. Content will be ignored."
                  in p.stderr() if case != "garbage" else
                  f"config : Loading: {msg}. Content will be ignored." in p.stderr(), p.stderr())
        finally:
            p.stop()


def test_extra_files(d):
    p = Proxy(HALYARD, d, f"{d}/good/a.pem", "ssl-load-extra-files none")
    try:
        check("extra files none: no stapling", s_client(p.port, "-status") == "none")
    finally:
        p.stop()
    p = Proxy(HALYARD, d, f"{d}/keyfile/a.pem")
    try:
        check("key from .key, response stapled", "Cert Status: good" in s_client(p.port, "-status"))
    finally:
        p.stop()
    rc, out = run_check(HALYARD, d, f"{d}/keyfile/a.pem", "ssl-load-extra-files ocsp issuer")
    check("extra files without 'key': .key not read",
          rc != 0 and f"No Private Key found in '{d}/keyfile/a.pem'" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/good/a.pem", "ssl-load-extra-files foo")
    check("extra files: unknown value named", rc != 0 and "unknown value 'foo'" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/good/a.pem", "ssl-load-extra-files ocsp all")
    check("extra files: all alone",
          rc != 0 and "'ssl-load-extra-files' 'none' and 'all' can be only used alone" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/good/a.pem", "ssl-load-extra-files")
    check("extra files: value needed", rc != 0 and "expects one or multiple arguments" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/good/a.pem", "ssl-load-extra-files bundle sctl ocsp issuer key")
    check("extra files: every value", rc == 0, out)


def sct_list():
    """A SignedCertificateTimestampList of one SCT (log ID, timestamp,
    no extension, an ECDSA-SHA256 signature of 8 bytes)."""
    log_id = bytes(range(32))
    sct = bytes([0]) + log_id + struct.pack(">Q", 1700000000000) + struct.pack(">H", 0) + \
        bytes([4, 3]) + struct.pack(">H", 8) + b"signatur"
    entry = struct.pack(">H", len(sct)) + sct
    return struct.pack(">H", len(entry)) + entry


CT_LOGS = """enabled_logs = test
[test]
key = MFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAEfahLEimAoz2t01p3uMziiLOl/fHTDM0YDOhBRuiBARsV4UvxG2LdNgoIGLrtCzWE0J5APC2em4JlvR8EEEFMoA==
description = test
"""


def sct_seen(d, port, *extra):
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tlsextdebug",
                        *extra], input="", capture_output=True, text=True, timeout=10).stdout
    sent = 'TLS server extension "signed certificate timestamps" (id=18)' in r
    return sent, "Log ID    : 00:01:02:03:04:05:06:07:08:09:0A:0B:0C:0D:0E:0F:" in r


def test_sctl(d):
    for case, data in (("sctl", sct_list()), ("badsctl", b"\x00\x10abc")):
        os.mkdir(os.path.join(d, case))
        cat(d, f"{case}/a.pem", "a.crt", "ca.crt", "a.key")
        with open(os.path.join(d, case, "a.pem.sctl"), "wb") as f:
            f.write(data)
    with open(os.path.join(d, "ct.cnf"), "w") as f:
        f.write(CT_LOGS)
    ask = ("-ct", "-ctlogfile", os.path.join(d, "ct.cnf"))
    for binary in (HALYARD, HAPROXY):
        if not os.path.exists(binary):
            continue
        name = "haproxy" if binary == HAPROXY else "halyard"
        p = Proxy(binary, d, f"{d}/sctl/a.pem")
        try:
            check(f"{name}: .sctl sent on TLS 1.2 when asked",
                  sct_seen(d, p.port, "-tls1_2", *ask) == (True, True))
            check(f"{name}: .sctl not sent unasked", sct_seen(d, p.port, "-tls1_2")[0] is False)
            check(f"{name}: .sctl not sent on TLS 1.3 (as HAProxy 2.6)",
                  sct_seen(d, p.port, "-tls1_3", *ask)[0] is False)
        finally:
            p.stop()
    rc, out = run_check(HALYARD, d, f"{d}/badsctl/a.pem")
    check("malformed .sctl refused", rc != 0 and
          f"'{d}/badsctl/a.pem.sctl' is present but cannot be read or parsed'" in out, out)
    rc, out = run_check(HALYARD, d, f"{d}/badsctl/a.pem", "ssl-load-extra-files ocsp issuer key")
    check(".sctl not read without 'sctl'", rc == 0, out)


def b64(d, f):
    return base64.b64encode(open(os.path.join(d, f), "rb").read()).decode()


def cli_payload(sock, text):
    """Sends <text> (a command with its payload) and reads the answer until
    the proxy closes after our end of input (the session stays open after a
    payload)."""
    s = socket.socket(socket.AF_UNIX)
    s.settimeout(5)
    s.connect(sock)
    s.sendall(text.encode())
    s.shutdown(socket.SHUT_WR)
    out = b""
    while True:
        d = s.recv(65536)
        if not d:
            break
        out += d
    s.close()
    return out.decode()


def cli_session(binary, d):
    """The answers of a sequence of CLI commands on <binary>, with what
    s_client shows after the updates."""
    p = Proxy(binary, d, f"{d}/good/a.pem")
    out = {}
    try:
        ids = cli(p.sock, "show ssl ocsp-response")
        out["ids"] = ids
        key = ids.split("Certificate ID key : ")[1].split("\n")[0] if "key : " in ids else "x"
        out["one"] = cli(p.sock, f"show ssl ocsp-response {key}")
        out["unknown id"] = cli(p.sock, "show ssl ocsp-response 3000")
        out["set revoked"] = cli(p.sock, f"set ssl ocsp-response {b64(d, 'a-revoked.der')}")
        out["staple after set"] = "revoked" if "Cert Status: revoked" in s_client(
            p.port, "-status") else "not revoked"
        out["one after set"] = cli(p.sock, f"show ssl ocsp-response {key}")
        out["set other"] = cli(p.sock, f"set ssl ocsp-response {b64(d, 'b.der')}")
        out["set old"] = cli(p.sock, f"set ssl ocsp-response {b64(d, 'a-old.der')}")
        out["set none"] = cli(p.sock, "set ssl ocsp-response")
        out["set bad b64"] = cli(p.sock, "set ssl ocsp-response @@@@")
        out["set not der"] = cli(p.sock, "set ssl ocsp-response AAAA")
        lines = "\n".join(b64(d, "a.der")[i:i + 64] for i in range(0, len(b64(d, "a.der")), 64))
        out["set payload"] = cli_payload(p.sock, f"set ssl ocsp-response <<\n{lines}\n\n")
        out["staple after payload"] = "good" if "Cert Status: good" in s_client(
            p.port, "-status") else "not good"
    finally:
        p.stop()
    return out


def test_cli(d):
    out = cli_session(HALYARD, d)
    check("show ids", out["ids"].startswith("# Certificate IDs\nCertificate ID key : 30") and
          f"   Serial Number: {leaf.serials['a']}\n" in out["ids"], out["ids"])
    check("show one", out["one"].startswith("OCSP Response Data:\n") and
          "Cert Status: good" in out["one"], out["one"][:200])
    check("show unknown id", out["unknown id"] == "Certificate ID does not match any certificate.\n\n",
          out["unknown id"])
    check("set: updated", out["set revoked"] == "OCSP Response updated!\n\n", out["set revoked"])
    check("set: stapled at once", out["staple after set"] == "revoked")
    check("set: shown", "Cert Status: revoked" in out["one after set"])
    check("set: unknown certificate", out["set other"] ==
          "OCSP single response: Certificate ID does not match any certificate or issuer.\n\n",
          out["set other"])
    check("set: out of date", out["set old"] == "OCSP single response: no longer valid..\n\n",
          out["set old"])
    check("set: no argument",
          out["set none"] == "'set ssl ocsp-response' expects response in base64 encoding.\n\n")
    check("set: invalid base64", out["set bad b64"] ==
          "'set ssl ocsp-response' received invalid base64 encoded response.\n\n", out["set bad b64"])
    check("set: not a response", out["set not der"] == "Unable to parse OCSP response.\n\n",
          out["set not der"])
    check("set: payload", out["set payload"] == "OCSP Response updated!\n\n", out["set payload"])
    check("set: payload stapled", out["staple after payload"] == "good")
    if os.path.exists(HAPROXY):
        ref = cli_session(HAPROXY, d)
        for k in out:
            check(f"same as haproxy: {k}", out[k] == ref[k],
                  f"\n{out[k][:1500]!r}\n{ref[k][:1500]!r}")


def test_same_as_haproxy(d):
    if not os.path.exists(HAPROXY):
        return
    for case in ("good", "nochain", "badissuer", "issuer"):
        rc, out = run_check(HALYARD, d, f"{d}/{case}/a.pem")
        rc2, out2 = run_check(HAPROXY, d, f"{d}/{case}/a.pem")
        check(f"-c {case}: same verdict as haproxy", (rc == 0) == (rc2 == 0), f"{out}\n{out2}")


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    d = tempfile.mkdtemp()
    try:
        make_files(d)
        test_stapling(d)
        test_issuer(d)
        test_bad_responses(d)
        test_extra_files(d)
        test_sctl(d)
        test_cli(d)
        test_same_as_haproxy(d)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
