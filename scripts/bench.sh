#!/usr/bin/env bash
# Builds the release preset and runs runloop_bench (one table: runloop vs the seed's raw-GLib
# way, asio and libuv). Arguments go to runloop_bench (e.g. --quick, --only 1,2).
source "$(dirname "$0")/lib.sh"
ensure_base_packages
ensure_bench_packages
cmake --preset release -S "$RUNLOOP_ROOT" >/dev/null
cmake --build --preset release --target runloop_bench
exec "$RUNLOOP_ROOT/build/release/bench/runloop_bench" "$@"
