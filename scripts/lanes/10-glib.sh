#!/usr/bin/env bash
# GLib backend (the Linux default): normal build.
source "$(dirname "$0")/../lib.sh"
ensure_packages libasio-dev  # tests/asio (the optional <runloop/asio.hpp>)
build_and_test default
