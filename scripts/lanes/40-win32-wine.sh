#!/usr/bin/env bash
# Win32 backend: MinGW-w64 cross build, every test run under Wine (headless, no display).
# The -posix MinGW compilers: the win32-threads flavour has no std::thread. wine64 holds the
# 64-bit loader that `wine` starts. googletest: its sources are built with the cross compiler.
source "$(dirname "$0")/../lib.sh"
ensure_packages cmake ninja-build googletest g++-mingw-w64-x86-64-posix wine wine64
build_and_test win32-wine
