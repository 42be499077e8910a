#pragma once

#include <chrono>
#include <cstdint>
#include <utility>

#include "runloop/detail/callback.hpp"
#include "runloop/error.hpp"
#include "runloop/export.hpp"
#include "runloop/handle.hpp"
#include "runloop/result.hpp"
#include "runloop/sender.hpp"

namespace runloop {

class RunLoopGuard;

// The run loop of this module on its thread. A RunLoop value names one loop lifetime:
// after the last deinit() its methods throw RunLoopError(NotInitialized).
class RUNLOOP_API RunLoop {
 public:
  using Clock = std::chrono::steady_clock;

  // Marks the calling thread as the run loop thread and attaches to its native loop.
  // Reference counted; pair every success with deinit().
  static Result<void, Error> init();
  // Releases one reference; the last one shuts the loop down. Never throws.
  static void deinit() noexcept;
  // init() + deinit() as RAII; throws RunLoopError when init() fails.
  [[nodiscard]] static RunLoopGuard acquire();

  static RunLoop current();
  static Result<RunLoop, Error> try_current() noexcept;
  static bool is_run_loop_thread() noexcept;
  // Callable from any thread once initialised.
  static Sender sender();

  // Drives the native loop until stop(); nests.
  void run() const;
  // Ends the innermost run(); no effect without one.
  void stop() const;
  // Drives the platform's application loop (gtk_main when GTK is in the process).
  void run_app() const;
  void stop_app() const;

  // Runs `callback` on the loop thread no earlier than `delay` from now, never inline.
  template <class F>
  [[nodiscard]] Handle schedule(std::chrono::nanoseconds delay, F&& callback) const {
    return schedule_at(Clock::now() + delay, detail::Callback(std::forward<F>(callback)));
  }
  [[nodiscard]] Handle schedule_at(Clock::time_point deadline, detail::Callback callback) const;

  std::uint64_t epoch() const noexcept { return epoch_; }

 private:
  friend class RunLoopGuard;
  explicit RunLoop(std::uint64_t epoch) noexcept : epoch_(epoch) {}
  std::uint64_t epoch_;
};

// Holds one init() reference; releases it on destruction.
class RUNLOOP_API RunLoopGuard {
 public:
  RunLoopGuard(RunLoopGuard&& other) noexcept : owns_(std::exchange(other.owns_, false)) {}
  RunLoopGuard& operator=(RunLoopGuard&& other) noexcept;
  RunLoopGuard(const RunLoopGuard&) = delete;
  RunLoopGuard& operator=(const RunLoopGuard&) = delete;
  ~RunLoopGuard();

  RunLoop run_loop() const { return RunLoop::current(); }

 private:
  friend class RunLoop;
  RunLoopGuard() noexcept = default;
  bool owns_ = true;
};

}  // namespace runloop
