"""DHE parameters: DH parameters in the certificate's PEM file,
ssl-dh-param-file, tune.ssl.default-dh-param.

Certificates (RSA 2048, RSA 4096, ECDSA) and DH parameters (RFC 7919
groups, written by openssl genpkey) are made at test time. openssl
s_client offering only DHE-RSA ciphers on TLS 1.2 tells the size of the
server's DH parameters, or that no DHE cipher could be agreed. Checked,
against the real binary and, when installed, /usr/sbin/haproxy with the
same files:
 - without any DH setting, DHE works only for a PEM file holding DH
   parameters (of their size);
 - tune.ssl.default-dh-param: the size follows the RSA key, bounded by the
   setting (1024/2048/4096 tiers); 1024 is refused by OpenSSL's security
   level, with HAProxy's warning, and leaves DHE off;
 - ssl-dh-param-file: its parameters for certificates without their own;
 - errors: a value below 1024, a file without DH parameters; DH
   parameters too small in a PEM file give a warning.
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
    bind 127.0.0.1:{p_r2} ssl crt {d}/r2.pem
    bind 127.0.0.1:{p_rdh} ssl crt {d}/rdh.pem
    bind 127.0.0.1:{p_r4} ssl crt {d}/r4.pem
    bind 127.0.0.1:{p_ec} ssl crt {d}/ec.pem
    http-request return status 200 content-type text/plain string ok
"""
PORTS = ("p_r2", "p_rdh", "p_r4", "p_ec")

# setting -> what each bind line gives a DHE-only TLS 1.2 client (HAProxy 2.6)
CASES = {
    "": ("none", "4096", "none", "none"),
    "tune.ssl.default-dh-param 1024": ("none", "4096", "none", "none"),
    "tune.ssl.default-dh-param 2048": ("2048", "4096", "2048", "none"),
    "tune.ssl.default-dh-param 3000": ("2048", "4096", "2048", "none"),
    "tune.ssl.default-dh-param 4096": ("2048", "4096", "4096", "none"),
    "ssl-dh-param-file {d}/dh3072.pem": ("3072", "4096", "3072", "none"),
}


def make_files(d):
    for name, key in (("r2", ["-newkey", "rsa:2048"]), ("r4", ["-newkey", "rsa:4096"]),
                      ("ec", ["-newkey", "ec", "-pkeyopt", "ec_paramgen_curve:P-256"])):
        sh("openssl", "req", "-x509", *key, "-nodes", "-keyout", f"{name}.key", "-out",
           f"{name}.crt", "-subj", f"/CN={name}", "-days", "2", cwd=d)
        cat(d, f"{name}.pem", f"{name}.crt", f"{name}.key")
    for bits in (3072, 4096):
        sh("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
           f"dh_param:ffdhe{bits}", "-out", f"dh{bits}.pem", cwd=d)
    sh("openssl", "genpkey", "-genparam", "-algorithm", "DH", "-pkeyopt",
       "dh_paramgen_prime_len:1024", "-out", "dh1024.pem", cwd=d)
    cat(d, "rdh.pem", "r2.crt", "r2.key", "dh4096.pem")
    cat(d, "rdh1024.pem", "r2.crt", "r2.key", "dh1024.pem")


def cat(d, out, *parts):
    with open(os.path.join(d, out), "w") as f:
        for p in parts:
            f.write(open(os.path.join(d, p)).read())


def dhe(port):
    r = subprocess.run(["openssl", "s_client", "-connect", f"127.0.0.1:{port}", "-tls1_2",
                        "-cipher", "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:"
                        "@SECLEVEL=0"], input="", capture_output=True, text=True, timeout=20)
    for ln in r.stdout.splitlines():
        if ln.startswith("Server Temp Key: DH, "):
            return ln.split(", ")[1].split()[0]
    return "none"


def run(binary, d, extra):
    ports = {p: free_port() for p in PORTS}
    proc, _, err = start_proxy(binary, CONFIG, d=d, extra=extra.format(d=d), **ports)
    try:
        return tuple(dhe(ports[p]) for p in PORTS), err
    finally:
        proc.terminate()
        proc.wait(timeout=10)
        err.seek(0)
        text = err.read()
        if "Sanitizer" in text or "runtime error" in text:
            check("no sanitizer report", False, text[-3000:])


def check_cfg(d, extra, crt="r2.pem"):
    cfg = os.path.join(d, "chk.cfg")
    with open(cfg, "w") as f:
        f.write(CONFIG.replace("rdh.pem", crt).format(
            sock=os.path.join(d, "c.sock"), d=d, extra=extra.format(d=d),
            **{p: free_port() for p in PORTS}))
    r = subprocess.run([HALYARD, "-c", "-f", cfg], capture_output=True, text=True, timeout=60)
    return r.returncode, r.stdout + r.stderr


def main():
    if not HALYARD:
        print("HALYARD not set")
        return 1
    d = tempfile.mkdtemp()
    try:
        make_files(d)
        for extra, want in CASES.items():
            got, err = run(HALYARD, d, extra)
            check(f"[{extra or 'no setting'}] DH sizes {want}", got == want, got)
            if os.path.exists(HAPROXY):
                ref, _ = run(HAPROXY, d, extra)
                check(f"[{extra or 'no setting'}] same as haproxy", got == ref, f"{got} {ref}")
        rc, out = check_cfg(d, "tune.ssl.default-dh-param 1024")
        check("1024: warning", rc == 0 and "unable to load default 1024 bits DH parameter for "
              f"certificate '{d}/r2.pem', DH ciphers won't be available" in out, out)
        rc, out = check_cfg(d, "", "rdh1024.pem")
        check("1024 in the PEM file: warning", rc == 0 and "unable to load the DH parameter "
              f"specified in '{d}/rdh1024.pem', DH ciphers won't be available" in out, out)
        rc, out = check_cfg(d, "tune.ssl.default-dh-param 512")
        check("below 1024 refused",
              rc != 0 and "'tune.ssl.default-dh-param' expects a value >= 1024." in out, out)
        rc, out = check_cfg(d, "ssl-dh-param-file {d}/r2.crt")
        check("file without DH parameters refused", rc != 0 and
              f"'ssl-dh-param-file': unable to load DH parameters from file <{d}/r2.crt>." in out,
              out)
    finally:
        shutil.rmtree(d, ignore_errors=True)
    return summary()


if __name__ == "__main__":
    sys.exit(main())
