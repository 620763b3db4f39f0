#!/usr/bin/env bash
# Installs every Debian package needed to build and test Halyard.
#
# Idempotent: when dpkg-query reports every package installed, apt is not
# touched at all (fast path, no root needed).  Otherwise runs `apt-get update`
# once and installs the missing packages non-interactively.  Services shipped
# by the haproxy/nginx packages are prevented from starting (policy-rc.d) and
# any such daemon found running afterwards is stopped, so no port is held.
set -euo pipefail

PKGS=(
	build-essential cmake ninja-build pkg-config git
	libssl-dev libpcre2-dev zlib1g-dev liburcu-dev libjemalloc-dev
	clang libclang-rt-14-dev        # clang + libFuzzer/ASan runtime (fuzz build)
	varnish                         # varnishtest, runs tests/vtc
	socat curl wrk nghttp2-client haproxy nginx-light
	python3 procps iproute2 openssl
	python3-cryptography            # out-of-date OCSP responses of test_tls_ocsp.py
	redis-server postgresql mariadb-server   # real peers of the protocol health checks
	chromium                        # headless browser of test_stats_admin.py (~122 MB download)
)
DAEMONS=(haproxy nginx redis-server postgresql mariadb)

log() { printf 'install-deps: %s\n' "$*"; }

# Root, or sudo, is only needed when something must change.
SUDO=()
need_root() {
	if [ "$(id -u)" -eq 0 ]; then
		SUDO=()
	elif command -v sudo >/dev/null 2>&1; then
		SUDO=(sudo -n)
	else
		log "error: must run as root (or with sudo available) to install: $*" >&2
		exit 1
	fi
}

# Stops a packaged haproxy/nginx daemon if one is running (pidfile of the
# Debian service).  Only the service's own stop command is used.
stop_daemons() {
	local d pid
	for d in "${DAEMONS[@]}"; do
		pid=$(cat "/run/$d.pid" 2>/dev/null || true)
		[ -n "$pid" ] && kill -0 "$pid" 2>/dev/null || continue
		need_root "stop $d"
		log "stopping the $d service (pid $pid) so it holds no port"
		if [ -d /run/systemd/system ]; then
			"${SUDO[@]}" systemctl stop "$d" || true
		elif [ -x "/etc/init.d/$d" ]; then
			"${SUDO[@]}" "/etc/init.d/$d" stop || true
		fi
	done
}

# Fast path: one dpkg-query for all packages.
installed=$(dpkg-query -W -f='${Package} ${db:Status-Status}\n' "${PKGS[@]}" 2>/dev/null |
	awk '$2 == "installed" { print $1 }' || true)
missing=()
for p in "${PKGS[@]}"; do
	grep -qxF "$p" <<<"$installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
	log "all ${#PKGS[@]} packages already installed"
	stop_daemons
	exit 0
fi

need_root "${missing[*]}"
log "missing: ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive

# Keep services from starting during the install: a temporary policy-rc.d
# returning 101 (any existing one is saved and restored afterwards).
POLICY=/usr/sbin/policy-rc.d
BACKUP=""
if [ -e "$POLICY" ]; then
	BACKUP=$(mktemp /tmp/policy-rc.d.XXXXXX)
	"${SUDO[@]}" cp -p "$POLICY" "$BACKUP"
fi
restore_policy() {
	if [ -n "$BACKUP" ]; then
		"${SUDO[@]}" cp -p "$BACKUP" "$POLICY" && rm -f "$BACKUP"
	else
		"${SUDO[@]}" rm -f "$POLICY"
	fi
}
trap restore_policy EXIT
printf '#!/bin/sh\nexit 101\n' | "${SUDO[@]}" tee "$POLICY" >/dev/null
"${SUDO[@]}" chmod 755 "$POLICY"

APT_OPTS=(-o DPkg::Lock::Timeout=300 -o Dpkg::Options::=--force-confdef
	-o Dpkg::Options::=--force-confold)
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" update </dev/null
"${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get "${APT_OPTS[@]}" install -y \
	--no-install-recommends "${missing[@]}" </dev/null

restore_policy
trap - EXIT

# The packages enable their services for the next boot; the test suites need
# the ports free, so disable them where systemd manages services.
if [ -d /run/systemd/system ]; then
	"${SUDO[@]}" systemctl disable "${DAEMONS[@]}" >/dev/null 2>&1 || true
fi
stop_daemons
log "done"
