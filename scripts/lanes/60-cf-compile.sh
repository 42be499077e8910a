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

# A CoreFoundation under RUNLOOP_COREFOUNDATION_ROOT is included as SYSTEM: a warning inside
# its headers must not fail our -Werror build. The stand-in prefix's CoreFoundation.h is the
# declarations plus a function that warns under our flags (unused parameter, old-style cast).
echo "==> [$preset] with a CoreFoundation prefix whose header warns"
build="$RUNLOOP_ROOT/build/$preset-system"
fake="$build/stand-in-corefoundation"  # a fixed path: CMake caches what it found there
mkdir -p "$fake/include/CoreFoundation" "$fake/lib"
cat >"$fake/include/CoreFoundation/CoreFoundation.h" <<HEADER
#include "$RUNLOOP_ROOT/src/backends/cf/cf_declarations.h"
static inline int runloop_lane_warns(int unused) { return (int)0; }
HEADER
echo 'void runloop_lane_stand_in() {}' | c++ -shared -fPIC -x c++ - -o "$fake/lib/libCoreFoundation.so"
cmake --preset "$preset" -S "$RUNLOOP_ROOT" -B "$build" -DRUNLOOP_COREFOUNDATION_ROOT="$fake" \
  >/dev/null
cmake --build "$build" -j 2 --target cf-compile-check
