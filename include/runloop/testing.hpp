#pragma once

#include <exception>
#include <functional>
#include <type_traits>
#include <utility>

#include "runloop/run_loop.hpp"

// Helpers for tests of code built on runloop.
namespace runloop::testing {

// One reference on this thread's loop: a new one in init()'s mode, or the loop already here
// in whichever mode it has (a test fixture of a host-driven plugin).
inline RunLoopGuard acquire_for_test() {
#if defined(RUNLOOP_HAS_HOST_DRIVEN)
  try {
    return RunLoop::acquire();
  } catch (const RunLoopError& e) {
    if (e.error() != Error::AlreadyInitialized) throw;
    return RunLoop::acquire(host_driven);
  }
#else
  return RunLoop::acquire();
#endif
}

// init() → spawn → drive the loop until the task finishes → deinit() → its value. A loop
// already initialised on this thread is joined, in its mode (init()'s or host-driven).
// An exception that escapes the task is rethrown here, after the loop was shut down.
template <class T>
T run_async(Task<T> task) {
  auto guard = acquire_for_test();
  return RunLoop::current().block_on(std::move(task));
}

// The callable form: `factory()` returns the task and is kept alive while it runs.
template <detail::TaskFactory F>
auto run_async(F&& factory) {
  using T = typename detail::SpawnedTask<F>::value_type;
  auto keep_alive = [](std::decay_t<F> f) -> Task<T> { co_return co_await f(); };
  return run_async(keep_alive(std::forward<F>(factory)));
}

// Runs `body` (e.g. RUN_ALL_TESTS) as a callback on this thread's run loop while the
// platform application loop runs (the seed's run_gui_tests), then shuts the loop down and
// returns what `body` returned. Use it from main() for tests that need a live GUI loop:
//   int main(int argc, char** argv) {
//     ::testing::InitGoogleTest(&argc, argv);
//     return runloop::testing::run_on_loop([] { return RUN_ALL_TESTS(); });
//   }
RUNLOOP_API int run_on_loop(std::function<int()> body);

// Deterministic time (tokio's pause/advance, Chromium's mock time). On the loop thread,
// while initialised: from construction the loop's clock (RunLoop::now()) stands still, and
// nothing fires on its own. advance(d) moves it, running what is ready when it is called and
// then every timer and task due on the way, in deadline order, each seeing RunLoop::now()
// equal to its own deadline; run_until_idle() runs what is ready without moving it. Nothing
// sleeps in real time. Destroying it lets the clock run again: timers whose deadline lies in
// the mock future then fire when steady_clock reaches it. One at a time per loop.
// Throws RunLoopError off the loop thread or without a loop.
class RUNLOOP_API MockTime {
 public:
  MockTime();
  ~MockTime();
  MockTime(const MockTime&) = delete;
  MockTime& operator=(const MockTime&) = delete;

  void advance(std::chrono::nanoseconds duration);
  // A self-reposting callback makes this run forever, as it would keep a real loop busy.
  void run_until_idle();
  RunLoop::Clock::time_point now() const;
};

}  // namespace runloop::testing
