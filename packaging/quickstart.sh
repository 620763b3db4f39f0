#!/usr/bin/env bash
# Installs the dependencies, builds Halyard and runs the quickstart demo in the
# foreground in master-worker mode: an HTTP frontend on 127.0.0.1:8080
# balancing over two small demo origins on 127.0.0.1:8081 and :8082, a stats
# socket for the runtime API and a master CLI socket.
# Stop it with Ctrl-C.
set -euo pipefail
cd "$(dirname "$0")/.."

bash packaging/install-deps.sh
bash packaging/build.sh normal >/dev/null

port=${HALYARD_QS_PORT:-8080}
sock=${HALYARD_QS_SOCK:-/tmp/halyard-quickstart.sock}
msock=${HALYARD_QS_MASTER_SOCK:-/tmp/halyard-quickstart-master.sock}
export HALYARD_QS_PORT=$port HALYARD_QS_SOCK=$sock
demo=$(mktemp -d /tmp/halyard-quickstart.XXXXXX)
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill "$p" 2>/dev/null || true; done
    rm -rf "$demo"
}
trap cleanup EXIT INT TERM

# Two demo origins, each serving a page that names it.
for n in 1 2; do
    mkdir -p "$demo/origin$n"
    echo "Hello from origin $n, through Halyard" > "$demo/origin$n/index.html"
    python3 -m http.server --bind 127.0.0.1 --directory "$demo/origin$n" "808$n" \
        >/dev/null 2>&1 &
    pids+=($!)
done

build/halyard -c -f docs/examples/quickstart.cfg
cat <<MSG

Halyard is starting in the foreground (Ctrl-C stops it).
  Traffic : curl http://127.0.0.1:$port/   (repeat: the origins alternate)
  Health  : curl http://127.0.0.1:$port/health
  CLI     : echo "show stat" | socat - $sock
  Master  : echo "show proc" | socat - $msock      (also: echo reload | socat - $msock)
  Config  : docs/examples/quickstart.cfg

MSG
build/halyard -W -S "$msock" -f docs/examples/quickstart.cfg
