#!/usr/bin/env bash
# ALooper backend (Android), tested on Linux against android::Looper from Debian's
# android-libutils (the implementation behind the NDK's ALooper_*), through a test-only shim.
source "$(dirname "$0")/../lib.sh"
ensure_packages android-libutils-dev
build_and_test alooper
# Under the sanitizers, only the suites that run through the ALooper backend (its presets
# build and select them): the core's white-box tests and the conformance suite in
# host-driven mode are the same code as in the GLib lanes, which run them under both.
ASAN_OPTIONS="detect_leaks=1:abort_on_error=1" \
  UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1" \
  build_and_test alooper-asan
TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1" build_and_test alooper-tsan
