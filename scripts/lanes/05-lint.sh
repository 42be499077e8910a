#!/usr/bin/env bash
# clang-format and clang-tidy over the library (the project's style and bug checks).
source "$(dirname "$0")/../lib.sh"
ensure_packages clang-format clang-tidy android-libutils-dev
cd "$RUNLOOP_ROOT"
echo "==> clang-format"
git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format --dry-run -Werror
echo "==> no std::nullopt in the library"
# Passing std::nullopt by reference (std::exchange, a conditional) makes GCC emit it as an
# STB_GNU_UNIQUE symbol in unoptimised builds, and glibc then never unmaps a plugin that links us.
if git grep -n 'std::nullopt' -- include src; then
  echo "use {} or std::optional<T>{} instead (see tests/plugin/module_symbols_test.cpp)" >&2
  exit 1
fi
echo "==> clang-tidy (library sources)"
# Configure only: the compile databases of the backends that build natively here. (Win32 is
# cross-compiled and CoreFoundation compile-only: their lanes build them with -Werror.)
cmake --preset default -S "$RUNLOOP_ROOT" >/dev/null
cmake --preset alooper -S "$RUNLOOP_ROOT" >/dev/null
log="$(mktemp)"
status=0
{
  git ls-files 'src/core/*.cpp' 'src/backends/glib/*.cpp' 'src/backends/fd/*.cpp' |
    xargs -P 2 -n 4 clang-tidy -p build/default --quiet
  git ls-files 'src/backends/alooper/*.cpp' | xargs clang-tidy -p build/alooper --quiet
} >"$log" 2>&1 || status=$?
grep -v "warnings generated" "$log" || true
[ "$status" -eq 0 ] && ! grep -qE "(warning|error):" "$log"
