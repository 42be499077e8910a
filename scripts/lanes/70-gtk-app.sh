#!/usr/bin/env bash
# A real GTK 3 application (examples/gtk_app.cpp) under Xvfb: GTK's gtk_main drives, runloop
# attaches. The application presses its own button (--auto), says when every update has
# arrived; the lane then takes a screenshot (import -window root), ends the application with
# SIGTERM and checks its printed summary: every progress update and every one of the 100 000
# sends ran, and the host's own GLib timeout still ran while the burst was going on.
source "$(dirname "$0")/../lib.sh"
ensure_packages libgtk-3-dev xvfb xauth imagemagick fonts-dejavu-core
preset=default
cmake --preset "$preset" -S "$RUNLOOP_ROOT" >/dev/null
cmake --build --preset "$preset" -j 2 --target runloop_gtk_app
app="$RUNLOOP_ROOT/build/$preset/examples/runloop_gtk_app"
out_dir="$RUNLOOP_ROOT/build/$preset/gtk-app"
mkdir -p "$out_dir"
log="$out_dir/output.txt"
shot="$out_dir/gtk_app.png"
rm -f "$log" "$shot"

# Runs inside xvfb-run: start the application, wait (up to 120 s) for its "every update
# arrived" line, photograph the screen, then ask it to quit. --quit-after-ms is the backstop.
# shellcheck disable=SC2016
export NO_AT_BRIDGE=1  # no accessibility bus under Xvfb: spare GTK the warning
# The screen is the window's size, so the screenshot is the window.
xvfb-run -a -s "-screen 0 440x240x24" bash -c '
  "$1" --auto --quit-after-ms 120000 >"$2" 2>&1 &
  pid=$!
  for _ in $(seq 1200); do
    grep -q "every update arrived" "$2" && break
    kill -0 "$pid" 2>/dev/null || break
    sleep 0.1
  done
  sleep 0.3  # the last labels are set; let GTK draw them
  import -window root "$3" || echo "screenshot failed"
  kill -TERM "$pid" 2>/dev/null || true
  wait "$pid"
' _ "$app" "$log" "$shot" || true
cat "$log"

check() {  # check REGEX DESCRIPTION: the summary must have a line matching REGEX
  if grep -qE "$1" "$log"; then echo "ok: $2"; else echo "FAILED: $2"; failed=1; fi
}
failed=0
check '^progress updates: 100/100$' "every progress update arrived"
check '^burst sends run: 100000/100000 ' "every send of the burst ran"
check '^host ticks during burst: [1-9][0-9]* ' "the host's own timeout ran during the burst"
check '^timer ticks: [1-9]' "the runloop::Timer ticked"
check '^animation frames: [1-9]' "the coroutine task animated"
if grep -qE -- "-(CRITICAL|WARNING) \*\*" "$log"; then
  echo "FAILED: GLib/GTK printed warnings"
  failed=1
fi
if [ -s "$shot" ]; then
  echo "screenshot: $shot ($(identify -format '%wx%h' "$shot"))"
else
  echo "FAILED: no screenshot"
  failed=1
fi
exit "$failed"
