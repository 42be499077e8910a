#include "runloop/run_loop.hpp"

#include "core/lifecycle.hpp"

namespace runloop {

// Each entry holds a reference to the core: the native loop may run a callback that calls
// deinit(), and the backend frame below must outlive it.

void RunLoop::run() const {
  detail::CoreRef core(&detail::require_core(epoch_));
  core->backend().run();
}

void RunLoop::stop() const {
  detail::require_core(epoch_).backend().stop();
}

void RunLoop::run_app() const {
  detail::CoreRef core(&detail::require_core(epoch_));
  core->backend().run_app();
}

void RunLoop::stop_app() const {
  detail::require_core(epoch_).backend().stop_app();
}

Handle RunLoop::schedule_at(Clock::time_point deadline, detail::Callback callback) const {
  return Handle(detail::require_core(epoch_).schedule_at(deadline, std::move(callback)));
}

}  // namespace runloop
