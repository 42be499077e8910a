#pragma once

#include <atomic>
#include <chrono>
#include <coroutine>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <stop_token>
#include <utility>

#include "runloop/error.hpp"
#include "runloop/export.hpp"
#include "runloop/handle.hpp"
#include "runloop/result.hpp"

namespace runloop::detail {

class TaskRegistry;
class TaskRoot;

// One coroutine suspended in `co_await join_handle`, linked into the awaited task's list of
// waiters. It lives in the awaiter, i.e. in the waiting coroutine's frame, so destroying that
// frame (an abort) unlinks exactly this registration. Loop thread only.
struct JoinWaiter {
  JoinWaiter* prev = nullptr;
  JoinWaiter* next = nullptr;
  TaskRoot* task = nullptr;       // the waiting runloop::Task; null for another coroutine type
  std::coroutine_handle<> frame;  // the waiting frame
  bool linked = false;
  bool dropped = false;  // see ForeignResume
  Handle wake_up;        // another coroutine type: its queued resumption
};

// A task's links in its loop's registry (core/task_registry.hpp): a circular list around
// the registry's own node, so that a task unlinks itself without a pointer to the registry.
struct TaskLinks {
  TaskLinks* link_prev = nullptr;
  TaskLinks* link_next = nullptr;  // null: not registered
};

// The loop-side record of one spawned task: owns the root coroutine frame, is the only way
// a frame of the task is ever resumed, and carries its result to the JoinHandle.
//
// Every resumption goes through resume(), so abort can tell a suspended task (destroy its
// frame now) from a running one (destroy it when it next suspends): a frame that is on
// the stack is never destroyed. Reference counted by the JoinHandle, the loop's registry
// and every queued wake-up, so a late wake-up finds out that the task ended meanwhile.
class RUNLOOP_API TaskRoot : private TaskLinks {
 public:
  TaskRoot() noexcept = default;
  TaskRoot(const TaskRoot&) = delete;
  TaskRoot& operator=(const TaskRoot&) = delete;

  void add_ref() noexcept { refs_.fetch_add(1, std::memory_order_relaxed); }
  void release() noexcept;
  // The JoinHandle lets go (any thread). An exception that escaped the task and that nobody
  // took is reported to the exception handler: now if the task has finished, else when it
  // does. Drops the handle's reference.
  void drop_handle() noexcept;

  // Loop thread: resumes `frame` (a frame of this task) unless the task has ended.
  void resume(std::coroutine_handle<> frame) noexcept;
  // Any thread: queues resume(frame) on the loop thread. False when the loop is gone.
  bool post_resume(std::coroutine_handle<> frame) noexcept;
  // Any thread; idempotent; a no-op once finished. Requests stop first, so that stop
  // callbacks registered by the task run before its frame is destroyed.
  void abort() noexcept;
  bool is_finished() const noexcept {
    return (flags_.load(std::memory_order_acquire) & kFinished) != 0;
  }
  // Loop thread: abort() was called while the task ran; it ends at its next co_await.
  bool abort_requested() const noexcept { return (loop_bits_ & kAbortRequested) != 0; }

  // Any thread: cooperative cancellation, observed through stop_token().
  void request_stop() noexcept;
  // Loop thread (the task itself).
  std::stop_token stop_token();

  // A task that never started (an empty Task was spawned): ends it as Aborted.
  void abort_unstarted() noexcept;

  // Loop thread: the root frame reached its final suspend point.
  void mark_frame_done() noexcept { loop_bits_ |= kFrameDone; }
  // Loop thread: registers a waiter, which finish() wakes. False if already finished.
  bool add_waiter(JoinWaiter& waiter) noexcept;
  void remove_waiter(JoinWaiter& waiter) noexcept;
  bool has_waiters() const noexcept { return waiters_ != nullptr; }

  std::uint64_t epoch() const noexcept { return epoch_; }

 protected:
  virtual ~TaskRoot();
  // Moves the result out of the finished root frame.
  virtual void store_result(std::coroutine_handle<> frame) noexcept = 0;
  virtual void store_aborted() noexcept = 0;
  // The exception that escaped the finished root frame, if any.
  virtual std::exception_ptr frame_exception(std::coroutine_handle<> frame) const noexcept = 0;
  // Hands the stored result to every waiter of the list (copies, the last one moved).
  virtual void deliver(JoinWaiter* first) noexcept = 0;
  // Moves a stored, untaken panic out (null if there is none).
  virtual std::exception_ptr take_unclaimed_panic() noexcept = 0;

  // The tag of the result that the derived class stores (what it holds in its union). It is
  // kept here, in a byte that would otherwise be padding, so that the derived record of a
  // small result stays within one malloc chunk size (see TaskState). Written on the loop
  // thread before the task is published finished, then by whoever takes the result. A byte
  // of its own: taking a result on another thread never races with the loop thread's bits.
  std::uint8_t result_tag() const noexcept { return result_tag_; }
  void set_result_tag(std::uint8_t tag) noexcept { result_tag_ = tag; }

