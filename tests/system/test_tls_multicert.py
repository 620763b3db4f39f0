"""Choice between an RSA and an ECDSA certificate serving the same name.

Self-signed RSA and ECDSA certificates for the same names are made at test
time. openssl s_client, with chosen signature algorithms, ciphers and
versions, tells which key the server presented. Checked, against the real
binary (and, for every case where HAProxy 2.6 behaves so, against
/usr/sbin/haproxy with the same configuration):
 - with SNI, ECDSA when the client offers an ECDSA signature algorithm and
   an ECDSA cipher, else RSA when it offers an RSA (PKCS#1) one, whatever
   the order of the certificates on the line (HAProxy 2.6's rule, including
   its failures: RSA-PSS alone gets the ECDSA certificate);
 - the first certificate of each key type among exact names, then
   wildcards, is a candidate: an ECDSA wildcard wins over an exact RSA name
   for an ECDSA client (HAProxy 2.6 does so);
 - without SNI, the first certificate, unless the client cannot use its
   key type: then the other one serving the same names (HAProxy 2.6 fails
   the handshake there); the same for a name no certificate serves;
 - a bundle "crt site.pem" made of site.pem.rsa and site.pem.ecdsa loads
   both, ECDSA first as HAProxy does, not with "ssl-load-extra-files none";
 - crt-list lines give the same choice.
"""
import os
import shutil
import subprocess
import sys
import tempfile

from halyard_test import check, free_port, start_proxy, summary
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
    bind 127.0.0.1:{p_re} ssl crt {d}/r.pem crt {d}/e.pem
    bind 127.0.0.1:{p_er} ssl crt {d}/e.pem crt {d}/r.pem
    bind 127.0.0.1:{p_wild} ssl crt {d}/rx.pem crt {d}/ew.pem
    bind 127.0.0.1:{p_bundle} ssl crt {d}/site.pem
    bind 127.0.0.1:{p_list} ssl crt-list {d}/list.txt
    http-request return status 200 content-type text/plain string ok
