#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>
#include <optional>
#include <vector>

#include "backends/backend.hpp"
#include "core/backend_stack.hpp"
#include "core/batch_budget.hpp"
#include "core/mailbox.hpp"
#include "core/task_registry.hpp"
#include "core/timer_heap.hpp"
#include "runloop/detail/callback.hpp"
#include "runloop/handle.hpp"

namespace runloop::detail {

// The executor of one loop lifetime: the loop thread's ready queue, the timer heap and the
// cross-thread mailbox, driven by one backend. Everything but the mailbox and the reference
// count is loop-thread only.
//
// Reference counted: the lifecycle holds one reference while initialised, and every frame
// that calls into user code (dispatch, run) holds another, because a callback may call
// deinit() and the core must outlive the frame that is running it.
class LoopCore final : public BackendDelegate {
 public:
  // Creates the core and attaches its backend to this thread's native loop.
  // Host-driven mode attaches to no native loop (core/backend_stack.hpp).
  static Result<LoopCore*, Error> create(std::uint64_t epoch, LoopMode mode);

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept override;
  void retain() noexcept override { add_ref(); }

  std::uint64_t epoch() const noexcept { return epoch_; }
  Mailbox& mailbox() noexcept { return *mailbox_; }
  Backend& backend() noexcept { return *backend_; }
  // poll_fd / poll_timeout / dispatch; null where host-driven mode does not exist.
  FdBackend* surface() const noexcept { return surface_; }
  bool shut_down() const noexcept { return shut_down_; }
  TaskRegistry& tasks() noexcept { return tasks_; }
  bool block_on_active() const noexcept { return block_on_active_; }
  void set_block_on_active(bool active) noexcept { block_on_active_ = active; }

  // The loop's clock: steady_clock, or the frozen time of a MockTime.
  Clock::time_point now() const noexcept { return mock_now_ ? *mock_now_ : Clock::now(); }
  // `now() + delay`, saturated (a delay too large for the clock never fires).
  Clock::time_point deadline_after(std::chrono::nanoseconds delay) const noexcept;

  // Loop thread. Each returns false (or an empty token) once shut down, after destroying
  // the callback.
  bool post_local(Callback& callback);
  TimerToken schedule_at(Clock::time_point deadline, Callback&& callback);
  void cancel(TimerToken token) noexcept;
  bool is_pending(TimerToken token) const noexcept;

  // Loop thread: drives the native loop until stop() ends this level, or the loop shuts down.
  void run();
  void stop() noexcept;
  void run_app();
  void stop_app() noexcept;
  // One native iteration (block_on); throws RunLoopError(NotInitialized) once shut down.
  void poll_once();

  // MockTime (testing.hpp): freezes the clock at its current reading / moves it.
  void freeze_clock() noexcept;
  void unfreeze_clock() noexcept;
  bool clock_frozen() const noexcept { return mock_now_.has_value(); }
  // Under a frozen clock: runs what is ready (timers due at `now()` included) until idle.
  void run_until_idle();
  // Under a frozen clock: moves it to `target`, through every timer deadline on the way.
  void advance_to(Clock::time_point target);

  // Loop thread, last deinit(): destroys all pending work unrun and detaches the backend.
  void shutdown() noexcept;

  // BackendDelegate
  WorkReport do_work() override;
  NextWork next_work() const override;
  void native_timer_fired() noexcept override { announced_.reset(); }
  bool quit_requested() noexcept override {
    if (run_levels_.empty() || run_levels_.back()->stopped) return false;
    run_levels_.back()->stopped = true;
    return true;
  }

 private:
  struct RunLevel {
    bool stopped = false;
  };

  explicit LoopCore(std::uint64_t epoch) noexcept;
  ~LoopCore();
  std::size_t run_ready_work(BatchBudget& budget);
  void drain();  // run_until_idle() without its CoreRef
  std::size_t run_due_timers(BatchBudget& budget, Clock::time_point due_at);
  void request_wake_from_loop_thread() noexcept;
  // The batch ends early: the loop shut down, or a callback stopped the run() it runs in.
  // Not while a block_on() polls: its task still needs batches after a stop (or a WM_QUIT)
  // ended the run() below it; that run() ends once the block_on() returns.
  bool interrupted() const noexcept {
    return shut_down_ || (!block_on_active_ && !run_levels_.empty() && run_levels_.back()->stopped);
  }
  void announce_deadline() noexcept;

  std::atomic<std::size_t> refs_{1};
  const std::uint64_t epoch_;
  std::unique_ptr<Backend> backend_;
  FdBackend* surface_ = nullptr;  // inside backend_
  Mailbox* mailbox_ = nullptr;
  std::deque<Callback> ready_;
  TimerHeap timers_;
  TaskRegistry tasks_;
  std::vector<RunLevel*> run_levels_;  // innermost last
  // What the backend's native timer is armed for (the deadline deduplicator), and whether it
  // is still the earliest pending deadline (a pop may have taken that timer since): then a
  // later deadline armed needs no look at the heap (schedule's common case).
  std::optional<Clock::time_point> announced_;
  bool announced_is_earliest_ = false;
  std::optional<Clock::time_point> mock_now_;
  bool local_wake_pending_ = false;
  bool shut_down_ = false;
  bool block_on_active_ = false;
};

// Keeps a core alive for the lifetime of a frame.
class CoreRef {
 public:
  explicit CoreRef(LoopCore* core) noexcept : core_(core) {
    if (core_) core_->add_ref();
  }
  CoreRef(const CoreRef&) = delete;
  CoreRef& operator=(const CoreRef&) = delete;
  ~CoreRef() {
    if (core_) core_->release();
  }
  LoopCore* operator->() const noexcept { return core_; }
  LoopCore* get() const noexcept { return core_; }

 private:
  LoopCore* core_;
};

}  // namespace runloop::detail
