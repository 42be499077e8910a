#include "runloop/timer.hpp"

#include <algorithm>
#include <utility>

#include "core/time_math.hpp"
#include "runloop/run_loop.hpp"

namespace runloop {

struct Timer::State {
  std::chrono::nanoseconds interval;
  std::function<void()> callback;
  Handle pending;
  bool running = false;
  RunLoop::Clock::time_point next_tick;
};

namespace {

void arm(const std::shared_ptr<Timer::State>& state) {
  // The queued callback shares the state, so destroying the Timer from inside its own
  // callback leaves the running frame intact.
  state->pending = RunLoop::current().schedule_at(state->next_tick, [state] {
    const auto now = RunLoop::now();
    state->next_tick = detail::saturating_deadline(state->next_tick, state->interval);
    if (state->next_tick <= now) {
      // Fell behind (a blocked loop): skip the missed ticks rather than fire a burst.
      const auto behind = (now - state->next_tick) / state->interval + 1;
      state->next_tick += behind * state->interval;
    }
    // Re-armed before the call, so stop() inside the callback cancels the next tick.
    arm(state);
    state->callback();
  });
}

}  // namespace

Timer::Timer(std::chrono::nanoseconds interval, std::function<void()> callback)
    : state_(new State) {
  state_->interval = std::max(interval, std::chrono::nanoseconds(1));
  state_->callback = std::move(callback);
}

Timer Timer::async(std::chrono::nanoseconds interval, std::function<Task<void>()> tick) {
  // A coroutine lambda's frame refers to the lambda object (its captures), which lives in
  // `tick`. Each tick task shares `tick` through the callable form of spawn, so destroying
  // the Timer (which stops the ticks) leaves the tasks already running intact.
  std::shared_ptr<std::function<Task<void>()>> shared(
      new std::function<Task<void>()>(std::move(tick)));
  return Timer(interval, [shared = std::move(shared)] {
    RunLoop::current().spawn([shared] { return (*shared)(); });
  });
}

Timer::Timer(Timer&&) noexcept = default;

Timer& Timer::operator=(Timer&& other) noexcept {
  if (this != &other) {
    stop();
    state_ = std::move(other.state_);
  }
  return *this;
}

Timer::~Timer() {
  stop();
}

void Timer::start() {
  // is_running(), not `running`: a Timer kept across deinit()/init() starts on the new loop.
  if (!state_ || is_running()) return;
  state_->next_tick = RunLoop::current().deadline_after(state_->interval);
  arm(state_);
  state_->running = true;
}

void Timer::stop() noexcept {
  if (!state_) return;
  state_->running = false;
  state_->pending.cancel();
}

// Also false once its loop is gone: the pending tick was destroyed with it.
bool Timer::is_running() const noexcept {
  return state_ && state_->running && static_cast<bool>(state_->pending);
}

}  // namespace runloop