 private:
  friend class TaskRegistry;
  friend RUNLOOP_API bool start_task(std::uint64_t epoch, TaskRoot* root,
                                     std::coroutine_handle<> frame);
  enum class State : std::uint8_t { Suspended, Running, Done };
  // loop_bits_: the State in the low two bits, then two flags.
  static constexpr std::uint8_t kStateMask = 3;
  static constexpr std::uint8_t kFrameDone = 4;
  static constexpr std::uint8_t kAbortRequested = 8;
  // flags_:
  static constexpr std::uint8_t kFinished = 1;
  static constexpr std::uint8_t kHandleDropped = 2;
  static constexpr std::uint8_t kStopRequested = 4;

  void abort_on_loop_thread() noexcept;
  void finish(bool aborted) noexcept;
  void publish_finished() noexcept;
  void wake(JoinWaiter& waiter) noexcept;
  State state() const noexcept { return static_cast<State>(loop_bits_ & kStateMask); }
  void set_state(State state) noexcept {
    loop_bits_ =
        static_cast<std::uint8_t>((loop_bits_ & ~kStateMask) | static_cast<std::uint8_t>(state));
  }

  // One of these per suspended task, so packed (issue 15: bytes per task): the small
  // fields share one word, with a byte to spare for the derived class's result tag, and the
  // registry links need no pointer to the registry.
  std::atomic<std::uint32_t> refs_{1};
  std::atomic<std::uint8_t> flags_{0};  // kFinished, kHandleDropped, kStopRequested
  std::uint8_t loop_bits_ = 0;  // State (Suspended), kFrameDone, kAbortRequested: loop thread only
  std::uint8_t result_tag_ = 0;
  std::atomic<std::stop_source*> stop_source_{nullptr};  // made on first use
  std::coroutine_handle<> frame_;
  std::uint64_t epoch_ = 0;
  JoinWaiter* waiters_ = nullptr;
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

// Loop thread of `epoch`: a timer that resumes `frame` of `root` at `deadline`. Arms
// nothing and says why when this is not that loop's thread.
RUNLOOP_API Result<Handle, Error> schedule_resume(std::uint64_t epoch,
                                                  std::chrono::steady_clock::time_point deadline,
                                                  TaskRoot* root, std::coroutine_handle<> frame);

// A coroutine handle that, resumed from any thread, queues resume(frame) on the loop
// thread. Given to awaitables that are not ours, so they never resume a task elsewhere.
RUNLOOP_API std::coroutine_handle<> make_loop_hop(TaskRoot* root, std::coroutine_handle<> frame);

// The continuation of a root frame's final suspend: a frame that does nothing when
// resumed. (std::noop_coroutine() would make GCC emit an STB_GNU_UNIQUE symbol, which
// keeps a plugin from ever being unloaded.)
RUNLOOP_API std::coroutine_handle<> idle_handle() noexcept;

// Resumes a coroutine of any type; an exception its promise lets out goes to the
// exception handler instead of unwinding into the loop.
RUNLOOP_API void resume_guarded(std::coroutine_handle<> frame) noexcept;

// The queued resumption of a coroutine that is not a runloop::Task (it has no TaskRoot).
// It runs on the loop thread. Destroyed without having run (its loop shut down), it
// resumes the coroutine anyway, there and then, after setting `*dropped`: the coroutine is
// neither leaked nor resumed on another thread, and its awaiter reports what happened.
// An awaiter that is destroyed first sets `*dropped` itself, which disarms it.
class ForeignResume {
 public:
  ForeignResume(std::coroutine_handle<> frame, bool* dropped) noexcept
      : frame_(frame), dropped_(dropped) {}
  ForeignResume(ForeignResume&& other) noexcept
      : frame_(std::exchange(other.frame_, {})), dropped_(other.dropped_) {}
  ForeignResume& operator=(ForeignResume&&) = delete;
  ~ForeignResume() {
    if (frame_ && !*dropped_) {
      *dropped_ = true;
      resume_guarded(std::exchange(frame_, {}));
    }
  }
  void operator()() { resume_guarded(std::exchange(frame_, {})); }

 private:
  std::coroutine_handle<> frame_;
  bool* dropped_;
};

// Loop thread of `epoch`: a timer that runs ForeignResume(frame, dropped) at `deadline`.
// Arms nothing and says why when this is not that loop's thread or it is shutting down.
RUNLOOP_API Result<Handle, Error> schedule_foreign_resume(
    std::uint64_t epoch, std::chrono::steady_clock::time_point deadline,
    std::coroutine_handle<> frame, bool* dropped);

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
