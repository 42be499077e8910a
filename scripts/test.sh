#!/usr/bin/env bash
# Runs the whole test suite: every lane in scripts/lanes/, in order. Installs what is missing.
# Usage: scripts/test.sh [lane-name-substring]
source "$(dirname "$0")/lib.sh"
filter="${1:-}"
ensure_base_packages
ensure_bench_packages  # the bench's smoke test covers every contender
failed=()
for lane in "$RUNLOOP_ROOT"/scripts/lanes/*.sh; do
  name="$(basename "$lane" .sh)"
  [[ -n "$filter" && "$name" != *"$filter"* ]] && continue
  echo "=================== lane: $name"
  start=$SECONDS
  if bash "$lane"; then
    echo "=================== lane $name passed ($((SECONDS - start)) s)"
  else
    echo "=================== lane $name FAILED ($((SECONDS - start)) s)"
    failed+=("$name")
  fi
done
if [ ${#failed[@]} -ne 0 ]; then
  echo "failed lanes: ${failed[*]}"
  exit 1
fi
echo "all lanes passed"