"""

PORTS = ("p_re", "p_er", "p_wild", "p_bundle", "p_list")
AB = ("a.example", "b.example")
SERVED = {"p_re": AB, "p_er": AB, "p_bundle": AB, "p_list": ("l.example",),
          "p_wild": ("x.wild.example", "y.wild.example")}

CLIENTS = {
    "default": [],
    "rsa sigalgs": ["-sigalgs", "RSA+SHA256:rsa_pss_rsae_sha256"],
    "ecdsa sigalgs": ["-sigalgs", "ECDSA+SHA256"],
    "1.2 rsa cipher": ["-tls1_2", "-cipher", "ECDHE-RSA-AES128-GCM-SHA256"],
    "1.2 ecdsa cipher": ["-tls1_2", "-cipher", "ECDHE-ECDSA-AES128-GCM-SHA256"],
    "1.2 pss only": ["-tls1_2", "-sigalgs", "rsa_pss_rsae_sha256"],
    "1.3 pss only": ["-tls1_3", "-sigalgs", "rsa_pss_rsae_sha256"],
    "1.3 suites only": ["-tls1_3", "-ciphersuites", "TLS_AES_128_GCM_SHA256"],
}

# (port, SNI, client) -> key served ("ec", "rsa", or "fail"), as HAProxy 2.6
WITH_SNI = {"default": "ec", "rsa sigalgs": "rsa", "ecdsa sigalgs": "ec",
            "1.2 rsa cipher": "rsa", "1.2 ecdsa cipher": "ec", "1.2 pss only": "fail",
            "1.3 pss only": "fail", "1.3 suites only": "rsa"}


def make_files(d):
    def cert(name, kind, cn, san):
        key = ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"] if kind == "ec" \
            else ["-newkey", "rsa:2048"]
        sh("openssl", "req", "-x509", *key, "-nodes", "-keyout", f"{name}.key", "-out",
           f"{name}.crt", "-subj", f"/CN={cn}", "-addext", f"subjectAltName={san}", "-days", "2",
           cwd=d)
        with open(os.path.join(d, f"{name}.pem"), "w") as f:
            f.write(open(os.path.join(d, f"{name}.crt")).read())
            f.write(open(os.path.join(d, f"{name}.key")).read())
    cert("r", "rsa", "a.example", "DNS:a.example,DNS:b.example")
    cert("e", "ec", "a.example", "DNS:a.example,DNS:b.example")
    cert("rx", "rsa", "x.wild.example", "DNS:x.wild.example")
    cert("ew", "ec", "*.wild.example", "DNS:*.wild.example")
    shutil.copy(os.path.join(d, "r.pem"), os.path.join(d, "site.pem.rsa"))
    shutil.copy(os.path.join(d, "e.pem"), os.path.join(d, "site.pem.ecdsa"))
    with open(os.path.join(d, "list.txt"), "w") as f:
        f.write(f"{d}/r.pem l.example\n{d}/e.pem l.example\n")


def served(port, sni, args):
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}",
                        *(["-servername", sni] if sni else ["-noservername"]), *args],
                       input="", capture_output=True, text=True, timeout=10)
    if "Server public key is 256 bit" in r.stdout:
        return "ec"
    if "Server public key is 2048 bit" in r.stdout:
        return "rsa"
    return "fail"


def run_matrix(binary, d):
    ports = {p: free_port() for p in PORTS}
    proc, _, err = start_proxy(binary, CONFIG, d=d, extra="", **ports)
    out = {}
    try:
        for cname, args in CLIENTS.items():
            for p in PORTS:
                for sni in ("a.example", "l.example", "x.wild.example", "y.wild.example", None):
                    out[(p, sni, cname)] = served(ports[p], sni, args)
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        err.seek(0)
        text = err.read()
        if "Sanitizer" in text or "runtime error" in text:
            check("no sanitizer report", False, text[-3000:])
    return out


def expected_default(first, cname):
    """Without SNI: the first certificate, the other one when the client
    cannot use the first's key type."""
    cannot_ec = cname in ("rsa sigalgs", "1.2 rsa cipher", "1.2 pss only", "1.3 pss only")
    cannot_rsa = cname in ("ecdsa sigalgs", "1.2 ecdsa cipher")
    if first == "ec" and cannot_ec:
        return "rsa"
    if first == "rsa" and cannot_rsa:
        return "ec"
    return first


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    d = tempfile.mkdtemp()
    try:
        make_files(d)
        out = run_matrix(HALYARD, d)
        for cname in CLIENTS:
            for p in ("p_re", "p_er", "p_bundle"):
                r = out[(p, "a.example", cname)]
                check(f"{p} SNI, {cname}: {WITH_SNI[cname]}", r == WITH_SNI[cname], r)
            r = out[("p_list", "l.example", cname)]
            check(f"crt-list SNI, {cname}: {WITH_SNI[cname]}", r == WITH_SNI[cname], r)
            for p, first in (("p_re", "rsa"), ("p_er", "ec"), ("p_bundle", "ec")):
                want = expected_default(first, cname)
                for sni in (None, "l.example"):
                    r = out[(p, sni, cname)]
                    check(f"{p} SNI {sni}, {cname}: {want}", r == want, r)
            r = out[("p_wild", "x.wild.example", cname)]
            check(f"exact RSA name, ECDSA wildcard, {cname}: {WITH_SNI[cname]}",
                  r == WITH_SNI[cname], r)
            r = out[("p_wild", "y.wild.example", cname)]
            check(f"wildcard only, {cname}: ec or fail", r in ("ec", "fail") and
                  (r == "ec") == (cname not in ("rsa sigalgs", "1.2 rsa cipher", "1.2 pss only",
                                                "1.3 pss only")), r)
        cfg = os.path.join(d, "none.cfg")
        with open(cfg, "w") as f:
            f.write(CONFIG.format(sock=os.path.join(d, "n.sock"), d=d,
                                  extra="ssl-load-extra-files none",
                                  **{p: free_port() for p in PORTS}))
        r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True,
                           timeout=30)
        check("bundle not loaded with ssl-load-extra-files none", r.returncode != 0 and
              f"unable to stat SSL certificate from file '{d}/site.pem'" in r.stdout + r.stderr,
              r.stdout + r.stderr)
        if os.path.exists(HAPROXY):
            ref = run_matrix(HAPROXY, d)
            for k, v in sorted(ref.items(), key=str):
                # HAProxy 2.6 fails on the default certificate (no SNI, or an
                # unknown name) where we serve the other one
                if k[1] not in SERVED[k[0]] and v == "fail" and out[k] != "fail":
                    continue
                check(f"same as haproxy: {k}", out[k] == v, f"{out[k]} vs {v}")
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
