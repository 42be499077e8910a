#pragma once

#include <chrono>
#include <exception>
#include <functional>
#include <string>

#include "host_drive.hpp"
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

// Runs the loop, driven as a host drives it, until `done()` holds or `timeout` passes.
// Returns done(). See drive_until: nothing keeps the loop awake meanwhile.
// Inside a callback on a host loop that is not re-entrant (ALooper) the host cannot iterate:
// the loop's own nested run() does, as a user's modal loop would.
bool run_nested_until(const RunLoop& loop, const std::function<bool()>& done,
                      std::chrono::nanoseconds timeout);

inline bool run_until(const RunLoop& loop, const std::function<bool()>& done,
                      std::chrono::nanoseconds timeout = kTimeout) {
  if (driving() && !host_loop_is_reentrant()) return run_nested_until(loop, done, timeout);
  return drive_until(done, timeout);
}

// Runs the loop until `duration` has passed (never less). Returns true once it has.
inline bool run_for(const RunLoop& loop, std::chrono::nanoseconds duration) {
  bool elapsed = false;
  auto end = loop.schedule(duration, [&] { elapsed = true; });
  return run_until(loop, [&] { return elapsed; });
}

// Waits on another thread (not the loop thread) until `done()` holds or kTimeout passes.
bool wait_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout = kTimeout);

// The what() of an exception caught by a handler, "?" when it is no std::exception: tests
// compare it with the message thrown.
std::string message_of(const std::exception_ptr& exception);

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
