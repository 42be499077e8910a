#!/usr/bin/env bash
# GLib backend under AddressSanitizer + UndefinedBehaviorSanitizer.
source "$(dirname "$0")/../lib.sh"
ensure_packages libasio-dev  # tests/asio (the optional <runloop/asio.hpp>)
export ASAN_OPTIONS="detect_leaks=1:abort_on_error=1"
export UBSAN_OPTIONS="print_stacktrace=1:halt_on_error=1"
build_and_test asan
