#pragma once

// The waitable timer that our own pump (run, poll_once) sleeps on, beside the window.
#include <algorithm>
#include <chrono>

#include "backends/backend.hpp"
#include "backends/win32/message_window.hpp"  // <windows.h>, configured once
#include "core/time_math.hpp"

#ifndef CREATE_WAITABLE_TIMER_HIGH_RESOLUTION
#define CREATE_WAITABLE_TIMER_HIGH_RESOLUTION 0x00000002  // Windows 10 1803+
#endif

namespace runloop::detail {

// The timer our own pump sleeps on: high resolution where Windows has it (SetTimer and
// plain wait timeouts follow the 15.6 ms system tick), else a normal waitable timer.
class WaitTimer {
 public:
  WaitTimer() {
    handle_ = CreateWaitableTimerExW(nullptr, nullptr, CREATE_WAITABLE_TIMER_HIGH_RESOLUTION,
                                     TIMER_ALL_ACCESS);
    if (handle_ == nullptr) handle_ = CreateWaitableTimerExW(nullptr, nullptr, 0, TIMER_ALL_ACCESS);
  }
  WaitTimer(const WaitTimer&) = delete;
  WaitTimer& operator=(const WaitTimer&) = delete;
  ~WaitTimer() { close(); }

  void close() noexcept {
    if (handle_ != nullptr) CloseHandle(handle_);
    handle_ = nullptr;
  }

  // Signals the timer at `deadline` (rounded up, capped: core/time_math.hpp); false when
  // there is no timer.
  bool arm(Clock::time_point deadline, Clock::time_point now) noexcept {
    if (handle_ == nullptr) return false;
    using Ticks = std::chrono::duration<long long, std::ratio<1, 10'000'000>>;  // 100 ns
    LARGE_INTEGER due;
    due.QuadPart = -std::max<long long>(native_timeout<Ticks>(deadline, now).count(), 1);
    return SetWaitableTimer(handle_, &due, 0, nullptr, nullptr, FALSE) != 0;  // negative: relative
  }

  HANDLE handle() const noexcept { return handle_; }

 private:
  HANDLE handle_ = nullptr;
};

}  // namespace runloop::detail
