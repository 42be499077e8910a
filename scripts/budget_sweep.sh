#!/usr/bin/env bash
# The measurement behind the batch budget (src/core/batch_budget.hpp): builds
# runloop_guest_bench with other limits and prints, per setting, how late the host's 10 ms
# GLib timeout gets under a flood of 1e6 sends, the flood's throughput, and a chain of
# same-thread posts. Run on an idle machine; takes about a minute per setting.
# Usage: scripts/budget_sweep.sh [callbacks:ms ...]   (default: a sweep around 256:4)
source "$(dirname "$0")/lib.sh"
ensure_base_packages
ensure_bench_packages
settings=("$@")
[ ${#settings[@]} -gt 0 ] || settings=(64:4 128:4 256:4 512:4 1024:4 256:2 256:8)
printf '%-10s %s\n' "setting" "guest bench (host lateness rows, then chain rows)"
for setting in "${settings[@]}"; do
  callbacks="${setting%%:*}"
  ms="${setting##*:}"
  dir="$RUNLOOP_ROOT/build/sweep-$callbacks-$ms"
  cmake -S "$RUNLOOP_ROOT" -B "$dir" -G Ninja -DCMAKE_BUILD_TYPE=Release \
    "-DCMAKE_CXX_FLAGS=-DRUNLOOP_SWEEP_BATCH_CALLBACKS=$callbacks -DRUNLOOP_SWEEP_BATCH_MS=$ms" \
    -DRUNLOOP_BUILD_TESTS=OFF -DRUNLOOP_BUILD_EXAMPLES=OFF -DRUNLOOP_BUILD_BENCH=ON >/dev/null
  cmake --build "$dir" --target runloop_guest_bench >/dev/null
  echo "== $callbacks callbacks, $ms ms"
  "$dir/bench/runloop_guest_bench"
done
