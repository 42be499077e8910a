// Must not compile: RealtimeSender<T> needs a nothrow-move-constructible T (see
// tests/realtime/CMakeLists.txt, which expects the static_assert's message).
#include <runloop/realtime.hpp>

namespace {

struct ThrowingMove {
  ThrowingMove() = default;
  ThrowingMove(ThrowingMove&&) noexcept(false) {}
};

}  // namespace

std::size_t rejected_size = sizeof(runloop::RealtimeSender<ThrowingMove>);
