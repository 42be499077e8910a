#!/usr/bin/env bash
# GLib backend under ThreadSanitizer.
source "$(dirname "$0")/../lib.sh"
ensure_packages libasio-dev  # tests/asio (the optional <runloop/asio.hpp>)
export TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1"
build_and_test tsan
