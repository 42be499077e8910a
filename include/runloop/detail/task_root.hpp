#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <utility>

#include "runloop/export.hpp"
#include "runloop/handle.hpp"

namespace runloop::detail {

class TaskRegistry;

// The loop-side record of one spawned task: owns the root coroutine frame, is the only way
// a frame of the task is ever resumed, and carries its result to the JoinHandle.
//
// Every resumption goes through resume(), so abort can tell a suspended task (destroy its
// frame now) from a running one (destroy it when it next suspends): a frame that is on
// the stack is never destroyed. Reference counted by the JoinHandle, the loop's registry
// and every queued wake-up, so a late wake-up finds out that the task ended meanwhile.
class RUNLOOP_API TaskRoot {
 public:
  TaskRoot() noexcept = default;
  TaskRoot(const TaskRoot&) = delete;
  TaskRoot& operator=(const TaskRoot&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;

  // Loop thread: resumes `frame` (a frame of this task) unless the task has ended.
  void resume(std::coroutine_handle<> frame) noexcept;
  // Any thread: queues resume(frame) on the loop thread. False when the loop is gone.
  bool post_resume(std::coroutine_handle<> frame) noexcept;
  // Any thread; idempotent; a no-op once finished.
  void abort() noexcept;
  bool is_finished() const noexcept { return finished_.load(std::memory_order_acquire); }

  // Loop thread: the root frame reached its final suspend point.
  void mark_frame_done() noexcept { frame_done_ = true; }
  // Loop thread: the task awaiting this one (one at a time). False if already finished.
  bool set_waiter(TaskRoot* waiter, std::coroutine_handle<> frame) noexcept;
  void clear_waiter() noexcept;

  std::uint64_t epoch() const noexcept { return epoch_; }

 protected:
  virtual ~TaskRoot();
  // Moves the result out of the finished root frame.
  virtual void store_result(std::coroutine_handle<> frame) noexcept = 0;
  virtual void store_aborted() noexcept = 0;

 private:
  friend class TaskRegistry;
  friend RUNLOOP_API bool start_task(std::uint64_t epoch, TaskRoot* root,
                                     std::coroutine_handle<> frame);
  enum class State : std::uint8_t { Suspended, Running, Done };

  void abort_on_loop_thread() noexcept;
  void finish(bool aborted) noexcept;

  std::atomic<std::size_t> refs_{1};
  std::atomic<bool> finished_{false};
  std::coroutine_handle<> frame_;
  std::uint64_t epoch_ = 0;
  State state_ = State::Suspended;
  bool frame_done_ = false;
  bool abort_requested_ = false;
  TaskRoot* waiter_ = nullptr;
  std::coroutine_handle<> waiter_frame_;
  TaskRegistry* registry_ = nullptr;  // set while registered with a live loop
  TaskRoot* prev_ = nullptr;
  TaskRoot* next_ = nullptr;
};

// An owning reference to a TaskRoot.
class RootRef {
 public:
  RootRef() noexcept = default;
  explicit RootRef(TaskRoot* root) noexcept : root_(root) {
    if (root_) root_->add_ref();
  }
  static RootRef adopt(TaskRoot* root) noexcept {
    RootRef ref;
    ref.root_ = root;
    return ref;
  }
  RootRef(const RootRef& other) noexcept : RootRef(other.root_) {}
  RootRef(RootRef&& other) noexcept : root_(std::exchange(other.root_, nullptr)) {}
  RootRef& operator=(RootRef other) noexcept {
    std::swap(root_, other.root_);
    return *this;
  }
  ~RootRef() {
    if (root_) root_->release();
  }
  TaskRoot* get() const noexcept { return root_; }
  TaskRoot* operator->() const noexcept { return root_; }
  explicit operator bool() const noexcept { return root_ != nullptr; }

 private:
  TaskRoot* root_ = nullptr;
};

// Loop thread: registers `root` (adopting `frame`) with the loop of `epoch` and queues its
// first resumption. Throws RunLoopError when that loop is not current on this thread.
// Returns false, adopting nothing, when the loop is shutting down (the task then ends as
// aborted).
RUNLOOP_API bool start_task(std::uint64_t epoch, TaskRoot* root, std::coroutine_handle<> frame);

// Loop thread: a timer that resumes `frame` of `root` at `deadline`.
RUNLOOP_API Handle schedule_resume(std::uint64_t epoch,
                                   std::chrono::steady_clock::time_point deadline, TaskRoot* root,
                                   std::coroutine_handle<> frame);

// A coroutine handle that, resumed from any thread, queues resume(frame) on the loop
// thread. Given to awaitables that are not ours, so they never resume a task elsewhere.
RUNLOOP_API std::coroutine_handle<> make_loop_hop(TaskRoot* root, std::coroutine_handle<> frame);

// The continuation of a root frame's final suspend: a frame that does nothing when
// resumed. (std::noop_coroutine() would make GCC emit an STB_GNU_UNIQUE symbol, which
// keeps a plugin from ever being unloaded.)
RUNLOOP_API std::coroutine_handle<> idle_handle() noexcept;

// Loop thread, block_on(): marks the loop as inside block_on for its lifetime.
class RUNLOOP_API BlockOnScope {
 public:
  explicit BlockOnScope(std::uint64_t epoch);  // throws RunLoopError (NestedBlockOn, ...)
  BlockOnScope(const BlockOnScope&) = delete;
  BlockOnScope& operator=(const BlockOnScope&) = delete;
  ~BlockOnScope();
  // Runs one blocking iteration of the native loop. Throws RunLoopError(NotInitialized)
  // once the loop has shut down.
  void poll();

 private:
  void* core_;
};

}  // namespace runloop::detail
