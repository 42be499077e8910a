#pragma once

#include <cstdio>
#include <mutex>
#include <utility>

namespace runloop::detail {

// A user-settable handler (the exception handler, the diagnostic handler): set from any
// thread, called from any thread, never called under the lock (it may set itself), and a
// handler that throws or cannot be copied never takes the library down.
template <class Handler>
class HandlerSlot {
 public:
  void set(Handler handler) {
    std::lock_guard lock(mutex_);
    handler_ = std::move(handler);
  }

  // Calls the handler with `argument`, or `fallback` when none is set or copying it failed
  // (out of memory). `what` names the handler in the line printed if it throws.
  template <class Argument, class Fallback>
  void call(const char* what, Argument&& argument, Fallback fallback) noexcept {
    Handler handler;
    try {
      std::lock_guard lock(mutex_);
      handler = handler_;
    } catch (...) {  // NOLINT(bugprone-empty-catch): the fallback below is the handling
    }
    if (!handler) {
      fallback(std::forward<Argument>(argument));
      return;
    }
    try {
      handler(std::forward<Argument>(argument));
    } catch (...) {
      std::fprintf(stderr, "runloop: the %s handler threw; its report was dropped\n", what);
    }
  }

 private:
  std::mutex mutex_;
  Handler handler_;
};

}  // namespace runloop::detail
