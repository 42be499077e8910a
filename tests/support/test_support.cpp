#include "test_support.hpp"

#include <thread>

namespace runloop::test {

bool wait_until(const std::function<bool()>& done, std::chrono::nanoseconds timeout) {
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  while (!done()) {
    if (std::chrono::steady_clock::now() > give_up) return false;
    std::this_thread::sleep_for(200us);
  }
  return true;
}

std::string message_of(const std::exception_ptr& exception) {
  try {
    std::rethrow_exception(exception);
  } catch (const std::exception& e) {
    return e.what();
  } catch (...) {
    return "?";
  }
}

bool run_nested_until(const RunLoop& loop, const std::function<bool()>& done,
                      std::chrono::nanoseconds timeout) {
  if (done()) return true;
  // A nested run() has no hook after each callback, so a timer looks at done(). It keeps
  // this nested loop awake, which could hide a lost wake-up: only tests that nest inside a
  // callback on a non-re-entrant host come here, and they test ordering, not wake-ups.
  const auto give_up = std::chrono::steady_clock::now() + timeout;
  Timer check(1ms, [&] {
    if (done() || std::chrono::steady_clock::now() > give_up) loop.stop();
  });
  check.start();
  loop.run();
  return done();
}

}  // namespace runloop::test
