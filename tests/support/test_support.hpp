#pragma once

#include <chrono>
#include <functional>

#include "runloop/runloop.hpp"

namespace runloop::test {

using namespace std::chrono_literals;

// init() of the mode under test: the host-driven suite (RUNLOOP_TEST_HOST_DRIVEN) runs the
// same tests on init(host_driven).
inline Result<void, Error> init_loop() {
#if defined(RUNLOOP_TEST_HOST_DRIVEN)
  return RunLoop::init(host_driven);
#else
  return RunLoop::init();
#endif
}
inline RunLoopGuard acquire_loop() {
#if defined(RUNLOOP_TEST_HOST_DRIVEN)
  return RunLoop::acquire(host_driven);
#else
  return RunLoop::acquire();
#endif
}

// Generous: tests wait on conditions, and a shared 2-core machine can be slow.
inline constexpr std::chrono::seconds kTimeout{30};

// Runs the loop until `done()` holds (checked every millisecond) or kTimeout passes.
// Returns done().
inline bool run_until(const RunLoop& loop, const std::function<bool()>& done,
                      std::chrono::nanoseconds timeout = kTimeout) {
  if (done()) return true;
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  Timer poll(1ms, [&] {
    if (done() || std::chrono::steady_clock::now() > give_up) loop.stop();
  });
  poll.start();
  loop.run();
  return done();
}

// Runs the loop until `duration` has passed (never less). Returns true once it has.
inline bool run_for(const RunLoop& loop, std::chrono::nanoseconds duration) {
  bool elapsed = false;
  auto end = loop.schedule(duration, [&] { elapsed = true; });
  return run_until(loop, [&] { return elapsed; });
}

// Waits on another thread (not the loop thread) until `done()` holds or kTimeout passes.
bool wait_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout = kTimeout);

// Per backend: one iteration of the native loop as a host would drive it, without run().
void host_iterate(bool may_block);

// Per backend: the name shown in test output.
const char* backend_name();

// An init() reference for the duration of one test.
class LoopFixture {
 public:
  LoopFixture() : guard_(acquire_loop()), loop_(RunLoop::current()) {}
  const RunLoop& loop() const { return loop_; }

 private:
  RunLoopGuard guard_;
  RunLoop loop_;
};

}  // namespace runloop::test
