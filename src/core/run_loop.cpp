#include "runloop/run_loop.hpp"

#include "core/lifecycle.hpp"
#include "core/time_math.hpp"

namespace runloop {

// Each entry holds a reference to the core: the native loop may run a callback that calls
// deinit(), and the backend frame below must outlive it.

void RunLoop::run() const {
  detail::require_core(epoch_).run();
}

void RunLoop::stop() const {
  detail::require_core(epoch_).stop();
}

void RunLoop::run_app() const {
  detail::require_core(epoch_).run_app();
}

void RunLoop::stop_app() const {
  detail::require_core(epoch_).stop_app();
}

Handle RunLoop::schedule_after(std::chrono::nanoseconds delay, detail::Callback callback) const {
  detail::LoopCore& core = detail::require_core(epoch_);
  return Handle(core.schedule_at(core.deadline_after(delay), std::move(callback)));
}

Handle RunLoop::schedule_at(Clock::time_point deadline, detail::Callback callback) const {
  return Handle(detail::require_core(epoch_).schedule_at(deadline, std::move(callback)));
}

RunLoop::Clock::time_point RunLoop::now() noexcept {
  const detail::LoopCore* core = detail::current_core(0);
  return core != nullptr ? core->now() : Clock::now();
}

RunLoop::Clock::time_point RunLoop::deadline_after(std::chrono::nanoseconds delay) const {
  // Never throws: `co_await loop.delay(d)` after the loop went away (deinit() inside a task)
  // must reach the awaiter, which ends the task as Aborted, not throw into its body.
  if (const detail::LoopCore* core = detail::current_core(epoch_))
    return core->deadline_after(delay);
  return detail::saturating_deadline(Clock::now(), delay);
}

}  // namespace runloop
