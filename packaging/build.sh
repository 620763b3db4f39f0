#!/usr/bin/env bash
# Configures and builds Halyard with CMake + Ninja.
#
#   packaging/build.sh [normal|asan|tsan|fuzz]     (default: normal)
#
#   normal  build/       RelWithDebInfo
#   asan    build-asan/  RelWithDebInfo, -DHALYARD_SANITIZE=address,undefined
#   tsan    build-tsan/  RelWithDebInfo, -DHALYARD_SANITIZE=thread; run with
#                        TSAN_OPTIONS=suppressions=$PWD/tests/tsan.supp (see
#                        that file: liburcu's grace periods are invisible to TSan)
#   fuzz    build-fuzz/  clang, libFuzzer targets (tests/fuzz/fuzz_*.c),
#                        ASan+UBSan, no unit tests
#
# Re-running is cheap: CMake reuses its cache and Ninja rebuilds only what
# changed.  Run packaging/install-deps.sh first on a new machine.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."

variant=${1:-normal}
opts=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo)
case "$variant" in
normal) dir=build ;;
asan) dir=build-asan; opts+=(-DHALYARD_SANITIZE=address,undefined) ;;
tsan) dir=build-tsan; opts+=(-DHALYARD_SANITIZE=thread) ;;
fuzz)
	dir=build-fuzz
	opts+=(-DCMAKE_C_COMPILER=clang -DHALYARD_FUZZ=ON
		-DHALYARD_SANITIZE=address,undefined -DHALYARD_TESTS=OFF)
	;;
*)
	echo "usage: $0 [normal|asan|tsan|fuzz]" >&2
	exit 2
	;;
esac

for tool in cmake ninja; do
	command -v "$tool" >/dev/null || {
		echo "build: '$tool' not found; run packaging/install-deps.sh" >&2
		exit 1
	}
done

# A directory configured by another generator (e.g. Makefiles) cannot be
# reused with Ninja: start it afresh (build dirs hold nothing but outputs).
if [ -f "$dir/CMakeCache.txt" ] &&
	! grep -qx 'CMAKE_GENERATOR:INTERNAL=Ninja' "$dir/CMakeCache.txt"; then
	echo "build: $dir/ was not configured with Ninja; recreating it"
	rm -rf "$dir"
fi

echo "build: configuring $variant in $dir/"
cmake -S . -B "$dir" "${opts[@]}"
echo "build: compiling $variant with $(nproc) jobs"
cmake --build "$dir" -j "$(nproc)"
echo "build: $variant OK, binary: $PWD/$dir/halyard"
