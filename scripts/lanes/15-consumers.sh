#!/usr/bin/env bash
# runloop seen from outside, as a user's project sees it (the SPEC's "Build contract"):
#  1. FetchContent from a git clone (file:// URL): only runloop::runloop appears (no tests,
#     examples, benchmarks, GoogleTest), the project's own GLIB_* survive and g_object_new
#     links, C++23 stays C++23, and the project's `cmake --install` installs nothing of ours.
#  2. The shared build (-DRUNLOOP_SHARED=ON): its SONAME is librunloop.so.0.<minor>, `nm -D`
#     lists runloop:: symbols only (no std:: typeinfo or vtables); installed, it serves a
#     find_package consumer next to its own GLib+GObject and a C++23 pkg-config consumer
#     (tests/install/install_test.cmake, which ctest also runs on the static build), and a
#     pkg-config consumer without rpath runs with LD_LIBRARY_PATH, as the README says.
source "$(dirname "$0")/../lib.sh"
ensure_packages cmake ninja-build g++ pkg-config libglib2.0-dev git binutils
work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT
jobs=(-j 2)

echo "==> a git repository of this tree (committed and uncommitted files alike)"
src="$work/runloop.git"
mkdir -p "$src"
(cd "$RUNLOOP_ROOT" && git ls-files -z --cached --others --exclude-standard |
  xargs -0 -I{} sh -c '[ -e "$1" ] && printf "%s\0" "$1"' _ {} |
  tar --null -T - -cf -) | tar -xf - -C "$src"
git -C "$src" init -q
git -C "$src" add -A
git -C "$src" -c user.name=lane -c user.email=lane@localhost commit -qm snapshot
rev="$(git -C "$src" rev-parse HEAD)"

echo "==> 1. FetchContent(file://$src)"
vendored="$work/vendored"
cmake -S "$RUNLOOP_ROOT/tests/install/vendored" -B "$vendored" -G Ninja \
  -DRUNLOOP_GIT_URL="file://$src" -DRUNLOOP_GIT_TAG="$rev" >"$work/vendored.log" 2>&1 ||
  { cat "$work/vendored.log"; exit 1; }
nice -n 10 cmake --build "$vendored" "${jobs[@]}" >/dev/null
"$vendored/app"
cmake --install "$vendored" --prefix "$work/vendored-prefix" >/dev/null
installed="$(cd "$work/vendored-prefix" && find . -type f -o -type l | sort)"
if [ "$installed" != "./bin/app" ]; then
  echo "the project's install holds more than its own ./bin/app:"
  echo "$installed"
  exit 1
fi
echo "vendored: no tests, no GoogleTest, GLIB_* intact, installs only the project's ./bin/app"

echo "==> 2. shared build"
shared="$work/shared"
cmake -S "$src" -B "$shared" -G Ninja -DRUNLOOP_SHARED=ON -DRUNLOOP_BUILD_TESTS=OFF \
  -DRUNLOOP_BUILD_EXAMPLES=OFF -DRUNLOOP_BUILD_BENCH=OFF >/dev/null
nice -n 10 cmake --build "$shared" "${jobs[@]}" >/dev/null
library="$(readlink -f "$shared/librunloop.so")"
soname="$(readelf -d "$library" | sed -n 's/.*Library soname: \[\(.*\)\]/\1/p')"
version="$(sed -n 's/^project(runloop VERSION \([0-9]*\)\.\([0-9]*\).*/\1.\2/p' "$src/CMakeLists.txt")"
case "$version" in
  0.*) want="librunloop.so.$version" ;;
  *) want="librunloop.so.${version%%.*}" ;;
esac
[ "$soname" = "$want" ] || { echo "SONAME is '$soname', expected '$want'"; exit 1; }
exports="$(nm -D --defined-only "$library" | c++filt | cut -d' ' -f3-)"
foreign="$(grep -vE '^((typeinfo|typeinfo name|vtable) for )?runloop::' <<<"$exports" || true)"
if [ -n "$foreign" ]; then
  echo "the shared library exports more than runloop::"
  echo "$foreign"
  exit 1
fi
for expected in 'runloop::RunLoop::init()' 'typeinfo for runloop::RunLoopError'; do
  grep -qxF "$expected" <<<"$exports" || { echo "not exported: $expected"; exit 1; }
done
echo "shared: SONAME $soname; $(wc -l <<<"$exports") exports, all runloop::"

cmake -DRUNLOOP_BUILD_DIR="$shared" -DWORK_DIR="$work/shared-consumers" \
  -DCONSUMER_DIR="$RUNLOOP_ROOT/tests/install/consumer" -DGENERATOR=Ninja \
  -DCXX_COMPILER="$(command -v c++)" -P "$RUNLOOP_ROOT/tests/install/install_test.cmake"

prefix="$work/shared-consumers/prefix"
pc_dir="$(dirname "$(find "$prefix" -name runloop.pc)")"
c++ -std=c++23 "$RUNLOOP_ROOT/tests/install/consumer/main.cpp" -o "$work/no-rpath" \
  $(PKG_CONFIG_PATH="$pc_dir" pkg-config --cflags --libs runloop)
LD_LIBRARY_PATH="$(dirname "$pc_dir")" "$work/no-rpath"
