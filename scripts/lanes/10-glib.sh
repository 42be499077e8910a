#!/usr/bin/env bash
# GLib backend (the Linux default): normal build.
source "$(dirname "$0")/../lib.sh"
build_and_test default
