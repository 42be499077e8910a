#!/usr/bin/env bash
# CoreFoundation backend, compile only: CI has no CoreFoundation, so this compiles the backend
# (with -Werror, macOS Objective-C paths included) against src/backends/cf/cf_declarations.h.
# Nothing is linked or run; docs/backends/cf.md says how to run its tests on a real one.
source "$(dirname "$0")/../lib.sh"
preset=cf-compile-check
echo "==> [$preset] configure + build"
cmake --preset "$preset" -S "$RUNLOOP_ROOT" >/dev/null
cmake --build --preset "$preset" -j 2
echo "==> [$preset] the CoreFoundation backend compiles (not linked, not run)"
