#include "runloop/testing.hpp"

#include <stdexcept>

#include "core/lifecycle.hpp"
#include "core/time_math.hpp"

namespace runloop::testing {

int run_on_loop(std::function<int()> body) {
  auto guard = RunLoop::acquire();
  const RunLoop loop = RunLoop::current();
  int exit_code = 1;
  std::exception_ptr failure;
  RunLoop::sender().send([&] {
    try {
      exit_code = body();
    } catch (...) {
      failure = std::current_exception();
    }
    loop.stop_app();
  });
  loop.run_app();
  if (failure) std::rethrow_exception(failure);
  return exit_code;
}

MockTime::MockTime() {
  detail::LoopCore& core = detail::require_core(0);
  if (core.clock_frozen()) {
    throw std::logic_error("runloop::testing::MockTime: this loop's clock is already mocked");
  }
  core.freeze_clock();
}

MockTime::~MockTime() {
  // The loop may have been shut down meanwhile: its clock then died with it.
  if (detail::LoopCore* core = detail::current_core(0)) core->unfreeze_clock();
}

void MockTime::advance(std::chrono::nanoseconds duration) {
  detail::LoopCore& core = detail::require_core(0);
  core.advance_to(detail::saturating_deadline(core.now(), duration));
}

void MockTime::run_until_idle() {
  detail::require_core(0).run_until_idle();
}

RunLoop::Clock::time_point MockTime::now() const {
  return RunLoop::now();
}

}  // namespace runloop::testing
