#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <thread>

#include "backends/backend.hpp"

namespace runloop::detail {

class Mailbox;

// How long ready work may wait undispatched before the watchdog reports it.
inline constexpr std::chrono::seconds kUndrivenAfter{2};

// Notices work that nobody dispatches (a host that never iterates the loop we attached to)
// and reports it once per loop through the diagnostic handler, from its own thread, since
// the loop thread is the one that is stuck or idle elsewhere.
//
// It sits between the core and the backend, as both: the core talks to it as its backend and
// the backend calls it as its delegate, so it sees every wake-up, deadline and batch without
// hooks in the core. Undriven means: work was ready at one sample, and 2 s later still no
// batch had started. That is exact (a batch started meanwhile would have bumped the count), so
// a host that drives normally can never trigger it, whatever the timing.
//
// Costs on the hot path: a relaxed counter per batch and, per wake-up, one uncontended RMW;
// the thread is notified only when it sleeps without watching (at most once per 2 s of
// activity), and otherwise sleeps until the next deadline or forever.
class Watchdog final : public Backend, public BackendDelegate {
 public:
  Watchdog(BackendDelegate& core, bool host_driven) noexcept;
  ~Watchdog() override;
  Watchdog(const Watchdog&) = delete;
  Watchdog& operator=(const Watchdog&) = delete;

  // The backend under us; its delegate must be this watchdog.
  void set_inner(std::unique_ptr<Backend> inner) noexcept { inner_ = std::move(inner); }
  // Starts watching (the thread). `mailbox` is read from the thread: it must outlive detach().
  void start(const Mailbox& mailbox) noexcept;

  // Backend
  bool wake() noexcept override;
  void wake_from_loop_thread() noexcept override;
  void arm_deadline(std::optional<Clock::time_point> deadline) noexcept override;
  void poll_once(bool may_block) override { inner_->poll_once(may_block); }
  bool run_app() override { return inner_->run_app(); }
  bool stop_app() noexcept override { return inner_->stop_app(); }
  void detach() noexcept override;
  bool attached() const noexcept override { return inner_->attached(); }

  // BackendDelegate
  WorkReport do_work() override;
  NextWork next_work() const override { return core_.next_work(); }
  void native_timer_fired() noexcept override { core_.native_timer_fired(); }
  bool quit_requested() noexcept override { return core_.quit_requested(); }
  void retain() noexcept override { core_.retain(); }
  void release() noexcept override { core_.release(); }

 private:
  static constexpr std::int64_t kNever = INT64_MAX;
  static std::int64_t ticks(Clock::time_point t) noexcept;

  void watch();
  bool ready_now(std::int64_t now) const noexcept;
  // Wakes the thread if it sleeps past `ready_at` without watching.
  void note_ready_at(std::int64_t ready_at) noexcept;
  void note_next(const NextWork& next) noexcept;
  void report(int cause) noexcept;  // a Cause (watchdog.cpp)

  BackendDelegate& core_;
  const bool host_driven_;
  std::unique_ptr<Backend> inner_;
  const Mailbox* mailbox_ = nullptr;

  // Written by the loop thread, read by the watchdog thread.
  std::atomic<std::uint64_t> batches_{0};
  std::atomic<int> batch_depth_{0};
  std::atomic<bool> local_ready_{false};
  std::atomic<std::int64_t> deadline_{kNever};
  // When the thread next looks on its own: kNever = parked, 0 = watching (it needs no news).
  std::atomic<std::int64_t> sleeps_until_{0};

  std::mutex mutex_;
  std::condition_variable wakeup_;
  bool quit_ = false;  // under mutex_
  std::thread thread_;
};

}  // namespace runloop::detail
