#pragma once

#include <chrono>
#include <functional>
#include <memory>

#include "runloop/export.hpp"
#include "runloop/task.hpp"

namespace runloop {

// Calls `callback` on the loop thread every `interval` while running. Ticks keep a fixed
// rate; ticks that could not run in time are skipped, not bunched. Belongs to the loop
// thread. Destroying it stops it, also from inside its own callback.
class RUNLOOP_API Timer {
 public:
  Timer(std::chrono::nanoseconds interval, std::function<void()> callback);
  // The async variant: each tick spawns the task `tick()` returns (ticks do not wait for
  // the previous task to finish). Stopping or destroying the timer stops the ticks but
  // does not abort tick tasks already running: they keep `tick` (and a lambda's
  // captures) alive until they end.
  static Timer async(std::chrono::nanoseconds interval, std::function<Task<void>()> tick);
  Timer(Timer&&) noexcept;
  Timer& operator=(Timer&&) noexcept;
  Timer(const Timer&) = delete;
  Timer& operator=(const Timer&) = delete;
  ~Timer();

  void start();
  void stop() noexcept;
  bool is_running() const noexcept;

  struct State;

 private:
  std::shared_ptr<State> state_;
};

}  // namespace runloop
