#!/usr/bin/env bash
# Builds and runs the demo (examples/demo.cpp). Installs what is missing.
source "$(dirname "$0")/lib.sh"
ensure_base_packages
cmake --preset default -S "$RUNLOOP_ROOT" >/dev/null
cmake --build --preset default --target runloop_demo
echo "==> running build/default/examples/runloop_demo"
"$RUNLOOP_ROOT/build/default/examples/runloop_demo"
