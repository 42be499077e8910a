#!/usr/bin/env bash
# clang-format and clang-tidy over the library (the project's style and bug checks).
source "$(dirname "$0")/../lib.sh"
ensure_packages clang-format clang-tidy
cd "$RUNLOOP_ROOT"
echo "==> clang-format"
git ls-files '*.cpp' '*.hpp' '*.h' | xargs clang-format --dry-run -Werror
echo "==> clang-tidy (library sources)"
cmake --preset default -S "$RUNLOOP_ROOT" >/dev/null
# Sources of backends that cannot be compiled on this machine are checked by their own lanes.
git ls-files 'src/core/*.cpp' 'src/backends/glib/*.cpp' | xargs -P 2 -n 4 clang-tidy -p build/default --quiet 2>&1 \
  | grep -v "warnings generated" | tee /tmp/runloop-clang-tidy.log
! grep -qE "(warning|error):" /tmp/runloop-clang-tidy.log
