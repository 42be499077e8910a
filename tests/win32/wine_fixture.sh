#!/bin/sh
# CTest fixture: keeps one wineserver alive for the whole test run (each Wine process would
# otherwise start and stop its own, ~2.5 s a test). WINEPREFIX etc. come from the caller.
# Output goes to /dev/null: the server and the processes wineboot starts outlive this script
# and must not hold CTest's pipes open.
set -eu
case "$1" in
  start)
    mkdir -p "$WINEPREFIX"  # the server refuses a prefix that does not exist yet
    wineserver -p >/dev/null 2>&1 </dev/null
    wineboot -u >/dev/null 2>&1 </dev/null
    ;;
  stop)
    wineserver -k >/dev/null 2>&1 </dev/null || true
    wineserver -w >/dev/null 2>&1 </dev/null || true
    ;;
esac
