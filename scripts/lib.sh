# Shared helpers for the scripts in this folder. Source it; do not run it.
set -euo pipefail

RUNLOOP_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
export RUNLOOP_ROOT

# ensure_packages PKG...: installs the Debian packages that are missing (needs root or sudo).
ensure_packages() {
  local missing=()
  local pkg
  for pkg in "$@"; do
    dpkg-query -W -f='${Status}' "$pkg" 2>/dev/null | grep -q "install ok installed" || missing+=("$pkg")
  done
  [ ${#missing[@]} -eq 0 ] && return 0
  echo "==> installing: ${missing[*]}"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo="sudo"
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
}

# The packages every Linux build needs.
ensure_base_packages() {
  ensure_packages cmake ninja-build g++ pkg-config libglib2.0-dev googletest libgtest-dev \
    libgmock-dev
}

# What runloop_bench compares against (optional: a column reads n/a without them).
ensure_bench_packages() {
  ensure_packages libasio-dev libuv1-dev
}

# build_and_test PRESET: configure, build and run the tests of one CMake preset.
build_and_test() {
  local preset="$1"
  echo "==> [$preset] configure + build"
  cmake --preset "$preset" -S "$RUNLOOP_ROOT" >/dev/null
  cmake --build --preset "$preset"
  echo "==> [$preset] test"
  ctest --preset "$preset"
}
