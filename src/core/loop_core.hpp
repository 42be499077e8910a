#pragma once

#include <atomic>
#include <cstdint>
#include <deque>
#include <memory>

#include "backends/backend.hpp"
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
  static Result<LoopCore*, Error> create(std::uint64_t epoch);

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  std::uint64_t epoch() const noexcept { return epoch_; }
  Mailbox& mailbox() noexcept { return *mailbox_; }
  Backend& backend() noexcept { return *backend_; }
  bool shut_down() const noexcept { return shut_down_; }
  TaskRegistry& tasks() noexcept { return tasks_; }
  bool block_on_active() const noexcept { return block_on_active_; }
  void set_block_on_active(bool active) noexcept { block_on_active_ = active; }

  // Loop thread. Each returns false (or an empty token) once shut down, after destroying
  // the callback.
  bool post_local(Callback& callback);
  TimerToken schedule_at(Clock::time_point deadline, Callback&& callback);
  void cancel(TimerToken token) noexcept;
  bool is_pending(TimerToken token) const noexcept;

  // Loop thread, last deinit(): destroys all pending work unrun and detaches the backend.
  void shutdown() noexcept;

  // BackendDelegate
  NextWork do_work() override;
  NextWork next_work() const override;

 private:
  explicit LoopCore(std::uint64_t epoch) noexcept;
  ~LoopCore();
  void notify_deadline_change(std::optional<Clock::time_point> before) noexcept;

  std::atomic<std::size_t> refs_{1};
  const std::uint64_t epoch_;
  std::unique_ptr<Backend> backend_;
  Mailbox* mailbox_ = nullptr;
  std::deque<Callback> ready_;
  TimerHeap timers_;
  TaskRegistry tasks_;
  bool local_wake_pending_ = false;
  int dispatch_depth_ = 0;
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
