#pragma once

#include <chrono>
#include <coroutine>
#include <cstdint>
#include <optional>

#include "runloop/detail/task_root.hpp"
#include "runloop/error.hpp"
#include "runloop/handle.hpp"
#include "runloop/task.hpp"

namespace runloop::detail {

// co_await loop.delay(d): resumes the awaiting coroutine on the loop thread no earlier than
// d from now. Awaitable from a runloop::Task (aborting the task destroys this awaiter and
// with it the timer) and, on the loop thread, from any other coroutine type: there a
// coroutine destroyed while waiting cancels the timer too, and one still waiting when the
// loop shuts down is resumed during the shutdown, await_resume throwing
// RunLoopError(NotInitialized). Elsewhere await_resume throws RunLoopError(NotRunLoopThread).
class DelayAwaiter : public LoopAwaitable {
 public:
  DelayAwaiter(std::uint64_t epoch, std::chrono::steady_clock::time_point deadline) noexcept
      : epoch_(epoch), deadline_(deadline) {}
  // Not movable: a queued resumption points at it.
  DelayAwaiter(const DelayAwaiter&) = delete;
  DelayAwaiter& operator=(const DelayAwaiter&) = delete;
  ~DelayAwaiter() {
    dropped_ = true;  // disarms a ForeignResume before cancelling it
    timer_.cancel();
  }

  bool await_ready() const noexcept { return false; }  // delay(0) still yields to the loop
  template <class P>
  bool await_suspend(std::coroutine_handle<P> frame) {
    Result<Handle, Error> timer;
    if constexpr (kIsTaskPromise<P>) {
      timer = schedule_resume(epoch_, deadline_, frame.promise().root, frame);
    } else {
      timer = schedule_foreign_resume(epoch_, deadline_, frame, &dropped_);
    }
    if (!timer) {
      error_ = timer.error();
      return false;  // await_resume throws it
    }
    timer_ = std::move(*timer);
    return true;
  }
  void await_resume() const {
    if (error_) throw RunLoopError(*error_);
    if (dropped_) throw RunLoopError(Error::NotInitialized);  // the loop shut down meanwhile
  }

 private:
  std::uint64_t epoch_;
  std::chrono::steady_clock::time_point deadline_;
  Handle timer_;
  std::optional<Error> error_;
  bool dropped_ = false;
};

}  // namespace runloop::detail
