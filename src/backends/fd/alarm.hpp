#pragma once

#include <atomic>
#include <optional>
#include <thread>

#include "backends/backend.hpp"

namespace runloop::detail {

// Calls `fire(target)` on its own thread when the deadline it is armed for passes, so that a
// host that only watches a descriptor (CLAP posix-fd-support gives the host no timeout from
// us) still hears about timers on time. One blocking timerfd read in a loop: arming is one
// timerfd_settime() from the loop thread, and the thread wakes only when the deadline passes.
class Alarm {
 public:
  using Fire = void (*)(void* target) noexcept;

  Alarm() = default;
  Alarm(const Alarm&) = delete;
  Alarm& operator=(const Alarm&) = delete;
  ~Alarm() { stop(); }

  // Creates the timerfd and the thread; false (after reporting why) if either fails.
  bool start(Fire fire, void* target);
  // Loop thread: fire at `deadline` (none: never), replacing any earlier arming. Absolute
  // CLOCK_MONOTONIC (steady_clock's clock on Linux and Android), so never early.
  void arm(std::optional<Clock::time_point> deadline) noexcept;
  // Loop thread: ends and joins the thread, closes the timerfd. After it, fire is never
  // called again.
  void stop() noexcept;

 private:
  void loop() noexcept;
  bool set(std::optional<Clock::time_point> deadline) noexcept;

  int timer_fd_ = -1;
  Fire fire_ = nullptr;
  void* target_ = nullptr;
  std::atomic<bool> quit_{false};
  std::thread thread_;
};

}  // namespace runloop::detail
